"""CI output formats, checked the way their consumers check them.

GitLab code quality (``--format gitlab``)
    Validated against ``tests/fixtures/schemas/gitlab-code-quality.schema.json``, a JSON
    Schema written from GitLab's documentation, "Code Quality report format"
    (https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format), and the
    Code Climate spec it is a subset of
    (https://github.com/codeclimate/platform/blob/master/spec/analyzers/SPEC.md#data-types).
    GitLab publishes no schema for the whole report (its parser checks each issue for
    description, fingerprint, severity and location); see the README next to the schema.
    What a schema cannot say is tested here: fingerprints unique within a report (GitLab
    shows one issue per fingerprint), paths that exist in the repository, no byte-order mark.

JUnit XML (``--format junit``)
    Validated against the Jenkins xUnit plugin's ``junit-10.xsd`` (vendored, MIT; source in
    the README next to it) with xmlschema, and read back with junitparser, a reader CI tools
    use: suites, cases, failures, messages and counts must match the findings.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from linter.check import CheckResult
from linter.cli import main
from linter.findings import Finding
from linter.report import gitlab_format, junit_format
from linter.source import Span
from tests.paths import ROOT

SCHEMAS = ROOT / "tests" / "fixtures" / "schemas"
HARDENED = "tests/fixtures/postfix/hardened"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.stdout


@pytest.fixture(scope="module")
def gitlab_schema() -> dict:
    schema = json.loads((SCHEMAS / "gitlab-code-quality.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


@pytest.fixture(scope="module")
def junit_xsd():  # type: ignore[no-untyped-def]
    import xmlschema

    return xmlschema.XMLSchema(str(SCHEMAS / "junit-10.xsd"))


def finding(rule: str, line: int, message: str, **kw) -> Finding:  # type: ignore[no-untyped-def]
    return Finding(
        rule=rule,
        severity=kw.pop("severity", "error"),
        message=message,
        span=Span(kw.pop("path", "hosts/a/main.cf"), line, kw.pop("column", 1)),
        title=kw.pop("title", "A title"),
        **kw,
    )


# ---------------------------------------------------------------- GitLab code quality


def test_gitlab_report_matches_the_schema_and_the_findings(gitlab_schema, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    code, out = run("examples", HARDENED, "--format", "gitlab")
    assert code == 1
    assert not out.startswith("\ufeff")  # GitLab's parser refuses a byte-order mark
    issues = json.loads(out)
    jsonschema.validate(issues, gitlab_schema, cls=jsonschema.Draft202012Validator)

    findings = json.loads(run("examples", HARDENED, "--format", "json")[1])["findings"]
    assert len(issues) == len(findings) > 0
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    for issue, f in zip(issues, findings, strict=True):
        assert issue["check_name"] == f["rule"]
        assert (
            issue["severity"]
            == {"error": "critical", "warning": "major", "note": "info"}[f["severity"]]
        )
        assert issue["location"]["path"] == f["path"]
        assert issue["location"]["lines"]["begin"] == f["line"]
        assert issue["description"] == " ".join(f"{f['rule']} {f['message']}".split())
        assert (ROOT / issue["location"]["path"]).is_file()
    # findings that share a fingerprint keep the finding's own print on the first
    assert set(fingerprints) >= {f["fingerprint"] for f in findings}


def test_gitlab_schema_is_not_vacuous(gitlab_schema) -> None:  # type: ignore[no-untyped-def]
    good = {
        "description": "x",
        "check_name": "PF001",
        "fingerprint": "ab",
        "severity": "major",
        "location": {"path": "main.cf", "lines": {"begin": 1}},
    }
    jsonschema.validate([good], gitlab_schema)
    jsonschema.validate(
        [{**good, "location": {"path": "main.cf", "positions": {"begin": {"line": 3}}}}],
        gitlab_schema,
    )
    bad = [
        {**good, "severity": "error"},
        {k: v for k, v in good.items() if k != "fingerprint"},
        {**good, "location": {"path": "/etc/postfix/main.cf", "lines": {"begin": 1}}},
        {**good, "location": {"path": "./main.cf", "lines": {"begin": 1}}},
        {**good, "location": {"path": "main.cf", "lines": {"begin": 0}}},
        {**good, "location": {"path": "main.cf"}},
        {**good, "description": "two\nlines"},
        {**good, "categories": ["Misc"]},
    ]
    for issue in bad:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate([issue], gitlab_schema)


def test_gitlab_fingerprints_stay_when_lines_move(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    main_cf = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
    Path("main.cf").write_text(main_cf)
    before = json.loads(run(".", "--format", "gitlab")[1])
    Path("main.cf").write_text("# moved\n\n" + main_cf)
    after = json.loads(run(".", "--format", "gitlab")[1])
    assert before and {i["fingerprint"] for i in before} == {i["fingerprint"] for i in after}
    assert [i["location"]["lines"]["begin"] for i in before] != [
        i["location"]["lines"]["begin"] for i in after
    ]


def test_gitlab_shared_fingerprints_become_unique(gitlab_schema) -> None:  # type: ignore[no-untyped-def]
    a = finding("PF005", 3, "defined twice", key="k", value="v", path="./hosts\\a/main.cf")
    b = finding("PF005", 9, "defined twice", key="k", value="v", path="./hosts\\a/main.cf")
    assert a.fingerprint == b.fingerprint
    issues = json.loads(gitlab_format.render(CheckResult(findings=[a, b]), [], False))
    jsonschema.validate(issues, gitlab_schema)
    assert issues[0]["fingerprint"] == a.fingerprint != issues[1]["fingerprint"]
    assert issues[0]["location"]["path"] == "hosts/a/main.cf"
    # the same input gives the same prints
    again = json.loads(gitlab_format.render(CheckResult(findings=[a, b]), [], False))
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]


def test_gitlab_report_without_findings_is_an_empty_array(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    code, out = run(HARDENED, "--format", "gitlab")
    assert code == 0 and json.loads(out) == []


# ---------------------------------------------------------------- JUnit XML


def _read_junit(text: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from junitparser import JUnitXml

    report = tmp_path / "junit.xml"
    report.write_text(text, encoding="utf-8")
    ET.parse(report)  # well-formed
    return JUnitXml.fromfile(str(report))


def test_junit_matches_the_xsd_and_a_consumer_sees_every_finding(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, junit_xsd
) -> None:
    from junitparser import Failure

    monkeypatch.chdir(ROOT)
    findings = json.loads(run("examples", HARDENED, "--format", "json")[1])["findings"]
    code, out = run("examples", HARDENED, "--format", "junit")
    assert code == 1
    junit_xsd.validate(out)

    xml = _read_junit(out, tmp_path)
    suites = list(xml)
    failures = [
        (case.classname, r.message, r.type)
        for suite in suites
        for case in suite
        for r in case.result
        if isinstance(r, Failure)
    ]
    # the default --fail-on is warning: notes are cases, not failures
    assert sorted(failures) == sorted(
        (f["path"], f["message"], f["severity"]) for f in findings if f["severity"] != "note"
    )
    assert any(f["severity"] == "note" for f in findings)
    # GitLab keeps only the first of two cases with the same classname and name
    keys = Counter((case.classname, case.name) for suite in suites for case in suite)
    assert max(keys.values()) == 1
    # one case per finding
    assert sum(1 for s in suites for c in s if c.name != "no findings") == len(findings)
    # the counts a consumer reads agree with the cases
    for suite in suites:
        cases = list(suite)
        assert suite.tests == len(cases) >= 1
        assert suite.failures == sum(1 for c in cases for r in c.result if isinstance(r, Failure))
    assert int(xml.tests) == sum(s.tests for s in suites)
    assert int(xml.failures) == sum(s.failures for s in suites)
    # a file without findings is a passing test, so a clean run still shows what ran
    clean = [s for s in suites if s.name.startswith(HARDENED)]
    assert clean and all(s.failures == 0 and s.tests == 1 for s in clean)
    assert all(c.is_passed for s in clean for c in s)


def test_junit_clean_run(tmp_path: Path, monkeypatch, junit_xsd) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    code, out = run(HARDENED, "--format", "junit")
    assert code == 0
    junit_xsd.validate(out)
    xml = _read_junit(out, tmp_path)
    assert int(xml.tests) >= 1 and int(xml.failures) == 0


def test_junit_xsd_is_not_vacuous(junit_xsd) -> None:  # type: ignore[no-untyped-def]
    assert junit_xsd.is_valid(
        '<testsuites><testsuite name="a" tests="1" failures="0" errors="0">'
        '<testcase name="t"/></testsuite></testsuites>'
    )
    for bad in (
        # a testcase without a name
        '<testsuites><testsuite name="a" tests="1" failures="0" errors="0">'
        "<testcase/></testsuite></testsuites>",
        # a suite without counts
        '<testsuites><testsuite name="a"><testcase name="t"/></testsuite></testsuites>',
        # attributes junit-10.xsd does not have on a testcase
        '<testsuites><testsuite name="a" tests="1" failures="0" errors="0">'
        '<testcase name="t" file="main.cf" line="3"/></testsuite></testsuites>',
    ):
        assert not junit_xsd.is_valid(bad)


def test_junit_escapes_what_a_config_says(tmp_path: Path, monkeypatch, junit_xsd) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("main.cf").write_text('smtpd_banner = <x a="1"> & ]]> ESMTP $mail_version\n')
    _, out = run(".", "--format", "junit")
    junit_xsd.validate(out)
    tree = ET.fromstring(out.split("\n", 1)[1])
    messages = [f.get("message") or "" for f in tree.iter("failure")]
    assert any('<x a="1"> & ]]>' in m for m in messages)


def test_junit_characters_xml_cannot_carry(tmp_path: Path, junit_xsd) -> None:  # type: ignore[no-untyped-def]
    from junitparser import Failure

    message = 'banner "\x01\x1b[0m" <b>&\ud800 line\nbreak\ttab'
    result = CheckResult(
        findings=[
            finding("MTA015", 4, message, path="h/main.cf", fix="smtpd_banner = $myhostname"),
            finding("MTA015", 4, "second at the same place", path="h/main.cf"),
            finding("PF001", 7, "other", path="h/main.cf", severity="warning", column=3),
        ],
        files=["h/main.cf", "h/master.cf"],
    )
    out = junit_format.render(result, [], False)
    out.encode("utf-8")  # no lone surrogate left
    junit_xsd.validate(out)
    xml = _read_junit(out, tmp_path)
    suites = {s.name: s for s in xml}
    assert set(suites) == {"h/main.cf", "h/master.cf"}
    cases = list(suites["h/main.cf"])
    prints = [f.fingerprint[:12] for f in result.findings]
    assert [c.name for c in cases] == [
        f"MTA015 A title [{prints[0]}]",
        # the same fingerprint (nothing tells them apart but the line): numbered
        f"MTA015 A title [{prints[1]}] #2",
        f"PF001 A title [{prints[2]}]",
    ]
    first = [r for r in cases[0].result if isinstance(r, Failure)]
    assert [r.type for r in first] == ["error"]
    assert first[0].message == 'banner "\\x01\\x1b[0m" <b>&\\ud800 line\nbreak\ttab'
    assert "fix: smtpd_banner = $myhostname" in (first[0].text or "")
    assert [c.name for c in suites["h/master.cf"]] == ["no findings"]
    assert suites["h/main.cf"].failures == 3 and suites["h/main.cf"].tests == 3


def test_junit_fails_only_at_fail_on_and_keeps_names_when_lines_move(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch, junit_xsd
) -> None:
    from junitparser import Failure

    monkeypatch.chdir(tmp_path)
    main_cf = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\nsmtpd_tls_loglevel = 4\n"
    Path("main.cf").write_text(main_cf)
    findings = json.loads(run(".", "--format", "json")[1])["findings"]
    severities = {f["severity"] for f in findings}
    assert {"error"} < severities, severities  # something below error too

    def cases(*extra: str) -> dict[str, bool]:
        _, out = run(".", "--format", "junit", *extra)
        junit_xsd.validate(out)
        xml = _read_junit(out, tmp_path)
        return {c.name: any(isinstance(r, Failure) for r in c.result) for s in xml for c in s}

    on_error = cases("--fail-on", "error")
    assert len(on_error) == len(findings)  # every finding is a case, none merged
    assert sum(on_error.values()) == sum(f["severity"] == "error" for f in findings)
    assert not [n for n in on_error if re.search(r"line \d", n)]
    on_note = cases("--fail-on", "note")
    assert sum(on_note.values()) == len(findings)
    # an unrelated edit moves every line: the same test names
    Path("main.cf").write_text("# a comment\n\n" + main_cf)
    assert set(cases("--fail-on", "error")) == set(on_error)


def test_junit_distinct_findings_at_one_place_are_distinct_cases(junit_xsd) -> None:  # type: ignore[no-untyped-def]
    a = finding("PF005", 3, "first", key="a", value="1")
    b = finding("PF005", 3, "second", key="b", value="2")
    out = junit_format.render(CheckResult(findings=[a, b], files=["hosts/a/main.cf"]), [])
    junit_xsd.validate(out)
    tree = ET.fromstring(out.split("\n", 1)[1])
    assert len(list(tree.iter("testcase"))) == 2
    assert len(list(tree.iter("failure"))) == 2


# ---------------------------------------------------------------- SARIF


def _sarif(*args: str) -> dict:
    from tests.report.schemas import sarif_schema, validator

    _, out = run(*args, "--format", "sarif")
    doc = json.loads(out)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(sarif_schema()).iter_errors(doc)
    ]
    assert errors == []
    return doc


def test_sarif_security_severity_follows_what_a_finding_means(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("main.cf").write_text(
        "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\nsmtpd_tls_securty_level = may\n"
        "smtpd_tls_auth_only = no\nsmtpd_sasl_auth_enable = yes\n"
    )
    [sarif_run] = _sarif(".", "--no-config")["runs"]
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    # an open relay is critical whatever severity the rule is written with
    relay = [r for r in rules.values() if "open-relay" in r["properties"]["tags"]]
    assert relay and all(float(r["properties"]["security-severity"]) >= 9 for r in relay)
    # a misspelt parameter is a quality alert, not a security one
    misspelt = [r for r in rules.values() if "unknown-option" in r["properties"]["tags"]]
    assert misspelt
    for r in misspelt:
        assert "security" not in r["properties"]["tags"]
        assert "security-severity" not in r["properties"]
    for r in rules.values():
        if "security" in r["properties"]["tags"]:
            assert 0 < float(r["properties"]["security-severity"]) <= 10


def test_sarif_names_the_tool_and_each_rules_page(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from linter import __version__

    monkeypatch.chdir(ROOT)
    [sarif_run] = _sarif("examples", "--no-config")["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["semanticVersion"] == __version__ and driver["informationUri"]
    assert sarif_run["automationDetails"]["id"] == "mtalint/"
    for rule in driver["rules"]:
        # no project URL in pyproject.toml: the page relative to the repository root
        assert rule["helpUri"] == f"docs/rules/{rule['id']}.md"
        assert (ROOT / rule["helpUri"]).is_file()


def test_sarif_suppressed_findings_are_dismissed_with_their_reason(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("main.cf").write_text(
        "compatibility_level = 3.6\n"
        "# mtalint: ignore[open-relay] test lab, no route out until=2099-01-01\n"
        "mynetworks = 0.0.0.0/0\nsmtpd_tls_securty_level = may\n"
    )
    [sarif_run] = _sarif(".", "--no-config")["runs"]
    inline = [r for r in sarif_run["results"] if r.get("suppressions")]
    assert inline
    for r in inline:
        [s] = r["suppressions"]
        assert s["kind"] == "inSource" and "test lab, no route out" in s["justification"]
        assert "2099-01-01" in s["justification"]
    assert any(not r.get("suppressions") for r in sarif_run["results"])
    assert run(".", "--no-config", "--write-baseline", "base.json")[0] == 0
    [sarif_run] = _sarif(".", "--no-config", "--baseline", "base.json")["runs"]
    kinds = {s["kind"] for r in sarif_run["results"] for s in r.get("suppressions", [])}
    assert kinds == {"inSource", "external"}
    assert all(r.get("suppressions") for r in sarif_run["results"])
