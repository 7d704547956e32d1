"""Output formats; each module renders a :class:`linter.check.CheckResult` to text."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")

Renderer = Callable[["CheckResult", "list[Rule]", bool], str]


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"linter.report.{name}_format")
    return module.render
