"""The cross-MTA posture: the same questions answered for every MTA.

Each MTA package (``linter/mta/<name>/posture.py``) fills these types from its model;
cross-MTA rules in ``rules/posture/`` judge them through the facts document, where they
appear under ``posture.`` exactly as :meth:`Posture.to_dict` lays them out.

Every field that came from a configuration line has its span recorded by the builder
(see :class:`linter.facts.Facts`), so a finding about a listener points at the line
that defines the listener, or at the setting that decides the fact.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any, Literal

from linter.facts import Facts, join_path, split_path
from linter.source import Span

Role = Literal["null-client", "mx", "submission", "relay"]
TlsMode = Literal["none", "optional", "required", "implicit"]
AuthMode = Literal["none", "offered", "required"]
RelayVerdict = Literal["open", "networks", "authenticated", "closed", "unknown"]
# who can reach a listener, judged from the addresses it listens on
Exposure = Literal["loopback", "private", "public", "unknown"]

SSL_TLS_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
# /etc/services names the MTAs accept for their mail ports
SERVICE_PORTS = {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465, "ssmtp": 465}
WEAK_PROTOCOLS = ("SSLv2", "SSLv3", "TLSv1", "TLSv1.1")
# SASL mechanisms that send the password itself (upper case; the names ignore case)
PLAINTEXT_MECHANISMS = frozenset({"PLAIN", "LOGIN"})


@dataclass
class PostureSpans:
    """Where the facts of a posture were set: each listener's line (None: no line of
    its own), the lines of its fields, and the lines of the other facts (by their path
    under ``posture.``). Every MTA's posture builder fills one."""

    listeners: list[Span | None] = field(default_factory=list)
    listener_fields: list[dict[str, Span]] = field(default_factory=list)
    fields: dict[str, Span] = field(default_factory=dict)

    def record(self, facts: Facts) -> None:
        """Give the facts document these positions."""
        for path, span in self.fields.items():
            facts.locate(f"posture.{path}", span)
        for i, listener_span in enumerate(self.listeners):
            base = f"posture.listeners[{i}]"
            if listener_span is not None:
                facts.locate(base, listener_span)
            for name, field_span in self.field_spans(i).items():
                facts.locate(f"{base}.{name}", field_span)

    def field_spans(self, listener: int) -> dict[str, Span]:
        """The spans of one listener's fields (filled in as they are found)."""
        while len(self.listener_fields) <= listener:
            self.listener_fields.append({})
        return self.listener_fields[listener]


@dataclass
class RelayPolicy:
    """Who may send mail through this listener to any destination."""

    verdict: RelayVerdict
    # trusted client networks that may relay without authentication
    networks: list[str] = field(default_factory=list)
    # the subset of ``networks`` that holds public (globally routable) addresses
    public_networks: list[str] = field(default_factory=list)
    # the largest trusted network counted in addresses, as a prefix length equivalent
    widest_prefix: int | None = None
    reason: str = ""
    # the restriction lists hold a working relay guard; without one smtpd refuses to start
    guarded: bool = True
    # a lookup-based restriction (access table, policy service) placed where it could
    # permit relaying for a stranger, e.g. "check_client_access in smtpd_relay_restrictions"
    conditional_permit: str = ""


@dataclass
class Listener:
    name: str  # the MTA's own name for it (Postfix: service/type)
    address: str  # "*" for all interfaces
    port: int | None
    role: Literal["smtp", "submission", "submissions", "other"]
    # reachable from beyond this host: worked out from ``exposure`` (not loopback), see
    # :func:`reach`. Given (keyword only) as False by an MTA whose own access control
    # admits only clients on private networks (hMailServer's IP ranges, Exchange's
    # RemoteIPRanges): the listener is then not public and its exposure at most private.
    public: bool = field(default=True, kw_only=True)
    tls: TlsMode
    auth: AuthMode
    # AUTH (with plaintext mechanisms) can be used before TLS is in place
    auth_before_tls: bool
    auth_plaintext_mechanisms: bool
    relay: RelayPolicy
    tls_certificate: bool  # a server certificate is configured
    # TLS without a certificate, chosen on purpose (Postfix smtpd_tls_cert_file = none)
    anonymous_tls: bool
    vrfy: bool = False
    helo_required: bool = False
    banner: str = ""
    banner_expanded: str = ""
    # the server certificate file(s) as configured (a path, or an expansion), for rules
    # about which certificate is shown; "" when none is set or the MTA does not say
    certificate_files: str = ""
    # loopback / private / public / unknown (a placeholder or expansion as the address);
    # worked out from ``address`` unless the MTA's posture knows better
    exposure: Exposure | None = None

    def __post_init__(self) -> None:
        exposure, self.public = reach(self.address, self.public, self.exposure)
        self.exposure = exposure


