"""SARIF 2.1.0 for code scanning.

What code scanning needs and peers often miss: every rule in ``tool.driver.rules`` with
descriptions and help, ``security-severity`` as a string, ``partialFingerprints`` so a
finding is tracked across commits, and regions whose lines start at 1.

An artifact's ``uri`` is a URI reference (RFC 3986): the path percent-encoded, so
``a b#c/main.cf`` is not read as the path ``a b`` and a fragment, and a name that is not
UTF-8 by its bytes (``%FF``). Other values are exact, except that such a name is written
with escapes elsewhere (``bad\\xff``, see :mod:`linter.textsafe`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from linter import __version__
from linter.textsafe import encodable_json, uri_path

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "note": "note"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "5.0", "note": "2.0"}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
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
        "properties": {
            "tags": ["security", *rule.tags],
            "security-severity": _SECURITY_SEVERITY[rule.severity],
        },
    }
    if refs:
        descriptor["helpUri"] = refs[0]
    return descriptor


def _location(path: str) -> dict[str, str]:
    """An artifact location: relative to SRCROOT (the project root), or a file: URI for
    a file outside it (its path is absolute)."""
    if path.startswith("/"):
        return {"uri": "file://" + uri_path(path)}
    return {"uri": uri_path(path), "uriBaseId": "SRCROOT"}


def build(result: CheckResult, rules: list[Rule]) -> dict[str, Any]:
    used = sorted({f.rule for f in result.findings})
    by_id = {r.id: r for r in rules}
    descriptors = [_rule_descriptor(by_id[r]) for r in used if r in by_id]
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    results = []
    for f in result.findings:
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
                        "rules": descriptors,
                    }
                },
                "artifacts": [{"location": _location(p)} for p in result.files],
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    return encodable_json(json.dumps(build(result, rules), indent=2, ensure_ascii=False)) + "\n"
