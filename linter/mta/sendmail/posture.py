"""sendmail's answers to the cross-MTA posture questions, from the options of the .cf."""

from __future__ import annotations

import ipaddress
import re

from linter.mta.sendmail.model import Daemon, SendmailModel, daemon_fields
from linter.posture import (
    PLAINTEXT_MECHANISMS,
    SSL_TLS_PROTOCOLS,
    Identity,
    Listener,
    Outbound,
    Posture,
    PostureSpans,
    Relayhost,
    RelayPolicy,
    TlsSettings,
    infer_roles,
    service_port,
    weak_protocols,
)
from linter.source import Span

# what "$v" and "$Z" show in the greeting: Debian 12's sendmail and its cf files
SENDMAIL_VERSION = "8.17.1.9"


def words(value: str | None) -> list[str]:
    return [w for w in re.split(r"[\s,]+", value or "") if w]


def port_number(text: str) -> int | None:
    if not text.strip():
        return 25  # sendmail's default port is smtp
    return service_port(text)


# ---------------------------------------------------------------- relay


def class_r_entry(entry: str) -> tuple[str, bool, int | None]:
    """A class {R} entry as a network: (label, public, prefix length).

    sendmail matches client addresses in class {R} (and access map Connect: keys) by
    dotted prefix: ``10`` covers 10.0.0.0/8, ``192.0.2`` covers 192.0.2.0/24.
    """
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){0,3}\.?", entry):
        octets = entry.rstrip(".").split(".")
        prefix = 8 * len(octets)
        addr = ".".join(octets + ["0"] * (4 - len(octets)))
        try:
            net = ipaddress.ip_network(f"{addr}/{prefix}", strict=False)
        except ValueError:
            return entry, False, None
        public = not (net.is_private or net.is_loopback or net.is_link_local)
        return str(net), public, prefix
    if entry.startswith("IPv6:"):
        return entry, False, None
    # a domain: every host in it; a top-level domain alone is the whole TLD
    return entry, "." not in entry.strip("."), None


def relay_policy(model: SendmailModel, daemon: Daemon, auth_offered: bool) -> RelayPolicy:
    networks = ["127.0.0.1", "[::1]", "hosts in class {R} (/etc/mail/relay-domains)"]
    public: list[str] = []
    widest: int | None = 8
    for stmt in model.calls("RELAY_DOMAIN"):
        for arg in stmt.args:
            for entry in words(arg):
                label, is_public, prefix = class_r_entry(entry)
                networks.append(label)
                if is_public:
                    public.append(label)
                if prefix is not None:
                    widest = prefix if widest is None else min(widest, prefix)
    for stmt in model.calls("RELAY_DOMAIN_FILE"):
        networks.extend(f"hosts in {w}" for w in words(" ".join(stmt.args)))
    reasons: list[str] = []
    conditional: list[str] = []
    if "a" in daemon.modifiers and "A" not in daemon.modifiers:
        # M=a: MAIL without AUTH gets "530 5.7.0 Authentication required", whatever the
        # relay features would allow afterwards
        return RelayPolicy(
            "authenticated",
            reason="every client must authenticate first (M=a)",
        )
    if model.has_feature("promiscuous_relay"):
        return RelayPolicy(
            "open",
            networks=["0.0.0.0/0"],
            public_networks=["0.0.0.0/0"],
            widest_prefix=0,
            reason="FEATURE(`promiscuous_relay') relays mail from any host to any host",
        )
    if model.has_feature("relay_local_from"):
        return RelayPolicy(
            "open",
            networks=networks,
            public_networks=public,
            widest_prefix=widest,
            reason="FEATURE(`relay_local_from') relays for any client that gives a sender "
            "address in a local domain, and anyone can forge one",
            conditional_permit="FEATURE(`relay_local_from')",
        )
    if model.has_feature("relay_entire_domain"):
        networks.append("any host in the local domains (class {m})")
        reasons.append("FEATURE(`relay_entire_domain') relays for every host in class {m}")
    if model.has_feature("relay_hosts_only"):
        reasons.append("FEATURE(`relay_hosts_only') matches class {R} by exact host name")
    if model.has_feature("relay_based_on_MX"):
        conditional.append("FEATURE(`relay_based_on_MX')")
        reasons.append(
            "FEATURE(`relay_based_on_MX') relays to any domain whose MX points here, "
            "which whoever controls that domain's DNS decides"
        )
    if model.has_feature("relay_mail_from"):
        conditional.append("FEATURE(`relay_mail_from')")
        reasons.append(
            "FEATURE(`relay_mail_from') relays for sender addresses listed with RELAY in "
            "the access map, and the sender can be forged"
        )
    if model.has_feature("loose_relay_check"):
        conditional.append("FEATURE(`loose_relay_check')")
        reasons.append("FEATURE(`loose_relay_check') lets %-hack addresses relay")
    if model.has_feature("access_db"):
        networks.append("clients listed with RELAY in the access map")
        conditional.append("FEATURE(`access_db')")
    if model.calls("TRUST_AUTH_MECH") or auth_offered:
        reasons.append("authenticated clients may relay")
    reason = "localhost and the hosts in class {R} may relay"
    if reasons:
        reason += "; " + "; ".join(reasons)
    return RelayPolicy(
        "networks",
        networks=networks,
        public_networks=public,
        widest_prefix=widest,
        reason=reason,
        conditional_permit=", ".join(conditional),
    )


