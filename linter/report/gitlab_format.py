"""GitLab code quality report (``artifacts:reports:codequality``).

The format GitLab documents (https://docs.gitlab.com/ci/testing/code_quality/, "Code
Quality report format"), a subset of the Code Climate engine spec: one JSON array (no byte
order mark) of issues with ``description``, ``check_name``, ``fingerprint``, ``severity``
(``info``, ``minor``, ``major``, ``critical``, ``blocker``), ``location.path`` relative to
the repository and ``location.lines.begin``. GitLab ignores the other Code Climate fields;
``categories`` and ``content`` are written for other Code Climate consumers.

The fingerprint is what GitLab compares between the target branch and the merge request
to tell new issues from old ones, and it shows one issue per fingerprint: it is the
finding's own fingerprint (rule, file, subject and value, not the line), so moving a
setting does not make its finding "new". A file name that is not UTF-8 is written with
escapes (``bad\\xff``, see :mod:`linter.textsafe`).
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from linter.textsafe import encodable_json

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule
    from linter.findings import Finding

# GitLab orders info < minor < major < critical < blocker. An mtalint error is a
# misconfiguration that exposes the server now (open relay, passwords in clear text, SSLv3):
# critical. "blocker" is left to the team's own policy: mtalint cannot know whether a merge
# must stop, and --fail-on already decides that. A warning weakens the server without an
# immediate exposure: major. A note is advice rather than a defect: info.
SEVERITY = {"error": "critical", "warning": "major", "note": "info"}

# Code Climate's fixed category list; every mtalint rule is about security except the ones
# that report a configuration the MTA misreads or will stop reading.
_CATEGORY_BY_TAG = {
    "syntax-error": "Bug Risk",
    "unknown-option": "Bug Risk",
    "undefined-reference": "Bug Risk",
    "duplicate-entry": "Bug Risk",
    "deprecated-option": "Compatibility",
    "compatibility": "Compatibility",
}


def _path(path: str) -> str:
    """A repository-relative path with forward slashes, as GitLab links it."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _categories(finding: Finding) -> list[str]:
    found = sorted({_CATEGORY_BY_TAG[t] for t in finding.tags if t in _CATEGORY_BY_TAG})
    return found or ["Security"]


def _issue(finding: Finding, fingerprint: str) -> dict[str, Any]:
    span = finding.span
    begin = max(1, span.line)
    lines: dict[str, int] = {"begin": begin}
    if span.end_line is not None and span.end_line > begin:
        lines["end"] = span.end_line
    body = finding.title or finding.rule
    if finding.fix:
        body += f"\n\nFix: {finding.fix}"
    return {
        "type": "issue",
        # Code Climate: one line of text
        "description": " ".join(f"{finding.rule} {finding.message}".split()),
        "check_name": finding.rule,
        "fingerprint": fingerprint,
        "severity": SEVERITY[finding.severity],
        "location": {"path": _path(span.path), "lines": lines},
        "categories": _categories(finding),
        "content": {"body": body},
    }


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    issues = []
    seen: dict[str, int] = {}
    for finding in result.findings:
        # two findings can share a fingerprint (the same subject and value reported twice
        # in one file); GitLab would show only one, so the n-th repeat gets a print derived
        # from the first, which stays the same as long as the findings do
        base = finding.fingerprint
        count = seen.get(base, 0)
        seen[base] = count + 1
        fingerprint = (
            base if count == 0 else hashlib.sha256(f"{base}\x1f{count}".encode()).hexdigest()[:32]
        )
        issues.append(_issue(finding, fingerprint))
    return encodable_json(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
