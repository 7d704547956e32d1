"""The ``when:`` language (linter/engine/conditions.py), one operator at a time.

Each operator is checked both ways (a value that satisfies it and one that does not) and on a
fact that does not exist. Expectations follow the README's rule language and the module's
own contract: a missing fact satisfies no operator but ``absent: true`` and ``empty: true``
(rules such as EX008 rely on an unset option being empty); numbers compare as numbers
whatever their type, ``equals`` compares without conversion.
"""

from __future__ import annotations

from typing import Any

import pytest

from linter.engine.conditions import (
    MAX_REGEX_LENGTH,
    MAX_SUBJECT_LENGTH,
    OPERATORS,
    ConditionError,
    LinearRegex,
    evaluate,
    leaf_paths,
)
from linter.facts import MISSING

# (operator, fact value, operand, holds)
CASES: list[tuple[str, Any, Any, bool]] = [
    ("equals", "encrypt", "encrypt", True),
    ("equals", "may", "encrypt", False),
    ("equals", "25", 25, False),  # no conversion: a port as text is not the number
    ("equals", MISSING, None, False),
    ("not_equals", "may", "encrypt", True),
    ("not_equals", "encrypt", "encrypt", False),
    ("not_equals", MISSING, "encrypt", False),
    ("in", "may", ["may", "encrypt"], True),
    ("in", "none", ["may", "encrypt"], False),
    ("in", MISSING, ["may"], False),
    ("not_in", "none", ["may", "encrypt"], True),
    ("not_in", "may", ["may", "encrypt"], False),
    ("not_in", MISSING, ["may"], False),
    # a text value: substring; a list: membership (not a substring of a member)
    ("contains", "permit_mynetworks, reject_unauth_destination", "reject_unauth", True),
    ("contains", "permit_mynetworks", "reject", False),
    ("contains", ["PLAIN", "LOGIN"], "LOGIN", True),
    ("contains", ["PLAINTEXT"], "PLAIN", False),
    ("contains", MISSING, "x", False),
    ("not_contains", ["CRAM-MD5"], "PLAIN", True),
    ("not_contains", ["PLAIN", "LOGIN"], "PLAIN", False),
    ("not_contains", MISSING, "PLAIN", False),
    ("contains_any", ["PLAIN", "CRAM-MD5"], ["LOGIN", "PLAIN"], True),
    ("contains_any", ["CRAM-MD5"], ["LOGIN", "PLAIN"], False),
    ("contains_any", "reject_unauth_destination", ["permit_auth", "unauth"], True),
    ("contains_any", MISSING, ["x"], False),
    ("matches", "TLSv1", r"^TLSv1(\.1)?$", True),
    ("matches", "TLSv1.2", r"^TLSv1(\.1)?$", False),
    ("matches", 25, r"^25$", True),  # the value is matched as text
    ("matches", None, r".*", False),
    ("matches", MISSING, r".*", False),
    ("not_matches", "TLSv1.2", r"^TLSv1(\.1)?$", True),
    ("not_matches", "TLSv1", r"^TLSv1(\.1)?$", False),
    ("not_matches", MISSING, r"x", False),
    ("absent", MISSING, True, True),
    ("absent", "", True, False),  # set to nothing is not absent
    ("absent", "", False, True),
    ("absent", MISSING, False, False),
    ("empty", "   ", True, True),  # blank text is empty
    ("empty", [], True, True),
    ("empty", {}, True, True),
    ("empty", None, True, True),
    ("empty", MISSING, True, True),
    ("empty", "x", True, False),
    ("empty", "x", False, True),
    ("empty", [], False, False),
    ("gt", "2048", 1024, True),  # numbers compare as numbers, text included
    ("gt", 1024, 1024, False),
    ("gt", True, 0, False),  # a boolean is not a number
    ("gt", "many", 0, False),
    ("gt", MISSING, 0, False),
    ("gte", 1024, 1024, True),
    ("gte", 1023, "1024", False),
    ("lt", 2.5, 3, True),
    ("lt", 3, 3, False),
    ("lt", MISSING, 3, False),
    ("lte", " 3 ", 3, True),  # surrounding blanks are ignored
    ("lte", 4, 3, False),
]


def holds(op: str, value: Any, operand: Any) -> bool:
    return evaluate({"fact": "x", op: operand}, lambda path: value if path == "x" else MISSING)


@pytest.mark.parametrize(("op", "value", "operand", "expected"), CASES)
def test_operator(op: str, value: Any, operand: Any, expected: bool) -> None:
    assert holds(op, value, operand) is expected


