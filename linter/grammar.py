"""Lark parsers, built once per process from ``grammars/*.lark``.

Building a LALR table is the slow part of using Lark; it is done on first use only,
so formats a run does not meet cost nothing.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from linter.resources import grammars_dir

if TYPE_CHECKING:
    from lark import Lark


@cache
def parser(name: str) -> Lark:
    from lark import Lark

    text = (grammars_dir() / f"{name}.lark").read_text(encoding="utf-8")
    return Lark(
        text, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=False
    )