# ---------------------------------------------------------------- listeners


def auth_mechanisms(model: SendmailModel) -> list[str]:
    mechs = words(model.value("AuthMechanisms"))
    for stmt in model.calls("TRUST_AUTH_MECH"):
        for arg in stmt.args:
            mechs.extend(w for w in words(arg) if w not in mechs)
    return [m.upper() for m in mechs]


def auth_configured(model: SendmailModel) -> bool:
    """AUTH is set up on purpose: mechanisms chosen or trusted in the .mc."""
    origin = model.origin("confAUTH_MECHANISMS")
    return bool(model.calls("TRUST_AUTH_MECH")) or (origin is not None and origin.span is not None)


# what sendmail 8.17 requires before it offers STARTTLS (TLS_I_SRV_CERT in tls.h: the
# certificate, the key, and an existing CACertPath and CACertFile); without any of them the
# daemon runs and simply does not advertise STARTTLS
SERVER_TLS_FILES = ("ServerCertFile", "ServerKeyFile", "CACertFile", "CACertPath")


def tls_certificate(model: SendmailModel) -> bool:
    return all((model.value(name) or "").strip() for name in SERVER_TLS_FILES)


def auth_options(model: SendmailModel) -> set[str]:
    return set("".join(words(model.value("AuthOptions"))))


def privacy(model: SendmailModel) -> set[str]:
    return {w.lower() for w in words(model.value("PrivacyOptions"))}


def expand_banner(text: str) -> str:
    """The greeting as a client sees it: sendmail puts "ESMTP" after the first word and
    fills in $v (its version) and $Z (the cf version)."""
    first, sep, rest = text.partition(" ")
    shown = f"{first} ESMTP{sep}{rest}" if "ESMTP" not in text else text
    return shown.replace("$v", SENDMAIL_VERSION).replace("$Z", SENDMAIL_VERSION)


def build_listeners(model: SendmailModel) -> tuple[list[Listener], list[Span | None]]:
    listeners: list[Listener] = []
    spans: list[Span | None] = []
    cert = tls_certificate(model)
    mechs = auth_mechanisms(model)
    plaintext = bool(set(mechs) & PLAINTEXT_MECHANISMS)
    p_flag = "p" in auth_options(model)
    flags = privacy(model)
    banner = model.value("SmtpGreetingMessage") or "$j Sendmail $v ready at $b"
    configured = auth_configured(model)
    for daemon in model.daemons:
        if daemon.family in ("local", "unix"):
            continue
        mods = daemon.modifiers
        port = port_number(daemon.port_text)
        address = daemon.address or "*"
        if "s" in mods:
            tls = "implicit"
        elif cert and "S" not in mods:
            tls = "optional"
        else:
            tls = "none"
        auth_off = "A" in mods
        required = "a" in mods and not auth_off
        offered = not auth_off and (configured or required)
        relay = relay_policy(model, daemon, offered)
        before_tls = offered and plaintext and not p_flag and tls != "implicit"
        role = {25: "smtp", 587: "submission", 465: "submissions"}.get(port or 0, "other")
        listeners.append(
            Listener(
                name=daemon.name or f"port {daemon.port_text or 'smtp'}",
                address=address,
                port=port,
                role=role,  # type: ignore[arg-type]
                tls=tls,  # type: ignore[arg-type]
                auth="required" if offered and required else ("offered" if offered else "none"),
                auth_before_tls=before_tls,
                auth_plaintext_mechanisms=offered and plaintext,
                relay=relay,
                tls_certificate=cert,
                certificate_files=(model.value("ServerCertFile") or "") if cert else "",
                anonymous_tls=False,
                vrfy=not ({"novrfy", "goaway"} & flags),
                helo_required=bool({"needmailhelo", "goaway"} & flags),
                banner=banner,
                banner_expanded=expand_banner(banner),
            )
        )
        spans.append(daemon.span)
    return listeners, spans


