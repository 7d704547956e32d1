"""GNU m4's regular expressions (``regexp``, ``patsubst``), evaluated with bounded work.

GNU m4 1.4 compiles its patterns with GNU regex in Emacs syntax (``RE_SYNTAX_EMACS``):
``\\(`` ``\\)`` group, ``\\|`` alternates, ``*`` ``+`` ``?`` repeat (and stack: ``a**`` is
``(a*)*``, ``a*?`` is ``(a*)?``), ``{`` ``}`` and ``\\{`` ``\\}`` are plain characters (no
intervals), ``^`` anchors only at the start of the pattern or after ``\\(`` / ``\\|`` and
``$`` only at its end or before ``\\)`` / ``\\|`` (both also at line ends inside the
string), ``\\``` and ``\\'`` are the string's ends, ``\\w`` ``\\W`` ``\\s`` ``\\S`` ``\\b``
``\\B`` ``\\<`` ``\\>`` are GNU operators, ``\\1``-``\\9`` back-references, a backslash
before anything else is that character, brackets know no escapes and no ``[:class:]``. The
match is the leftmost-longest (POSIX), not the leftmost-first of Perl.

A .mc file is written by anyone, and a backtracking engine (Python's ``re``) takes
exponential time on ``\\(a*\\)*$``, so patterns are translated to RE2 (linear time,
leftmost-longest mode) wherever RE2 can say the same thing. What it cannot (back-references,
``\\<`` and ``\\>``) runs on Python's ``re`` under the caller's time budget. RE2 is imported
only when a file uses a regular expression.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# GNU regex in a UTF-8 locale: a word character is a letter, a digit or _ (RE2's own \w
# and \b are ASCII only; Python's \w is Unicode)
_WORD_RE2 = "\\pL\\pN_"
_SPACE = " \\t\\n\\r\\f\\v"
# what RE2 / Python need escaped outside and inside brackets
_SPECIAL = frozenset("\\.^$|?*+()[]{}")
_CLASS_SPECIAL = frozenset("\\]^-[")


class RegexSyntaxError(ValueError):
    """GNU regex refuses the pattern; ``message`` is its wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RegexTimeLimit(Exception):
    """The regular expressions of one run took longer than their budget."""


@dataclass
class Translation:
    re2: str | None  # None: RE2 cannot say it (back-references, \< \>)
    python: str
    groups: int


def _lit(c: str) -> str:
    return "\\" + c if c in _SPECIAL else c


def _class_char(c: str) -> str:
    return "\\" + c if c in _CLASS_SPECIAL else c


