"""Postfix main.cf / master.cf: text → syntax tree with spans.

The physical-to-logical line fold reproduces Postfix's ``readllines()``; the Lark
grammars in ``grammars/postfix_main.lark`` and ``grammars/postfix_master.lark`` then
parse the logical lines. Each AST node keeps the span of the text it came from, mapped
back through continuation lines to the physical line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from linter.diagnostics import Diagnostic
from linter.grammar import parser, terminals
from linter.source import SourceFile, Span

if TYPE_CHECKING:
    from lark import Token, Tree

# Postfix's ISSPACE() without "\n": what makes a line blank or a continuation, and what
# is trimmed from the end of a logical line ("\r" too: a CR not before a LF stays in the
# text, see linter.source.decode)
_BLANKS = " \t\f\v\r"
# Postfix's ISSPACE(): ASCII only; str.split() would also split at "\xa0" or "\x1c".
_POSTFIX_SPACE = re.compile(r"[ \t\n\r\f\v]+")


def collapse_blanks(value: str) -> str:
    """``value`` with each run of whitespace made one space, as ``postconf -n`` prints it."""
    return _POSTFIX_SPACE.sub(" ", value).strip(" ")


@dataclass(slots=True)
class LogicalLine:
    """One logical line and where each of its characters came from."""

    text: str
    # (offset in text, physical line number, 0-based column in that line) per segment
    segments: list[tuple[int, int, int]]

    @property
    def line(self) -> int:
        return self.segments[0][1]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of the character at ``offset`` in the logical text."""
        seg = self.segments[0]
        for candidate in self.segments:
            if candidate[0] <= offset:
                seg = candidate
            else:
                break
        return seg[1], seg[2] + (offset - seg[0]) + 1

    def span(self, path: str, start: int, end: int) -> Span:
        line, col = self.position(start)
        if end <= start:
            return Span(path, line, col, line, col)
        end_line, end_col = self.position(end - 1)
        return Span(path, line, col, end_line, end_col + 1)


@dataclass(slots=True)
class Comment:
    line: int
    text: str


@dataclass(slots=True)
class FoldResult:
    lines: list[LogicalLine]
    comments: list[Comment]
    diagnostics: list[Diagnostic]


def fold_lines(source: SourceFile) -> FoldResult:
    """Postfix's readllines(): join continuation lines, drop comments and blank lines.

    A line starting with whitespace continues the previous logical line, verbatim with
    its leading whitespace; comment and blank lines are skipped even in the middle of a
    continued value. Trailing whitespace of the logical line is dropped (split_nameval).
    """
    lines: list[LogicalLine] = []
    comments: list[Comment] = []
    diagnostics: list[Diagnostic] = []
    current: list[str] = []
    segments: list[tuple[int, int, int]] = []
    length = 0

    def flush() -> None:
        nonlocal current, segments, length
        if current:
            text = "".join(current).rstrip(_BLANKS)
            lines.append(LogicalLine(text, segments))
        current, segments, length = [], [], 0

    for number, physical in enumerate(source.text.split("\n"), start=1):
        stripped = physical.lstrip(_BLANKS)
        if not stripped or stripped.startswith("#"):
            if stripped:
                comments.append(Comment(number, stripped))
            continue
        if physical[0] in _BLANKS:
            if not current:
                diagnostics.append(
                    Diagnostic(
                        "leading-whitespace",
                        f'logical line must not start with whitespace: "{physical.strip()}"',
                        Span(source.path, number, 1, number, len(physical) + 1),
                    )
                )
                continue
            segments.append((length, number, 0))
            current.append(physical)
            length += len(physical)
            continue
        flush()
        segments.append((0, number, 0))
        current.append(physical)
        length = len(physical)
    flush()
    return FoldResult(lines, comments, diagnostics)


# ---------------------------------------------------------------- main.cf


@dataclass(slots=True)
class Assignment:
    name: str
    value: str
    span: Span  # the whole logical line
    name_span: Span
    value_span: Span

    @property
    def line(self) -> int:
        return self.span.line


@dataclass(slots=True)
class MainCf:
    path: str
    assignments: list[Assignment] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _joined(lines: list[LogicalLine]) -> tuple[str, list[int]]:
    starts = []
    offset = 0
    for logical in lines:
        starts.append(offset)
        offset += len(logical.text) + 1
    return "".join(logical.text + "\n" for logical in lines), starts


