"""Exchange's answers to the cross-MTA posture questions.

Each enabled receive connector is a listener. Its exposure is the client addresses it
wins (:mod:`.selection`): a connector whose RemoteIPRanges reach the Internet but that
narrower connectors shadow everywhere is private. From its settings:

* STARTTLS is offered with ``Tls`` in AuthMechanism; ``RequireTLS`` makes it required.
  Exchange's receive connectors have no implicit-TLS mode.
* AUTH LOGIN (``BasicAuth``) is offered before STARTTLS unless ``BasicAuthRequireTLS``
  (or ``RequireTLS``) holds it back; ``Integrated`` is NTLM/Kerberos (no password on the
  wire).
* Relaying is the extended right Ms-Exch-SMTP-Accept-Any-Recipient: anonymous clients
  hold it through an explicit Get-ADPermission entry for ANONYMOUS LOGON (the
  "anonymous relay connector" recipe) or through ``ExternalAuthoritative``, which treats
  every session as an authenticated Exchange server; authenticated users hold it
  through the ExchangeUsers permission group. Without the AD permissions in the input
  (Format-List text) an anonymous grant cannot be seen, so a connector open to
  anonymous users is "unknown", never "closed".

Outbound is the enabled send connector for address space ``*``.
"""

from __future__ import annotations

from linter.mta.exchange.model import ExchangeModel, ReceiveConnector, SendConnector
from linter.mta.exchange.reference import (
    ACCEPT_ANY_RECIPIENT,
    ANONYMOUS_NAMES,
    AUTHENTICATED_NAMES,
    AUTHORITATIVE_SENDER,
    SUBMIT,
)
from linter.mta.exchange.selection import Coverage, coverage, whole_space
from linter.posture import (
    Identity,
    Listener,
    Outbound,
    Posture,
    PostureSpans,
    Relayhost,
    RelayPolicy,
    TlsSettings,
    infer_roles,
)
from linter.source import Span

ROLES = {25: "smtp", 587: "submission", 465: "submissions"}


def _principal(user: str) -> str:
    u = user.strip().lower()
    if u in ANONYMOUS_NAMES:
        return "anonymous"
    if u in AUTHENTICATED_NAMES:
        return "authenticated"
    return "other"


def rights(connector: ReceiveConnector, who: str) -> tuple[set[str] | None, Span | None]:
    """The extended rights ``who`` ("anonymous", "authenticated") holds on the connector
    from its explicit AD permissions (denies removed), with the span of the grant; None
    when the input has no AD permissions."""
    if connector.permissions is None:
        return None, None
    allowed: set[str] = set()
    denied: set[str] = set()
    span = None
    for p in connector.permissions:
        if _principal(p.user) != who:
            continue
        (denied if p.deny else allowed).update(p.rights)
        if not p.deny and ACCEPT_ANY_RECIPIENT in p.rights:
            span = p.span
    return allowed - denied, span


def anonymous_relay(connector: ReceiveConnector) -> tuple[bool | None, str, Span | None]:
    """Whether an anonymous client may relay through the connector (None: cannot tell),
    why, and where that is decided."""
    if "ExternalAuthoritative" in connector.auth:
        return (
            True,
            "ExternalAuthoritative treats every client as an authenticated Exchange server",
            connector.fields.get("AuthMechanism", connector.span),
        )
    if "AuthMechanism" in connector.unknown:
        # ExternalAuthoritative would grant every client the right to relay
        return None, "its AuthMechanism is not in the input", None
    granted, span = rights(connector, "anonymous")
    if granted is None:
        if "AnonymousUsers" in connector.groups:
            return (
                None,
                "it admits anonymous clients and the AD permissions (Get-ADPermission) are not "
                "in the input",
                None,
            )
        if "PermissionGroups" in connector.unknown:
            return (
                None,
                "neither its PermissionGroups nor its AD permissions are in the input",
                None,
            )
        return False, "", None
    if ACCEPT_ANY_RECIPIENT in granted:
        return True, "NT AUTHORITY\\ANONYMOUS LOGON holds Ms-Exch-SMTP-Accept-Any-Recipient", span
    return False, "", None


def anonymous_submit(connector: ReceiveConnector) -> bool:
    if "AnonymousUsers" in connector.groups or "ExternalAuthoritative" in connector.auth:
        return True
    granted, _ = rights(connector, "anonymous")
    return bool(granted and SUBMIT in granted)


def anonymous_authoritative_sender(connector: ReceiveConnector) -> bool:
    """Anonymous clients may send as the organisation's own domains."""
    if "ExternalAuthoritative" in connector.auth:
        return True
    granted, _ = rights(connector, "anonymous")
    return bool(granted and AUTHORITATIVE_SENDER in granted)


