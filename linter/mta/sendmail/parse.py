"""sendmail ``.mc``: text → syntax tree with spans (``grammars/sendmail_mc.lark``).

The tree locates every call ``NAME(args)`` and each argument, the ``dnl`` comments, and
the raw ``.cf`` text after ``LOCAL_CONFIG`` and friends. It also finds the mistakes m4
itself passes over in silence: arguments quoted with apostrophes (``'x'`` instead of
```x'``), which m4 reads as plain text, and a space between a macro name and ``(``,
which makes m4 call the macro without arguments.

What the file means is decided by the m4 evaluator (:mod:`linter.mta.sendmail.m4`);
a file the grammar cannot read (an unclosed quote or argument list) is reported there,
with m4's own words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.grammar import parser
from linter.source import SourceFile, Span

if TYPE_CHECKING:
    from lark import Token, Tree

# m4 builtins and the macros cf.m4 defines: a name followed by " (" is a likely mistake
KNOWN_MACROS = frozenset(
    [
        "define",
        "undefine",
        "pushdef",
        "popdef",
        "defn",
        "ifdef",
        "ifelse",
        "include",
        "sinclude",
        "divert",
        "undivert",
        "changequote",
        "changecom",
        "dnl",
        "errprint",
        "eval",
        "index",
        "len",
        "substr",
        "translit",
        "shift",
        "VERSIONID",
        "OSTYPE",
        "DOMAIN",
        "FEATURE",
        "HACK",
        "MAILER",
        "DAEMON_OPTIONS",
        "CLIENT_OPTIONS",
        "INPUT_MAIL_FILTER",
        "MAIL_FILTER",
        "TRUST_AUTH_MECH",
        "RELAY_DOMAIN",
        "RELAY_DOMAIN_FILE",
        "MASQUERADE_AS",
        "MASQUERADE_DOMAIN",
        "MASQUERADE_DOMAIN_FILE",
        "MASQUERADE_EXCEPTION",
        "MASQUERADE_EXCEPTION_FILE",
        "EXPOSED_USER",
        "EXPOSED_USER_FILE",
        "GENERICS_DOMAIN",
        "GENERICS_DOMAIN_FILE",
        "VIRTUSER_DOMAIN",
        "VIRTUSER_DOMAIN_FILE",
        "LDAPROUTE_DOMAIN",
        "LDAPROUTE_DOMAIN_FILE",
        "LOCAL_USER",
        "LOCAL_USER_FILE",
        "LOCAL_DOMAIN",
        "CANONIFY_DOMAIN",
        "CANONIFY_DOMAIN_FILE",
        "QUEUE_GROUP",
        "SITECONFIG",
        "MODIFY_MAILER_FLAGS",
    ]
)

# macros after which the file holds raw sendmail.cf text
RAW_BLOCKS = frozenset(
    [
        "LOCAL_CONFIG",
        "LOCAL_RULESETS",
        "LOCAL_RULE_0",
        "LOCAL_RULE_1",
        "LOCAL_RULE_2",
        "LOCAL_RULE_3",
        "LOCAL_NET_CONFIG",
        "LOCAL_DNSBL",
        "LOCAL_UUCP",
        "LOCAL_SRV_FEATURES",
        "LOCAL_CLT_FEATURES",
        "LOCAL_TRY_TLS",
        "LOCAL_TLS_RCPT",
        "LOCAL_TLS_CLIENT",
        "LOCAL_TLS_SERVER",
        "MAILER_DEFINITIONS",
    ]
)


@dataclass(slots=True)
class Arg:
    text: str  # as written, quotes included
    span: Span


@dataclass(slots=True)
class CallNode:
    name: str
    span: Span
    name_span: Span
    args: list[Arg] = field(default_factory=list)
    nested: bool = False


@dataclass(slots=True)
class RawBlock:
    name: str  # LOCAL_CONFIG, LOCAL_RULESETS, ...
    text: str
    span: Span


@dataclass(slots=True)
class Comment:
    line: int
    text: str


@dataclass(slots=True)
class McFile:
    path: str
    calls: list[CallNode] = field(default_factory=list)
    raw_blocks: list[RawBlock] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: bool = True  # False: the grammar could not read the file (m4 reports why)


def _span(path: str, tok: Token) -> Span:
    return Span(path, tok.line or 1, tok.column or 1, tok.end_line, tok.end_column)


def _node_span(path: str, node: Tree | Token) -> Span:
    from lark import Token

    if isinstance(node, Token):
        return _span(path, node)
    first, last = _first(node), _last(node)
    if first is None or last is None:
        return Span(path, 1, 1)
    return Span(path, first.line or 1, first.column or 1, last.end_line, last.end_column)


def _first(node: Tree | Token) -> Token | None:
    from lark import Token

    if isinstance(node, Token):
        return node
    for child in node.children:
        tok = _first(child)
        if tok is not None:
            return tok
    return None


def _last(node: Tree | Token) -> Token | None:
    from lark import Token

    if isinstance(node, Token):
        return node
    for child in reversed(node.children):
        tok = _last(child)
        if tok is not None:
            return tok
    return None


def _text(node: Tree | Token) -> str:
    from lark import Token

    if isinstance(node, Token):
        return str(node)
    return "".join(_text(c) for c in node.children)


def parse_mc(source: SourceFile) -> McFile:
    from lark import Token
    from lark.exceptions import LarkError

    mc = McFile(source.path)
    _comments(source, mc)
    try:
        tree = parser("sendmail_mc").parse(source.text)
    except LarkError:
        mc.parsed = False
        return mc
    path = source.path
    items = tree.children
    for node in items:
        if not isinstance(node, Token) and node.data == "call":
            _walk_call(path, node, mc, nested=False)
    _spaces_before_paren(path, items, mc)
    _raw_blocks(path, items, mc)
    return mc


def _comments(source: SourceFile, mc: McFile) -> None:
    """``dnl`` comments and ``#`` lines, for suppressions (``dnl mtalint: ignore[ID]``)."""
    for number, line in enumerate(source.lines, start=1):
        stripped = line.strip()
        i = line.find("dnl")
        while i != -1:
            before = line[i - 1] if i > 0 else " "
            after = line[i + 3] if i + 3 < len(line) else " "
            if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
                text = line[i + 3 :].strip()
                if text:
                    mc.comments.append(Comment(number, text))
                break
            i = line.find("dnl", i + 3)
        else:
            if stripped.startswith("#"):
                mc.comments.append(Comment(number, stripped))


