"""Postfix's answers to the cross-MTA posture questions."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

from linter.diagnostics import Diagnostic
from linter.limits import decimal
from linter.mta.postfix.model import PostfixModel, Service
from linter.mta.postfix.restrictions import (
    STAGES,
    evaluate_relay,
    restriction_classes,
    tokens,
)
from linter.posture import (
    PLAINTEXT_MECHANISMS,
    SERVICE_PORTS,
    SSL_TLS_PROTOCOLS,
    Identity,
    Listener,
    Outbound,
    Posture,
    Relayhost,
    RelayPolicy,
    TlsSettings,
    infer_roles,
    is_ip_address,
    loopback_only,
    weak_protocols,
)
from linter.posture import PostureSpans as SharedPostureSpans
from linter.source import Span


@dataclass
class PostureSpans(SharedPostureSpans):
    """Where each listener and the outbound facts come from, and what the posture shows
    the daemon would do wrong."""

    # what the posture shows the daemon would do wrong (e.g. defer all mail)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def host_port(name: str) -> tuple[str, str]:
    """master(5): ``[host]:port``, ``host:port`` or ``port``."""
    if name.startswith("["):
        host, _, rest = name[1:].partition("]")
        return host, rest.lstrip(":")
    if name.count(":") == 1:
        host, port = name.split(":")
        return host, port
    if name.count(":") > 1:  # bare IPv6 address with port: last part is the port
        host, _, port = name.rpartition(":")
        return host, port
    return "", name


def port_number(text: str) -> int | None:
    # master.cf service names are matched as written (no case folding, no trimming)
    if text.isdecimal():
        return decimal(text)  # None when out of range (or not ASCII digits)
    return SERVICE_PORTS.get(text)


# ---------------------------------------------------------------- networks


@dataclass
class Networks:
    listed: list[str]
    public: list[str]
    widest_prefix: int | None  # prefix length of the widest IPv4 network (0 also for ::/0)
    # the first entry smtpd cannot read ("non-null host address bits", "bad network
    # value"): a client not matched by an earlier entry gets 451 4.3.0 at permit_mynetworks
    broken: str = ""
    # the entries before ``broken`` cover every IPv4 / every IPv6 address
    every_ipv4: bool = False
    every_ipv6: bool = False
    # some entry comes before ``broken`` (without one, no client is in mynetworks)
    usable: bool = True


_TABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*:")


def _network_entry(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | str | None:
    """An address-pattern entry as smtpd reads it: a network, "" when smtpd refuses it
    (host bits set, an octet above 255, "0/0"), None for a host name, a table or a file."""
    if text.startswith("/") or _TABLE.match(text):
        return None
    candidate = text.replace("[", "").replace("]", "")
    try:
        # an address alone is a /32 (/128); with a length, no host bits may be set
        return ipaddress.ip_network(candidate, strict=True)
    except ValueError:
        return "" if "/" in text else None


def analyse_networks(model: PostfixModel, service: Service | None) -> Networks:
    if model.setting("mynetworks", service).origin != "default":
        items = tokens(model.value("mynetworks", service))
    else:
        style = model.value("mynetworks_style", service).strip() or "host"
        # the networks of this host's interfaces, unknown until run time
        labels = {
            "host": ["127.0.0.0/8", "[::1]/128", "(this host's addresses)"],
            "subnet": ["127.0.0.0/8", "[::1]/128", "(this host's IP subnets)"],
            "class": ["127.0.0.0/8", "[::1]/128", "(this host's whole class A/B/C networks)"],
        }
        return Networks(labels.get(style, [style]), [], 8 if style == "class" else None)
    public: list[str] = []
    widest: int | None = None
    broken = ""
    ipv4: list[ipaddress.IPv4Network] = []
    ipv6: list[ipaddress.IPv6Network] = []
    usable = False
    for item in items:
        text = item.strip()
        net = _network_entry(text.removeprefix("!"))
        if net == "":
            broken = text  # smtpd stops at this entry with a lookup error
            break
        usable = True
        if text.startswith("!"):
            continue
        if not isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network):
            continue  # a table, a file or a host name: its contents are not in the file
        if net.version == 4:
            ipv4.append(net)
        else:
            ipv6.append(net)
        if net.version == 4 or net.prefixlen == 0:
            # IPv4 prefix length of the widest network; ::/0 counts as 0 too
            widest = net.prefixlen if widest is None else min(widest, net.prefixlen)
        if not (net.is_private or net.is_loopback or net.is_link_local) or net.prefixlen == 0:
            public.append(text)
    every_ipv4 = any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(ipv4))
    every_ipv6 = any(n.prefixlen == 0 for n in ipaddress.collapse_addresses(ipv6))
    if every_ipv4:
        widest = 0
    elif widest == 0:
        widest = min((n.prefixlen for n in ipv4), default=None)  # ::/0 alone: IPv6 only
    return Networks(items, public, widest, broken, every_ipv4, every_ipv6, usable)


# ---------------------------------------------------------------- listeners


def _listen_addresses(model: PostfixModel) -> list[str]:
    words = tokens(model.value("inet_interfaces"))
    if not words or "all" in words:
        return ["*"]
    addresses: list[str] = []
    for w in words:
        addresses.extend(["127.0.0.1", "::1"] if w == "loopback-only" else [w])
    return addresses


def _tls_mode(model: PostfixModel, s: Service | None) -> str:
    if model.is_yes("smtpd_tls_wrappermode", s):
        return "implicit"
    level = model.value("smtpd_tls_security_level", s).strip().lower()
    if not level:
        if model.is_yes("smtpd_enforce_tls", s):
            return "required"
        return "optional" if model.is_yes("smtpd_use_tls", s) else "none"
    return {"may": "optional", "encrypt": "required"}.get(level, "none")


def ehlo_discards(value: str) -> set[str]:
    """smtpd_discard_ehlo_keywords (ehlo_mask(): any case, commas or white space)."""
    return {w.lower() for w in re.split(r"[\s,]+", value) if w}


def _tls_unavailable(
    model: PostfixModel, s: Service | None, tls: str, discarded: set[str]
) -> tuple[str, str] | None:
    """Why smtpd cannot do TLS on this service at all: (setting, explanation), or None."""
    if tls == "none":
        return None
    if tls != "implicit" and "starttls" in discarded:
        return (
            "smtpd_discard_ehlo_keywords",
            "smtpd_discard_ehlo_keywords drops STARTTLS (not advertised, and the command "
            'gets "502 5.5.1 Error: command not implemented")',
        )
    # smtpd validates the list it will use: the mandatory one when TLS is enforced
    name = "smtpd_tls_protocols" if tls == "optional" else "smtpd_tls_mandatory_protocols"
    value = model.value(name, s)
    if not protocol_list_valid(value):
        return (
            name,
            f'{name} = "{value}" is not a protocol list Postfix can read: smtpd logs '
            '"Invalid TLS protocol list ...: disabling TLS support" and answers STARTTLS '
            'with "454 4.7.0 TLS not available due to local problem"',
        )
    return None


CERTIFICATE_SETTINGS = (
    "smtpd_tls_chain_files",
    "smtpd_tls_cert_file",
    "smtpd_tls_eccert_file",
    "smtpd_tls_dcert_file",
)


def _certificate(model: PostfixModel, s: Service | None) -> bool:
    for name in CERTIFICATE_SETTINGS:
        value = model.value(name, s).strip()
        if value and value.lower() != "none":
            return True
    return False


def _certificate_files(model: PostfixModel, s: Service | None) -> str:
    """The certificate files smtpd loads for this service, as configured."""
    values = (model.value(name, s).strip() for name in CERTIFICATE_SETTINGS)
    return " ".join(v for v in values if v and v.lower() != "none")


def _certificate_span(model: PostfixModel, s: Service | None) -> Span | None:
    """The line that names the first certificate file smtpd loads for this service."""
    for name in CERTIFICATE_SETTINGS:
        setting = model.setting(name, s)
        if setting.span is not None and model.value(name, s).strip().lower() not in ("", "none"):
            return setting.span
    return None


def _anonymous_tls(model: PostfixModel, s: Service | None) -> bool:
    """``smtpd_tls_cert_file = none`` (any case) and no other certificate: on purpose."""
    chosen = model.value("smtpd_tls_cert_file", s).strip().lower() == "none"
    return chosen and not _certificate(model, s)


def pass_service(model: PostfixModel, postscreen: Service | None) -> Service | None:
    """The ``smtpd pass`` service postscreen hands clients to: private/$smtpd_service_name."""
    name = model.value("smtpd_service_name", postscreen).strip() or "smtpd"
    return next((s for s in model.services if s.type == "pass" and s.service == name), None)


def _listener_services(model: PostfixModel) -> list[tuple[str, Service | None, Service | None]]:
    """(name, listening service, service whose smtpd settings apply) per SMTP listener."""
    if model.master is None:
        # no master.cf: Postfix's stock master.cf runs only "smtp inet ... smtpd"
        return [("smtp/inet", None, None)]
    candidates: list[tuple[str, Service | None, Service | None]] = []
    for s in model.services:
        if s.type != "inet":
            continue
        if s.daemon == "smtpd":
            candidates.append((s.key, s, s))
        elif s.daemon == "postscreen":
            # postscreen hands clients to the "smtpd pass" service
            candidates.append((s.key, s, pass_service(model, s)))
    return candidates


# the parameters that name the domains this host receives mail for
_DESTINATION_PARAMETERS = (
    "mydestination",
    "virtual_alias_domains",
    "virtual_mailbox_domains",
    "relay_domains",
)


def accepts_domains(model: PostfixModel) -> bool:
    """Whether the host is the destination of some domain: a local, virtual or relay
    domain list that is not empty (a table counts: its contents are not known)."""
    return any(tokens(model.value(name)) for name in _DESTINATION_PARAMETERS)


def build_listeners(
    model: PostfixModel, problems: list[Diagnostic] | None = None
) -> tuple[list[Listener], list[Span | None]]:
    """The smtpd listeners; ``problems`` collects what makes one refuse or defer mail."""
    if problems is None:
        problems = []
    listeners: list[Listener] = []
    spans: list[Span | None] = []
    candidates = _listener_services(model)
    addresses = _listen_addresses(model)
    for key, listen, settings in candidates:
        name = listen.service if listen is not None else "smtp"
        host, port_text = host_port(name)
        port = port_number(port_text)
        address = host or (addresses[0] if len(addresses) == 1 else ",".join(addresses))
        role = {25: "smtp", 587: "submission", 465: "submissions"}.get(port or 0, "other")
        tls = _tls_mode(model, settings)
        discarded = ehlo_discards(model.value("smtpd_discard_ehlo_keywords", settings))
        unavailable = _tls_unavailable(model, settings, tls, discarded)
        if unavailable:
            setting_name, why = unavailable
            if tls == "optional":
                tls = "none"  # no client ever gets TLS here
            else:
                span = model.setting(setting_name, settings).span
                problems.append(
                    Diagnostic(
                        "tls-unavailable",
                        f"listener {key} requires TLS ({tls}), but {why}: no client can send mail",
                        span or (listen.span if listen is not None else Span("main.cf", 1, 1)),
                        data={"listener": key, "parameter": setting_name},
                    )
                )
        sasl = model.is_yes("smtpd_sasl_auth_enable", settings) and "auth" not in discarded
        relay, auth_required, broken = _relay_policy(model, settings, sasl)
        if broken:
            span = model.setting("mynetworks", settings).span
            if span is not None:
                problems.append(
                    Diagnostic(
                        "mynetworks-unreadable",
                        f'mynetworks entry "{broken}" is not a network smtpd can read (host '
                        "bits set, or not an address): smtpd logs a warning and answers "
                        f"451 4.3.0 at permit_mynetworks on {key}, so mail from every "
                        "client no earlier entry matches is deferred",
                        span,
                        data={"entry": broken, "listener": key},
                    )
                )
        sec_opts = tokens(model.value("smtpd_sasl_security_options", settings))
        plaintext_mechs = "noplaintext" not in sec_opts
        auth_only = model.is_yes("smtpd_tls_auth_only", settings) or tls == "required"
        if sasl and auth_only and tls == "none":
            sasl = False  # AUTH only after STARTTLS, and no STARTTLS: smtpd never offers it
        before_tls = sasl and tls != "implicit" and not auth_only and plaintext_mechs
        listeners.append(
            Listener(
                name=key,
                address=address,
                port=port,
                role=role,  # type: ignore[arg-type]
                tls=tls,  # type: ignore[arg-type]
                auth="required" if sasl and auth_required else ("offered" if sasl else "none"),
                auth_before_tls=before_tls,
                auth_plaintext_mechanisms=sasl and plaintext_mechs,
                relay=relay,
                tls_certificate=_certificate(model, settings),
                certificate_files=_certificate_files(model, settings),
                anonymous_tls=_anonymous_tls(model, settings),
                vrfy=not model.is_yes("disable_vrfy_command", settings),
                helo_required=model.is_yes("smtpd_helo_required", settings),
                banner=model.raw("smtpd_banner", settings),
                banner_expanded=model.value("smtpd_banner", settings),
            )
        )
        spans.append(listen.span if listen is not None else None)
    return listeners, spans


# the domain lists that make a destination one smtpd accepts mail for (permit_auth_destination)
AUTHORISED_DOMAIN_LISTS = (
    "mydestination",
    "relay_domains",
    "virtual_alias_domains",
    "virtual_mailbox_domains",
)


def _every_domain_authorised(model: PostfixModel, s: Service | None) -> bool:
    """A ``static:`` table in a domain list answers for every domain (relay_domains =
    static:all): reject_unauth_destination then lets any recipient through."""
    return any(
        t.lower().startswith("static:")
        for name in AUTHORISED_DOMAIN_LISTS
        for t in tokens(model.value(name, s))
    )


def _relay_policy(
    model: PostfixModel, s: Service | None, sasl: bool
) -> tuple[RelayPolicy, bool, str]:
    """The relay verdict of one smtpd service, whether it requires AUTH for all mail, and
    the unreadable mynetworks entry that makes smtpd defer mail from strangers ("")."""
    classes = restriction_classes(
        tokens(model.value("smtpd_restriction_classes", s)),
        lambda name: model.value(name, s),
    )
    nets = analyse_networks(model, s)
    ev = evaluate_relay(
        {name: model.value(name, s) for name in STAGES},
        classes,
        sasl,
        mynetworks_covers_everyone=nets.every_ipv4 or nets.every_ipv6 and _ipv6(model, s),
        every_destination_local=_every_domain_authorised(model, s),
        mynetworks_broken=bool(nets.broken),
        mynetworks_usable=nets.usable,
        delay_reject=model.is_yes("smtpd_delay_reject", s),
    )
    auth_required = not ev.stranger_local
    maybe = ev.maybe_permit_by
    if not ev.has_guard:
        policy = RelayPolicy(
            "closed",
            reason="neither smtpd_relay_restrictions nor smtpd_recipient_restrictions "
            "holds a relay guard (reject_unauth_destination, defer_unauth_destination, "
            "reject, defer, defer_if_permit): smtpd refuses to start",
        )
    elif ev.stranger_remote:
        decided = ev.decided_by.get("stranger", "no restriction rejects it")
        if not nets.every_ipv4 and nets.every_ipv6 and "permit_mynetworks" in decided:
            reason = (
                f"mynetworks covers every IPv6 address ({', '.join(nets.public)}), so "
                f"{decided} lets any IPv6 client relay"
            )
        elif nets.every_ipv4 and "permit_mynetworks" in decided:
            reason = (
                f"mynetworks covers every address ({', '.join(nets.public)}), so "
                f"{decided} lets a client from anywhere relay"
            )
        elif _every_domain_authorised(model, s) and decided == "no restriction rejects it":
            reason = (
                "a static: table in mydestination, relay_domains or a virtual domain list "
                "matches every domain, so reject_unauth_destination lets any recipient "
                "through and a client from anywhere may relay"
            )
        else:
            reason = f"a client from anywhere may relay ({decided})"
        policy = RelayPolicy("open", nets.listed, nets.public, nets.widest_prefix, reason)
    elif ev.mynetworks_remote:
        reason = "clients in mynetworks may relay"
        if maybe:
            reason += f"; {maybe} may also permit relaying"
        policy = RelayPolicy("networks", nets.listed, nets.public, nets.widest_prefix, reason)
    elif ev.authenticated_remote:
        reason = "only authenticated clients may relay"
        if maybe:
            reason += f"; {maybe} may also permit relaying"
        policy = RelayPolicy("authenticated", reason=reason)
    else:
        reason = "no client may relay"
        if maybe:
            reason += f" unless {maybe} permits it"
        policy = RelayPolicy("closed", reason=reason)
    policy.conditional_permit = maybe
    policy.guarded = ev.has_guard
    deferring = ev.has_guard and "permit_mynetworks" in ev.decided_by.get("stranger-local", "")
    broken = nets.broken if deferring else ""
    if broken:
        policy.reason += (
            f"; mynetworks entry {broken} cannot be read, so permit_mynetworks answers "
            "451 4.3.0 to every client no earlier entry matches"
        )
    return policy, auth_required, broken


def permit_mynetworks_reached(model: PostfixModel) -> bool:
    """Whether a client in mynetworks relays through permit_mynetworks on some listener:
    only then does what mynetworks holds (or mynetworks_style derives) matter."""
    for _key, _listen, s in _listener_services(model):
        classes = restriction_classes(
            tokens(model.value("smtpd_restriction_classes", s)),
            lambda name, s=s: model.value(name, s),  # type: ignore[misc]
        )
        ev = evaluate_relay(
            {name: model.value(name, s) for name in STAGES},
            classes,
            model.is_yes("smtpd_sasl_auth_enable", s),
        )
        if ev.has_guard and "permit_mynetworks" in ev.decided_by.get("mynetworks", ""):
            return True
    return False


def _ipv6(model: PostfixModel, s: Service | None) -> bool:
    """smtpd accepts IPv6 clients (inet_protocols = all or ipv6; default all)."""
    words = {w.lower() for w in tokens(model.value("inet_protocols", s))}
    return not words or bool(words & {"all", "ipv6"})


# ---------------------------------------------------------------- outbound


_RELAYHOST = re.compile(
    r"^(\[(?P<bracketed>[^\]]*)\]|(?P<plain>[^:\[\]]+|[0-9a-fA-F:]+))(:(?P<port>[\w-]+))?$"
)


def parse_relayhost(raw: str) -> Relayhost | None:
    first = tokens(raw)[0] if tokens(raw) else ""
    if not first:
        return None
    m = _RELAYHOST.match(first)
    if not m:
        return Relayhost(first, first, None, "", True)
    host = m.group("bracketed") if m.group("bracketed") is not None else m.group("plain")
    port_text = m.group("port") or ""
    # Postfix looks up MX records for a bare host name, but connects to a numeric
    # address directly (smtp_addr_one: "using numerical host")
    return Relayhost(
        first,
        host,
        port_number(port_text) if port_text else None,
        port_text,
        m.group("bracketed") is None and not is_ip_address(host),
    )


def _smtp_client_service(model: PostfixModel) -> Service | None:
    return next((s for s in model.services if s.service == "smtp" and s.type == "unix"), None)


def client_tls_level(model: PostfixModel, s: Service | None) -> str:
    """The SMTP client's TLS level, legacy smtp_use_tls/smtp_enforce_tls included."""
    level = model.value("smtp_tls_security_level", s).strip().lower()
    if not level:
        if model.is_yes("smtp_enforce_tls", s):
            level = "encrypt"
        elif model.is_yes("smtp_use_tls", s):
            level = "may"
    return level


