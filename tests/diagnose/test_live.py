"""mtalint diagnose on the log a real Postfix wrote while failing on loopback.

A live Postfix 3.7 (tests/mta/postfix/server.py: its own network namespace, logging to
``maillog_file``) accepts one message for two recipients and tries to deliver it:

* ``user@closed.example`` goes to the relayhost ``[127.0.0.1]:2599``, where nothing
  listens: smtp logs ``connect to 127.0.0.1[127.0.0.1]:2599: Connection refused``;
* ``victim@external.example`` goes (transport_maps) to a second smtpd on 2526 that
  relays for nobody: the receiver logs ``NOQUEUE: reject: ... Relay access denied`` and
  the sender bounces the recipient with the 554 reply.

The diagnosis of that log, joined with the same main.cf, must name each cause, and the
connection failure must point at ``relayhost`` on its line.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.mta.postfix.server import PostfixServer, missing_requirements, smtpd_service

_missing = missing_requirements()
pytestmark = [pytest.mark.live, pytest.mark.skipif(_missing is not None, reason=_missing or "")]

CLOSED_PORT, REFUSING_PORT = 2599, 2526
SETTINGS = {
    "compatibility_level": "3.6",
    "mynetworks": "127.0.0.0/8",
    "relayhost": f"[127.0.0.1]:{CLOSED_PORT}",
    "transport_maps": f"inline:{{external.example=smtp:[127.0.0.1]:{REFUSING_PORT}}}",
}
SERVICES = "\n".join(
    [
        smtpd_service(),
        # the receiver: another host name (no loop detection), relays for nobody
        smtpd_service(
            REFUSING_PORT,
            ["myhostname=other.example.test", "smtpd_relay_restrictions=reject_unauth_destination"],
        ),
        "smtp      unix  -       -       n       -       -       smtp",
    ]
)


def wait_for(server: PostfixServer, needles: list[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = server.log()
        if all(n in log for n in needles):
            return log
        time.sleep(0.2)
    return server.log()


@pytest.fixture(scope="module")
def live_run(tmp_path_factory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("diagnose-live")
    with PostfixServer(SETTINGS, SERVICES) as server:
        session = server.session(
            [
                "EHLO client.example",
                "MAIL FROM:<a@sender.example>",
                "RCPT TO:<user@closed.example>",
                "RCPT TO:<victim@external.example>",
                "DATA",
                "Subject: diagnose\r\n\r\nhello\r\n.",
                "QUIT",
            ]
        )
        assert session.reply_to("DATA") is not None, session.describe()
        log = wait_for(server, ["Connection refused", "status=bounced", "Relay access denied;"])
        config = folder / "postfix"
        config.mkdir()
        for name in ("main.cf", "master.cf"):
            (config / name).write_text((server.config_dir / name).read_text())
    maillog = folder / "maillog"
    maillog.write_text(log)
    return maillog, config, log


def test_the_live_log_shows_both_failures(live_run):
    _, _, log = live_run
    assert f"connect to 127.0.0.1[127.0.0.1]:{CLOSED_PORT}: Connection refused" in log, log
    assert "554 5.7.1 <victim@external.example>: Relay access denied" in log, log


def test_diagnose_names_the_causes_and_settings(live_run):
    maillog, config, log = live_run
    result = CliRunner().invoke(
        main, ["diagnose", str(maillog), "--config", str(config), "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    incidents = {i["cause"]: i for i in json.loads(result.output)["incidents"]}
    assert {"connect-refused", "relay-denied", "relay-denied-inbound"} <= set(incidents), (
        f"{sorted(incidents)}\n{log}"
    )
    refused = incidents["connect-refused"]
    assert "closed.example" in refused["destinations"], refused
    assert refused["example"]["line"] >= 1
    relayhost = next(s for s in refused["configuration"]["settings"] if s["name"] == "relayhost")
    main_lines = (config / "main.cf").read_text().splitlines()
    assert main_lines[relayhost["line"] - 1].startswith("relayhost = "), relayhost
    assert relayhost["failing"] is True
    denied = incidents["relay-denied"]
    assert denied["destinations"] == {"external.example": 1}, denied
    assert denied["outcomes"] == {"bounced": 1}
    assert denied["relays"] == {f"127.0.0.1[127.0.0.1]:{REFUSING_PORT}": 1}
