"""Where the grammars and the built-in rules live.

In an installed wheel they are copied inside the package (``linter/grammars``,
``linter/rules``); in a source checkout they sit next to the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


@cache
def grammars_dir() -> Path:
    return _data_dir("grammars")


@cache
def rules_dir() -> Path:
    return _data_dir("rules")
