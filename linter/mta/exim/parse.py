"""Exim's line pre-pass: physical lines → logical lines, as ``readconf.c`` reads them.

This transcribes ``get_config_line()`` and ``macros_expand()`` of Exim 4.96, in their
order, per physical line:

1. leading whitespace is skipped;
2. macros are substituted: every defined macro, in order of definition, replaces each
   occurrence of its name (a plain substring search: no word boundaries), scanning from
   the first character that can start a macro name; built-in ``_`` macros take part only
   when that character is ``_``; the name part of a definition line (``NAME =``) is left
   alone;
3. a line starting with ``#`` (after substitution) is a comment;
4. ``.ifdef`` / ``.ifndef`` / ``.elifdef`` / ``.elifndef`` / ``.else`` / ``.endif``: true when
   a substitution happened anywhere on the line; nested up to 10 deep;
5. ``.include`` / ``.include_if_exists`` read another file in place;
6. trailing whitespace is removed, and a line ending in ``\\`` continues on the next one,
   whose leading whitespace is removed; comment lines may sit in between, an empty line
   ends the logical line;
7. ``begin NAME`` ends a section.

Exim puts no bound on the lines an ``.include`` fan-out reads or on the text macros
produce; this reader does (:class:`linter.limits.Limits`): an ``.include`` that would take
the lines read past ``exim_lines_read`` is not read, a physical line whose macro
substitution grows past ``exim_macro_line_size`` is dropped, and once macro substitution
has cost ``exim_macro_work`` characters in all the reading stops. Each is reported once,
as a limit-exceeded diagnostic at the line that reached it.

Exim stops at the first error; this reader reports it with Exim's wording and carries
on where that makes sense, so one run shows as much as it can. Each logical line keeps a
map back to the file, line and column every character came from, through macros and
includes.
"""

from __future__ import annotations

import bisect
import codecs
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from linter.diagnostics import Diagnostic
from linter.limits import DEFAULT_LIMITS, Limits
from linter.source import InputError, Span, read_limited

WS = " \t\n\v\f\r"
CSTATE_STACK_SIZE = 10
MAX_INCLUDE_DEPTH = 32
MACRO_NAME_MAX = 63

# .ifdef family: (name, state if a macro was found, state if not, push/pop)
_CONDITIONALS = (
    ("ifdef", 0, 1, 1),
    ("ifndef", 1, 0, 1),
    ("elifdef", 2, 3, 0),
    ("elifndef", 3, 2, 0),
    ("else", 2, 2, 0),
    ("endif", 0, 0, -1),
)
# state 0: reading; 1: condition failed, skipping to .else/.elifdef/.endif;
# 2: skipping to .endif
_NEXT_STATE = ((0, 1, 2, 2), (2, 2, 0, 1), (2, 2, 2, 2))


def isupper(c: str) -> bool:
    return "A" <= c <= "Z"


def isalpha(c: str) -> bool:
    return ("a" <= c <= "z") or ("A" <= c <= "Z")


def isalnum(c: str) -> bool:
    return isalpha(c) or ("0" <= c <= "9")


def isdigit(c: str) -> bool:
    return "0" <= c <= "9"


# where a macro name can start (macros_expand()): an upper-case letter, or "_" before one
_CANDIDATE = re.compile(r"[A-Z]|_(?=[A-Z])")


def _skip_to_candidate(text: str, i: int) -> int:
    found = _CANDIDATE.search(text, i)
    return found.start() if found else max(i, len(text))


def skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in WS:
        i += 1
    return i


def read_name(text: str, i: int, limit: int = 63) -> tuple[str, int]:
    """``readconf_readname()``: skip spaces, a name starting with a letter, skip spaces."""
    i = skip_ws(text, i)
    start = i
    if i < len(text) and isalpha(text[i]):
        while i < len(text) and (isalnum(text[i]) or text[i] == "_"):
            i += 1
    name = text[start:i][:limit]
    return name, skip_ws(text, i)


# ---------------------------------------------------------------- data


@dataclass(slots=True)
class Macro:
    name: str
    value: str
    command_line: bool = False
    builtin: bool = False
    span: Span | None = None  # where it was (last) defined


@dataclass(slots=True)
class _Segment:
    offset: int  # where this physical line's text starts in the logical text
    path: str
    line: int
    columns: list[int]  # 0-based source column of each character