def relay_policy(connector: ReceiveConnector, cov: Coverage) -> tuple[RelayPolicy, Span | None]:
    anonymous, why, span = anonymous_relay(connector)
    ranges = [r.text for r in connector.ranges]
    if anonymous is not False and "RemoteIPRanges" in connector.absent:
        return RelayPolicy(
            "unknown",
            reason=f"receive connector {connector.name!r} may admit anonymous clients and its "
            "RemoteIPRanges are not in the input",
        ), None
    if anonymous:
        wide = [r for r in connector.ranges if whole_space(r) and r.text in cov.public_ranges]
        opens = bool(cov.public and wide)
        if cut := _cut_short(connector, cov, opens):
            return RelayPolicy(
                "unknown",
                reason=f"anonymous clients may relay through receive connector "
                f"{connector.name!r} ({why}), but {cut}: whether strangers are among them "
                "is not known",
            ), span
        if opens:
            return RelayPolicy(
                "open",
                ranges,
                cov.public_ranges,
                None,
                f"receive connector {connector.name!r} serves clients from {wide[0].text}, "
                f"and {why}",
            ), span
        return RelayPolicy(
            "networks",
            ranges,
            cov.public_ranges,
            None,
            f"clients in {', '.join(ranges)} may relay without authentication: {why}",
        ), span
    if anonymous is None:
        return RelayPolicy(
            "unknown",
            reason=f"whether anonymous clients may relay through receive connector "
            f"{connector.name!r} is not known: {why}",
        ), None
    authenticated, _ = rights(connector, "authenticated")
    if "ExchangeUsers" in connector.groups or (
        authenticated and ACCEPT_ANY_RECIPIENT in authenticated
    ):
        return RelayPolicy("authenticated", reason="authenticated users may relay"), None
    return RelayPolicy("closed", reason="no client of this connector may relay"), None


def _cut_short(connector: ReceiveConnector, cov: Coverage, opens: bool) -> str:
    """Why the verdict on a connector anonymous clients may relay through cannot be drawn,
    or "".

    Its own RemoteIPRanges cut short may hide an entry that reaches the Internet: only
    "networks" is in doubt (what it shows already opens it to strangers stays so). Another
    connector's list cut short may hide narrower entries that take the Internet away from
    it: only "open" is in doubt."""
    if connector.partial_lists and not opens:
        return "its RemoteIPRanges show only some entries ('...' or one that cannot be read)"
    if cov.uncertain and opens:
        return "another connector of the server shows only some entries of its list"
    return ""


def default_banner(connector: ReceiveConnector) -> str:
    """Exchange's greeting when Banner is empty."""
    return f"{connector.fqdn or '<server FQDN>'} Microsoft ESMTP MAIL Service ready at <date>"


def greeting(connector: ReceiveConnector, port: int, cov: Coverage) -> str:
    """The greeting MTA015 judges. An empty Banner means Exchange's own greeting, the same
    on every connector; it matters (and is reported once) where the Internet meets it: a
    Front End connector on port 25 that Exchange chooses for clients from half the address
    space or more. A Banner the administrator wrote is judged wherever it is."""
    if connector.banner:
        return connector.banner
    if "Banner" in connector.absent:
        return ""  # a Format-List paste without it: the greeting is not known
    internet = (
        not cov.uncertain
        and connector.role == "FrontendTransport"
        and port == 25
        and cov.public
        and any(whole_space(r) and r.text in cov.public_ranges for r in connector.ranges)
    )
    return default_banner(connector) if internet else ""


def _role(connector: ReceiveConnector, port: int, frontend: bool) -> str:
    # behind a Front End Transport service, the Hub connectors (2525, 465 "Client Proxy")
    # take connections proxied by Exchange itself, not clients: 465 there is no SMTPS
    if connector.role == "HubTransport" and frontend:
        return "other"
    return ROLES.get(port, "other")


