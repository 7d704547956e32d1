"""What Exim does with its run-time configuration.

Transcribes the section readers of Exim 4.96's ``readconf.c`` and ``acl.c`` over the
logical lines of :mod:`linter.mta.exim.parse`: main options (``readconf_handle_option``
with its types and messages), named lists, routers / transports / authenticators
(``readconf_driver_init``), ACLs (``acl_read``), retry and rewrite rules. Every value
keeps its provenance (the span that set it, or Debian's default) and the text ``exim
-bP`` would print for it. Diagnostics use Exim's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.limits import saturated
from linter.mta.exim import options as table
from linter.mta.exim.parse import (
    WS,
    LogicalLine,
    Reader,
    isalnum,
    isalpha,
    isdigit,
    isupper,
    read_name,
    skip_ws,
)
from linter.mta.exim.values import Expansion, dequote, parse_expansion, printable
from linter.source import Span

INT_MAX = 2**31 - 1
ARITH_MAX = 2**63 - 1
MAX_NAMED_LIST = 16
BOOL_TYPES = ("bool",)
# router booleans that set their _sender and _recipient forms and are not printed
BOOL_VERIFY = frozenset({"verify", "fail_verify"})
VERBS = ("accept", "defer", "deny", "discard", "drop", "require", "warn")
SECTIONS = ("acls", "authenticators", "local_scans", "retrys", "rewrites", "routers", "transports")
LIST_TYPES = {
    "domainlist": "domain list",
    "hostlist": "host list",
    "addresslist": "address list",
    "localpartlist": "local part list",
}
# options that may be set more than once: concatenated as an "and" (condition) or a list
REPEATABLE = {
    ("routers", "condition"): "and",
    ("routers", "headers_add"): "\n",
    ("routers", "headers_remove"): ":",
    ("routers", "set"): ";",
    ("transports", "headers_add"): "\n",
    ("transports", "headers_remove"): ":",
}


@dataclass(slots=True)
class Setting:
    """One option as the configuration sets it (or its default)."""

    name: str
    type: str
    value: str  # what Exim stores: dequoted string, "true"/"false", number as written
    printed: str  # as ``exim -bP`` prints it ("true"/"false" for booleans)
    span: Span | None  # the logical line; None for a default
    value_span: Span | None = None
    hidden: bool = False
    origin: str = "config"  # "config" or "default"

    def expansion(self) -> Expansion:
        """The string-expansion tree of the stored value (not evaluated)."""
        return parse_expansion(self.value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.printed}
        if self.span is not None:
            out["line"] = self.span.line
            out["path"] = self.span.path
        if self.hidden:
            out["hidden"] = True
        if self.origin != "config":
            out["origin"] = self.origin
        return out


@dataclass(slots=True)
class NamedList:
    type: str  # domainlist, hostlist, addresslist, localpartlist
    name: str
    value: str
    span: Span
    hidden: bool = False
    cache: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "value": self.value,
            "hidden": self.hidden,
            "line": self.span.line,
            "path": self.span.path,
        }


@dataclass
class Driver:
    kind: str  # router, transport, authenticator
    name: str
    span: Span
    driver: str | None = None
    options: dict[str, Setting] = field(default_factory=dict)
    known: bool = False  # the driver exists in some Exim build

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "driver": self.driver,
            "line": self.span.line,
            "path": self.span.path,
            "options": {n: s.to_dict() for n, s in self.options.items()},
        }


@dataclass(slots=True)
class AclCondition:
    name: str
    value: str | None  # None for endpass
    negated: bool
    modifier: bool
    span: Span

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "value": self.value, "line": self.span.line}
        if self.negated:
            out["negated"] = True
        if self.modifier:
            out["modifier"] = True
        return out


@dataclass
class AclStatement:
    verb: str
    span: Span
    conditions: list[AclCondition] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "line": self.span.line,
            "conditions": [c.to_dict() for c in self.conditions],
        }


@dataclass
class Acl:
    name: str
    span: Span
    statements: list[AclStatement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "line": self.span.line,
            "path": self.span.path,
            "statements": [s.to_dict() for s in self.statements],
        }


@dataclass(slots=True)
class RawLine:
    text: str
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "line": self.span.line, "path": self.span.path}


@dataclass
class EximModel:
    main: dict[str, Setting] = field(default_factory=dict)
    lists: dict[str, dict[str, NamedList]] = field(
        default_factory=lambda: {t: {} for t in LIST_TYPES}
    )
    routers: list[Driver] = field(default_factory=list)
    transports: list[Driver] = field(default_factory=list)
    authenticators: list[Driver] = field(default_factory=list)
    acls: dict[str, Acl] = field(default_factory=dict)
    retry: list[RawLine] = field(default_factory=list)
    rewrite: list[RawLine] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)
    comments: list[tuple[str, int, str]] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)

    def setting(self, name: str) -> Setting:
        """The main option's effective setting: explicit, or Debian's default."""
        name = table.ALIASES.get(name, name)
        if name in self.main:
            return self.main[name]
        kind, default, _ = table.OPTIONS["main"].get(name, ("string", "", "light"))
        return Setting(name, kind, default, default, None, origin="default")

    def value(self, name: str) -> str:
        return self.setting(name).value

    def drivers(self, kind: str) -> list[Driver]:
        return {"router": self.routers, "transport": self.transports}.get(kind, self.authenticators)

    def acl(self, name: str) -> Acl | None:
        return self.acls.get(name)


# ---------------------------------------------------------------- value rendering


def print_time(seconds: int) -> str:
    """``readconf_printtime()``."""
    out = ""
    if seconds < 0:
        out, seconds = "-", -seconds
    s, seconds = seconds % 60, seconds // 60
    m, seconds = seconds % 60, seconds // 60
    h, seconds = seconds % 24, seconds // 24
    d, w = seconds % 7, seconds // 7
    for n, unit in ((w, "w"), (d, "d"), (h, "h"), (m, "m")):
        if n > 0:
            out += f"{n}{unit}"
    if s > 0 or out in ("", "-"):
        out += f"{s}s"
    return out


def read_time(text: str, terminator: str = "") -> int:
    """``readconf_readtime()`` in seconds; -1 on a syntax error."""
    total = 0
    i = 0
    units = {"w": 7 * 24 * 3600, "d": 24 * 3600, "h": 3600, "m": 60, "s": 1}
    while True:
        if i >= len(text) or not isdigit(text[i]):
            return -1
        j = i
        while j < len(text) and isdigit(text[j]):
            j += 1
        value = _int32(text[i:j])
        if j >= len(text) or text[j] not in units:
            return -1
        total = _wrap32(total + _wrap32(value * units[text[j]]))
        i = j + 1
        if (text[i] if i < len(text) else "") == terminator:
            return total


def _wrap32(value: int) -> int:
    """``value`` as a C int holds it (two's complement, 32 bits)."""
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def _int32(digits: str) -> int:
    """Decimal digits accumulated in a C int as readconf_readtime() does (no overflow
    check: it wraps), in slices so int() never sees a long string."""
    value = 0
    for k in range(0, len(digits), 9):
        chunk = digits[k : k + 9]
        value = (value * 10 ** len(chunk) + int(chunk)) & 0xFFFFFFFF
    return _wrap32(value)


def _strtol(text: str, base: int) -> tuple[int | None, int]:
    """C ``strtol()``: (value or None when nothing was read, index after the number)."""
    i = 0
    sign = 1
    if i < len(text) and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    digits = "0123456789"
    if base == 0:
        if (
            text[i : i + 2].lower() == "0x"
            and i + 2 < len(text)
            and text[i + 2] in "0123456789abcdefABCDEF"
        ):
            base, i = 16, i + 2
        elif text[i : i + 1] == "0":
            base = 8
        else:
            base = 10
    allowed = {8: "01234567", 10: digits, 16: "0123456789abcdefABCDEF"}[base]
    j = i
    while j < len(text) and text[j] in allowed:
        j += 1
    if j == i:
        return None, 0
    return sign * saturated(text[i:j], base), j


def atoi(text: str) -> int | None:
    """Exim's ``Uatoi()`` on an ACL ``condition`` result made of digits (a leading ``-``
    allowed): C atoi(), i.e. strtol() saturating at LONG_MAX, cut to a 32-bit int; None
    when ``text`` is not such a number. Never calls int() on an over-long string."""
    digits = text[1:] if text.startswith("-") else text
    if not digits.isascii() or not digits.isdigit():
        return None
    value = min(saturated(digits), 2**63 - 1)
    value = (-value if text.startswith("-") else value) & 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def format_mkint(x: int) -> str:
    if x != 0 and x & 1023 == 0:
        x >>= 10
        if x & 1023 == 0:
            return f"{x >> 10}M"
        return f"{x}K"
    return str(x)


def format_kint(x: int) -> str:
    if x == 0:
        return "0"
    if x & ((1 << 30) - 1) == 0:
        return f"{x >> 30}T"
    if x & ((1 << 20) - 1) == 0:
        return f"{x >> 20}G"
    if x & ((1 << 10) - 1) == 0:
        return f"{x >> 10}M"
    return f"{x}K"


def format_fixed(x: int) -> str:
    f, d, out = x % 1000, 100, f"{x // 1000}."
    while True:
        out += str(f // d)
        f %= d
        d //= 10
        if f == 0:
            break
    return out


# ---------------------------------------------------------------- the builder


class Builder:
    """readconf_main() + readconf_rest() over a :class:`Reader`."""

    def __init__(self, reader: Reader, model: EximModel) -> None:
        self.reader = reader
        self.model = model
        self.set_flags: set[tuple[str, str]] = set()
        # drivers already reported as needing another build (their options need it too)
        self.build_noted: set[str] = set()

    # ------------------------------------------------------------ diagnostics
    def error(
        self,
        message: str,
        span: Span,
        line: LogicalLine | None = None,
        *,
        kind: str = "syntax-error",
        fatal: bool = True,
        phase: int = 1,
        data: dict[str, object] | None = None,
        at_end: bool = False,
    ) -> None:
        where = (line.last_path, line.last_line) if line is not None else None
        self.reader.report(
            message,
            span,
            kind=kind,
            fatal=fatal,
            phase=phase,
            exim_line=where,
            data=data,
            at_end=at_end,
        )

    # ------------------------------------------------------------ options
    def handle_option(
        self,
        line: LogicalLine,
        options: dict[str, tuple[str, str, str]],
        unknown: str | None,
        target: dict[str, Setting],
        repeat_scope: str,
        flag_key: str,
        driver_desc: str = "",
    ) -> bool:
        """``readconf_handle_option()``: False when the name is unknown and ``unknown``
        is None (so the caller tries another table)."""
        text = line.text
        i = skip_ws(text, 0)
        if i >= len(text) or not isalpha(text[i]):
            self.error(f"option setting expected: {text[i:]}", line.span(), line)
            return True
        hidden = False
        name = ""
        name_at = i
        for _ in range(2):
            name_at = i
            j = i
            while j < len(text) and (isalnum(text[j]) or text[j] == "_"):
                j += 1
            name = text[i:j][:63]
            i = skip_ws(text, j)
            if name != "hide":
                break
            hidden = True
        offset = 3 if name.startswith("no_") else 4 if name.startswith("not_") else 0
        base = name[offset:]
        canonical = table.ALIASES.get(base, base) if repeat_scope == "main" else base
        entry = options.get(base)
        name_span = line.span(name_at, name_at + len(name))
        if entry is None:
            if unknown is None:
                return False
            self.error(
                unknown % name, name_span, line, kind="unknown-option", data={"option": name}
            )
            return True
        kind, _default, availability = entry
        if availability != "light":
            self._build_note(name_span, line, f'option "{base}"', availability, driver_desc)
        repeat = REPEATABLE.get((repeat_scope, base))
        if (flag_key, base) in self.set_flags and repeat is None:
            self.error(
                f'"{name}" option set for the second time',
                name_span,
                line,
                kind="duplicate-option",
                data={"option": base},
            )
            return True
        self.set_flags.add((flag_key, base))
        rest = text[i:]
        value_at = i
        boolean = kind in BOOL_TYPES
        if not boolean:
            if offset:
                self.error(
                    "negation prefix applied to a non-boolean option",
                    name_span,
                    line,
                    kind="invalid-value",
                    data={"option": base},
                )
                return True
            if not rest:
                self.error(f"unexpected end of line (data missing) after {name}", line.span(), line)
                return True
            if rest[0] != "=":
                self.error(f'missing "=" after {name}', line.span(i, len(text)), line)
                return True
        elif rest and (offset or rest[0] != "="):
            self._extra(rest, "boolean option ", name, "", line, i)
            return True
        if rest.startswith("="):
            value_at = skip_ws(text, i + 1)
            rest = text[value_at:]
        value_span = line.span(value_at, len(text))
        result = self._convert(kind, base, name, rest, offset, line, value_at)
        if result is None:
            return True
        stored, printed = result
        previous = target.get(canonical)
        if repeat is not None:
            earlier = previous.value if previous is not None else None
            stored = _repeat(repeat, earlier, stored)
            printed = printable(stored)
        target[canonical] = Setting(
            canonical, kind, stored, printed, line.span(), value_span, hidden
        )
        if repeat_scope == "routers" and base in BOOL_VERIFY:
            # "verify" sets verify_sender and verify_recipient (opt_bool_verify); -bP
            # prints only those two
            for suffix in ("_sender", "_recipient"):
                target[base + suffix] = Setting(
                    base + suffix, kind, stored, printed, line.span(), value_span, hidden
                )
        return True

    def _build_note(
        self, span: Span, line: LogicalLine, what: str, availability: str, where: str
    ) -> None:
        if where:
            # one finding per driver: its private options need the same build
            if where in self.build_noted:
                return
            self.build_noted.add(where)
        build = (
            "Debian's exim4-daemon-heavy"
            if availability == "heavy"
            else "an Exim built with it (neither Debian package has it)"
        )
        self.error(
            f"{where}{what} is not in Debian's exim4-daemon-light; it needs {build}",
            span,
            line,
            kind="build-dependent",
            fatal=False,
            data={"availability": availability},
        )

    def _extra(self, rest: str, t1: str, t2: str, t3: str, line: LogicalLine, at: int) -> None:
        comment = " (# is comment only at line start)" if rest.startswith("#") else ""
        self.error(
            f"extra characters follow {t1}{t2}{t3}{comment}",
            line.span(at, len(line.text)),
            line,
        )

    def _string(self, rest: str, name: str, line: LogicalLine, at: int) -> str | None:
        """``read_string()``."""
        if not rest.startswith('"'):
            return rest
        stored, end = dequote(rest)
        if end == 1 or rest[end - 1] != '"' or (end == 1 and len(rest) == 1):
            self.error(f"missing quote at end of string value for {name}", line.span(at), line)
            return None
        if end < len(rest):
            self._extra(rest[end:], "string value for ", name, "", line, at + end)
            return None
        return stored

    def _convert(
        self, kind: str, base: str, name: str, rest: str, offset: int, line: LogicalLine, at: int
    ) -> tuple[str, str] | None:
        if kind == "bool":
            value = offset == 0
            if rest:
                word, end = read_name(rest, 0, 64)
                if word.lower() in ("true", "yes"):
                    value = True
                elif word.lower() in ("false", "no"):
                    value = False
                elif "$" in rest and base in _EXPAND_BOOLS:
                    stored = self._string(rest, name, line, at)
                    return None if stored is None else (stored, printable(stored))
                else:
                    self.error(
                        f'"{word}" is not a valid value for the "{name}" option',
                        line.span(at),
                        line,
                        kind="invalid-value",
                        data={"option": base},
                    )
                    return None
                if end < len(rest):
                    self._extra(
                        rest[end:], f'"{word}" ', "for boolean option ", name, line, at + end
                    )
                    return None
            text = "true" if value else "false"
            return text, text
        if kind in ("string", "uid", "gid", "uidlist", "gidlist", "rewrite"):
            stored = self._string(rest, name, line, at)
            if stored is None:
                return None
            if kind == "rewrite" and stored:
                for rule in list_items(stored):
                    problem = rewrite_problem(rule, transport=True)
                    if problem:
                        self.error(problem, line.span(at), line)
                        return None
            return stored, printable(stored)
        if kind == "time" and base == "smtp_receive_timeout" and rest.startswith("$"):
            return rest, printable(rest)
        if kind in ("int", "mkint", "octint", "Kint"):
            return self._integer(kind, base, name, rest, line, at)
        if kind == "fixed":
            m = re.match(r"[ \t\n\r\f\v]*([+-]?\d+)", rest)
            if not m:
                self.error(
                    f"fixed-point number expected for {name}",
                    line.span(at),
                    line,
                    kind="invalid-value",
                    data={"option": base},
                )
                return None
            number = (
                -saturated(m.group(1)[1:])
                if m.group(1)[0] == "-"
                else saturated(m.group(1).lstrip("+"))
            )
            if number < 0 or number * 1000 > INT_MAX:
                self.error(
                    f'integer "{rest}" is too large (overflow)',
                    line.span(at),
                    line,
                    kind="invalid-value",
                    data={"option": base},
                )
                return None
            thousandths = number * 1000
            j = m.end()
            if j < len(rest) and rest[j] == ".":
                d = 100
                j += 1
                while j < len(rest) and isdigit(rest[j]):
                    thousandths += int(rest[j]) * d
                    d //= 10
                    j += 1
            j = skip_ws(rest, j)
            if j < len(rest):
                self._extra(rest[j:], "fixed-point value for ", name, "", line, at + j)
                return None
            return str(thousandths), format_fixed(thousandths)
        if kind == "time":
            seconds = read_time(rest)
            if seconds < 0:
                self.error(
                    f"invalid time value for {name}",
                    line.span(at),
                    line,
                    kind="invalid-value",
                    data={"option": base},
                )
                return None
            return rest, print_time(seconds)
        if kind == "timelist":
            values: list[int] = []
            s = rest
            while s:
                colon = s.find(":")
                piece = s if colon < 0 else s[:colon].rstrip(WS)
                terminator = "" if colon < 0 else ":"
                seconds = read_time(piece + terminator, terminator)
                if seconds < 0:
                    self.error(
                        f"invalid time value for {name}",
                        line.span(at),
                        line,
                        kind="invalid-value",
                        data={"option": base},
                    )
                    return None
                if values and seconds <= values[-1]:
                    self.error(
                        f"time value out of order for {name}",
                        line.span(at),
                        line,
                        kind="invalid-value",
                        data={"option": base},
                    )
                    return None
                values.append(seconds)
                if colon < 0:
                    break
                s = s[colon + 1 :].lstrip(WS)
            if values and values[0] == 0:
                values = []
            return rest, ":".join(print_time(v) for v in values)
        stored = self._string(rest, name, line, at)
        return None if stored is None else (stored, printable(stored))

    def _integer(
        self, kind: str, base: str, name: str, rest: str, line: LogicalLine, at: int
    ) -> tuple[str, str] | None:
        inttype = "octal " if kind == "octint" else ""
        value, end = _strtol(rest, 8 if kind == "octint" else 0)
        if value is None:
            self.error(
                f"{inttype}integer expected for {name}",
                line.span(at),
                line,
                kind="invalid-value",
                data={"option": base},
            )
            return None
        overflow = False
        if kind == "Kint":
            suffixes = "ZzEePpTtGgMmKk"
            limit = ARITH_MAX
            if end < len(rest):
                k = suffixes.find(rest[end])
                if k >= 0:
                    end += 1
                    k = k - (k % 2) + 2
                    while k < len(suffixes):
                        if abs(value) > limit // 1024:
                            overflow = True
                            break
                        value *= 1024
                        k += 2
                else:
                    value = (value + 512) // 1024
        else:
            suffixes = "TtGgMmKk"
            limit = INT_MAX
            if end < len(rest):
                k = suffixes.find(rest[end])
                if k >= 0:
                    end += 1
                    k = k - (k % 2)
                    while True:
                        if abs(value) > INT_MAX // 1024:
                            overflow = True
                            break
                        value *= 1024
                        k += 2
                        if k >= len(suffixes):
                            break
        if overflow or abs(value) > limit:
            self.error(
                f'absolute value of integer "{rest}" is too large (overflow)',
                line.span(at),
                line,
                kind="invalid-value",
                data={"option": base},
            )
            return None
        j = skip_ws(rest, end)
        if j < len(rest):
            self._extra(rest[j:], inttype, "integer value for ", name, line, at + j)
            return None
        if kind == "Kint":
            return rest, format_kint(value)
        if kind == "mkint":
            return rest, format_mkint(value)
        if kind == "octint":
            return rest, ("0" if value == 0 else "0" + format(value, "o"))
        return rest, str(value)

    # ------------------------------------------------------------ main section
    def read_main(self) -> None:
        reader, model = self.reader, self.model
        opts = table.OPTIONS["main"]
        while (line := reader.next_line()) is not None:
            text = line.text
            if line.last_line == 1 and text.startswith("\ufeff"):
                self.error("found unexpected BOM (Byte Order Mark)", line.span(0, 1), line)
                continue
            if isupper(text[0]):
                reader.read_macro_assignment(line)
                continue
            hidden = False
            body = text
            m = re.match(r"hide[ \t\n\r\f\v]+", text)
            if m and any(text[m.end() :].startswith(t) for t in LIST_TYPES):
                hidden, body = True, text[m.end() :]
            list_type = next((t for t in LIST_TYPES if body.startswith(t)), None)
            if list_type is not None:
                self._named_list(line, list_type, body, len(text) - len(body), hidden)
                continue
            self.handle_option(line, opts, 'main option "%s" unknown', model.main, "main", "main")
        self._main_checks()

    def _named_list(
        self, line: LogicalLine, list_type: str, body: str, shift: int, hidden: bool
    ) -> None:
        label = LIST_TYPES[list_type]
        s = len(list_type)
        cache = body.startswith("_cache", s)
        if cache:
            s += 6
        if s >= len(body) or body[s] not in WS:
            self.error("unrecognized configuration line", line.span(), line)
            return
        lists = self.model.lists[list_type]
        if len(lists) >= MAX_NAMED_LIST:
            self.error(f"too many named {label}s (max is {MAX_NAMED_LIST})\n", line.span(), line)
            return
        s = skip_ws(body, s)
        start = s
        while s < len(body) and (isalnum(body[s]) or body[s] == "_"):
            s += 1
        name = body[start:s]
        s = skip_ws(body, s)
        if name in lists:
            self.error(
                f'duplicate name "{name}" for a named {label}',
                line.span(),
                line,
                kind="duplicate-list",
                data={"list": name},
            )
            return
        if s >= len(body) or body[s] != "=":
            self.error(f"missing '=' after \"{name}\"", line.span(), line)
            return
        s = skip_ws(body, s + 1)
        value = self._string(body[s:], name, line, shift + s)
        if value is None:
            return
        lists[name] = NamedList(list_type, name, value, line.span(), hidden, cache)

    def _main_checks(self) -> None:
        """The checks at the end of readconf_main() that depend only on the file."""
        model = self.model

        def span_of(name: str) -> Span:
            s = model.main.get(name)
            return (
                s.span
                if s is not None and s.span is not None
                else Span(self.reader.top.display, 1, 1)
            )

        def complain(message: str, name: str) -> None:
            self.error(
                message,
                span_of(name),
                None,
                data={"option": name},
                at_end=not self.reader.next_section,
            )

        if (
            model.value("local_sender_retain") == "true"
            and model.value("local_from_check") == "true"
        ):
            complain(
                "both local_from_check and local_sender_retain are set; this combination "
                "is not allowed",
                "local_sender_retain",
            )
        path = model.value("log_file_path")
        if path and "$" not in path:
            for item in list_items(path, fixed=":"):
                if not item or item == "syslog":
                    continue
                if "%s" not in item:
                    complain(f'log_file_path "{item}" does not contain "%s"', "log_file_path")
                    break
        facility = model.main.get("syslog_facility")
        if facility is not None and facility.value:
            word = (
                facility.value[4:] if facility.value.lower().startswith("log_") else facility.value
            )
            names = ("mail", "user", "news", "uucp", "daemon") + tuple(
                f"local{i}" for i in range(8)
            )
            if word.lower() not in names:
                complain(
                    f'failed to interpret syslog_facility "{facility.value}"', "syslog_facility"
                )
        name_setting = model.main.get("syslog_processname")
        if name_setting is not None and len(name_setting.value) > 32:
            complain("syslog_processname is longer than 32 chars: aborting", "syslog_processname")
        # values readconf_main() adjusts after reading: -bP prints the adjusted ones
        retry_max = model.main.get("retry_interval_max")
        if retry_max is not None and read_time(retry_max.value) > 24 * 3600:
            retry_max.printed = print_time(24 * 3600)
        parallel = model.main.get("remote_max_parallel")
        if (
            parallel is not None
            and parallel.printed.lstrip("-").isdecimal()
            and int(parallel.printed) <= 0
        ):
            parallel.printed = "1"
        selector = model.main.get("log_selector")
        if selector is not None:
            problem = log_selector_problem(selector.value)
            if problem:
                complain(problem, "log_selector")
        if "openssl_options" in model.main:
            complain("openssl_options is set but we're using GnuTLS", "openssl_options")
        accept_max = model.main.get("smtp_accept_max")
        if accept_max is not None and accept_max.printed == "0":
            queue = model.setting("smtp_accept_queue").printed
            per_host = model.main.get("smtp_accept_max_per_host")
            if queue not in ("0", "") or (per_host is not None):
                complain(
                    "smtp_accept_max must be set if smtp_accept_queue or "
                    "smtp_accept_max_per_host is set",
                    "smtp_accept_max",
                )
        for name in ("tls_verify_hosts", "tls_try_verify_hosts"):
            if (
                model.main.get(name)
                and model.main[name].value
                and not model.value("tls_verify_certificates")
            ):
                prefix = "" if name == "tls_verify_hosts" else "try_"
                complain(
                    f"tls_{prefix}verify_hosts is set, but tls_verify_certificates is not set", name
                )
                break
        dh = model.main.get("tls_dh_max_bits")
        if dh is not None and dh.printed.lstrip("-").isdecimal() and int(dh.printed) < 1024:
            complain(
                "tls_dh_max_bits is too small, must be at least 1024 for interop", "tls_dh_max_bits"
            )

    # ------------------------------------------------------------ other sections
    def read_rest(self) -> None:
        reader, model = self.reader, self.model
        had: set[str] = set()
        while reader.next_section:
            raw = reader.next_section
            begin = reader.begin_line
            span = begin.span() if begin is not None else Span(reader.top.display, 1, 1)
            name = raw if raw[-1:].lower() == "s" else raw + "s"
            canonical = next((s for s in SECTIONS if s == name.lower()), None)
            if canonical is None:
                self.error(
                    f'"{raw}" is not a known configuration section name',
                    span,
                    begin,
                    phase=2,
                    kind="unknown-section",
                    data={"section": raw},
                )
                self._skip_section()
                continue
            if canonical in had:
                self.error(
                    f'"{raw}" section is repeated in the configuration file',
                    span,
                    begin,
                    phase=2,
                    kind="duplicate-section",
                    data={"section": raw},
                )
            had.add(canonical)
            model.sections.append(canonical)
            if canonical == "acls":
                self.read_acls()
            elif canonical in ("routers", "transports", "authenticators"):
                self.read_drivers(canonical[:-1])
            elif canonical == "retrys":
                self.read_raw(model.retry, retry_problem)
            elif canonical == "rewrites":
                self.read_raw(model.rewrite, rewrite_problem)
            else:
                self.error(
                    "local_scan() options not supported: (LOCAL_SCAN_HAS_OPTIONS not "
                    "defined in Local/Makefile)",
                    span,
                    begin,
                    phase=2,
                )
                self._skip_section()

    def _skip_section(self) -> None:
        while self.reader.next_line() is not None:
            pass

    def read_raw(self, into: list[RawLine], check: Callable[[str], str]) -> None:
        while (line := self.reader.next_line()) is not None:
            into.append(RawLine(line.text, line.span()))
            problem = check(line.text)
            if problem:
                self.error(problem, line.span(), line)

    def read_drivers(self, kind: str) -> None:
        reader, model = self.reader, self.model
        drivers = model.drivers(kind)
        generic = table.OPTIONS[kind + "s"]
        current: Driver | None = None

        def finish(d: Driver | None, at_end: bool) -> None:
            if d is not None and d.driver is None:
                self.error(
                    f'no driver defined for {kind} "{d.name}"',
                    d.span,
                    None,
                    kind="missing-driver",
                    data={kind: d.name},
                    at_end=at_end,
                )
            elif d is not None and d.known:
                adjust_driver(d)
                problem = driver_init_problem(d)
                if problem:
                    self.error(
                        problem,
                        d.span,
                        None,
                        kind="driver-error",
                        data={kind: d.name},
                        at_end=at_end,
                    )

        while (line := reader.next_line()) is not None:
            text = line.text
            name, s = read_name(text, 0)
            if name and isupper(name[0]) and text[s : s + 1] == "=":
                finish(current, False)
                current = None
                reader.read_macro_assignment(line)
                continue
            if text[s : s + 1] == ":":
                finish(current, False)
                if any(d.name == name for d in drivers):
                    self.error(
                        f'there are two {kind}s called "{name}"',
                        line.span(),
                        None,
                        kind="duplicate-driver",
                        data={kind: name},
                    )
                current = Driver(kind, name, line.span(0, len(name) + 1))
                drivers.append(current)
                rest = skip_ws(text, s + 1)
                if rest < len(text):
                    self._extra(text[rest:], "driver name ", name, "", line, rest)
                continue
            if current is None:
                self.error(f"{kind} name missing", line.span(), line)
                continue
            flag_key = f"{kind}:{len(drivers)}"
            before = current.driver
            found = self._driver_option(line, generic, current, flag_key, None)
            if found:
                setting = current.options.get("driver")
                if before is None and setting is not None and current.driver is None:
                    self._init_driver(current, setting, line)
                continue
            if current.driver is not None and current.known:
                private = table.OPTIONS.get(f"{kind}:{current.driver}", {})
                self._driver_option(line, private, current, flag_key, 'option "%s" unknown')
            elif current.driver is not None:
                continue  # an unknown driver was reported already
            else:
                self.error(
                    f'option "{name}" unknown ("driver" must be specified before any '
                    "private options)",
                    line.span(),
                    line,
                    kind="unknown-option",
                    data={"option": name},
                )
        at_end = not reader.next_section
        finish(current, at_end)
        if kind in ("router", "transport"):
            for d in drivers:
                problem = section_problem(d)
                if problem:
                    self.error(
                        problem,
                        d.span,
                        None,
                        kind="driver-error",
                        data={kind: d.name},
                        at_end=at_end,
                    )

    def _driver_option(
        self,
        line: LogicalLine,
        options: dict[str, tuple[str, str, str]],
        d: Driver,
        flag_key: str,
        unknown: str | None,
    ) -> bool:
        return self.handle_option(
            line, options, unknown, d.options, f"{d.kind}s", flag_key, f"{d.kind} {d.name}: "
        )

    def _init_driver(self, d: Driver, setting: Setting, line: LogicalLine) -> None:
        d.driver = setting.value
        availability = table.DRIVERS.get(d.kind, {}).get(setting.value)
        if availability is None:
            self.error(
                f'{d.kind} {d.name}: cannot find {d.kind} driver "{setting.value}"',
                setting.value_span or line.span(),
                line,
                kind="unknown-driver",
                data={"driver": setting.value},
            )
            return
        d.known = True
        if availability != "light":
            self._build_note(
                setting.value_span or line.span(),
                line,
                f'driver "{setting.value}"',
                availability,
                f"{d.kind} {d.name}: ",
            )

    def read_acls(self) -> None:
        reader, model = self.reader, self.model
        line = reader.next_line()
        while line is not None:
            name, p = read_name(line.text, 0)
            if name and isupper(name[0]) and line.text[p : p + 1] == "=":
                reader.read_macro_assignment(line)
                line = reader.next_line()
                continue
            if line.text[p : p + 1] != ":" or not name:
                self.error("missing or malformed ACL name", line.span(), line)
                line = reader.next_line()
                while line is not None and not _acl_boundary(line.text):
                    line = reader.next_line()
                continue
            acl = Acl(name, line.span(0, len(name) + 1))
            if name in model.acls:
                self.error(
                    f'there are two ACLs called "{name}"',
                    line.span(),
                    line,
                    kind="duplicate-acl",
                    data={"acl": name},
                )
            else:
                model.acls[name] = acl
            line = self._acl_read(acl)

    def _acl_read(self, acl: Acl) -> LogicalLine | None:
        reader = self.reader
        current: AclStatement | None = None
        failed = False
        while (line := reader.next_line()) is not None:
            if failed:
                if _acl_boundary(line.text):
                    return line
                continue
            text = line.text
            s = skip_ws(text, 0)
            negated = False
            if text[s : s + 1] == "!":
                negated, s = True, s + 1
            name, s = read_name(text, s)
            if text[s : s + 1] == ":" or (name and isupper(name[0]) and text[s : s + 1] == "="):
                return line
            error: str | None = None
            if name in VERBS:
                if negated:
                    error = f'malformed ACL line "{text}"'
                else:
                    current = AclStatement(name, line.span())
                    acl.statements.append(current)
                    if s >= len(text):
                        continue
                    if text[s] == "!":
                        negated, s = True, s + 1
                    name, s = read_name(text, s)
            elif current is None:
                error = f'unknown ACL verb "{name}" in "{text}"'
            if error is None and current is not None:
                error = self._acl_condition(current, name, negated, text, s, line)
            if error is not None:
                self.error(f"error in ACL: {error}", line.span(), line, kind="acl-error")
                failed = True
        return None

    def _acl_condition(
        self, st: AclStatement, name: str, negated: bool, text: str, s: int, line: LogicalLine
    ) -> str | None:
        word = table.ACL_WORDS.get(name)
        if word is None:
            return f'unknown ACL condition/modifier in "{text}"'
        kind, availability = word
        modifier = kind == "modifier"
        if availability != "light":
            self._build_note(line.span(), line, f'ACL condition "{name}"', availability, "")
        if negated and modifier:
            return f'ACL error: negation is not allowed with "{name}"'
        if name == "endpass" and st.verb not in ("accept", "discard"):
            return f'ACL error: "{name}" is not allowed with "{st.verb}"'
        value: str | None = None
        if name == "set":
            rest = text[s:]
            if rest.startswith(("dkim_verify_status", "dkim_verify_reason")):
                end = 18
                if end < len(rest) and isalnum(rest[end]):
                    return (
                        f'invalid variable name after "set" in ACL modifier "set {rest}" '
                        '(only "dkim_verify_status" or "dkim_verify_reason" permitted)'
                    )
            else:
                if not rest.startswith(("acl_c", "acl_m")):
                    return (
                        f'invalid variable name after "set" in ACL modifier "set {rest}" '
                        '(must start "acl_c" or "acl_m")'
                    )
                end = 5
                if end >= len(rest) or not (isdigit(rest[end]) or rest[end] == "_"):
                    return (
                        f'invalid variable name after "set" in ACL modifier "set {rest}" '
                        "(digit or underscore must follow acl_c or acl_m)"
                    )
                while end < len(rest) and rest[end] != "=" and rest[end] not in WS:
                    if not (isalnum(rest[end]) or rest[end] == "_"):
                        return (
                            f'invalid character "{rest[end]}" in variable name in ACL '
                            f'modifier "set {rest}"'
                        )
                    end += 1
            s = skip_ws(text, s + end)
        if name != "endpass":
            if text[s : s + 1] != "=":
                what = "modifier" if modifier else "condition"
                return f'"=" missing after ACL "{name}" {what}'
            value = text[skip_ws(text, s + 1) :]
        st.conditions.append(AclCondition(name, value, negated, modifier, line.span()))
        return None


# routers that need a transport (unless verify_only) and one that must not have one
_NEEDS_TRANSPORT = {"accept", "dnslookup", "ipliteral", "iplookup"}
_NO_TRANSPORT = {"redirect"}


def section_problem(d: Driver) -> str:
    """The checks route_init() and transport_init() make once a section is read."""
    if d.kind == "transport":
        body, headers = d.options.get("body_only"), d.options.get("headers_only")
        if body is not None and headers is not None and body.value == headers.value == "true":
            return f"{d.name} transport: body_only and headers_only are mutually exclusive"
        return ""
    if d.kind != "router":
        return ""
    if d.driver in _NEEDS_TRANSPORT:
        verify_only = d.options.get("verify_only")
        if "transport" not in d.options and (verify_only is None or verify_only.value != "true"):
            return f"{d.name} router: a transport is required for this router"
    elif d.driver in _NO_TRANSPORT and "transport" in d.options:
        return f"{d.name} router: a transport must not be defined for this router"
    return ""


def adjust_driver(d: Driver) -> None:
    """Values a driver's init function changes after reading (``-bP`` shows them)."""
    one_time = d.options.get("one_time")
    if d.kind == "router" and d.driver == "redirect" and one_time and one_time.value == "true":
        for name in ("forbid_pipe", "forbid_file"):
            if name in d.options:
                d.options[name].printed = "true"
    if d.kind == "transport" and d.driver == "appendfile":
        for lock, timeout, default in (
            ("use_fcntl_lock", "lock_fcntl_timeout", "true"),
            ("use_flock_lock", "lock_flock_timeout", "false"),
        ):
            used = d.options.get(lock)
            if (used.value if used is not None else default) != "true" and timeout in d.options:
                d.options[timeout].printed = "0s"
        retries = d.options.get("lock_retries")
        if retries is not None and retries.printed == "0":
            retries.printed = "1"


def driver_init_problem(d: Driver) -> str:
    """The checks of a driver's own init function, in its words."""
    has = d.options.__contains__

    def true(name: str) -> bool:
        setting = d.options.get(name)
        return setting is not None and setting.value == "true"

    if (
        d.kind == "router"
        and d.driver == "redirect"
        and true("allow_filter")
        and not (has("user") or true("check_local_user"))
    ):
        return f'{d.name} router: "user" or "check_local_user" must be set with "allow_filter"'
    if (
        d.kind == "transport"
        and d.driver == "pipe"
        and true("restrict_to_path")
        and true("use_shell")
    ):
        return f"both restrict_to_path and use_shell set for {d.name} transport"
    if d.kind == "router" and d.driver == "redirect" and not (has("file") or has("data")):
        return f'{d.name} router: one of "file" or "data" must be specified'
    if d.kind == "router" and d.driver == "redirect" and true("one_time"):
        if has("headers_add") or has("headers_remove"):
            return (
                f'{d.name} router: "headers_add" and "headers_remove" are not permitted with '
                '"one_time"'
            )
        if true("unseen"):
            return f'{d.name} router: "unseen" may not be used with "one_time"'
    if d.kind == "router" and d.driver == "manualroute" and has("route_list") == has("route_data"):
        return f"{d.name} router: route_list or route_data (but not both) must be specified"
    if d.kind == "router" and d.driver == "queryprogram" and not has("command"):
        return f"{d.name} router: a command specification is required"
    if d.kind == "transport" and d.driver == "smtp":
        for name, default in (
            ("command_timeout", 300),
            ("data_timeout", 300),
            ("final_timeout", 600),
        ):
            setting = d.options.get(name)
            if (read_time(setting.value) if setting is not None else default) == 0:
                return f"command, data, or final timeout value is zero for {d.name} transport"
    if d.kind == "transport" and d.driver == "lmtp" and has("command") == has("socket"):
        return f"one (and only one) of command or socket must be set for the {d.name} transport"
    return ""


LOG_SELECTORS = frozenset(
    ["all"] + [n[5:].lower() for n, _ in table.BUILTIN_MACROS if n.startswith("_LOG_")]
)


def log_selector_problem(value: str) -> str:
    """``decode_bits()``'s complaint about a log_selector setting, or ""."""
    i = 0
    while True:
        i = skip_ws(value, i)
        if i >= len(value):
            return ""
        if value[i] not in "+-":
            return f'malformed log_selector setting: + or - expected but found "{value[i:]}"'
        start = i
        i += 1
        while i < len(value) and (isalnum(value[i]) or value[i] == "_"):
            i += 1
        if value[start + 1 : i] not in LOG_SELECTORS:
            return f"unknown log_selector setting: {value[start:i]}"


_EXPAND_BOOLS = {"maildir_use_size_file", "mailbox_size", "quota_is_inclusive"}


def _acl_boundary(text: str) -> bool:
    s = skip_ws(text, 0)
    if text[s : s + 1] == "!":
        s += 1
    name, s = read_name(text, s)
    return text[s : s + 1] == ":" or bool(name and isupper(name[0]) and text[s : s + 1] == "=")


def list_items(value: str, fixed: str | None = None, default: str = ":") -> list[str]:
    """``string_nextinlist()`` over a whole list: ``<x`` changes the separator, items are
    trimmed, a doubled separator is a literal one, a trailing separator is ignored."""
    s = value
    i = 0
    sep = fixed or default
    if fixed is None and s.startswith("<") and len(s) > 1:
        c = s[1]
        if (c.isascii() and not c.isalnum() and not c.isspace() and c.isprintable()) or (
            ord(c) < 32 or ord(c) == 127
        ):
            sep, i = c, 2
    items: list[str] = []
    while True:
        while i < len(s) and s[i] in WS and s[i] != sep:
            i += 1
        if i >= len(s):
            break
        buf = []
        while i < len(s):
            if s[i] == sep:
                if i + 1 < len(s) and s[i + 1] == sep:
                    buf.append(sep)
                    i += 2
                    continue
                break
            buf.append(s[i])
            i += 1
        items.append("".join(buf).rstrip(WS))
        if i < len(s):
            i += 1
    return items


def _repeat(how: str, old: str | None, new: str) -> str:
    """The stored value of an option that may be set again (opt_rep_con / opt_rep_str)."""
    if how == "and":
        if old is None:
            return new
        return f"${{if and{{{{bool_lax{{{old}}}}}{{bool_lax{{{new}}}}}}}}}"
    out = old or ""
    for item in list_items(new, default=how):
        if out:
            out += how
        out += item.replace(how, how + how)
    return out


# ---------------------------------------------------------------- retry and rewrite


def _dequote_word(text: str, i: int) -> tuple[str, int]:
    if text[i : i + 1] == '"':
        stored, end = dequote(text[i:])
        return stored, i + end
    j = i
    while j < len(text) and text[j] not in WS:
        j += 1
    return text[i:j], j


def rewrite_problem(text: str, transport: bool = False) -> str:
    """``readconf_one_rewrite()``'s complaints about one rewrite rule, or ""."""
    key, i = _dequote_word(text, 0)
    i = skip_ws(text, i)
    if i >= len(text):
        return "missing rewrite replacement string"
    _, i = _dequote_word(text, i)
    flags = ""
    for ch in text[i:]:
        if ch in " \t":
            continue
        if ch not in "qwhsftcbrEFTQRS":
            return (
                f"unknown rewrite flag character '{ch}' (could be missing quotes round "
                "replacement item)"
            )
        if ch == "S" and not key.startswith("^") and not key.startswith("\\N^"):
            return "rewrite rule has the S flag but is not a regular expression"
        flags += ch
    if transport and any(f in flags for f in "EFTS"):
        return "rewrite rule specifies a non-header rewrite - not allowed at transport time -"
    return ""


def _retry_error(word: str) -> str:
    head, _, tail = word.partition("_")
    low = word.lower()
    if head.lower() == "quota":
        if tail and read_time(tail) < 0:
            return "bad time value"
        return ""
    if head.lower() == "refused":
        if tail and tail.lower() not in ("mx", "a"):
            return 'A or MX expected after "refused"'
        return ""
    if head.lower() == "timeout":
        if tail and tail.lower() not in ("a", "mx", "connect", "connect_a", "connect_mx", "dns"):
            return '"A", "MX", or "connect" expected after "timeout"'
        return ""
    if low[:6] in ("mail_4", "rcpt_4", "data_4"):
        if len(word) != 8 or not (
            (isdigit(word[6]) and (isdigit(word[7]) or word[7] == "x")) or word[6:8] == "xx"
        ):
            return (
                f"{word[:4]}_4 must be followed by xx, dx, or dd, where x is literal and d "
                "is any digit"
            )
        return ""
    if head.lower() == "auth" and tail.lower() == "failed":
        return ""
    if low in ("lost_connection", "tls_required", "lookup", "*"):
        return ""
    return f'unknown or malformed retry error "{word}"'


def retry_problem(text: str) -> str:
    """``readconf_retries()``'s complaints about one retry rule, or ""."""
    _, i = _dequote_word(text, 0)
    i = skip_ws(text, i)
    j = i
    while j < len(text) and 32 < ord(text[j]) < 127:
        j += 1
    if j == i:
        return "missing error type in retry rule"
    problem = _retry_error(text[i:j])
    if problem:
        return problem
    i = skip_ws(text, j)
    if text.startswith("senders", i):
        i = skip_ws(text, i + 7)
        if text[i : i + 1] != "=":
            return '"=" expected after "senders" in retry rule'
        _, i = _dequote_word(text, skip_ws(text, i + 1))
    i = skip_ws(text, i)
    while i < len(text):
        letter = text[i].upper()
        i += 1
        args: list[int] = []
        count = {"F": 2, "G": 3, "H": 3}.get(letter, 2)
        for n in range(count):
            if text[i : i + 1] != ",":
                return "comma expected"
            i = skip_ws(text, i + 1)
            k = i
            while k < len(text) and (isalnum(text[k]) or (n == 2 and text[k] == ".")):
                k += 1
            if k < len(text) and text[k] not in WS and text[k] not in ",;":
                return "comma or semicolon expected"
            word = text[i:k]
            term = text[k] if k < len(text) else ""
            if n < 2:
                args.append(read_time(word + term, term) if word else -1)
            else:
                m = re.fullmatch(r"(\d+)(?:\.(\d*))?", word)
                args.append(
                    -1
                    if not m
                    else saturated(m.group(1)) * 1000 + int((m.group(2) or "0")[:3].ljust(3, "0"))
                )
            i = k
            if letter not in "FGH":
                break
        if letter not in "FGH":
            return "unknown retry rule letter"
        if args[0] <= 0 or args[1] <= 0 or (letter != "F" and args[2] < 1000):
            return "bad parameters for retry rule"
        i = skip_ws(text, i)
        if text[i : i + 1] == ";":
            i = skip_ws(text, i + 1)
        elif i < len(text):
            return "semicolon expected"
    return ""
