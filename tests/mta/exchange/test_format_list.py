"""How Format-List text is read where pastes get messy, and what stays unknown.

The shapes come from real pastes (tests/fixtures/exchange/README.md): double-spaced
lines, prose and prompts around the output, chosen properties only. Format-List shows at
most $FormatEnumerationLimit items of a list and then "..." (about_Preference_Variables,
https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_preference_variables):
the items after it are not known, so no verdict may rest on their absence.
"""

from __future__ import annotations

from pathlib import Path

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.exchange.model import ExchangeModel, build_model
from linter.mta.exchange.posture import build_posture
from linter.mta.exchange.records import read_format_list

RULES = list(builtin_rules())


def model(text: str) -> ExchangeModel:
    return build_model(read_format_list("r.txt", text))


def findings(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "ReceiveConnectors.txt").write_text(text)
    result = check([tmp_path], RULES, Selection(), Options())
    assert result.problems == []
    return sorted(f.rule for f in result.findings)


def verdicts(m: ExchangeModel) -> dict[str, str]:
    posture, _ = build_posture(m)
    return {listener.name: listener.relay.verdict for listener in posture.listeners}


def test_a_wrapped_list_in_a_double_spaced_paste_continues_after_the_blank_line():
    m = model(
        "Name             : Relay  \n\n"
        "Bindings         : {0.0.0.0:25}  \n\n"
        "RemoteIPRanges   : {10.0.0.1, 10.0.0.2,  \n\n"
        "                   10.0.0.3}  \n\n"
        "AuthMechanism    : Tls  \n\n"
        "PermissionGroups : AnonymousUsers  \n"
    )
    [c] = m.receive
    assert [r.text for r in c.ranges] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]


def test_a_double_spaced_paste_whose_wrapped_value_goes_on_right_below():
    m = model(
        "Name             : Relay  \n\n"
        "Bindings         : {0.0.0.0:25}  \n\n"
        "RemoteIPRanges   : {10.0.0.1, 10.0.0.2,  \n"
        "                   10.0.0.3}  \n\n"
        "AuthMechanism    : Tls  \n\n"
        "PermissionGroups : AnonymousUsers  \n"
    )
    [c] = m.receive
    assert [r.text for r in c.ranges] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert c.auth == {"Tls"} and c.groups == {"AnonymousUsers"}


def test_objects_without_a_blank_line_between_them_split_at_the_repeated_property():
    m = model(
        "Name           : A\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {10.0.0.1}\n"
        "Name           : B\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {10.0.0.2}\n"
    )
    assert [(c.name, [r.text for r in c.ranges]) for c in m.receive] == [
        ("A", ["10.0.0.1"]),
        ("B", ["10.0.0.2"]),
    ]


def test_a_prompt_between_objects_ends_the_first_and_indented_text_after_it_is_no_value():
    m = model(
        "Name           : A\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {10.0.0.1}\n"
        "[PS] C:\\>Get-ReceiveConnector B | fl\n"
        "   220 mail.example.com ready\n"
        "Name           : B\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {10.0.0.2}\n"
    )
    assert [[r.text for r in c.ranges] for c in m.receive] == [["10.0.0.1"], ["10.0.0.2"]]
    assert m.diagnostics[0].kind == "missing-property"  # no AuthMechanism, no groups


FRONTEND = (
    "Name             : Default Frontend EX01\n"
    "Bindings         : {0.0.0.0:25}\n"
    "RemoteIPRanges   : {0.0.0.0-255.255.255.255}\n"
    "TransportRole    : FrontendTransport\n"
    "PermissionGroups : AnonymousUsers, ExchangeServers\n"
)


def test_without_banner_in_the_paste_the_greeting_is_not_judged(tmp_path):
    text = FRONTEND + "AuthMechanism    : Tls\nRequireTLS       : False\n"
    assert "MTA015" not in findings(tmp_path, text)
    assert "MTA015" in findings(tmp_path, text + "Banner           :\n")


def test_without_require_tls_in_the_paste_basic_auth_before_tls_is_not_claimed():
    text = FRONTEND + "AuthMechanism    : Tls, BasicAuth\n"
    posture, _ = build_posture(model(text))
    assert posture.listeners[0].auth_before_tls is False
    posture, _ = build_posture(model(text + "RequireTLS       : False\n"))
    assert posture.listeners[0].auth_before_tls is True


CUT = (
    "Name             : Relay\n"
    "Bindings         : {0.0.0.0:25}\n"
    "RemoteIPRanges   : {10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4...}\n"
    "AuthMechanism    : Tls\n"
    "PermissionGroups : AnonymousUsers, Custom\n"
)


def test_another_connectors_list_cut_short_leaves_an_open_relay_verdict_unknown(tmp_path):
    # ExternalAuthoritative lets every client of Default Frontend relay; Relay's hidden
    # entries may be narrower ranges that take the Internet away from it
    front = FRONTEND + "AuthMechanism    : Tls, ExternalAuthoritative\n"
    assert verdicts(model(front))["Default Frontend EX01"] == "open"
    assert "MSX001" in findings(tmp_path, front)
    both = front + "\n" + CUT
    assert verdicts(model(both))["Default Frontend EX01"] == "unknown"
    ids = findings(tmp_path, both)
    assert "MSX001" not in ids and "MTA001" not in ids and "MSX003" in ids


