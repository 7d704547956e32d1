"""GitLab code quality report (``artifacts:reports:codequality``).

The format GitLab documents (docs.gitlab.com, "Code Quality", report format): a JSON array
of issues with ``description``, ``check_name``, ``fingerprint`` (unique per issue: GitLab
shows one issue per fingerprint), ``severity`` (``info``, ``minor``, ``major``,
``critical``, ``blocker``) and ``location.path`` / ``location.lines.begin``.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

# an error is a defect that blocks the merge request in most teams' policies: critical;
# warnings are major (the widget sorts by severity), notes informational
SEVERITY = {"error": "critical", "warning": "major", "note": "info"}


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    issues = []
    seen: dict[str, int] = {}
    for f in result.findings:
        # mtalint's fingerprint ignores line numbers (stable across edits); two findings
        # can share it within a file, so the n-th of them gets its own
        count = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = count + 1
        fingerprint = (
            f.fingerprint
            if count == 0
            else hashlib.sha256(f"{f.fingerprint}\x1f{count}".encode()).hexdigest()[:32]
        )
        issues.append(
            {
                "description": f"{f.rule} {f.message}",
                "check_name": f.rule,
                "fingerprint": fingerprint,
                "severity": SEVERITY[f.severity],
                "location": {"path": f.span.path, "lines": {"begin": f.span.line}},
                "categories": ["Security"],
                "content": {"body": f"Fix: {f.fix}" if f.fix else f.title},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
