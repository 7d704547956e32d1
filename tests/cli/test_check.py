"""The ``mtalint`` command end to end: exit codes, options, output formats, bad input.

Every test runs the real command in a subprocess, so what is checked is what a user
sees: the exit status, stdout and stderr, and never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linter.engine.rules import builtin_rules
from tests.cli.common import (
    EXAMPLE,
    OPEN_RELAY_MAIN,
    check,
    check_json,
    line_of,
    mtalint,
    rules_of,
    write_set,
)
from tests.report import schemas

FINDING_KEYS = {"rule", "severity", "tags", "path", "line", "column"}
FINDING_KEYS |= {"end_line", "end_column", "message", "fix", "fingerprint", "evidence"}

# The same server with one misspelt parameter: Postfix ignores it, mtalint warns (PF001).
# (added after the clean main.cf of tests/conftest.py, it is the line after its last)
TYPO = "smtpd_tls_securty_level = encrypt\n"


@pytest.fixture(scope="module")
def example_doc() -> dict:
    """The JSON report for examples/postfix, run from the checkout."""
    proc = check("--format", "json", "examples/postfix")
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- exit codes


def test_clean_config_exits_0(tmp_path, clean_postfix):
    folder = clean_postfix
    proc = check(folder, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_findings_exit_1_and_are_reported_like_a_compiler(tmp_path):
    write_set(tmp_path / "relay", OPEN_RELAY_MAIN)
    proc = check("relay", cwd=tmp_path)
    assert proc.returncode == 1
    # the open relay comes from line 2, and "mynetworks = " is 13 characters
    assert "relay/main.cf:2:14: MTA001 error:" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].endswith("in 1 file")


def test_example_config_has_its_documented_problems(example_doc):
    main_cf = EXAMPLE / "main.cf"
    found = {(f["rule"], f["path"], f["line"]) for f in example_doc["findings"]}
    # mynetworks includes 0.0.0.0/0: the open relay is set on that line
    assert ("MTA001", "examples/postfix/main.cf", line_of(main_cf, "mynetworks")) in found
    # the misspelt smtpd_tls_securty_level
    assert (
        "PF001",
        "examples/postfix/main.cf",
        line_of(main_cf, "smtpd_tls_securty_level"),
    ) in found
    # SASL with TLS "may" and no smtpd_tls_auth_only
    assert "MTA006" in rules_of(example_doc)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["no/such/dir"], id="missing-path"),
        pytest.param(["--bogus-option", "examples/postfix"], id="unknown-option"),
        pytest.param(["--format", "xml", "examples/postfix"], id="bad-format"),
        pytest.param(["--fail-on", "fatal", "examples/postfix"], id="bad-fail-on"),
        pytest.param(["--postfix-version", "banana", "examples/postfix"], id="version-word"),
        pytest.param(["--postfix-version", "3.x", "examples/postfix"], id="version-3.x"),
        pytest.param(["--postfix-version", "3..7", "examples/postfix"], id="version-empty-part"),
        pytest.param(["--postfix-version", "", "examples/postfix"], id="version-empty"),
        pytest.param(["--postfix-version", "3.7.0.1", "examples/postfix"], id="version-4-parts"),
        pytest.param(
            ["--config", "no/such/.mtalint.yaml", "examples/postfix"], id="missing-config"
        ),
        pytest.param(["--rules", "no/such/rules", "examples/postfix"], id="missing-rules-dir"),
    ],
)
def test_usage_errors_exit_2(args):
    proc = mtalint("check", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip(), "a usage error must say what is wrong"


def test_missing_path_is_named(tmp_path):
    proc = check("nowhere/main.cf", cwd=tmp_path)
    assert proc.returncode == 2
    assert "nowhere/main.cf" in proc.stderr


def test_missing_path_next_to_a_real_one_still_exits_2(tmp_path, clean_postfix):
    proc = check("clean", "gone", cwd=tmp_path)
    assert proc.returncode == 2
    assert "gone" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("select: [PF001\n", id="invalid-yaml"),
        pytest.param("selct: [PF001]\n", id="unknown-key"),
        pytest.param("fail_on: sometimes\n", id="bad-fail-on"),
        pytest.param("- just\n- a list\n", id="not-a-mapping"),
        pytest.param("severity: {PF001: fatal}\n", id="bad-severity"),
    ],
)
def test_bad_config_file_exits_2_naming_it(tmp_path, content, clean_postfix):
    (tmp_path / "bad.yaml").write_text(content, encoding="utf-8")
    proc = mtalint("check", "--config", "bad.yaml", "clean", cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "bad.yaml" in proc.stderr


def test_config_file_found_next_to_the_config_is_used(tmp_path, clean_main_cf, clean_master_cf):
    write_set(tmp_path / "typo", clean_main_cf + TYPO, clean_master_cf)
    assert check("typo", cwd=tmp_path).returncode == 1
    (tmp_path / ".mtalint.yaml").write_text("ignore: [PF001]\n", encoding="utf-8")
    assert mtalint("check", "typo", cwd=tmp_path).returncode == 0
    # --no-config ignores it again
    assert check("typo", cwd=tmp_path).returncode == 1


# --------------------------------------------------------------------------- --fail-on, --exit-zero


def test_fail_on_threshold(tmp_path, clean_main_cf, clean_master_cf):
    write_set(tmp_path / "typo", clean_main_cf + TYPO, clean_master_cf)
    code, doc = check_json("typo", cwd=tmp_path)
    # the only problem is the misspelt parameter, a warning
    assert [
        (f["rule"], f["severity"], f["line"]) for f in doc["findings"] if f["severity"] != "note"
    ] == [("PF001", "warning", clean_main_cf.count("\n") + 1)]
    assert code == 1  # default threshold: warning
    assert check("--fail-on", "warning", "typo", cwd=tmp_path).returncode == 1
    assert check("--fail-on", "note", "typo", cwd=tmp_path).returncode == 1
    assert check("--fail-on", "error", "typo", cwd=tmp_path).returncode == 0


def test_fail_on_error_with_errors(example_doc):
    assert "error" in {f["severity"] for f in example_doc["findings"]}
    assert check("--fail-on", "error", "examples/postfix").returncode == 1


def test_exit_zero_reports_but_passes():
    proc = check("--exit-zero", "examples/postfix")
    assert proc.returncode == 0
    assert "MTA001" in proc.stdout


def test_exit_zero_with_json(example_doc):
    proc = check("--exit-zero", "--format", "json", "examples/postfix")
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["findings"] == example_doc["findings"]


# --------------------------------------------------------------------------- --select / --ignore


def _fingerprints(doc: dict, keep=lambda f: True) -> set[str]:
    return {f["fingerprint"] for f in doc["findings"] if keep(f)}


def _selected(selector: str):
    """Does a finding match ``selector`` (a rule id or a tag)?"""
    return lambda f: f["rule"] == selector or selector in f["tags"]


@pytest.mark.parametrize("selector", ["MTA001", "open-relay", "auth-before-tls"])
def test_select_by_id_or_tag(example_doc, selector):
    code, doc = check_json("--select", selector, "examples/postfix")
    expected = _fingerprints(example_doc, _selected(selector))
    assert expected, f"the example has no {selector} finding"
    assert code == 1
    assert _fingerprints(doc) == expected


def test_select_comma_separated(example_doc):
    _, doc = check_json("--select", "MTA001,unknown-option", "examples/postfix")
    expected = _fingerprints(
        example_doc, lambda f: f["rule"] == "MTA001" or "unknown-option" in f["tags"]
    )
    assert _fingerprints(doc) == expected
    assert rules_of(doc) == {"MTA001", "PF001"}


def test_select_repeated_and_by_prefix(example_doc):
    _, doc = check_json("--select", "MTA001", "--select", "PF001", "examples/postfix")
    assert rules_of(doc) == {"MTA001", "PF001"}
    _, doc = check_json("--select", "MTA", "examples/postfix")
    expected = _fingerprints(example_doc, lambda f: f["rule"].startswith("MTA"))
    assert expected and _fingerprints(doc) == expected


@pytest.mark.parametrize("selector", ["MTA001", "open-relay", "auth-before-tls"])
def test_ignore_by_id_or_tag(example_doc, selector):
    _, doc = check_json("--ignore", selector, "examples/postfix")
    wanted = _selected(selector)
    kept = _fingerprints(doc)
    assert not any(wanted(f) for f in doc["findings"])
    # everything else stays; a rule superseded by an ignored one may speak again
    assert kept >= _fingerprints(example_doc, lambda f: not wanted(f))
    superseding = {r.id: set(r.supersedes) for r in builtin_rules()}
    ignored = {f["rule"] for f in example_doc["findings"] if wanted(f)}
    revealed = {f["rule"] for f in doc["findings"]} - {f["rule"] for f in example_doc["findings"]}
    assert revealed <= {s for rule in ignored for s in superseding.get(rule, set())}


def test_ignore_everything_that_fails_passes(tmp_path, clean_main_cf, clean_master_cf):
    write_set(tmp_path / "typo", clean_main_cf + TYPO, clean_master_cf)
    assert check("--ignore", "unknown-option", "typo", cwd=tmp_path).returncode == 0
    assert check("--select", "MTA001", "typo", cwd=tmp_path).returncode == 0


# --------------------------------------------------------------------------- formats


def test_json_structure(example_doc):
    assert isinstance(example_doc["findings"], list) and example_doc["findings"]
    assert example_doc["files"] == ["examples/postfix/main.cf", "examples/postfix/master.cf"]
    for f in example_doc["findings"]:
        assert set(f) == FINDING_KEYS, f
        assert f["severity"] in ("error", "warning", "note")
        assert f["path"] in example_doc["files"]
        assert isinstance(f["tags"], list)
        assert 1 <= f["line"] <= f["end_line"]
        assert f["column"] >= 1 and f["end_column"] >= 1
        if f["end_line"] == f["line"]:
            assert f["end_column"] >= f["column"]
        assert isinstance(f["message"], str) and f["message"]
        assert isinstance(f["fix"], str)
        assert isinstance(f["fingerprint"], str) and f["fingerprint"]
        # each finding says which facts it rests on, and where they were set
        assert f["evidence"] and all("fact" in e and "value" in e for e in f["evidence"])
    fingerprints = [f["fingerprint"] for f in example_doc["findings"]]
    assert len(set(fingerprints)) == len(fingerprints), "two findings share a fingerprint"
    # stable order: by file, then position
    order = [(f["path"], f["line"], f["column"]) for f in example_doc["findings"]]
    assert order == sorted(order)


def test_json_fingerprint_ignores_line_moves(tmp_path):
    write_set(tmp_path / "a", OPEN_RELAY_MAIN)
    _, before = check_json("a", cwd=tmp_path)
    write_set(tmp_path / "a", "# a comment pushes everything down\n\n" + OPEN_RELAY_MAIN)
    _, after = check_json("a", cwd=tmp_path)
    [old] = [f for f in before["findings"] if f["rule"] == "MTA001"]
    [new] = [f for f in after["findings"] if f["rule"] == "MTA001"]
    assert new["line"] == old["line"] + 2
    assert new["fingerprint"] == old["fingerprint"]


def test_github_annotations(example_doc):
    proc = check("--format", "github", "examples/postfix")
    assert proc.returncode == 1
    lines = [line for line in proc.stdout.splitlines() if line]
    assert len(lines) == len(example_doc["findings"])
    level = {"error": "::error ", "warning": "::warning ", "note": "::notice "}
    for line, finding in zip(lines, example_doc["findings"], strict=True):
        assert line.startswith(level[finding["severity"]]), line
        assert f"file={finding['path']},line={finding['line']}," in line
        assert "\n" not in line and "\r" not in line


def test_output_file_matches_stdout(tmp_path):
    out = tmp_path / "report" / "mtalint.json"
    out.parent.mkdir()
    to_stdout = check("--format", "json", str(EXAMPLE))
    to_file = check("--format", "json", "-o", out, str(EXAMPLE))
    assert to_file.returncode == to_stdout.returncode == 1
    assert to_file.stdout == ""
    assert out.read_text(encoding="utf-8") == to_stdout.stdout
    # written atomically: nothing but the report is left behind
    assert [p.name for p in out.parent.iterdir()] == ["mtalint.json"]


@pytest.mark.parametrize("fmt", ["text", "sarif", "github"])
def test_output_file_matches_stdout_in_every_format(tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    to_stdout = check("--format", fmt, str(EXAMPLE))
    to_file = check("--format", fmt, "--output", out, str(EXAMPLE))
    assert to_file.returncode == to_stdout.returncode
    assert out.read_text(encoding="utf-8") == to_stdout.stdout


def test_output_file_replaces_old_report(tmp_path, clean_postfix):
    out = tmp_path / "report.json"
    out.write_text("stale " * 10_000, encoding="utf-8")
    assert check("--format", "json", "-o", out, "clean", cwd=tmp_path).returncode == 0
    assert json.loads(out.read_text(encoding="utf-8"))["findings"] == []


def test_output_into_missing_folder_is_an_error(tmp_path):
    out = tmp_path / "no" / "such" / "folder" / "report.json"
    proc = check("--format", "json", "-o", out, str(EXAMPLE))
    assert proc.returncode == 2
    assert "report.json" in proc.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- SARIF


@pytest.fixture(scope="module")
def sarif_doc() -> dict:
    proc = check("--format", "sarif", "examples/postfix")
    assert proc.returncode == 1
    return json.loads(proc.stdout)


def test_sarif_is_valid_against_the_oasis_schema(sarif_doc):
    schema = schemas.sarif_schema()
    assert "sarif" in schema.get("$id", schema.get("id", "")).lower()
    validator = schemas.validator(schema)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(sarif_doc)
    ]
    assert errors == []
    # the validator really looks: a line 0 region is rejected
    broken = json.loads(json.dumps(sarif_doc))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not validator.is_valid(broken)


def test_sarif_has_what_code_scanning_needs(sarif_doc, example_doc):
    assert sarif_doc["version"] == "2.1.0"
    [run] = sarif_doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert rules
    ids = [r["id"] for r in rules]
    assert len(set(ids)) == len(ids)
    for rule in rules:
        assert rule["help"]["text"].strip()
        assert rule["shortDescription"]["text"].strip()
        # security rules only (linter/report/security.py)
        if "security" in rule["properties"]["tags"]:
            severity = rule["properties"]["security-severity"]
            assert isinstance(severity, str)
            assert 0.0 <= float(severity) <= 10.0
    results = run["results"]
    assert len(results) == len(example_doc["findings"])
    for result in results:
        assert result["ruleId"] in ids
        if "ruleIndex" in result:
            assert ids[result["ruleIndex"]] == result["ruleId"]
        fingerprints = result["partialFingerprints"]
        assert fingerprints and all(isinstance(v, str) and v for v in fingerprints.values())
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1
    # the same fingerprints as the JSON report, so a baseline and code scanning agree
    sarif_prints = {v for r in results for v in r["partialFingerprints"].values()}
    assert sarif_prints == _fingerprints(example_doc)


def test_sarif_without_findings_is_valid(tmp_path, clean_postfix):
    proc = check("--format", "sarif", "clean", cwd=tmp_path)
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert list(schemas.validator(schemas.sarif_schema()).iter_errors(doc)) == []
    assert doc["runs"][0]["results"] == []


def test_colour_only_when_asked(tmp_path):
    write_set(tmp_path / "relay", OPEN_RELAY_MAIN)
    assert "\033[" not in check("relay", cwd=tmp_path).stdout  # stdout is a pipe here
    assert "\033[31merror" in check("--color", "relay", cwd=tmp_path).stdout
    assert "\033[" not in check("--no-color", "relay", cwd=tmp_path).stdout


# --------------------------------------------------------------------------- awkward input


def test_binary_main_cf_is_a_finding(tmp_path):
    write_set(tmp_path / "bin", b"compatibility_level = 3.6\n\x00\x01\x02\xff binary\n")
    code, doc = check_json("bin", cwd=tmp_path)
    assert code == 1
    # the NUL byte is on line 2
    assert ("bin/main.cf", 2) in {(f["path"], f["line"]) for f in doc["findings"]}
    assert any(f["severity"] == "error" for f in doc["findings"] if f["path"] == "bin/main.cf")


def test_invalid_utf8_is_a_finding_at_the_bad_byte(tmp_path):
    write_set(
        tmp_path / "latin1",
        "compatibility_level = 3.6\nmyhostname = café.example\n".encode("latin-1"),
    )
    code, doc = check_json("latin1", cwd=tmp_path)
    assert code == 1
    # "myhostname = caf" is 16 bytes: the é (0xe9) is in column 17 of line 2
    assert ("latin1/main.cf", 2, 17) in {
        (f["path"], f["line"], f["column"]) for f in doc["findings"]
    }


def test_unreadable_master_cf_does_not_hide_main_cf(tmp_path):
    write_set(tmp_path / "set", OPEN_RELAY_MAIN, b"smtp inet n - y - - smtpd\n\x00\n")
    code, doc = check_json("set", cwd=tmp_path)
    assert code == 1
    paths = {f["path"] for f in doc["findings"]}
    assert "set/master.cf" in paths


def test_utf8_bom_is_not_part_of_the_first_name(tmp_path, clean_main_cf, clean_master_cf):
    bom = b"\xef\xbb\xbf"
    write_set(tmp_path / "clean", bom + clean_main_cf.encode(), clean_master_cf)
    assert check("clean", cwd=tmp_path).returncode == 0
    # the first parameter still counts: an open relay set on line 1 is found there
    write_set(tmp_path / "relay", bom + b"mynetworks = 0.0.0.0/0\ncompatibility_level = 3.6\n")
    code, doc = check_json("relay", cwd=tmp_path)
    assert code == 1
    assert ("MTA001", 1, 14) in {(f["rule"], f["line"], f["column"]) for f in doc["findings"]}
    assert "PF001" not in rules_of(doc)


def test_crlf_line_ends_read_like_lf(tmp_path, clean_main_cf, clean_master_cf):
    def crlf(text: str) -> bytes:
        return text.replace("\n", "\r\n").encode()

    write_set(tmp_path / "clean", crlf(clean_main_cf), crlf(clean_master_cf))
    assert check("clean", cwd=tmp_path).returncode == 0

    write_set(tmp_path / "lf", clean_main_cf + TYPO + OPEN_RELAY_MAIN, clean_master_cf)
    write_set(
        tmp_path / "crlf", crlf(clean_main_cf + TYPO + OPEN_RELAY_MAIN), crlf(clean_master_cf)
    )
    code_lf, lf = check_json("lf", cwd=tmp_path)
    code_crlf, crlf_doc = check_json("crlf", cwd=tmp_path)
    assert code_lf == code_crlf == 1

    def positions(doc):
        return sorted(
            (
                f["rule"],
                Path(f["path"]).name,
                f["line"],
                f["column"],
                f["end_line"],
                f["end_column"],
                f["message"].replace("crlf/", "lf/"),
            )
            for f in doc["findings"]
        )

    assert positions(crlf_doc) == positions(lf)
    assert {"PF001", "MTA001"} <= rules_of(crlf_doc)
    assert not any("\r" in f["message"] for f in crlf_doc["findings"])


def test_empty_files_are_checked(tmp_path):
    write_set(tmp_path / "empty", "", "")
    proc = check("empty", cwd=tmp_path)
    assert proc.returncode in (0, 1)
    assert "2 files" in proc.stdout


def test_oversized_file_is_a_finding_not_a_crash(tmp_path, clean_main_cf, clean_master_cf):
    limit = len(clean_master_cf.encode()) + 100
    main = clean_main_cf + "# padding\n" * (limit // 10)
    assert len(main.encode()) > limit
    write_set(tmp_path / "big", main, clean_master_cf)
    code, doc = check_json("--max-file-size", str(limit), "big", cwd=tmp_path)
    assert code == 1
    assert "big/main.cf" in {f["path"] for f in doc["findings"]}


def test_bare_newline_normalize_is_valid_where_postfix_has_it(tmp_path):
    # postconf(5) of Postfix 3.7.11: "normalize", "yes" (its alias), "reject" and "no"
    for value in ("normalize", "yes", "reject", "no"):
        folder = write_set(tmp_path / value, f"smtpd_forbid_bare_newline = {value}\n")
        _, doc = check_json("--postfix-version", "3.7.11", folder, cwd=tmp_path)
        complaints = [
            f
            for f in doc["findings"]
            if f["line"] == 1 and "smtpd_forbid_bare_newline" in f["message"]
        ]
        if value == "no":
            continue  # vulnerable to SMTP smuggling: a finding is right here
        assert complaints == [], value


def test_explicit_file_of_unknown_name_and_content_exits_2(tmp_path):
    # a name that says nothing, and content that is no MTA's: which --as values exist
    (tmp_path / "postfix-main.conf").write_text("colour = blue\n", encoding="utf-8")
    proc = check("postfix-main.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert "postfix-main.conf" in proc.stderr
    assert "--as" in proc.stderr and "postfix-master" in proc.stderr


def test_folder_without_configuration_exits_2(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("nothing to see\n", encoding="utf-8")
    proc = check("empty", cwd=tmp_path)
    assert proc.returncode == 2
    assert "empty" in proc.stderr


def test_naming_master_cf_pulls_in_main_cf(tmp_path, clean_master_cf):
    write_set(tmp_path / "relay", OPEN_RELAY_MAIN, clean_master_cf)
    code, doc = check_json("relay/master.cf", cwd=tmp_path)
    assert code == 1
    assert sorted(doc["files"]) == ["relay/main.cf", "relay/master.cf"]
    assert "MTA001" in rules_of(doc)


# --------------------------------------------------------------------------- suppressions


def test_suppression_on_the_line_before_removes_the_finding(
    tmp_path, clean_main_cf, clean_master_cf
):
    suppressed = clean_main_cf + "# mtalint: ignore[PF001] read by our provisioning script\n" + TYPO
    write_set(tmp_path / "s", suppressed, clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 0, doc["findings"]
    assert not {"PF001", "MTL002", "MTL003"} & rules_of(doc)
    assert doc.get("suppressed") == 1


def test_suppression_by_tag(tmp_path, clean_main_cf, clean_master_cf):
    suppressed = (
        clean_main_cf + "# mtalint: ignore[unknown-option] read by our provisioning script\n" + TYPO
    )
    write_set(tmp_path / "s", suppressed, clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 0, doc["findings"]


def test_suppression_two_lines_above_does_not_apply(tmp_path, clean_main_cf, clean_master_cf):
    text = (
        clean_main_cf
        + "# mtalint: ignore[PF001] read by our provisioning script\nmyorigin = $myhostname\n"
        + TYPO
    )
    write_set(tmp_path / "s", text, clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 1
    found = {(f["rule"], f["line"]) for f in doc["findings"]}
    comment_line = clean_main_cf.count("\n") + 1
    assert ("PF001", comment_line + 2) in found
    assert ("MTL002", comment_line) in found


def test_stale_suppression_is_reported(tmp_path, clean_main_cf, clean_master_cf):
    lines = clean_main_cf.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("mynetworks"))
    lines.insert(at, "# mtalint: ignore[MTA001] relaying checked by the firewall\n")
    write_set(tmp_path / "s", "".join(lines), clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 1  # MTL002 is a warning
    stale = [f for f in doc["findings"] if f["rule"] == "MTL002"]
    assert [(f["path"], f["line"]) for f in stale] == [("s/main.cf", at + 1)]


def test_suppression_without_reason_is_reported(tmp_path, clean_main_cf, clean_master_cf):
    suppressed = clean_main_cf + "# mtalint: ignore[PF001]\n" + TYPO
    write_set(tmp_path / "s", suppressed, clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 1
    assert "PF001" not in rules_of(doc)
    assert "MTL003" in rules_of(doc)


def test_expired_suppression_brings_the_finding_back(tmp_path, clean_main_cf, clean_master_cf):
    suppressed = clean_main_cf + "# mtalint: ignore[PF001] migration until=2001-01-01\n" + TYPO
    write_set(tmp_path / "s", suppressed, clean_master_cf)
    code, doc = check_json("s", cwd=tmp_path)
    assert code == 1
    assert {"PF001", "MTL004"} <= rules_of(doc)