# client TLS levels that never go on in clear ("dane" falls back to "may" for a
# server without TLSA records)
# smtp_tls_security_level → the posture's outbound TLS words
CLIENT_TLS = {
    "": "none",
    "none": "none",
    "may": "opportunistic",
    "encrypt": "required",
    "verify": "verified",
    "secure": "verified",
    "fingerprint": "verified",
    "dane": "dane",
    "dane-only": "dane",
}
_CLIENT_TLS_MANDATORY = frozenset({"encrypt", "verify", "secure", "fingerprint", "dane-only"})


def client_credentials_in_clear(model: PostfixModel, s: Service | None) -> str:
    """Why the SMTP client may send a SASL password in clear text, or "" when it cannot.

    smtp(8) authenticates to any server smtp_sasl_password_maps has credentials for (the
    relayhost or any other next hop). Without TLS it uses smtp_sasl_security_options
    (default "noplaintext, noanonymous"); smtp_sasl_mechanism_filter may leave out PLAIN
    and LOGIN. A TLS policy table can make TLS mandatory per destination: unknown here.
    """
    if not model.is_yes("smtp_sasl_auth_enable", s):
        return ""
    level = client_tls_level(model, s)
    if level in _CLIENT_TLS_MANDATORY or model.is_yes("smtp_tls_wrappermode", s):
        return ""
    if model.value("smtp_tls_policy_maps", s).strip():
        return ""
    if "noplaintext" in {t.lower() for t in tokens(model.value("smtp_sasl_security_options", s))}:
        return ""
    mechanisms = {t.lower() for t in tokens(model.value("smtp_sasl_mechanism_filter", s))}
    tables = any(":" in m for m in mechanisms)
    if mechanisms and not tables and not mechanisms & {m.lower() for m in PLAINTEXT_MECHANISMS}:
        return ""
    relay = parse_relayhost(model.value("relayhost", s))
    if relay is not None and loopback_only(relay.host):
        return ""  # the password stays on this host
    return (
        f'smtp_sasl_security_options = "{model.value("smtp_sasl_security_options", s)}" '
        f'allows PLAIN/LOGIN without TLS and smtp_tls_security_level = "{level}" does '
        "not require TLS"
    )


