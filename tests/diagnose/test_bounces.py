"""Bounces without an RFC 3464 delivery-status part (qmail's QSBMF, Exim's plain text):
the failed recipients come from flufl.bounce, the reason from the notice's text, and the
cause from the catalogue as for any log line. The fixtures' sources: bounces/README.md."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from linter.cli import main
from linter.diagnose.bounces import bounce_events, looks_like_bounce

BOUNCES = Path(__file__).parent / "bounces"


def diagnose(path: Path) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(main, ["diagnose", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output)["incidents"]


def test_qmail_bounce_names_the_recipient_and_the_cause():
    code, incidents = diagnose(BOUNCES / "qmail-relay-denied.eml")
    assert code == 1
    (incident,) = incidents
    assert incident["cause"] == "relay-denied"
    assert incident["outcomes"] == {"bounced": 1}
    assert incident["destinations"] == {"example.org": 1}
    text = incident["example"]["text"]
    assert text.startswith("Recipient: user@example.org; 192.0.2.26 does not like recipient.")
    assert "554 5.7.1 <user@example.org>: Relay access denied" in text
    # the copy of the message after the break is not read as a recipient
    assert "other@example.org" not in json.dumps(incidents)


def test_exim_plain_text_bounce_names_the_size_limit():
    code, incidents = diagnose(BOUNCES / "exim-text-size.eml")
    assert code == 1
    (incident,) = incidents
    assert incident["cause"] == "message-too-big"
    assert incident["first"] == "2026-12-05T10:00:01+00:00"
    assert "552 5.3.4 Message size exceeds fixed limit" in incident["example"]["text"]
    (event,) = bounce_events((BOUNCES / "exim-text-size.eml").read_bytes(), "x")
    assert event.dsn == "5.3.4" and event.recipient == "user@example.org"


def test_a_notice_with_no_failed_recipient_gives_no_incident(tmp_path):
    notice = tmp_path / "notice.eml"
    notice.write_text(
        "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
        "Nothing here names a recipient.\n"
    )
    assert looks_like_bounce(notice.read_bytes())
    code, incidents = diagnose(notice)
    assert code == 0 and incidents == []


def test_a_log_is_not_taken_for_a_notice():
    line = (
        b"Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<MAILER-DAEMON@example.com>, "
        b"status=bounced (undeliverable)\n"
    )
    assert not looks_like_bounce(line)
    journal = (
        b'{"__CURSOR":"s=1","MESSAGE":"3F2A1B2C3D: to=<MAILER-DAEMON@example.com>, '
        b'status=bounced (undeliverable)","SYSLOG_IDENTIFIER":"postfix/smtp"}\n'
    )
    assert not looks_like_bounce(journal)


def test_hostile_notice_text_is_bounded_and_shown_escaped(tmp_path):
    notice = tmp_path / "notice.eml"
    reason = "550 5.1.1 \x1b]0;pwn\x07 User unknown " + "x" * 100_000
    notice.write_bytes(
        (
            "From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
            "Hi. This is the qmail-send program at mx.example.net.\n"
            "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
            "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
            f"<user@example.org>:\n{reason}\n"
        ).encode()
    )
    (event,) = bounce_events(notice.read_bytes(), "notice.eml")
    assert len(event.text) <= 1000
    out = CliRunner().invoke(main, ["diagnose", str(notice)]).output
    assert "\x1b" not in out and "\\x1b]0;pwn\\x07" in out
