"""Real DNS servers for the online tests, on 127.0.0.1 with a free port.

* :func:`nsd`: NSD (Debian's ``nsd``, installed by .ci/run), authoritative for the zones
  given as zone-file text, started in the foreground and stopped afterwards;
* :func:`silent`: a UDP and TCP socket that take queries and never answer (timeouts);
* :func:`servfail`: a server that answers every query with SERVFAIL;
* :func:`https_policies`: an HTTPS server on loopback serving MTA-STS policies with a
  certificate of a CA made for the test (what :mod:`linter.dns.mtasts` is told to trust
  through ``MTALINT_CA_FILE``, and the port through ``MTALINT_MTA_STS_PORT``).

Each DNS server is a context manager yielding the "IP:PORT" to give ``--resolver``. For
:func:`nsd`, a "zone" whose name starts with ``https://`` is not a zone: its text is served
at that URL by :func:`https_policies` while NSD runs (the rules' YAML cases use this for
MTA-STS policies; the zone must give ``mta-sts.DOMAIN`` the address 127.0.0.1).
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
    when the text has no SOA: one is added); ``https://`` entries: see the module."""
    urls = {k: v for k, v in zones.items() if k.startswith("https://")}
    zones = {k: v for k, v in zones.items() if k not in urls}
    with contextlib.ExitStack() as stack:
        if urls:
            stack.enter_context(https_policies(urls))
        yield stack.enter_context(_nsd(zones))


@contextlib.contextmanager
def _nsd(zones: dict[str, str]) -> Iterator[str]:
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


def make_certificates(root: Path, hosts: list[str]) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``hosts`` signed by it, made with openssl:
    (CA bundle, certificate, key)."""
    ca_key, ca, key, csr, cert = (root / n for n in ("ca.key", "ca.pem", "s.key", "s.csr", "s.pem"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=mtalint test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    run("req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={hosts[0]}")
    ext = root / "ext.cnf"
    ext.write_text(
        "subjectAltName=" + ",".join(f"DNS:{h}" for h in hosts) + "\n"
        "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"
    )
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)  # fmt: skip
    return ca, cert, key


@contextlib.contextmanager
def https_policies(urls: dict[str, str], trust: bool = True) -> Iterator[int]:
    """HTTPS on 127.0.0.1 (a free port) serving ``urls`` (https://HOST/PATH → body; a
    body starting with "HTTP NNN" is answered with that status instead), with a
    certificate for every HOST from a test CA. While it runs, ``MTALINT_CA_FILE`` names
    that CA (unless ``trust`` is false) and ``MTALINT_MTA_STS_PORT`` its port."""
    import http.server
    import os
    import ssl
    from urllib.parse import urlsplit

    pages = {(urlsplit(u).hostname or "", urlsplit(u).path or "/"): b for u, b in urls.items()}
    hosts = sorted({h for h, _ in pages})

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            host = (self.headers.get("Host") or "").partition(":")[0]
            body = pages.get((host, self.path))
            status = 200
            if body is None:
                status, body = 404, "not found"
            elif body.startswith("HTTP "):
                status, body = int(body.split()[1]), ""
            data = body.encode()
            self.send_response(status)
            if status in (301, 302):
                self.send_header("Location", f"https://{host}/elsewhere")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    with tempfile.TemporaryDirectory(prefix="mtalint-https-") as tmp:
        ca, cert, key = make_certificates(Path(tmp), hosts)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        port = server.server_address[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        saved = {k: os.environ.get(k) for k in ("MTALINT_CA_FILE", "MTALINT_MTA_STS_PORT")}
        os.environ["MTALINT_MTA_STS_PORT"] = str(port)
        if trust:
            os.environ["MTALINT_CA_FILE"] = str(ca)
        try:
            yield port
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
