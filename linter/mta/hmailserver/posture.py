"""hMailServer's answers to the cross-MTA posture questions.

Listeners are the TCP/IP ports of protocol SMTP, each with its connection security
(0 none, 1 SSL/TLS from the first byte, 2 STARTTLS optional, 3 STARTTLS required). What
``SMTPConnection.cpp`` does with them decides the facts: EHLO offers ``AUTH LOGIN``
(and ``PLAIN`` with AllowSMTPAuthPlain) on every port not listed in the INI's
``DisableAUTHList``, except before STARTTLS on a port that requires it; AUTH without TLS
is refused only where the client's IP range has "Require SSL/TLS for authentication";
VRFY is always refused and MAIL before HELO/EHLO is a bad sequence. Relaying is decided
by the IP ranges (:mod:`.ranges`), the same for every port.
"""

from __future__ import annotations

import re

from linter.mta.hmailserver.model import HMailModel, Port, SecurityRange
from linter.mta.hmailserver.ranges import RangeAnalysis, relay_policy
from linter.mta.hmailserver.settings import CONNECTION_SECURITY, CONNECTION_SECURITY_TEXT
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
    loopback_only,
    weak_protocols,
)
from linter.source import Span

TLS_VERSIONS = (
    ("TlsVersion10Enabled", "TLSv1"),
    ("TlsVersion11Enabled", "TLSv1.1"),
    ("TlsVersion12Enabled", "TLSv1.2"),
    ("TlsVersion13Enabled", "TLSv1.3"),
)
ROLES = {25: "smtp", 587: "submission", 465: "submissions"}
# OpenSSL cipher-string words that admit broken suites, and the "!" words that remove them
_WEAK_CLASSES = {
    "RC4": ("RC4",),
    "3DES": ("3DES", "DES-CBC3"),
    "DES": ("DES-CBC-", "DES-CFB"),
    "NULL": ("NULL", "eNULL"),
    "EXPORT": ("EXPORT", "EXP-", "EXP1024"),
    "MD5": ("-MD5",),
    "aNULL": ("aNULL", "ADH", "AECDH"),
}
_NEGATORS = {
    "RC4": {"RC4"},
    "3DES": {"3DES"},
    "DES": {"DES"},
    "NULL": {"NULL", "ENULL"},
    "EXPORT": {"EXPORT", "EXP", "EXPORT40", "EXPORT56"},
    "MD5": {"MD5"},
    "aNULL": {"ANULL", "ADH", "AECDH"},
}


def auth_disabled_ports(model: HMailModel) -> tuple[list[int], Span | None]:
    """``[Settings] DisableAUTHList`` of hMailServer.INI: ports where EHLO offers no AUTH."""
    entry = model.ini.get("Settings", "DisableAUTHList") if model.ini else None
    if entry is None:
        return [], None
    ports = [int(p) for p in re.split(r"[\s,;]+", entry.value) if p.isascii() and p.isdecimal()]
    return ports, entry.value_span


def banner(welcome: str, computer_name: str = "<computer name>") -> str:
    """The greeting after "220 ", as ``SMTPConnection::SendBanner_`` builds it."""
    if not welcome:
        return f"{computer_name} ESMTP"
    return welcome if welcome.endswith(" ESMTP") else f"{welcome} ESMTP"


def weak_ciphers(cipher_list: str) -> list[str]:
    """The broken kinds of suite an OpenSSL cipher string admits: a word naming RC4,
    3DES, single DES, NULL, export or MD5 suites, or anonymous key exchange, that a
    "!" word does not remove for good."""
    words = [w for w in re.split(r"[:,\s;]+", cipher_list) if w]
    removed = {w[1:].upper() for w in words if w.startswith("!")}
    weak: list[str] = []
    for word in words:
        if word[0] in "!-+":
            continue
        upper = word.upper()
        for kind, markers in _WEAK_CLASSES.items():
            if kind in weak or _NEGATORS[kind] & removed:
                continue
            everything = upper == "ALL" and kind in ("RC4", "3DES")
            named = any(m.upper() in upper for m in markers)
            if everything or (named and not (kind == "DES" and "3DES" in upper)):
                weak.append(kind)
    return weak


def tls_versions(model: HMailModel) -> list[str]:
    versions = ["SSLv3"] if model.ssl3_enabled else []
    versions.extend(name for setting, name in TLS_VERSIONS if model.value(setting))
    return versions


PROTOCOL_FLAGS = {"smtp": "allow_smtp", "pop3": "allow_pop3", "imap": "allow_imap"}