def build_outbound(model: PostfixModel) -> Outbound:
    s = _smtp_client_service(model)
    level = client_tls_level(model, s)
    tls = CLIENT_TLS.get(level, "none")
    auth = model.is_yes("smtp_sasl_auth_enable", s)
    wrapper = model.is_yes("smtp_tls_wrappermode", s)
    return Outbound(
        relayhost=parse_relayhost(model.value("relayhost")),
        tls=tls,  # type: ignore[arg-type]
        tls_level=level,
        wrappermode=wrapper,
        auth=auth,
        auth_plaintext_without_tls=bool(client_credentials_in_clear(model, s)),
    )


# ---------------------------------------------------------------- TLS


def protocols(spec: str) -> list[str]:
    """The protocols a Postfix ``*_tls_protocols`` value allows.

    Three syntaxes: bounds (``>=TLSv1.2``, ``<=TLSv1.3``), exclusions (``!SSLv2``) and
    inclusions. OpenSSL can only set a contiguous range, so a hole in an exclusion list
    disables every protocol above it.
    """
    order = list(SSL_TLS_PROTOCOLS)
    if not protocol_list_valid(spec):
        return []  # Postfix disables TLS altogether with this list
    words = [w for w in re.split(r"[\s,:]+", spec) if w]
    if not words:
        return order
    low, high = 0, len(order) - 1
    excluded: set[str] = set()
    included: set[str] = set()
    for w in words:
        if w.startswith(">="):
            name = _protocol_name(w[2:])
            if name in order:
                low = max(low, order.index(name))
        elif w.startswith("<="):
            name = _protocol_name(w[2:])
            if name in order:
                high = min(high, order.index(name))
        elif w.startswith("!"):
            excluded.add(_protocol_name(w[1:]))
        else:
            included.add(_protocol_name(w))
    allowed = [p for p in order[low : high + 1] if p not in excluded]
    if included:
        allowed = [p for p in allowed if p in included]
    if not allowed:
        return []
    # contiguous range from the lowest allowed protocol
    start = order.index(allowed[0])
    result = []
    for p in order[start:]:
        if p not in allowed:
            break
        result.append(p)
    return result