@dataclass
class Relayhost:
    raw: str
    host: str
    port: int | None  # None: default (25 or the MX's)
    port_text: str  # as written ("submission", "587", "")
    mx_lookup: bool  # False when the host is written in [brackets]
    # loopback (a local content filter or tunnel), private, public or unknown (a name)
    exposure: Exposure | None = None

    def __post_init__(self) -> None:
        if self.exposure is None:
            self.exposure = address_exposure(self.host) if self.host else "unknown"


@dataclass
class Outbound:
    relayhost: Relayhost | None
    tls: Literal["none", "opportunistic", "required", "verified", "dane"]
    tls_level: str  # the MTA's own word for it
    wrappermode: bool
    auth: bool
    # plaintext mechanisms may be used without TLS (credentials exposed)
    auth_plaintext_without_tls: bool


@dataclass
class TlsSettings:
    # protocols each side will accept; a protocol list the MTA's syntax cannot say
    # statically is recorded as all protocols
    server_protocols: list[str]
    server_mandatory_protocols: list[str]
    client_protocols: list[str]
    client_mandatory_protocols: list[str]
    server_ciphers: str
    server_mandatory_ciphers: str
    client_ciphers: str
    client_mandatory_ciphers: str
    weak_server_protocols: list[str] = field(default_factory=list)
    weak_client_protocols: list[str] = field(default_factory=list)


@dataclass
class Identity:
    hostname: str
    domain: str
    origin: str
    destinations: list[str]
    # what the online (DNS) checks need beyond the names above
    sending_domains: list[str] = field(default_factory=list)  # domains mail is sent from
    outbound_addresses: list[str] = field(default_factory=list)  # source addresses set
    # DKIM signing: "yes" (the MTA signs), "maybe" (a milter that may sign), "no"
    dkim_signing: str = "no"
    dkim_selectors: list[str] = field(default_factory=list)


@dataclass
class Posture:
    mta: str
    # what this host is: "mx" (port 25 reachable from outside), "submission" (587/465
    # reachable), "relay" (sends through a relayhost), "null-client" (nothing listens
    # beyond loopback); config (``roles:``) may set them instead
    roles: list[Role]
    listeners: list[Listener]
    outbound: Outbound
    tls: TlsSettings
    identity: Identity
    notes: list[str] = field(default_factory=list)
    # paths under ``posture.`` (``outbound.relayhost``, ``listeners[0].tls``) whose value
    # rests on something mtalint could not work out: left out of the facts document, so
    # rules see them absent, and not used by the DNS stage (see :meth:`forget`)
    unknown: set[str] = field(default_factory=set)

    def forget(self, path: str) -> None:
        """Mark the fact at ``path`` (and everything below it) as not known."""
        self.unknown.add(path)

    def known(self, path: str) -> bool:
        """Whether the fact at ``path`` is known: neither it nor a fact above it was
        forgotten."""
        parts = split_path(path)
        return not any(join_path(parts[:n]) in self.unknown for n in range(1, len(parts) + 1))

    def to_dict(self) -> dict[str, Any]:
        """The posture as the facts document holds it under ``posture.``: every field,
        the listeners by what TLS protects there (``tls_listeners``), and no fact that
        was forgotten. The one place a posture becomes facts."""
        data = {**asdict(self), "tls_listeners": tls_listeners(self.listeners)}
        del data["unknown"]
        for path in sorted(self.unknown):
            _drop(data, split_path(path))
        return data


def _drop(data: dict[str, Any], parts: list[str | int]) -> None:
    """Remove the value at ``parts`` from ``data`` (nothing when it is not there)."""
    node: Any = data
    for p in parts[:-1]:
        if isinstance(p, int):
            node = node[p] if isinstance(node, list) and p < len(node) else None
        else:
            node = node.get(p) if isinstance(node, dict) else None
    last = parts[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)


def tls_listeners(listeners: list[Listener]) -> dict[str, list[str]]:
    """The names of the listeners reachable from the network, by what TLS protects there,
    for rules that judge the TLS protocols each kind of client may negotiate:

    * "mandatory": implicit TLS, or TLS required (the MTA's mandatory protocol settings);
    * "credentials": STARTTLS offered, not required, where passwords are sent (a
      submission port, or AUTH offered): an old protocol weakens what guards them;
    * "opportunistic": STARTTLS only a sending MTA may use (port 25 and the like): an
      old protocol is still better than the clear text the sender would fall back to.
    """
    out: dict[str, list[str]] = {"mandatory": [], "credentials": [], "opportunistic": []}
    for li in listeners:
        if li.exposure == "loopback":
            continue
        if li.tls in ("implicit", "required"):
            out["mandatory"].append(li.name)
        elif li.tls == "optional" and (
            li.role in ("submission", "submissions") or li.auth != "none"
        ):
            out["credentials"].append(li.name)
        elif li.tls == "optional":
            out["opportunistic"].append(li.name)
    return out