# ---------------------------------------------------------------- outbound


def smart_host(model: SendmailModel) -> tuple[str, str, Relayhost] | None:
    """(macro, mailer, relayhost) for SMART_HOST (or MAIL_HUB), as cf/README reads it:
    ``[mailer:]host``, square brackets turn off MX lookups, the port comes from the
    mailer's arguments (``TCP $h 587``)."""
    for macro in ("SMART_HOST", "MAIL_HUB"):
        if not model.defined(macro):
            continue
        raw = model.macro_value(macro).strip()
        if not raw:
            continue
        mailer = model.macro_value("confRELAY_MAILER").strip() or "relay"
        rest = raw
        m = re.match(r"^([A-Za-z][\w-]*):(?!\d+$)(.+)$", raw)
        if m and not raw.startswith("["):
            mailer, rest = m.group(1), m.group(2)
        port_text = ""
        host = rest
        bracket = re.fullmatch(r"\[([^\]]*)\](?::(\w+))?", rest)
        if bracket:
            host = bracket.group(1)
            port_text = bracket.group(2) or ""
        args = mailer_args(model, mailer)
        arg_words = args.split()
        if len(arg_words) >= 3 and arg_words[0] == "TCP":
            port_text = arg_words[2]
        port = port_number(port_text) if port_text else None
        return (
            macro,
            mailer,
            Relayhost(raw, host, port, port_text, bracket is None),
        )
    return None


def mailer_args(model: SendmailModel, mailer: str) -> str:
    macro = {
        "relay": "RELAY_MAILER_ARGS",
        "esmtp": "ESMTP_MAILER_ARGS",
        "smtp": "SMTP_MAILER_ARGS",
        "smtp8": "SMTP8_MAILER_ARGS",
        "dsmtp": "DSMTP_MAILER_ARGS",
    }.get(mailer.lower(), "RELAY_MAILER_ARGS")
    return model.macro_value(macro).strip() or "TCP $h"


def client_auth(model: SendmailModel) -> bool:
    return model.has_feature("authinfo") or model.defined("confDEF_AUTH_INFO")


def build_outbound(model: SendmailModel) -> Outbound:
    found = smart_host(model)
    client_mods = "".join(
        daemon_fields(o.value or "").get("Modifier", "") for o in model.client_options
    )
    tls = "none" if "S" in client_mods else "opportunistic"
    auth = client_auth(model) and "A" not in client_mods
    p_flag = "p" in auth_options(model)
    return Outbound(
        relayhost=found[2] if found else None,
        tls=tls,  # type: ignore[arg-type]
        tls_level="no STARTTLS (ClientPortOptions M=S)" if tls == "none" else "opportunistic",
        wrappermode=False,
        auth=auth,
        auth_plaintext_without_tls=auth and not p_flag,
    )


# ---------------------------------------------------------------- TLS