def port_ranges(
    model: HMailModel, analysis: RangeAnalysis, port: Port
) -> tuple[bool, list[SecurityRange]]:
    """Whether clients beyond this host can use ``port``, and the IP ranges that decide
    for them: those that allow its protocol and win for some address (for a port the
    Internet can reach, for some public address)."""
    flag = PROTOCOL_FLAGS.get(port.protocol)
    allowed = [
        r for r in model.ranges if analysis.of(r).effective and flag is not None and r.flag(flag)
    ]
    wide = [r for r in allowed if analysis.of(r).effective_public]
    public = bool(wide) and not loopback_only(port.address)
    return public, (wide if public else allowed)


def password_before_tls(
    model: HMailModel, analysis: RangeAnalysis, port: Port, disabled: list[int]
) -> bool:
    """A client can send its password before TLS: the port has no TLS or only offers
    it (SMTP AUTH, POP3 USER/PASS, IMAP LOGIN are refused before STARTTLS only on a port
    that requires it), and some range that decides lacks "Require SSL/TLS for
    authentication"."""
    if port.protocol == "smtp" and port.number in disabled:
        return False
    if port.security not in (0, 2):
        return False
    _, ranges = port_ranges(model, analysis, port)
    return any(not r.flag("require_tls_for_auth") for r in ranges)


def _auth_required(ranges: list[SecurityRange]) -> bool:
    """Every delivery these ranges allow needs SMTP authentication."""
    pairs = (
        ("relay_local_to_local", "auth_local_to_local"),
        ("relay_local_to_remote", "auth_local_to_external"),
        ("relay_remote_to_local", "auth_external_to_local"),
        ("relay_remote_to_remote", "auth_external_to_external"),
    )
    return bool(ranges) and all(
        r.flag(auth) for r in ranges for allow, auth in pairs if r.flag(allow)
    )


def build_listeners(
    model: HMailModel, analysis: RangeAnalysis, policy: RelayPolicy, deciding: SecurityRange | None
) -> tuple[list[Listener], PostureSpans]:
    spans = PostureSpans()
    listeners: list[Listener] = []
    if not model.value("ServiceSMTP"):
        return listeners, spans
    disabled, disabled_span = auth_disabled_ports(model)
    welcome = model.value("WelcomeSMTP")
    plain = bool(model.value("AllowSMTPAuthPlain"))
    for port in model.ports:
        if port.protocol != "smtp":
            continue
        public, ranges = port_ranges(model, analysis, port)
        tls = CONNECTION_SECURITY.get(port.security, "none")
        auth_on = port.number not in disabled
        before_tls = password_before_tls(model, analysis, port, disabled)
        listeners.append(
            Listener(
                name=port_name(port),
                address="*" if port.all_interfaces else port.address,
                port=port.number,
                role=ROLES.get(port.number, "other"),  # type: ignore[arg-type]
                public=public,
                tls=tls,  # type: ignore[arg-type]
                auth=("required" if _auth_required(ranges) else "offered") if auth_on else "none",
                auth_before_tls=before_tls,
                auth_plaintext_mechanisms=auth_on,
                relay=policy,
                tls_certificate=port.certificate_found,
                anonymous_tls=False,
                vrfy=False,
                helo_required=True,
                banner=welcome,
                banner_expanded=banner(welcome),
            )
        )
        spans.listeners.append(port.span)
        fields = {
            "tls": port.fields.get("tls", port.span),
            "tls_certificate": port.fields.get("certificate", port.span),
            "auth_before_tls": port.fields.get("tls", port.span),
        }
        if disabled_span is not None and not auth_on:
            fields["auth"] = disabled_span
            fields["auth_plaintext_mechanisms"] = disabled_span
        plain_span = model.span("AllowSMTPAuthPlain")
        if plain and plain_span is not None:
            fields["auth_plaintext_mechanisms"] = plain_span
        if deciding is not None:
            # the Options bit (or COM property) that would close the relay
            open_e2e = deciding.flag("relay_remote_to_remote") and not deciding.flag(
                "auth_external_to_external"
            )
            key = "auth_local_to_external"
            if open_e2e or policy.verdict in ("authenticated", "closed"):
                key = "auth_external_to_external"
            fields["relay"] = deciding.fields.get(key, deciding.span)
        welcome_span = model.span("WelcomeSMTP")
        if welcome_span is not None:
            fields["banner"] = fields["banner_expanded"] = welcome_span
        spans.listener_fields.append(fields)
    return listeners, spans


def port_name(port: Port) -> str:
    where = "" if port.all_interfaces else f"{port.address}:"
    return f"{port.protocol.upper()}/{where}{port.number}"


