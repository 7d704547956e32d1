"""A bounded GNU m4 evaluator, enough of it to read sendmail's ``cf/`` macros.

sendmail's configuration is an m4 program: ``m4 cf.m4 sendmail.mc`` prints the
``sendmail.cf``. mtalint never runs m4 (or anything else a configuration names); it
evaluates the ``.mc`` with this interpreter, which follows GNU m4 1.4's reading rules:
quoted strings nest and lose one level of quotes, a macro name is a call with arguments
only when ``(`` follows it at once, arguments are expanded while they are collected and
lose their unquoted leading whitespace, and every expansion is read again.

Everything is bounded: the number of macro calls, the nesting of calls and the amount of
text expansions may push back, so a self-referential definition ends with an
:class:`ExpansionLimit` instead of a hang. ``syscmd``/``esyscmd`` never run anything.
``include`` asks the caller's resolver, which decides what may be read.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from linter.limits import DEFAULT_LIMITS, Limits

NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
NAME_CHARS = NAME_START | frozenset("0123456789")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = frozenset(" \t\n\r\f\v")

# Real .mc files make 1,200-2,000 calls (cf.m4 included); a definition that expands
# forever reaches this in a few seconds.
MAX_CALLS = 100_000
MAX_NESTING = 120
MAX_PUSHED = 16 * 1024 * 1024
# what re-reading chosen ifdef/ifelse arguments at their own lines may copy in all
REREAD_BUDGET = 16 * 1024 * 1024


class ExpansionLimit(Exception):
    """The input does not terminate (or not within the bounds)."""


class OutputLimit(ExpansionLimit):
    """The text the interpreter produced passed ``Limits.m4_output_size``: GNU m4 would go
    on, mtalint stops (a limit of its own, not the MTA's failure)."""

    limit = "m4_output_size"


class M4Exit(Exception):
    pass


@dataclass
class Source:
    """A file the interpreter reads: ``kind`` is ``user`` (a configuration file, whose
    positions become spans) or ``library`` (sendmail's own cf/ files)."""

    name: str
    text: str
    kind: str = "user"
    _starts: list[int] | None = None

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of ``offset``."""
        if self._starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._starts = starts
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


@dataclass
class Frame:
    text: str
    pos: int = 0
    source: Source | None = None  # None: pushed-back expansion text


@dataclass
class Token:
    kind: str  # word, string, comment, simple, eof
    text: str
    source: Source | None = None
    start: int = 0
    end: int = 0
    raw: str = ""  # a string token as written, quotes included


@dataclass
class Call:
    """One macro call whose name was read from a user file: where it and its
    arguments are."""

    name: str
    source: Source
    start: int
    end: int = 0
    args: list[str] = field(default_factory=list)
    # per argument: (start, end) offsets in ``source``, or None when the argument did
    # not come from the file itself
    arg_spans: list[tuple[int, int] | None] = field(default_factory=list)
    nested: bool = False  # inside another call's arguments


@dataclass
class Macro:
    name: str
    body: str = ""
    builtin: Callable[[list[str]], str] | None = None
    blind: bool = False


@dataclass
class Message:
    text: str
    call: Call | None
    kind: str = "errprint"  # errprint | warning (m4's own, non-fatal) | error | limit
    limit: str = ""  # kind "limit": the Limits field that was reached


Resolver = Callable[[str], Source | None]


class M4:
    def __init__(self, resolver: Resolver | None = None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.produced = 0  # characters of output and argument text, for m4_output_size
        self.regex_seconds = 0.0  # time spent in regular expressions, for m4_regex_ms
        self._patterns: dict[str, Any] = {}  # compiled m4_regex.Pattern by source
        self._limits_reported: set[str] = set()
        self._warned_zero = False
        self.macros: dict[str, list[Macro]] = {}
        self.frames: list[Frame] = []
        self.lquote, self.rquote = "`", "'"
        self.bcomm, self.ecomm = "#", "\n"
        # characters of user files that chosen ifdef/ifelse arguments may copy to be read
        # again at their own positions (see call_macro)
        self.reread_budget = REREAD_BUDGET
        self.diversions: dict[int, list[str]] = {}
        self.divnum = 0
        self.resolver = resolver
        self.messages: list[Message] = []
        self.calls = 0
        self.nesting = 0
        self.pushed = 0
        self.anchor: Call | None = None  # the user-file call being evaluated
        self.wrapped: list[str] = []
        self.on_call: Callable[[str, list[str], Call | None, Source | None], None] | None = None
        # (name, body, anchor, the define call itself when it was read from a user file)
        self.on_define: Callable[[str, str, Call | None, Call | None], None] | None = None
        self.current_call: Call | None = None  # the builtin call being run, if from a file
        self.exited = False
        self._install_builtins()
        self._compile()

    # ------------------------------------------------------------------ reading

    def _compile(self) -> None:
        specials = set("(),") | _SPACE | NAME_START
        if self.lquote:
            specials.add(self.lquote[0])
        if self.bcomm:
            specials.add(self.bcomm[0])
        cls = "".join(re.escape(c) for c in sorted(specials))
        self._plain = re.compile(f"[^{cls}]+")
        self._spaces = re.compile(r"[ \t\n\r\f\v]+")

    def push(self, text: str, source: Source | None = None) -> None:
        if not text:
            return
        if source is None:
            self.pushed += len(text)
            if self.pushed > MAX_PUSHED:
                raise ExpansionLimit("expansions produce too much text")
        self.frames.append(Frame(text, 0, source))

    def _frame(self) -> Frame | None:
        frames = self.frames
        while frames:
            f = frames[-1]
            if f.pos < len(f.text):
                return f
            frames.pop()
            if f.source is None:
                self.pushed -= len(f.text)
        return None

    def _peek(self) -> str:
        f = self._frame()
        return f.text[f.pos] if f is not None else ""

    def _startswith(self, s: str) -> bool:
        """Does the input (across frames) start with ``s``?"""
        f = self._frame()
        if f is None:
            return False
        if f.text.startswith(s, f.pos):
            return True
        if len(f.text) - f.pos >= len(s):
            return False
        got = []
        need = len(s)
        for frame in reversed(self.frames):
            chunk = frame.text[frame.pos : frame.pos + need]
            got.append(chunk)
            need -= len(chunk)
            if need <= 0:
                break
        return "".join(got).startswith(s)

    def _skip(self, n: int) -> None:
        while n > 0:
            f = self._frame()
            if f is None:
                return
            take = min(n, len(f.text) - f.pos)
            f.pos += take
            n -= take

    def next_token(self) -> Token:
        f = self._frame()
        if f is None:
            return Token("eof", "")
        text, pos, src = f.text, f.pos, f.source
        c = text[pos]
        if self.lquote and c == self.lquote[0] and self._startswith(self.lquote):
            return self._read_string(f)
        if self.bcomm and c == self.bcomm[0] and self._startswith(self.bcomm):
            return self._read_comment(f)
        if c in NAME_START:
            m = _NAME.match(text, pos)
            end = m.end() if m else pos + 1
            name = text[pos:end]
            f.pos = end
            # a name may continue in the next frame (GNU m4 reads characters across
            # input blocks)
            if end == len(text):
                while True:
                    nxt = self._frame()
                    if nxt is None or nxt is f or nxt.text[nxt.pos] not in NAME_CHARS:
                        break
                    m2 = re.compile(r"[A-Za-z0-9_]*").match(nxt.text, nxt.pos)
                    assert m2 is not None
                    name += m2.group()
                    nxt.pos = m2.end()
                    f = nxt
                    if nxt.pos < len(nxt.text):
                        break
            return Token("word", name, src, pos, end)
        if c in "(),":
            f.pos = pos + 1
            return Token("simple", c, src, pos, pos + 1)
        if c in _SPACE:
            m = self._spaces.match(text, pos)
            assert m is not None
            f.pos = m.end()
            return Token("simple", m.group(), src, pos, m.end())
        m = self._plain.match(text, pos)
        end = m.end() if m else pos + 1
        f.pos = end
        return Token("simple", text[pos:end], src, pos, end)

    def _read_string(self, f: Frame) -> Token:
        src, start = f.source, f.pos
        lq, rq = self.lquote, self.rquote
        self._skip(len(lq))
        depth = 1
        out: list[str] = []
        while True:
            fr = self._frame()
            if fr is None:
                raise EndOfInput("end of file in string", src, start)
            text, pos = fr.text, fr.pos
            # jump to the next quote character of either kind
            found = _quote_stop(lq[0], rq[0]).search(text, pos)
            i = found.start() if found else len(text)
            if i > pos:
                out.append(text[pos:i])
                fr.pos = i
                continue
            if self._startswith(rq) and (rq != lq or depth > 0):
                depth -= 1
                if depth == 0:
                    self._skip(len(rq))
                    end = fr.pos if fr.source is src else start
                    return Token("string", "".join(out), src, start, end)
                out.append(rq)
                self._skip(len(rq))
            elif self._startswith(lq):
                depth += 1
                out.append(lq)
                self._skip(len(lq))
            else:
                out.append(text[i])
                fr.pos = i + 1

    def _read_comment(self, f: Frame) -> Token:
        src, start = f.source, f.pos
        out = [self.bcomm]
        self._skip(len(self.bcomm))
        while True:
            fr = self._frame()
            if fr is None:
                break
            if self._startswith(self.ecomm):
                out.append(self.ecomm)
                self._skip(len(self.ecomm))
                break
            i = fr.text.find(self.ecomm[0], fr.pos)
            if i == -1:
                out.append(fr.text[fr.pos :])
                fr.pos = len(fr.text)
            elif i > fr.pos:
                out.append(fr.text[fr.pos : i])
                fr.pos = i
            else:
                out.append(fr.text[i])
                fr.pos = i + 1
        return Token("comment", "".join(out), src, start, start)

    # ------------------------------------------------------------------ output

    def emit(self, text: str, sink: list[str] | None) -> None:
        self.produced += len(text)
        if self.produced > self.limits.m4_output_size:
            raise self._output_limit("m4")
        if sink is not None:
            sink.append(text)
        elif self.divnum >= 0:
            self.diversions.setdefault(self.divnum, []).append(text)

    def output(self) -> str:
        return "".join("".join(self.diversions.get(k, [])) for k in sorted(self.diversions))

    # ------------------------------------------------------------------ evaluation

    def run(self, source: Source) -> None:
        """Read ``source`` to its end, then the text saved by ``m4wrap``."""
        self.run_file(source)
        self.run_wrapped()

    def run_file(self, source: Source) -> None:
        """Read ``source`` to its end, expanding as m4 does."""
        self.push(source.text, source)
        try:
            self._loop()
        except M4Exit:
            self.frames.clear()
            self.exited = True

    def run_wrapped(self) -> None:
        try:
            while self.wrapped and not self.exited:
                text = "".join(self.wrapped)
                self.wrapped = []
                self.push(text)
                self._loop()
        except M4Exit:
            self.frames.clear()

    def changecom_off(self) -> None:
        """``changecom()``: no comments, as after cf.m4."""
        self.bcomm, self.ecomm = "", ""
        self._compile()

    def _loop(self) -> None:
        while True:
            tok = self.next_token()
            if tok.kind == "eof":
                return
            self.expand_token(tok, None)

    def expand_token(self, tok: Token, sink: list[str] | None) -> None:
        if tok.kind == "word":
            stack = self.macros.get(tok.text)
            if stack:
                self.call_macro(stack[-1], tok, sink)
                return
            self.emit(tok.text, sink)
        else:
            self.emit(tok.text, sink)

    def call_macro(self, macro: Macro, tok: Token, sink: list[str] | None) -> None:
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise ExpansionLimit(f"more than {MAX_CALLS} macro calls")
        user = tok.source is not None and tok.source.kind == "user"
        call: Call | None = None
        if user:
            assert tok.source is not None
            call = Call(tok.text, tok.source, tok.start, tok.end, nested=self.nesting > 0)
            if self.nesting == 0:
                self.anchor = call
        args: list[str] | None = None
        if self._peek() == "(":
            self._skip(1)
            self.nesting += 1
            if self.nesting > MAX_NESTING:
                raise ExpansionLimit("macro calls nest too deeply")
            try:
                args = self._collect(call)
            finally:
                self.nesting -= 1
        if macro.builtin is not None and macro.blind and args is None:
            self.emit(tok.text, sink)
            return
        if call is not None:
            f = self._frame()
            if f is not None and f.source is call.source:
                call.end = max(call.end, f.pos)
            call.args = list(args or [])
        argv = [tok.text, *(args or [])]
        if self.on_call is not None:
            self.on_call(tok.text, argv, call or self.anchor, tok.source)
        if macro.builtin is not None:
            previous = self.current_call
            self.current_call = call
            try:
                result = macro.builtin(argv)
            finally:
                self.current_call = previous
        else:
            result = self._substitute(macro.body, argv)
        if result and call is not None and macro.builtin in (self._b_ifdef, self._b_ifelse):
            start = self._verbatim_arg(call, result)
            end = start + len(result) if start is not None else 0
            if start is not None and end <= self.reread_budget:
                # an argument of ifdef/ifelse chosen as it was written: read it again from
                # the file, so the calls in it keep their own lines (what that copies is
                # bounded in all; past the bound, lines fall back to the call's)
                self.reread_budget -= end
                self.frames.append(Frame(call.source.text[:end], start, call.source))
                return
        if result:
            self.push(result)

    def _verbatim_arg(self, call: Call, result: str) -> int | None:
        """Where ``result`` starts in the file when it is one of the call's arguments
        written as one quoted string (the text between the quotes), else None."""
        text = call.source.text
        for value, where in zip(call.args[1:], call.arg_spans[1:], strict=False):
            if value != result or where is None:
                continue
            raw = text[where[0] : where[1]].rstrip()
            inner = where[0] + len(self.lquote)
            if (
                self.lquote
                and raw.startswith(self.lquote)
                and raw.endswith(self.rquote)
                and text[inner : inner + len(result)] == result
                and inner + len(result) + len(self.rquote) == where[0] + len(raw)
            ):
                return inner
        return None

    def _collect(self, call: Call | None) -> list[str]:
        args: list[str] = []
        while True:
            tok = self.next_token()
            while tok.kind == "simple" and tok.text[0] in _SPACE:
                tok = self.next_token()
            buf: list[str] = []
            depth = 0
            first: int | None = None
            last = 0
            while True:
                if tok.kind == "eof":
                    raise EndOfInput(
                        "end of file in argument list",
                        call.source if call else None,
                        call.start if call else 0,
                    )
                if call is not None and tok.source is call.source:
                    if first is None:
                        first = tok.start
                    last = max(last, tok.end if tok.kind != "string" else tok.end)
                if tok.kind == "simple" and tok.text == "(":
                    depth += 1
                    buf.append("(")
                elif tok.kind == "simple" and tok.text == ")":
                    if depth == 0:
                        args.append("".join(buf))
                        if call is not None:
                            call.arg_spans.append(
                                (first, max(first, tok.start)) if first is not None else None
                            )
                        return args
                    depth -= 1
                    buf.append(")")
                elif tok.kind == "simple" and tok.text == "," and depth == 0:
                    args.append("".join(buf))
                    if call is not None:
                        call.arg_spans.append(
                            (first, max(first, tok.start)) if first is not None else None
                        )
                    break
                else:
                    self.expand_token(tok, buf)
                tok = self.next_token()

    def _substitute(self, body: str, argv: list[str]) -> str:
        if "$" not in body:
            return body
        out: list[str] = []
        i = 0
        n = len(body)
        while i < n:
            j = body.find("$", i)
            if j == -1 or j + 1 >= n:
                out.append(body[i:])
                break
            out.append(body[i:j])
            c = body[j + 1]
            if c.isdecimal():
                k = j + 1
                while k < n and body[k].isdecimal():
                    k += 1
                index = int(body[j + 1 : k])
                if index < len(argv):
                    out.append(argv[index])
                i = k
            elif c == "#":
                out.append(str(len(argv) - 1))
                i = j + 2
            elif c == "*":
                out.append(",".join(argv[1:]))
                i = j + 2
            elif c == "@":
                out.append(",".join(self.quote(a) for a in argv[1:]))
                i = j + 2
            else:
                out.append("$")
                i = j + 1
        return "".join(out)

    def quote(self, text: str) -> str:
        return f"{self.lquote}{text}{self.rquote}" if self.lquote else text

    def expand(self, text: str) -> str:
        """The text ``text`` expands to (read in a fresh input stack), without output side
        effects on the diversions."""
        saved_frames, saved_div = self.frames, self.diversions
        saved_num, saved_pushed = self.divnum, self.pushed
        self.frames, self.diversions, self.divnum, self.pushed = [], {}, 0, 0
        try:
            self.push(text)
            sink: list[str] = []
            while True:
                tok = self.next_token()
                if tok.kind == "eof":
                    break
                self.expand_token(tok, sink)
            return "".join(sink)
        finally:
            self.frames, self.diversions = saved_frames, saved_div
            self.divnum, self.pushed = saved_num, saved_pushed

    # ------------------------------------------------------------------ macros

    def define(self, name: str, body: str, push: bool = False) -> None:
        macro = Macro(name, body)
        stack = self.macros.get(name)
        if stack and not push:
            stack[-1] = macro
        elif stack:
            stack.append(macro)
        else:
            self.macros[name] = [macro]
        if self.on_define is not None:
            self.on_define(name, body, self.anchor, self.current_call)

    def _reading_source(self) -> Source | None:
        for f in reversed(self.frames):
            if f.source is not None and f.pos <= len(f.text):
                return f.source
        return None

    def defined(self, name: str) -> bool:
        return bool(self.macros.get(name))

    def defn(self, name: str) -> str | None:
        stack = self.macros.get(name)
        if not stack:
            return None
        return stack[-1].body if stack[-1].builtin is None else ""

    def _builtin(self, name: str, fn: Callable[[list[str]], str], blind: bool = True) -> None:
        self.macros[name] = [Macro(name, "", fn, blind)]

    def _install_builtins(self) -> None:
        b = self._builtin
        b("define", self._b_define)
        b("pushdef", self._b_pushdef)
        b("undefine", self._b_undefine)
        b("popdef", self._b_popdef)
        b("defn", self._b_defn)
        b("ifdef", self._b_ifdef)
        b("ifelse", self._b_ifelse)
        b("shift", lambda a: ",".join(self.quote(x) for x in a[2:]))
        b("dnl", self._b_dnl, blind=False)
        b("divert", self._b_divert, blind=False)
        b("divnum", lambda a: str(self.divnum), blind=False)
        b("undivert", self._b_undivert, blind=False)
        b("changequote", self._b_changequote, blind=False)
        b("changecom", self._b_changecom, blind=False)
        b("include", lambda a: self._b_include(a, silent=False))
        b("sinclude", lambda a: self._b_include(a, silent=True))
        b("errprint", self._b_errprint)
        b("eval", self._b_eval)
        b("incr", lambda a: self._b_incr(a, 1))
        b("decr", lambda a: self._b_incr(a, -1))
        b("len", lambda a: str(len(_arg(a, 1))))
        b("index", lambda a: str(_arg(a, 1).find(_arg(a, 2))))
        b("substr", self._b_substr)
        b("translit", self._b_translit)
        b("regexp", self._b_regexp)
        b("patsubst", self._b_patsubst)
        b("format", self._b_format)
        b("indir", self._b_indir)
        b("builtin", self._b_builtin_call)
        b("m4wrap", self._b_m4wrap)
        b("m4exit", self._b_m4exit, blind=False)
        b("maketemp", lambda a: _arg(a, 1))
        b("mkstemp", lambda a: _arg(a, 1))
        # never run a command named in a configuration
        b("syscmd", lambda a: "")
        b("esyscmd", lambda a: "")
        b("sysval", lambda a: "0", blind=False)
        b("__file__", lambda a: self.quote(self._file_name()), blind=False)
        b("__line__", lambda a: str(self._line()), blind=False)
        for name in ("traceon", "traceoff", "dumpdef", "debugmode", "debugfile"):
            b(name, lambda a: "", blind=False)

    def _file_name(self) -> str:
        src = self._reading_source()
        return src.name if src is not None else "stdin"

    def _line(self) -> int:
        for f in reversed(self.frames):
            if f.source is not None:
                return f.source.position(f.pos)[0]
        return 0

    def _b_define(self, a: list[str]) -> str:
        if len(a) >= 2:
            self.define(a[1], _arg(a, 2))
        return ""

    def _b_pushdef(self, a: list[str]) -> str:
        if len(a) >= 2:
            self.define(a[1], _arg(a, 2), push=True)
        return ""

    def _b_undefine(self, a: list[str]) -> str:
        for name in a[1:]:
            if self.macros.pop(name, None) is not None and self.on_define is not None:
                self.on_define(name, "", self.anchor, self.current_call)
        return ""

    def _b_popdef(self, a: list[str]) -> str:
        for name in a[1:]:
            stack = self.macros.get(name)
            if stack:
                stack.pop()
                if not stack:
                    del self.macros[name]
        return ""

    def _b_defn(self, a: list[str]) -> str:
        out = []
        for name in a[1:]:
            body = self.defn(name)
            if body is not None:
                out.append(self.quote(body))
        return "".join(out)

    def _b_ifdef(self, a: list[str]) -> str:
        return _arg(a, 2) if self.defined(_arg(a, 1)) else _arg(a, 3)

    @staticmethod
    def _b_ifelse(a: list[str]) -> str:
        rest = a[1:]
        if len(rest) == 1:
            return ""
        while len(rest) >= 3:
            if rest[0] == rest[1]:
                return rest[2]
            rest = rest[3:]
        return rest[0] if len(rest) == 1 else ""

    def _b_dnl(self, a: list[str]) -> str:
        while True:
            f = self._frame()
            if f is None:
                return ""
            i = f.text.find("\n", f.pos)
            if i == -1:
                f.pos = len(f.text)
                continue
            f.pos = i + 1
            return ""

    def _b_divert(self, a: list[str]) -> str:
        text = _arg(a, 1).strip()
        try:
            self.divnum = int(text) if text else 0
        except ValueError:
            self.divnum = 0
        return ""

    def _b_undivert(self, a: list[str]) -> str:
        numbers = [int(x) for x in a[1:] if x.strip().lstrip("-").isdecimal()] or [
            k for k in sorted(self.diversions) if k > 0
        ]
        for k in numbers:
            if k == self.divnum or k < 0:
                continue
            text = "".join(self.diversions.pop(k, []))
            if text:
                self.emit(text, None)
        return ""

    def _b_changequote(self, a: list[str]) -> str:
        if len(a) == 1:
            self.lquote, self.rquote = "`", "'"
        else:
            self.lquote = _arg(a, 1)
            self.rquote = _arg(a, 2) if len(a) > 2 else "'"
            if not self.lquote:
                self.rquote = ""
            elif not self.rquote:
                self.rquote = "'"
        self._compile()
        return ""

    def _b_changecom(self, a: list[str]) -> str:
        if len(a) == 1 or not _arg(a, 1):
            self.bcomm, self.ecomm = "", ""
        else:
            self.bcomm = _arg(a, 1)
            self.ecomm = _arg(a, 2) if len(a) > 2 and _arg(a, 2) else "\n"
        self._compile()
        return ""

    def _b_include(self, a: list[str], silent: bool) -> str:
        name = _arg(a, 1)
        source = self.resolver(name) if self.resolver is not None else None
        if source is None:
            if not silent:
                self.messages.append(
                    Message(
                        f"cannot open `{name}': No such file or directory", self.anchor, "error"
                    )
                )
            return ""
        self.push(source.text, source)
        return ""

    def _b_errprint(self, a: list[str]) -> str:
        self.messages.append(Message(" ".join(a[1:]), self.anchor))
        return ""

    # ---------------------------------------------------------- numbers, as GNU m4 reads them

    def _warn(self, text: str) -> None:
        """One of GNU m4's own warnings (it prints it and goes on, exit status 0)."""
        self.messages.append(Message(f"m4: {text}", self.anchor, "warning"))

    def _too_few(self, a: list[str], needed: int) -> bool:
        if len(a) - 1 >= needed:
            return False
        self._warn(f"Warning: too few arguments to builtin `{a[0]}'")
        return True

    def _limit(self, limit: str, text: str) -> None:
        """A bound of mtalint's own was reached: reported, and the call yields nothing."""
        self.messages.append(
            Message(f"{text} (raise with --limit {limit}=N)", self.anchor, "limit", limit)
        )

    def _output_limit(self, who: str) -> OutputLimit:
        """The whole evaluation stops: what follows would not be what GNU m4 makes."""
        return OutputLimit(
            f"{who} would take the text m4 produced past {self.limits.m4_output_size} "
            "characters (raise with --limit m4_output_size=N); mtalint stops evaluating the "
            "file there"
        )

    def _budget_left(self) -> int:
        return self.limits.m4_output_size - self.produced

    def _numeric(self, name: str, text: str) -> int | None:
        """GNU m4's ``numeric_arg``: strtol into a C int, warnings as m4 prints them; None
        when m4 gives up on the call."""
        if text == "":
            self._warn(f"empty string treated as 0 in builtin `{name}'")
            return 0
        value, whole, overflow = _strtol(text)
        if not whole:
            self._warn(f"non-numeric argument to builtin `{name}'")
            return None
        if text[0] in _C_SPACE:
            self._warn(f"leading whitespace ignored in builtin `{name}'")
        elif overflow:
            self._warn(f"numeric overflow detected in builtin `{name}'")
        return _wrap32(value)

    def _format_int(self, text: str) -> int:
        """GNU m4's ``arg_int`` (format's arguments): a warning, never a refusal."""
        if text == "":
            self._warn("empty string treated as 0")
            return 0
        value, whole, overflow = _strtol(text)
        if not whole:
            self._warn(f"non-numeric argument {text}")
        elif text[0] in _C_SPACE:
            self._warn("leading whitespace ignored")
        elif overflow or _wrap32(value) != value:
            self._warn("numeric overflow detected")
        return _wrap32(value)

    def _b_incr(self, a: list[str], delta: int) -> str:
        if self._too_few(a, 1):
            return ""
        value = self._numeric(a[0], a[1])
        return "" if value is None else str(_wrap32(value + delta))

    def _b_eval(self, a: list[str]) -> str:
        name = a[0]
        if self._too_few(a, 1):
            return ""
        radix, width = 10, 1
        if len(a) > 2 and a[2]:
            number = self._numeric(name, a[2])
            if number is None:
                return ""
            radix = number
        if radix < 1 or radix > 36:
            self._warn(f"radix {radix} in builtin `{name}' out of range")
            return ""
        if len(a) > 3:
            number = self._numeric(name, a[3])
            if number is None:
                return ""
            width = number
        if width < 0:
            self._warn(f"negative width to builtin `{name}'")
            return ""
        value = 0
        if not a[1]:
            self._warn(f"empty string treated as 0 in builtin `{name}'")
        else:
            try:
                value = _Eval(a[1]).parse()
            except _EvalError as exc:
                self._warn(f"{exc}: {a[1]}")
                return ""
            except ZeroDivisionError:
                self._warn(f"divide by zero in eval: {a[1]}")
                return ""
            except (ValueError, IndexError, RecursionError):
                self._warn(f"bad expression in eval: {a[1]}")
                return ""
        size = max(width, abs(value) if radix == 1 else 0)
        if size > self.limits.m4_field_width:
            self._limit(
                "m4_field_width",
                f"eval() would write {size} digits, more than {self.limits.m4_field_width}",
            )
            return ""
        return _radix(value, radix, width)

    def _b_substr(self, a: list[str]) -> str:
        if self._too_few(a, 2):
            return _arg(a, 1) if len(a) == 2 else ""
        s = a[1]
        start = self._numeric(a[0], a[2])
        if start is None:
            return ""
        length: int | None = len(s)
        if len(a) > 3:
            length = self._numeric(a[0], a[3])
        if length is None or start < 0 or length <= 0 or start >= len(s):
            return ""
        return s[start : start + length]

    @staticmethod
    def _b_translit(a: list[str]) -> str:
        s = _arg(a, 1)
        src = _ranges(_arg(a, 2))
        dst = _ranges(_arg(a, 3))
        table: dict[str, str | None] = {}
        for i, ch in enumerate(src):
            if ch in table:
                continue
            table[ch] = dst[i] if i < len(dst) else None
        return "".join(table.get(ch, ch) or "" for ch in s)

    # ---------------------------------------------------------- regular expressions

    def _pattern(self, pattern: str, bad: str) -> Any:
        """The compiled pattern, or None after GNU m4's complaint (``bad`` is its wording,
        which differs between regexp and patsubst)."""
        from linter.mta.sendmail.m4_regex import Pattern, RegexSyntaxError

        compiled = self._patterns.get(pattern)
        if compiled is None:
            try:
                compiled = Pattern(pattern)
            except RegexSyntaxError as exc:
                self._warn(f"{bad} `{pattern}': {exc.message}")
                return None
            if len(self._patterns) >= 64:
                self._patterns.clear()
            self._patterns[pattern] = compiled
        return compiled

    def _timed_regex(self, work: Callable[[float], str]) -> str:
        """Run ``work(deadline)`` within what is left of ``m4_regex_ms``."""
        from linter.mta.sendmail.m4_regex import RegexTimeLimit

        budget = self.limits.m4_regex_ms / 1000
        started = time.monotonic()
        try:
            return work(started + budget - self.regex_seconds)
        except RegexTimeLimit:
            if "m4_regex_ms" not in self._limits_reported:
                self._limits_reported.add("m4_regex_ms")
                self._limit(
                    "m4_regex_ms",
                    f"m4 regular expressions (regexp, patsubst) took more than "
                    f"{self.limits.m4_regex_ms} ms",
                )
            return ""
        finally:
            self.regex_seconds += time.monotonic() - started

    def _b_regexp(self, a: list[str]) -> str:
        if self._too_few(a, 2):
            return "0" if len(a) == 2 else ""
        compiled = self._pattern(a[2], "bad regular expression:")
        if compiled is None:
            return ""

        def work(deadline: float) -> str:
            found = compiled.first(a[1], deadline)
            if len(a) < 4:
                return str(found.start) if found else "-1"
            if found is None:
                return ""
            return self._replacement(a[3], found, compiled.groups)

        return self._timed_regex(work)

    def _b_patsubst(self, a: list[str]) -> str:
        if self._too_few(a, 2):
            return _arg(a, 1) if len(a) == 2 else ""
        compiled = self._pattern(a[2], "bad regular expression")
        if compiled is None:
            return ""
        repl = _arg(a, 3)
        left = self._budget_left()

        def work(deadline: float) -> str:
            out: list[str] = []
            size = 0

            def emit(piece: str) -> None:
                nonlocal size
                size += len(piece)
                if size > left:
                    raise _TooLong()
                out.append(piece)

            compiled.substitute(
                a[1], lambda found: self._replacement(repl, found, compiled.groups), emit, deadline
            )
            return "".join(out)

        try:
            return self._timed_regex(work)
        except _TooLong:
            raise self._output_limit("patsubst()") from None

    def _replacement(self, template: str, found: Any, groups: int) -> str:
        """GNU m4's ``substitute``: ``\\&`` (and ``\\0``) the match, ``\\1``-``\\9`` a group,
        a backslash before anything else that character; ``&`` is plain."""
        out: list[str] = []
        i = 0
        while True:
            j = template.find("\\", i)
            if j == -1:
                out.append(template[i:])
                return "".join(out)
            out.append(template[i:j])
            if j + 1 >= len(template):
                self._warn("Warning: trailing \\ ignored in replacement")
                return "".join(out)
            c = template[j + 1]
            if c in "0&":
                if c == "0" and not self._warned_zero:
                    self._warned_zero = True
                    self._warn("Warning: \\0 will disappear, use \\& instead in replacements")
                out.append(found.groups[0] or "")
            elif c in "123456789":
                if int(c) > groups:
                    self._warn(f"Warning: sub-expression {c} not present")
                else:
                    out.append(found.groups[int(c)] or "")
            else:
                out.append(c)
            i = j + 2

    # ---------------------------------------------------------- format

    def _b_format(self, a: list[str]) -> str:
        """GNU m4's ``format``: C printf conversions, one argument each, the field width
        and precision bounded by ``m4_field_width``."""
        if self._too_few(a, 1):
            return ""
        fmt = a[1]
        values = iter(a[2:])
        cap = self.limits.m4_field_width
        left = self._budget_left()
        out: list[str] = []
        size = 0
        i, n = 0, len(fmt)
        while i < n:
            j = fmt.find("%", i)
            if j == -1:
                out.append(fmt[i:])
                break
            out.append(fmt[i:j])
            size += j - i
            i = j + 1
            if i < n and fmt[i] == "%":
                out.append("%")
                i += 1
                continue
            flags = ""
            while i < n and fmt[i] in "-+ 0#'":
                flags += fmt[i]
                i += 1
            width = 0
            if i < n and fmt[i] == "*":
                width = self._format_int(next(values, "0"))
                i += 1
            else:
                k = i
                while i < n and fmt[i].isdecimal() and fmt[i].isascii():
                    i += 1
                width = _wrap32(_digits_mod32(fmt[k:i]))
            if width < 0:  # printf: a negative width is the - flag
                flags += "-"
                width = -width
            precision: int | None = None
            if i < n and fmt[i] == ".":
                i += 1
                if i < n and fmt[i] == "*":
                    precision = self._format_int(next(values, "0"))
                    i += 1
                else:
                    k = i
                    while i < n and fmt[i].isdecimal() and fmt[i].isascii():
                        i += 1
                    precision = _wrap32(_digits_mod32(fmt[k:i]))
                if precision < 0:
                    precision = None
            if i < n and fmt[i] in "lh":
                i += 1
            conv = fmt[i] if i < n else ""
            i += 1
            if not conv or conv not in "cdiouxXsaAeEfFgG":
                self._warn(f"Warning: unrecognized specifier in `{fmt}'")
                continue
            padded = precision if precision is not None and conv not in "sc" else 0
            if width > cap or padded > cap:
                self._limit(
                    "m4_field_width",
                    f"format() field of {max(width, padded)} characters is wider than {cap}",
                )
                return ""
            piece = self._convert(conv, flags, width, precision, next(values, ""))
            size += len(piece)
            if size > left:
                raise self._output_limit("format()")
            out.append(piece)
        return "".join(out)

    def _convert(self, conv: str, flags: str, width: int, precision: int | None, arg: str) -> str:
        left = "-" in flags
        if conv in "sc":
            # %c of 0 ends GNU m4's C string: nothing is written
            text = arg if conv == "s" else chr(self._format_int(arg) & 0xFF).strip("\0")
            if conv == "s" and precision is not None:
                text = text[:precision]
            return text.ljust(width) if left else text.rjust(width)
        if conv in "diouxX":
            return _c_integer(self._format_int(arg), conv, flags, width, precision)
        value = _strtod(arg)
        if value is None:
            self._warn(f"non-numeric argument {arg}")
            value = 0.0
        if conv in "aA":
            text = _hex_float(value, conv == "A")
            return text.ljust(width) if left else text.rjust(width)
        spec = "%" + flags.replace("'", "") + str(width)
        if precision is not None:
            spec += f".{precision}"
        return (spec + conv) % value

    def _b_indir(self, a: list[str]) -> str:
        stack = self.macros.get(_arg(a, 1))
        if not stack:
            return ""
        macro = stack[-1]
        argv = a[1:]
        if macro.builtin is not None:
            return macro.builtin(argv)
        return self._substitute(macro.body, argv)

    def _b_builtin_call(self, a: list[str]) -> str:
        return self._b_indir(a)

    def _b_m4wrap(self, a: list[str]) -> str:
        self.wrapped.append(" ".join(a[1:]))
        return ""

    def _b_m4exit(self, a: list[str]) -> str:
        raise M4Exit()


class EndOfInput(Exception):
    """m4 met the end of the input inside a quoted string or an argument list."""

    def __init__(self, message: str, source: Source | None, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.offset = offset


def _arg(a: list[str], i: int) -> str:
    return a[i] if i < len(a) else ""


def _ranges(spec: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            lo, hi = ord(spec[i]), ord(spec[i + 2])
            step = 1 if hi >= lo else -1
            out.extend(chr(c) for c in range(lo, hi + step, step))
            i += 3
        else:
            out.append(spec[i])
            i += 1
    return "".join(out)


class _EvalError(ValueError):
    """An eval() error GNU m4 words in its own way (the text is its message)."""


class _TooLong(Exception):
    """A builtin's result passed what is left of ``m4_output_size``."""


_C_SPACE = " \t\n\v\f\r"
_STRTOL = re.compile(r"[ \t\n\v\f\r]*([-+]?)([0-9]+)")
_LONG_MAX = 2**63 - 1


def _strtol(text: str) -> tuple[int, bool, bool]:
    """C ``strtol(text, &end, 10)`` on a 64-bit long: the value (clamped to the long's
    range), whether the whole text was a number, whether it overflowed. Never converts
    more digits than a long holds (Python refuses int() of 4,300 digits)."""
    m = _STRTOL.match(text)
    if m is None:
        return 0, False, False
    digits = m.group(2).lstrip("0") or "0"
    negative = m.group(1) == "-"
    limit = _LONG_MAX + 1 if negative else _LONG_MAX
    magnitude = int(digits) if len(digits) <= 19 else limit + 1
    overflow = magnitude > limit
    magnitude = min(magnitude, limit)
    return (-magnitude if negative else magnitude), m.end() == len(text), overflow


def _digits_mod32(digits: str, base: int = 10) -> int:
    """The value of ``digits`` modulo 2**32, as C's int arithmetic wraps it, read nine
    digits at a time (no int() of an unbounded string)."""
    value = 0
    for k in range(0, len(digits), 9):
        chunk = digits[k : k + 9]
        value = (value * base ** len(chunk) + int(chunk, base)) & 0xFFFFFFFF
    return value


def _c_integer(value: int, conv: str, flags: str, width: int, precision: int | None) -> str:
    """printf's %d %i %o %u %x %X of a C int."""
    if conv in "di":
        magnitude, sign = abs(value), "-" if value < 0 else ""
        if not sign:
            sign = "+" if "+" in flags else " " if " " in flags else ""
    else:
        magnitude, sign = value & 0xFFFFFFFF, ""
    digits = {"o": "%o", "x": "%x", "X": "%X"}.get(conv, "%d") % magnitude
    if precision is not None:
        digits = "" if precision == 0 and magnitude == 0 else digits.rjust(precision, "0")
    if "#" in flags:
        if conv == "o" and not digits.startswith("0"):
            digits = "0" + digits
        elif conv in "xX" and magnitude:
            sign += "0" + conv
    if "-" in flags:
        return (sign + digits).ljust(width)
    if "0" in flags and precision is None:
        return sign + digits.rjust(width - len(sign), "0")
    return (sign + digits).rjust(width)


_STRTOD = re.compile(
    r"[ \t\n\v\f\r]*[-+]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)", re.I
)


def _strtod(text: str) -> float | None:
    """C ``strtod`` of a whole argument (None when something is left over)."""
    m = _STRTOD.match(text)
    if m is None or m.end() != len(text):
        return None
    try:
        return float(m.group())
    except (ValueError, OverflowError):
        return None


def _hex_float(value: float, upper: bool) -> str:
    """printf's %a: the shortest exact hexadecimal form."""
    text = value.hex()
    if "." in text:
        mantissa, _, exponent = text.partition("p")
        text = mantissa.rstrip("0").rstrip(".") + "p" + exponent
    return text.upper() if upper else text


def _radix(value: int, radix: int, width: int) -> str:
    if radix == 1:  # GNU m4: as many 1s as the value
        text = "1" * abs(value)
    elif radix == 10 or radix < 2 or radix > 36:
        text = str(abs(value))
    else:
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"
        v = abs(value)
        chars = []
        while v:
            chars.append(digits[v % radix])
            v //= radix
        text = "".join(reversed(chars)) or "0"
    text = text.rjust(width, "0")
    return ("-" if value < 0 else "") + text


def _wrap32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


class _Eval:
    """m4's ``eval``: C integer expressions, 32-bit."""

    _TOKEN = re.compile(
        r"\s*(0x[0-9a-fA-F]+|0b[01]+|0r\d+:[0-9a-zA-Z]+|\d+|\*\*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%()<>!~&|^?:=])"
    )

    def __init__(self, text: str) -> None:
        self.tokens: list[str] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self._TOKEN.match(text, pos)
            if not m:
                raise ValueError(text)
            self.tokens.append(m.group(1))
            pos = m.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        self.i = 0

    def parse(self) -> int:
        if not self.tokens:
            raise ValueError("empty")
        v = self._ternary()
        if self.i != len(self.tokens):
            raise _EvalError("bad expression in eval (excess input)")
        return _wrap32(v)

    def _peek(self) -> str:
        return self.tokens[self.i] if self.i < len(self.tokens) else ""

    def _take(self) -> str:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def _ternary(self) -> int:
        c = self._binary(0)
        if self._peek() == "?":
            self._take()
            a = self._ternary()
            if self._take() != ":":
                raise ValueError(":")
            b = self._ternary()
            return a if c else b
        return c

    _LEVELS: list[tuple[str, ...]] = [
        ("||",),
        ("&&",),
        ("|",),
        ("^",),
        ("&",),
        ("==", "!=", "="),
        ("<", ">", "<=", ">="),
        ("<<", ">>"),
        ("+", "-"),
        ("*", "/", "%"),
    ]

    def _binary(self, level: int) -> int:
        if level == len(self._LEVELS):
            return self._power()
        v = self._binary(level + 1)
        while self._peek() in self._LEVELS[level]:
            op = self._take()
            w = self._binary(level + 1)
            v = _apply(op, v, w)
        return v

    def _power(self) -> int:
        v = self._unary()
        if self._peek() == "**":
            self._take()
            w = self._power()
            if w < 0:
                raise _EvalError("negative exponent in eval")
            if v == 0 and w == 0:
                raise ZeroDivisionError  # GNU m4: "divide by zero in eval: 0**0"
            return _wrap32(pow(v, w, 1 << 32))
        return v

    def _unary(self) -> int:
        t = self._peek()
        if t in ("-", "+", "!", "~"):
            self._take()
            v = self._unary()
            return {"-": -v, "+": v, "!": int(not v), "~": ~v}[t]
        if t == "(":
            self._take()
            v = self._ternary()
            if self._take() != ")":
                raise ValueError(")")
            return v
        # numbers wrap to 32 bits as they are read, however many digits they have
        t = self._take()
        if t.startswith("0x"):
            return _digits_mod32(t[2:], 16)
        if t.startswith("0b"):
            return _digits_mod32(t[2:], 2)
        if t.startswith("0r"):
            base, _, digits = t[2:].partition(":")
            radix = int(base) if len(base) < 3 else 0
            if not 1 < radix <= 36:
                raise ValueError(t)
            return _digits_mod32(digits.lower(), radix)
        if t.isdecimal() and t.isascii():
            return _digits_mod32(t, 8) if len(t) > 1 and t.startswith("0") else _digits_mod32(t)
        raise ValueError(t)


def _apply(op: str, v: int, w: int) -> int:
    if op == "||":
        return int(bool(v) or bool(w))
    if op == "&&":
        return int(bool(v) and bool(w))
    if op in ("/", "%"):
        if w == 0:
            raise ZeroDivisionError
        q = abs(v) // abs(w) * (1 if (v >= 0) == (w >= 0) else -1)
        return q if op == "/" else v - q * w
    ops: dict[str, Any] = {
        "|": lambda: v | w,
        "^": lambda: v ^ w,
        "&": lambda: v & w,
        "==": lambda: int(v == w),
        "=": lambda: int(v == w),
        "!=": lambda: int(v != w),
        "<": lambda: int(v < w),
        ">": lambda: int(v > w),
        "<=": lambda: int(v <= w),
        ">=": lambda: int(v >= w),
        "<<": lambda: _wrap32(v << (w & 31)),
        ">>": lambda: v >> (w & 31),
        "+": lambda: _wrap32(v + w),
        "-": lambda: _wrap32(v - w),
        "*": lambda: _wrap32(v * w),
    }
    return int(ops[op]())


@lru_cache(maxsize=64)
def _quote_stop(left: str, right: str) -> re.Pattern[str]:
    """The first character of either quote: where a quoted string may end or nest."""
    return re.compile(f"[{re.escape(left)}{re.escape(right)}]")
