"""A DNSSEC-signed zone behind a validating resolver, on loopback, for the DANE tests.

:func:`validated` signs one zone with ``ldns-keygen``/``ldns-signzone`` (Debian's
ldnsutils), serves it (and any unsigned zones) from NSD (:func:`tests.dns.server.nsd`), and runs
Unbound as a validating resolver whose only trust anchor is the signed zone's key-signing
key (its DS record) and which reaches the zones through ``stub-zone`` entries. Answers
from the signed zone carry the AD bit; the unsigned zones are declared insecure. Yields
the "IP:PORT" to give ``--resolver``.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.dns.server import free_port, nsd

TOOLS = ("ldns-keygen", "ldns-signzone", "unbound")


def validator_missing() -> str | None:
    missing = [t for t in TOOLS if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()]
    if missing:
        return f"needs {', '.join(missing)} (Debian packages ldnsutils and unbound)"
    return None


def _tool(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def sign(root: Path, zone: str, body: str) -> tuple[str, Path]:
    """The signed text of ``zone`` (``body`` given without SOA/NS: they are added) and the
    file holding its key-signing key's DS record."""
    origin = zone.rstrip(".") + "."
    text = (
        f"$ORIGIN {origin}\n$TTL 300\n"
        f"@ IN SOA ns.{origin} hostmaster.{origin} 1 3600 600 86400 300\n"
        f"@ IN NS ns.{origin}\n{body}"
    )
    zone_file = root / f"{origin}zone"
    zone_file.write_text(text)

    def keygen(*flags: str) -> str:
        done = subprocess.run(
            [_tool("ldns-keygen"), *flags, "-a", "ECDSAP256SHA256", origin],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()

    ksk, zsk = keygen("-k"), keygen()
    subprocess.run(
        [_tool("ldns-signzone"), str(zone_file), ksk, zsk],
        cwd=root,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return (root / f"{origin}zone.signed").read_text(), root / f"{ksk}.ds"


def _ad_answer(port: int, name: str) -> bool:
    import dns.flags
    import dns.message
    import dns.query

    query = dns.message.make_query(name, "SOA", want_dnssec=True)
    try:
        reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.5)
    except Exception:  # noqa: BLE001 - not up yet
        return False
    return bool(reply.flags & dns.flags.AD)


@contextlib.contextmanager
def validated(signed_zone: str, body: str, unsigned: dict[str, str]) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mtalint-unbound-") as tmp:
        root = Path(tmp)
        signed_text, ds_file = sign(root, signed_zone, body)
        zones = {signed_zone: signed_text, **unsigned}
        with nsd(zones) as authoritative:
            nsd_port = authoritative.rpartition(":")[2]
            port = free_port()
            conf = [
                "server:",
                "  interface: 127.0.0.1",
                f"  port: {port}",
                "  do-ip6: no",
                '  username: ""',
                '  chroot: ""',
                f'  directory: "{root}"',
                f'  pidfile: "{root}/unbound.pid"',
                "  use-syslog: no",
                f'  logfile: "{root}/unbound.log"',
                "  do-not-query-localhost: no",
                '  module-config: "validator iterator"',
                f'  trust-anchor-file: "{ds_file}"',
                "  qname-minimisation: no",
                *(f'  domain-insecure: "{z.rstrip(".")}."' for z in unsigned),
                "remote-control:",
                "  control-enable: no",
            ]
            for z in zones:
                conf += ["stub-zone:", f'  name: "{z.rstrip(".")}."']
                conf += [f"  stub-addr: 127.0.0.1@{nsd_port}"]
            (root / "unbound.conf").write_text("\n".join(conf) + "\n")
            proc = subprocess.Popen(
                [_tool("unbound"), "-d", "-c", str(root / "unbound.conf")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 15
                while not _ad_answer(port, signed_zone):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log = root / "unbound.log"
                        raise RuntimeError(
                            "unbound gave no validated answer:\n"
                            + (log.read_text()[-2000:] if log.exists() else "")
                        )
                    time.sleep(0.1)
                yield f"127.0.0.1:{port}"
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