def build_outbound(model: HMailModel, spans: PostureSpans) -> Outbound:
    host = str(model.value("SMTPRelayer")).strip()
    verify = bool(model.value("VerifyRemoteSslCertificate"))
    if host:
        security = int(model.value("SMTPRelayerConnectionSecurity"))
        port = int(model.value("SMTPRelayerPort"))
        auth = bool(model.value("SMTPRelayerRequiresAuthentication"))
        setting = "SMTPRelayerConnectionSecurity"
        relayhost: Relayhost | None = Relayhost(f"{host}:{port}", host, port, str(port), False)
    else:
        security = int(model.value("SMTPConnectionSecurity"))
        auth = False
        setting = "SMTPConnectionSecurity"
        relayhost = None
    tls = {0: "none", 2: "opportunistic"}.get(security, "verified" if verify else "required")
    for path, name in (
        ("outbound.relayhost", "SMTPRelayer"),
        ("outbound.relayhost.port", "SMTPRelayerPort"),
        ("outbound.tls", setting),
        ("outbound.wrappermode", setting),
        ("outbound.auth", "SMTPRelayerRequiresAuthentication"),
        ("outbound.auth_plaintext_without_tls", "SMTPRelayerRequiresAuthentication"),
    ):
        span = model.span(name)
        if span is not None and (
            host or not path.startswith(("outbound.relayhost", "outbound.auth"))
        ):
            spans.fields[path] = span
    return Outbound(
        relayhost=relayhost,
        tls=tls,  # type: ignore[arg-type]
        tls_level=f"{setting} {CONNECTION_SECURITY_TEXT.get(security, str(security))}",
        wrappermode=security == 1,
        auth=auth,
        # the client offers LOGIN/PLAIN to the relayer whether or not STARTTLS happened
        auth_plaintext_without_tls=auth and security in (0, 2),
    )


def build_tls(
    model: HMailModel, listeners: list[Listener], outbound: Outbound, spans: PostureSpans
) -> TlsSettings:
    if model.database is None:
        return TlsSettings([], [], [], [], "", "", "", "")
    versions = tls_versions(model)
    mandatory_server = any(
        listener.tls in ("required", "implicit") for listener in listeners
    ) or any(p.security in (1, 3) for p in model.ports)
    mandatory_client = outbound.tls in ("required", "verified")
    ciphers = str(model.value("SslCipherList"))
    version_span = next(
        (
            model.span(s)
            for s, name in TLS_VERSIONS
            if name in weak_protocols(versions) and model.span(s)
        ),
        None,
    ) or next((model.span(s) for s, _ in TLS_VERSIONS if model.span(s)), None)
    if version_span is not None:
        for path in (
            "server_protocols",
            "client_protocols",
            "server_mandatory_protocols",
            "client_mandatory_protocols",
            "weak_server_protocols",
            "weak_client_protocols",
        ):
            spans.fields[f"tls.{path}"] = version_span
    cipher_span = model.span("SslCipherList")
    if cipher_span is not None:
        for path in (
            "server_ciphers",
            "server_mandatory_ciphers",
            "client_ciphers",
            "client_mandatory_ciphers",
        ):
            spans.fields[f"tls.{path}"] = cipher_span
    return TlsSettings(
        server_protocols=versions,
        server_mandatory_protocols=versions if mandatory_server else [],
        client_protocols=versions,
        client_mandatory_protocols=versions if mandatory_client else [],
        server_ciphers=ciphers,
        server_mandatory_ciphers=ciphers,
        client_ciphers=ciphers,
        client_mandatory_ciphers=ciphers,
        weak_server_protocols=weak_protocols(versions),
        weak_client_protocols=weak_protocols(versions),
    )


def build_posture(model: HMailModel, analysis: RangeAnalysis) -> tuple[Posture, PostureSpans]:
    policy, deciding = relay_policy(model.ranges, analysis)
    listeners, spans = build_listeners(model, analysis, policy, deciding)
    outbound = build_outbound(model, spans)
    tls = build_tls(model, listeners, outbound, spans)
    notes = []
    if model.database is None:
        notes.append(
            "the database settings (TCP/IP ports, IP ranges, relaying, TLS) are not in this "
            "config set: export them with contrib/Export-hMailServerSettings.ps1 or a backup"
        )
    identity = Identity(
        hostname=str(model.value("HostName")) if model.database else "",
        domain=str(model.value("DefaultDomain")) if model.database else "",
        origin="",
        destinations=list(model.domains),
    )
    posture = Posture(
        mta="hmailserver",
        roles=infer_roles(listeners, outbound) if model.database else ["null-client"],
        listeners=listeners,
        outbound=outbound,
        tls=tls,
        identity=identity,
        notes=notes,
    )
    return posture, spans