@dataclass(slots=True)
class LogicalLine:
    """One logical line of configuration and where each character came from."""

    text: str
    segments: list[_Segment]
    # the file and line Exim names in an error about this line: its last physical line
    last_path: str
    last_line: int
    seq: int = 0  # position in reading order

    @property
    def path(self) -> str:
        return self.segments[0].path

    @property
    def line(self) -> int:
        return self.segments[0].line

    def position(self, offset: int) -> tuple[str, int, int]:
        """(path, 1-based line, 1-based column) of the character at ``offset``."""
        starts = [s.offset for s in self.segments]
        index = max(0, bisect.bisect_right(starts, offset) - 1)
        seg = self.segments[index]
        rel = offset - seg.offset
        if not seg.columns:
            return seg.path, seg.line, 1
        if rel >= len(seg.columns):
            return seg.path, seg.line, seg.columns[-1] + 2 + (rel - len(seg.columns))
        return seg.path, seg.line, seg.columns[max(rel, 0)] + 1

    def span(self, start: int = 0, end: int | None = None) -> Span:
        end = len(self.text) if end is None else end
        path, line, col = self.position(start)
        if end <= start:
            return Span(path, line, col, line, col)
        end_path, end_line, end_col = self.position(end - 1)
        if end_path != path:  # runs on into an included file: stop at the first
            return Span(path, line, col, line, col + 1)
        return Span(path, line, col, end_line, end_col + 1)


@dataclass
class SourceText:
    path: Path  # for reading includes relative to it
    display: str
    lines: list[str]  # physical lines, each with its "\n" when the file had one
    bom: bool = False


def decode_config(data: bytes) -> str:
    """Exim reads bytes: UTF-8 where it is valid, else one character per byte."""
    if b"\x00" in data:
        raise ValueError("binary file: NUL byte found, not a text configuration")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def split_physical(text: str) -> list[str]:
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def load_source(path: Path, display: str, max_bytes: int, root: Path | None = None) -> SourceText:
    data = read_limited(path, display, max_bytes, root)
    try:
        text = decode_config(data)
    except ValueError as exc:
        raise InputError(display, str(exc)) from None
    return SourceText(path, display, split_physical(text), data.startswith(codecs.BOM_UTF8))


# ---------------------------------------------------------------- the reader


@dataclass
class _Frame:
    source: SourceText
    index: int = 0  # next physical line to read (0-based)
    directory: str = ""  # for relative .include names, as Exim builds them (absolute)
    resolved: str = ""  # the real path, to notice a file that includes itself


Opener = Callable[[str, Span], "SourceText | str | None"]


