"""``mtalint diagnose --online``: DNS-side causes looked at again, now.

A log says what a receiver saw then; the admin wants to know whether it still holds. For
an incident of a DNS blocklist (``dnsbl-rejection``) whose reply names both the listed
address (``Client host [198.51.100.7] blocked using LIST``, Postfix's default_rbl_reply,
and the same words in many receivers' replies) and the list, the list is asked now, as
the receiver did: ``7.100.51.198.LIST A``. An answer means still listed, NXDOMAIN no
longer listed; anything else (time-out, SERVFAIL, a list that answers nothing) is said
as it is. Other causes are not re-checked, and the output says so only for this one.

Queries go through linter.dns's resolver (its time budget and bounds), at most
:data:`MAX_CHECKS` incidents per run.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from linter.diagnose.incidents import Incident

MAX_CHECKS = 50
# the address a receiver's reply names as the one it found listed
_LISTED = re.compile(r"\[(?P<ip>[0-9A-Fa-f:.]{2,45})\][^\[\]]{0,40}?blocked using", re.IGNORECASE)
_ZONE = re.compile(r"(?i)^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def reverse_name(ip: str, zone: str) -> str:
    """The DNSBL query name of IP in ZONE (nibbles for IPv6, as RFC 5782 says)."""
    address = ipaddress.ip_address(ip)
    if address.version == 4:
        return ".".join(reversed(str(address).split("."))) + "." + zone
    nibbles = address.exploded.replace(":", "")
    return ".".join(reversed(nibbles)) + "." + zone


def _listed_address(incident: Incident) -> str | None:
    example = incident.example
    if example is None:
        return None
    m = _LISTED.search(example.text)
    if m is None:
        return None
    try:
        return str(ipaddress.ip_address(m.group("ip")))
    except ValueError:
        return None


def recheck(incidents: list[Incident], resolver: Any) -> int:
    """Fill ``incident.online`` for the blocklist incidents; the number checked."""
    checked = 0
    for incident in incidents:
        if incident.cause.id != "dnsbl-rejection" or checked >= MAX_CHECKS:
            continue
        zone = incident.details.get("list", "").lower().rstrip(".")
        address = _listed_address(incident)
        if not _ZONE.match(zone) or address is None:
            incident.online = {
                "checked": False,
                "reason": "the reply names no list zone and listed address to ask about",
            }
            continue
        checked += 1
        name = reverse_name(address, zone)
        answer = resolver.lookup(name, "A")
        if answer.ok:
            verdict = f"{address} is still listed in {zone} ({', '.join(answer.records)})"
        elif answer.status == "nxdomain":
            verdict = f"{address} is no longer listed in {zone}"
        else:
            verdict = f"{zone} could not be asked about {address}: {answer.status}"
        incident.online = {
            "checked": True,
            "query": f"{name} A",
            "status": answer.status,
            "answers": list(answer.records),
            "listed": answer.ok if answer.ok or answer.status == "nxdomain" else None,
            "verdict": verdict,
        }
    return checked
