"""mtalint report --diagnose: the delivery incidents of mail logs as a section of the
compliance report (HTML, Markdown, JSON), joined with the configuration reported on."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from linter.cli import main

MAIN_CF = """\
compatibility_level = 3.6
myhostname = mx.example.test
relayhost = [smtp.provider.example]:25
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
"""
TIMEOUT_LINE = (
    "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<user@example.com>, relay=none, "
    "delay=30, delays=0.02/0.01/30/0, dsn=4.4.1, status=deferred (connect to "
    "smtp.provider.example[203.0.113.5]:25: Connection timed out)\n"
)
# a hostile recipient: markup, a mention and a script tag must stay text
HOSTILE_LINE = (
    "Dec  5 10:00:02 mx postfix/smtp[2211]: 4B1C2D3E4F: to=<@admin<script>x</script>@evil.example>"
    ", relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to "
    "mx.evil.example[192.0.2.66]:25: Connection refused)\n"
)


def setup(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(MAIN_CF)
    log = tmp_path / "mail.log"
    log.write_text(TIMEOUT_LINE + HOSTILE_LINE)
    return config, log


def report(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", *args])
    return result.exit_code, result.output


def test_markdown_section_names_the_incident_and_its_setting(tmp_path):
    config, log = setup(tmp_path)
    code, out = report(str(config), "--diagnose", str(log), "--format", "md")
    assert code == 0, out
    section = out.split("## Delivery incidents (mtalint diagnose)", 1)[1].split("## Inputs")[0]
    assert "| **connect-timeout** Connection to the relay or MX timed out | 1 | 1 |" in section
    assert f"`relayhost` = `[smtp.provider.example]:25` (`{config}/main.cf:3`)" in section
    assert f"MTA008 `{config}/main.cf:3`" in section, section
    assert "<script>" not in section and "@admin" not in section, section


def test_html_section_escapes_what_the_log_says(tmp_path):
    config, log = setup(tmp_path)
    code, out = report(str(config), "--diagnose", str(log), "--format", "html")
    assert code == 0, out
    assert 'href="#diagnosis"' in out and '<section id="diagnosis">' in out
    assert "<script>x</script>" not in out and "&lt;script&gt;" in out


def test_json_has_the_diagnosis_and_an_unreadable_log_makes_it_incomplete(tmp_path):
    config, log = setup(tmp_path)
    code, out = report(str(config), "--diagnose", str(log), "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    causes = {i["cause"] for i in doc["diagnosis"]["incidents"]}
    assert causes == {"connect-timeout", "connect-refused"}
    code, out = report(str(config), "--diagnose", str(tmp_path / "missing.log"), "--format", "json")
    assert code == 2
    assert any("missing.log" in p for p in json.loads(out)["problems"])


def test_without_diagnose_the_report_has_no_such_section(tmp_path):
    config, _ = setup(tmp_path)
    code, out = report(str(config), "--format", "md")
    assert code == 0 and "Delivery incidents" not in out


def test_the_report_is_not_written_over_the_log(tmp_path):
    config, log = setup(tmp_path)
    before = log.read_text()
    code, out = report(str(config), "--diagnose", str(log), "--format", "md", "-o", str(log))
    assert code != 0 and log.read_text() == before, out
