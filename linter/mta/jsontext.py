"""JSON text → Python data, with the position of every key and value.

The JSON exports mtalint reads (hMailServer's COM settings, Exchange's and Domino's
records) are parsed by Python's json module, which keeps no positions, so a second
linear pass over the (already validated) text records where each key and value starts;
findings then point at the key that decides them. Nesting deeper than any export needs
is refused before parsing.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from linter.source import InputError, Span

# an export nests four levels; anything far deeper is hostile (and would exhaust the stack)
MAX_DEPTH = 64

_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([{}\[\],:])|([^\s{}\[\],:"]+))')

Path_ = tuple[str | int, ...]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_depth(path: str, text: str) -> None:
    depth = 0
    for m in _BRACKETS.finditer(text):
        bracket = m.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _position(text, m.start())
                raise InputError(
                    path,
                    f"JSON nests deeper than {MAX_DEPTH} levels: not a settings export "
                    "(refused before parsing)",
                    line,
                    column,
                )
        elif bracket in "]}":
            depth -= 1


@dataclass
class _Frame:
    kind: str  # "object" or "array"
    path: Path_
    key: str = ""
    index: int = 0
    expect_key: bool = True
    seen: set[str] = field(default_factory=set)


class Locations:
    """Where every key and value of a JSON text starts."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.keys: dict[Path_, tuple[int, int]] = {}  # (start, end) of the key string
        self.values: dict[Path_, int] = {}
        self.duplicates: list[tuple[Path_, int]] = []
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._scan()

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def _scan(self) -> None:
        text, pos = self.text, 0
        stack: list[_Frame] = []
        while True:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                return
            pos = m.end()
            string, punct, literal = m.groups()
            start = m.start(1) if string is not None else m.start(2 if punct else 3)
            top = stack[-1] if stack else None
            if top is not None and top.kind == "object" and top.expect_key:
                if string is not None:
                    key = string[1:-1] if "\\" not in string else json.loads(string)
                    top.key, top.expect_key = key, False
                    self.keys[(*top.path, key)] = (start, m.end(1))
                    if key in top.seen:
                        self.duplicates.append(((*top.path, key), start))
                    top.seen.add(key)
                    continue
                if punct == "}":
                    stack.pop()
                continue
            if punct in (",", ":"):
                if punct == "," and top is not None:
                    if top.kind == "object":
                        top.expect_key = True
                    else:
                        top.index += 1
                continue
            if punct in ("}", "]"):
                if stack:
                    stack.pop()
                continue
            here: Path_ = ()
            if top is not None:
                here = (*top.path, top.key) if top.kind == "object" else (*top.path, top.index)
            self.values[here] = start
            if punct == "{":
                stack.append(_Frame("object", here))
            elif punct == "[":
                stack.append(_Frame("array", here, expect_key=False))

    def span(self, where: Path_) -> Span:
        """The key of ``where`` (or its value, for an array element), else its parent's."""
        while True:
            if where in self.keys:
                start, end = self.keys[where]
                line, column = self.position(start)
                return Span(self.path, line, column, line, column + end - start)
            if where in self.values:
                line, column = self.position(self.values[where])
                return Span(self.path, line, column)
            if not where:
                return Span(self.path, 1, 1)
            where = where[:-1]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _constant_position(text: str) -> tuple[int, int]:
    """Where the first NaN or Infinity outside a string is (json reports no position)."""
    pos = 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return 1, 1
        if m.group(3) in ("NaN", "Infinity", "-Infinity"):
            return _position(text, m.start(3))
        pos = m.end()


def load_json(path: str, text: str) -> Any:
    """JSON text as Python data, or an InputError with the position: nesting bounded
    before parsing, NaN and Infinity (which JSON does not have) refused."""
    check_depth(path, text)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError(path, "JSON nests too deeply to read") from None
    except ValueError as exc:
        line, column = _constant_position(text)
        raise InputError(path, f"not valid JSON: {exc}", line, column) from None


def get_ignoring_case(obj: dict[str, Any], name: str) -> tuple[Any, str]:
    """``obj[name]``, the name compared without case (COM property names, and Domino item
    names, are case-insensitive); (None, name) if absent."""
    if name in obj:
        return obj[name], name
    lower = name.lower()
    for key, value in obj.items():
        if key.lower() == lower:
            return value, key
    return None, name
