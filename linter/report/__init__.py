"""Output formats; each module renders a :class:`linter.check.CheckResult` to text."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

Renderer = Callable[["CheckResult", "list[Rule]", bool], str]


def renderer(name: str) -> Renderer:
    module = importlib.import_module(f"linter.report.{name}_format")
    return module.render


def render(fmt: str, result: CheckResult, rules: list[Rule], colour: bool, fail_on: str) -> str:
    """``result`` in ``fmt``; JUnit also takes the --fail-on threshold (only findings at or
    above it are failures there)."""
    if fmt == "junit":
        from linter.report.junit_format import render as junit

        return junit(result, rules, colour, fail_on)
    return renderer(fmt)(result, rules, colour)
