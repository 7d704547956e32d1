"""``mtalint probe --online --domain DOMAIN``: MTA-STS (RFC 8461) against real pieces on
loopback: NSD serves each test domain's ``_mta-sts`` TXT record and ``mta-sts`` address,
the HTTPS policy server of tests/dns serves the policies (certificate of its own test CA),
and an SMTP server written here offers STARTTLS with a certificate made by openssl for the
names each case needs. The host probed is ``localhost`` (127.0.0.1 here), a name, as an
MX host is.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from linter.probe.findings import judge
from linter.probe.output import render
from linter.probe.run import ProbeRequest, ProbeUsageError, probe
from tests.dns.server import make_certificates, nsd, nsd_missing
from tests.paths import ROOT

pytestmark = pytest.mark.skipif(bool(nsd_missing()), reason=nsd_missing() or "")

HOST = "localhost"


def policy(mode: str, *mx: str) -> str:
    return (
        f"version: STSv1\r\nmode: {mode}\r\n"
        + "".join(f"mx: {m}\r\n" for m in mx)
        + ("max_age: 86400\r\n")
    )


def zone(record: bool = True) -> str:
    return "mta-sts IN A 127.0.0.1\n" + ('_mta-sts IN TXT "v=STSv1; id=1"\n' if record else "")


def url(domain: str) -> str:
    return f"https://mta-sts.{domain}/.well-known/mta-sts.txt"


# domain -> (zone text, policy served or None)
DOMAINS: dict[str, tuple[str, str | None]] = {
    "match.test": (zone(), policy("enforce", "mx.match.test", HOST)),
    # §4.1: case and a final dot do not matter
    "case.test": (zone(), policy("enforce", "LOCALHOST.")),
    "miss.test": (zone(), policy("enforce", "mx.miss.test")),
    "testing.test": (zone(), policy("testing", "mx.testing.test")),
    "testingok.test": (zone(), policy("testing", HOST)),
    # §4.1: "*." stands for exactly one leftmost label, so not for "localhost" itself
    "wild.test": (zone(), policy("enforce", f"*.{HOST}")),
    "none.test": (zone(), policy("none", "mx.none.test")),
    # a hostile policy: control characters and an overlong line in mx: patterns
    "hostile.test": (zone(), policy("enforce", "mx\x1b[31m.hostile.test", "a" * 5000)),
    # §3.1: no TXT record, no policy looked for (even though one is served)
    "norecord.test": (zone(record=False), policy("enforce", "mx.norecord.test")),
    # §3.3: a policy that cannot be fetched is no policy
    "absent.test": (zone(), None),
}


@pytest.fixture(scope="module")
def dns() -> Iterator[str]:
    zones: dict[str, str] = {d: z for d, (z, _) in DOMAINS.items()}
    zones.update({url(d): p for d, (_, p) in DOMAINS.items() if p is not None})
    with nsd(zones) as resolver:
        yield resolver


@contextlib.contextmanager
def smtp_server(context: ssl.SSLContext) -> Iterator[int]:
    """An SMTP server on 127.0.0.1 offering STARTTLS with ``context``; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def session(conn: socket.socket) -> None:
        with contextlib.suppress(OSError, ssl.SSLError), conn:
            conn.settimeout(10)
            stream: socket.socket = conn
            stream.sendall(b"220 localhost ESMTP\r\n")
            buffer = b""
            while True:
                data = stream.recv(1000)
                if not data:
                    return
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    verb = line.strip().upper()[:8]
                    if verb.startswith((b"EHLO", b"HELO")):
                        tls = isinstance(stream, ssl.SSLSocket)
                        stream.sendall(b"250-localhost\r\n" + (b"" if tls else b"250-STARTTLS\r\n"))
                        stream.sendall(b"250 8BITMIME\r\n")
                    elif verb == b"STARTTLS":
                        stream.sendall(b"220 go ahead\r\n")
                        stream = context.wrap_socket(conn, server_side=True)
                        buffer = b""
                    elif verb.startswith(b"QUIT"):
                        stream.sendall(b"221 bye\r\n")
                        return
                    else:
                        stream.sendall(b"502 not here\r\n")

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=session, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def tls_context(names: list[str], folder: Path) -> tuple[ssl.SSLContext, Path]:
    folder.mkdir()
    ca, cert, key = make_certificates(folder, names)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, ca


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """A server whose certificate names localhost."""
    context, ca = tls_context([HOST], tmp_path_factory.mktemp("good") / "c")
    with smtp_server(context) as port:
        yield port, ca


