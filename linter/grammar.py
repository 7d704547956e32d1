"""Lark parsers, built once per process from ``grammars/*.lark``.

Building a LALR table is the slow part of using Lark, so the built parser is kept in
the user's private cache (see :mod:`linter.cache`; Lark checks the grammar text and its
own version before reusing it) and built only on first use: formats a run does not meet
cost nothing.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from linter.cache import cache_dir
from linter.resources import grammars_dir

if TYPE_CHECKING:
    from lark import Lark


@cache
def parser(name: str, starts: tuple[str, ...] = ("start",)) -> Lark:
    """The parser for ``grammars/NAME.lark``; ``starts`` names its start rules."""
    from lark import Lark

    text = (grammars_dir() / f"{name}.lark").read_text(encoding="utf-8")
    folder = cache_dir()
    cache_file: str | bool = str(folder / f"grammar-{name}.lark.cache") if folder else False
    return Lark(
        text,
        start=list(starts),
        parser="lalr",
        lexer="contextual",
        propagate_positions=False,
        maybe_placeholders=False,
        cache=cache_file,
    )
