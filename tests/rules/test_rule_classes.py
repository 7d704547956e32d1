"""Severity that means something: every error rule names its class, and the schema says so.

The policy (README, "What a finding means"): an error is exploitable or broken now. Each
rule at severity error states which in its YAML (``class: exploitable`` or ``class:
broken``); warnings and notes carry no class, since theirs is the severity itself.
"""

from __future__ import annotations

import copy

import pytest

from linter.engine.rules import builtin_rules, read_rule_file, rule_files, rules_dir, validate

RULES = builtin_rules(with_tests=True)
ERRORS = [r for r in RULES if r.severity == "error"]


def test_there_are_error_rules_of_both_classes():
    classes = {r.severity_class for r in ERRORS}
    assert classes == {"exploitable", "broken"}, classes


@pytest.mark.parametrize("rule", ERRORS, ids=lambda r: r.id)
def test_an_error_rule_names_its_class(rule):
    assert rule.severity_class in ("exploitable", "broken"), (
        f"{rule.id} is an error: say whether it is exploitable or broken now (class:)"
    )


@pytest.mark.parametrize("rule", [r for r in RULES if r.severity != "error"], ids=lambda r: r.id)
def test_only_errors_carry_a_class(rule):
    assert not rule.severity_class, f"{rule.id} is a {rule.severity} but has class:"


def test_the_schema_requires_the_class_of_an_error_and_only_there():
    path = next(p for p in rule_files(rules_dir()) if p.stem == "MTA001")
    data = read_rule_file(path)
    assert validate(data, str(path)) == []
    unclassed = copy.deepcopy(data)
    del unclassed["class"]
    assert any("'class' is a required property" in e for e in validate(unclassed, str(path)))
    wrong = {**copy.deepcopy(data), "class": "bad"}
    assert validate(wrong, str(path))
    downgraded = {**copy.deepcopy(data), "severity": "warning"}
    assert validate(downgraded, str(path)), "a warning with class: must not validate"