def is_ip_address(text: str) -> bool:
    """Whether ``text`` is an IPv4 or IPv6 address as written (no brackets, no zone)."""
    import ipaddress

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# the words the MTAs use for "every interface" or "this host only"
_EVERYWHERE = {"*", "", "all", "0.0.0.0", "::", "[::]", "0/0", "[::]/0"}  # noqa: S104
_LOCAL_NAMES = {"localhost", "loopback-only", "loopback", "ip6-localhost"}
_EXPOSURE_ORDER: tuple[Exposure, ...] = ("public", "unknown", "private", "loopback")


def address_exposure(address: str) -> Exposure:
    """Who can reach one listen address: a literal address says it; ``*`` (every
    interface) is public; a name other than localhost, or a placeholder a deployment
    substitutes (``PH_LOCAL_ADDRESS``, ``__VAR__``, ``${env}``, ``$var``), is unknown."""
    import ipaddress

    text = address.strip()
    if text.lower() in _EVERYWHERE:
        return "public"
    if text.lower() in _LOCAL_NAMES:
        return "loopback"
    bare = text.strip("[]")
    if "%" in bare:  # fe80::1%eth0: the zone does not change the address's kind
        bare = bare.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        if re.fullmatch(r"[A-Za-z0-9-]+", bare):
            # a single-label name (a container or service name) has no place in public
            # DNS: it resolves only inside the site's own network
            return "private"
        return "unknown"
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "public"
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if any(ip in net for net in _private_networks()):
        return "private"
    # documentation ranges (192.0.2.0/24, 2001:db8::/32, ...) stand for public addresses
    return "public"


@cache
def _private_networks() -> tuple[Any, ...]:
    """RFC 1918, shared address space (RFC 6598), link-local, and IPv6 ULA/link-local."""
    import ipaddress

    names = (
        *("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"),
        *("169.254.0.0/16", "fc00::/7", "fe80::/10"),
    )
    return tuple(ipaddress.ip_network(n) for n in names)


def exposure_of(address: str) -> Exposure:
    """The widest exposure of a listener's addresses (``a, b`` or ``a,b`` for several)."""
    parts = [p for p in address.replace(",", " ").split()] or ["*"]
    found = {address_exposure(p) for p in parts}
    return next(e for e in _EXPOSURE_ORDER if e in found)


def loopback_only(address: str) -> bool:
    """Whether every address of ``address`` is this host's own (127.0.0.1, ::1,
    ``localhost``): what listens there, or is sent there, stays on this host."""
    return exposure_of(address) == "loopback"


def reach(
    address: str, strangers_admitted: bool = True, exposure: Exposure | None = None
) -> tuple[Exposure, bool]:
    """A listener's exposure and whether it is public (reachable from beyond this host),
    the one place both are decided for every MTA.

    The exposure is ``address``'s (:func:`exposure_of`) unless ``exposure`` is given. An
    MTA whose access control admits only clients on private networks says so with
    ``strangers_admitted`` False: the exposure is then at most private (a loopback address
    stays loopback). Public means not loopback, and strangers admitted: a listener on a
    private address is public (port forwarding may bring the Internet to it), one whose
    address is a name mtalint cannot resolve (exposure unknown) is too, as the posture
    rules assume such a listener reachable and say so.
    """
    if exposure is None:
        exposure = exposure_of(address)
        if exposure in ("public", "unknown") and not strangers_admitted:
            exposure = "private"
    return exposure, exposure != "loopback" and strangers_admitted


def infer_roles(
    listeners: list[Listener], outbound: Outbound, accepts_domains: bool = True
) -> list[Role]:
    """The roles a config set's posture implies (config or --role may override them).

    A host is an MX only when port 25 is reachable and it accepts mail for some domain
    (local, virtual or relay domains): an internal relay container that takes mail from
    its networks for every destination but is the destination of none is not an MX.
    """
    roles: list[Role] = []
    public = [listener for listener in listeners if listener.public]
    if accepts_domains and any(listener.port == 25 for listener in public):
        roles.append("mx")
    if any(listener.port in (587, 465) for listener in public):
        roles.append("submission")
    if outbound.relayhost is not None:
        roles.append("relay")
    if not public:
        roles.insert(0, "null-client")
    return roles


def weak_protocols(protocols: list[str]) -> list[str]:
    return [p for p in protocols if p in WEAK_PROTOCOLS]


def service_port(text: str) -> int | None:
    """A port as written (number or service name, any case), or None when unknown."""
    text = text.strip()
    if text.isdecimal():
        return int(text)
    return SERVICE_PORTS.get(text.lower())
