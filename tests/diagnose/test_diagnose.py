"""mtalint diagnose: log formats, tracking, incidents, bounces, the configuration join,
and bad input (binary, over-long lines, large logs, hostile text)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.diagnose import Window, diagnose
from linter.diagnose.logformats import parse_envelope
from tests import paths

FIXTURES = paths.FIXTURES / "diagnose"
NOW = datetime(2026, 12, 31, 12, 0, 0)

TIMEOUT = (
    "3F2A1B2C3D: to=<user@example.com>, relay=none, delay=30, delays=0.02/0.01/30/0, "
    "dsn=4.4.1, status=deferred (connect to smtp.provider.example[203.0.113.5]:25: "
    "Connection timed out)"
)
SASL = (
    "4B1C2D3E4F: to=<user@example.org>, relay=smtp.provider.example[203.0.113.5]:25, "
    "delay=0.4, delays=0.01/0.01/0.3/0, dsn=5.7.8, status=bounced (SASL authentication "
    "failed; server smtp.provider.example[203.0.113.5] said: 535 5.7.8 Error: "
    "authentication failed: authentication failure)"
)
MAIN_CF = """\
myhostname = mx.example.test
relayhost = [smtp.provider.example]:25
smtp_sasl_auth_enable = yes
smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd
smtp_tls_security_level = encrypt
"""


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("line", "program", "pid"),
    [
        (f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}", "postfix/smtp", "2211"),
        (
            f"2026-12-05T10:00:01.123456+01:00 mx postfix/smtp[2211]: {TIMEOUT}",
            "postfix/smtp",
            "2211",
        ),
        # journalctl -o short-iso
        (f"2026-12-05T10:00:01+0100 mx postfix/smtp[2211]: {TIMEOUT}", "postfix/smtp", "2211"),
        (
            f"<22>1 2026-12-05T09:00:01.5Z mx postfix/smtp 2211 - - {TIMEOUT}",
            "postfix/smtp",
            "2211",
        ),
        (
            f'<22>1 2026-12-05T09:00:01Z mx postfix/smtp 2211 - [meta sequenceId="1"] {TIMEOUT}',
            "postfix/smtp",
            "2211",
        ),
        # Kubernetes (CRI) and docker json-file around a syslog line
        (
            "2026-12-05T09:00:01.000000001Z stdout F "
            f"Dec  5 09:00:01 mx postfix/smtp[2211]: {TIMEOUT}",
            "postfix/smtp",
            "2211",
        ),
        (
            json.dumps(
                {
                    "log": f"Dec  5 09:00:01 mx postfix/smtp[2211]: {TIMEOUT}\n",
                    "stream": "stderr",
                    "time": "2026-12-05T09:00:01Z",
                }
            ),
            "postfix/smtp",
            "2211",
        ),
        (f"postfix-1  | Dec  5 09:00:01 mx postfix/smtp[2211]: {TIMEOUT}", "postfix/smtp", "2211"),
    ],
    ids=[
        "syslog",
        "rfc3339",
        "short-iso",
        "rfc5424",
        "rfc5424-sd",
        "cri",
        "docker-json",
        "compose",
    ],
)
def test_envelopes(line, program, pid):
    envelope = parse_envelope(line, NOW)
    assert envelope is not None
    assert (envelope.program, envelope.pid, envelope.message) == (program, pid, TIMEOUT)
    assert envelope.time is not None and envelope.time.day == 5


def test_short_iso_time_is_converted_to_utc():
    envelope = parse_envelope(f"2026-12-05T10:00:01+0100 mx postfix/smtp[1]: {TIMEOUT}", NOW)
    assert envelope is not None and envelope.time is not None
    assert (envelope.time.hour, envelope.time.utcoffset()) == (
        9,
        __import__("datetime").timedelta(0),
    )


def test_syslog_year_is_last_year_when_this_year_would_be_the_future():
    envelope = parse_envelope(
        f"Dec 31 23:00:00 mx postfix/smtp[1]: {TIMEOUT}", datetime(2027, 1, 1)
    )
    assert envelope is not None and envelope.time is not None and envelope.time.year == 2026


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_tracking_and_grouping(tmp_path):
    log = write_log(
        tmp_path / "mail.log",
        [
            f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}",
            f"Dec  5 10:30:01 mx postfix/smtp[2211]: {TIMEOUT.replace('user@', 'other@')}",
            "Dec  5 11:00:01 mx postfix/qmgr[2200]: 3F2A1B2C3D: from=<a@b.example>, "
            "status=expired, returned to sender",
            "Dec  5 11:00:01 mx postfix/qmgr[2200]: 3F2A1B2C3D: removed",
            f"Dec  5 11:05:00 mx postfix/smtp[2211]: {SASL}",
            "Dec  5 11:06:00 mx postfix/smtp[2211]: 5C1D2E3F4A: to=<ok@example.net>, "
            "relay=smtp.provider.example[203.0.113.5]:25, delay=1, delays=0/0/0.5/0.5, "
            "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 99)",
        ],
    )
    result = diagnose([str(log)], now=NOW)
    assert [i.cause.id for i in result.incidents] == ["connect-timeout", "sasl-auth-failed"]
    timeout = result.incidents[0]
    # the expiry has no reason of its own: it belongs to the message's last deferral
    assert timeout.failures == 3 and dict(timeout.outcomes) == {"deferred": 2, "expired": 1}
    assert timeout.messages == {"3F2A1B2C3D"}
    assert dict(timeout.destinations) == {"example.com": 2}
    assert list(timeout.relays) == ["smtp.provider.example[203.0.113.5]:25"]
    assert (timeout.first.hour, timeout.last.hour) == (10, 11)
    assert timeout.example is not None and timeout.example.line == 1
    assert result.outcomes == {"expired": 1, "bounced": 1, "sent": 1}


def test_since_until(tmp_path):
    log = write_log(
        tmp_path / "mail.log",
        [
            f"2026-12-05T10:00:01Z mx postfix/smtp[1]: {TIMEOUT}",
            f"2026-12-06T10:00:01Z mx postfix/smtp[1]: {SASL}",
        ],
    )
    window = Window(datetime.fromisoformat("2026-12-06T00:00:00+00:00"), None)
    assert [i.cause.id for i in diagnose([str(log)], window, NOW).incidents] == ["sasl-auth-failed"]
    code, out = run("diagnose", str(log), "--until", "2026-12-05T23:00", "--format", "json")
    assert code == 1, out
    assert [i["cause"] for i in json.loads(out)["incidents"]] == ["connect-timeout"]
    code, out = run("diagnose", str(log), "--since", "yesterday")
    assert code == 2 and "ISO 8601" in out


def test_gzip_and_stdin(tmp_path):
    text = f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}\n".encode()
    rotated = tmp_path / "mail.log.2.gz"
    rotated.write_bytes(gzip.compress(text))
    for args, stdin in (((str(rotated),), None), (("-",), text), (("-",), gzip.compress(text))):
        code, out = run("diagnose", *args, "--format", "json", stdin=stdin)
        assert code == 1, out
        assert json.loads(out)["incidents"][0]["cause"] == "connect-timeout"


def test_truncated_gzip_keeps_what_was_read(tmp_path):
    text = "".join(
        f"Dec  5 10:00:{i % 60:02d} mx postfix/smtp[1]: {TIMEOUT}\n" for i in range(2000)
    )
    data = gzip.compress(text.encode())
    cut = tmp_path / "mail.log.1.gz"
    cut.write_bytes(data[: len(data) // 2])
    code, out = run("diagnose", str(cut), "--format", "json")
    doc = json.loads(out)
    assert code == 1 and doc["incidents"][0]["failures"] > 0
    assert any("stopped" in note for note in doc["notes"]), doc["notes"]


def test_bounce_eml():
    code, out = run("diagnose", str(FIXTURES / "bounce-relay-denied.eml"), "--format", "json")
    assert code == 1, out
    (incident,) = json.loads(out)["incidents"]
    assert incident["cause"] == "relay-denied"
    assert incident["destinations"] == {"external.example": 1}
    assert incident["relays"] == {"smtp.provider.example": 1}
    assert incident["outcomes"] == {"bounced": 1}


def test_config_join_names_settings_and_rules(tmp_path):
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(MAIN_CF)
    log = write_log(
        tmp_path / "mail.log",
        [
            f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}",
            f"Dec  5 11:05:00 mx postfix/smtp[2211]: {SASL}",
        ],
    )
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    assert code == 1, out
    incidents = {i["cause"]: i["configuration"] for i in json.loads(out)["incidents"]}
    timeout = incidents["connect-timeout"]
    relayhost = next(s for s in timeout["settings"] if s["name"] == "relayhost")
    assert (relayhost["line"], relayhost["value"], relayhost["failing"]) == (
        2,
        "[smtp.provider.example]:25",
        True,
    )
    assert [(f["rule"], f["line"]) for f in timeout["findings"]] == [("MTA008", 2)]
    sasl = {s["name"]: s for s in incidents["sasl-auth-failed"]["settings"]}
    assert sasl["smtp_sasl_password_maps"]["value"] == "hash:/etc/postfix/sasl_passwd"
    assert sasl["smtp_sasl_password_maps"]["line"] == 4
    code, text = run("diagnose", str(log), "--config", str(config))
    assert f"setting: {config}/main.cf:2: relayhost = [smtp.provider.example]:25" in text
    assert "MTA008 warning" in text


def test_relayhost_is_not_named_for_another_hosts_failure(tmp_path):
    # mail for one domain goes straight to its MX (transport_maps); that MX refusing the
    # connection says nothing about the relayhost the rest of the mail uses
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(MAIN_CF + "transport_maps = hash:/etc/postfix/transport\n")
    other = TIMEOUT.replace("smtp.provider.example[203.0.113.5]", "mx.other.example[198.51.100.7]")
    log = write_log(tmp_path / "mail.log", [f"Dec  5 10:00:01 mx postfix/smtp[2211]: {other}"])
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    assert incident["cause"] == "connect-timeout"
    names = [s["name"] for s in incident["configuration"]["settings"]]
    assert "relayhost" not in names, names
    # MTA008 flags the relayhost's port 25: not this incident's cause
    assert [f["rule"] for f in incident["configuration"]["findings"]] == [], incident
    code, text = run("diagnose", str(log), "--config", str(config))
    assert "relayhost" not in text.split("meaning:")[1].split("fix")[0], text


def test_relayhost_looked_up_by_mx_is_named_without_a_verdict(tmp_path):
    # relayhost = provider.example (no brackets): Postfix connects to its MX hosts, whose
    # names are not the relayhost's; the log cannot say whether the relayhost failed
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("relayhost = provider.example\n")
    other = TIMEOUT.replace(
        "smtp.provider.example[203.0.113.5]", "mx1.provider.example[203.0.113.9]"
    )
    log = write_log(tmp_path / "mail.log", [f"Dec  5 10:00:01 mx postfix/smtp[2211]: {other}"])
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    relayhost = next(s for s in incident["configuration"]["settings"] if s["name"] == "relayhost")
    assert relayhost["line"] == 1 and "failing" not in relayhost


def test_relayhost_named_when_its_address_fails(tmp_path):
    # relayhost written as an address: the log names it as address[address]:port
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("relayhost = [203.0.113.5]:25\n")
    line = TIMEOUT.replace("smtp.provider.example[203.0.113.5]", "203.0.113.5[203.0.113.5]")
    log = write_log(tmp_path / "mail.log", [f"Dec  5 10:00:01 mx postfix/smtp[2211]: {line}"])
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    relayhost = next(s for s in incident["configuration"]["settings"] if s["name"] == "relayhost")
    assert (relayhost["line"], relayhost["failing"]) == (1, True)


def test_missing_table_points_at_the_parameter_naming_it(tmp_path):
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(MAIN_CF)
    log = write_log(
        tmp_path / "mail.log",
        [
            "Dec  5 10:00:01 mx postfix/smtp[2211]: warning: hash:/etc/postfix/sasl_passwd is "
            "unavailable. open database /etc/postfix/sasl_passwd.db: No such file or directory"
        ],
    )
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    assert incident["cause"] == "table-missing"
    assert [s["name"] for s in incident["configuration"]["settings"]] == ["smtp_sasl_password_maps"]


def test_clean_log_exits_zero_and_missing_input_exits_two(tmp_path):
    log = write_log(
        tmp_path / "mail.log", ["Dec  5 10:00:01 mx postfix/smtpd[1]: connect from x[192.0.2.1]"]
    )
    assert run("diagnose", str(log))[0] == 0
    code, out = run("diagnose", str(tmp_path / "nope.log"))
    assert code == 2 and "cannot open" in out
    assert run("diagnose", str(tmp_path))[0] == 2


# ------------------------------------------------------------------ bad input


def test_binary_garbage(tmp_path):
    garbage = tmp_path / "garbage.log"
    garbage.write_bytes(bytes(range(256)) * 4000 + b"\n\xff\xfe\x00\x01\n")
    code, out = run("diagnose", str(garbage), "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    assert doc["incidents"] == [] and any("binary" in n for n in doc["notes"])


def test_overlong_and_escape_lines_are_cut_and_escaped(tmp_path):
    long_reason = (
        "connect to smtp.provider.example[203.0.113.5]:25: Connection timed out " + "x" * 100_000
    )
    log = tmp_path / "mail.log"
    log.write_text(
        f"Dec  5 10:00:01 mx postfix/smtp[1]: 3F2A1B2C3D: to=<u@example.com>, relay=none, "
        f"dsn=4.4.1, status=deferred ({long_reason})\n"
        "Dec  5 10:00:02 mx postfix/smtp[1]: 3F2A1B2C3E: to=<u@example.com>, relay=none, "
        "dsn=4.4.1, status=deferred (\x1b]0;owned\x07connect to a.example[192.0.2.1]:25: "
        "Connection refused)\n"
    )
    code, out = run("diagnose", str(log))
    assert code == 1
    assert "\x1b" not in out and "\\x1b" in out
    assert "lines longer than 8192 bytes were cut" in out


@pytest.mark.parametrize(
    "message",
    [
        "3F2A1B2C3D: to=<" + "a" * 5000 + ", status=" * 500,
        "3F2A1B2C3D: " + "to=<x>, " * 900 + "status=deferred (" + "(" * 5000,
        "warning: " + "blocked using " * 500 + "listed in " * 400,
        "NOQUEUE: reject: RCPT from " + "x" * 7000 + ": ",
    ],
    ids=["status", "parens", "dnsbl", "reject"],
)
def test_hostile_lines_finish_quickly(tmp_path, message):
    log = tmp_path / "mail.log"
    log.write_text("".join(f"Dec  5 10:00:01 mx postfix/smtp[1]: {message}\n" for _ in range(200)))
    import time

    start = time.monotonic()
    diagnose([str(log)], now=NOW)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    "message",
    [
        "1xZtMx-0006c0-2d ** " + "a" * 8000,
        "1xZtMx-0006c0-2d == x R=r defer (111): " + "H=h [1.2.3.4" * 700,
        "rejected MAIL FROM:<x> " * 350,
        "H=" + "(" * 4000 + " rejected RCPT <" + "x" * 3000,
        "plain authenticator failed for " + "(" * 7000,
        "TLS error on connection from " + "[" * 7000,
    ],
    ids=["bounce", "hosts", "rejected", "rcpt", "auth", "tls"],
)
def test_hostile_exim_lines_finish_quickly(tmp_path, message):
    log = tmp_path / "mainlog"
    log.write_text("".join(f"2026-12-05 10:00:01 {message}\n" for _ in range(200)))
    import time

    start = time.monotonic()
    diagnose([str(log)], now=NOW)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    "message",
    [
        "6B5HKOxs000040: to=" + "a," * 4000,
        "6B5HKOxs000040: to=x, relay=" + "[" * 4000 + ", dsn=" * 500 + ", stat=Deferred",
        "6B5HKOxs000040: to=x" + ", reply=" * 1000 + ", stat=" + "x" * 2000,
        "NOQUEUE: ruleset=check_rcpt, arg1=" + "<" * 4000 + ", relay=" + "x" * 3000,
        "6B5HKOxs000040: SYSERR(" + "(" * 7000,
    ],
    ids=["to", "relay", "fields", "ruleset", "syserr"],
)
def test_hostile_sendmail_lines_finish_quickly(tmp_path, message):
    log = tmp_path / "maillog"
    log.write_text("".join(f"Dec  5 10:00:01 mx sendmail[1]: {message}\n" for _ in range(200)))
    import time

    start = time.monotonic()
    diagnose([str(log)], now=NOW)
    assert time.monotonic() - start < 5


def test_ten_megabyte_log_in_bounded_memory(tmp_path):
    """A 10 MB log is streamed: peak memory grows far less than the file."""
    log = tmp_path / "big.log"
    line = f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}\n"
    with log.open("w") as out:
        for i in range(10 * 1024 * 1024 // len(line) + 1):
            out.write(line.replace("3F2A1B2C3D", f"{i:010X}"))
    script = (
        "import resource, sys\n"
        "from linter.diagnose import diagnose\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "r = diagnose([sys.argv[1]])\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(r.incidents[0].failures, after - before)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(log)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    failures, grown_kib = (int(x) for x in done.stdout.split())
    assert failures > 40_000
    # each of the ~45 000 distinct queue ids stays tracked (no "removed" line): that is
    # bounded by MAX_TRACKED, and far below holding the 10 MB text
    assert grown_kib < 40_000, grown_kib


def test_an_input_of_no_known_format_is_said_so(tmp_path):
    log = write_log(tmp_path / "notes.txt", ["just some text", "and more of it"])
    code, out = run("diagnose", str(log), "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["inputs"][0]["known_format"] is False
    assert any("no line of a known mail log format" in n for n in doc["notes"]), doc["notes"]


def test_auth_credentials_in_a_line_are_never_shown(tmp_path):
    """A line quoting an AUTH command with its initial response (base64 of the password)
    is shown without it, in every format; the mechanism stays."""
    secret = "AHVzZXIAc2VjcmV0LXBhc3N3b3Jk"  # \0user\0secret-password
    log = write_log(
        tmp_path / "mail.log",
        [
            "Dec  5 10:00:01 mx postfix/smtpd[2212]: fatal: unexpected command from "
            f"unknown[192.0.2.9]: AUTH PLAIN {secret}",
            "Dec  5 10:00:02 mx postfix/smtpd[2212]: fatal: unexpected command from "
            f"unknown[192.0.2.9]: auth login {secret}==",
        ],
    )
    for fmt in ("text", "json", "md", "html"):
        code, out = run("diagnose", str(log), "--format", fmt)
        assert code == 1, out
        assert secret not in out and "c2VjcmV0" not in out, out
        # the example line is in every format (Markdown escapes the brackets)
        shown = (
            "AUTH PLAIN \\[credentials removed\\]"
            if fmt == "md"
            else "AUTH PLAIN [credentials removed]"
        )
        assert shown in out, out


def test_redaction_keeps_what_is_no_credential():
    from linter.diagnose.redact import redact_credentials

    for text in (
        "SASL authentication failed; server x[192.0.2.1] said: 535 5.7.8 Error",
        "plain authenticator failed for (x) [192.0.2.1]: 535 Incorrect authentication data",
        "AUTH=server, relay=x [192.0.2.1], authid=user, mech=PLAIN, bits=0",
    ):
        assert redact_credentials(text) == text


def hmail(kind: str, session: int, ip: str, text: str, ms: int = 0) -> str:
    """A line as hMailServer's Logger::LogSMTPConversation writes it (CRLF ended)."""
    return f'"{kind}"\t4180\t{session}\t"2026-12-05 10:00:01.{ms:03d}"\t"{ip}"\t"{text}"\r\n'


