"""What a superseding finding about the whole set (a rule without ``for_each``) hides.

It speaks only for the findings that rest on a line it rests on: its own line or the
line of a fact it matched. A finding about another setting, on lines of its own, is
another problem and stays. (Rules with ``for_each`` speak for their subject and its
lines; tests/providers/test_supersedes_same_route.py covers those.)
"""

from __future__ import annotations

from typing import Any

from linter.engine.rules import rule_from_data
from linter.engine.runner import Selection, run_rules
from linter.facts import Facts
from linter.source import Span


def _rule(rule_id: str, when: dict[str, Any], **extra: Any) -> Any:
    data = {
        "id": rule_id,
        "title": rule_id,
        "severity": "warning",
        "applies_to": ["any"],
        "message": rule_id,
        "when": when,
        **extra,
    }
    return rule_from_data(data, f"{rule_id}.yaml")


def _facts(**lines: int) -> Facts:
    """Facts ``conf.NAME = true`` each set on its line of main.cf, and a listener whose
    ``weak`` flag rests on the line ``listener_weak`` names."""
    facts = Facts()
    facts.default_span = Span("main.cf", 1)
    listener_line = lines.pop("listener_weak", None)
    for name, line in lines.items():
        facts.set(f"conf.{name}", True, Span("main.cf", line))
    facts.set("listeners", [{"name": "smtp", "weak": True}])
    if listener_line is not None:
        facts.locate("listeners[0].weak", Span("main.cf", listener_line))
    return facts


def _run(facts: Facts, rules: list[Any]) -> list[tuple[str, int]]:
    findings = run_rules("postfix", facts, rules, Selection(), [])
    return sorted((f.rule, f.span.line) for f in findings)


SUPERSEDING = _rule("T001", {"fact": "conf.client_list", "equals": True}, supersedes=["T002"])


def test_a_finding_about_another_setting_stays():
    facts = _facts(client_list=5, server_list=2)
    other = _rule("T002", {"fact": "conf.server_list", "equals": True})
    assert _run(facts, [SUPERSEDING, other]) == [("T001", 5), ("T002", 2)]


def test_a_finding_on_the_same_line_is_spoken_for():
    facts = _facts(client_list=5)
    same = _rule("T002", {"fact": "conf.client_list", "equals": True})
    assert _run(facts, [same]) == [("T002", 5)]
    assert _run(facts, [SUPERSEDING, same]) == [("T001", 5)]


def test_a_finding_resting_on_a_line_the_superseding_one_matched_is_spoken_for():
    # T001 sits on line 3 and rests on line 5 too; T002 sits on line 7 and rests on 5
    facts = _facts(auth=3, client_list=5, tls=7)
    superseding = _rule(
        "T001",
        {
            "all": [
                {"fact": "conf.auth", "equals": True},
                {"fact": "conf.client_list", "equals": True},
            ]
        },
        supersedes=["T002"],
    )
    other = _rule(
        "T002",
        {
            "all": [
                {"fact": "conf.tls", "equals": True},
                {"fact": "conf.client_list", "equals": True},
            ]
        },
    )
    assert _run(facts, [other]) == [("T002", 7)]
    assert _run(facts, [superseding, other]) == [("T001", 3)]


def test_a_listener_finding_on_another_line_stays():
    facts = _facts(client_list=5, listener_weak=2)
    per_listener = _rule("T002", {"fact": "item.weak", "equals": True}, for_each="listeners")
    assert _run(facts, [SUPERSEDING, per_listener]) == [("T001", 5), ("T002", 2)]


def test_a_listener_finding_on_the_superseding_line_is_spoken_for():
    facts = _facts(client_list=5, listener_weak=5)
    per_listener = _rule("T002", {"fact": "item.weak", "equals": True}, for_each="listeners")
    assert _run(facts, [per_listener]) == [("T002", 5)]
    assert _run(facts, [SUPERSEDING, per_listener]) == [("T001", 5)]