@dataclass
class Reader:
    """``get_config_line()`` over a file and everything it includes."""

    top: SourceText
    opener: Opener  # resolves an .include: SourceText, an error message, or None
    diagnostics: list[tuple[tuple[int, int, int], Diagnostic]] = field(default_factory=list)
    macros: list[Macro] = field(default_factory=list)
    user_start: int = 0  # index of the first user macro in ``macros``
    next_section: str = ""
    seq: int = 0
    includes: list[tuple[str, Span]] = field(default_factory=list)
    comments: list[tuple[str, int, str]] = field(default_factory=list)
    lines_read: int = 0
    begin_line: LogicalLine | None = None  # the last "begin NAME" line read
    limits: Limits = DEFAULT_LIMITS
    macro_work: int = 0  # characters macro substitution has scanned and produced
    includes_read: int = 0  # files read by .include, each time

    def __post_init__(self) -> None:
        directory = os.path.dirname(os.path.abspath(self.top.path))
        self._stack: list[_Frame] = [_Frame(self.top, 0, directory)]
        self._stack[0].resolved = _resolved(self.top.path)
        self._cstate = 0
        self._cstack: list[int] = []
        self._cstack_spans: list[Span] = []
        self._limits_reached: set[str] = set()

    # ------------------------------------------------------------ macros
    def add_builtins(self, builtins: list[tuple[str, str]]) -> None:
        self.macros[:0] = [Macro(n, v, builtin=True) for n, v in builtins]
        self.user_start += len(builtins)

    def define_command_line(self, name: str, value: str) -> None:
        self.macros.append(Macro(name, value, command_line=True))

    def report(
        self,
        message: str,
        span: Span,
        *,
        kind: str = "syntax-error",
        fatal: bool = True,
        phase: int = 0,
        exim_line: tuple[str, int] | None = None,
        data: dict[str, object] | None = None,
        at_end: bool = False,
    ) -> None:
        """Record a diagnostic in Exim's reading order.

        Phase 0 is an error met while reading the next logical line, 1 one about the line
        just read (or, ``at_end``, about what the end of the input closes), 2 one about
        the ``begin`` line just read.
        """
        extra: dict[str, object] = dict(data or {})
        if exim_line is not None:
            extra["exim_path"], extra["exim_line"] = exim_line
        seq = self.seq + 1 if (phase == 0 or at_end) else self.seq
        key = (seq, phase, len(self.diagnostics))
        self.diagnostics.append((key, Diagnostic(kind, message, span, fatal, extra)))

    def read_macro_assignment(self, line: LogicalLine) -> None:
        """``macro_read_assignment()``; ``line`` starts with the macro name."""
        text = line.text
        i = 0
        while i < len(text) and (isalnum(text[i]) or text[i] == "_"):
            i += 1
        name = text[:i]
        where = (line.last_path, line.last_line)
        if len(name) > MACRO_NAME_MAX:
            self.report(
                f"macro name too long (maximum is {MACRO_NAME_MAX} characters)",
                line.span(0, i),
                phase=1,
                exim_line=where,
            )
            return
        i = skip_ws(text, i)
        if i >= len(text) or text[i] != "=":
            self.report("malformed macro definition", line.span(), phase=1, exim_line=where)
            return
        i += 1
        redef = i < len(text) and text[i] == "="
        if redef:
            i += 1
        i = skip_ws(text, i)
        value = text[i:]
        found: Macro | None = None
        for m in self.macros:
            if m.name == name:
                if not m.command_line and not redef:
                    self.report(
                        f'macro "{name}" is already defined (use "==" if you want to redefine it)',
                        line.span(0, len(name)),
                        phase=1,
                        data={"macro": name},
                    )
                    return
                found = m
                break
            if len(m.name) < len(name) and m.name in name:
                self.report(
                    f'"{name}" cannot be defined as a macro because previously defined '
                    f'macro "{m.name}" is a substring',
                    line.span(0, len(name)),
                    phase=1,
                    data={"macro": name},
                )
                return
        if found is not None and found.command_line:
            return
        span = line.span(0, len(name))
        if redef:
            if found is None:
                self.report(
                    f'can\'t redefine an undefined macro "{name}"',
                    span,
                    phase=1,
                    data={"macro": name},
                )
                return
            found.value = value
            found.span = span
            return
        self.macros.append(Macro(name, value, span=span))

    def _expand(self, text: str, start: int, columns: list[int]) -> tuple[str, bool]:
        """``macros_expand()`` on one physical line; ``columns`` is updated in step.

        Exim replaces each occurrence in place and goes on after the replacement; built
        here one pass per macro from pieces, which is the same text in linear time.
        Raises :class:`_LimitReached` past the line size or the work bound.
        """
        found = False
        s = _skip_to_candidate(text, start)
        if s >= len(text):
            return text, False
        size_limit = max(self.limits.exim_macro_line_size, len(text))
        work_limit = self.limits.exim_macro_work
        candidates = self.macros if text[s] == "_" else self.macros[self.user_start :]
        for m in candidates:
            s = _skip_to_candidate(text, s)
            if s >= len(text):
                break
            self.macro_work += len(text) - s
            p = text.find(m.name, s)
            if p < 0:
                if self.macro_work > work_limit:
                    raise _LimitReached("exim_macro_work", work_limit)
                continue
            n, r = len(m.name), len(m.value)
            pieces: list[str] = []
            new_columns: list[int] = []
            size = len(text)
            last = 0
            while p >= 0:
                pieces += (text[last:p], m.value)
                new_columns += columns[last:p]
                new_columns += [columns[p]] * r
                size += r - n
                if size > size_limit:
                    raise _LimitReached("exim_macro_line_size", size_limit)
                last = p + n
                t = _skip_to_candidate(text, last)
                p = text.find(m.name, t) if t < len(text) else -1
            pieces.append(text[last:])
            new_columns += columns[last:]
            text = "".join(pieces)
            columns[:] = new_columns
            self.macro_work += len(text)
            if self.macro_work > work_limit:
                raise _LimitReached("exim_macro_work", work_limit)
            found = True
        return text, found

    def _limit(
        self, limit: str, amount: int, what: str, span: Span, where: tuple[str, int]
    ) -> None:
        """Report reaching ``limit`` once per configuration."""
        if limit in self._limits_reached:
            return
        self._limits_reached.add(limit)
        self.report(
            f"{what} (raise with --limit {limit}=N)",
            span,
            kind="limit-exceeded",
            fatal=False,
            exim_line=where,
            data={"limit": limit, "bound": amount},
        )

    # ------------------------------------------------------------ reading
    def _physical(self) -> tuple[_Frame, str, int] | None:
        while self._stack:
            frame = self._stack[-1]
            if frame.index < len(frame.source.lines):
                text = frame.source.lines[frame.index]
                frame.index += 1
                self.lines_read += 1
                return frame, text, frame.index
            self._stack.pop()
        return None

    def _macro_limit(self, exc: _LimitReached, span: Span, where: tuple[str, int]) -> None:
        if exc.limit == "exim_macro_line_size":
            what = (
                f"macro substitution makes this line longer than {exc.amount} characters; "
                "the line is not read"
            )
        else:
            what = (
                f"macro substitution has cost more than {exc.amount} characters of work; "
                "the configuration from this line on is not read"
            )
        self._limit(exc.limit, exc.amount, what, span, where)

    def _where(self) -> tuple[str, int]:
        frame = self._stack[-1] if self._stack else None
        if frame is None:
            return self.top.display, len(self.top.lines)
        return frame.source.display, frame.index

    def next_line(self) -> LogicalLine | None:
        """The next logical line of the current section; None at ``begin`` or the end.

        At the end of a section ``next_section`` holds the next section's name, or is
        empty at the end of the configuration.
        """
        buffer = ""
        segments: list[_Segment] = []
        last = (self.top.display, 0)
        while True:
            got = self._physical()
            if got is None:
                if self._cstack:
                    path, count = self.top.display, len(self.top.lines)
                    self.report(
                        "Unexpected end of configuration file: .endif missing",
                        self._cstack_spans[-1],
                        exim_line=(path, count),
                        data={"exim_eof": True},
                    )
                    self._cstack.clear()
                    self._cstack_spans.clear()
                if buffer:
                    break
                self.next_section = ""
                return None
            frame, raw, number = got
            path = frame.source.display
            last = (path, number)
            ss = skip_ws(raw, 0)
            s = ss
            if not buffer and ss < len(raw) and isupper(raw[ss]):
                i = ss
                while i < len(raw) and (isalnum(raw[i]) or raw[i] == "_"):
                    i += 1
                i = skip_ws(raw, i)
                s = i if i < len(raw) and raw[i] == "=" else ss
            columns = list(range(len(raw)))
            try:
                text, macro_found = self._expand(raw, s, columns)
            except _LimitReached as exc:
                self._macro_limit(exc, Span(path, number, ss + 1), last)
                if exc.limit == "exim_macro_work":
                    self._stack.clear()  # nothing more is read
                    self._cstack.clear()  # so no ".endif missing" either
                    self._cstack_spans.clear()
                continue
            ss = skip_ws(text, ss)
            if ss < len(text) and text[ss] == "#":
                self.comments.append((path, number, text[ss:].rstrip(WS)))
                continue
            here = Span(path, number, (columns[ss] + 1) if ss < len(columns) else 1)
            if ss < len(text) and text[ss] == ".":
                handled = False
                for name, if_found, if_not, pushpop in _CONDITIONALS:
                    if not text.startswith(name, ss + 1):
                        continue
                    handled = True
                    after = ss + 1 + len(name)
                    n = text[after] if after < len(text) else "\0"
                    if n not in (" ", "t", "\n", "\0"):
                        break  # Exim drops the line without acting on it
                    action = if_found if macro_found else if_not
                    if pushpop > 0:
                        if len(self._cstack) >= CSTATE_STACK_SIZE:
                            self.report(f".{name} nested too deeply", here, exim_line=last)
                            break
                        self._cstack.append(self._cstate)
                        self._cstack_spans.append(here)
                        self._cstate = _NEXT_STATE[self._cstate][action]
                    else:
                        if not self._cstack:
                            self.report(f".{name} without matching .ifdef", here, exim_line=last)
                            break
                        if pushpop < 0:
                            self._cstate = self._cstack.pop()
                            self._cstack_spans.pop()
                        else:
                            self._cstate = _NEXT_STATE[self._cstate][action]
                    break
                if handled:
                    continue
            if self._cstate != 0:
                continue
            if text.startswith(".include", ss):
                rest = text[ss + 8 :]
                if rest[:1] and rest[0] in WS:
                    if_exists = False
                elif rest.startswith("_if_exists") and rest[10:11] and rest[10] in WS:
                    if_exists = True
                else:
                    if_exists = None
                if if_exists is not None:
                    self._include(text, ss, if_exists, frame, here, last)
                    continue
            segments.append(_Segment(len(buffer), path, number, columns[ss:]))
            buffer += text[ss:]
            buffer = buffer.rstrip(WS)
            if buffer:
                if buffer[-1] != "\\":
                    break
                buffer = buffer[:-1]
        self.seq += 1
        line = LogicalLine(buffer, segments, last[0], last[1], self.seq)
        if buffer[:6].lower() == "begin ":
            i = skip_ws(buffer, 6)
            self.next_section = buffer[i : i + 22]
            self.begin_line = line
            return None
        return line

    def _include(
        self,
        text: str,
        ss: int,
        if_exists: bool,
        frame: _Frame,
        here: Span,
        last: tuple[str, int],
    ) -> None:
        i = skip_ws(text, ss + 9 + (10 if if_exists else 0))
        j = len(text)
        while j > i and text[j - 1] in WS:
            j -= 1
        name = text[i:j]
        if len(name) >= 2 and name[0] == '"' and name[-1] == '"':
            name = name[1:-1]
        if not name.startswith("/"):
            if if_exists:
                self.report(
                    f'.include specifies a non-absolute path "{name}"', here, exim_line=last
                )
                return
            name = f"{frame.directory}/{name}"
        self.includes.append((name, here))
        target = _resolved(name)
        for open_frame in self._stack:
            if open_frame.source.display == name or open_frame.resolved == target:
                chain = " -> ".join(f.source.display for f in self._stack)
                self.report(
                    f"failed to open included configuration file {name} (it includes "
                    f"itself: {chain} -> {name})",
                    here,
                    kind="include-cycle",
                    exim_line=last,
                )
                return
        if len(self._stack) > MAX_INCLUDE_DEPTH:
            self.report(
                f".include of {name} is nested more than {MAX_INCLUDE_DEPTH} files deep; not read",
                here,
                kind="include-too-deep",
                exim_line=last,
            )
            return
        lines_limit = self.limits.exim_lines_read
        if self._limits_reached & {"exim_lines_read", "exim_includes"}:
            return  # reported at the first .include not read
        if self.includes_read >= self.limits.exim_includes:
            self._limit(
                "exim_includes",
                self.limits.exim_includes,
                f".include of {name} would be the configuration's include number "
                f"{self.includes_read + 1} (a file counted each time it is read), past "
                f"{self.limits.exim_includes}; it and every later .include are not read",
                here,
                last,
            )
            return
        result = self.opener(name, here)
        if isinstance(result, SourceText) and self.lines_read + len(result.lines) > lines_limit:
            self._limit(
                "exim_lines_read",
                lines_limit,
                f".include of {name} would take the configuration past {lines_limit} lines "
                "read (a file counted each time it is read); it and every later .include "
                "are not read",
                here,
                last,
            )
            return
        if result is None:
            if if_exists:
                return
            self.report(
                f"failed to open included configuration file {name}",
                here,
                kind="include-missing",
                exim_line=last,
            )
            return
        if isinstance(result, str):  # not followed: outside the tree, unreadable
            self.report(result, here, kind="include-not-read", fatal=False, exim_line=last)
            return
        self.includes_read += 1
        frame = _Frame(result, 0, name.rpartition("/")[0] or "/")
        frame.resolved = _resolved(result.path)
        self._stack.append(frame)


class _LimitReached(Exception):
    def __init__(self, limit: str, amount: int) -> None:
        super().__init__(limit)
        self.limit = limit
        self.amount = amount


def _resolved(path: str | Path) -> str:
    """The real path of ``path``, or ``path`` itself when it cannot be resolved."""
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):  # RuntimeError: a link loop (Python 3.11)
        return str(path)
