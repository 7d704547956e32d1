"""The declarative ``when`` language of rules.

A condition is ``{all: [...]}``, ``{any: [...]}``, ``{not: cond}`` or a leaf
``{fact: PATH, <operator>: operand}``. Paths are dotted (``posture.outbound.tls``,
``item.port``, ``postfix.param.relayhost``); ``item`` is the element of the rule's
``for_each`` collection. Operators are listed in ``OPERATORS``.

A fact that does not exist (MISSING: never set, or a resolver that cannot tell)
satisfies exactly two leaves: ``absent: true`` and ``empty: true``. Every other operator,
negative ones included (``not_equals``, ``not_in``, ``not_contains``, ``not_matches``), is
false on it, so ``not: {fact: F, ...}`` around any of them is true. Rules rely on the
``empty`` case: an option left unset is as empty as one set to nothing (EX008 on
``tls_certificate``, EX021 on a transport's DANE and TLS host lists); use ``absent`` to
tell the two apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from linter.facts import MISSING

MAX_REGEX_LENGTH = 300
MAX_SUBJECT_LENGTH = 20_000


class ConditionError(Exception):
    """A ``when:`` condition that is malformed (unknown operator, bad regex, ...)."""


class LinearRegex(str):
    """A regex from a custom rule: run by RE2, whose time is linear in the subject.

    Python's re backtracks, and no check of a pattern's shape catches every pattern that
    backtracks exponentially (``^((a+))+$``, ``(a|a)*``, ``(\\w+\\s?)+``). Built-in
    rules are reviewed and tested, and keep re (two of them need look-aheads, which RE2
    lacks); a rule folder a user adds gets RE2. A ``str``, so rules stay plain data.
    """

    __slots__ = ()


@lru_cache(maxsize=512)
def compiled(pattern: str) -> re.Pattern[str]:
    """A built-in rule's regex (Python's re)."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ConditionError(f"regex longer than {MAX_REGEX_LENGTH} characters")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ConditionError(f"invalid regex {pattern!r}: {exc}") from None


@lru_cache(maxsize=512)
def compiled_linear(pattern: str) -> Any:
    """A custom rule's regex (RE2); ConditionError, with RE2's reason, for a pattern RE2
    cannot run (look-arounds, back-references, ...). RE2 is imported only here: start-up
    without custom regexes does not pay for it."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise ConditionError(f"regex longer than {MAX_REGEX_LENGTH} characters")
    try:
        import re2
    except ImportError:
        raise ConditionError(
            f"regex {pattern!r}: custom rules' regexes need the google-re2 package"
        ) from None
    options = re2.Options()
    options.log_errors = False  # the reason goes into the message, not to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise ConditionError(
            f"regex {pattern!r} cannot run in linear time (RE2): {reason}; custom rules "
            "cannot use look-arounds or back-references"
        ) from None


def regex(operand: Any) -> Any:
    """The compiled form of a ``matches`` operand, by the engine its rule is given."""
    if isinstance(operand, LinearRegex):
        return compiled_linear(str(operand))
    return compiled(str(operand))


def _as_list(value: Any) -> list[Any]:
    if value is MISSING or value is None:
        return []
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _compare(op: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def check(value: Any, operand: Any) -> bool:
        a, b = _num(value), _num(operand)
        return a is not None and b is not None and op(a, b)

    return check


def _matches(value: Any, operand: Any) -> bool:
    if value is MISSING or value is None:
        return False
    return regex(operand).search(str(value)[:MAX_SUBJECT_LENGTH]) is not None


def _contains(value: Any, operand: Any) -> bool:
    if isinstance(value, str):
        return str(operand) in value
    return operand in _as_list(value)


def _empty(value: Any, operand: Any) -> bool:
    is_empty = value is MISSING or value is None or value == "" or value == [] or value == {}
    if isinstance(value, str):
        is_empty = value.strip() == ""
    return is_empty == bool(operand)


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda v, o: v is not MISSING and v == o,
    "not_equals": lambda v, o: v is not MISSING and v != o,
    "in": lambda v, o: v is not MISSING and v in o,
    "not_in": lambda v, o: v is not MISSING and v not in o,
    "contains": _contains,
    "not_contains": lambda v, o: v is not MISSING and not _contains(v, o),
    "contains_any": lambda v, o: any(_contains(v, x) for x in o),
    "matches": _matches,
    "not_matches": lambda v, o: v is not MISSING and not _matches(v, o),
    "absent": lambda v, o: (v is MISSING) == bool(o),
    "empty": _empty,
    "gt": _compare(lambda a, b: a > b),
    "gte": _compare(lambda a, b: a >= b),
    "lt": _compare(lambda a, b: a < b),
    "lte": _compare(lambda a, b: a <= b),
}


def leaf_paths(condition: dict[str, Any]) -> list[str]:
    """The fact paths a condition reads, in order (the first one locates a finding)."""
    if "fact" in condition:
        return [condition["fact"]]
    out: list[str] = []
    for key in ("all", "any"):
        for sub in condition.get(key, []):
            out.extend(leaf_paths(sub))
    if "not" in condition:
        out.extend(leaf_paths(condition["not"]))
    return out


def evaluate(
    condition: dict[str, Any], get: Callable[[str], Any], hits: list[str] | None = None
) -> bool:
    """Evaluate ``condition``; the paths of the leaves that held are appended to ``hits``
    (so a finding can point at the alternative that matched, not just the first one)."""
    if "all" in condition:
        found: list[str] = []
        if all(evaluate(c, get, found) for c in condition["all"]):
            if hits is not None:
                hits.extend(found)
            return True
        return False
    if "any" in condition:
        for c in condition["any"]:
            found = []
            if evaluate(c, get, found):
                if hits is not None:
                    hits.extend(found)
                return True
        return False
    if "not" in condition:
        return not evaluate(condition["not"], get, None)
    value = get(condition["fact"])
    for name, operand in condition.items():
        if name == "fact":
            continue
        op = OPERATORS.get(name)
        if op is None:
            raise ConditionError(f"unknown operator {name!r}")
        if not op(value, operand):
            return False
    if hits is not None:
        hits.append(condition["fact"])
    return True