class _Translator:
    def __init__(self, pattern: str) -> None:
        self.p = pattern
        self.i = 0
        self.groups = 0
        self.closed: set[int] = set()
        self.python_only = False

    def _at(self, s: str, i: int | None = None) -> bool:
        return self.p.startswith(s, self.i if i is None else i)

    def translate(self) -> Translation:
        r2, py = self._alternation()
        if self.i < len(self.p):  # only a \) can stop the top level early
            raise RegexSyntaxError("Unmatched ) or \\)")
        return Translation(None if self.python_only else "(?m)" + r2, "(?m)" + py, self.groups)

    def _alternation(self) -> tuple[str, str]:
        branches = [self._branch()]
        while self._at("\\|"):
            self.i += 2
            branches.append(self._branch())
        return "|".join(b[0] for b in branches), "|".join(b[1] for b in branches)

    def _branch(self) -> tuple[str, str]:
        r2: list[str] = []
        py: list[str] = []
        first = True
        while self.i < len(self.p) and not self._at("\\|") and not self._at("\\)"):
            a, b = self._expression(first)
            r2.append(a)
            py.append(b)
            first = False
        return "".join(r2), "".join(py)

    def _anchor_end(self) -> bool:
        j = self.i + 1
        return j == len(self.p) or self._at("\\|", j) or self._at("\\)", j)

    def _expression(self, first: bool) -> tuple[str, str]:
        p, c = self.p, self.p[self.i]
        # anchors take no repetition: a * after one is a plain character
        if c == "^" and first:
            self.i += 1
            return "^", "^"
        if c == "$" and self._anchor_end():
            self.i += 1
            return "$", "$"
        if c == "\\" and self.i + 1 < len(p) and p[self.i + 1] in "`'bB<>":
            n = p[self.i + 1]
            self.i += 2
            anchors = {
                "`": ("\\A", "\\A"),
                "'": ("\\z", "\\Z"),
                "b": ("\\b", "\\b"),
                "B": ("\\B", "\\B"),
                "<": ("", "\\b(?=\\w)"),
                ">": ("", "\\b(?<=\\w)"),
            }
            if n in "<>":
                self.python_only = True
            return anchors[n]
        atom = self._atom()
        while self.i < len(p) and p[self.i] in "*+?":
            op = p[self.i]
            self.i += 1
            atom = (f"(?:{atom[0]}){op}", f"(?:{atom[1]}){op}")
        return atom

    def _atom(self) -> tuple[str, str]:
        p, c = self.p, self.p[self.i]
        if c == "[":
            cls = self._bracket()
            return cls, cls
        if c == ".":
            self.i += 1
            return ".", "."
        if c != "\\":
            self.i += 1  # * + ? here start an expression: plain characters
            return _lit(c), _lit(c)
        if self.i + 1 >= len(p):
            raise RegexSyntaxError("Trailing backslash")
        n = p[self.i + 1]
        self.i += 2
        if n == "(":
            self.groups += 1
            number = self.groups
            r2, py = self._alternation()
            if not self._at("\\)"):
                raise RegexSyntaxError("Unmatched ( or \\(")
            self.i += 2
            self.closed.add(number)
            return f"({r2})", f"({py})"
        if n.isdecimal() and n != "0":
            if int(n) not in self.closed:
                raise RegexSyntaxError("Invalid back reference")
            self.python_only = True
            return "", f"(?:\\{n})"
        classes = {
            "w": (f"[{_WORD_RE2}]", "\\w"),
            "W": (f"[^{_WORD_RE2}]", "\\W"),
            "s": (f"[{_SPACE}]", f"[{_SPACE}]"),
            "S": (f"[^{_SPACE}]", f"[^{_SPACE}]"),
        }
        if n in classes:
            return classes[n]
        return _lit(n), _lit(n)

    def _bracket(self) -> str:
        p = self.p
        self.i += 1
        negate = self._at("^")
        if negate:
            self.i += 1
        if self.i >= len(p):
            raise RegexSyntaxError("Invalid regular expression")
        items: list[str] = []
        first = True
        while True:
            if self.i >= len(p):
                raise RegexSyntaxError("Unmatched [, [^, [:, [., or [=")
            if p[self.i] == "]" and not first:
                self.i += 1
                break
            first = False
            lo = self._bracket_char()
            if self._at("-") and self.i + 1 < len(p) and p[self.i + 1] != "]":
                self.i += 1
                hi = self._bracket_char()
                if lo <= hi:  # GNU regex: a reversed range matches nothing
                    items.append(f"{_class_char(lo)}-{_class_char(hi)}")
                continue
            items.append(_class_char(lo))
        if not items:  # only reversed ranges: nothing (or, negated, anything)
            everything = "\\x00-\\x{10FFFF}"
            return f"[{everything}]" if negate else f"[^{everything}]"
        return "[" + ("^" if negate else "") + "".join(items) + "]"

    def _bracket_char(self) -> str:
        p = self.p
        for opener, closer in (("[.", ".]"), ("[=", "=]")):
            if self._at(opener):
                end = p.find(closer, self.i + 2)
                if end == -1:
                    raise RegexSyntaxError("Unmatched [, [^, [:, [., or [=")
                name = p[self.i + 2 : end]
                if len(name) != 1:  # the C locale has single-character elements only
                    raise RegexSyntaxError("Invalid collation character")
                self.i = end + 2
                return name
        c = p[self.i]
        self.i += 1
        return c


def translate(pattern: str) -> Translation:
    """The RE2 and Python forms of a GNU m4 pattern (``RegexSyntaxError`` if GNU refuses)."""
    return _Translator(pattern).translate()


_Hit = tuple[int, int, list[Any]]  # start, end, groups (bytes or str, None: unmatched)


@dataclass
class Found:
    """One match: where it starts (in bytes, as GNU m4 counts) and its groups' texts."""

    start: int
    groups: list[str | None]  # group 0 is the whole match


