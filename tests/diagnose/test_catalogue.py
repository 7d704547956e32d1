"""Every catalogue entry is valid, and its own tests pass: real log lines that must and
must not be classified as its cause (like tests/rules/test_rules.py for the rules)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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


# --- fix texts per MTA ---------------------------------------------------------------

FIX_MTAS = ("postfix", "exim", "sendmail", "hmailserver")

# words only one MTA's configuration has: a fix written for one MTA must not tell the
# user to set another's (the Exim fix of a timeout naming relayhost was the defect)
OWN_WORDS = {
    "postfix": r"\brelayhost\b|\bsmtpd?_[a-z_]+|\bpostmap\b|\bmain\.cf\b|\bmynetworks\b",
    "exim": r"\broute_list\b|\bhosts_require_[a-z]+|\bmanualroute\b|\brelay_from_hosts\b",
    "sendmail": r"\bSMART_HOST\b|_MAILER_ARGS\b|\bAuthInfo:|\bFEATURE\(|\bconf[A-Z_]{3,}",
    "hmailserver": r"SMTP Relayer|Settings →|IP Ranges",
}


def fix_mtas_required(cause) -> set[str]:
    """The MTAs a cause's fix must be written for: any MTA's log can carry a remote
    server's reply (outbound) or its own refusal of a client (inbound); a local fault
    is written by the MTA whose lines its tests classify."""
    if {"outbound", "inbound"} & set(cause.events):
        return set(FIX_MTAS)
    found = set()
    for test in cause.tests:
        if test["expect"] != "match":
            continue
        envelope = parse_envelope(test["line"], NOW)
        reader = Readers().reader_for(envelope.program)
        event = reader(envelope, "test", 1, test["line"])
        found.add(event.mta)
    return found & set(FIX_MTAS)


@pytest.mark.parametrize("cause", CAUSES, ids=lambda c: c.id)
def test_fix_is_written_for_every_mta_it_can_be_shown_for(cause):
    if not cause.fix:
        return  # no fix at all: the meaning and the settings say what to look at
    missing = [m for m in sorted(fix_mtas_required(cause)) if m not in cause.fix]
    assert "any" in cause.fix or not missing, f"{cause.id}: no fix for {missing}"


@pytest.mark.parametrize("cause", CAUSES, ids=lambda c: c.id)
def test_fix_names_only_its_own_mtas_settings(cause):
    import re

    for mta, text in cause.fix.items():
        for other, words in OWN_WORDS.items():
            if other != mta:
                found = re.findall(words, text)
                assert not found, f"{cause.id}: the {mta} fix names {other}'s {found}"


def test_settings_named_by_the_fixes_exist():
    """Every option a fix names is one the MTA has: Postfix parameters as postconf knows
    them, Exim options of Exim's option table, sendmail's m4 macros and FEATUREs of cf/."""
    import json
    import re

    from linter.mta import sendmail
    from linter.mta.exim.options import OPTIONS
    from linter.mta.postfix import params

    exim_names = set().union(*(set(o) for o in OPTIONS.values()))
    exim_names |= {kind.partition(":")[2] for kind in OPTIONS}  # drivers: cram_md5
    # the named lists, the ACL and the smtp transport of Exim's default configuration
    exim_names |= {"local_domains", "relay_to_domains", "relay_from_hosts", "acl_check_rcpt"}
    exim_names |= {"remote_smtp"}
    folder = Path(sendmail.__file__).resolve().parent / "data"
    sendmail = json.loads((folder / "options.json").read_text(encoding="utf-8"))
    cf_text = "\n".join(
        json.loads((folder / "cf_library.json").read_text(encoding="utf-8"))["files"].values()
    )
    checked = 0
    for cause in CAUSES:
        # commands the fixes tell to run are no settings
        fixes = {m: t.replace("openssl s_client", "") for m, t in cause.fix.items()}
        postfix = fixes.get("postfix", "")
        for name in re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", postfix):
            if name.startswith(("permit_", "reject_", "check_")):
                continue  # a restriction, not a parameter
            # a per-transport parameter (smtp_destination_concurrency_limit) is the
            # default_ one of master.cf's transport of that name
            name = re.sub(r"^smtp_(?=(initial_)?destination_)", "default_", name)
            assert params.default_for(name, "3.6", (3, 7, 11)) is not None, (cause.id, name)
            checked += 1
        exim = fixes.get("exim", "")
        for name in re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", exim):
            assert name in exim_names, (cause.id, name)
            checked += 1
        text = fixes.get("sendmail", "")
        for name in re.findall(r"\bconf[A-Z_]+", text):
            assert name in sendmail["known_macros"], (cause.id, name)
            checked += 1
        for name in re.findall(r"FEATURE\(`(\w+)'", text):
            assert name in sendmail["features"], (cause.id, name)
            checked += 1
        for name in re.findall(r"\b[A-Z][A-Z_]{4,}\b", text):
            assert re.search(rf"\b{name}\b", cf_text), (cause.id, name)
            checked += 1
    assert checked > 40