def _walk_call(path: str, node: Tree, mc: McFile, nested: bool) -> None:
    from lark import Token

    name_tok = node.children[0]
    assert isinstance(name_tok, Token)
    call = CallNode(str(name_tok), _node_span(path, node), _span(path, name_tok), nested=nested)
    mc.calls.append(call)
    for child in node.children:
        if isinstance(child, Token) or child.data != "arg":
            continue
        parts = [c for c in child.children]
        text = _text(child)
        call.args.append(Arg(text, _node_span(path, child) if parts else call.span))
        _quote_mistake(path, call, parts, mc)
        for part in parts:
            _nested_calls(path, part, mc)


def _nested_calls(path: str, node: Tree | Token, mc: McFile) -> None:
    from lark import Token

    if isinstance(node, Token):
        return
    if node.data == "call":
        _walk_call(path, node, mc, nested=True)
        return
    if node.data == "group":
        for child in node.children:
            _nested_calls(path, child, mc)


def _quote_mistake(path: str, call: CallNode, parts: list[Tree | Token], mc: McFile) -> None:
    """An argument written 'like this': m4 sees plain text between two apostrophes."""
    from lark import Token

    meaningful = [p for p in parts if not (isinstance(p, Token) and p.type in ("NL", "DNL"))]
    while meaningful and isinstance(meaningful[0], Token) and not str(meaningful[0]).strip():
        meaningful.pop(0)
    if not meaningful:
        return
    head = meaningful[0]
    if not (isinstance(head, Token) and head.type == "RQ"):
        return
    index = next(
        (i for i, p in enumerate(meaningful) if i > 0 and isinstance(p, Token) and p.type == "RQ"),
        None,
    )
    closing = meaningful[index] if index is not None else None
    inner = "".join(_text(p) for p in meaningful[1:index]) if index is not None else ""
    shown = f"'{inner}'" if closing is not None else "'"
    end = closing if isinstance(closing, Token) else head
    span = Span(path, head.line or 1, head.column or 1, end.end_line, end.end_column)
    last = mc.diagnostics[-1] if mc.diagnostics else None
    if (
        last is not None
        and last.kind == "quote-mistake"
        and last.data.get("call_at") == (call.span.line, call.span.column)
    ):
        # one call, one finding: every argument quoted the wrong way is named in it
        last.data["shown"].append(shown)
        if closing is not None:
            last.data["corrected"].append(f"`{inner}'")
        last.message = _quote_mistake_message(call.name, last.data)
        last.span = Span(path, last.span.line, last.span.column, end.end_line, end.end_column)
        return
    data: dict[str, Any] = {
        "macro": call.name,
        "call_at": (call.span.line, call.span.column),
        "shown": [shown],
        "corrected": [f"`{inner}'"] if closing is not None else [],
    }
    mc.diagnostics.append(
        Diagnostic("quote-mistake", _quote_mistake_message(call.name, data), span, data=data)
    )