def build_listeners(model: ExchangeModel, spans: PostureSpans) -> list[Listener]:
    covered = coverage(model.receive)
    frontend = any(c.role == "FrontendTransport" for c in model.receive)
    listeners: list[Listener] = []
    for c in model.receive:
        if not c.enabled or not c.bindings:
            continue
        cov = covered[id(c)]
        policy, relay_span = relay_policy(c, cov)
        tls = "required" if c.require_tls else "optional" if "Tls" in c.auth else "none"
        basic = "BasicAuth" in c.auth or "BasicAuthRequireTLS" in c.auth
        offered = basic or "Integrated" in c.auth
        before_tls = (
            "BasicAuth" in c.auth
            and "BasicAuthRequireTLS" not in c.auth
            and not c.require_tls
            and "RequireTLS" not in c.absent  # not shown: TLS may be required
        )
        auth = "none" if not offered else "offered" if anonymous_submit(c) else "required"
        ports = sorted({b.port for b in c.bindings})
        addresses = ", ".join(sorted({b.address for b in c.bindings}))
        for port in ports:
            listeners.append(
                Listener(
                    name=c.name if len(ports) == 1 else f"{c.name}:{port}",
                    address=addresses,
                    port=port,
                    role=_role(c, port, frontend),  # type: ignore[arg-type]
                    # hidden entries elsewhere may take its public clients away
                    public=cov.public and not cov.uncertain,
                    tls=tls,  # type: ignore[arg-type]
                    auth=auth,  # type: ignore[arg-type]
                    auth_before_tls=before_tls,
                    auth_plaintext_mechanisms=basic,
                    relay=policy,
                    tls_certificate=True,  # Exchange picks the certificate by FQDN
                    anonymous_tls=False,
                    vrfy=False,
                    helo_required=True,
                    banner=c.banner,
                    banner_expanded=greeting(c, port, cov),
                )
            )
            spans.listeners.append(c.span)
            f = c.fields
            fields = {
                "tls": f.get("RequireTLS" if c.require_tls else "AuthMechanism", c.span),
                "auth": f.get("AuthMechanism", c.span),
                "auth_before_tls": f.get("AuthMechanism", c.span),
                "auth_plaintext_mechanisms": f.get("AuthMechanism", c.span),
                "relay": relay_span or f.get("PermissionGroups", c.span),
                "banner": f.get("Banner", c.span),
                "banner_expanded": f.get("Banner", c.span),
                "exposure": f.get("RemoteIPRanges", c.span),
            }
            spans.listener_fields.append(fields)
    return listeners


def internet_connector(model: ExchangeModel) -> SendConnector | None:
    return next((s for s in model.send if s.enabled and s.internet), None)


def build_outbound(model: ExchangeModel, spans: PostureSpans) -> Outbound:
    s = internet_connector(model)
    if s is None:
        return Outbound(None, "opportunistic", "no send connector for *", False, False, False)
    if s.absent:
        # a paste of chosen properties: as little is claimed as with no connector at all
        return Outbound(
            None,
            "opportunistic",
            f"send connector {s.name!r}: {', '.join(s.absent)} not in the input, not judged",
            False,
            False,
            False,
        )
    relayhost = None
    if not s.dns_routing and s.smart_hosts:
        host = s.smart_hosts[0].strip("[]")
        relayhost = Relayhost(s.smart_hosts[0], host, s.port, str(s.port), False)
    if s.ignore_starttls:
        tls = "none"
    elif s.require_tls:
        tls = (
            "verified"
            if s.tls_auth_level in ("CertificateValidation", "DomainValidation")
            else "required"
        )
    else:
        tls = "opportunistic"
    auth = relayhost is not None and s.smart_host_auth in ("BasicAuth", "BasicAuthRequireTLS")
    plaintext = auth and (
        s.ignore_starttls or (s.smart_host_auth == "BasicAuth" and not s.require_tls)
    )
    f = s.fields
    for path, name in (
        ("outbound.relayhost", "SmartHosts"),
        ("outbound.relayhost.port", "Port"),
        ("outbound.tls", "IgnoreSTARTTLS" if s.ignore_starttls else "RequireTLS"),
        ("outbound.auth", "SmartHostAuthMechanism"),
        ("outbound.auth_plaintext_without_tls", "SmartHostAuthMechanism"),
    ):
        spans.fields[path] = f.get(name, s.span)
    level = (
        f"send connector {s.name!r}: RequireTLS {s.require_tls}, IgnoreSTARTTLS {s.ignore_starttls}"
    )
    if s.tls_auth_level:
        level += f", TlsAuthLevel {s.tls_auth_level}"
    return Outbound(relayhost, tls, level, False, auth, plaintext)  # type: ignore[arg-type]


def build_posture(model: ExchangeModel) -> tuple[Posture, PostureSpans]:
    spans = PostureSpans()
    listeners = build_listeners(model, spans)
    outbound = build_outbound(model, spans)
    notes = [
        "TLS protocol versions are Windows (Schannel) settings, not in the cmdlet output: "
        "not checked"
    ]
    if not model.has_permissions and model.receive:
        notes.append(
            "the receive connectors' AD permissions (Get-ADPermission) are not in the input: "
            "an anonymous relay grant cannot be seen; export with "
            "contrib/Export-ExchangeSettings.ps1"
        )
    s = internet_connector(model)
    posture = Posture(
        mta="exchange",
        roles=infer_roles(listeners, outbound),
        listeners=listeners,
        outbound=outbound,
        tls=TlsSettings([], [], [], [], "", "", "", ""),
        identity=Identity(
            hostname=next((c.fqdn for c in model.receive if c.fqdn), "") or (s.fqdn if s else ""),
            domain=model.accepted_domains[0] if model.accepted_domains else "",
            origin="",
            destinations=list(model.accepted_domains),
        ),
        notes=notes,
    )
    return posture, spans
