"""DANE (RFC 7672) for a probed port, with ``--online``: the TLSA records of
``_PORT._tcp.HOST`` against the certificate the port presented.

Only end-entity records (usage 1 PKIX-EE and 3 DANE-EE) with a digest (matching type 1
or 2) are checked: Python's ``ssl`` hands over the leaf certificate only, so trust-anchor
records (usage 0 and 2) and full-data records (matching type 0) are listed as not
checked, and while one of those is present a missing match is not claimed. DNSSEC is
what the resolver says (the AD bit): RFC 7672 §2.2 has senders use TLSA records only
when they validate.
"""

from __future__ import annotations

from typing import Any

from linter.dns.resolver import Resolver

END_ENTITY = (1, 3)
MAX_RECORDS = 20


def check(resolver: Resolver, port: dict[str, Any]) -> dict[str, Any]:
    """The ``dane`` facts of one probed port (whose host is a name)."""
    name = f"_{port['port']}._tcp.{port['host'].rstrip('.')}"
    answer = resolver.lookup(name, "TLSA")
    facts: dict[str, Any] = {
        "checked": True,
        "query": name,
        "status": answer.status,
        "dnssec": answer.authenticated,
        "records": list(answer.records[:MAX_RECORDS]),
        "matched": [],
        "unchecked": [],
        "mismatch": False,
    }
    if not answer.ok:
        return facts
    cert = port.get("certificate") or {}
    digests: dict[str, str] = cert.get("dane_digests") or {}
    usable = []
    for record in facts["records"]:
        parsed = _parse(record)
        if parsed is None or parsed[0] not in END_ENTITY or parsed[2] == 0:
            facts["unchecked"].append(record)
            continue
        usable.append(record)
        usage, selector, matching, data = parsed
        if digests.get(f"{selector} {matching}") == data:
            facts["matched"].append(record)
    if not port.get("tls_handshake") and port.get("error"):
        # a timeout or a dropped session is not "no TLS": nothing is claimed (as MTA-STS)
        facts["checked"] = False
        facts["reason"] = "the session ended before TLS"
    elif not port.get("tls_handshake"):
        # records published, but no TLS at all: DANE senders cannot deliver
        facts["mismatch"] = True
        facts["reason"] = "the port completes no TLS handshake"
    elif usable and not facts["matched"] and not facts["unchecked"] and digests:
        facts["mismatch"] = True
        facts["reason"] = "no TLSA record matches the certificate the port presents"
    return facts


def _parse(record: str) -> tuple[int, int, int, str] | None:
    """``USAGE SELECTOR MATCHING HEX...`` (dnspython splits long hex with blanks)."""
    parts = record.split()
    if len(parts) < 4 or not all(p.isdigit() for p in parts[:3]):
        return None
    data = "".join(parts[3:]).lower()
    if any(c not in "0123456789abcdef" for c in data):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2]), data
