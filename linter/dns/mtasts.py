"""MTA-STS (RFC 8461): fetching and reading a domain's policy, and matching its MX hosts.

A ``_mta-sts`` TXT record only announces a policy; senders fetch it from
``https://mta-sts.DOMAIN/.well-known/mta-sts.txt`` (§3.3) with a verified certificate, no
redirects, and treat a policy they cannot fetch as no MTA-STS at all. The fetch here does
the same, bounded: the run's DNS time budget (``--dns-timeout``) caps it, at most
:data:`MAX_POLICY` bytes are read, and ``mta-sts.DOMAIN`` is resolved through the run's
resolver (``--resolver``), so the answer is that of the DNS being checked.

Two environment variables exist for tests only (a policy server on loopback with a
certificate of a test CA): ``MTALINT_CA_FILE`` names the PEM bundle to trust instead of
the system's, ``MTALINT_MTA_STS_PORT`` the port to connect to instead of 443.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from typing import Any

from linter.dns.resolver import Resolver

MAX_POLICY = 64 * 1024  # RFC 8461 §3.3 leaves the size open; real policies are < 1 KB
PER_FETCH = 5.0  # seconds at most per policy, within the run's budget
_MAX_AGE = 31557600  # §3.2: max_age up to one year
_MODES = ("enforce", "testing", "none")


def fetch(resolver: Resolver, domain: str) -> dict[str, Any]:
    """The policy of ``domain``: ``status`` ``ok`` (with mode, mx, max_age), ``unfetchable``
    or ``invalid`` (with ``problem``), or ``unverified`` when the time budget ran out."""
    host = f"mta-sts.{domain}"
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        answer = resolver.lookup(host, rdtype)
        if answer.unverified:
            return {"status": "unverified", "problem": f"{host} {rdtype}: {answer.status}"}
        if answer.ok:
            addresses.extend(answer.records)
    if not addresses:
        return {"status": "unfetchable", "problem": f"{host} has no address"}
    left = min(PER_FETCH, resolver.remaining())
    if left <= 0:
        return {"status": "unverified", "problem": "the DNS time budget is used up"}
    try:
        body = _get(addresses[0], host, left)
    except _FetchError as exc:
        return {"status": "unfetchable", "problem": str(exc)}
    return parse(body)


class _FetchError(Exception):
    pass


def _get(address: str, host: str, timeout: float) -> bytes:
    """GET /.well-known/mta-sts.txt from ``address`` with TLS for ``host``."""
    import http.client
    import ssl

    cafile = os.environ.get("MTALINT_CA_FILE") or None
    port_text = os.environ.get("MTALINT_MTA_STS_PORT", "")
    port = int(port_text) if port_text.isdecimal() and 0 < int(port_text) < 65536 else 443
    try:
        context = ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise _FetchError(f"cannot read the CA file: {exc}") from None
    try:
        with socket.create_connection((address, port), timeout=timeout) as raw:
            # a server that trickles bytes must not keep the run waiting: the whole
            # exchange gets ``timeout`` seconds, then the socket is shut down
            timer = threading.Timer(timeout, _shutdown, (raw,))
            timer.daemon = True
            timer.start()
            try:
                with context.wrap_socket(raw, server_hostname=host) as tls:
                    tls.settimeout(timeout)
                    request = (
                        f"GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: {host}\r\n"
                        "User-Agent: mtalint\r\nConnection: close\r\n\r\n"
                    )
                    tls.sendall(request.encode("ascii"))
                    response = http.client.HTTPResponse(tls)
                    response.begin()
                    if response.status != 200:
                        # §3.3: "HTTP 3xx redirects MUST NOT be followed"; any other status
                        # is no policy either
                        raise _FetchError(f"HTTP {response.status} from https://{host}/")
                    body = response.read(MAX_POLICY + 1)
            finally:
                timer.cancel()
    except ssl.SSLCertVerificationError as exc:
        raise _FetchError(f"certificate of {host} not valid: {exc.verify_message}") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise _FetchError(f"https://{host}/: {type(exc).__name__}: {_short(str(exc))}") from None
    if len(body) > MAX_POLICY:
        raise _FetchError(f"the policy is larger than {MAX_POLICY} bytes")
    return body


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def parse(body: bytes) -> dict[str, Any]:
    """The policy text (§3.2): ``version: STSv1``, ``mode``, ``max_age``, ``mx`` lines."""
    text = body.decode("utf-8", "replace")
    fields: dict[str, list[str]] = {}
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if colon:
            fields.setdefault(key.strip().lower(), []).append(value.strip())
    problems = []
    if fields.get("version") != ["STSv1"]:
        problems.append("version: STSv1 missing")
    mode = (fields.get("mode") or [""])[0]
    if mode not in _MODES:
        problems.append(f"mode {_short(mode, 40)!r} is not enforce, testing or none")
    age = (fields.get("max_age") or [""])[0]
    if not (age.isascii() and age.isdigit() and len(age) <= 8 and int(age) <= _MAX_AGE):
        problems.append("max_age missing or not 0 to 31557600")
    mx = fields.get("mx", [])[:100]
    if not mx and mode in ("enforce", "testing"):
        problems.append("no mx: lines")
    if problems:
        return {"status": "invalid", "problem": "; ".join(problems), "mode": mode}
    return {"status": "ok", "mode": mode, "max_age": int(age), "mx": mx}


def matches(pattern: str, host: str) -> bool:
    """§4.1: an mx pattern is a host name, or ``*.`` and a suffix standing for exactly one
    leftmost label."""
    pattern = pattern.lower().rstrip(".")
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        label, dot, rest = host.partition(".")
        return bool(label and dot) and rest == pattern[2:]
    return host == pattern


def unmatched(policy: dict[str, Any], hosts: list[str]) -> list[str]:
    """The MX hosts no ``mx:`` pattern of the policy matches."""
    patterns = policy.get("mx") or []
    return [h for h in hosts if not any(matches(p, h) for p in patterns)]


def _short(text: str, limit: int = 200) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", "?", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