# tls_misc.c: protocol_table (names, "!" and bare) and tls_version_table (">=", "<=")
_PROTOCOL_NAMES = frozenset(p.lower() for p in SSL_TLS_PROTOCOLS)
_VERSION_NAMES = frozenset({"none", "sslv3", "tlsv1", "tlsv1.1", "tlsv1.2", "tlsv1.3"})


def protocol_list_valid(spec: str) -> bool:
    """Whether Postfix's tls_proto_mask_lims() accepts a ``*_tls_protocols`` value.

    Names match in any case (name_code() without NAME_CODE_FLAG_STRICT_CASE); a bound
    may also be a hexadecimal number (strtoul base 16, so "0x0303" or "303").
    """
    for word in (w for w in re.split(r"[\s,:]+", spec) if w):
        if word.startswith((">=", "<=")):
            bound = word[2:]
            if bound.lower() in _VERSION_NAMES:
                continue
            prefixed = bound.lower().startswith("0x")
            digits = bound[2:] if prefixed else bound
            if not re.fullmatch(r"[0-9A-Fa-f]*", digits) or len(digits) > 7:
                return False
            if prefixed and not digits:
                return False  # strtoul() stops at the "x"
        elif word.removeprefix("!").lower() not in _PROTOCOL_NAMES:
            return False
    return True


