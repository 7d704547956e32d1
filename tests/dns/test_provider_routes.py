"""The online provider checks follow every outbound route, not only the relayhost.

A domain whose mail Postfix sends to a relay provider through a sender-dependent
relayhost (``@example.org``) is judged against that provider, that domain only; a
transport route (inline, or from a table source file beside main.cf) sends mail from
every sending domain there. Against the NSD test server (tests/dns/server.py): no key
at Google's documented ``google`` selector is DNS045, at the route's line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.dns.server import nsd, nsd_missing
from tests.dns.test_provider_dkim import _key_record

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")

# no relayhost: the only way to the provider is the route under test
MAIN_CF = """myhostname = mx.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
smtp_sasl_auth_enable = yes
smtp_tls_security_level = encrypt
{route}
"""
GOOGLE = "[smtp-relay.gmail.com]:587"
SENDER_ROUTE = f"sender_dependent_relayhost_maps = inline:{{ @example.org={GOOGLE} }}"
ZONE = (
    "@ IN MX 10 mx.example.com.\nmx IN A 192.0.2.10\n"
    '@ IN TXT "v=spf1 ip4:192.0.2.10 -all"\n'
    '_dmarc IN TXT "v=DMARC1; p=reject"\n'
)


def check(tmp_path: Path, route: str, com: str = "", org: str = "") -> list[dict[str, Any]]:
    (tmp_path / "main.cf").write_text(MAIN_CF.format(route=route))
    zones = {"example.com": ZONE + com, "example.org": ZONE + org}
    with nsd(zones) as resolver:
        result = CliRunner().invoke(
            main,
            ["check", str(tmp_path), "--online", "--resolver", resolver]
            + ["--select", "DNS", "--format", "json"],
        )
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, Any]] = json.loads(result.output)["findings"]
    return findings


def dns045(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == "DNS045"]


def test_a_sender_dependent_route_to_google_is_judged_for_its_domain_only(
    tmp_path: Path,
) -> None:
    found = dns045(check(tmp_path, SENDER_ROUTE))
    assert len(found) == 1, found
    finding = found[0]
    assert finding["severity"] == "warning"
    assert "google._domainkey.example.org" in finding["message"]
    assert "sender_dependent_relayhost_maps entry @example.org" in finding["message"]
    assert finding["line"] == 7  # the route's line, not line 1
    # example.com's mail does not go to Google: nothing about it
    assert finding["message"].startswith("mail from example.org leaves through")


def test_a_sender_dependent_route_with_the_key_published_is_no_finding(tmp_path: Path) -> None:
    org = f"google._domainkey IN TXT {_key_record()}\n"
    assert dns045(check(tmp_path, SENDER_ROUTE, org=org)) == []


def test_an_address_key_routes_its_domain(tmp_path: Path) -> None:
    route = f"sender_dependent_relayhost_maps = inline:{{ alice@example.org={GOOGLE} }}"
    found = dns045(check(tmp_path, route))
    assert [("google._domainkey.example.org" in f["message"]) for f in found] == [True]


def test_a_local_part_key_names_no_domain_and_is_not_judged(tmp_path: Path) -> None:
    route = f"sender_dependent_relayhost_maps = inline:{{ alice={GOOGLE} }}"
    assert dns045(check(tmp_path, route)) == []


def test_an_inline_transport_route_sends_every_sending_domain(tmp_path: Path) -> None:
    route = f"transport_maps = inline:{{ example.net=smtp:{GOOGLE} }}"
    found = dns045(check(tmp_path, route))
    assert len(found) == 1, found
    assert "google._domainkey.example.com" in found[0]["message"]
    assert "transport_maps entry example.net" in found[0]["message"]
    assert found[0]["line"] == 7


def test_an_inline_transport_route_with_the_key_published_is_no_finding(tmp_path: Path) -> None:
    route = f"transport_maps = inline:{{ example.net=smtp:{GOOGLE} }}"
    com = f"google._domainkey IN TXT {_key_record()}\n"
    assert dns045(check(tmp_path, route, com=com)) == []


def test_a_transport_table_file_beside_main_cf_is_followed(tmp_path: Path) -> None:
    (tmp_path / "transport").write_text(f"# routes\nexample.net  smtp:{GOOGLE}\n")
    found = dns045(check(tmp_path, "transport_maps = hash:/etc/postfix/transport"))
    assert len(found) == 1, found
    assert "google._domainkey.example.com" in found[0]["message"]
    assert found[0]["path"].endswith("/transport")
    assert found[0]["line"] == 2


def test_one_finding_per_domain_and_provider(tmp_path: Path) -> None:
    # the relayhost and a transport route both go to Google: one finding for example.com
    route = f"relayhost = {GOOGLE}\ntransport_maps = inline:{{ example.net=smtp:{GOOGLE} }}"
    found = dns045(check(tmp_path, route))
    assert len(found) == 1, found
    assert "(relayhost)" in found[0]["message"]


def test_a_domain_sent_elsewhere_by_its_sender_route_is_not_held_to_the_relayhost(
    tmp_path: Path,
) -> None:
    # Postfix asks sender_dependent_relayhost_maps first: example.com's mail goes to the
    # relay of its own, never to Google, so Google's selector is not asked of it
    route = (
        f"relayhost = {GOOGLE}\n"
        "sender_dependent_relayhost_maps = inline:{ @example.com=[relay.example.com]:587 }"
    )
    assert dns045(check(tmp_path, route)) == []


def test_an_address_route_elsewhere_leaves_the_domain_to_the_relayhost(tmp_path: Path) -> None:
    # only alice's mail takes the other relay; the rest of example.com goes to Google
    route = (
        f"relayhost = {GOOGLE}\n"
        "sender_dependent_relayhost_maps = inline:{ alice@example.com=[relay.example.com]:587 }"
    )
    found = dns045(check(tmp_path, route))
    assert len(found) == 1, found
    assert "(relayhost)" in found[0]["message"]


# ---------------------------------------------------------------- the other MTAs' smarthosts
# Exim's manualroute route_list and sendmail's SMART_HOST reach the posture as its relayhost.

EXIM_CONF = """primary_hostname = mx.example.com
qualify_domain = example.com
domainlist local_domains = @ : example.com
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_list = * smtp-relay.gmail.com::587
begin transports
remote_smtp:
  driver = smtp
  hosts_require_tls = *
"""
SENDMAIL_MC = """divert(-1)
divert(0)dnl
OSTYPE(`linux')dnl
define(`confDOMAIN_NAME', `mx.example.com')dnl
MASQUERADE_AS(`example.com')dnl
define(`SMART_HOST', `[smtp-relay.gmail.com]')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""


@pytest.mark.parametrize(
    ("name", "text", "line", "via"),
    [
        ("exim.conf", EXIM_CONF, 9, "(relayhost)"),
        ("sendmail.mc", SENDMAIL_MC, 6, "(relayhost)"),
    ],
)
def test_other_mtas_smarthost_to_google(
    tmp_path: Path, name: str, text: str, line: int, via: str
) -> None:
    (tmp_path / name).write_text(text)
    with nsd({"example.com": ZONE}) as resolver:
        result = CliRunner().invoke(
            main,
            ["check", str(tmp_path), "--online", "--resolver", resolver]
            + ["--select", "DNS", "--format", "json"],
        )
    assert result.exit_code in (0, 1), result.output
    found = dns045(json.loads(result.output)["findings"])
    assert len(found) == 1, found
    assert "google._domainkey.example.com" in found[0]["message"]
    assert via in found[0]["message"]
    assert found[0]["line"] == line
