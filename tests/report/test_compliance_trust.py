"""``mtalint report`` never marks a control "pass" that was not checked.

A control passes only when every rule that decides it ran on that host and found nothing.
Rules switched off, suppressed findings, DNS rules offline, an ``unknown`` relay verdict
and inputs not read each give "not checked" with the reason; the same host gives the same
status whichever MTA runs it. Suppressed findings, the configuration used and the rule set
hash are in the report, and fleets get a summary that fits a page and a PR comment.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.paths import ROOT

EXAMPLES = ROOT / "examples"
HARDENED = ROOT / "tests" / "fixtures" / "postfix" / "hardened"

RELAY_CONTROLS = [("disa-stig", "RHEL-09-252050"), ("rfc", "RFC 5321 §3.6.1")]


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout


def document(*args: object, code: int = 0) -> dict:
    status, out = run(["report", "--format", "json", *map(str, args)])
    assert status == code, out
    return json.loads(out)


def control(doc: dict, framework: str, ident: str) -> dict:
    fw = next(f for f in doc["frameworks"] if f["id"] == framework)
    return next(c for c in fw["controls"] if c["id"] == ident)


def only_status(doc: dict, framework: str, ident: str) -> tuple[str, list[str]]:
    c = control(doc, framework, ident)
    [(name, status)] = c["sets"].items()
    return status, c.get("reasons", {}).get(name, [])


def open_relay(folder: Path, suppression: str = "") -> Path:
    """The hardened Postfix set with mynetworks opened to the world (one relay finding
    line), optionally with a comment on the line before it."""
    shutil.copytree(HARDENED, folder)
    main_cf = (folder / "main.cf").read_text()
    main_cf = re.sub(r"(?m)^mynetworks\s*=.*\n", "", main_cf)
    (folder / "main.cf").write_text(main_cf + suppression + "mynetworks = 0.0.0.0/0\n")
    return folder


# ---------------------------------------------------------------- statuses


def test_a_relay_finding_fails_the_relay_controls(tmp_path: Path) -> None:
    doc = document(open_relay(tmp_path / "h"), "--no-config")
    for fw, ident in RELAY_CONTROLS:
        assert only_status(doc, fw, ident)[0] == "fail"


def test_rules_ignored_in_the_configuration_leave_controls_not_checked(tmp_path: Path) -> None:
    host = open_relay(tmp_path / "h")
    (host / ".mtalint.yaml").write_text("ignore: [open-relay]\n")
    doc = document(host)
    for fw, ident in RELAY_CONTROLS:
        status, reasons = only_status(doc, fw, ident)
        assert status == "not checked", (fw, ident, status)
        assert any("switched off" in r for r in reasons)
    config = doc["meta"]["configuration"]
    assert config["file"].endswith(".mtalint.yaml") and "open-relay" in config["ignore"]
    assert "PF010" in config["disabled_rules"] or "MTA001" in config["disabled_rules"]
    # the same with --ignore on the command line
    doc = document(host, "--no-config", "--ignore", "open-relay")
    assert {only_status(doc, fw, i)[0] for fw, i in RELAY_CONTROLS} == {"not checked"}


def test_an_inline_suppression_is_shown_and_leaves_controls_not_checked(tmp_path: Path) -> None:
    comment = "# mtalint: ignore[all] lab host behind a firewall until=2099-01-01\n"
    host = open_relay(tmp_path / "h", comment)
    doc = document(host, "--no-config")
    for fw, ident in RELAY_CONTROLS:
        status, reasons = only_status(doc, fw, ident)
        assert status == "not checked", (fw, ident, status)
        assert any("suppressed inline" in r and "lab host" in r for r in reasons)
    [s] = doc["sets"]
    assert s["suppressed"], "the suppressed findings are in the report"
    record = s["suppressed"][0]["suppression"]
    assert record["kind"] == "inSource" and record["until"] == "2099-01-01"
    assert record["justification"] == "lab host behind a firewall"
    assert record["path"].endswith("main.cf") and record["line"] >= 1
    html = run(["report", host, "--no-config"])[1]
    assert "Suppressed findings" in html and "lab host behind a firewall" in html


def test_baseline_findings_are_suppressed_externally(tmp_path: Path) -> None:
    host = open_relay(tmp_path / "h")
    baseline = tmp_path / "baseline.json"
    code, _ = run(["check", host, "--no-config", "--write-baseline", baseline])
    assert code == 0
    doc = document(host, "--no-config", "--baseline", baseline)
    [s] = doc["sets"]
    assert s["findings"] == [] and s["suppressed"]
    assert {f["suppression"]["kind"] for f in s["suppressed"]} == {"external"}
    assert {only_status(doc, fw, i)[0] for fw, i in RELAY_CONTROLS} == {"not checked"}


EXIM_ALL_INTERFACES = """\
primary_hostname = mx.example.com
begin acl
acl_check_rcpt:
  accept hosts = :
  deny
