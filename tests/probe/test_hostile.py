"""``mtalint probe`` against hostile servers written here, on 127.0.0.1: each misbehaviour
is a clear finding (PRB002) within the time limits, and a refused port is PRB001."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from linter.probe.findings import judge
from linter.probe.run import ProbeRequest, probe
from linter.probe.smtp import MAX_REPLY_BYTES

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