def _protocol_name(text: str) -> str:
    hexmap = {
        "0300": "SSLv3",
        "0301": "TLSv1",
        "0302": "TLSv1.1",
        "0303": "TLSv1.2",
        "0304": "TLSv1.3",
    }
    key = text.lower().removeprefix("0x")
    if key in hexmap:
        return hexmap[key]
    for p in SSL_TLS_PROTOCOLS:
        if p.lower() == text.lower():
            return p
    return text


# outbound levels at which the SMTP client applies the *_mandatory_* settings
MANDATORY_CLIENT_LEVELS = frozenset(
    {"encrypt", "verify", "secure", "fingerprint", "dane", "dane-only"}
)


def _mandatory_server_services(model: PostfixModel) -> list[Service | None]:
    """smtpd services where TLS is mandatory (encrypt, wrapper mode): only there do
    smtpd_tls_mandatory_protocols/_ciphers apply."""
    return [
        settings
        for _key, _listen, settings in _listener_services(model)
        if _tls_mode(model, settings) in ("required", "implicit")
    ]


def _opportunistic_server_services(model: PostfixModel) -> list[Service | None]:
    """smtpd services that offer STARTTLS without requiring it: each negotiates from
    smtpd_tls_protocols as it sees it (a -o in master.cf replaces main.cf's list)."""
    return [
        settings
        for _key, _listen, settings in _listener_services(model)
        if _tls_mode(model, settings) == "optional"
    ]