def test_every_operator_is_checked_both_ways() -> None:
    for op in OPERATORS:
        outcomes = {expected for name, _, _, expected in CASES if name == op}
        assert outcomes == {True, False}, op


def test_a_leaf_with_several_operators_needs_all_of_them() -> None:
    between = {"fact": "x", "gte": 1, "lte": 10}
    assert evaluate(between, lambda _: 5)
    assert not evaluate(between, lambda _: 11)
    assert not evaluate(between, lambda _: 0)


def test_unknown_operator_is_an_error() -> None:
    with pytest.raises(ConditionError, match="unknown operator 'resembles'"):
        evaluate({"fact": "x", "resembles": "y"}, lambda _: "y")


def test_bad_and_overlong_regexes_are_errors() -> None:
    with pytest.raises(ConditionError, match="invalid regex"):
        holds("matches", "a", "(")
    with pytest.raises(ConditionError, match=f"longer than {MAX_REGEX_LENGTH}"):
        holds("matches", "a", "a" * (MAX_REGEX_LENGTH + 1))
    assert holds("matches", "a" * MAX_REGEX_LENGTH, "a" * MAX_REGEX_LENGTH)


def test_a_custom_rules_regex_runs_on_re2() -> None:
    # Python's re takes the back-reference; RE2 cannot, so the custom form is refused
    assert holds("matches", "aa", r"(a)\1")
    with pytest.raises(ConditionError, match="linear time"):
        holds("matches", "aa", LinearRegex(r"(a)\1"))
    assert holds("matches", "TLSv1", LinearRegex(r"^TLSv1(\.1)?$"))


def test_only_the_first_characters_of_a_long_value_are_searched() -> None:
    value = "a" * MAX_SUBJECT_LENGTH + "needle"
    assert not holds("matches", value, "needle")
    assert holds("matches", value[-MAX_SUBJECT_LENGTH:], "needle")


FACTS = {"a": 1, "b": 2, "c": 3}


def get(path: str) -> Any:
    return FACTS.get(path, MISSING)


def test_all_any_not() -> None:
    one, two, nine = ({"fact": f, "equals": v} for f, v in (("a", 1), ("b", 2), ("c", 9)))
    assert evaluate({"all": [one, two]}, get)
    assert not evaluate({"all": [one, nine]}, get)
    assert evaluate({"any": [nine, two]}, get)
    assert not evaluate({"any": [nine, {"not": one}]}, get)
    assert evaluate({"not": nine}, get)
    assert not evaluate({"not": {"all": [one, two]}}, get)


def test_a_missing_fact_satisfies_only_absent_and_empty() -> None:
    # one operand per operator that the operator would accept for some value
    operands = {"in": ["x"], "not_in": ["x"], "contains_any": ["x"], "absent": True}
    operands |= {"empty": True, "matches": "", "not_matches": "x", "gt": 0, "gte": 0}
    operands |= {"lt": 9, "lte": 9, "equals": "x", "not_equals": "x", "contains": "x"}
    operands |= {"not_contains": "x"}
    assert set(operands) == set(OPERATORS)
    held = {op for op, operand in operands.items() if holds(op, MISSING, operand)}
    assert held == {"absent", "empty"}
    # so a negation of any other leaf on a missing fact holds: "not equal" is not "not_equals"
    assert evaluate({"not": {"fact": "nowhere", "not_equals": "x"}}, get)
    assert not evaluate({"fact": "nowhere", "not_equals": "x"}, get)
    assert not evaluate({"fact": "nowhere", "empty": False}, get)


def test_hits_name_the_leaves_that_held() -> None:
    one, two, nine = ({"fact": f, "equals": v} for f, v in (("a", 1), ("b", 2), ("c", 9)))
    hits: list[str] = []
    assert evaluate({"all": [one, {"any": [nine, two]}]}, get, hits)
    assert hits == ["a", "b"]  # the alternative that matched, not the first one listed

    hits = []
    assert not evaluate({"all": [one, nine]}, get, hits)
    assert hits == []  # nothing from a condition that failed as a whole

    hits = []
    assert evaluate({"all": [one, {"not": nine}]}, get, hits)
    assert hits == ["a"]  # a negation locates nothing


def test_leaf_paths_in_order() -> None:
    condition = {
        "all": [
            {"fact": "item.port", "equals": 25},
            {"any": [{"fact": "item.tls", "equals": "none"}, {"not": {"fact": "item.auth"}}]},
        ]
    }
    assert leaf_paths(condition) == ["item.port", "item.tls", "item.auth"]
