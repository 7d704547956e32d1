"""Lark parsers, built once per process from ``grammars/*.lark``.

Building a LALR table is the slow part of using Lark, so the built parser is kept in
the user's private cache (see :mod:`linter.cache`; Lark checks the grammar text and its
own version before reusing it) and built only on first use: formats a run does not meet
cost nothing.

The line-oriented formats also read the regular expressions of a grammar's terminals
(:func:`terminals`) to match the common shape of a line without running the parser;
those are cached too, so a run whose lines all have that shape never imports Lark.
"""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING

from linter.cache import cache_dir, save
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


@cache
def terminals(name: str) -> dict[str, str]:
    """The regular expression of each terminal of ``grammars/NAME.lark``, as Lark compiles
    it (string terminals escaped, flags inline), by terminal name.

    Kept in the cache beside the parser, keyed by the grammar text and the installed
    Lark, so that reading them costs a small JSON file rather than importing Lark.
    """
    text = (grammars_dir() / f"{name}.lark").read_text(encoding="utf-8")
    key = f"{_lark_stamp()}\0{text}"  # kept whole: comparing costs less than hashing
    folder = cache_dir()
    cache_file = folder / f"grammar-{name}.terminals.json" if folder else None
    if cache_file is not None:
        try:
            stored = json.loads(cache_file.read_bytes())
            if stored.get("key") == key and isinstance(stored.get("terminals"), dict):
                return {str(k): str(v) for k, v in stored["terminals"].items()}
        except (OSError, ValueError, AttributeError):
            pass
    found = {t.name: t.pattern.to_regexp() for t in parser(name).terminals}
    if cache_file is not None:
        save(cache_file, json.dumps({"key": key, "terminals": found}).encode())
    return found


def _lark_stamp() -> str:
    """Which Lark is installed, without importing it: its package file and mtime."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("lark")
    if spec is None or spec.origin is None:
        return "lark-missing"
    try:
        return f"{spec.origin}\0{os.stat(spec.origin).st_mtime_ns}"
    except OSError:
        return spec.origin