def _protocol_lists(model: PostfixModel, side: str) -> list[tuple[str, Service | None]]:
    """(parameter, service) of each protocol list one side ("server", "client") uses:
    main.cf's opportunistic list, the services' own opportunistic lists, then the
    mandatory lists of the services that use mandatory TLS."""
    if side == "server":
        return [
            ("smtpd_tls_protocols", None),
            *(("smtpd_tls_protocols", s) for s in _opportunistic_server_services(model)),
            *(("smtpd_tls_mandatory_protocols", s) for s in _mandatory_server_services(model)),
        ]
    return [
        ("smtp_tls_protocols", None),
        *(("smtp_tls_mandatory_protocols", s) for s in _mandatory_client_services(model)),
    ]


def weakest_list_span(model: PostfixModel, side: str) -> Span | None:
    """Where the list that lets the oldest protocol in is set, for a finding about a
    side's weak protocols: its fix goes there (a -o line of a service, or main.cf)."""
    best: tuple[int, Span | None] | None = None
    for name, service in _protocol_lists(model, side):
        allowed = protocols(model.value(name, service))
        if not allowed:
            continue
        span = model.setting(name, service).span
        rank = SSL_TLS_PROTOCOLS.index(allowed[0])
        # the weakest list wins; between lists as weak, one written down (a built-in
        # default has no line to fix)
        if best is None or rank < best[0] or (rank == best[0] and best[1] is None):
            best = (rank, span)
    return best[1] if best is not None else None


