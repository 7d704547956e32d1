"""What DNS is asked about for one config set, read from its posture."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from linter.dns import DnsOptions

_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def is_domain(name: str) -> bool:
    """A DNS name worth asking about: no macros, no IP literal, not localhost."""
    name = name.strip().rstrip(".").lower()
    if not name or "$" in name or name.startswith("localhost") or name.endswith(".localdomain"):
        return False
    return bool(_NAME.match(name))


def is_address(text: str) -> bool:
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return not (address.is_loopback or address.is_unspecified)


@dataclass
class DnsInputs:
    hostname: str = ""
    sending_domains: list[str] = field(default_factory=list)
    receiving_domains: list[str] = field(default_factory=list)
    organisation_domain: str = ""  # where DMARC is looked up for a subdomain
    relayhost: str = ""
    relayhost_mx: bool = False  # Postfix looks up the relay's MX (no [brackets])
    outbound_addresses: list[str] = field(default_factory=list)
    address_sources: dict[str, str] = field(default_factory=dict)
    dkim_signing: str = "no"
    dkim_selectors: list[str] = field(default_factory=list)
    dane: bool = False


def inputs_from(posture: dict[str, Any], options: DnsOptions) -> DnsInputs:
    identity = posture.get("identity") or {}
    outbound = posture.get("outbound") or {}
    hostname = str(identity.get("hostname") or "").rstrip(".").lower()
    sending = [
        d.lower().rstrip(".")
        for d in [*(identity.get("sending_domains") or []), identity.get("origin") or ""]
        if is_domain(str(d))
    ]
    receiving = [
        d.lower().rstrip(".")
        for d in identity.get("destinations") or []
        if is_domain(str(d)) and d.lower().rstrip(".") != hostname
    ]
    domain = str(identity.get("domain") or "").lower().rstrip(".")
    relay = outbound.get("relayhost") or {}
    addresses: dict[str, str] = {}
    for a in identity.get("outbound_addresses") or []:
        if is_address(str(a)):
            addresses.setdefault(str(a).strip("[]"), "configuration")
    for a in options.public_ips:
        addresses.setdefault(a, "--public-ip")
    selectors = list(
        dict.fromkeys([*(identity.get("dkim_selectors") or []), *options.dkim_selectors])
    )
    return DnsInputs(
        hostname=hostname if is_domain(hostname) else "",
        sending_domains=list(dict.fromkeys(sending)),
        receiving_domains=list(dict.fromkeys(receiving)),
        organisation_domain=domain if is_domain(domain) else "",
        relayhost=str(relay.get("host") or "") if relay else "",
        relayhost_mx=bool(relay.get("mx_lookup")) if relay else False,
        outbound_addresses=list(addresses),
        address_sources=addresses,
        dkim_signing=str(identity.get("dkim_signing") or "no"),
        dkim_selectors=[s for s in selectors if s and "$" not in s],
        dane=outbound.get("tls") == "dane",
    )
