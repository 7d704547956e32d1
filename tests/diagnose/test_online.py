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


def spf_bounce(qid: str, sender: str, ip: str) -> str:
    """A Postfix sender's line for a policyd-spf receiver's reply (its 'Please see ...Why'
    explanation, as such receivers log it)."""
    return (
        f"Dec  5 10:00:01 mx postfix/smtp[2211]: {qid}: to=<user@example.org>, "
        "relay=mx.example.org[192.0.2.26]:25, delay=0.9, delays=0.01/0.01/0.5/0.4, dsn=5.7.23, "
        "status=bounced (host mx.example.org[192.0.2.26] said: 550 5.7.23 <user@example.org>: "
        "Recipient address rejected: Message rejected due to: SPF fail - not authorized. "
        f"Please see http://www.openspf.net/Why?s=mfrom;id={sender};ip={ip};r=<UNKNOWN> "
        "(in reply to RCPT TO command))\n"
    )


def ptr_bounce(qid: str, ip: str) -> str:
    """A Postfix sender's line for a receiver's reject_unknown_client_hostname reply."""
    return (
        f"Dec  5 10:00:01 mx postfix/smtp[2211]: {qid}: to=<user@example.org>, "
        "relay=mx.example.org[192.0.2.26]:25, delay=0.9, delays=0.01/0.01/0.5/0.4, dsn=4.7.25, "
        "status=deferred (host mx.example.org[192.0.2.26] said: 450 4.7.25 Client host "
        f"rejected: cannot find your hostname, [{ip}] (in reply to RCPT TO command))\n"
    )


def online_json(log, address: str) -> list[dict]:
    result = CliRunner().invoke(
        main, ["diagnose", str(log), "--online", "--resolver", address, "--format", "json"]
    )
    assert result.exit_code == 1, result.output
    return json.loads(result.output)["incidents"]


SPF_ZONES = {
    # SPF now lists the address the receiver saw
    "fixed.test": '@ IN TXT "v=spf1 ip4:203.0.113.5 -all"\n',
    # SPF still lists another address only
    "stale.test": '@ IN TXT "v=spf1 ip4:192.0.2.1 -all"\n',
}


def test_online_evaluates_spf_now_for_the_address_the_receiver_saw(tmp_path):
    for domain, expected in (("fixed.test", "pass"), ("stale.test", "fail")):
        log = tmp_path / f"{domain}.log"
        log.write_text(spf_bounce("3F2A1B2C3D", f"sender@{domain}", "203.0.113.5"))
        with nsd(SPF_ZONES) as address:
            (incident,) = online_json(log, address)
        assert incident["cause"] == "spf-rejection"
        online = incident["online"]
        assert online["check"] == "spf" and online["domain"] == domain
        assert online["address"] == "203.0.113.5"
        assert online["result"] == expected, online
        assert online["passes"] is (expected == "pass")
    text = CliRunner().invoke(main, ["diagnose", str(log), "--online", "--resolver", address])
    # NSD is gone: said as it is, not as a pass or a fail
    assert "could not be evaluated for 203.0.113.5: temperror" in text.output, text.output


def test_online_spf_verdicts_in_text(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(
        spf_bounce("3F2A1B2C3D", "sender@fixed.test", "203.0.113.5")
        + spf_bounce("4B1C2D3E4F", "sender@stale.test", "203.0.113.5")
    )
    with nsd(SPF_ZONES) as address:
        # both replies are one incident (one cause): its example line is the first
        text = CliRunner().invoke(main, ["diagnose", str(log), "--online", "--resolver", address])
        page = CliRunner().invoke(
            main, ["diagnose", str(log), "--online", "--resolver", address, "--format", "md"]
        )
    assert "now (--online): SPF of fixed.test now passes for 203.0.113.5" in text.output
    # the Markdown page says it in the cause's cell
    row = next(r for r in page.output.splitlines() if r.startswith("| **spf-rejection**"))
    assert "— now (--online): SPF of fixed.test now passes for 203.0.113.5 |" in row, row


def test_spf_incident_without_domain_and_address_is_not_rechecked(tmp_path):
    log = tmp_path / "mail.log"
    line = spf_bounce("3F2A1B2C3D", "sender@fixed.test", "203.0.113.5")
    log.write_text(line.split(" Please see")[0] + " (in reply to RCPT TO command))\n")
    with nsd(SPF_ZONES) as address:
        (incident,) = online_json(log, address)
    assert incident["online"]["checked"] is False
    assert "names no sending domain and address" in incident["online"]["reason"]


PTR_ZONES = {
    "113.0.203.in-addr.arpa": (
        "5 IN PTR mail.example.test.\n"  # forward-confirmed
        "6 IN PTR other.example.test.\n"  # names a host of another address
    ),
    "example.test": "mail IN A 203.0.113.5\nother IN A 192.0.2.9\n",
}


def test_online_asks_reverse_dns_now_and_forward_confirms_it(tmp_path):
    verdicts = {}
    for ip in ("203.0.113.5", "203.0.113.6", "203.0.113.7"):
        log = tmp_path / f"{ip}.log"
        log.write_text(ptr_bounce("3F2A1B2C3D", ip))
        with nsd(PTR_ZONES) as address:
            (incident,) = online_json(log, address)
        assert incident["cause"] == "ptr-rejection"
        verdicts[ip] = incident["online"]
    fixed = verdicts["203.0.113.5"]
    assert fixed["ptr"] == ["mail.example.test"] and fixed["forward_confirmed"] == [
        "mail.example.test"
    ]
    assert fixed["fixed"] is True
    assert (
        fixed["verdict"]
        == "203.0.113.5 now has reverse DNS mail.example.test, which resolves back to it"
    )
    mismatch = verdicts["203.0.113.6"]
    assert mismatch["ptr"] == ["other.example.test"] and mismatch["forward_confirmed"] == []
    assert mismatch["fixed"] is False and "does not resolve back" in mismatch["verdict"]
    missing = verdicts["203.0.113.7"]
    assert missing["ptr"] == [] and missing["status"] == "nxdomain"
    assert missing["verdict"] == "203.0.113.7 still has no reverse DNS (PTR nxdomain)"


def test_reverse_dns_that_cannot_be_asked_is_said_so(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(ptr_bounce("3F2A1B2C3D", "203.0.113.5"))
    with servfail() as address:
        (incident,) = online_json(log, address)
    assert incident["online"]["fixed"] is None
    assert "could not be asked" in incident["online"]["verdict"]
