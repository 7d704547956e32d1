"""Postfix main.cf / master.cf: text → syntax tree with spans.

The physical-to-logical line fold reproduces Postfix's ``readllines()``; the Lark
grammars in ``grammars/postfix_main.lark`` and ``grammars/postfix_master.lark`` then
parse the logical lines. Each AST node keeps the span of the text it came from, mapped
back through continuation lines to the physical line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from linter.diagnostics import Diagnostic
from linter.grammar import parser
from linter.source import SourceFile, Span

if TYPE_CHECKING:
    from lark import Token, Tree

_BLANKS = " \t\f\v"


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
            text = "".join(current).rstrip(" \t\f\v")
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


def parse_main(source: SourceFile) -> MainCf:
    fold = fold_lines(source)
    main = MainCf(source.path, comments=fold.comments, diagnostics=list(fold.diagnostics))
    path = source.path
    for logical, tree in zip(fold.lines, _parse_lines("postfix_main", fold.lines), strict=True):
        whole = logical.span(path, 0, len(logical.text))
        if tree is None:  # pragma: no cover - the grammar accepts every logical line
            main.diagnostics.append(
                Diagnostic(
                    "syntax-error", f'cannot parse line: "{logical.text}"', whole, fatal=True
                )
            )
            continue
        tokens: list[Token] = list(tree.children)  # type: ignore[arg-type]
        kind = tree.data
        if kind == "assignment":
            name_tok = tokens[0]
            value_tok = tokens[2] if len(tokens) > 2 else None
            name_span = logical.span(path, 0, len(name_tok))
            if value_tok is not None:
                start = _offset(value_tok)
                value_span = logical.span(path, start, start + len(value_tok))
                value = str(value_tok)
            else:
                value_span = logical.span(path, len(logical.text), len(logical.text))
                value = ""
            main.assignments.append(Assignment(str(name_tok), value, whole, name_span, value_span))
        elif kind == "missing_equals":
            main.diagnostics.append(
                Diagnostic(
                    "syntax-error",
                    f"missing '=' after attribute name: \"{logical.text}\"",
                    whole,
                    fatal=True,
                )
            )
        else:  # missing_name
            main.diagnostics.append(
                Diagnostic(
                    "syntax-error", f'missing attribute name: "{logical.text}"', whole, fatal=True
                )
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


def parse_master(source: SourceFile) -> MasterCf:
    from lark import Token

    fold = fold_lines(source)
    master = MasterCf(source.path, comments=fold.comments, diagnostics=list(fold.diagnostics))
    path = source.path
    for logical, tree in zip(fold.lines, _parse_lines("postfix_master", fold.lines), strict=True):
        whole = logical.span(path, 0, len(logical.text))
        if tree is None:  # pragma: no cover - the grammar accepts every logical line
            master.diagnostics.append(
                Diagnostic(
                    "syntax-error", f'cannot parse line: "{logical.text}"', whole, fatal=True
                )
            )
            continue
        words: list[Word] = []
        for child in tree.children:
            if isinstance(child, Token):  # the WS between fields
                continue
            tokens: list[Token] = []
            unclosed = _flatten(child, tokens)
            start = _offset(tokens[0])
            text = "".join(str(t) for t in tokens)
            words.append(Word(text, logical.span(path, start, start + len(text)), unclosed))
        master.entries.append(MasterEntry(words, whole, logical.text))
    return master
