"""Every kind of diagnostic a reader or model can emit reaches the user through a rule.

Diagnostics are facts; only rules turn them into findings. A kind that no rule selects is
computed and silently dropped (Exim's ``build-dependent`` once was). Kinds that are
always emitted as fatal reach the user through MTA021 ("the MTA rejects this
configuration"); ``input-error`` through the engine (a file that could not be read).
"""

from __future__ import annotations

import re

from linter.engine.rules import builtin_rules
from tests.paths import ROOT

# kinds only ever emitted with fatal=True: MTA021 reports every fatal diagnostic
FATAL_ONLY = {
    # Exim: what exim -bV refuses (EximModel.error and Reader.report are fatal by default)
    "acl-error",
    "driver-error",
    "duplicate-acl",
    "duplicate-driver",
    "duplicate-list",
    "duplicate-option",
    "duplicate-section",
    "include-cycle",
    "include-missing",
    "include-too-deep",
    "missing-driver",
    "unknown-driver",
    "unknown-option",
    "unknown-section",
    # sendmail: GNU m4 itself never finishes, or stops in proto.m4
    "expansion-limit",
    "m4-syntax",
}
ENGINE = {"input-error"}

_EMITTED = (
    re.compile(r'Diagnostic\(\s*(?:kind\s*=\s*)?"([a-z0-9-]+)"'),
    re.compile(r'\bkind\s*=\s*"([a-z0-9-]+)"'),
    re.compile(r'\bkind\s*=\s*"[a-z0-9-]+"\s+if\s[^\n]*\belse\s+"([a-z0-9-]+)"'),
)


def emitted_kinds() -> set[str]:
    kinds: set[str] = set()
    for path in (ROOT / "linter").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in _EMITTED:
            kinds.update(m.group(1) for m in pattern.finditer(text))
    return kinds


def _leaves(when: object):
    if isinstance(when, dict):
        if "fact" in when:
            yield when
        for key in ("all", "any"):
            for sub in when.get(key, []):
                yield from _leaves(sub)
        if "not" in when:
            yield from _leaves(when["not"])


def selected_kinds() -> set[str]:
    kinds: set[str] = set()
    for rule in builtin_rules():
        if rule.for_each != "diagnostics":
            continue
        for leaf in _leaves(rule.when):
            if leaf["fact"] != "item.kind":
                continue
            value = leaf.get("equals", leaf.get("in"))
            kinds.update(value if isinstance(value, list) else [value])
    return kinds


def test_the_scan_finds_the_kinds_it_should():
    kinds = emitted_kinds()
    assert {"quote-mistake", "build-dependent", "limit-exceeded", "unknown-option"} <= kinds


def test_every_emitted_kind_reaches_a_rule():
    dropped = emitted_kinds() - selected_kinds() - FATAL_ONLY - ENGINE
    assert not dropped, f"diagnostic kinds no rule selects (add a rule): {sorted(dropped)}"


def test_the_fatal_only_list_is_current():
    assert not FATAL_ONLY - emitted_kinds(), "FATAL_ONLY names kinds no longer emitted"
    assert not FATAL_ONLY & selected_kinds(), "a FATAL_ONLY kind has a rule of its own now"
