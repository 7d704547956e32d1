"""The cross-MTA posture (linter/posture.py): what becomes facts, what is forgotten."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.check import analyse_set
from linter.discover import discover
from linter.mta import Options
from linter.posture import (
    Identity,
    Listener,
    Outbound,
    Posture,
    Relayhost,
    RelayPolicy,
    TlsSettings,
    reach,
)


def listener(address: str = "*", **fields: object) -> Listener:
    values: dict[str, object] = {
        "name": "smtp",
        "address": address,
        "port": 25,
        "role": "smtp",
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


# ---------------------------------------------------------------- exposure and public


@pytest.mark.parametrize(
    ("address", "exposure", "public"),
    [
        ("*", "public", True),
        ("0.0.0.0", "public", True),
        ("192.0.2.25", "public", True),
        # a private address may be forwarded to: public, but its exposure says private
        ("192.168.1.5", "private", True),
        ("127.0.0.1", "loopback", False),
        ("[::1]", "loopback", False),
        ("127.0.0.1, ::1", "loopback", False),
        ("127.0.0.1, 192.0.2.25", "public", True),  # the widest address counts
        # host names: localhost is this host, whatever the MTA; a name mtalint cannot
        # resolve is unknown (never public), and counts as reachable like the rules say
        ("localhost", "loopback", False),
        ("LOCALHOST", "loopback", False),
        ("ip6-localhost", "loopback", False),
        ("mail.example.com", "unknown", True),
        ("PH_LOCAL_ADDRESS", "unknown", True),
    ],
)
def test_exposure_and_public_from_the_address(address: str, exposure: str, public: bool) -> None:
    assert reach(address) == (exposure, public)
    li = listener(address)
    assert (li.exposure, li.public) == (exposure, public)


@pytest.mark.parametrize(
    ("address", "exposure"),
    [("*", "private"), ("192.0.2.25", "private"), ("192.168.1.5", "private")]
    + [("127.0.0.1", "loopback"), ("mail.example.com", "private")],
)
def test_an_mta_that_admits_only_nearby_clients(address: str, exposure: str) -> None:
    # hMailServer's IP ranges, Exchange's RemoteIPRanges: no stranger may connect
    assert reach(address, strangers_admitted=False) == (exposure, False)
    li = listener(address, public=False)
    assert (li.exposure, li.public) == (exposure, False)


def test_a_listener_rebuilt_keeps_its_exposure() -> None:
    from dataclasses import replace

    li = listener("*", public=False)
    again = replace(li, name="other")
    assert (again.exposure, again.public) == ("private", False)


def listeners_of(tmp_path: Path, name: str, text: str) -> list[dict[str, object]]:
    (tmp_path / name).write_text(text)
    sets, _ = discover([tmp_path])
    analysis = analyse_set(sets[0], Options())
    posture = analysis.facts.get("posture")
    assert analysis.posture is not None and analysis.posture.to_dict()["listeners"] == [
        {k: v for k, v in li.items() if k != "param"} for li in posture["listeners"]
    ]
    return list(posture["listeners"])


def test_postfix_on_ip6_localhost_is_not_public(tmp_path: Path) -> None:
    # a name for ::1 (Debian's /etc/hosts): the exposure said loopback, public said
    # otherwise, and the host was taken for an MX
    found = listeners_of(
        tmp_path,
        "main.cf",
        "myhostname = mx.example.com\nmydestination = example.com\n"
        "inet_interfaces = ip6-localhost\n",
    )
    assert [(li["exposure"], li["public"]) for li in found] == [("loopback", False)]


def test_sendmail_on_ip6_localhost_is_not_public(tmp_path: Path) -> None:
    found = listeners_of(
        tmp_path,
        "sendmail.mc",
        "OSTYPE(`linux')dnl\nDAEMON_OPTIONS(`Port=smtp,Addr=ip6-localhost, Name=MTA')dnl\n"
        "MAILER(`smtp')dnl\n",
    )
    mta = next(li for li in found if li["name"] == "MTA")
    assert (mta["exposure"], mta["public"]) == ("loopback", False)