def test_hmailserver_conversation_log(tmp_path):
    log = tmp_path / "hmailserver_2026-12-05.log"
    log.write_text(
        hmail("SMTPC", 15, "203.0.113.5", "SENT: RCPT TO:<victim@external.example>")
        # another session's RCPT in between must not be taken for this one's
        + hmail("SMTPC", 16, "203.0.113.6", "SENT: RCPT TO:<other@elsewhere.example>", 1)
        + hmail("SMTPC", 15, "203.0.113.5", "RECEIVED: 550 5.7.1 Relaying denied", 2)
        + hmail("SMTPC", 16, "203.0.113.6", "RECEIVED: 250 2.1.5 Ok", 3)
        + hmail("SMTPD", 27, "192.0.2.9", "RECEIVED: RCPT TO:<x@outside.example>", 4)
        + hmail("SMTPD", 27, "192.0.2.9", "SENT: 550 Delivery is not allowed to this address.", 5)
        + '"APPLICATION"\t4180\t"2026-12-05 10:00:02.000"\t"SMTPDeliverer - Message 7: '
        'Delivering message from a@example.test to victim@external.example."\r\n'
    )
    code, out = run("diagnose", str(log), "--format", "json")
    assert code == 1, out
    incidents = {i["cause"]: i for i in json.loads(out)["incidents"]}
    assert set(incidents) == {"relay-denied", "relay-denied-inbound"}
    assert incidents["relay-denied"]["destinations"] == {"external.example": 1}
    assert incidents["relay-denied"]["relays"] == {"203.0.113.5": 1}
    assert incidents["relay-denied"]["outcomes"] == {"bounced": 1}
    assert incidents["relay-denied-inbound"]["destinations"] == {"outside.example": 1}
    assert incidents["relay-denied-inbound"]["first"].startswith("2026-12-05T10:00:01.005")


