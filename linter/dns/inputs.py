"""What DNS is asked about for one config set, read from its posture."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from linter.dns import DnsOptions

if TYPE_CHECKING:
    from linter.facts import Facts
    from linter.posture import Posture, Relayhost
    from linter.source import Span

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
class Route:
    """An outbound route whose next hop may be a relay provider's."""

    host: str  # the next hop's host, without brackets or port
    via: str  # the setting that names it ("relayhost", "transport_maps entry example.net")
    # the sending domains whose mail takes it; None: mail from every sending domain
    domains: list[str] | None
    span: Span | None = None
    # a sender-dependent route for every sender of its domains ("@domain", or "*"): it
    # takes their mail instead of the relayhost
    replaces_relayhost: bool = False


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
    # every outbound route: the relayhost first, then the routes of the MTA's tables
    routes: list[Route] = field(default_factory=list)


def routes_in(facts: Facts) -> list[Route]:
    """The outbound routes an MTA recorded beside the relayhost (``posture.outbound.routes``:
    Postfix's sender-dependent relayhosts and transport tables), each at its line.

    A sender-dependent route keyed by an address or ``@domain`` carries the mail of that
    domain only; one keyed by a bare local part (any domain) is left out, as the domains
    it carries are not known. A transport route carries mail from every sending domain.
    """
    found = facts.get("posture.outbound.routes")
    routes: list[Route] = []
    for i, route in enumerate(found if isinstance(found, list) else []):
        if not isinstance(route, dict):
            continue
        via = str(route.get("via") or "")
        key = str(route.get("key") or "").strip().lower()
        domains: list[str] | None = None
        if via == "sender_dependent_relayhost_maps" and key != "*":
            domain = key.rpartition("@")[2].rstrip(".") if "@" in key else ""
            if not is_domain(domain):
                continue
            domains = [domain]
        # the key as a message shows it: a table entry's key can be as long as its line
        shown = key if len(key) <= 80 else key[:77] + "..."
        where = f"{via} entry {shown}" if key not in ("", "*") else via
        span = facts.spans.get(f"posture.outbound.routes[{i}]")
        whole = via == "sender_dependent_relayhost_maps" and (key == "*" or key.startswith("@"))
        routes.append(Route(str(route.get("host") or ""), where, domains, span, whole))
    return routes


def inputs_from(
    posture: Posture,
    options: DnsOptions,
    routes: list[Route] | None = None,
    relayhost_span: Span | None = None,
) -> DnsInputs:
    """What to ask DNS about for one config set: the names and addresses its posture
    knows (a fact the MTA could not work out is not asked about), those of the command
    line (``--public-ip``, ``--dkim-selector``), and the outbound ``routes`` beside the
    relayhost (see :func:`routes_in`)."""
    known = posture.known
    identity = posture.identity

    def names(path: str, values: list[str]) -> list[str]:
        return values if known(f"identity.{path}") else []

    def name(path: str, value: str) -> str:
        return value if known(f"identity.{path}") else ""

    hostname = name("hostname", identity.hostname).rstrip(".").lower()
    sending = [
        d.lower().rstrip(".")
        for d in [
            *names("sending_domains", identity.sending_domains),
            name("origin", identity.origin),
        ]
        if is_domain(d)
    ]
    receiving = [
        d.lower().rstrip(".")
        for d in names("destinations", identity.destinations)
        if is_domain(d) and d.lower().rstrip(".") != hostname
    ]
    domain = name("domain", identity.domain).lower().rstrip(".")
    relay = posture.outbound.relayhost if known("outbound.relayhost") else None
    addresses: dict[str, str] = {}
    for a in names("outbound_addresses", identity.outbound_addresses):
        if is_address(a):
            addresses.setdefault(a.strip("[]"), "configuration")
    for a in options.public_ips:
        addresses.setdefault(a, "--public-ip")
    selectors = list(
        dict.fromkeys([*names("dkim_selectors", identity.dkim_selectors), *options.dkim_selectors])
    )
    sending_domains = list(dict.fromkeys(sending))
    return DnsInputs(
        hostname=hostname if is_domain(hostname) else "",
        sending_domains=sending_domains,
        receiving_domains=list(dict.fromkeys(receiving)),
        organisation_domain=domain if is_domain(domain) else "",
        relayhost=relay.host if relay is not None else "",
        relayhost_mx=relay.mx_lookup if relay is not None else False,
        outbound_addresses=list(addresses),
        address_sources=addresses,
        dkim_signing=name("dkim_signing", identity.dkim_signing) or "no",
        dkim_selectors=[s for s in selectors if s and "$" not in s],
        dane=known("outbound.tls") and posture.outbound.tls == "dane",
        routes=[
            *_relayhost_route(relay, relayhost_span, routes or [], sending_domains),
            *(routes or []),
        ],
    )


def _relayhost_route(
    relay: Relayhost | None,
    span: Span | None,
    routes: list[Route],
    sending: list[str],
) -> list[Route]:
    """The relayhost as a route, for the sending domains no sender-dependent route takes
    whole (Postfix asks sender_dependent_relayhost_maps before it falls back on it)."""
    if relay is None:
        return []
    via = "relayhost"  # the posture's word for every MTA's smarthost, as in its facts
    taken = [r.domains for r in routes if r.replaces_relayhost]
    if not taken:
        return [Route(relay.host, via, None, span)]
    if any(domains is None for domains in taken):
        return []  # a "*" entry: every sender's mail goes the sender-dependent way
    gone = {d for domains in taken for d in domains or []}
    return [Route(relay.host, via, [d for d in sending if d not in gone], span)]