class Pattern:
    """A compiled m4 pattern; every search checks the caller's deadline."""

    def __init__(self, pattern: str) -> None:
        self.source = pattern
        self.translation = translate(pattern)
        self.groups = self.translation.groups
        self._re2: Any = None
        self._py: re.Pattern[str] | None = None
        if self.translation.re2 is not None:
            self._re2 = _compile_re2(self.translation.re2)
        if self._re2 is None:  # RE2 cannot say it, or will not take it (too large)
            try:
                self._py = re.compile(self.translation.python)
            except (re.error, RecursionError) as exc:
                raise RegexSyntaxError("Invalid regular expression") from exc

    def _searcher(
        self, text: str, deadline: float
    ) -> tuple[bytes | str, Callable[[int], _Hit | None]]:
        """The subject in the engine's unit (RE2: UTF-8 bytes, re: characters) and a search
        from an offset in it."""
        if self._re2 is not None:
            data = text.encode("utf-8", "surrogatepass")
            rx2 = self._re2

            def search_re2(pos: int) -> _Hit | None:
                if time.monotonic() > deadline:
                    raise RegexTimeLimit()
                m = rx2.search(data, pos)
                if m is None:
                    return None
                return m.start(), m.end(), [m.group(k) for k in range(self.groups + 1)]

            return data, search_re2
        rx = self._py
        assert rx is not None

        def search_py(pos: int) -> _Hit | None:
            m = _timed(lambda: rx.search(text, pos), deadline)
            if m is None:
                return None
            return m.start(), m.end(), [m.group(k) for k in range(self.groups + 1)]

        return text, search_py

    def first(self, text: str, deadline: float) -> Found | None:
        """``regexp``: the leftmost match, or None."""
        data, search = self._searcher(text, deadline)
        hit = search(0)
        if hit is None:
            return None
        start, _, groups = hit
        if isinstance(data, str):
            start = len(data[:start].encode("utf-8", "surrogatepass"))
        return Found(start, [_text(v) for v in groups])

    def substitute(
        self,
        text: str,
        replace: Callable[[Found], str],
        emit: Callable[[str], None],
        deadline: float,
    ) -> None:
        """``patsubst``: GNU m4's loop. Each match is replaced; a match of the empty string
        copies one character and moves on, so the empty pattern matches at every
        position."""
        data, search = self._searcher(text, deadline)
        length = len(data)
        step = _char_step(data)
        offset = 0
        while offset <= length:
            hit = search(offset)
            if hit is None:
                emit(_text(data[offset:]) or "")
                return
            start, end, groups = hit
            if start > offset:
                emit(_text(data[offset:start]) or "")
            emit(replace(Found(start, [_text(v) for v in groups])))
            offset = end
            if start == end:
                if offset < length:
                    nxt = step(offset)
                    emit(_text(data[offset:nxt]) or "")
                    offset = nxt
                else:
                    offset += 1


def _text(value: bytes | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.decode("utf-8", "surrogatepass")


def _char_step(data: bytes | str) -> Callable[[int], int]:
    """The offset after the character at ``i`` (a UTF-8 character is several bytes)."""
    if isinstance(data, str):
        return lambda i: i + 1

    def step(i: int) -> int:
        i += 1
        while i < len(data) and data[i] & 0xC0 == 0x80:
            i += 1
        return i

    return step


_RE2: Any = None


def _re2_module() -> Any:
    global _RE2
    if _RE2 is None:
        import re2  # linear-time engine; only files that use regexp/patsubst pay its import

        _RE2 = re2
    return _RE2


def _compile_re2(source: str) -> Any | None:
    re2 = _re2_module()
    options = re2.Options()
    options.longest_match = True  # POSIX leftmost-longest, as GNU regex
    options.log_errors = False
    options.max_mem = 32 << 20
    try:
        return re2.compile(source.encode("utf-8", "surrogatepass"), options)
    except re2.error:
        return None  # e.g. larger than max_mem: Python's re runs it, under the time budget


class _Alarm(Exception):
    pass


def _timed(search: Callable[[], re.Match[str] | None], deadline: float) -> re.Match[str] | None:
    """Run one backtracking search, interrupted at ``deadline`` (Python's ``re`` checks for
    signals while it matches). Outside the main thread no alarm can be set, so such a
    pattern is not run at all."""
    remaining = deadline - time.monotonic()
    if remaining <= 0 or threading.current_thread() is not threading.main_thread():
        raise RegexTimeLimit()

    def ring(signum: int, frame: object) -> None:
        raise _Alarm()

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        return search()
    except _Alarm:
        raise RegexTimeLimit() from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
