"""The cross-MTA posture (linter/posture.py): what becomes facts, what is forgotten."""

from __future__ import annotations

from linter.posture import (
    Identity,
    Listener,
    Outbound,
    Posture,
    Relayhost,
    RelayPolicy,
    TlsSettings,
)


def listener(address: str = "*", **fields: object) -> Listener:
    values: dict[str, object] = {
        "name": "smtp",
        "address": address,
        "port": 25,
        "role": "smtp",
        "public": True,
        "tls": "optional",
        "auth": "none",
        "auth_before_tls": False,
        "auth_plaintext_mechanisms": False,
        "relay": RelayPolicy("closed", ["127.0.0.0/8"]),
        "tls_certificate": True,
        "anonymous_tls": False,
    }
    return Listener(**{**values, **fields})  # type: ignore[arg-type]


def posture(*listeners: Listener) -> Posture:
    return Posture(
        mta="postfix",
        roles=["mx"],
        listeners=list(listeners),
        outbound=Outbound(
            Relayhost("[relay.example.net]", "relay.example.net", None, "", False),
            "none",
            "",
            False,
            False,
            False,
        ),
        tls=TlsSettings([], [], [], [], "", "", "", ""),
        identity=Identity("mx.example.com", "example.com", "example.com", ["example.com"]),
    )


def test_a_forgotten_fact_is_left_out_of_the_facts() -> None:
    p = posture(listener(), listener("127.0.0.1"))
    p.forget("outbound.relayhost")
    p.forget("listeners[1].tls")
    flat = p.to_dict()
    assert "relayhost" not in flat["outbound"] and flat["outbound"]["tls"] == "none"
    assert "tls" in flat["listeners"][0] and "tls" not in flat["listeners"][1]
    assert "unknown" not in flat
    # the order of what is left is the order of the fields (the parse document shows it)
    assert list(flat) == [
        "mta",
        "roles",
        "listeners",
        "outbound",
        "tls",
        "identity",
        "notes",
        "tls_listeners",
    ]


def test_what_lies_below_a_forgotten_fact_is_not_known() -> None:
    p = posture(listener())
    p.forget("outbound")
    p.forget("listeners[0].relay.networks")
    assert not p.known("outbound") and not p.known("outbound.relayhost.host")
    assert p.known("identity.hostname") and p.known("listeners[0].relay.verdict")
    assert not p.known("listeners[0].relay.networks")
    assert p.known("listeners[1].relay.networks")  # another listener's
    flat = p.to_dict()
    assert "outbound" not in flat
    assert "networks" not in flat["listeners"][0]["relay"]
    assert flat["listeners"][0]["relay"]["verdict"] == "closed"


def test_forgetting_what_is_not_there_changes_nothing() -> None:
    p = posture()
    before = p.to_dict()
    p.forget("listeners[3].tls")
    p.forget("outbound.relayhost.port.none")
    assert p.to_dict() == before
