"""Postfix ``$name`` expansion, as in ``mac_parse.c`` / ``mac_expand.c`` (postconf(5)).

Forms: ``$name``, ``${name}``, ``$(name)``, ``$$``, ``${name?value}``, ``${name:value}``,
``${name?{value1}:{value2}}``, ``${{a} == {b} ? {t} : {f}}`` (relational operators
``== != < <= >= >``, numeric when both sides are all digits, and ``<level <=level >level
>=level`` comparing compatibility levels, where 3.10 is above 3.9). Undefined names expand to
the empty string and are reported, like ``postconf`` does.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z0-9_]+")
# longest first; the "level" forms compare compatibility levels (Postfix 3.6)
_RELOPS = ("<=level", ">=level", "<level", ">level", "==", "!=", "<=", ">=", "<", ">")
MAX_DEPTH = 100  # mac_expand's limit on nested macro calls


class ExpandError(Exception):
    pass


@dataclass
class Expansion:
    value: str
    references: set[str] = field(default_factory=set)
    undefined: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)


Lookup = Callable[[str], str | None]


def references(text: str) -> set[str]:
    """Names referenced by ``text`` without evaluating anything (syntax only)."""
    names: set[str] = set()
    with contextlib.suppress(ExpandError):
        _scan(text, names)
    return names


def _scan(text: str, names: set[str]) -> None:
    i = 0
    while True:
        i = text.find("$", i)
        if i < 0 or i + 1 >= len(text):
            return
        nxt = text[i + 1]
        if nxt == "$":
            i += 2
        elif nxt in "{(":
            end = _matching(text, i + 1)
            inner = text[i + 2 : end]
            m = _NAME.match(inner)
            if m:
                names.add(m.group())
                _scan(inner[m.end() :], names)
            else:
                _scan(inner, names)
            i = end + 1
        else:
            m = _NAME.match(text, i + 1)
            if m:
                names.add(m.group())
                i = m.end()
            else:
                i += 1


def _matching(text: str, open_at: int) -> int:
    """Index of the bracket closing the one at ``open_at``; only the same kind nests."""
    opener = text[open_at]
    closer = "}" if opener == "{" else ")"
    depth = 0
    for j in range(open_at, len(text)):
        c = text[j]
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return j
    raise ExpandError(f'truncated macro reference: "{text[open_at - 1 :]}"')


def expand(text: str, lookup: Lookup) -> Expansion:
    result = Expansion("")
    try:
        result.value = _Expander(lookup, result).expand(text, 0)
    except ExpandError as exc:
        result.errors.append(str(exc))
        result.value = text
    return result


class _Expander:
    def __init__(self, lookup: Lookup, result: Expansion) -> None:
        self.lookup = lookup
        self.result = result

    def value_of(self, name: str, depth: int) -> str:
        self.result.references.add(name)
        raw = self.lookup(name)
        if raw is None:
            self.result.undefined.add(name)
            return ""
        return self.expand(raw, depth + 1)

    def is_set(self, name: str) -> bool:
        """``${name?...}`` / ``${name:...}`` test the raw value, unexpanded (mac_expand)."""
        self.result.references.add(name)
        raw = self.lookup(name)
        if raw is None:
            self.result.undefined.add(name)
            return False
        return raw != ""

    def expand(self, text: str, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise ExpandError(f'unreasonable macro call nesting: "{text}"')
        out: list[str] = []
        i = 0
        n = len(text)
        while i < n:
            j = text.find("$", i)
            if j < 0:
                out.append(text[i:])
                break
            out.append(text[i:j])
            if j + 1 >= n:
                raise ExpandError(f'empty macro name: "{text[j:]}"')
            nxt = text[j + 1]
            if nxt == "$":
                out.append("$")
                i = j + 2
            elif nxt in "{(":
                end = _matching(text, j + 1)
                out.append(self.braced(text[j + 2 : end], depth))
                i = end + 1
            else:
                m = _NAME.match(text, j + 1)
                if not m:
                    raise ExpandError(f'empty macro name: "{text[j:]}"')
                out.append(self.value_of(m.group(), depth))
                i = m.end()
        return "".join(out)

    def braced(self, inner: str, depth: int) -> str:
        stripped = inner.lstrip()
        if stripped.startswith("{"):
            return self.relational(stripped, depth)
        m = _NAME.match(inner)
        if not m:
            raise ExpandError(f'empty macro name: "{inner}"')
        name = m.group()
        rest = inner[m.end() :]
        if not rest:
            return self.value_of(name, depth)
        op, rest = rest[0], rest[1:]
        if op == "?":
            when_set, otherwise = self.arms(rest, allow_else=True)
            if self.is_set(name):
                return self.expand(when_set, depth + 1)
            return self.expand(otherwise, depth + 1) if otherwise is not None else ""
        if op == ":":
            value, _ = self.arms(rest, allow_else=False)
            if not self.is_set(name):
                return self.expand(value, depth + 1)
            return ""
        if op == "{":
            # ${name{value}}: a built-in function call (Postfix 3.11); evaluated to its
            # argument, since functions only normalise text (e.g. domain_to_ascii).
            arg = "{" + rest
            value, _ = self.arms(arg, allow_else=False)
            self.result.references.add(name)
            return self.expand(value, depth + 1)
        raise ExpandError(f'unknown operator "{op}" in macro "{inner}"')

    @staticmethod
    def arms(rest: str, allow_else: bool) -> tuple[str, str | None]:
        """Split ``value``, ``{value}`` or ``{v1}:{v2}`` / ``{v1}:v2``."""
        text = rest.strip()
        if not text.startswith("{"):
            return rest, None
        end = _matching(text, 0)
        first = text[1:end].strip()
        tail = text[end + 1 :].strip()
        if not tail:
            return first, None
        if allow_else and tail.startswith(":"):
            second = tail[1:].strip()
            if second.startswith("{"):
                close = _matching(second, 0)
                if second[close + 1 :].strip():
                    raise ExpandError(f'unexpected text after "}}": "{second[close + 1 :]}"')
                second = second[1:close].strip()
            return first, second
        raise ExpandError(f'unexpected text after "}}": "{tail}"')

    def relational(self, text: str, depth: int) -> str:
        end = _matching(text, 0)
        left = self.expand(text[1:end].strip(), depth + 1)
        rest = text[end + 1 :].lstrip()
        op = next((o for o in _RELOPS if rest.startswith(o)), None)
        if op is None:
            raise ExpandError(f'missing relational operator in "{text}"')
        rest = rest[len(op) :].lstrip()
        if not rest.startswith("{"):
            raise ExpandError(f'"{{" expected after "{op}" in "{text}"')
        end = _matching(rest, 0)
        right = self.expand(rest[1:end].strip(), depth + 1)
        outcome = _compare(left, op, right)
        tail = rest[end + 1 :].strip()
        if not tail:
            return "1" if outcome else ""
        when_true: str | None = None
        when_false: str | None = None
        if tail.startswith("?"):
            when_true, when_false = self.arms(tail[1:], allow_else=True)
        elif tail.startswith(":"):
            when_false, _ = self.arms(tail[1:], allow_else=False)
        else:
            raise ExpandError(f'unexpected text "{tail}" in "{text}"')
        chosen = when_true if outcome else when_false
        return self.expand(chosen, depth + 1) if chosen is not None else ""


def _level(text: str) -> tuple[int, ...]:
    parts = []
    for part in (text.strip() or "0").split("."):
        parts.append(int(part) if part.isdecimal() else 0)
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


def _compare(left: str, op: str, right: str) -> bool:
    if op.endswith("level"):
        la, lb = _level(left), _level(right)
        base = op[: -len("level")]
        return {"<": la < lb, "<=": la <= lb, ">": la > lb, ">=": la >= lb}[base]
    a: int | str = left
    b: int | str = right
    if left.isdecimal() and right.isdecimal():
        a, b = int(left), int(right)
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "<":
        return a < b  # type: ignore[operator]
    if op == "<=":
        return a <= b  # type: ignore[operator]
    if op == ">":
        return a > b  # type: ignore[operator]
    return a >= b  # type: ignore[operator]
