"""SARIF 2.1.0 for code scanning.

What code scanning needs and peers often miss: every rule in ``tool.driver.rules`` with
descriptions and help, ``partialFingerprints`` so a finding is tracked across commits, and
regions whose lines start at 1. ``security-severity`` (a string) and the ``security`` tag
come from what the rule's concept means (:mod:`.security`), only for security rules.
``helpUri`` is the rule's own page, ``docs/rules/ID.md``: under the project URL when the
installed package names one (``[project.urls]``), else relative to the repository root.
``automationDetails.id`` gives code scanning a stable category ("mtalint/"). Findings
suppressed inline or by a baseline are results with ``suppressions`` (kind ``inSource``
or ``external``, and the justification), so code scanning shows them dismissed.

An artifact's ``uri`` is a URI reference (RFC 3986): the path percent-encoded, so
``a b#c/main.cf`` is not read as the path ``a b`` and a fragment, and a name that is not
UTF-8 by its bytes (``%FF``). Other values are exact, except that such a name is written
with escapes elsewhere (``bad\\xff``, see :mod:`linter.textsafe`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter import __version__
from linter.report.security import security_severity
from linter.textsafe import encodable_json, uri_path

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}


def project_url() -> str:
    """The repository URL the installed package declares, or "" (none is declared)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("mtalint").get_all("Project-URL") or []
    except PackageNotFoundError:
        return ""
    by_label = {
        label.strip().lower(): url.strip()
        for label, _, url in (u.partition(",") for u in urls)
        if url.strip()
    }
    for label in ("repository", "source", "homepage"):
        if label in by_label:
            return by_label[label].rstrip("/")
    return ""


def help_uri(rule: Rule, base: str) -> str:
    """The rule's page: docs/rules/ID.md of the repository (a built-in rule), else its
    first reference's URL, else ""."""
    from linter.resources import rules_dir

    builtin = rule.builtin or (
        bool(rule.path) and Path(rule.path).resolve().is_relative_to(rules_dir().resolve())
    )
    if builtin:
        page = f"docs/rules/{rule.id}.md"
        return f"{base}/blob/main/{page}" if base else page
    return next((r["url"] for r in rule.references if r.get("url")), "")


def _rule_descriptor(rule: Rule, base: str) -> dict[str, Any]:
    help_text = rule.rationale or rule.title
    fix = rule.fix_for(rule.applies_to[0] if rule.applies_to else "any")
    markdown = f"{help_text}\n\n**Fix:** {fix}" if fix else help_text
    refs = [r.get("url") for r in rule.references if r.get("url")]
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": (rule.name or rule.id).replace(".", "-"),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": help_text},
        "help": {"text": f"{help_text}\n\nFix: {fix}" if fix else help_text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": list(rule.tags)},
    }
    score = security_severity(rule)
    if score is not None:
        descriptor["properties"] = {
            "tags": ["security", *rule.tags],
            "security-severity": f"{score:.1f}",
        }
    uri = help_uri(rule, base) or (refs[0] if refs else "")
    if uri:
        descriptor["helpUri"] = uri
    return descriptor


def _location(path: str) -> dict[str, str]:
    """An artifact location: relative to SRCROOT (the project root), or a file: URI for
    a file outside it (its path is absolute)."""
    if path.startswith("/"):
        return {"uri": "file://" + uri_path(path)}
    return {"uri": uri_path(path), "uriBaseId": "SRCROOT"}


def build(result: CheckResult, rules: list[Rule]) -> dict[str, Any]:
    shown = [*result.findings, *result.suppressed_findings]
    used = sorted({f.rule for f in shown})
    by_id = {r.id: r for r in rules}
    base = project_url()
    descriptors = [_rule_descriptor(by_id[r], base) for r in used if r in by_id]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for f in shown:
        s = f.span
        region: dict[str, Any] = {"startLine": max(1, s.line), "startColumn": max(1, s.column)}
        if s.end_line:
            region["endLine"] = max(region["startLine"], s.end_line)
        if s.end_column:
            region["endColumn"] = max(1, s.end_column)
        entry: dict[str, Any] = {
            "ruleId": f.rule,
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _location(s.path),
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {"mtalint/v1": f.fingerprint},
            "properties": {"tags": f.tags},
        }
        if f.rule in index:
            entry["ruleIndex"] = index[f.rule]
        if f.suppression is not None:
            entry["suppressions"] = [
                {
                    "kind": f.suppression["kind"],
                    "status": "accepted",
                    "justification": _justification(f.suppression),
                }
            ]
        results.append(entry)
    run: dict[str, Any] = {}
    if result.project_root is not None:
        root = uri_path(result.project_root.rstrip("/") + "/")
        run["originalUriBaseIds"] = {"SRCROOT": {"uri": "file://" + root}}
    if result.configuration is not None:
        # which configuration file was used and the rules it switched off
        run["properties"] = {
            "mtalint/configuration": result.configuration["file"],
            "mtalint/disabledRules": result.configuration["disabled_rules"],
        }
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                **run,
                "tool": {
                    "driver": {
                        "name": "mtalint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": base or "README.md",
                        "rules": descriptors,
                    }
                },
                # the category code scanning files these results under
                "automationDetails": {"id": "mtalint/"},
                "artifacts": [{"location": _location(p)} for p in result.files],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def _justification(suppression: dict[str, Any]) -> str:
    text = suppression.get("justification") or "no reason given"
    if suppression.get("path"):
        text += f" ({suppression['path']}:{suppression['line']})"
    if suppression.get("until"):
        text += f", until {suppression['until']}"
    return text


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    return encodable_json(json.dumps(build(result, rules), indent=2, ensure_ascii=False)) + "\n"
