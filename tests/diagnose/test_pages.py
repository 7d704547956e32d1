"""mtalint diagnose --format md|html: the section of 'mtalint report --diagnose' as a page
of its own, escaped as the report escapes it."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from linter.cli import main

MAIN_CF = "compatibility_level = 3.6\nrelayhost = [smtp.provider.example]:25\n"
TIMEOUT = (
    "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<user@example.com>, relay=none, "
    "delay=30, delays=0.02/0.01/30/0, dsn=4.4.1, status=deferred (connect to "
    "smtp.provider.example[203.0.113.5]:25: Connection timed out)\n"
)
# a forged recipient: an OSC retitling the terminal, a colour escape, markup
HOSTILE = (
    "Dec  5 10:00:02 mx postfix/smtp[2211]: 4B1C2D3E4F: to=<a@evil\x1b]0;pwn\x07<b>x</b>.example>"
    ", relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to "
    "mx.evil.example[192.0.2.66]:25: Connection refused \x1b[31mred)\n"
)


def run(tmp_path: Path, fmt: str, *extra: str) -> tuple[int, str]:
    config = tmp_path / "postfix"
    config.mkdir(exist_ok=True)
    (config / "main.cf").write_text(MAIN_CF)
    log = tmp_path / "mail.log"
    log.write_text(TIMEOUT + TIMEOUT.replace("3F2A1B2C3D", "5D6E7F8A9B") + HOSTILE)
    result = CliRunner().invoke(
        main, ["diagnose", str(log), "--config", str(config), "--format", fmt, *extra]
    )
    return result.exit_code, result.output


def test_markdown_page_names_cause_count_and_place(tmp_path):
    code, out = run(tmp_path, "md")
    assert code == 1, out
    assert out.startswith("# Mail delivery diagnosis")
    assert "## Delivery incidents (mtalint diagnose)" in out
    # two messages timed out: 2 failures in 2 messages, the first at line 1
    row = next(r for r in out.splitlines() if r.startswith("| **connect-timeout**"))
    assert "| 2 | 2 |" in row, row
    assert f"`{tmp_path}/mail.log:1`" in row, row
    assert f"`relayhost` = `[smtp.provider.example]:25` (`{tmp_path}/postfix/main.cf:2`)" in row
    refused = next(r for r in out.splitlines() if r.startswith("| **connect-refused**"))
    assert f"`{tmp_path}/mail.log:3`" in refused
    # the representative line itself, as the HTML page shows it
    assert r"status=deferred (connect to smtp.provider.example\[203.0.113.5\]:25: " in row, row
    assert "3 events in 3 lines read from 1 inputs" in out


def test_markdown_page_escapes_control_characters_and_markup(tmp_path):
    _, out = run(tmp_path, "md")
    assert "\x1b" not in out and "\x07" not in out
    refused = next(r for r in out.splitlines() if r.startswith("| **connect-refused**"))
    # the recipient's domain as read (up to its '>'): escapes visible (the backslash itself
    # escaped for Markdown), markup inert
    assert r"| evil\\x1b\]0;pwn\\x07&lt;b |" in refused, refused
    assert "<b>" not in out
    # and so is the example line (the forged recipient and colour escape in it)
    assert r"a@&#8203;evil\\x1b\]0;pwn\\x07&lt;b&gt;x&lt;/b&gt;.example&gt;" in refused, refused
    assert r"Connection refused \\x1b\[31mred)" in refused, refused


def test_html_page_names_cause_count_and_place(tmp_path):
    code, out = run(tmp_path, "html")
    assert code == 1, out
    assert out.startswith("<!DOCTYPE html>") and out.rstrip().endswith("</html>")
    assert '<section id="diagnosis">' in out
    row = out.split("<strong>connect-timeout</strong>", 1)[1].split("</tr>", 1)[0]
    assert "<td>2</td><td>2</td>" in row, row
    assert f"<code>{tmp_path}/mail.log:1</code>" in row
    assert f"({tmp_path}/postfix/main.cf:2)" in row
    assert "<p>2 incidents; messages by last outcome: deferred 3;" in out


def test_html_page_escapes_control_characters_and_markup(tmp_path):
    _, out = run(tmp_path, "html")
    assert "\x1b" not in out and "\x07" not in out
    assert "a@evil\\x1b]0;pwn\\x07&lt;b&gt;x&lt;/b&gt;.example" in out
    assert "Connection refused \\x1b[31mred" in out
    assert "<b>x</b>" not in out


def test_follow_refuses_page_formats(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(TIMEOUT)
    result = CliRunner().invoke(main, ["diagnose", str(log), "--follow", "--format", "md"])
    assert result.exit_code == 2
    assert "--follow writes text or json" in result.output


EXIM_CONF = """\
primary_hostname = mx.example.test
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  route_list = * smtp.provider.example
  transport = remote_smtp
begin transports
remote_smtp:
  driver = smtp
  port = 2599
"""
EXIM_REFUSED = (
    "2026-12-05 20:17:21 1xZwC8-0003iK-37 == user@closed.example R=smarthost T=remote_smtp "
    "defer (111): Connection refused\n"
)


def test_pages_name_the_exim_driver_of_a_setting(tmp_path):
    (tmp_path / "exim.conf").write_text(EXIM_CONF)
    (tmp_path / "mainlog").write_text(EXIM_REFUSED)
    args = ["diagnose", str(tmp_path / "mainlog"), "--config", str(tmp_path / "exim.conf")]
    md = CliRunner().invoke(main, [*args, "--format", "md"]).output
    row = next(r for r in md.splitlines() if r.startswith("| **connect-refused**"))
    assert (
        f"`route_list` (router smarthost) = `* smtp.provider.example` (`{tmp_path}/exim.conf:6`)"
        in row
    )
    assert f"`port` (transport remote\\_smtp) = `2599` (`{tmp_path}/exim.conf:11`)" in row
    html = CliRunner().invoke(main, [*args, "--format", "html"]).output
    assert (
        f"<code>route_list</code> (router smarthost) = <code>* smtp.provider.example</code> "
        f"({tmp_path}/exim.conf:6)"
    ) in html