def _quote_mistake_message(name: str, data: dict[str, Any]) -> str:
    shown, corrected = data["shown"], data["corrected"]
    what = f"{shown[0]} is" if len(shown) == 1 else f"{', '.join(shown)} are"
    text = (
        f"{name}(): {what} quoted with apostrophes; m4 opens a quote with a backtick, "
        "so it reads the apostrophes as text"
    )
    if corrected:
        text += f" (write {', '.join(corrected)})"
    return text


def _spaces_before_paren(path: str, items: list[Tree | Token], mc: McFile) -> None:
    from lark import Token

    for i, node in enumerate(items[:-2]):
        if not (isinstance(node, Token) and node.type == "NAME" and str(node) in KNOWN_MACROS):
            continue
        gap, nxt = items[i + 1], items[i + 2]
        if not (isinstance(gap, Token) and gap.type == "TEXT" and not str(gap).strip()):
            continue
        if not (isinstance(nxt, Token) and nxt.type == "LPAR"):
            continue
        mc.diagnostics.append(
            Diagnostic(
                "space-before-paren",
                f"space between {node} and '(': m4 calls {node} without arguments and "
                f"copies the parenthesised text as it is (write {node}(...))",
                _span(path, node),
                data={"macro": str(node)},
            )
        )


def _raw_blocks(path: str, items: list[Tree | Token], mc: McFile) -> None:
    from lark import Token

    i = 0
    while i < len(items):
        node = items[i]
        if isinstance(node, Token) and node.type == "NAME" and str(node) in RAW_BLOCKS:
            j = i + 1
            if j < len(items) and isinstance(items[j], Token) and items[j].type in ("DNL", "NL"):  # type: ignore[union-attr]
                j += 1
            start = j
            while j < len(items):
                cur = items[j]
                if isinstance(cur, Token) and cur.type == "NAME" and str(cur) in RAW_BLOCKS:
                    break
                if not isinstance(cur, Token) and cur.data == "call":
                    name = str(cur.children[0])
                    if name in KNOWN_MACROS or name in RAW_BLOCKS:
                        break
                j += 1
            body = items[start:j]
            text = "".join(_text(n) for n in body)
            if text.strip():
                first, last = _first(body[0]), _last(body[-1])
                assert first is not None and last is not None
                span = Span(
                    path, first.line or 1, first.column or 1, last.end_line, last.end_column
                )
                mc.raw_blocks.append(RawBlock(str(node), text, span))
            i = j
            continue
        i += 1