def hmail_config(tmp_path: Path, **settings: object) -> tuple[Path, list[str]]:
    """The hardened hMailServer export of the fixtures with SETTINGS changed."""
    data = json.loads(
        (paths.FIXTURES / "hmailserver/hardened/hmailserver-settings.json").read_text()
    )
    data["Settings"].update(settings)
    path = tmp_path / "hmailserver" / "hmailserver-settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data, indent=2))
    return path, path.read_text().splitlines()


def _line_of(lines: list[str], text: str) -> int:
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_hmailserver_incidents_name_the_relayer_settings(tmp_path):
    # hMailServer runs on Windows only: these lines are written as its Logger.cpp
    # LogSMTPConversation writes them (see hmail()); the replies are the ones the live
    # sendmail and Postfix tests record
    config, lines = hmail_config(
        tmp_path,
        SMTPRelayer="203.0.113.5",
        SMTPRelayerPort=25,
        SMTPRelayerRequiresAuthentication=True,
        SMTPRelayerUsername="relayuser",
        SMTPRelayerPassword="relay-secret-42",
    )
    log = tmp_path / "hmailserver_2026-12-05.log"
    log.write_text(
        hmail("SMTPC", 15, "203.0.113.5", "SENT: RCPT TO:<victim@external.example>")
        + hmail("SMTPC", 15, "203.0.113.5", "RECEIVED: 550 5.7.1 Relaying denied", 1)
        + hmail("SMTPC", 16, "203.0.113.5", "SENT: ***", 2)
        + hmail(
            "SMTPC",
            16,
            "203.0.113.5",
            "RECEIVED: 535 5.7.8 Error: authentication failed: authentication failure",
            3,
        )
        + hmail("SMTPD", 27, "192.0.2.9", "RECEIVED: RCPT TO:<x@outside.example>", 4)
        + hmail("SMTPD", 27, "192.0.2.9", "SENT: 550 Delivery is not allowed to this address.", 5)
    )
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    assert code == 1, out
    incidents = {i["cause"]: i["configuration"] for i in json.loads(out)["incidents"]}
    relayer = _line_of(lines, '"SMTPRelayer":')
    relay = {s["name"]: s for s in incidents["relay-denied"]["settings"]}
    assert (relay["SMTPRelayer"]["line"], relay["SMTPRelayer"]["value"]) == (relayer, "203.0.113.5")
    assert relay["SMTPRelayer"]["failing"] is True
    assert relay["SMTPRelayerPort"]["line"] == _line_of(lines, '"SMTPRelayerPort":')
    auth_line = _line_of(lines, '"SMTPRelayerRequiresAuthentication":')
    assert relay["SMTPRelayerRequiresAuthentication"]["line"] == auth_line
    # the rule that flags the relayer: credentials sent to port 25
    assert ("MTA008", relayer) in {
        (f["rule"], f["line"]) for f in incidents["relay-denied"]["findings"]
    }
    sasl = {s["name"] for s in incidents["sasl-auth-failed"]["settings"]}
    assert "SMTPRelayerRequiresAuthentication" in sasl, sasl
    (inbound,) = incidents["relay-denied-inbound"]["settings"]
    assert (inbound["name"], inbound["line"]) == (
        "IP range Internet",
        _line_of(lines, '"Name": "Internet"') - 2,  # the range's opening brace
    )
    code, text = run("diagnose", str(log), "--config", str(config))
    for shown in (out, text):
        assert "relay-secret-42" not in shown and "relayuser" not in shown


