"""Real DNS servers for the online tests, on 127.0.0.1 with a free port.

* :func:`nsd`: NSD (Debian's ``nsd``, installed by .ci/run), authoritative for the zones
  given as zone-file text, started in the foreground and stopped afterwards;
* :func:`silent`: a UDP and TCP socket that take queries and never answer (timeouts);
* :func:`servfail`: a server that answers every query with SERVFAIL.

Each is a context manager yielding the "IP:PORT" to give ``--resolver``.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

NSD = shutil.which("nsd") or "/usr/sbin/nsd"


def nsd_missing() -> str | None:
    if not Path(NSD).is_file():
        return "needs NSD (Debian package nsd; .ci/run installs it)"
    return None


def free_port() -> int:
    # a port free for both UDP and TCP
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return int(port)
    raise RuntimeError("no free port")


def _answers(port: int, zone: str) -> bool:
    import dns.message
    import dns.query

    query = dns.message.make_query(zone, "SOA")
    try:
        reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.3)
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return bool(reply.answer)


@contextlib.contextmanager
def nsd(zones: dict[str, str]) -> Iterator[str]:
    """NSD serving ``zones`` (zone name → zone file text without $ORIGIN/SOA boilerplate
    when the text has no SOA: one is added)."""
    with tempfile.TemporaryDirectory(prefix="mtalint-nsd-") as tmp:
        root = Path(tmp)
        port = free_port()
        conf = [
            "server:",
            f"  ip-address: 127.0.0.1@{port}",
            f"  port: {port}",
            f'  zonesdir: "{root}"',
            f'  pidfile: "{root}/nsd.pid"',
            f'  logfile: "{root}/nsd.log"',
            f'  xfrdfile: "{root}/xfrd.state"',
            f'  zonelistfile: "{root}/zone.list"',
            '  database: ""',
            '  username: ""',
            '  chroot: ""',
            "  server-count: 1",
            "  verbosity: 1",
            "  hide-version: yes",
            "remote-control:",
            "  control-enable: no",
        ]
        for name, text in zones.items():
            origin = name.rstrip(".") + "."
            body = (
                text
                if "SOA" in text
                else (
                    f"$ORIGIN {origin}\n$TTL 300\n"
                    f"@ IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 300\n"
                    f"@ IN NS ns.{origin}\n{text}"
                )
            )
            (root / f"{origin}zone").write_text(body)
            conf += ["zone:", f"  name: {origin}", f'  zonefile: "{origin}zone"']
        (root / "nsd.conf").write_text("\n".join(conf) + "\n")
        proc = subprocess.Popen(
            [NSD, "-d", "-c", str(root / "nsd.conf")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            first = next(iter(zones), "")
            deadline = time.monotonic() + 10
            while not _answers(port, first):
                if proc.poll() is not None or time.monotonic() > deadline:
                    # still running (e.g. a zone it refused): stop it, or reading its
                    # output would wait forever
                    proc.terminate()
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                    out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                    log = (root / "nsd.log").read_text() if (root / "nsd.log").exists() else ""
                    raise RuntimeError(f"nsd did not start:\n{out}\n{log}")
                time.sleep(0.05)
            yield f"127.0.0.1:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


@contextlib.contextmanager
def silent() -> Iterator[str]:
    """Takes queries over UDP and TCP and never answers."""
    port = free_port()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    udp.bind(("127.0.0.1", port))
    tcp.bind(("127.0.0.1", port))
    tcp.listen(8)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        udp.close()
        tcp.close()


@contextlib.contextmanager
def servfail() -> Iterator[str]:
    """Answers every UDP query with SERVFAIL."""
    import dns.message
    import dns.rcode

    port = free_port()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                data, peer = udp.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            try:
                query = dns.message.from_wire(data)
            except Exception:  # noqa: BLE001 - garbage in: nothing to answer
                continue
            reply = dns.message.make_response(query)
            reply.set_rcode(dns.rcode.SERVFAIL)
            udp.sendto(reply.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=2)
        udp.close()
