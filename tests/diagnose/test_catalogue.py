"""Every catalogue entry is valid, and its own tests pass: real log lines that must and
must not be classified as its cause (like tests/rules/test_rules.py for the rules)."""

from __future__ import annotations

from datetime import datetime

import pytest

from linter.diagnose.catalogue import catalogue_files, classify, load_catalogue, load_entry
from linter.diagnose.logformats import parse_envelope
from linter.diagnose.readers import Readers

NOW = datetime(2026, 12, 31, 12, 0, 0)
CAUSES = load_catalogue()
CASES = [(cause, i) for cause in CAUSES for i in range(len(cause.tests))]


def classify_line(line: str) -> tuple[str | None, dict[str, str]]:
    envelope = parse_envelope(line, NOW)
    assert envelope is not None, f"not a log line of a known format: {line}"
    reader = Readers().reader_for(envelope.program)
    assert reader is not None, f"no reader for {envelope.program!r}: {line}"
    event = reader(envelope, "test", 1, line)
    assert event is not None, f"no event in: {line}"
    found = classify(event.text, event.kind, CAUSES)
    if found is None:
        return None, {}
    return found[0].id, found[1]


@pytest.mark.parametrize("path", catalogue_files(), ids=lambda p: p.stem)
def test_entry_loads_and_is_named_after_its_file(path):
    cause = load_entry(path)
    assert path.stem == cause.id


@pytest.mark.parametrize("cause", CAUSES, ids=lambda c: c.id)
def test_entry_is_proven_both_ways(cause):
    assert {t.get("expect") for t in cause.tests} >= {"match", "no-match"}, cause.id
    for test in cause.tests:
        if test["expect"] == "match":
            assert test.get("source"), f"{cause.id}: say where a matching line comes from"


@pytest.mark.parametrize(("cause", "index"), CASES, ids=[f"{c.id}-{i}" for c, i in CASES])
def test_catalogue_case(cause, index):
    test = cause.tests[index]
    got, details = classify_line(test["line"])
    if test["expect"] == "match":
        assert got == cause.id, f"classified as {got}"
        for name, value in (test.get("details") or {}).items():
            assert details.get(name) == value, details
    else:
        assert got != cause.id


def test_rules_named_by_the_catalogue_exist():
    from linter.engine.rules import builtin_rules

    ids = {r.id for r in builtin_rules()}
    for cause in CAUSES:
        assert set(cause.rules) <= ids, f"{cause.id}: {set(cause.rules) - ids}"


def test_settings_named_by_the_catalogue_are_postfix_parameters():
    """Every Postfix setting a cause names is one postconf knows (no typo can hide)."""
    from linter.mta.postfix import params

    for cause in CAUSES:
        for name in cause.settings.get("postfix", []):
            assert params.default_for(name, "3.6", (3, 7, 11)) is not None, (cause.id, name)
