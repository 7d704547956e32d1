"""JUnit XML, the test report CI servers show (GitLab ``artifacts:reports:junit``, Jenkins,
Azure DevOps), valid against the Jenkins xUnit plugin's ``junit-10.xsd``.

Layout, chosen for what the consumers display:

* one ``<testsuite>`` per checked file (``name`` and ``file`` are its path);
* one ``<testcase>`` per finding, ``classname`` the file's path (GitLab shows the classname
  as the suite) and ``name`` "RULE title [what]" where *what* is the finding's fingerprint
  (rule, file, the parameter or listener it is about, its value), never a line number: a
  line moved by an unrelated edit keeps the test's history in Jenkins and GitLab. Two
  findings with one fingerprint get " #2", " #3" in their order (GitLab keeps only the
  first of two cases with the same classname and name);
* a ``<failure message=MESSAGE type=SEVERITY>`` only for a finding at or above ``--fail-on``
  (its text the compiler-style line and the fix): Jenkins marks a build UNSTABLE on any
  failure, so a note below the threshold is a passing case whose ``<system-out>`` says it;
* one passing ``<testcase name="no findings">`` for a file without findings, so a clean
  run still reports what was checked and no suite is empty.

``junit-10.xsd`` has no ``file``/``line`` attributes on ``<testcase>``, so the location is in
the failure's text and the classname instead. Text is made safe for XML 1.0: characters XML cannot
carry (control characters, lone surrogates) are written as ``\\xNN``/``\\uNNNN``, the same
escapes as every other format (:mod:`linter.textsafe`): a name that is not UTF-8 shows its
byte, ``bad\\xff``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from linter.engine.rules import SEVERITY_RANK
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


def render(
    result: CheckResult, rules: list[Rule], colour: bool = False, fail_on: str = "warning"
) -> str:
    threshold = SEVERITY_RANK[fail_on]
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_file[f.span.path].append(f)
    files = list(dict.fromkeys([*result.files, *by_file]))

    root = ET.Element("testsuites", name="mtalint")
    total_tests = total_failures = 0
    for path in files:
        findings = by_file.get(path, [])
        failing = [f for f in findings if SEVERITY_RANK[f.severity] >= threshold]
        tests = max(1, len(findings))
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml_text(path),
            tests=str(tests),
            failures=str(len(failing)),
            errors="0",
            skipped="0",
            file=_xml_text(path),
        )
        total_tests += tests
        total_failures += len(failing)
        if not findings:
            ET.SubElement(suite, "testcase", name="no findings", classname=_xml_text(path))
            continue
        seen: dict[str, int] = defaultdict(int)
        for f in findings:
            seen[f.fingerprint] += 1
            name = f"{f.rule} {f.title or f.rule} [{f.fingerprint[:12]}]"
            if seen[f.fingerprint] > 1:
                name += f" #{seen[f.fingerprint]}"
            case = ET.SubElement(suite, "testcase", name=_xml_text(name), classname=_xml_text(path))
            if SEVERITY_RANK[f.severity] >= threshold:
                failure = ET.SubElement(
                    case, "failure", message=_xml_text(f.message), type=f.severity
                )
                failure.text = _xml_text(_failure_text(f))
            else:
                # below --fail-on: reported, but not a failure the CI server acts on
                out = ET.SubElement(case, "system-out")
                out.text = _xml_text(_failure_text(f))
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
