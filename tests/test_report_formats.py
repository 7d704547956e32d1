"""CI output formats: GitLab code quality and JUnit XML, checked against their consumers'
rules.

* GitLab: the report format of docs.gitlab.com/ci/testing/code_quality/ ("Code Quality
  report format"), written down below as a JSON Schema: an array of issues with
  description, check_name, a fingerprint unique within the report, severity in info /
  minor / major / critical / blocker, location.path and location.lines.begin.
* JUnit: read back with junitparser (the reader many CI tools and plugins use) and with
  the standard library's XML parser; counts, names and failure messages must match.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from linter.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "postfix", ROOT / "examples" / "exim"]
HARDENED = ROOT / "tests" / "fixtures" / "postfix" / "hardened"

GITLAB_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^/"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args])
    return result.exit_code, result.stdout


def relative(path: Path) -> str:
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def test_gitlab_code_quality(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    code, out = run("examples", "--format", "gitlab")
    assert code == 1
    issues = json.loads(out)
    jsonschema.validate(issues, GITLAB_SCHEMA)
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(set(fingerprints)) == len(fingerprints)  # GitLab shows one issue per print
    _, plain = run("examples", "--format", "json")
    assert len(issues) == len(json.loads(plain)["findings"])
    assert {i["severity"] for i in issues} <= {"critical", "major", "info"}


def test_gitlab_fingerprints_stay_when_lines_move(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    main_cf = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
    Path("main.cf").write_text(main_cf)
    before = {
        i["check_name"]: i["fingerprint"] for i in json.loads(run(".", "--format", "gitlab")[1])
    }
    Path("main.cf").write_text("# moved\n\n" + main_cf)
    after = {
        i["check_name"]: i["fingerprint"] for i in json.loads(run(".", "--format", "gitlab")[1])
    }
    assert before == after


def test_junit_read_by_a_consumer(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from junitparser import Failure, JUnitXml

    monkeypatch.chdir(ROOT)
    _, plain = run("examples", str(HARDENED.relative_to(ROOT)), "--format", "json")
    findings = json.loads(plain)["findings"]
    code, out = run("examples", str(HARDENED.relative_to(ROOT)), "--format", "junit")
    assert code == 1
    report = tmp_path / "junit.xml"
    report.write_text(out)
    ET.parse(report)  # well-formed
    xml = JUnitXml.fromfile(str(report))
    suites = list(xml)
    failures = [
        (suite.name, r.message)
        for suite in suites
        for case in suite
        for r in case.result
        if isinstance(r, Failure)
    ]
    assert len(failures) == len(findings)
    assert {m for _, m in failures} == {f["message"] for f in findings}
    # a file without findings is a passing test, so a clean run still shows what ran
    clean = [s for s in suites if s.name.startswith("tests/fixtures/postfix/hardened")]
    assert clean and all(s.failures == 0 and s.tests >= 1 for s in clean)


def test_junit_escapes_what_a_config_says(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    Path("main.cf").write_text('smtpd_banner = <x a="1"> & ]]> ESMTP $mail_version\n')
    _, out = run(".", "--format", "junit")
    tree = ET.fromstring(out.split("\n", 1)[1])
    messages = [f.get("message") or "" for f in tree.iter("failure")]
    assert any('<x a="1"> & ]]>' in m for m in messages)
