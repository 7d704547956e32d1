"""Output formats; each module renders a :class:`linter.check.CheckResult` to text.

:func:`render_check` is what ``mtalint check`` prints; :mod:`.audit` is ``mtalint
report`` (the compliance document of :mod:`.compliance`, rendered by :mod:`.document`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule
    from linter.settings import OutputSettings

# the formats of ``mtalint check --format``, each a module ``<name>_format``
CHECK_FORMATS = ("text", "json", "sarif", "github", "gitlab", "junit")
# the formats of ``mtalint report --format`` (linter.report.document)
DOCUMENT_FORMATS = ("html", "md", "json")

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


def render_check(
    result: CheckResult,
    rules: list[Rule],
    settings: OutputSettings,
    colour: bool,
    fail_level: str,
    as_shown: dict[str, str],
) -> str:
    """``mtalint check``'s report: a machine format as it is; text with the paths as
    shown (``as_shown``: root-relative path → as given), without fix lines (--no-fix,
    --quiet) or summary (--quiet), or the counts per rule (--statistics)."""
    from dataclasses import replace

    if settings.fmt != "text":
        return render(settings.fmt, result, rules, colour, fail_level)
    if settings.statistics:
        from linter.report.text_format import statistics

        return statistics(result.findings, rules)
    result.relocate(lambda p: as_shown.get(p, p))
    if settings.quiet or settings.no_fix:
        result.findings = [replace(f, fix="") for f in result.findings]
    text = renderer("text")(result, rules, colour)
    if settings.quiet:
        # the summary is the last line, after a blank one when there are findings
        body = text.rstrip("\n").rpartition("\n")[0]
        text = body.rstrip("\n") + "\n" if body.strip() else ""
    return text