def ssl_protocols(options: str | None) -> list[str]:
    """The protocols a ServerSSLOptions/ClientSSLOptions value leaves on.

    Unset, sendmail passes ``SSL_OP_ALL -SSL_OP_TLSEXT_PADDING``: the protocols are then
    whatever the OpenSSL build allows, which since OpenSSL 1.1.0 no longer includes SSLv2
    or (by default) SSLv3. ``-SSL_OP_NO_SSLv3`` asks for SSLv3 back.
    """
    allowed = {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
    names = {
        "SSL_OP_NO_SSLV2": "SSLv2",
        "SSL_OP_NO_SSLV3": "SSLv3",
        "SSL_OP_NO_TLSV1": "TLSv1",
        "SSL_OP_NO_TLSV1_1": "TLSv1.1",
        "SSL_OP_NO_TLSV1_2": "TLSv1.2",
        "SSL_OP_NO_TLSV1_3": "TLSv1.3",
    }
    for word in words(options):
        sign = "-" if word.startswith("-") else "+"
        proto = names.get(word.lstrip("+-").upper())
        if proto is None:
            continue
        if sign == "+":
            allowed.discard(proto)
        else:
            allowed.add(proto)
    return [p for p in SSL_TLS_PROTOCOLS if p in allowed]


def build_tls(model: SendmailModel, listeners: list[Listener]) -> TlsSettings:
    server = ssl_protocols(model.value("ServerSSLOptions"))
    client = ssl_protocols(model.value("ClientSSLOptions"))
    # sendmail has no separate "mandatory" protocol list: where TLS is mandatory (an
    # implicit-TLS daemon) the same options apply; requirements set in the access map
    # (TLS_Srv:, TLS_Clt:) are not in the .mc
    implicit = any(listener.tls == "implicit" for listener in listeners)
    ciphers = model.value("CipherList") or ""
    return TlsSettings(
        server_protocols=server,
        server_mandatory_protocols=server if implicit else [],
        client_protocols=client,
        client_mandatory_protocols=[],
        server_ciphers=ciphers,
        server_mandatory_ciphers=ciphers,
        client_ciphers=ciphers,
        client_mandatory_ciphers=ciphers,
        weak_server_protocols=weak_protocols(server),
        weak_client_protocols=weak_protocols(client),
    )


# ---------------------------------------------------------------- all


def build_posture(model: SendmailModel) -> tuple[Posture, PostureSpans]:
    listeners, listener_spans = build_listeners(model)
    outbound = build_outbound(model)
    masquerade = model.macro_value("MASQUERADE_NAME").strip()
    identity = Identity(
        hostname=model.value("confDOMAIN_NAME") or model.macro_value("confDOMAIN_NAME") or "$j",
        domain="",
        origin=masquerade,
        destinations=["$=w (local-host-names)"],
        sending_domains=[masquerade] if masquerade else [],
        outbound_addresses=[
            a for o in model.client_options if (a := daemon_fields(o.value or "").get("Addr", ""))
        ],
        dkim_signing="maybe" if any(f.name == "dkim" for f in model.features) else "no",
    )
    posture = Posture(
        mta="sendmail",
        roles=infer_roles(listeners, outbound),
        listeners=listeners,
        outbound=outbound,
        tls=build_tls(model, listeners),
        identity=identity,
    )
    fields: dict[str, Span] = {}
    found = smart_host(model)
    spans = {
        "outbound.relayhost": model.origin(found[0]) if found else None,
        "outbound.auth": model.origin("confDEF_AUTH_INFO"),
        "tls.server_protocols": model.origin("confSERVER_SSL_OPTIONS"),
        "tls.weak_server_protocols": model.origin("confSERVER_SSL_OPTIONS"),
        "tls.client_protocols": model.origin("confCLIENT_SSL_OPTIONS"),
        "tls.weak_client_protocols": model.origin("confCLIENT_SSL_OPTIONS"),
        "tls.server_ciphers": model.origin("confCIPHER_LIST"),
    }
    authinfo = model.feature("authinfo")
    for path, origin in spans.items():
        if origin is not None and origin.span is not None:
            fields[path] = origin.span
    if authinfo is not None and authinfo.span is not None:
        fields["outbound.auth"] = authinfo.span
        fields["outbound.auth_plaintext_without_tls"] = authinfo.span
    if found:
        args_origin = model.origin(_ARGS_MACRO.get(found[1], "RELAY_MAILER_ARGS"))
        if args_origin is not None and args_origin.span is not None:
            fields["outbound.relayhost.port"] = args_origin.span
    cert_origin = model.origin("confSERVER_CERT")
    if cert_origin is not None and cert_origin.span is not None:
        # one certificate for every daemon: its define() is where each one's is set
        for i, listener in enumerate(listeners):
            if listener.certificate_files:
                fields[f"listeners[{i}].certificate_files"] = cert_origin.span
    if model.client_options:
        first = model.client_options[0].span
        if first is not None:
            fields["outbound.tls"] = first
    return posture, PostureSpans(listeners=listener_spans, fields=fields)


_ARGS_MACRO = {
    "relay": "RELAY_MAILER_ARGS",
    "esmtp": "ESMTP_MAILER_ARGS",
    "smtp": "SMTP_MAILER_ARGS",
}
