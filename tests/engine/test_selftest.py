"""Running a rule's own ``tests:`` (linter/engine/selftest.py) with the check its caller
hands in: the engine imports neither the pipeline built on it nor any MTA."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from linter.engine.rules import Rule, builtin_rules
from linter.engine.runner import Selection
from linter.engine.selftest import run_case
from linter.findings import Finding
from linter.mta import Options
from tests.paths import ROOT


def test_selftest_imports_neither_the_check_nor_an_mta() -> None:
    code = (
        "import sys, linter.engine.selftest\n"
        "print(sorted(m for m in sys.modules if m == 'linter.check' or m.count('.') > 2 "
        "and m.startswith('linter.mta.')))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert proc.stdout.strip() == "[]"


@dataclass
class _Recorded:
    findings: list[Finding] = field(default_factory=list)


def _rule_with_version_case() -> Rule:
    return next(
        r
        for r in builtin_rules(with_tests=True)
        if any("postfix_version" in case for case in r.tests)
    )


def test_a_case_runs_through_the_check_given_with_its_mta_options() -> None:
    rule = _rule_with_version_case()
    index = next(i for i, case in enumerate(rule.tests) if "postfix_version" in case)
    case = rule.tests[index]
    seen: list[tuple[list[Path], Selection, Options]] = []

    def check(paths: list[Path], rules: object, selection: Selection, options: Options):  # noqa: ANN202
        seen.append((paths, selection, options))
        assert all(p.is_dir() for p in paths)  # the case's files, written for the check
        return _Recorded()

    result = run_case(rule, case, list(builtin_rules()), index, check)
    [(paths, selection, options)] = seen
    assert selection.select == [rule.id]
    version = tuple(int(p) for p in str(case["postfix_version"]).split("."))
    assert options.flags["postfix_version"] == (version + (0, 0, 0))[:3]
    # nothing found: a "pass" case passes, a "trigger" case fails
    assert result.passed == (case.get("expect") == "pass")


def test_a_case_whose_mta_option_its_mta_refuses_fails_with_the_reason() -> None:
    rule = _rule_with_version_case()
    case = {"expect": "pass", "postfix_version": "3.x", "files": {"main.cf": "\n"}}

    def check(*args: object) -> _Recorded:
        raise AssertionError("a case with a refused option is not checked")

    result = run_case(rule, case, list(builtin_rules()), 0, check)
    assert not result.passed
    assert "invalid Postfix version '3.x'" in result.detail
