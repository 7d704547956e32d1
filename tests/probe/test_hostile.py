"""``mtalint probe`` against hostile servers written here, on 127.0.0.1: each misbehaviour
is a clear finding (PRB002) within the time limits, and a refused port is PRB001."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from linter.probe.findings import judge
from linter.probe.output import render
from linter.probe.run import ProbeRequest, ProbeUsageError, Target, parse_target, probe
from linter.probe.smtp import MAX_REPLY_BYTES
from tests.dns.server import nsd, nsd_missing

TIMEOUT = 1.5


@contextlib.contextmanager
def server(handler: Callable[[socket.socket], None]) -> Iterator[int]:
    """A one-thread-per-client server on 127.0.0.1; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_guard, args=(handler, conn, stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _guard(
    handler: Callable[[socket.socket], None], conn: socket.socket, stop: threading.Event
) -> None:
    with conn, contextlib.suppress(OSError):
        conn.settimeout(10)
        handler(conn)


def endless_greeting(conn: socket.socket) -> None:
    for _ in range(100_000):
        conn.sendall(b"220-still greeting you\r\n")


def huge_ehlo(conn: socket.socket) -> None:
    conn.sendall(b"220 hostile.example ESMTP\r\n")
    conn.recv(1000)
    conn.sendall(b"250-hostile.example\r\n250 " + b"X" * (MAX_REPLY_BYTES + 10) + b"\r\n")


def silent(conn: socket.socket) -> None:
    time.sleep(TIMEOUT * 4)


def drops_after_starttls(conn: socket.socket) -> None:
    conn.sendall(b"220 hostile.example ESMTP\r\n")
    while True:
        data = conn.recv(1000)
        if not data:
            return
        if data.upper().startswith(b"EHLO"):
            conn.sendall(b"250-hostile.example\r\n250 STARTTLS\r\n")
        elif data.upper().startswith(b"STARTTLS"):
            conn.sendall(b"220 go ahead\r\n")
            return
        else:
            conn.sendall(b"250 ok\r\n")


def slow_drip(conn: socket.socket) -> None:
    # a byte at a time, each well inside the read timeout: only a bound on the whole
    # reply stops it
    for byte in b"220 " + b"x" * 10_000:
        conn.sendall(bytes([byte]))
        time.sleep(TIMEOUT / 5)


def run(port: int) -> tuple[dict, list]:
    start = time.monotonic()
    result = probe(ProbeRequest([f"127.0.0.1:{port}"], timeout=TIMEOUT, budget=20))
    took = time.monotonic() - start
    assert took < TIMEOUT * 6, f"the probe took {took:.1f}s"
    return result.ports[0], judge(result.facts)


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (endless_greeting, "too-many-lines"),
        (huge_ehlo, "too-long"),
        (silent, "timeout"),
        (drops_after_starttls, "tls"),
        (slow_drip, "timeout"),
    ],
    ids=lambda x: getattr(x, "__name__", x),
)
def test_hostile_server_is_a_clear_finding_within_the_timeout(handler, kind):
    with server(handler) as port:
        facts, findings = run(port)
    assert facts["error_kind"] == kind, facts
    assert [f.rule for f in findings if f.rule == "PRB002"] == ["PRB002"], findings
    assert "PRB001" not in {f.rule for f in findings}


def test_refused_port_is_said_plainly():
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    facts, findings = run(port)
    assert facts["reachable"] is False and facts["error_kind"] == "refused"
    assert [f.rule for f in findings] == ["PRB001"]
    assert "refused" in findings[0].message


