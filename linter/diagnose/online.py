"""``mtalint diagnose --online``: DNS-side causes looked at again, now.

A log says what a receiver saw then; the admin wants to know whether it still holds. For
an incident of a DNS blocklist (``dnsbl-rejection``) whose reply names both the listed
address (``Client host [198.51.100.7] blocked using LIST``, Postfix's default_rbl_reply,
and the same words in many receivers' replies) and the list, the list is asked now, as
the receiver did: ``7.100.51.198.LIST A``. An answer means still listed, NXDOMAIN no
longer listed; anything else (time-out, SERVFAIL, a list that answers nothing) is said
as it is.

For an SPF rejection (``spf-rejection``) whose reply carries the sending domain and
address, as policyd-spf's does (``Please see http://www.openspf.net/Why?s=mfrom;
id=sender@example.com;ip=203.0.113.5;...``), the domain's SPF is evaluated now for that
address (RFC 7208 check_host through :mod:`linter.dns.spf`). For a reverse DNS rejection
(``ptr-rejection``) whose reply names the address (Postfix's ``cannot find your hostname,
[203.0.113.5]``, Gmail's ``5.7.25 [203.0.113.5]``), its PTR is asked now and each name
forward-confirmed (A/AAAA back to the address). Other causes are not re-checked, and the
output says so only for these.

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
    """Fill ``incident.online`` for the blocklist, SPF and reverse DNS incidents; the
    number checked."""
    checked = 0
    for incident in incidents:
        if incident.cause.id not in _CHECKS or checked >= MAX_CHECKS:
            continue
        if incident.cause.id != "dnsbl-rejection":
            incident.online = _CHECKS[incident.cause.id](incident, resolver)
            checked += bool(incident.online["checked"])
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


# policyd-spf's reply (its default explanation): the scope, the identity checked
# (MAIL FROM address or HELO name) and the client address
_SPF_WHY = re.compile(
    r"Why\?s=(?P<scope>mfrom|helo)[;&]id=(?P<id>[^;&\s<>]{1,320})[;&]ip=(?P<ip>[0-9A-Fa-f:.]{2,45})"
)
# the address a reverse DNS rejection names: Postfix (smtpd_check.c), RFC 7372 5.7.25 replies
_PTR_ADDRESS = re.compile(
    r"(?:cannot find your (?:reverse )?hostname, |\b5\.7\.25 )\[(?P<ip>[0-9A-Fa-f:.]{2,45})\]",
    re.IGNORECASE,
)


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _not_checked(reason: str) -> dict[str, Any]:
    return {"checked": False, "reason": reason}


def _spf(incident: Incident, resolver: Any) -> dict[str, Any]:
    """Does the sending domain's SPF now pass for the address the receiver saw?"""
    from linter.dns.spf import check_host

    m = _SPF_WHY.search(incident.example.text) if incident.example is not None else None
    address = _address(m.group("ip")) if m else None
    identity = m.group("id").lower().rstrip(".") if m else ""
    domain = identity.rpartition("@")[2]
    if m is None or address is None or not _ZONE.match(domain):
        return _not_checked(
            "the reply names no sending domain and address "
            "(as policyd-spf's 'Why?s=mfrom;id=...;ip=...' does)"
        )
    if m.group("scope") == "helo":
        result, explanation = check_host(resolver, address, "", domain)
    else:
        sender = identity if "@" in identity else f"postmaster@{domain}"
        result, explanation = check_host(resolver, address, sender, domain)
    if result == "pass":
        verdict = f"SPF of {domain} now passes for {address}"
    elif result in ("temperror", "permerror"):
        verdict = f"SPF of {domain} could not be evaluated for {address}: {result} ({explanation})"
    else:
        verdict = f"SPF of {domain} still gives {result} for {address}"
    return {
        "checked": True,
        "check": "spf",
        "domain": domain,
        "address": address,
        "result": result,
        "explanation": explanation,
        "passes": result == "pass" if result not in ("temperror", "permerror") else None,
        "verdict": verdict,
    }


def _ptr(incident: Incident, resolver: Any) -> dict[str, Any]:
    """Has the address the receiver saw a PTR now, forward-confirmed?"""
    import dns.reversename

    m = _PTR_ADDRESS.search(incident.example.text) if incident.example is not None else None
    address = _address(m.group("ip")) if m else None
    if address is None:
        return _not_checked("the reply names no sending address")
    reverse = dns.reversename.from_address(address).to_text(omit_final_dot=True)
    ptr = resolver.lookup(reverse, "PTR")
    queries = [f"{reverse} PTR"]
    names = [r.rstrip(".").lower() for r in ptr.records] if ptr.ok else []
    confirmed: list[str] = []
    rdtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
    for name in names[:5]:  # a receiver looks at a few; an answer may hold many
        queries.append(f"{name} {rdtype}")
        forward = resolver.lookup(name, rdtype)
        if forward.ok and address in forward.records:
            confirmed.append(name)
    if ptr.unverified:
        verdict, fixed = f"the reverse DNS of {address} could not be asked: {ptr.status}", None
    elif not names:
        verdict, fixed = f"{address} still has no reverse DNS (PTR {ptr.status})", False
    elif confirmed:
        verdict = f"{address} now has reverse DNS {confirmed[0]}, which resolves back to it"
        fixed = True
    else:
        verdict = (
            f"the reverse DNS of {address} names {', '.join(names[:5])}, which does not "
            "resolve back to it"
        )
        fixed = False
    return {
        "checked": True,
        "check": "ptr",
        "address": address,
        "queries": queries,
        "status": ptr.status,
        "ptr": names,
        "forward_confirmed": confirmed,
        "fixed": fixed,
        "verdict": verdict,
    }


_CHECKS: dict[str, Any] = {
    "dnsbl-rejection": None,  # recheck() asks the list itself
    "spf-rejection": _spf,
    "ptr-rejection": _ptr,
}