def _mandatory_client_services(model: PostfixModel) -> list[Service | None]:
    """SMTP/LMTP clients that may use mandatory TLS: a level of encrypt or stronger, wrapper
    mode, or a TLS policy table (whose entries can ask for it)."""
    clients: list[Service | None] = [None]
    if model.master is not None:
        clients = [s for s in model.services if s.daemon in ("smtp", "lmtp")]
    found: list[Service | None] = []
    for s in clients:
        level = model.value("smtp_tls_security_level", s).strip().lower()
        if not level and model.is_yes("smtp_enforce_tls", s):
            level = "encrypt"
        if (
            level in MANDATORY_CLIENT_LEVELS
            or model.is_yes("smtp_tls_wrappermode", s)
            or model.value("smtp_tls_policy_maps", s).strip()
        ):
            found.append(s)
    return found


def _union(lists: list[list[str]]) -> list[str]:
    return [p for p in SSL_TLS_PROTOCOLS if any(p in items for items in lists)]


def build_tls(model: PostfixModel) -> TlsSettings:
    def prot(name: str) -> list[str]:
        return protocols(model.value(name))

    server = prot("smtpd_tls_protocols")
    client = prot("smtp_tls_protocols")
    # what the STARTTLS services each accept (their -o lists included)
    server_o = _union(
        [protocols(model.value(name, s)) for name, s in _protocol_lists(model, "server")[1:]]
    )
    # the mandatory settings as the services that use them see them; none when no
    # service uses mandatory TLS (then they have no effect)
    mandatory_servers = _mandatory_server_services(model)
    mandatory_clients = _mandatory_client_services(model)
    server_m = _union(
        [protocols(model.value("smtpd_tls_mandatory_protocols", s)) for s in mandatory_servers]
    )
    client_m = _union(
        [protocols(model.value("smtp_tls_mandatory_protocols", s)) for s in mandatory_clients]
    )
    return TlsSettings(
        server_protocols=server,
        server_mandatory_protocols=server_m,
        client_protocols=client,
        client_mandatory_protocols=client_m,
        server_ciphers=model.value("smtpd_tls_ciphers"),
        server_mandatory_ciphers=model.value("smtpd_tls_mandatory_ciphers")
        if mandatory_servers
        else "",
        client_ciphers=model.value("smtp_tls_ciphers"),
        client_mandatory_ciphers=model.value("smtp_tls_mandatory_ciphers")
        if mandatory_clients
        else "",
        weak_server_protocols=sorted(
            set(weak_protocols(server) + weak_protocols(server_o) + weak_protocols(server_m)),
            key=SSL_TLS_PROTOCOLS.index,
        ),
        weak_client_protocols=sorted(
            set(weak_protocols(client) + weak_protocols(client_m)), key=SSL_TLS_PROTOCOLS.index
        ),
    )


