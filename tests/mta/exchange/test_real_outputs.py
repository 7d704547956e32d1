"""Real ``Get-ReceiveConnector | Format-List`` outputs, as published on the web.

tests/fixtures/exchange/README.md names the page each one comes from. Every expected
value below was read off the published output by hand and judged by what Microsoft
documents for the property:

* AuthMechanism ``Tls`` advertises STARTTLS; ``BasicAuthRequireTLS`` offers Basic
  authentication only after STARTTLS; ``RequireTLS`` False does not require TLS
  (Set-ReceiveConnector,
  https://learn.microsoft.com/en-us/powershell/module/exchange/set-receiveconnector).
* An empty Banner gives Exchange's own greeting, ``220 <server> Microsoft ESMTP MAIL
  Service ready at ...`` (same page; Q&A 1193037's telnet transcript shows it).
* Default Frontend is created with ProtocolLoggingLevel Verbose, Client Frontend with
  None ("Receive connectors", https://learn.microsoft.com/en-us/exchange/mail-flow/connectors/receive-connectors,
  read from MicrosoftDocs' OfficeDocs-Exchange as copied in x13-me/OfficeDocs-Exchange,
  Exchange/ExchangeServer/mail-flow/connectors/receive-connectors.md at
  074afe82e329c57a80644b82ed5487d0b722e90a).
* Relaying needs Ms-Exch-SMTP-Accept-Any-Recipient, an AD permission Format-List does
  not show: with AnonymousUsers in PermissionGroups and no Get-ADPermission output, who
  may relay is unknown.
"""

from __future__ import annotations

import ipaddress

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.exchange.model import ExchangeModel, ReceiveConnector, build_model
from linter.mta.exchange.posture import build_posture
from linter.mta.exchange.records import read_format_list
from linter.mta.exchange.selection import coverage
from tests.paths import FIXTURES

EXCHANGE = FIXTURES / "exchange"
RULES = list(builtin_rules())
ALL_V6 = "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
ALL_V4 = "0.0.0.0-255.255.255.255"


def model_of(folder: str) -> ExchangeModel:
    (path,) = (EXCHANGE / folder).glob("*.txt")
    return build_model(read_format_list(path.name, path.read_text(encoding="utf-8")))


def findings(folder: str) -> list[str]:
    result = check([EXCHANGE / folder], RULES, Selection(), Options())
    assert result.problems == []
    return sorted(f.rule for f in result.findings)


def served(cs: list[ReceiveConnector], c: ReceiveConnector, address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(
        v == ip.version and lo <= int(ip) <= hi for v, lo, hi in coverage(cs)[id(c)].intervals
    )


# --- Microsoft Q&A 305565: a whole Default Frontend connector, double-spaced ---------


def test_a_double_spaced_qa_paste_is_one_connector_with_every_property():
    model = model_of("qa-305565-default-frontend")
    [c] = model.receive
    assert (c.name, c.server, c.role) == (
        "Default Frontend LON-EX01",
        "LON-EX01",
        "FrontendTransport",
    )
    assert [b.text for b in c.bindings] == ["[::]:25", "0.0.0.0:25"]
    assert [r.text for r in c.ranges] == [ALL_V6, ALL_V4]
    assert c.auth == {"Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"}
    assert c.groups == {"AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers", "Custom"}
    assert (c.banner, c.protocol_logging, c.require_tls) == ("", "None", False)
    assert c.fqdn == "LON-EX01.Constoso.local"
    assert c.absent == [] and model.diagnostics == []
    assert model.send == []  # the prose around the paste makes no object


def test_qa_305565_default_frontend_posture():
    posture, _ = build_posture(model_of("qa-305565-default-frontend"))
    [listener] = posture.listeners
    assert (listener.port, listener.role, listener.public) == (25, "smtp", True)
    # Tls offers STARTTLS, RequireTLS False does not require it
    assert listener.tls == "optional"
    # BasicAuth comes with BasicAuthRequireTLS: no password before STARTTLS
    assert listener.auth_before_tls is False
    # the thread's own Add-ADPermission grant is not in a Format-List: unknown, not closed
    assert listener.relay.verdict == "unknown"


def test_qa_305565_findings_are_the_default_greeting_and_the_missing_protocol_log():
    # MTA015: empty Banner on the Internet's port 25 connector = Exchange's own greeting;
    # MSX004: ProtocolLoggingLevel None where Exchange creates Default Frontend Verbose
    assert findings("qa-305565-default-frontend") == ["MSX004", "MTA015"]


# --- Microsoft Q&A 1193037: four chosen properties, an SMTP transcript below ---------


def test_a_paste_of_chosen_properties_leaves_the_others_unknown():
    model = model_of("qa-1193037-anonymous-relay")
    [c] = model.receive
    assert c.enabled and c.role == "FrontendTransport"
    assert [b.text for b in c.bindings] == ["0.0.0.0:25"]
    # the indented telnet transcript further down is continued by nothing
    assert [r.text for r in c.ranges] == ["127.0.0.1", "192.168.4.17"]
    assert c.absent == ["AuthMechanism", "PermissionGroups", "Banner", "RequireTLS"]
    assert [d.kind for d in model.diagnostics] == ["missing-property"]
    # a Get-ADPermission | Format-Table is not Format-List: not read as permissions
    assert model.has_permissions is False


def test_qa_1193037_relay_is_unknown_and_private():
    model = model_of("qa-1193037-anonymous-relay")
    posture, _ = build_posture(model)
    [listener] = posture.listeners
    # loopback and one private address: no stranger is served
    assert listener.public is False
    assert listener.relay.verdict == "unknown"
    assert findings("qa-1193037-anonymous-relay") == ["MSX003"]


# --- rafaelpfister.ch: two connectors bound to two local addresses ------------------


def test_two_connectors_bound_to_two_local_addresses():
    model = model_of("blog-two-bindings")
    front, noauth = model.receive
    assert front.server == noauth.server == "SRV-MAIL01"
    assert [b.text for b in front.bindings] == ["10.0.1.11:25"]
    assert [b.text for b in noauth.bindings] == ["10.0.1.13:25"]
    # "-join ','": no braces, no space after the commas
    assert [r.text for r in noauth.ranges] == ["10.0.20.22", "10.0.21.11", "10.0.21.12"]
    assert noauth.auth == {"Tls"} and noauth.groups == {"AnonymousUsers", "Custom"}
    assert model.diagnostics == []


def test_a_connector_bound_to_one_address_serves_only_its_remote_ranges_there():
    # "Local address bindings restrict the Receive connector to listen for SMTP connections
    # on a specific local IP address" (Receive connectors): smtp-noauth alone listens on
    # 10.0.1.13 and takes only its three remote addresses; Default Frontend alone listens
    # on 10.0.1.11 and takes everyone there
    model = model_of("blog-two-bindings")
    front, noauth = model.receive
    cs = model.receive
    for address in ("10.0.20.22", "10.0.21.11", "10.0.21.12"):
        assert served(cs, noauth, address) and served(cs, front, address)
    for address in ("10.0.20.23", "203.0.113.9"):
        assert not served(cs, noauth, address) and served(cs, front, address)
    posture, _ = build_posture(model)
    by_name = {listener.name: listener for listener in posture.listeners}
    assert by_name[front.name].public is True
    assert by_name[noauth.name].public is False
    assert {listener.relay.verdict for listener in posture.listeners} == {"unknown"}
    # no Banner in the paste: the greeting is not judged
    assert findings("blog-two-bindings") == []
