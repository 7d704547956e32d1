"""Exim values: what Exim stores for a written value, how ``-bP`` prints it, and the
string-expansion tree inside it (``grammars/exim.lark``).

Quoted strings follow ``string_dequote()`` and ``string_interpret_escape()``; printing
follows ``string_printing()``. Expansions are parsed, not evaluated: Exim itself checks
them only when it uses the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from linter.grammar import parser

if TYPE_CHECKING:
    from lark import Lark, Tree

STARTS = ("expansion",)


def _lark() -> Lark:
    return parser("exim", STARTS)


# ---------------------------------------------------------------- values


def interpret_escape(text: str, i: int) -> tuple[str, int]:
    """``string_interpret_escape()``: the character for the escape at ``text[i] == "\\"``,
    and the index of the escape's last character."""
    if i + 1 >= len(text):
        return "\\", i
    p = i + 1
    ch = text[p]
    if ch in "01234567":
        value = ord(ch) - 48
        for _ in range(2):
            if p + 1 < len(text) and text[p + 1] in "01234567":
                p += 1
                value = value * 8 + ord(text[p]) - 48
        return chr(value & 0xFF), p
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
    if ch in simple:
        return simple[ch], p
    if ch == "x":
        value = 0
        for _ in range(2):
            if p + 1 < len(text) and text[p + 1] in "0123456789abcdefABCDEF":
                p += 1
                value = value * 16 + int(text[p], 16)
        return chr(value), p
    return ch, p


def dequote(text: str) -> tuple[str, int]:
    """``string_dequote()`` on a value that starts with a double quote.

    Returns the stored string and the index just after what was read (after the
    closing quote when there is one). A NUL made by an escape ends the string, as in C.
    """
    out: list[str] = []
    i = 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\":
            ch, i = interpret_escape(text, i)
            out.append(ch)
        else:
            out.append(text[i])
        i += 1
    if i < len(text):
        i += 1
    stored = "".join(out)
    nul = stored.find("\0")
    return (stored if nul < 0 else stored[:nul]), i


def printable(text: str) -> str:
    """``string_printing()``: how ``exim -bP`` shows a stored string."""
    out: list[str] = []
    names = {"\n": "n", "\r": "r", "\b": "b", "\v": "v", "\f": "f", "\t": "t"}
    for ch in text:
        code = ord(ch)
        if 32 <= code < 127:
            out.append(ch)
        elif ch in names:
            out.append("\\" + names[ch])
        else:
            for byte in ch.encode("utf-8") if code > 255 else bytes([code]):
                out.append(f"\\{byte:03o}")
    return "".join(out)


# ---------------------------------------------------------------- expansions


@dataclass
class Expansion:
    """A stored value's expansion tree, or why it has none."""

    tree: Tree | None
    variables: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    error: str = ""


def parse_expansion(text: str) -> Expansion:
    """The balanced tree of ``$variables`` and ``${items}`` in ``text``."""
    if "$" not in text:
        return Expansion(None)  # without importing Lark
    from lark import Token
    from lark.exceptions import LarkError

    try:
        tree = _lark().parse(text, start="expansion")
    except LarkError as exc:
        return Expansion(None, error=f"unbalanced expansion: {type(exc).__name__}")
    result = Expansion(tree)
    for node in tree.iter_subtrees_topdown():
        if node.data == "variable":
            tok = node.children[0]
            result.variables.append(str(tok)[1:])
        elif node.data == "item":
            head = next(
                (c for c in node.children if isinstance(c, Token) and c.type == "TEXT"), None
            )
            word = (
                str(head).strip().split(":")[0].split()[0]
                if head is not None and str(head).strip()
                else ""
            )
            if word:
                # "${name}" is a variable, "${name ...}" / "${name:...}" an item
                if len(node.children) == 3 and str(head).strip().isidentifier():
                    result.variables.append(word)
                else:
                    result.items.append(word)
    return result