def test_a_well_behaved_plain_server_is_not_flagged_as_misbehaving():
    def plain(conn: socket.socket) -> None:
        conn.sendall(b"220 mx.example.test ESMTP\r\n")
        buffer = b""
        while True:
            data = conn.recv(1000)
            if not data:
                return
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                verb = line.strip().upper()[:4]
                if verb == b"EHLO":
                    conn.sendall(b"250-mx.example.test\r\n250 SIZE 1000\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                elif verb in (b"VRFY", b"EXPN"):
                    conn.sendall(b"502 5.5.1 command not implemented\r\n")
                else:
                    conn.sendall(b"250 ok\r\n")

    with server(plain) as port:
        facts, findings = run(port)
    assert "error" not in facts, facts
    assert facts["size"] == 1000 and facts["starttls"] is False
    rules = {f.rule for f in findings}
    # no TLS is the finding; no misbehaviour, no banner disclosure, no VRFY
    assert rules == {"PRB006"}, findings


# --------------------------------------------------------------------------- implicit TLS


@pytest.fixture(scope="module")
def tls_server_context(tmp_path_factory) -> ssl.SSLContext:
    from tests.probe.live import make_certs

    certs = make_certs(tmp_path_factory.mktemp("certs"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs / "server.pem", certs / "server.key")
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def smtp_over(conn: socket.socket | ssl.SSLSocket) -> None:
    conn.sendall(b"220 slow.example ESMTP\r\n")
    buffer = b""
    while True:
        data = conn.recv(1000)
        if not data:
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            verb = line.strip().upper()[:4]
            if verb == b"EHLO":
                conn.sendall(b"250-slow.example\r\n250 AUTH PLAIN\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 no\r\n")


def test_cipher_enumeration_stops_at_its_budget_and_says_so(tls_server_context):
    """A server that takes 0.3 s per connection and accepts dozens of suites: the
    enumeration gets at most half the time left, then stops with a PRB023 note."""

    def slow_tls(conn: socket.socket) -> None:
        time.sleep(0.3)
        with tls_server_context.wrap_socket(conn, server_side=True) as tls_conn:
            smtp_over(tls_conn)

    budget = 6.0
    with server(slow_tls) as port:
        start = time.monotonic()
        result = probe(ProbeRequest([f"smtps://127.0.0.1:{port}"], timeout=TIMEOUT, budget=budget))
        took = time.monotonic() - start
    facts, findings = result.ports[0], judge(result.facts)
    assert took < budget + TIMEOUT, took
    assert facts["implicit_tls"] and facts["tls_handshake"], facts
    assert facts["cipher_enumeration"].startswith("stopped after"), facts
    assert facts["ciphers_accepted"]["TLSv1.2"], facts
    assert "PRB023" in {f.rule for f in findings}
    # the certificate check after the enumeration still had time
    assert "trusted" in facts["certificate"], facts.get("step_errors")
    text = render("text", result, findings, colour=False)
    assert "suites accepted: TLSv1.2 " in text and "(stopped after" in text, text


def test_plaintext_on_an_smtps_target_is_a_clear_tls_finding():
    def plain(conn: socket.socket) -> None:
        conn.sendall(b"220 plain.example ESMTP \x1b[31mred\r\n")
        time.sleep(1)

    with server(plain) as port:
        start = time.monotonic()
        result = probe(ProbeRequest([f"smtps://127.0.0.1:{port}"], timeout=TIMEOUT, budget=20))
        took = time.monotonic() - start
    facts, findings = result.ports[0], judge(result.facts)
    assert took < TIMEOUT * 3, took
    assert facts["error_kind"] == "tls" and facts["implicit_tls"] is True, facts
    assert [f.rule for f in findings if f.rule == "PRB002"] == ["PRB002"]
    assert not any("\x1b" in f.message for f in findings)


@pytest.mark.parametrize(
    ("text", "host", "ports", "implicit"),
    [
        ("smtps://mx.example.test", "mx.example.test", (465,), True),
        ("smtps://mx.example.test:4465", "mx.example.test", (4465,), True),
        ("SMTPS://[::1]:4465/", "::1", (4465,), True),
        ("smtp://mx.example.test", "mx.example.test", (25,), False),
        ("smtp://127.0.0.1:465", "127.0.0.1", (465,), False),
        ("mx.example.test", "mx.example.test", (25, 465, 587), None),
        ("mx.example.test:2525", "mx.example.test", (2525,), None),
    ],
)
def test_target_schemes(text, host, ports, implicit):
    assert parse_target(text, (25, 465, 587)) == Target(host, ports, implicit)


@pytest.mark.parametrize(
    "text", ["https://mx.example.test", "smtps://", "smtps://user@mx.example.test", "smtp://a/b"]
)
def test_bad_targets_are_usage_errors(text):
    with pytest.raises(ProbeUsageError):
        parse_target(text, (25,))


def test_text_report_shows_dane_without_raw_control_characters():
    from linter.facts import Facts
    from linter.probe.run import ProbeResult
    from linter.source import Span

    entry = {
        "name": "mx.example.test:25",
        "host": "mx.example.test",
        "address": "192.0.2.1",
        "port": 25,
        "reachable": True,
        "greeting_code": 220,
        "greeting": "mx.example.test ESMTP \x1b[2J",
        "dane": {
            "checked": True,
            "query": "_25._tcp.mx.example.test",
            "status": "ok",
            "dnssec": False,
            "records": ["3 1 1 00"],
            "matched": [],
            "unchecked": [],
            "mismatch": True,
            "reason": "no TLSA record matches the certificate the port presents",
        },
    }
    facts = Facts()
    facts.set("probe", {"ports": [entry], "drift": [], "config": ""})
    facts.spans["probe.ports[0]"] = Span(entry["name"], 1)
    result = ProbeResult(facts, [entry])
    findings = judge(facts)
    assert [f.rule for f in findings if f.rule.startswith("PRB02")] == ["PRB025"]
    text = render("text", result, findings, colour=False)
    assert "DANE: _25._tcp.mx.example.test ok, DNSSEC not validated: no TLSA record" in text
    assert "\x1b" not in text
    entry["dane"]["dnssec"] = True
    assert "PRB024" in {f.rule for f in judge(facts)}


@pytest.mark.skipif(nsd_missing(), reason="needs nsd")
def test_dane_claims_nothing_when_the_session_ended_before_tls():
    """A port that timed out or dropped the session before STARTTLS is not a port
    without TLS: its TLSA records are neither matched nor reported as mismatched."""
    from linter.dns import parse_resolver
    from linter.dns.resolver import Resolver, ResolverSettings
    from linter.probe import dane

    zone = (
        "$TTL 300\n@ SOA ns.example.test. h.example.test. 1 3600 600 86400 300\n"
        "@ NS ns.example.test.\nns A 127.0.0.1\nmx A 127.0.0.1\n"
        "_25._tcp.mx TLSA 3 1 1 " + "ab" * 32 + "\n"
    )
    with nsd({"example.test": zone}) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(address=host, port=port, budget=5.0))
        entry = {"host": "mx.example.test", "port": 25, "reachable": True}
        cut = dane.check(resolver, {**entry, "error": "timed out after 10 s"})
        assert cut["records"] and cut["mismatch"] is False and cut["checked"] is False
        # the same records on a port that answered without offering TLS: a mismatch
        plain = dane.check(resolver, {**entry, "tls_handshake": False})
        assert plain["mismatch"] is True and plain["reason"].endswith("no TLS handshake")
