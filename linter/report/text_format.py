"""Compiler-style text: ``path:line:col: ID severity: message``, then the fix.

What a configuration or a file name contributes is shown through :mod:`linter.textsafe`:
one finding is one line, and no escape sequence reaches the terminal but our colours.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.textsafe import display_path, printable

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule
    from linter.findings import Finding

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "note": "\033[36m"}
_RESET = "\033[0m"


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    lines = []
    for f in result.findings:
        sev = f.severity
        if colour:
            sev = f"{_COLOURS.get(sev, '')}{sev}{_RESET}"
        where = f"{display_path(f.span.path)}:{f.span.line}:{f.span.column}"
        lines.append(f"{where}: {printable(f.rule)} {sev}: {printable(f.message)}")
        if f.fix:
            # one line too: a fix quotes configuration values, and a newline in one would
            # start a line of its own (a workflow command, after the runner trims blanks)
            lines.append(f"    fix: {printable(f.fix.rstrip())}")
    counts = {
        s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "note")
    }
    total = len(result.findings)
    # the files of the config sets and any other file a finding sits in (a lookup
    # table read beside main.cf): each was read and checked
    located = [f.span.path for f in (*result.findings, *result.suppressed_findings)]
    files = len({*result.files, *located})
    summary = (
        f"{total} finding{'s' if total != 1 else ''} "
        f"({counts['error']} error, {counts['warning']} warning, {counts['note']} note) "
        f"in {files} file{'s' if files != 1 else ''}"
    )
    if result.suppressed:
        summary += f"; {result.suppressed} suppressed"
    if lines:
        lines.append("")
    lines.append(summary)
    return "\n".join(lines) + "\n"


def statistics(findings: list[Finding], rules: list[Rule]) -> str:
    """``--statistics``: one line per rule, the most frequent first: count, id, severity,
    title."""
    from collections import Counter

    titles = {r.id: r.title for r in rules}
    counts = Counter((f.rule, f.severity) for f in findings)
    if not counts:
        return ""
    width = max(len(str(n)) for n in counts.values())
    id_width = max(len(rule) for rule, _ in counts)
    lines = [
        f"{n:>{width}}  {printable(rule):<{id_width}}  {severity:<7}  "
        f"{printable(titles.get(rule, ''))}"
        for (rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"
