"""Baselines (linter/baseline.py): fingerprints, the file, and which findings it hides.

A finding is known by rule, file, subject and normalised value, never its line (README,
"Adopting mtalint"); an internal error (MTL001) is never recorded and never hidden.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter import __version__
from linter.baseline import (
    FORMAT_VERSION,
    BaselineEntry,
    BaselineError,
    baseline_text,
    load_baseline,
    new_findings,
)
from linter.findings import Finding
from linter.source import Span


def finding(
    rule: str = "MTA001",
    path: str = "hosts/a/main.cf",
    line: int = 2,
    key: str = "mynetworks",
    value: str = "0.0.0.0/0",
) -> Finding:
    return Finding(
        rule=rule,
        severity="error",
        message=f"{rule} on {key}",
        span=Span(path, line, 1),
        key=key,
        value=value,
    )


def test_a_fingerprint_ignores_the_line_and_blanks_but_not_the_subject() -> None:
    base = finding().fingerprint
    assert len(base) == 32 and int(base, 16) >= 0
    assert finding(line=40).fingerprint == base
    assert finding(value="  0.0.0.0/0 ").fingerprint == base
    assert finding(value="0.0.0.0/0\n\t").fingerprint == base
    for other in (
        finding(rule="MTA006"),
        finding(path="hosts/b/main.cf"),
        finding(key="relay_domains"),
        finding(value="0.0.0.0/1"),
    ):
        assert other.fingerprint != base


def test_the_file_lists_each_fingerprint_once_without_positions(tmp_path: Path) -> None:
    a = finding(path="hosts/b/main.cf")
    b = finding(path="hosts/a/main.cf", rule="PF001", key="smtpd_tls_securty_level")
    c = finding(path="hosts/a/main.cf")
    internal = finding(rule="MTL001", key="", value="")
    text = baseline_text([a, b, c, finding(path="hosts/b/main.cf", line=9), internal])
    doc = json.loads(text)
    assert doc["tool"] == "mtalint"
    assert doc["version"] == __version__
    assert doc["format"] == FORMAT_VERSION == 1
    # sorted by path, then rule; the duplicate of a (another line) and MTL001 left out
    assert [(e["path"], e["rule"]) for e in doc["findings"]] == [
        ("hosts/a/main.cf", "MTA001"),
        ("hosts/a/main.cf", "PF001"),
        ("hosts/b/main.cf", "MTA001"),
    ]
    assert [e["fingerprint"] for e in doc["findings"]] == [
        c.fingerprint,
        b.fingerprint,
        a.fingerprint,
    ]
    assert all(set(e) == {"fingerprint", "rule", "path", "message"} for e in doc["findings"])

    path = tmp_path / "baseline.json"
    path.write_text(text, encoding="utf-8")
    assert load_baseline(path) == [
        BaselineEntry(c.fingerprint, "MTA001", "hosts/a/main.cf", c.message),
        BaselineEntry(b.fingerprint, "PF001", "hosts/a/main.cf", b.message),
        BaselineEntry(a.fingerprint, "MTA001", "hosts/b/main.cf", a.message),
    ]


def test_known_findings_are_hidden_and_stale_entries_counted() -> None:
    known_relay = finding()
    fixed = finding(rule="PF001", key="smtpd_tls_securty_level", value="encrypt")
    gone_file = finding(path="hosts/old/main.cf")
    known = {known_relay.fingerprint, fixed.fingerprint, gone_file.fingerprint}

    moved = finding(line=30)  # the known open relay, moved down by an unrelated edit
    new = finding(path="hosts/c/main.cf")
    internal = finding(rule="MTL001", key="", value="")
    kept, still = new_findings([moved, new, internal], known)

    assert kept == [new, internal]  # MTL001 is never hidden
    assert still == {known_relay.fingerprint}
    stale = known - still
    assert stale == {fixed.fingerprint, gone_file.fingerprint}
    assert len(stale) == 2


def test_an_internal_error_is_shown_even_when_its_fingerprint_is_known() -> None:
    internal = finding(rule="MTL001", key="", value="")
    kept, still = new_findings([internal], {internal.fingerprint})
    assert kept == [internal]
    assert still == set()  # so its entry (if one were written by hand) counts as stale


def _doc(**changes: object) -> str:
    doc: dict[str, object] = {"tool": "mtalint", "format": 1, "findings": []}
    doc.update(changes)
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "is not valid JSON"),
        (json.dumps([]), "is not an mtalint baseline"),
        (_doc(tool="other"), "is not an mtalint baseline"),
        (_doc(findings={}), "is not an mtalint baseline"),
        (_doc(format=2), "has format 2; expected 1"),
        (_doc(format="1"), "has format '1'; expected 1"),
        (_doc(format=True), "has format True; expected 1"),  # True == 1, but is no format
        (_doc(findings=[{"rule": "MTA001"}]), "an entry without a fingerprint"),
        ("[" * 100_000 + "]" * 100_000, "nests too deeply"),
    ],
)
def test_a_bad_baseline_is_refused(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError, match=says):
        load_baseline(path)


def test_a_baseline_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="is not a regular file"):
        load_baseline(tmp_path)
    with pytest.raises(BaselineError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.json")


def test_entry_fields_of_the_wrong_type_read_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    entry = {"fingerprint": "f" * 32, "rule": 7, "path": None, "message": ["x"]}
    path.write_text(_doc(findings=[entry]), encoding="utf-8")
    assert load_baseline(path) == [BaselineEntry("f" * 32, "", "", "")]
