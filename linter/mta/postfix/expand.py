"""Postfix ``$name`` expansion, as in ``mac_parse.c`` / ``mac_expand.c`` (postconf(5)).

Forms: ``$name``, ``${name}``, ``$(name)``, ``$$``, ``${name?value}``, ``${name:value}``,
``${name?{value1}:{value2}}``, ``${{a} == {b} ? {t} : {f}}`` (relational operators
``== != < <= >= >``, numeric when both sides are all digits, and ``<level <=level >level
>=level`` comparing compatibility levels, where 3.10 is above 3.9). Undefined names expand to
the empty string and are reported, like ``postconf`` does.

Postfix puts no bound on the size of an expansion; mtalint does (:class:`Budget`): one
expanded value may not grow past a size, and all expansions of one configuration together
may not produce more than a total. Expanding a name that reaches either raises
:class:`LimitReached`, and its value is then unknown. Each name's expansion is computed once
per lookup context (:class:`Memo`), so ten references to a name cost one expansion.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from linter.mta.postfix.params import parse_level

_NAME = re.compile(r"[A-Za-z0-9_]+")
# longest first; the "level" forms compare compatibility levels (Postfix 3.6)
_RELOPS = ("<=level", ">=level", "<level", ">level", "==", "!=", "<=", ">=", "<", ">")
MAX_DEPTH = 100  # mac_expand's limit on nested macro calls


class ExpandError(Exception):
    pass


class LimitReached(Exception):
    """An expansion reached a :class:`Budget` bound; its value is unknown."""

    def __init__(self, limit: str, amount: int, name: str | None = None) -> None:
        super().__init__(limit)
        self.limit = limit  # the Limits field: postfix_expansion_size or _work
        self.amount = amount  # the bound in force
        self.name = name  # the innermost parameter whose expansion reached it


@dataclass
class Budget:
    """Bounds on expansion: ``size`` characters for one value (or its own text, if
    longer), ``work`` characters produced by all expansions that share the budget."""

    size: int
    work: int
    spent: int = 0


@dataclass(frozen=True, slots=True)
class _Memo:
    value: str
    references: frozenset[str]
    undefined: frozenset[str]
    nesting: int  # the levels of nesting the expansion used, for MAX_DEPTH


@dataclass
class Memo:
    """Expansions of names already computed in one lookup context.

    ``shared`` is the main.cf context's memo, used by a master.cf service's context for
    names whose expansion looked up nothing the service overrides (``overridden``).
    """

    entries: dict[str, _Memo | LimitReached] = field(default_factory=dict)
    shared: Memo | None = None
    overridden: frozenset[str] = frozenset()


@dataclass
class Expansion:
    value: str
    references: set[str] = field(default_factory=set)
    undefined: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    # set when a bound was reached: the value is then unknown (``value`` holds the text)
    limit: LimitReached | None = None


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


# bounds for callers that give none: far above any real configuration
DEFAULT_SIZE = 1_000_000
DEFAULT_WORK = 50_000_000


def expand(
    text: str, lookup: Lookup, budget: Budget | None = None, memo: Memo | None = None
) -> Expansion:
    """``text`` expanded with ``lookup``; errors and reached bounds are in the result."""
    result = Expansion("")
    expander = _Expander(lookup, result, budget or Budget(DEFAULT_SIZE, DEFAULT_WORK), memo)
    try:
        result.value = expander.expand(text, 0)
    except ExpandError as exc:
        result.errors.append(str(exc))
        result.value = text
    except LimitReached as exc:
        result.limit = exc
        result.value = text
    return result


class _Expander:
    def __init__(self, lookup: Lookup, result: Expansion, budget: Budget, memo: Memo | None):
        self.lookup = lookup
        self.result = result
        self.budget = budget
        self.memo = memo if memo is not None else Memo()
        self.deepest = 0  # the deepest nesting reached so far

    def value_of(self, name: str, depth: int) -> str:
        self.result.references.add(name)
        known = self._remembered(name, depth)
        if isinstance(known, LimitReached):
            raise known
        if known is not None:
            self.result.references |= known.references
            self.result.undefined |= known.undefined
            self.deepest = max(self.deepest, depth + known.nesting)
            return known.value
        raw = self.lookup(name)
        if raw is None:
            self.result.undefined.add(name)
            return ""
        # expand with fresh sets, so the memo records what this name alone looked up
        outer = (self.result.references, self.result.undefined, self.deepest)
        self.result.references, self.result.undefined, self.deepest = set(), set(), depth
        try:
            value = self.expand(raw, depth + 1)
        except LimitReached as exc:
            if exc.name is None:
                exc.name = name
            self.memo.entries[name] = exc
            raise
        finally:
            references, undefined, deepest = (
                self.result.references,
                self.result.undefined,
                self.deepest,
            )
            self.result.references = outer[0] | references
            self.result.undefined = outer[1] | undefined
            self.deepest = max(outer[2], deepest)
        self.memo.entries[name] = _Memo(
            value, frozenset(references), frozenset(undefined), deepest - depth
        )
        return value

    def _remembered(self, name: str, depth: int) -> _Memo | LimitReached | None:
        """A usable earlier expansion of ``name``: same context, or the shared one when
        nothing it looked up is overridden here."""
        memo = self.memo
        entry = memo.entries.get(name)
        if entry is None and memo.shared is not None and name not in memo.overridden:
            shared = memo.shared.entries.get(name)
            if isinstance(shared, _Memo) and not (shared.references & memo.overridden):
                entry = shared
        if isinstance(entry, _Memo) and depth + entry.nesting > MAX_DEPTH:
            return None  # deeper here than when remembered: expand again (and fail the same)
        return entry

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
        self.deepest = max(self.deepest, depth)
        out: list[str] = []
        size = 0  # characters in ``out``, checked before they are joined
        limit = max(self.budget.size, n := len(text))
        i = 0
        while i < n:
            j = text.find("$", i)
            if j < 0:
                piece = text[i:]
                i = n
            else:
                out.append(text[i:j])
                size += j - i
                if j + 1 >= n:
                    raise ExpandError(f'empty macro name: "{text[j:]}"')
                nxt = text[j + 1]
                if nxt == "$":
                    piece = "$"
                    i = j + 2
                elif nxt in "{(":
                    end = _matching(text, j + 1)
                    piece = self.braced(text[j + 2 : end], depth)
                    i = end + 1
                else:
                    m = _NAME.match(text, j + 1)
                    if not m:
                        raise ExpandError(f'empty macro name: "{text[j:]}"')
                    piece = self.value_of(m.group(), depth)
                    i = m.end()
            out.append(piece)
            size += len(piece)
            if size > limit:
                raise LimitReached("postfix_expansion_size", limit)
            if self.budget.spent + size > self.budget.work:
                raise LimitReached("postfix_expansion_work", self.budget.work)
        self.budget.spent += size
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


_LONG_MAX = 2**63 - 1
_ALL_DIGITS = re.compile(r"[0-9]+")


def _level(text: str) -> tuple[int, ...]:
    level = parse_level(text)
    if level is None:
        # compat_level_from_string(): a warning, then mac_expand fails
        raise ExpandError(f'malformed compatibility level syntax: "{_shown(text)}"')
    return level


def _number(text: str) -> int:
    """An all-digit operand as mac_exp_eval reads it: strtol(), refused past LONG_MAX;
    the length is checked before int() (which refuses over 4,300 digits)."""
    digits = text.lstrip("0")
    if len(digits) > 19 or (digits and int(digits) > _LONG_MAX):
        raise ExpandError(f"mac_exp_eval: bad conversion: {_shown(text)}")
    return int(digits or "0")


def _shown(text: str) -> str:
    """``text`` for a message, shortened when long."""
    return text if len(text) <= 100 else text[:100] + "..."


def _compare(left: str, op: str, right: str) -> bool:
    if op.endswith("level"):
        la, lb = _level(left), _level(right)
        base = op[: -len("level")]
        return {"<": la < lb, "<=": la <= lb, ">": la > lb, ">=": la >= lb}[base]
    a: int | str = left
    b: int | str = right
    # alldig(): ASCII digits only
    if _ALL_DIGITS.fullmatch(left) and _ALL_DIGITS.fullmatch(right):
        a, b = _number(left), _number(right)
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
