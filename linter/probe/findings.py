"""The probe's facts judged by the rules in ``rules/probe/``.

Those rules are marked ``builtin: true`` so that ``mtalint check`` (whose runner skips
built-in rules) and the generic rule test (which proves a rule on configuration files)
leave them alone: they judge a live server, not files. Here they run through the same
engine as every other rule, on the ``probe.*`` facts; tests/probe/test_probe.py proves each
one both ways against real servers.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from linter.engine.rules import Rule, builtin_rules
from linter.engine.runner import Selection, run_rules
from linter.facts import Facts
from linter.findings import Finding
from linter.resources import rules_dir


def probe_rules() -> list[Rule]:
    folder = (rules_dir() / "probe").resolve()
    return [
        replace(r, builtin=False)
        for r in builtin_rules()
        if r.when is not None and Path(r.path).resolve().parent == folder
    ]


def judge(facts: Facts, selection: Selection | None = None) -> list[Finding]:
    findings = run_rules("probe", facts, probe_rules(), selection or Selection(), [])
    return sorted(findings, key=lambda f: f.sort_key())