"""


def test_dns_controls_are_not_checked_offline(tmp_path: Path) -> None:
    # RFC 7672 is decided by DNS026 and PF021/EX018, RFC 8461 by DNS024 and EX008: the
    # configuration rules passing is not enough while the DNS rules did not run
    exim = tmp_path / "exim.conf"
    exim.write_text(EXIM_ALL_INTERFACES)
    for host in (HARDENED, exim):
        doc = document(host, "--no-config")
        for ident in ("RFC 8461", "RFC 7672", "RFC 7208"):
            status, reasons = only_status(doc, "rfc", ident)
            # this Exim configuration has no TLS at all: a fail is a fair verdict
            assert status == "not checked" or (host == exim and status == "fail")
            if status == "not checked":
                assert any("offline" in r for r in reasons)
            if host == HARDENED:
                assert status == "not checked", (ident, status)


def test_local_only_is_judged_alike_for_postfix_and_exim(tmp_path: Path) -> None:
    postfix = tmp_path / "postfix"
    shutil.copytree(HARDENED, postfix)
    main_cf = re.sub(r"(?m)^inet_interfaces\s*=.*\n", "", (postfix / "main.cf").read_text())
    (postfix / "main.cf").write_text(main_cf + "inet_interfaces = all\n")
    exim = tmp_path / "exim"
    exim.mkdir()
    (exim / "exim.conf").write_text(EXIM_ALL_INTERFACES)
    statuses = {}
    for host in (postfix, exim):
        statuses[host.name] = only_status(document(host, "--no-config"), "cis", "MTA local-only")
    assert statuses["postfix"][0] == statuses["exim"][0] != "pass", statuses
    # declared a null client, the Postfix host listening everywhere fails it
    doc = document(postfix, "--no-config", "--role", "null-client")
    assert only_status(doc, "cis", "MTA local-only")[0] == "fail"
    # and Exim, which no rule checks for it, is not checked rather than passed
    doc = document(exim, "--no-config", "--role", "null-client")
    assert only_status(doc, "cis", "MTA local-only")[0] == "not checked"


def test_starttls_between_servers_fails_when_outbound_never_tries_it(tmp_path: Path) -> None:
    host = tmp_path / "h"
    shutil.copytree(HARDENED, host)
    main_cf = re.sub(r"(?m)^smtp_tls_security_level\s*=.*\n", "", (host / "main.cf").read_text())
    (host / "main.cf").write_text(main_cf + "smtp_tls_security_level = none\n")
    doc = document(host, "--no-config")
    [s] = doc["sets"]
    assert "MTA019" in {f["rule"] for f in s["findings"]}
    assert only_status(doc, "rfc", "RFC 3207")[0] == "fail"


def test_unknown_relay_verdict_leaves_relay_controls_not_checked(tmp_path: Path) -> None:
    (tmp_path / "exim.conf").write_text(
        "primary_hostname = mx.example.com\n"
        "acl_smtp_rcpt = ${if eq{$received_port}{25}{acl_check_rcpt}{acl_check_rcpt}}\n"
        "begin acl\nacl_check_rcpt:\n  accept hosts = :\n  deny\n"
    )
    doc = document(tmp_path / "exim.conf", "--no-config")
    for fw, ident in RELAY_CONTROLS:
        status, reasons = only_status(doc, fw, ident)
        assert status == "not checked", (fw, ident, status)
        assert any("relay verdict unknown" in r and "acl_smtp_rcpt" in r for r in reasons)


def test_an_input_not_read_leaves_the_host_unchecked_and_exits_2(tmp_path: Path) -> None:
    host = tmp_path / "h"
    shutil.copytree(HARDENED, host)
    (host / "master.cf").unlink()
    (host / "master.cf").symlink_to(tmp_path / "nowhere")
    doc = document(host, "--no-config", code=2)
    assert doc["incomplete"] is True
    for fw in doc["frameworks"]:
        for c in fw["controls"]:
            assert set(c["sets"].values()) <= {"not checked", "not applicable", "fail"}, c["id"]
    assert any(
        "master.cf" in r
        for r in control(doc, "pci-dss-4.0", "4.2.1")["reasons"][doc["sets"][0]["name"]]
    )
    # a named path that does not exist at all is a host with nothing checked
    doc = document(HARDENED, tmp_path / "missing", "--no-config", code=2)
    names = {s["name"] for s in doc["sets"]}
    assert str(tmp_path / "missing") in names
    assert set(control(doc, "pci-dss-4.0", "4.2.1")["sets"].values()) >= {"not checked"}


# ---------------------------------------------------------------- reproducibility


def test_ruleset_hash_does_not_depend_on_where_the_rules_are(tmp_path: Path) -> None:
    from linter.engine.rules import load_folder
    from linter.report.compliance import ruleset_version

    hashes = []
    for venv in ("venv-a", "other/venv-b"):
        copy = tmp_path / venv / "rules"
        shutil.copytree(ROOT / "rules" / "postfix", copy)
        hashes.append(ruleset_version(load_folder(copy, check_schema=False)))
    assert hashes[0] == hashes[1]
    # and it still tells rule sets apart
    edited = tmp_path / "venv-a" / "rules" / "PF010.yaml"
    edited.write_text(edited.read_text() + "\n# edited\n")
    assert ruleset_version(load_folder(edited.parent, check_schema=False)) != hashes[0]


def test_report_takes_the_selection_and_context_of_check(tmp_path: Path) -> None:
    host = open_relay(tmp_path / "h")
    args = ["--no-config", "--select", "PF010,MTA001", "--postfix-version", "3.6"]
    code, out = run(["check", host, "--format", "json", *args])
    checked = sorted((f["rule"], f["line"]) for f in json.loads(out)["findings"])
    doc = document(host, *args)
    reported = sorted((f["rule"], f["line"]) for s in doc["sets"] for f in s["findings"])
    assert checked and reported == checked
    assert doc["meta"]["configuration"]["select"] == ["PF010", "MTA001"]
    exim = tmp_path / "exim.conf"
    exim.write_text("primary_hostname = MAILNAME\n")
    assert run(["report", exim, "--no-config", "--define", "MAILNAME=a.example"])[0] == 0


# ---------------------------------------------------------------- fleets


def fleet(folder: Path, hosts: int) -> Path:
    main_cf = (HARDENED / "main.cf").read_text()
    master_cf = (HARDENED / "master.cf").read_text()
    for i in range(hosts):
        host = folder / f"host{i:03d}"
        host.mkdir(parents=True)
        extra = "mynetworks = 0.0.0.0/0\n" if i % 7 == 0 else ""
        text = re.sub(r"(?m)^myhostname\s*=.*\n", "", main_cf)
        (host / "main.cf").write_text(text + f"myhostname = mx{i}.example.net\n" + extra)
        (host / "master.cf").write_text(master_cf)
    return folder


@pytest.fixture(scope="module")
def fleet_500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fleet(tmp_path_factory.mktemp("fleet"), 500)


def test_a_fleet_report_fits_on_a_page(fleet_500: Path) -> None:
    code, html = run(["report", fleet_500, "--no-config"])
    assert code == 0
    widest = max(
        len(re.findall(r"<t[hd][ >]", row)) for row in re.findall(r"<tr>.*?</tr>", html, re.S)
    )
    assert widest <= 12, f"a table {widest} columns wide"
    assert len(html) < 3_000_000, len(html)
    # the summary comes first and names hosts by their own name, worst first
    summary = html.index('id="hosts-by-framework"')
    assert summary < html.index('id="fw-')
    first_row = re.search(r'<a href="#host-1">([^<]+)</a>', html)
    assert first_row and first_row.group(1) == "mx0.example.net"  # an open relay
    assert "<h3>mx499.example.net</h3>" in html


def test_markdown_summary_fits_a_pull_request_comment(fleet_500: Path) -> None:
    code, md = run(["report", fleet_500, "--no-config", "--format", "md", "--summary"])
    assert code == 0
    assert len(md) <= 65_536, len(md)
    assert "mx0.example.net" in md and "| Host |" in md
    assert "## Host:" not in md  # the per-host sections are in the full report only
