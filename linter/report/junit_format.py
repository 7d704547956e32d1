"""JUnit XML, the test report format CI servers show (GitLab ``artifacts:reports:junit``,
Jenkins, Azure DevOps): one test suite per checked file, one failing test case per finding
(named by rule and line), and one passing case for a file without findings, so a clean
run still reports what was checked."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule
    from linter.findings import Finding


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[f.span.path].append(f)
    files = list(dict.fromkeys([*result.files, *by_file]))
    root = ET.Element(
        "testsuites",
        name="mtalint",
        tests=str(sum(max(1, len(by_file[p])) for p in files)),
        failures=str(len(result.findings)),
        errors="0",
    )
    for path in files:
        findings = by_file[path]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=path,
            tests=str(max(1, len(findings))),
            failures=str(len(findings)),
            errors="0",
            skipped="0",
        )
        if not findings:
            ET.SubElement(suite, "testcase", name="mtalint", classname=path)
            continue
        for f in findings:
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"{f.rule} line {f.span.line}: {f.title or f.rule}",
                classname=path,
                file=path,
                line=str(f.span.line),
            )
            failure = ET.SubElement(case, "failure", message=f.message, type=f.severity)
            failure.text = (
                f"{path}:{f.span.line}:{f.span.column}: {f.rule} {f.severity}: {f.message}"
                + (f"\nfix: {f.fix}" if f.fix else "")
            )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
