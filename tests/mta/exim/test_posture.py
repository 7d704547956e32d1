"""The Exim posture's readings of single settings, and the smarthost against ``exim -bt``.

The relay verdict, STARTTLS and AUTH are compared with real SMTP sessions in
test_relay.py; here: where mail goes out (``exim4 -bt ADDRESS`` prints the router,
transport, host and port Exim would use), and the small readings the posture is built on,
with expected values taken from the Exim specification.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from linter.discover import discover
from linter.mta import Options
from linter.mta.exim import read_model
from linter.mta.exim.posture import _TLS_GATE, _Builder, authenticators, build_posture, interface
from tests.mta.exim.oracle_bv import exim_missing, parse_bp_drivers, run_exim


def model_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "exim.conf"
    path.write_text(text)
    sets, _ = discover([path])
    model, diagnostics, _ = read_model(sets[0], Options())
    assert model is not None and not [d for d in diagnostics if d.fatal]
    return model


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("192.0.2.1", ("192.0.2.1", None)),
        ("192.0.2.1.2525", ("192.0.2.1", 2525)),  # spec: "a dot and a port number"
        ("[::1]:2525", ("::1", 2525)),
        ("::1", ("::1", None)),
        ("0.0.0.0", ("0.0.0.0", None)),  # noqa: S104 - a value read, not bound
    ],
)
def test_local_interfaces_items(item: str, expected: tuple[str, int | None]) -> None:
    assert interface(item) == expected


@pytest.mark.parametrize(
    ("condition", "gated"),
    [
        ("${if def:tls_in_cipher }", True),  # the spec's "Avoiding cleartext use"
        ("${if def:tls_cipher}", True),
        ("${if !eq{$tls_in_cipher}{}}", True),
        ("${if eq{$tls_in_cipher}{}{no}{yes}}", True),
        ("${if eq{$tls_in_cipher}{}{yes}{no}}", False),  # only WITHOUT TLS
        ("${if def:sender_host_address}", False),
        ("yes", False),
    ],
)
def test_tls_gate_idioms(condition: str, gated: bool) -> None:
    assert bool(_TLS_GATE.match(condition)) is gated


@pytest.mark.parametrize(
    ("openssl_options", "priority", "expected"),
    [
        # Debian's GnuTLS build: NORMAL accepts TLS 1.0 to 1.3 (test_tls_live.py)
        ("", "", ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        ("-no_sslv3", "", ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        ("+no_tlsv1 +no_tlsv1_1", "", ["TLSv1.2", "TLSv1.3"]),
        ("", "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1", ["TLSv1.2", "TLSv1.3"]),
        # GnuTLS then offers no TLS 1.3 either (a handshake with Exim shows it)
        ("", "NORMAL:-VERS-TLS1.2", ["TLSv1", "TLSv1.1"]),
        ("", "NORMAL:+VERS-SSL3.0", ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    ],
)
def test_protocols(openssl_options: str, priority: str, expected: list[str]) -> None:
    assert _Builder.protocols(openssl_options, priority) == expected


def test_authenticators(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        "primary_hostname = mx.example.com\nbegin authenticators\n"
        "plain:\n  driver = plaintext\n  public_name = PLAIN\n  server_condition = yes\n"
        "  server_advertise_condition = ${if def:tls_in_cipher }\n"
        "login:\n  driver = plaintext\n  public_name = LOGIN\n  client_send = : user : secret\n"
        "  client_condition = ${if def:tls_out_cipher}\n"
        "cram:\n  driver = cram_md5\n  public_name = CRAM-MD5\n  server_secret = x\n",
    )
    got = {
        a.name: (a.server, a.client, a.plaintext, a.advertised, a.client_tls_gated)
        for a in authenticators(model)
    }
    assert got == {
        "plain": (True, False, True, "tls", False),
        "login": (False, True, True, "always", True),
        "cram": (True, False, False, "always", False),
    }


def test_banner_expansion(tmp_path: Path) -> None:
    model = model_of(tmp_path, "primary_hostname = mx.example.com\n")
    listener = build_posture(model)[0].listeners[0]
    # the default banner (spec: smtp_banner) with Debian 12's version
    assert listener.banner == "$smtp_active_hostname ESMTP Exim $version_number $tod_full"
    assert listener.banner_expanded == "mx.example.com ESMTP Exim 4.96 $tod_full"


def test_listeners_from_ports_and_interfaces(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        "primary_hostname = mx.example.com\n"
        "daemon_smtp_ports = smtp : 587 : 465\ntls_on_connect_ports = 465\n"
        "local_interfaces = <; 127.0.0.1 ; ::1 ; 192.0.2.1.2525\n"
        "acl_smtp_rcpt = acl_check_rcpt\nbegin acl\nacl_check_rcpt:\n  accept authenticated = *\n",
    )
    got = [(li.name, li.role, li.public, li.tls) for li in build_posture(model)[0].listeners]
    assert got == [
        ("127.0.0.1, ::1:25", "smtp", False, "optional"),
        ("127.0.0.1, ::1:587", "submission", False, "optional"),
        ("127.0.0.1, ::1:465", "submissions", False, "implicit"),
        ("192.0.2.1:2525", "other", True, "optional"),
    ]
    # with acl_smtp_rcpt unset nothing is accepted: 587 and 465 take no submissions
    model = model_of(tmp_path, "primary_hostname = mx.example.com\ndaemon_smtp_ports = 25 : 587\n")
    assert [li.role for li in build_posture(model)[0].listeners] == ["smtp", "other"]


# ---------------------------------------------------------------- smarthost vs exim -bt

HOSTS = ["192.0.2.25", "192.0.2.25::587", "192.0.2.25::465", "192.0.2.25::2525"]
TRANSPORT_PORTS = [None, "25", "587", "submission", "465"]
PROTOCOLS = [None, "smtps"]


def smarthost_config(seed: int) -> str:
    rng = random.Random(seed)
    lines = [
        "primary_hostname = mx.example.com",
        "domainlist local_domains = @ : example.com",
        "begin routers",
        "smarthost:",
        "  driver = manualroute",
        "  domains = ! +local_domains",
        "  transport = remote_smtp",
        f"  route_list = * {rng.choice(HOSTS)}",
        "begin transports",
        "remote_smtp:",
        "  driver = smtp",
    ]
    port = rng.choice(TRANSPORT_PORTS)
    if port is not None:
        lines.append(f"  port = {port}")
    protocol = rng.choice(PROTOCOLS)
    if protocol is not None:
        lines.append(f"  protocol = {protocol}")
    return "\n".join(lines) + "\n"


SERVICES = {"smtp": 25, "submission": 587, "smtps": 465}


@pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or "")
@pytest.mark.parametrize("seed", range(24))
def test_smarthost_matches_exim_bt(seed: int, tmp_path: Path) -> None:
    text = smarthost_config(seed)
    model = model_of(tmp_path, text)
    relayhost = build_posture(model)[0].outbound.relayhost
    config = tmp_path / "exim.conf"
    rc, out, err = run_exim(config, "-bt", "victim@external.example.org")
    assert rc == 0, err
    m = re.search(r"host (\S+) \[\S+\](?: port=(\d+))?", out)
    assert m is not None, out
    assert relayhost is not None
    assert relayhost.host == m.group(1)
    if m.group(2):
        port = int(m.group(2))  # a port given with the host wins
    else:
        rc, out, _ = run_exim(config, "-bP", "transport", "remote_smtp")
        options = parse_bp_drivers("remote_smtp transport:\n" + out, "transport")
        value = options[("transport", "remote_smtp")]["port"]
        port = SERVICES.get(value) or int(value)
        if value == "smtp" and options[("transport", "remote_smtp")]["protocol"] == "smtps":
            port = 465  # spec, protocol: smtps changes the default port to 465
    assert (relayhost.port or 25) == port, text