def _parse_lines(grammar: str, lines: list[LogicalLine]) -> list[Tree | None]:
    """Parse all logical lines in one Lark run; on a syntax error, line by line.

    Returns one tree per logical line, or None for a line the grammar rejects. Trees are
    read, never changed, so a fleet of hosts sharing one master.cf parses it once.
    """
    text, _ = _joined(lines)
    texts = tuple(logical.text for logical in lines)
    if len(text) > 64 * 1024:  # only ordinary files are worth keeping
        return _parse_uncached(grammar, text, texts)
    return list(_parse_text(grammar, text, texts))


@lru_cache(maxsize=64)
def _parse_text(grammar: str, text: str, lines: tuple[str, ...]) -> tuple[Tree | None, ...]:
    return tuple(_parse_uncached(grammar, text, lines))


def _parse_uncached(grammar: str, text: str, lines: tuple[str, ...]) -> list[Tree | None]:
    from lark.exceptions import LarkError

    lark = parser(grammar)
    try:
        tree = lark.parse(text)
        children = [c for c in tree.children if not isinstance(c, str)]
        if len(children) == len(lines):
            return list(children)
    except LarkError:
        pass
    result: list[Tree | None] = []
    for logical in lines:
        try:
            sub = lark.parse(logical + "\n")
            result.append(sub.children[0] if sub.children else None)  # type: ignore[arg-type]
        except LarkError:
            result.append(None)
    return result


@cache
def _assignment_line() -> re.Pattern[str]:
    """The grammar's ``assignment`` rule (NAME _WS? EQUALS _WS? VALUE?) as one regular
    expression made of the grammar's own terminals. Each terminal's characters exclude
    the first character of the next, so the match splits a line as Lark's lexer does;
    tests/mta/postfix/test_fastpath.py checks that against the parser."""
    t = terminals("postfix_main")
    blanks = f"(?:{t['_WS']})?"
    return re.compile(
        f"(?P<name>{t['NAME']}){blanks}(?:{t['EQUALS']}){blanks}(?P<value>{t['VALUE']})?"
    )


# (rule, end of the name, start of the value, end of the value) of one main.cf line
_MainShape = tuple[str, int, int, int]


def _main_lines(lines: list[LogicalLine]) -> list[_MainShape]:
    """The shape of each logical line.

    Lines in the common ``name = value`` shape are matched with :func:`_assignment_line`;
    the others (syntax errors) go through the Lark parser.
    """
    fullmatch = _assignment_line().fullmatch
    shapes: list[_MainShape | None] = []
    others: list[LogicalLine] = []
    for logical in lines:
        m = fullmatch(logical.text)
        if m is None:
            shapes.append(None)
            others.append(logical)
        elif m.start("value") < 0:
            end = len(logical.text)
            shapes.append(("assignment", m.end("name"), end, end))
        else:
            shapes.append(("assignment", m.end("name"), m.start("value"), m.end("value")))
    if others:
        trees = iter(_parse_lines("postfix_main", others))
        for index, shape in enumerate(shapes):
            if shape is None:
                shapes[index] = _main_shape(next(trees), lines[index].text)
    return shapes  # type: ignore[return-value]


def _main_shape(tree: Tree | None, text: str) -> _MainShape:
    if tree is None:  # pragma: no cover - the grammar accepts every logical line
        return ("syntax-error", 0, 0, 0)
    tokens: list[Token] = list(tree.children)  # type: ignore[arg-type]
    if tree.data == "assignment" and len(tokens) > 2:
        start = _offset(tokens[2])
        return ("assignment", len(tokens[0]), start, start + len(tokens[2]))
    if tree.data == "assignment":
        return ("assignment", len(tokens[0]), len(text), len(text))
    return (str(tree.data), 0, 0, 0)


def parse_main(source: SourceFile) -> MainCf:
    fold = fold_lines(source)
    main = MainCf(source.path, comments=fold.comments, diagnostics=list(fold.diagnostics))
    path = source.path
    for logical, shape in zip(fold.lines, _main_lines(fold.lines), strict=True):
        kind, name_end, start, end = shape
        text = logical.text
        whole = logical.span(path, 0, len(text))
        if kind == "assignment":
            main.assignments.append(
                Assignment(
                    text[:name_end],
                    text[start:end],
                    whole,
                    logical.span(path, 0, name_end),
                    logical.span(path, start, end),
                )
            )
        elif kind == "missing_equals":
            main.diagnostics.append(
                Diagnostic(
                    "syntax-error",
                    f"missing '=' after attribute name: \"{text}\"",
                    whole,
                    fatal=True,
                )
            )
        elif kind == "missing_name":
            main.diagnostics.append(
                Diagnostic("syntax-error", f'missing attribute name: "{text}"', whole, fatal=True)
            )
        else:  # pragma: no cover - the grammar accepts every logical line
            main.diagnostics.append(
                Diagnostic("syntax-error", f'cannot parse line: "{text}"', whole, fatal=True)
            )
    return main