def test_hmailserver_relayer_not_named_for_another_hosts_refusal(tmp_path):
    config, lines = hmail_config(tmp_path, SMTPRelayer="203.0.113.5", SMTPRelayerPort=25)
    log = tmp_path / "hmailserver_2026-12-05.log"
    log.write_text(
        hmail("SMTPC", 15, "198.51.100.7", "SENT: RCPT TO:<victim@external.example>")
        + hmail("SMTPC", 15, "198.51.100.7", "RECEIVED: 550 5.7.1 Relaying denied", 1)
    )
    code, out = run("diagnose", str(log), "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    assert incident["configuration"]["settings"] == []
    assert "MTA008" not in {f["rule"] for f in incident["configuration"]["findings"]}


@pytest.mark.parametrize(
    "line",
    [
        '"SMTPC"\t1\t2\t"2026-12-05 10:00:01.000"\t"' + "x" * 7000 + '"\t"RECEIVED: 550 x"',
        '"SMTPC"\t1\t2\t"2026-12-05 10:00:01.000"\t"a"\t"' + '"\t"' * 2000 + '"',
        '"SMTPD"\t1\t2\t"2026-12-05 10:00:01.000"\t"a"\t"RECEIVED: RCPT TO:<' + "<" * 7000 + '"',
    ],
    ids=["address", "quotes", "rcpt"],
)
def test_hostile_hmailserver_lines_finish_quickly(tmp_path, line):
    log = tmp_path / "hmailserver.log"
    log.write_text((line + "\n") * 200)
    import time

    start = time.monotonic()
    diagnose([str(log)], now=NOW)
    assert time.monotonic() - start < 5
