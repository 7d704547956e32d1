"""One cause, one finding: a rule that ``supersedes`` others speaks alone for that cause.

For every declared pair, one of the superseding rule's own trigger cases must make the
superseded rule fire when run alone (so the declaration is not dead) and not fire when
both run (so the engine honours it).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

RULES = builtin_rules(with_tests=True)
BY_ID = {r.id: r for r in RULES}
PAIRS = [(rule, other) for rule in RULES for other in rule.supersedes]


def _fired(case: dict, select: list[str]) -> set[str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in case["files"].items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        roles = case.get("roles")
        result = check([root], RULES, Selection(select=select), Options(roles=roles))
    return {f.rule for f in result.findings}


def test_some_rules_supersede_others():
    assert len(PAIRS) >= 5


@pytest.mark.parametrize(("rule", "other"), PAIRS, ids=lambda v: getattr(v, "id", v))
def test_superseded_rule_would_fire_and_is_dropped(rule, other):
    assert other in BY_ID, f"{rule.id} supersedes unknown rule {other}"
    cases = [c for c in rule.tests if c.get("expect") == "trigger" and "dns" not in c]
    proven = [
        c["name"]
        for c in cases
        if other in _fired(c, [other]) and _fired(c, [rule.id, other]) == {rule.id}
    ]
    assert proven, (
        f"no trigger case of {rule.id} makes {other} fire alone and be dropped beside {rule.id}: "
        "add one, or remove the supersedes entry"
    )