def _offset(token: Token) -> int:
    # Tokens of a line-by-line parse start at 0 within that line; tokens of the
    # whole-file parse carry a line/column, and the column is the offset in the line.
    return (token.column or 1) - 1


# ---------------------------------------------------------------- master.cf


@dataclass(slots=True)
class Word:
    """One whitespace-separated field of a master.cf entry, braces included."""

    text: str
    span: Span
    unclosed_brace: bool = False


@dataclass(slots=True)
class MasterEntry:
    words: list[Word]
    span: Span
    text: str

    @property
    def line(self) -> int:
        return self.span.line


@dataclass(slots=True)
class MasterCf:
    path: str
    entries: list[MasterEntry] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _flatten(node: Tree | Token, out: list[Token]) -> bool:
    """Collect the tokens of a field in order; True when a group is left unclosed."""
    from lark import Token

    if isinstance(node, Token):
        out.append(node)
        return False
    unclosed = False
    if node.data == "group":
        last = node.children[-1]
        unclosed = not (isinstance(last, Token) and last.type == "RBRACE")
    for child in node.children:
        unclosed |= _flatten(child, out)
    return unclosed


@cache
def _simple_entry() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The grammar's ``entry`` for a line whose braces are closed and not nested: fields
    made of TEXT, RBRACE and LBRACE (TEXT | WS)* RBRACE parts, separated by WS; and the
    field alone, to find them. Built from the grammar's terminals; a line with nested or
    unclosed braces does not match and goes to the parser.
    tests/mta/postfix/test_fastpath.py checks this against the parser."""
    t = terminals("postfix_master")
    # Atomic groups: each run of TEXT or WS is taken whole, as the lexer takes it, so a
    # line that does not match fails in linear time instead of trying every split.
    text, blanks = f"(?>{t['TEXT']})", f"(?>{t['WS']})"
    group = f"(?:{t['LBRACE']})(?:{text}|{blanks})*(?:{t['RBRACE']})"
    field = f"(?:{text}|{group}|{t['RBRACE']})+"
    return re.compile(f"{field}(?:(?:{t['WS']}){field})*"), re.compile(field)


# (offset, text, unclosed brace) of each field of one master.cf line
_Fields = list[tuple[int, str, bool]]


def _master_lines(lines: list[LogicalLine]) -> list[_Fields | None]:
    """The fields of each logical line: lines of the common shape by
    :func:`_simple_entry`, the others through the Lark parser. None for a line the
    grammar rejects."""
    entry, field_text = _simple_entry()
    shapes: list[_Fields | None] = []
    others: list[int] = []
    for index, logical in enumerate(lines):
        text = logical.text
        if entry.fullmatch(text):
            shapes.append([(m.start(), m.group(), False) for m in field_text.finditer(text)])
        else:
            shapes.append(None)
            others.append(index)
    if others:
        trees = _parse_lines("postfix_master", [lines[i] for i in others])
        for index, tree in zip(others, trees, strict=True):
            shapes[index] = None if tree is None else _master_fields(tree)
    return shapes


def _master_fields(tree: Tree) -> _Fields:
    from lark import Token

    fields = []
    for child in tree.children:
        if isinstance(child, Token):  # the WS between fields
            continue
        tokens: list[Token] = []
        unclosed = _flatten(child, tokens)
        fields.append((_offset(tokens[0]), "".join(str(t) for t in tokens), unclosed))
    return fields


def parse_master(source: SourceFile) -> MasterCf:
    fold = fold_lines(source)
    master = MasterCf(source.path, comments=fold.comments, diagnostics=list(fold.diagnostics))
    path = source.path
    for logical, fields in zip(fold.lines, _master_lines(fold.lines), strict=True):
        whole = logical.span(path, 0, len(logical.text))
        if fields is None:  # pragma: no cover - the grammar accepts every logical line
            master.diagnostics.append(
                Diagnostic(
                    "syntax-error", f'cannot parse line: "{logical.text}"', whole, fatal=True
                )
            )
            continue
        words = [
            Word(text, logical.span(path, start, start + len(text)), unclosed)
            for start, text, unclosed in fields
        ]
        master.entries.append(MasterEntry(words, whole, logical.text))
    return master