@pytest.fixture(scope="module")
def wrong_name(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """A server whose certificate names another host only."""
    context, ca = tls_context(["mail.elsewhere.test"], tmp_path_factory.mktemp("wrong") / "c")
    with smtp_server(context) as port:
        yield port, ca


def run(dns: str, server: tuple[int, Path], domain: str, trust: bool = True) -> tuple[dict, set]:
    port, ca = server
    request = ProbeRequest([f"{HOST}:{port}"], timeout=3, budget=60, online=True)
    request.resolver, request.domain = dns, domain
    request.ca_file = str(ca) if trust else None
    result = probe(request)
    findings = judge(result.facts)
    text = render("text", result, findings, colour=False)
    assert "MTA-STS: " in text, text
    return result.ports[0], {f.rule for f in findings}


def test_policy_matching_host_and_certificate_is_clean(dns, good):
    for domain, mode in (
        ("match.test", "enforce"),
        ("case.test", "enforce"),
        ("testingok.test", "testing"),
    ):
        facts, rules = run(dns, good, domain)
        sts = facts["mta_sts"]
        assert sts["checked"] and sts["mode"] == mode, sts
        assert sts["host_matched"] and sts["certificate_matched"], sts
        assert not sts["mismatch"], sts
        assert not rules & {"PRB026", "PRB027"}, rules


def test_enforce_policy_not_listing_the_host_is_an_error(dns, good):
    facts, rules = run(dns, good, "miss.test")
    sts = facts["mta_sts"]
    assert sts["mismatch"] and not sts["host_matched"], sts
    assert "no mx: pattern of the policy matches localhost" in sts["reason"]
    assert sts["certificate_matched"], sts  # the certificate is not what is wrong
    assert "PRB026" in rules and "PRB027" not in rules, rules


def test_testing_policy_not_listing_the_host_is_a_warning(dns, good):
    facts, rules = run(dns, good, "testing.test")
    assert facts["mta_sts"]["mismatch"] and facts["mta_sts"]["mode"] == "testing"
    assert "PRB027" in rules and "PRB026" not in rules, rules


def test_wildcard_stands_for_one_leftmost_label_only(dns, good):
    facts, rules = run(dns, good, "wild.test")
    assert not facts["mta_sts"]["host_matched"], facts["mta_sts"]
    assert "PRB026" in rules, rules


def test_certificate_not_valid_for_the_mx_host_is_an_error(dns, wrong_name):
    facts, rules = run(dns, wrong_name, "match.test")
    sts = facts["mta_sts"]
    assert sts["host_matched"] and not sts["certificate_matched"], sts
    assert "not valid for localhost (names: mail.elsewhere.test)" in sts["reason"], sts
    assert "PRB026" in rules, rules


def test_hostile_policy_lines_reach_no_message_raw(dns, good):
    port, ca = good
    request = ProbeRequest([f"{HOST}:{port}"], timeout=3, budget=60, online=True)
    request.resolver, request.domain, request.ca_file = dns, "hostile.test", str(ca)
    result = probe(request)
    findings = [f for f in judge(result.facts) if f.rule == "PRB026"]
    assert findings, result.ports[0]["mta_sts"]
    assert "\x1b" not in findings[0].message and "mx?[31m.hostile.test" in findings[0].message
    assert max(len(p) for p in result.ports[0]["mta_sts"]["mx"]) <= 253
    assert "\x1b" not in render("text", result, findings, colour=False)


def test_untrusted_certificate_under_enforce_is_an_error(dns, good):
    # the certificate names the host, but its CA is not one the sender trusts
    facts, rules = run(dns, good, "match.test", trust=False)
    sts = facts["mta_sts"]
    assert sts["host_matched"] and sts["certificate_matched"], sts
    assert facts["certificate"]["trusted"] is False, facts["certificate"]
    assert "not trusted" in sts["reason"], sts
    assert "PRB026" in rules, rules


@pytest.mark.parametrize(
    "domain, status",
    [
        ("none.test", "ok"),
        ("norecord.test", "no-record"),
        ("absent.test", "unfetchable"),
        # NSD refuses a zone it does not serve: not known, so not claimed either way
        ("nothere.test", "unverified"),
    ],
)
def test_no_policy_to_apply_claims_nothing(dns, good, domain, status):
    facts, rules = run(dns, good, domain)
    assert facts["mta_sts"]["checked"] is False, facts["mta_sts"]
    assert f"({status}" in facts["mta_sts"]["reason"], facts["mta_sts"]
    assert not rules & {"PRB026", "PRB027"}, rules


def test_policy_server_with_an_untrusted_certificate_is_no_policy(dns, good, monkeypatch):
    # §3.3: the policy host's certificate must verify; here the tool trusts the system
    # store only, so the test CA's policy server is not believed
    monkeypatch.delenv("MTALINT_CA_FILE")
    facts, rules = run(dns, good, "miss.test")
    assert (
        "(unfetchable: certificate of mta-sts.miss.test not valid" in facts["mta_sts"]["reason"]
    ), facts["mta_sts"]
    assert not rules & {"PRB026", "PRB027"}, rules


def test_submission_port_is_not_judged(dns, good):
    port, ca = good
    request = ProbeRequest([f"smtps://{HOST}:{port}"], timeout=3, budget=30, online=True)
    request.resolver, request.domain, request.ca_file = dns, "miss.test", str(ca)
    result = probe(request)
    assert "submission port" in result.ports[0]["mta_sts"]["reason"], result.ports[0]
    assert not {f.rule for f in judge(result.facts)} & {"PRB026", "PRB027"}


def test_session_cut_short_before_tls_claims_nothing(dns):
    """A greeting, then silence: the probe times out, which is not "no TLS"."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            held.append(conn)
            conn.sendall(b"220 localhost ESMTP\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        request = ProbeRequest([f"{HOST}:{listener.getsockname()[1]}"], timeout=1, online=True)
        request.resolver, request.domain = dns, "miss.test"
        result = probe(request)
    finally:
        listener.close()
        for conn in held:
            conn.close()
    sts = result.ports[0]["mta_sts"]
    assert sts["checked"] is False and "ended before TLS" in sts["reason"], sts
    assert not {f.rule for f in judge(result.facts)} & {"PRB026", "PRB027"}


def test_no_starttls_under_enforce_is_an_error(dns):
    """The session completes, but the server offers no STARTTLS: senders that honour an
    enforce policy do not deliver over plain text."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(5)
                conn.sendall(b"220 localhost ESMTP\r\n")
                for line in conn.makefile("rb"):
                    verb = line.strip().upper()[:4]
                    if verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                        return
                    conn.sendall(b"250 localhost\r\n" if verb == b"EHLO" else b"502 no\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        request = ProbeRequest([f"{HOST}:{listener.getsockname()[1]}"], timeout=2, online=True)
        request.resolver, request.domain = dns, "match.test"
        result = probe(request)
    finally:
        listener.close()
    sts = result.ports[0]["mta_sts"]
    assert sts["host_matched"] and "no TLS handshake" in sts["reason"], sts
    assert "PRB026" in {f.rule for f in judge(result.facts)}


@pytest.mark.parametrize(
    "domain, online, message",
    [
        ("miss.test", False, "--domain needs --online"),
        ("not a domain", True, "invalid --domain"),
        ("-bad.test", True, "invalid --domain"),
        ("single", True, "invalid --domain"),
    ],
)
def test_domain_usage_errors(domain, online, message):
    request = ProbeRequest(["127.0.0.1:1"], online=online)
    request.domain = domain
    with pytest.raises(ProbeUsageError, match=message):
        probe(request)


def test_command_line_reports_the_enforce_mismatch(dns, good):
    port, ca = good
    done = subprocess.run(
        [sys.executable, "-m", "linter", "probe", f"{HOST}:{port}", "--online"]
        + ["--resolver", dns, "--domain", "miss.test", "--ca-file", str(ca)]
        + ["--timeout", "3", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    found = [f for f in doc["findings"] if f["rule"] == "PRB026"]
    assert found and found[0]["severity"] == "error", doc["findings"]
    assert doc["probe"]["mta_sts"]["mode"] == "enforce", doc["probe"]