# ---------------------------------------------------------------- all


def build_posture(model: PostfixModel) -> tuple[Posture, PostureSpans]:
    problems: list[Diagnostic] = []
    listeners, listener_spans = build_listeners(model, problems)
    outbound = build_outbound(model)
    identity = Identity(
        hostname=model.value("myhostname"),
        domain=model.value("mydomain"),
        origin=model.value("myorigin"),
        destinations=tokens(model.value("mydestination")),
        sending_domains=list(
            dict.fromkeys(
                d.lstrip("!")
                for d in [model.value("myorigin"), *tokens(model.value("masquerade_domains"))]
                if d and "$" not in d
            )
        ),
        outbound_addresses=[
            a for a in (model.value("smtp_bind_address"), model.value("smtp_bind_address6")) if a
        ],
        # OpenDKIM and friends sign through a milter; which selector is not in main.cf
        dkim_signing="maybe"
        if model.value("smtpd_milters") or model.value("non_smtpd_milters")
        else "no",
    )
    posture = Posture(
        mta="postfix",
        roles=infer_roles(listeners, outbound, accepts_domains(model)),
        listeners=listeners,
        outbound=outbound,
        tls=build_tls(model),
        identity=identity,
    )
    fields: dict[str, Span] = {}
    for path, name in (
        ("outbound.relayhost", "relayhost"),
        ("outbound.tls", "smtp_tls_security_level"),
        ("outbound.wrappermode", "smtp_tls_wrappermode"),
        ("outbound.auth", "smtp_sasl_auth_enable"),
        ("outbound.auth_plaintext_without_tls", "smtp_sasl_security_options"),
        ("tls.server_protocols", "smtpd_tls_protocols"),
        ("tls.server_mandatory_protocols", "smtpd_tls_mandatory_protocols"),
        ("tls.client_protocols", "smtp_tls_protocols"),
        ("tls.client_mandatory_protocols", "smtp_tls_mandatory_protocols"),
        ("tls.weak_server_protocols", "smtpd_tls_protocols"),
        ("tls.weak_client_protocols", "smtp_tls_protocols"),
        ("tls.server_ciphers", "smtpd_tls_ciphers"),
        ("tls.server_mandatory_ciphers", "smtpd_tls_mandatory_ciphers"),
        ("tls.client_ciphers", "smtp_tls_ciphers"),
        ("tls.client_mandatory_ciphers", "smtp_tls_mandatory_ciphers"),
        ("identity.hostname", "myhostname"),
    ):
        span = model.setting(name).span
        if span is not None:
            fields[path] = span
    for side in ("server", "client"):
        weakest = weakest_list_span(model, side)
        if weakest is not None:
            fields[f"tls.weak_{side}_protocols"] = weakest
    # where each listener's certificate is named (main.cf, or a -o of its service)
    settings_of = {key: settings for key, _listen, settings in _listener_services(model)}
    for i, listener in enumerate(listeners):
        if listener.certificate_files and listener.name in settings_of:
            span = _certificate_span(model, settings_of[listener.name])
            if span is not None:
                fields[f"listeners[{i}].certificate_files"] = span
    diagnostics: list[Diagnostic] = []
    for d in problems:  # one per setting, not one per listener that inherits it
        if not any(d.kind == e.kind and d.span == e.span for e in diagnostics):
            diagnostics.append(d)
    return posture, PostureSpans(listeners=listener_spans, fields=fields, diagnostics=diagnostics)
