"""JUnit XML, the test report CI servers show (GitLab ``artifacts:reports:junit``, Jenkins,
Azure DevOps), valid against the Jenkins xUnit plugin's ``junit-10.xsd``.

Layout, chosen for what the consumers display:

* one ``<testsuite>`` per checked file (``name`` and ``file`` are its path);
* one ``<testcase>`` per rule and location, ``classname`` the file's path (GitLab shows the
  classname as the suite) and ``name`` "RULE line L, column C: title" (unique within the
  file: GitLab keeps only the first of two cases with the same classname and name);
* a ``<failure message=MESSAGE type=SEVERITY>`` for each finding at that place, its text the
  compiler-style line and the fix (GitLab shows the text, Jenkins the message and text);
* one passing ``<testcase name="no findings">`` for a file without findings, so a clean
  run still reports what was checked and no suite is empty.

``junit-10.xsd`` has no ``file``/``line`` attributes on ``<testcase>``, so the location is in
the name and the classname instead. Text is made safe for XML 1.0: characters XML cannot
carry (control characters, lone surrogates) are written as ``\\xNN``/``\\uNNNN``, the same
escapes as every other format (:mod:`linter.textsafe`): a name that is not UTF-8 shows its
byte, ``bad\\xff``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from linter.textsafe import escape_char

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule
    from linter.findings import Finding

# everything outside XML 1.0's Char production
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub(lambda m: escape_char(m.group()), text)


def _failure_text(f: Finding) -> str:
    s = f.span
    text = f"{s.path}:{s.line}:{s.column}: {f.rule} {f.severity}: {f.message}"
    if f.fix:
        text += f"\nfix: {f.fix}"
    return text


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[f.span.path].append(f)
    files = list(dict.fromkeys([*result.files, *by_file]))

    root = ET.Element("testsuites", name="mtalint")
    total_tests = total_failures = 0
    for path in files:
        # (rule, line, column) → the findings there, in the order of the findings
        cases: dict[tuple[str, int, int], list[Finding]] = defaultdict(list)
        for f in by_file.get(path, []):
            cases[(f.rule, f.span.line, f.span.column)].append(f)
        tests = max(1, len(cases))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml_text(path),
            tests=str(tests),
            failures=str(len(cases)),
            errors="0",
            skipped="0",
            file=_xml_text(path),
        )
        total_tests += tests
        total_failures += len(cases)
        if not cases:
            ET.SubElement(suite, "testcase", name="no findings", classname=_xml_text(path))
            continue
        for (rule, line, column), findings in cases.items():
            title = findings[0].title or rule
            case = ET.SubElement(
                suite,
                "testcase",
                name=_xml_text(f"{rule} line {line}, column {column}: {title}"),
                classname=_xml_text(path),
            )
            for f in findings:
                failure = ET.SubElement(
                    case, "failure", message=_xml_text(f.message), type=f.severity
                )
                failure.text = _xml_text(_failure_text(f))
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
