"""GitHub Actions workflow commands: one ``::error file=…`` annotation per finding.

Values are made printable (:mod:`linter.textsafe`) before the workflow-command escaping:
a newline a configuration holds shows as ``\\x0a`` rather than splitting the annotation,
and no escape sequence reaches the log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.textsafe import printable

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    out = []
    for f in result.findings:
        s = f.span
        props = [f"file={_escape_property(printable(s.path))}", f"line={s.line}", f"col={s.column}"]
        if s.end_line:
            props.append(f"endLine={s.end_line}")
        props.append(f"title={_escape_property(printable(f'{f.rule} {f.title}'.strip()))}")
        message = printable(f.message)
        if f.fix:
            message += f"\nfix: {printable(f.fix.rstrip())}"
        out.append(f"::{_LEVEL[f.severity]} {','.join(props)}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")
