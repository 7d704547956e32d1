"""Policies every rule follows beyond the schema: a fix in each MTA's own syntax."""

from __future__ import annotations

import pytest

from linter.engine.rules import builtin_rules

SYNTAXES = ("postfix", "exim", "sendmail")
CROSS_MTA = [
    r
    for r in builtin_rules()
    if not r.builtin and r.id.startswith("MTA") and r.for_each != "diagnostics"
]


def test_there_are_cross_mta_rules():
    assert len(CROSS_MTA) >= 20


@pytest.mark.parametrize("rule", CROSS_MTA, ids=lambda r: r.id)
def test_a_cross_mta_rule_says_the_fix_in_each_mtas_syntax(rule):
    wanted = [m for m in SYNTAXES if "any" in rule.applies_to or m in rule.applies_to]
    missing = [m for m in wanted if m not in rule.fix]
    assert not missing, f"{rule.id}: no fix in the syntax of {', '.join(missing)}"
