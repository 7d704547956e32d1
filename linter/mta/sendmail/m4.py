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
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
NAME_CHARS = NAME_START | frozenset("0123456789")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPACE = frozenset(" \t\n\r\f\v")

# Real .mc files make 1,200-2,000 calls (cf.m4 included); a definition that expands
# forever reaches this in a few seconds.
MAX_CALLS = 100_000
MAX_NESTING = 120
MAX_PUSHED = 16 * 1024 * 1024


class ExpansionLimit(Exception):
    """The input does not terminate (or not within the bounds)."""


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
    kind: str = "errprint"  # errprint | error


Resolver = Callable[[str], Source | None]


class M4:
    def __init__(self, resolver: Resolver | None = None) -> None:
        self.macros: dict[str, list[Macro]] = {}
        self.frames: list[Frame] = []
        self.lquote, self.rquote = "`", "'"
        self.bcomm, self.ecomm = "#", "\n"
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
        self.current_source: Source | None = None
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
        self.current_source = source
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
        if result:
            self.push(result)

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
        b("incr", lambda a: str(_int(_arg(a, 1)) + 1))
        b("decr", lambda a: str(_int(_arg(a, 1)) - 1))
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

    def _b_eval(self, a: list[str]) -> str:
        try:
            value = _Eval(_arg(a, 1)).parse()
        except (ValueError, ZeroDivisionError, IndexError):
            self.messages.append(
                Message(f"bad expression in eval: {_arg(a, 1)}", self.anchor, "error")
            )
            return ""
        radix = _int(_arg(a, 2)) if len(a) > 2 and _arg(a, 2).strip() else 10
        width = _int(_arg(a, 3)) if len(a) > 3 and _arg(a, 3).strip() else 1
        return _radix(value, radix, width)

    @staticmethod
    def _b_substr(a: list[str]) -> str:
        s = _arg(a, 1)
        if len(a) < 3:
            return s
        start = _int(_arg(a, 2))
        if start < 0 or start >= len(s):
            return ""
        if len(a) < 4 or not _arg(a, 3).strip():
            return s[start:]
        length = _int(_arg(a, 3))
        return s[start : start + max(length, 0)]

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

    def _b_regexp(self, a: list[str]) -> str:
        try:
            rx = re.compile(_emacs_regex(_arg(a, 2)))
        except re.error:
            return ""
        m = rx.search(_arg(a, 1))
        if len(a) < 4:
            return str(m.start()) if m else "-1"
        return _replace(_arg(a, 3), m) if m else ""

    def _b_patsubst(self, a: list[str]) -> str:
        try:
            rx = re.compile(_emacs_regex(_arg(a, 2)))
        except re.error:
            return _arg(a, 1)
        repl = _arg(a, 3)
        return rx.sub(lambda m: _replace(repl, m), _arg(a, 1))

    @staticmethod
    def _b_format(a: list[str]) -> str:
        fmt = _arg(a, 1)
        values = a[2:]
        out: list[str] = []
        i = 0
        k = 0
        while i < len(fmt):
            c = fmt[i]
            if c != "%" or i + 1 >= len(fmt):
                out.append(c)
                i += 1
                continue
            m = re.match(r"%([-+ #0]*\d*(?:\.\d+)?)([sdicxXo%])", fmt[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            spec, conv = m.groups()
            if conv == "%":
                out.append("%")
            else:
                value = values[k] if k < len(values) else ""
                k += 1
                if conv in "dixXo":
                    out.append(("%" + spec + ("d" if conv == "i" else conv)) % _int(value))
                elif conv == "c":
                    out.append(chr(_int(value) % 256))
                else:
                    out.append(("%" + spec + "s") % value)
            i += len(m.group(0))
        return "".join(out)

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


def _int(text: str) -> int:
    text = text.strip()
    m = re.match(r"[-+]?\d+", text)
    return int(m.group()) if m else 0


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


def _emacs_regex(rx: str) -> str:
    """GNU m4's (Emacs-style) regular expressions as Python ones."""
    out: list[str] = []
    i = 0
    while i < len(rx):
        c = rx[i]
        if c == "\\" and i + 1 < len(rx):
            n = rx[i + 1]
            if n in "(){}|":
                out.append(n)
            elif n == "<" or n == ">":
                out.append(r"\b")
            elif n == "`":
                out.append(r"\A")
            elif n == "'":
                out.append(r"\Z")
            else:
                out.append("\\" + n)
            i += 2
            continue
        if c in "(){}|":
            out.append("\\" + c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _replace(template: str, m: re.Match[str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            n = template[i + 1]
            if n.isdecimal():
                out.append(m.group(int(n)) or "" if int(n) <= (m.re.groups) else "")
            elif n == "&":
                out.append(m.group(0))
            else:
                out.append(n)
            i += 2
            continue
        out.append(m.group(0) if c == "&" else c)
        i += 1
    return "".join(out)


def _radix(value: int, radix: int, width: int) -> str:
    if radix == 10 or radix < 2 or radix > 36:
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
            raise ValueError("trailing")
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
                raise ValueError("negative exponent")
            return _wrap32(v**w) if w < 64 else 0
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
        t = self._take()
        if t.startswith("0x"):
            return int(t, 16)
        if t.startswith("0b"):
            return int(t[2:], 2)
        if t.startswith("0r"):
            base, _, digits = t[2:].partition(":")
            return int(digits, int(base))
        if t.isdecimal():
            return int(t, 8) if len(t) > 1 and t.startswith("0") else int(t)
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