def test_its_own_list_cut_short_leaves_a_networks_verdict_unknown():
    relay = CUT.replace("AuthMechanism    : Tls", "AuthMechanism    : Tls, ExternalAuthoritative")
    assert verdicts(model(relay.replace("4...}", "4}")))["Relay"] == "networks"
    # the fifth entry may be 0.0.0.0-255.255.255.255
    assert verdicts(model(relay))["Relay"] == "unknown"


def test_what_its_own_shortened_list_shows_already_opens_it():
    relay = (
        "Name             : Relay\n"
        "Bindings         : {0.0.0.0:25}\n"
        "RemoteIPRanges   : {0.0.0.0-255.255.255.255, 10.0.0.1, 10.0.0.2, 10.0.0.3...}\n"
        "AuthMechanism    : Tls, ExternalAuthoritative\n"
        "PermissionGroups : ExchangeServers\n"
    )
    assert verdicts(model(relay))["Relay"] == "open"


def test_more_objects_than_the_limit_is_a_finding_not_a_stall():
    from linter.mta.exchange.records import MAX_RECORDS

    m = model("Name : A\n" * (MAX_RECORDS + 5))
    assert [d.kind for d in m.diagnostics] == ["limit-exceeded"]


def test_a_long_wrapped_list_in_a_double_spaced_paste_is_read_whole():
    lines = "".join(f"   10.0.{i // 250}.{i % 250 + 1},  \n\n" for i in range(3000))
    m = model(
        "Name : A  \n\nBindings : {0.0.0.0:25}  \n\n"
        f"RemoteIPRanges : {{10.1.0.1,  \n\n{lines}   10.1.0.2}}  \n"
    )
    assert len(m.receive[0].ranges) == 3002


def test_an_enum_name_the_console_split_in_two_is_joined_again():
    m = model(
        "Name             : Default Frontend EX01\n"
        "Bindings         : {0.0.0.0:25}\n"
        "RemoteIPRanges   : {0.0.0.0-255.255.255.255}\n"
        "AuthMechanism    : Tls\n"
        "PermissionGroups : AnonymousUsers, ExchangeServers, ExchangeLegacyServe\n"
        "                   rs\n"
    )
    assert m.receive[0].groups == {"AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"}
    assert m.diagnostics == []


def test_permission_groups_that_cannot_be_read_leave_the_relay_unknown_not_closed():
    m = model(
        "Name             : Relay\n"
        "Bindings         : {0.0.0.0:25}\n"
        "RemoteIPRanges   : {10.0.0.0/8}\n"
        "AuthMechanism    : Tls\n"
        "PermissionGroups : AnonymousUsers, Everyone\n"
    )
    assert [d.kind for d in m.diagnostics] == ["invalid-value"]
    assert verdicts(m)["Relay"] == "unknown"


def test_another_connectors_unreadable_range_leaves_an_open_relay_verdict_unknown():
    front = FRONTEND + "AuthMechanism    : Tls, ExternalAuthoritative\n"
    other = CUT.replace("10.0.0.4...}", "10.0.0.4, 10.0.0.300}")
    assert verdicts(model(front + "\n" + other))["Default Frontend EX01"] == "unknown"


SEND = (
    "Name                   : To smart host\n"
    "AddressSpaces          : {SMTP:*;1}\n"
    "DNSRoutingEnabled      : False\n"
    "SmartHosts             : {[192.0.2.25]}\n"
    "Port                   : 25\n"
    "SmartHostAuthMechanism : BasicAuth\n"
)


def test_a_send_connector_paste_without_require_tls_claims_no_credentials_in_clear(tmp_path):
    # Set-SendConnector: BasicAuth sends the password whether or not TLS is up unless
    # RequireTLS is $true; a paste that leaves RequireTLS out cannot say which
    (tmp_path / "SendConnectors.txt").write_text(SEND)
    result = check([tmp_path], RULES, Selection(), Options())
    ids = sorted(f.rule for f in result.findings)
    assert "MTA011" not in ids and "MSX003" in ids
    (tmp_path / "SendConnectors.txt").write_text(SEND + "RequireTLS             : False\n")
    result = check([tmp_path], RULES, Selection(), Options())
    assert "MTA011" in {f.rule for f in result.findings}


def test_an_empty_list_is_no_entry_and_no_error():
    m = model(
        "Name             : Spare\n"
        "Bindings         : {}\n"
        "RemoteIPRanges   : {}\n"
        "AuthMechanism    : None\n"
        "PermissionGroups : None\n"
    )
    [c] = m.receive
    assert (c.bindings, c.ranges, c.auth, c.groups) == ([], [], set(), set())
    assert m.diagnostics == [] and verdicts(m) == {}  # no binding: no listener
