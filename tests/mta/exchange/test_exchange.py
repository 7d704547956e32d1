"""Microsoft Exchange: the exporter's JSON and Format-List text → model → posture.

No Exchange runs here: the fixtures of this file are written from Microsoft's cmdlet
reference (linter/mta/exchange/data/reference.json) and the default receive connectors
Exchange 2016/2019/SE creates; real published outputs are tested in test_real_outputs.py,
Microsoft's documented selection cases in test_selection_documented.py. The connector
selection cases here follow the rule: a connector bound to the local address beats one
bound to 0.0.0.0, and among those the RemoteIPRanges entry with the fewest addresses that
holds the client wins (Microsoft, "Scenarios for custom Receive connectors": each
connector is a unique combination of binding and remote addresses;
https://technet.microsoft.com/en-us/library/jj657465; the precedence of a local-address
binding is from the community write-up data/reference.json names).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from linter.check import check
from linter.discover import detect_format, discover
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.exchange.model import ExchangeModel, ReceiveConnector, build_model
from linter.mta.exchange.records import read_format_list, read_json
from linter.mta.exchange.selection import coverage, holds_public
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "exchange"
RULES = list(builtin_rules())


def connectors(*specs: dict) -> list[ReceiveConnector]:
    text = json.dumps({"ReceiveConnectors": [{"Server": "EX01", **s} for s in specs]})
    return build_model(read_json("x.json", text)).receive


def served(cs: list[ReceiveConnector], name: str, address: str) -> bool:
    import ipaddress

    ip = ipaddress.ip_address(address)
    c = next(c for c in cs if c.name == name)
    return any(
        v == ip.version and lo <= int(ip) <= hi for v, lo, hi in coverage(cs)[id(c)].intervals
    )


DEFAULT_FRONTEND = {
    "Name": "Default Frontend",
    "Bindings": ["0.0.0.0:25"],
    "RemoteIPRanges": ["0.0.0.0-255.255.255.255"],
}


def test_a_stranger_gets_default_frontend_unless_a_narrower_connector_covers_it():
    cs = connectors(
        DEFAULT_FRONTEND,
        {"Name": "Relay", "Bindings": ["0.0.0.0:25"], "RemoteIPRanges": ["10.0.0.0/24"]},
        {"Name": "Printer", "Bindings": ["0.0.0.0:25"], "RemoteIPRanges": ["10.0.0.7"]},
    )
    assert served(cs, "Default Frontend", "203.0.113.9")
    assert served(cs, "Relay", "10.0.0.8") and not served(cs, "Default Frontend", "10.0.0.8")
    # a single address beats the /24 that holds it
    assert served(cs, "Printer", "10.0.0.7") and not served(cs, "Relay", "10.0.0.7")
    assert served(cs, "Default Frontend", "10.0.1.1")


def test_a_connector_bound_to_the_local_address_beats_one_bound_to_every_address():
    cs = connectors(
        DEFAULT_FRONTEND,
        {"Name": "Dedicated", "Bindings": ["192.0.2.10:25"], "RemoteIPRanges": ["0.0.0.0/0"]},
    )
    # strangers reaching 192.0.2.10 get the dedicated connector, even though its range
    # is as wide as Default Frontend's
    assert served(cs, "Dedicated", "203.0.113.9")
    assert served(cs, "Default Frontend", "203.0.113.9")  # through the other addresses


def test_a_specific_binding_falls_back_to_the_wildcard_where_its_ranges_end():
    cs = connectors(
        {**DEFAULT_FRONTEND, "RemoteIPRanges": ["198.51.100.0/24"]},
        {"Name": "Dedicated", "Bindings": ["192.0.2.10:25"], "RemoteIPRanges": ["10.0.0.0/8"]},
    )
    assert served(cs, "Default Frontend", "198.51.100.1")
    assert not served(cs, "Dedicated", "198.51.100.1")


def test_disabled_connectors_and_other_ports_take_no_one():
    cs = connectors(
        DEFAULT_FRONTEND,
        {
            "Name": "Off",
            "Enabled": False,
            "Bindings": ["0.0.0.0:25"],
            "RemoteIPRanges": ["1.2.3.4"],
        },
        {"Name": "Other port", "Bindings": ["0.0.0.0:2525"], "RemoteIPRanges": ["1.2.3.4"]},
    )
    assert not served(cs, "Off", "1.2.3.4")
    assert served(cs, "Default Frontend", "1.2.3.4")
    assert served(cs, "Other port", "1.2.3.4")


def test_public_address_space():
    assert not holds_public(
        4, int.from_bytes(bytes([10, 0, 0, 0])), int.from_bytes(bytes([10, 255, 255, 255]))
    )
    assert holds_public(4, 0, (1 << 32) - 1)
    assert not holds_public(4, 2130706433, 2130706433)  # 127.0.0.1


def test_enums_written_as_numbers_are_read_as_flags():
    c = connectors({**DEFAULT_FRONTEND, "AuthMechanism": 33, "PermissionGroups": 5})[0]
    assert c.auth == {"Tls", "ExternalAuthoritative"}
    assert c.groups == {"AnonymousUsers", "ExchangeServers"}


def test_an_enum_number_outside_the_members_is_a_diagnostic_not_a_guess():
    model = build_model(
        read_json(
            "x.json",
            json.dumps({"ReceiveConnectors": [{**DEFAULT_FRONTEND, "AuthMechanism": 4096}]}),
        )
    )
    assert [d.kind for d in model.diagnostics] == ["invalid-value"]
    assert model.receive[0].auth == {"Tls"}


def test_format_list_continuation_lines_and_lists():
    text = (FIXTURES / "anonymous-relay-fl" / "ReceiveConnectors.txt").read_text()
    model: ExchangeModel = build_model(read_format_list("r.txt", text))
    first, second = model.receive
    assert [r.text for r in first.ranges] == [
        "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "0.0.0.0-255.255.255.255",
    ]
    assert [b.text for b in first.bindings] == ["[::]:25", "0.0.0.0:25"]
    assert first.role == "FrontendTransport" and first.groups >= {"AnonymousUsers"}
    assert second.banner == "220 EX01 Microsoft Exchange Server 2019 ready"
    assert model.has_permissions is False


@pytest.mark.parametrize(
    ("folder", "fmt"), [("defaults-json", "exchange-json"), ("anonymous-relay-fl", "exchange-fl")]
)
def test_detection_by_content(folder, fmt):
    (path,) = (FIXTURES / folder).iterdir()
    assert detect_format(path) == fmt


def test_unrelated_text_and_json_are_not_taken(tmp_path):
    (tmp_path / "notes.txt").write_text("Bindings are hard\nRemoteIPRanges : later\n")
    (tmp_path / "package.json").write_text('{"name": "x", "SendConnectors2": []}')
    assert detect_format(tmp_path / "notes.txt") is None
    assert detect_format(tmp_path / "package.json") is None


def finding_ids(folder: Path) -> list[str]:
    result = check([folder], RULES, Selection(), Options())
    assert result.problems == []
    return sorted(f.rule for f in result.findings)


def test_default_connectors_are_not_an_open_relay():
    ids = finding_ids(FIXTURES / "defaults-json")
    assert "MTA001" not in ids and "MSX001" not in ids
    # Client Frontend allows mail without TLS (NTLM needs none); Default Frontend, the one
    # connector the Internet reaches on port 25, greets with Exchange's own banner
    assert ids == ["MTA004", "MTA015"]


def test_exchange_default_greeting_is_reported_once_on_the_internet_connector():
    result = check([FIXTURES / "defaults-json"], RULES, Selection(), Options())
    [finding] = [f for f in result.findings if f.rule == "MTA015"]
    assert "Default Frontend EX01" in finding.message
    assert "Microsoft ESMTP MAIL Service" in finding.message


def test_format_list_without_ad_permissions_says_unknown_not_closed():
    from linter.mta.exchange import read_model

    sets, _ = discover([FIXTURES / "anonymous-relay-fl"])
    from linter.mta.exchange.posture import build_posture

    posture, _ = build_posture(read_model(sets[0], Options()))
    assert {listener.relay.verdict for listener in posture.listeners} == {"unknown"}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_format_list_with_and_without_bom(tmp_path, bom):
    text = (FIXTURES / "anonymous-relay-fl" / "ReceiveConnectors.txt").read_text()
    data = (codecs.BOM_UTF16_LE if bom else b"") + text.replace("\n", "\r\n").encode("utf-16-le")
    folder = _write(tmp_path, "rc.txt", data)
    ids = finding_ids(folder)
    assert "MTA007" in ids


def test_a_json_nesting_bomb_is_an_input_error(tmp_path):
    data = b'{"ReceiveConnectors": ' + b"[" * 100000 + b"]" * 100000 + b"}"
    folder = _write(tmp_path, "ExchangeSettings.json", data)
    assert finding_ids(folder) == ["MTA021"]


def test_a_file_over_the_size_limit_is_an_input_error(tmp_path):
    body = json.dumps({"ReceiveConnectors": [], "Pad": "x" * (11 * 1024 * 1024)}).encode()
    folder = _write(tmp_path, "ExchangeSettings.json", body)
    assert finding_ids(folder) == ["MTA021"]


@pytest.mark.parametrize(
    "value",
    [
        '"text"',
        "42",
        "[1, 2]",
        '[{"Bindings": {"a": [1]}, "RemoteIPRanges": 7, "AuthMechanism": [null]}]',
        "null",
    ],
)
def test_odd_json_values_never_crash(tmp_path, value):
    folder = _write(tmp_path, "ExchangeSettings.json", f'{{"ReceiveConnectors": {value}}}'.encode())
    finding_ids(folder)  # no exception, no internal error
    assert "MTL001" not in finding_ids(folder)


def test_a_named_file_without_a_telling_name_is_recognised_by_its_content(tmp_path):
    text = (FIXTURES / "anonymous-relay-fl" / "ReceiveConnectors.txt").read_text()
    (tmp_path / "ticket-4711").write_text(text)
    from linter.discover import sniff_format

    assert sniff_format(tmp_path / "ticket-4711") == "exchange-fl"
