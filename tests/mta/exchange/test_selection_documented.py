"""Which receive connector takes a client, case by case as Microsoft documents it.

"Receive connectors" (Exchange 2016/2019,
https://learn.microsoft.com/en-us/exchange/mail-flow/connectors/receive-connectors; read
2026-12-05 from MicrosoftDocs' OfficeDocs-Exchange as copied in x13-me/OfficeDocs-Exchange,
Exchange/ExchangeServer/mail-flow/connectors/receive-connectors.md at
074afe82e329c57a80644b82ed5487d0b722e90a), section "Receive connector remote addresses":

    Multiple Receive connectors on the server can have overlapping remote IP address
    ranges as long as one range is completely overlapped by another. When remote IP
    address ranges overlap, the remote IP address range that has the most specific match
    to the connecting server's IP address is used.

followed by the example of server Exchange01 used below (three connectors on "All
available IPv4 on port 25"). Section "Receive connector local address bindings": "Local
address bindings restrict the Receive connector to listen for SMTP connections on a
specific local IP address (network adapter) and TCP port." The Exchange 2007 help says
the same in short: "When more than one connector is available on a destination computer,
Exchange Server 2007 evaluates the connectors and chooses the most restrictive
connector." RemoteIPRanges entries may be one address, a range a-b or a CIDR network
(New-ReceiveConnector, https://learn.microsoft.com/en-us/powershell/module/exchange/new-receiveconnector).
"""

from __future__ import annotations

import ipaddress
import json

import pytest

from linter.mta.exchange.model import ReceiveConnector, build_model
from linter.mta.exchange.records import read_json
from linter.mta.exchange.selection import coverage

ANY_V4 = "0.0.0.0:25"  # "All available IPv4 on port 25"


def chosen(specs: list[dict], client: str) -> list[str]:
    """The connectors whose coverage holds the client address (one when Exchange's
    choice is unique)."""
    text = json.dumps({"ReceiveConnectors": [{"Server": "Exchange01", **s} for s in specs]})
    cs: list[ReceiveConnector] = build_model(read_json("x.json", text)).receive
    ip = ipaddress.ip_address(client)
    cov = coverage(cs)
    return [
        c.name
        for c in cs
        if any(v == ip.version and lo <= int(ip) <= hi for v, lo, hi in cov[id(c)].intervals)
    ]


def exchange01(a_range: str = "192.168.1.0-192.168.1.255") -> list[dict]:
    return [
        {
            "Name": "Client Frontend Exchange01",
            "Bindings": [ANY_V4],
            "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
        },
        {"Name": "Custom Connector A", "Bindings": [ANY_V4], "RemoteIPRanges": [a_range]},
        {"Name": "Custom Connector B", "Bindings": [ANY_V4], "RemoteIPRanges": ["192.168.1.75"]},
    ]


def test_documented_case_192_168_1_75_goes_to_custom_connector_b():
    # "SMTP connections from 192.168.1.75 are accepted by Custom Connector B"
    assert chosen(exchange01(), "192.168.1.75") == ["Custom Connector B"]


def test_documented_case_192_168_1_100_goes_to_custom_connector_a():
    # "SMTP connections from 192.168.1.100 are accepted by Custom Connector A"
    assert chosen(exchange01(), "192.168.1.100") == ["Custom Connector A"]


@pytest.mark.parametrize("client", ["192.168.2.1", "203.0.113.9", "0.0.0.1"])
def test_outside_every_narrower_range_the_whole_space_entry_is_the_match(client):
    # the only range that holds the client is 0.0.0.0-255.255.255.255
    assert chosen(exchange01(), client) == ["Client Frontend Exchange01"]


@pytest.mark.parametrize("client", ["192.168.1.75", "192.168.1.100"])
def test_a_cidr_entry_matches_as_the_range_it_spells(client):
    # 192.168.1.0/24 is the range 192.168.1.0-192.168.1.255
    assert chosen(exchange01("192.168.1.0/24"), client) == chosen(exchange01(), client)


def test_the_edges_of_a_range_belong_to_it():
    assert chosen(exchange01(), "192.168.1.0") == ["Custom Connector A"]
    assert chosen(exchange01(), "192.168.1.255") == ["Custom Connector A"]
    assert chosen(exchange01(), "192.168.0.255") == ["Client Frontend Exchange01"]


def test_an_ipv6_client_only_matches_ipv6_ranges():
    # Default Frontend's documented ranges hold both families; the custom ones IPv4 only
    specs = exchange01()
    specs[0] = {
        **specs[0],
        "Bindings": [ANY_V4, "[::]:25"],
        "RemoteIPRanges": ["::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0.0.0.0-255.255.255.255"],
    }
    assert chosen(specs, "2001:db8::1") == ["Client Frontend Exchange01"]


def test_a_connector_bound_to_one_local_address_listens_only_there():
    # Custom Connector B bound to the internal adapter only: a client it names that
    # connects to another local address is not its client; with no connector for that
    # address and client, no connector takes it
    specs = [
        {"Name": "Internal", "Bindings": ["10.0.0.5:25"], "RemoteIPRanges": ["10.0.0.0/8"]},
    ]
    assert chosen(specs, "10.1.2.3") == ["Internal"]
    assert chosen(specs, "203.0.113.9") == []
