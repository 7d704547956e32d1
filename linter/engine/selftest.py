"""Running the ``tests:`` a rule carries: snippets that must and must not trigger it.

The project's own test suite runs every built-in rule through this, and
``mtalint test-rules DIR`` runs it for a user's rules.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from linter.engine.rules import Rule
from linter.engine.runner import Selection
from linter.mta import Options


@dataclass
class CaseResult:
    rule: str
    name: str
    expect: str
    passed: bool
    detail: str


def _safe_name(name: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"test file name {name!r} must be a relative path inside the test folder")
    return p


def run_case(rule: Rule, case: dict[str, object], all_rules: list[Rule], index: int) -> CaseResult:
    from linter.check import check

    name = str(case.get("name", f"case {index + 1}"))
    expect = str(case.get("expect", "trigger"))
    files = case.get("files")
    if not isinstance(files, dict) or not files:
        return CaseResult(rule.id, name, expect, False, "test case has no 'files'")
    with tempfile.TemporaryDirectory(prefix="mtalint-rule-") as tmp:
        root = Path(tmp)
        try:
            for fname, content in files.items():
                target = root / _safe_name(str(fname))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(str(content), encoding="utf-8")
        except ValueError as exc:
            return CaseResult(rule.id, name, expect, False, str(exc))
        roles = case.get("roles")
        options = Options(roles=list(roles) if isinstance(roles, list) else None)
        version = case.get("postfix_version")
        if version:
            from linter.mta.postfix.model import parse_version

            options.postfix_version = parse_version(str(version))
        result = check([root], all_rules, Selection(select=[rule.id]), options)
    hits = [f for f in result.findings if f.rule == rule.id]
    others = [f for f in result.findings if f.rule != rule.id and f.rule.startswith("MTL001")]
    if others:
        return CaseResult(rule.id, name, expect, False, others[0].message)
    if expect == "trigger":
        count = case.get("count")
        if count is not None and len(hits) != count:
            return CaseResult(
                rule.id, name, expect, False, f"expected {count} findings, got {len(hits)}"
            )
        line = case.get("line")
        if line is not None and not any(f.span.line == line for f in hits):
            got = ", ".join(str(f.span.line) for f in hits) or "none"
            return CaseResult(
                rule.id, name, expect, False, f"expected a finding on line {line}, got lines {got}"
            )
        ok = bool(hits)
        return CaseResult(rule.id, name, expect, ok, "" if ok else "rule did not trigger")
    ok = not hits
    detail = (
        "" if ok else f"rule triggered: {hits[0].span.path}:{hits[0].span.line}: {hits[0].message}"
    )
    return CaseResult(rule.id, name, expect, ok, detail)


def run_rule_tests(rule: Rule, all_rules: list[Rule]) -> list[CaseResult]:
    return [run_case(rule, case, all_rules, i) for i, case in enumerate(rule.tests)]
