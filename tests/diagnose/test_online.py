"""mtalint diagnose --online: a blocklist incident is looked up again, against a real
DNS server (NSD on loopback serving two test lists), and the answer is said as it is."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.diagnose.online import reverse_name
from tests.dns.server import nsd, nsd_missing, servfail

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")


def bounce(qid: str, ip: str, zone: str) -> str:
    """A Postfix sender's line for a receiver's default_rbl_reply (mail_params.h)."""
    return (
        f"Dec  5 10:00:01 mx postfix/smtp[2211]: {qid}: to=<user@example.com>, "
        "relay=mx.example.com[192.0.2.25]:25, delay=0.6, delays=0.01/0.01/0.3/0.3, dsn=5.7.1, "
        "status=bounced (host mx.example.com[192.0.2.25] said: 554 5.7.1 Service unavailable; "
        f"Client host [{ip}] blocked using {zone} (in reply to RCPT TO command))\n"
    )


def test_reverse_names_follow_rfc_5782():
    assert reverse_name("192.0.2.99", "dnsbl.test") == "99.2.0.192.dnsbl.test"
    assert reverse_name("2001:db8::1", "l.test").startswith("1.0.0.0.0.0.0.0.")
    assert reverse_name("2001:db8::1", "l.test").endswith(".8.b.d.0.1.0.0.2.l.test")


def test_online_says_whether_the_address_is_still_listed(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(
        bounce("3F2A1B2C3D", "203.0.113.5", "listed.test")
        + bounce("4B1C2D3E4F", "198.51.100.7", "clean.test")
    )
    zones = {
        "listed.test": "5.113.0.203 IN A 127.0.0.2\n",
        "clean.test": "2.0.0.127 IN A 127.0.0.2\n",  # the RFC 5782 test entry only
    }
    with nsd(zones) as address:
        result = CliRunner().invoke(
            main, ["diagnose", str(log), "--online", "--resolver", address, "--format", "json"]
        )
        text = CliRunner().invoke(main, ["diagnose", str(log), "--online", "--resolver", address])
    assert result.exit_code == 1, result.output
    online = {i["details"]["list"]: i["online"] for i in json.loads(result.output)["incidents"]}
    assert online["listed.test"]["listed"] is True
    assert online["listed.test"]["query"] == "5.113.0.203.listed.test A"
    assert online["listed.test"]["answers"] == ["127.0.0.2"]
    assert online["clean.test"]["listed"] is False
    assert "now (--online): 203.0.113.5 is still listed in listed.test (127.0.0.2)" in text.output
    assert "now (--online): 198.51.100.7 is no longer listed in clean.test" in text.output


def test_a_list_that_cannot_be_asked_is_said_so(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(bounce("3F2A1B2C3D", "203.0.113.5", "listed.test"))
    with servfail() as address:
        result = CliRunner().invoke(
            main, ["diagnose", str(log), "--online", "--resolver", address, "--format", "json"]
        )
    (incident,) = json.loads(result.output)["incidents"]
    assert incident["online"]["listed"] is None
    assert incident["online"]["status"] in ("servfail", "refused", "error", "timeout")
    assert "could not be asked" in incident["online"]["verdict"]


def test_without_online_nothing_is_asked(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(bounce("3F2A1B2C3D", "203.0.113.5", "listed.test"))
    result = CliRunner().invoke(main, ["diagnose", str(log), "--format", "json"])
    assert "online" not in json.loads(result.output)["incidents"][0]
    bad = CliRunner().invoke(main, ["diagnose", str(log), "--online", "--resolver", "nope"])
    assert bad.exit_code == 2
