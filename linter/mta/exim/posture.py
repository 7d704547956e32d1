"""Exim's answers to the cross-MTA posture questions, from the model of its configuration.

* Listeners: ``daemon_smtp_ports`` on every address of ``local_interfaces`` (an address
  may carry its own port: ``192.0.2.1.2525``, ``[::1]:2525``); ``tls_on_connect_ports``
  makes a port implicit TLS.
* TLS offered to strangers by ``tls_advertise_hosts``; TLS or AUTH *required* when the
  ACLs refuse every recipient to a client without it (judged by :mod:`.acl`).
* AUTH: the server authenticators, ``auth_advertise_hosts`` and each authenticator's
  ``server_advertise_condition`` (the spec's ``${if def:tls_in_cipher}`` idiom keeps
  PLAIN/LOGIN behind TLS).
* Relay: the connect, HELO, MAIL and RCPT ACLs judged for a stranger, a member of each host
  list an ``accept`` trusts, and an authenticated client, for a recipient elsewhere.
* Outbound: the first router that sends other domains away (``manualroute`` with a
  ``route_list`` is a smarthost, ``dnslookup`` is direct delivery) and its smtp transport.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.limits import decimal
from linter.mta.exim import options as table
from linter.mta.exim.acl import AclEvaluator, Client, Decision, expand_for_port, network_of
from linter.mta.exim.model import Driver, EximModel, Setting, atoi, list_items
from linter.posture import (
    PLAINTEXT_MECHANISMS,
    SSL_TLS_PROTOCOLS,
    Identity,
    Listener,
    Outbound,
    Posture,
    Relayhost,
    RelayPolicy,
    TlsSettings,
    infer_roles,
    service_port,
    weak_protocols,
)
from linter.posture import PostureSpans as SharedPostureSpans
from linter.source import Span

WILDCARDS = {"0.0.0.0", "::0", "::", "0:0:0:0:0:0:0:0"}  # noqa: S104 - addresses read, not bound
# drivers that act as a server whatever their options say (their init sets ->server)
ALWAYS_SERVER = {"cyrus_sasl", "gsasl", "heimdal_gssapi"}
# the option whose presence makes a driver a server (its init function: plaintext.c
# "if (ablock->server_condition) ablock->server = TRUE"); without it the authenticator
# is never advertised
SERVER_OPTION = {
    "plaintext": "server_condition",
    "external": "server_condition",
    "cram_md5": "server_secret",
    "spa": "server_password",
    "dovecot": "server_socket",
}
# ${if def:tls_in_cipher} and the other spellings of "only inside TLS"
_TLS_GATE = re.compile(
    r"^\$\{if\s*(?:def:\s*\$?(?:tls_in_cipher|tls_cipher)\s*"
    r"|!\s*eq\s*\{\s*\$(?:tls_in_cipher|tls_cipher)\s*\}\s*\{\s*\}\s*"
    r"|eq\s*\{\s*\$(?:tls_in_cipher|tls_cipher)\s*\}\s*\{\s*\}\s*\{\s*(?:no|false|0)?\s*\}\s*\{\s*(?:yes|true|1|\*)\s*\}\s*"
    r"|(?:bool|bool_lax)\s*\{\s*\$\{if\s*def:tls_in_cipher[^}]*\}\s*\}\s*)"
    r"(?:\{\s*(?:yes|true|1|\*)\s*\}\s*(?:\{\s*(?:no|false|0)?\s*\}\s*)?)?\}$"
)
_CLIENT_TLS_GATE = re.compile(r"^\$\{if\s*def:\s*\$?tls_out_cipher\s*(?:\{[^{}]*\}\s*)*\}$")
# ${if !eq{$tls_out_cipher}{}{...}fail}, also inside and{} (Debian's LOGIN client_send)
_CLIENT_SEND_GATE = re.compile(
    r"\$\{if\s*(?:and\s*\{\s*\{\s*)?!\s*eq\s*\{\s*\$tls_out_cipher\s*\}\s*\{\s*\}"
)
# the ACLs a client passes before RCPT
RCPT_PATH = ("acl_smtp_connect", "acl_smtp_helo", "acl_smtp_mail")
# what $version_number and friends show: Debian 12's Exim
EXIM_VERSION = table.EXIM_VERSION

# Exim's openssl_options default (spec, "openssl_options")
OPENSSL_DEFAULT = "+no_sslv2 +no_sslv3 +single_dh_use +no_ticket +no_renegotiation"
_OPENSSL_PROTOCOL = {
    "no_sslv2": "SSLv2",
    "no_sslv3": "SSLv3",
    "no_tlsv1": "TLSv1",
    "no_tlsv1_1": "TLSv1.1",
    "no_tlsv1_2": "TLSv1.2",
    "no_tlsv1_3": "TLSv1.3",
}
_GNUTLS_PROTOCOL = {
    "VERS-SSL3.0": "SSLv3",
    "VERS-TLS1.0": "TLSv1",
    "VERS-TLS1.1": "TLSv1.1",
    "VERS-TLS1.2": "TLSv1.2",
    "VERS-TLS1.3": "TLSv1.3",
}
# what the TLS library enables when the configuration does not say otherwise: Debian's
# Exim is built with GnuTLS, whose default priority (NORMAL) still accepts TLS 1.0 and 1.1
# (tests/mta/exim/test_tls_live.py handshakes with a running daemon to check it)
LIBRARY_PROTOCOLS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]


@dataclass
class PostureSpans(SharedPostureSpans):
    """The shared spans, and the listeners that answer EXPN."""

    # public listeners where a stranger's EXPN is answered (acl_smtp_expn accepts)
    expn_listeners: list[str] = field(default_factory=list)


@dataclass
class Authenticator:
    """What one authenticator does, for the posture and the facts."""

    name: str
    driver: str
    public_name: str
    span: Span
    server: bool
    client: bool
    plaintext: bool
    # "always", "tls" (only inside TLS), "never", "conditional" (an expansion)
    advertised: str
    client_tls_gated: bool
    client_send: str = ""
    advertise_condition: str | None = None

    def to_fact(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "driver": self.driver,
            "public_name": self.public_name,
            "server": self.server,
            "client": self.client,
            "plaintext": self.plaintext,
            "advertised": self.advertised,
            "client_tls_gated": self.client_tls_gated,
            "client_send": self.client_send,
            "line": self.span.line,
        }


def interface(item: str) -> tuple[str, int | None]:
    """A ``local_interfaces`` item as (address, port or None)."""
    item = item.strip()
    m = re.fullmatch(r"\[([^\]]+)\]:(\d+)", item)
    if m:
        return m.group(1), decimal(m.group(2))
    head, dot, tail = item.rpartition(".")
    if dot and tail.isdecimal():
        try:
            ipaddress.ip_address(head)
            return head, decimal(tail)
        except ValueError:
            pass
    return item.strip("[]"), None


def driver_setting(d: Driver, name: str) -> Setting:
    """A driver option as set, or its default for that driver type."""
    if name in d.options:
        return d.options[name]
    for scope in (f"{d.kind}:{d.driver}", f"{d.kind}s"):
        entry = table.OPTIONS.get(scope, {}).get(name)
        if entry is not None:
            kind, default, _ = entry
            return Setting(name, kind, default, default, None, origin="default")
    return Setting(name, "string", "", "", None, origin="default")


# ---------------------------------------------------------------- authenticators


def advertised_when(condition: str) -> str:
    """What a ``server_advertise_condition`` value means: always, tls, never, conditional."""
    text = condition.strip()
    if _TLS_GATE.match(text):
        return "tls"
    if text.lower() in ("", "no", "false", "0"):
        return "never"
    if text.lower() in ("yes", "true") or (text.isdecimal() and atoi(text) not in (None, 0)):
        return "always"
    return "conditional"


def authenticators(model: EximModel) -> list[Authenticator]:
    out: list[Authenticator] = []
    for d in model.authenticators:
        driver = d.driver or ""
        public = (
            driver_setting(d, "public_name").value if "public_name" in d.options else ""
        ) or d.name
        server_options = [n for n in d.options if n.startswith("server_")]
        if driver in SERVER_OPTION:
            server = SERVER_OPTION[driver] in d.options
        else:
            server = driver in ALWAYS_SERVER or bool(
                [
                    n
                    for n in server_options
                    if n not in ("server_advertise_condition", "server_debug_print")
                ]
            )
        client = any(n.startswith("client_") and n != "client_condition" for n in d.options)
        advertise = d.options.get("server_advertise_condition")
        advertised = "always" if advertise is None else advertised_when(advertise.value)
        condition = d.options.get("client_condition")
        send = d.options.get("client_send")
        # Debian's client authenticators refuse to send outside TLS inside client_send:
        # ${if !eq{$tls_out_cipher}{}{...}fail}
        send_gated = send is not None and bool(_CLIENT_SEND_GATE.search(send.value))
        out.append(
            Authenticator(
                name=d.name,
                driver=driver,
                public_name=public.upper(),
                span=d.span,
                server=server,
                client=client,
                plaintext=driver == "plaintext" or public.upper() in PLAINTEXT_MECHANISMS,
                advertised=advertised,
                client_tls_gated=send_gated
                or (
                    condition is not None and bool(_CLIENT_TLS_GATE.match(condition.value.strip()))
                ),
                client_send=send.value if send is not None else "",
                advertise_condition=advertise.value if advertise is not None else None,
            )
        )
    return out


# ---------------------------------------------------------------- builder


class _Builder:
    def __init__(self, model: EximModel) -> None:
        self.model = model
        self.acls = AclEvaluator(model)
        self.auths = authenticators(model)
        self.spans = PostureSpans()
        # not a matter of the port: judged once for all listeners
        self.helo_is_required = self.helo_required()
        self.remote_routable = any(
            r.driver in ("dnslookup", "manualroute", "ipliteral") for r in model.routers
        )
        # some router can hand mail to another host: a remote router, or any router
        # whose transport is smtp (an accept router with a fixed hosts list); when none
        # can, mail accepted for another domain is bounced ("Unrouteable address")
        smtp_transports = {t.name for t in model.transports if t.driver == "smtp"}
        self.delivers_remotely = self.remote_routable or any(
            r.driver == "queryprogram"
            or (
                "transport" in r.options and r.options["transport"].value.strip() in smtp_transports
            )
            or "${" in (r.options["transport"].value if "transport" in r.options else "")
            for r in model.routers
        )
        # the address family of the listener being judged (None: both)
        self.family: int | None = None
        self.rcpt_refuses_all = self.rcpt_refuses_everyone()

    def span(self, name: str) -> Span | None:
        setting = self.model.main.get(table.ALIASES.get(name, name))
        return setting.span if setting is not None else None

    # ------------------------------------------------------------ ACL chain

    def chain(self, client: Client, last: str = "acl_smtp_rcpt") -> Decision:
        """The connect → HELO → MAIL → RCPT (or VRFY) ACLs for one client."""
        if client.family is None and self.family is not None:
            client = dataclasses.replace(client, family=self.family)
        depends: list[str] = []
        decision = Decision("deny", None, "")
        # VRFY and EXPN need neither HELO nor MAIL: only the connect ACL runs before theirs
        before = ("acl_smtp_connect",) if last != "acl_smtp_rcpt" else RCPT_PATH
        for option in (*before, last):
            acl, problem = self.acls.resolve(option)
            if acl is None:
                if problem in ("expanded", "file"):
                    depends.append(
                        f"{option} ({'an expansion' if problem == 'expanded' else 'an ACL file'})"
                    )
                    if option == last:
                        return Decision("unknown", None, "", depends)
                    continue
                if option != last and problem == "unset":
                    continue  # an unset connect, HELO or MAIL ACL accepts
                return Decision("deny", None, "")
            decision = self.acls.run(acl, client)
            if decision.outcome == "deny":
                return decision
            if decision.outcome == "unknown":
                depends.extend(decision.depends_on)
        if depends and decision.outcome == "accept":
            return Decision("unknown", decision.statement, decision.acl, depends)
        return decision

    def refused(self, **client: Any) -> Decision | None:
        """The refusal of every recipient (here and elsewhere) to such a client, or None."""
        refusal: Decision | None = None
        for domain_in in ("local_domains", None):
            decision = self.chain(
                Client(domain_in=domain_in, remote_routable=self.remote_routable, **client)
            )
            if decision.outcome != "deny":
                return None
            refusal = refusal or decision
        return refusal

    def connect_refusal(self) -> Decision | None:
        """The connect ACL's refusal of every client (no greeting, nothing accepted), or
        None when some client (a stranger, a host of a list it trusts) gets through."""
        acl, _ = self.acls.resolve("acl_smtp_connect")
        if acl is None:
            return None
        refusal = self.acls.run(acl, Client(remote_routable=self.remote_routable))
        if refusal.outcome != "deny":
            return None
        for st in acl.statements:
            for c in st.conditions:
                if c.name != "hosts" or c.value is None:
                    continue
                member = Client(member_of=c.value, remote_routable=self.remote_routable)
                if self.acls.run(acl, member).outcome != "deny":
                    return None
        return refusal

    def rcpt_refuses_everyone(self) -> bool:
        """acl_smtp_rcpt is unset (Exim denies every SMTP recipient), names no ACL (a
        temporary error for each), or is an inline deny."""
        acl, problem = self.acls.resolve("acl_smtp_rcpt")
        if problem in ("unset", "undefined"):
            return True
        return problem == "inline" and acl is not None and acl.name in ("deny", "drop", "defer")

    def tls_refusal(self, port: int) -> Decision | None:
        """What refuses a client without TLS, when one with TLS (and AUTH) is not refused."""
        if self.refused(port=port, tls=True, authenticated=True):
            return None  # refused with TLS too: TLS is not what decides
        if not self.refused(port=port, tls=False, authenticated=True):
            return None
        return self.refused(port=port, tls=False, authenticated=False)

    # ------------------------------------------------------------ listeners

    def listeners(self) -> list[Listener]:
        model = self.model
        ports = [service_port(i) for i in list_items(model.value("daemon_smtp_ports"))]
        tls_ports = {
            p
            for p in (service_port(i) for i in list_items(model.value("tls_on_connect_ports")))
            if p
        }
        plain: list[str] = []
        own_ports: list[tuple[str, int]] = []
        for item in list_items(model.value("local_interfaces")):
            address, port = interface(item)
            if not address:
                continue
            if port is None:
                plain.append(address)
            else:
                own_ports.append((address, port))
        groups: list[tuple[list[str], int]] = []
        if plain or not own_ports:
            groups.extend((plain or ["0.0.0.0"], p) for p in ports if p is not None)  # noqa: S104
        groups.extend(([address], port) for address, port in own_ports)
        listen_span = self.span("daemon_smtp_ports") or self.span("local_interfaces")
        out: list[Listener] = []
        for addresses, port in groups:
            everywhere = any(a in WILDCARDS for a in addresses)
            address = "*" if everywhere else ", ".join(addresses)
            spans: dict[str, Span] = {}
            # unset local_interfaces is "<; ::0 ; 0.0.0.0": both families
            families = {_family(a) for a in (addresses if plain or own_ports else [])}
            if model.value("disable_ipv6") == "true":
                families = {4}  # no IPv6 socket at all
            self.family = families.pop() if len(families) == 1 else None
            out.append(self.listener(address, port, port in tls_ports, spans))
            self.spans.listeners.append(
                self.span("local_interfaces") if port in dict(own_ports).values() else listen_span
            )
            self.spans.listener_fields.append(spans)
        return out

    def listener(self, address: str, port: int, implicit: bool, spans: dict[str, Span]) -> Listener:
        model = self.model
        role = (
            "smtp"
            if port == 25  # TLS on connect on 25 breaks MX delivery; MTA020 says so
            else "submissions"
            if implicit or port == 465
            else "submission"
            if port == 587
            else "smtp"
            if port == 25
            else "other"
        )
        if role in ("submission", "submissions") and self.rcpt_refuses_all:
            # no client, authenticated or not, gets a recipient accepted here: it takes
            # no submissions, so there is no submission policy to judge (EX020 says why)
            role = "other"
        stranger = Client(port=port, remote_routable=self.remote_routable, family=self.family)
        advertise = self.acls.host_list(self.for_port("tls_advertise_hosts", port), stranger)
        if implicit:
            tls = "implicit"
            span = self.span("tls_on_connect_ports")
        elif advertise == "no":
            tls = "none"
            span = self.span("tls_advertise_hosts")
        elif (refusal := self.tls_refusal(port)) is not None:
            tls = "required"
            statement = refusal.statement
            span = statement.span if statement is not None else self.span("acl_smtp_rcpt")
        else:
            tls = "optional"
            span = self.span("tls_advertise_hosts")
        if span is not None:
            spans["tls"] = span
        # without tls_certificate Exim (4.88 on) makes a self-signed certificate at start-up:
        # TLS works, and the Exim rules report the certificate as self-signed
        certificate = tls != "none"
        if self.span("tls_certificate") is not None:
            spans["tls_certificate"] = self.span("tls_certificate")  # type: ignore[assignment]
            spans["certificate_files"] = self.span("tls_certificate")  # type: ignore[assignment]

        auth_advertise = self.for_port("auth_advertise_hosts", port)
        gate_all = _TLS_GATE.match(auth_advertise.strip()) is not None
        auth_hosts = self.acls.host_list(auth_advertise, stranger)
        auths = [self.auth_for_port(a, port) for a in self.auths]
        offered = [
            a
            for a in auths
            if a.server
            and a.advertised != "never"
            and (auth_hosts != "no" or gate_all)
            and (tls != "none" or (a.advertised != "tls" and not gate_all))
        ]
        if offered:
            spans["auth"] = offered[0].span
        before_tls = [
            a
            for a in offered
            if a.plaintext and a.advertised != "tls" and not gate_all and tls != "implicit"
        ]
        if before_tls:
            spans["auth_before_tls"] = before_tls[0].span
        auth = "none"
        if offered:
            required = self.refused(port=port, authenticated=False) and not self.refused(
                port=port, authenticated=True
            )
            auth = "required" if required else "offered"

        relay = self.relay(port, bool(offered), spans)
        helo_required = self.helo_is_required
        helo_span = self.span("hosts_require_helo")
        if helo_span is not None:
            spans["helo_required"] = helo_span
        banner = model.setting("smtp_banner")
        if banner.span is not None:
            spans["banner"] = spans["banner_expanded"] = banner.span
        vrfy = self.chain(Client(port=port, domain_in="local_domains"), "acl_smtp_vrfy")
        expn = self.chain(Client(port=port, domain_in="local_domains"), "acl_smtp_expn")
        if self.span("acl_smtp_vrfy") is not None:
            spans["vrfy"] = self.span("acl_smtp_vrfy")  # type: ignore[assignment]
        listener = Listener(
            name=f"{address}:{port}",
            address=address,
            port=port,
            role=role,  # type: ignore[arg-type]
            tls=tls,  # type: ignore[arg-type]
            auth=auth,  # type: ignore[arg-type]
            auth_before_tls=bool(before_tls),
            auth_plaintext_mechanisms=any(a.plaintext for a in offered),
            relay=relay,
            tls_certificate=certificate,
            certificate_files=self.model.value("tls_certificate") if certificate else "",
            anonymous_tls=False,
            vrfy=vrfy.outcome == "accept",
            helo_required=helo_required,
            banner=banner.value,
            banner_expanded=self.expand_banner(banner.value),
        )
        if listener.public and expn.outcome == "accept":
            self.spans.expn_listeners.append(f"{address}:{port}")
        return listener

    def for_port(self, option: str, port: int) -> str:
        """A main option's value on this port (``${if eq{$received_port}{25}{*}{}}``)."""
        value = self.model.value(option)
        resolved = expand_for_port(value, port)
        return value if resolved is None else resolved

    @staticmethod
    def auth_for_port(auth: Authenticator, port: int) -> Authenticator:
        """The authenticator as advertised on this port."""
        if auth.advertised != "conditional" or auth.advertise_condition is None:
            return auth
        resolved = expand_for_port(auth.advertise_condition, port)
        if resolved is None:
            return auth
        return dataclasses.replace(auth, advertised=advertised_when(resolved))

    def relay(self, port: int, auth_offered: bool, spans: dict[str, Span]) -> RelayPolicy:
        routable = self.remote_routable
        stranger = self.chain(Client(port=port, remote_routable=routable))
        rcpt_span = self.span("acl_smtp_rcpt")
        if stranger.statement is not None:
            spans["relay"] = stranger.statement.span
        elif rcpt_span is not None:
            spans["relay"] = rcpt_span
        stranger_span = spans.get("relay")
        if stranger.outcome == "accept" and not self.delivers_remotely and self.model.routers:
            return RelayPolicy(
                "closed",
                reason=f"the ACL accepts any recipient ({stranger.describe()}), but no router "
                "delivers to another host (no dnslookup, manualroute or ipliteral router, no "
                "router with an smtp transport): mail for other domains is bounced",
            )
        if stranger.outcome == "accept":
            culprits = self.open_lists(stranger, port)
            if culprits:
                # the named list that lets everyone through is where the fix goes
                spans["relay"] = culprits[0][1]
            because = "".join(
                f"; {kind} {name} = {value} (line {span.line}) matches {who}"
                for kind, span, name, value, who in culprits
            )
            return RelayPolicy(
                "open",
                reason=f"a client from anywhere may relay ({stranger.describe()}{because})",
            )
        if stranger.outcome == "unknown":
            return RelayPolicy(
                "unknown",
                reason="whether a stranger may relay depends on "
                + "; ".join(dict.fromkeys(stranger.depends_on)),
            )
        networks: list[str] = []
        trusted_by: list[str] = []
        acl, _ = self.acls.resolve("acl_smtp_rcpt")
        for st in acl.statements if acl is not None else []:
            if st.verb != "accept":
                continue
            for c in st.conditions:
                if c.name != "hosts" or c.negated or c.value is None:
                    continue
                if not any(self.host_items(c.value)):
                    # "hosts = :" matches only local (non-SMTP) submissions; an empty
                    # named list nobody
                    continue
                member = self.chain(Client(member_of=c.value, port=port, remote_routable=routable))
                # "unknown": an opaque deny before it might stop a trusted host; it is
                # still a list trusted to relay
                if member.outcome != "deny":
                    networks.extend(self.host_items(c.value))
                    trusted_by.append(member.describe())
                    if "relay" not in spans or spans["relay"] is stranger_span:
                        spans["relay"] = self.list_span(c.value) or st.span
        if networks or trusted_by:
            public = [n for n in networks if _is_public(n)]
            policy = RelayPolicy(
                "networks",
                networks=list(dict.fromkeys(networks)),
                public_networks=list(dict.fromkeys(public)),
                widest_prefix=_widest(networks),
                reason="hosts in a trusted list may relay (" + "; ".join(trusted_by) + ")",
            )
            return policy
        if auth_offered:
            member = self.chain(Client(authenticated=True, port=port, remote_routable=routable))
            if member.outcome == "accept":
                return RelayPolicy("authenticated", reason="only authenticated clients may relay")
        return RelayPolicy("closed", reason=f"no client may relay ({stranger.describe()})")

    def open_lists(self, stranger: Decision, port: int) -> list[tuple[str, Span, str, str, str]]:
        """The named lists that make an open relay: a host list trusted by the accepting
        statement that matches every host, and a domain list the RCPT ACL relays to
        that matches every domain. Each as (kind, span, name, value, what it matches):
        the evidence EX025 and EX003 would otherwise repeat."""
        out: list[tuple[str, Span, str, str, str]] = []
        client = Client(port=port, remote_routable=self.remote_routable, family=self.family)
        for c in stranger.statement.conditions if stranger.statement is not None else []:
            if c.name != "hosts" or c.negated:
                continue
            for item in list_items(c.value or ""):
                named = self.model.lists["hostlist"].get(item[1:]) if item[:1] == "+" else None
                if named is not None and self.acls.host_list(named.value, client) == "yes":
                    out.append(("hostlist", named.span, named.name, named.value, "every host"))
        acl, _ = self.acls.resolve("acl_smtp_rcpt")
        used = {
            item[1:]
            for st in (acl.statements if acl is not None else [])
            for c in st.conditions
            if c.name == "domains"
            for item in list_items(c.value or "")
            if item[:1] == "+"
        }
        for name, named in self.model.lists["domainlist"].items():
            if name == "local_domains" or name not in used or named.span is None:
                continue
            if self.acls.domain_list(named.value, client) == "yes":
                out.append(("domainlist", named.span, name, named.value, "every domain"))
        return out

    def list_span(self, value: str) -> Span | None:
        """The line of the first named list a host list refers to."""
        for item in list_items(value):
            named = self.model.lists["hostlist"].get(item.lstrip("+")) if item[:1] == "+" else None
            if named is not None:
                return named.span
        return None

    def host_items(self, value: str, depth: int = 0, seen: set[str] | None = None) -> list[str]:
        """The positive items of a host list, named lists expanded (each once)."""
        out: list[str] = []
        seen = set() if seen is None else seen
        for item in list_items(value):
            if item.startswith("!") or depth > 20:
                continue
            if item.startswith("+"):
                named = self.model.lists["hostlist"].get(item[1:])
                if named is not None and item not in seen:
                    seen.add(item)
                    out.extend(self.host_items(named.value, depth + 1, seen))
                continue
            if not item:
                continue
            if item == "localhost":
                out.extend(["127.0.0.1", "::1"])
                continue
            out.append(item)
        return out

    def helo_required(self) -> bool:
        stranger = Client()
        # hosts_require_helo (default "*", Exim 4.95 on): "503 HELO or EHLO required"
        for option in ("hosts_require_helo", "helo_verify_hosts"):
            if self.acls.host_list(self.model.value(option), stranger) == "yes":
                return True
        for option in ("acl_smtp_mail", "acl_smtp_rcpt"):
            acl, _ = self.acls.resolve(option)
            for st in acl.statements if acl is not None else []:
                tests = [
                    c
                    for c in st.conditions
                    if c.name == "condition" and "sender_helo_name" in (c.value or "")
                ]
                if len(tests) != 1 or len([c for c in st.conditions if not c.modifier]) != 1:
                    continue  # only a statement about HELO alone refuses every such client
                says_not_given = "!def:" in tests[0].value.replace(" ", "")  # type: ignore[union-attr]
                if tests[0].negated:
                    says_not_given = not says_not_given
                if (st.verb in ("deny", "drop") and says_not_given) or (
                    st.verb == "require" and not says_not_given
                ):
                    return True
        return False

    def expand_banner(self, text: str) -> str:
        host = self.model.value("primary_hostname")
        values = {
            "smtp_active_hostname": host,
            "primary_hostname": host,
            "version_number": EXIM_VERSION,
            "exim_version": EXIM_VERSION,
            "version_string": f"{EXIM_VERSION} #2",
        }
        return re.sub(
            r"\$(?:\{(\w+)\}|(\w+))",
            lambda m: values.get(m.group(1) or m.group(2), m.group(0)),
            text,
        )

    # ------------------------------------------------------------ outbound

    def outbound(self) -> Outbound:
        for router in self.model.routers:
            if router.driver not in ("manualroute", "dnslookup"):
                continue
            domains = driver_setting(router, "domains").value.replace(" ", "")
            if domains in ("+local_domains", "@"):
                continue
            transport = self.transport(router)
            relayhost = (
                self.smarthost(router, transport) if router.driver == "manualroute" else None
            )
            return self.outbound_via(transport, relayhost, router)
        return Outbound(None, "opportunistic", "", False, False, False)

    def transport(self, router: Driver) -> Driver | None:
        name = driver_setting(router, "transport").value.strip()
        return next((t for t in self.model.transports if t.name == name), None)

    def smarthost(self, router: Driver, transport: Driver | None) -> Relayhost | None:
        route_list = router.options.get("route_list")
        text = route_list.value if route_list is not None else ""
        if route_list is not None:
            self.spans.fields["outbound.relayhost"] = route_list.span  # type: ignore[assignment]
        if not text:
            data = router.options.get("route_data")
            if data is None or "$" in data.value:
                return None
            self.spans.fields["outbound.relayhost"] = data.span  # type: ignore[assignment]
            hosts_text = data.value.split()[0] if data.value.split() else ""
        else:
            rule = next(
                (
                    r
                    for r in list_items(text, fixed=";")
                    if r.split() and r.split()[0] in ("*", "!+local_domains")
                ),
                None,
            )
            if rule is None or len(rule.split()) < 2:
                return None
            hosts_text = rule.split()[1]
        hosts = list_items(hosts_text)
        if not hosts or "$" in hosts[0]:
            return None
        first = hosts[0]
        m = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?|(.+?)(?::(\d+))?", first)
        assert m is not None
        host = m.group(1) or m.group(3) or first
        port_text = m.group(2) or m.group(4) or ""
        port: int | None = decimal(port_text) if port_text else None
        if port is None and transport is not None:
            if "port" in transport.options:
                port_text = transport.options["port"].value.strip()
                port = service_port(port_text)
            elif driver_setting(transport, "protocol").value.strip() in ("smtps", "submissions"):
                port = 465  # the default port of the smtps protocol
        return Relayhost(first, host, port, port_text, mx_lookup=False)

    def outbound_via(
        self, transport: Driver | None, relayhost: Relayhost | None, router: Driver
    ) -> Outbound:
        if transport is None or transport.driver != "smtp":
            return Outbound(relayhost, "opportunistic", "", False, False, False)
        target = Client() if relayhost is None else Client(member_of=relayhost.host)

        def covers(option: str) -> bool:
            value = driver_setting(transport, option).value
            if relayhost is not None and relayhost.host in list_items(value):
                return True
            return self.acls.host_list(value, target) == "yes"

        wrapper = driver_setting(transport, "protocol").value.strip() in ("smtps", "submissions")
        if covers("hosts_avoid_tls") and not wrapper:
            tls, option = "none", "hosts_avoid_tls"
        elif covers("hosts_require_dane"):
            tls, option = "dane", "hosts_require_dane"
        elif covers("tls_verify_hosts") and (covers("hosts_require_tls") or wrapper):
            tls, option = "verified", "tls_verify_hosts"
        elif covers("hosts_require_tls") or wrapper:
            tls, option = "required", "hosts_require_tls"
        else:
            tls, option = "opportunistic", "hosts_require_tls"
        setting = transport.options.get(option)
        self.spans.fields["outbound.tls"] = (
            setting.span if setting and setting.span else transport.span
        )
        clients = [a for a in self.auths if a.client]
        auth = bool(clients) and (covers("hosts_require_auth") or covers("hosts_try_auth"))
        exposed = (
            auth
            and tls in ("none", "opportunistic")
            and not wrapper
            and any(a.plaintext and not a.client_tls_gated for a in clients)
        )
        for name in ("hosts_require_auth", "hosts_try_auth"):
            if name in transport.options and transport.options[name].span is not None:
                self.spans.fields["outbound.auth"] = transport.options[name].span  # type: ignore[assignment]
                self.spans.fields["outbound.auth_plaintext_without_tls"] = self.spans.fields[
                    "outbound.auth"
                ]
                break
        if "protocol" in transport.options and transport.options["protocol"].span is not None:
            self.spans.fields["outbound.wrappermode"] = transport.options["protocol"].span
        return Outbound(relayhost, tls, tls, wrapper, auth, exposed)  # type: ignore[arg-type]

    # ------------------------------------------------------------ TLS

    def tls_settings(self, listeners: list[Listener]) -> TlsSettings:
        model = self.model
        server = self.protocols(model.value("openssl_options"), model.value("tls_require_ciphers"))
        for name in ("openssl_options", "tls_require_ciphers"):
            span = self.span(name)
            if span is not None:
                for fact in (
                    "server_protocols",
                    "weak_server_protocols",
                    "server_mandatory_protocols",
                ):
                    self.spans.fields.setdefault(f"tls.{fact}", span)
        client = list(LIBRARY_PROTOCOLS)
        client_ciphers = ""
        for t in model.transports:
            if t.driver == "smtp" and "tls_require_ciphers" in t.options:
                client_ciphers = t.options["tls_require_ciphers"].value
                client = self.protocols(OPENSSL_DEFAULT, client_ciphers)
                if t.options["tls_require_ciphers"].span is not None:
                    self.spans.fields["tls.weak_client_protocols"] = t.options[
                        "tls_require_ciphers"
                    ].span
                break
        mandatory = server if any(li.tls in ("required", "implicit") for li in listeners) else []
        return TlsSettings(
            server_protocols=server,
            server_mandatory_protocols=mandatory,
            client_protocols=client,
            client_mandatory_protocols=[],
            server_ciphers=model.value("tls_require_ciphers"),
            server_mandatory_ciphers=model.value("tls_require_ciphers"),
            client_ciphers=client_ciphers,
            client_mandatory_ciphers=client_ciphers,
            weak_server_protocols=weak_protocols(server),
            weak_client_protocols=weak_protocols(client),
        )

    @staticmethod
    def protocols(openssl_options: str, priority: str) -> list[str]:
        """The protocols OpenSSL options or a GnuTLS priority string leave enabled.

        Only what the configuration says moves the set away from the library's defaults;
        expansions are not evaluated.
        """
        enabled = set(LIBRARY_PROTOCOLS)
        options = (openssl_options or OPENSSL_DEFAULT).split()
        if "$" not in openssl_options:
            for word in options:
                sign, name = word[:1], word[1:]
                if name in ("all",) and sign == "-":
                    enabled |= {"SSLv3", "TLSv1", "TLSv1.1"}
                protocol = _OPENSSL_PROTOCOL.get(name)
                if protocol is None:
                    continue
                if sign == "+":
                    enabled.discard(protocol)
                elif sign == "-":
                    enabled.add(protocol)
        if "$" not in priority:
            for word in re.split(r"[:\s]+", priority):
                sign, name = word[:1], word[1:]
                protocol = _GNUTLS_PROTOCOL.get(name)
                if name == "VERS-ALL":
                    if sign == "+":
                        enabled |= {"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
                    elif sign == "-":
                        enabled.clear()
                if protocol is None:
                    continue
                if sign == "+":
                    enabled.add(protocol)
                elif sign in ("-", "!"):
                    enabled.discard(protocol)
            if "TLSv1.2" not in enabled and enabled & {"TLSv1", "TLSv1.1"}:
                # GnuTLS (3.7, Debian 12) negotiates no TLS 1.3 when TLS 1.2 is removed
                # but older versions stay: seen in handshakes with a running Exim
                enabled.discard("TLSv1.3")
        return [p for p in SSL_TLS_PROTOCOLS if p in enabled]


def _family(address: str) -> int | None:
    try:
        return ipaddress.ip_address(address.strip("[]")).version
    except ValueError:
        return None


def _is_public(item: str) -> bool:
    net = network_of(item)
    if net is None:
        return False
    return not (net.is_private or net.is_loopback or net.is_link_local or net.is_reserved)


def _widest(items: list[str]) -> int | None:
    prefixes = []
    for item in items:
        net = network_of(item)
        if net is None:
            continue
        prefixes.append(net.prefixlen if net.version == 4 else (0 if net.prefixlen == 0 else 32))
    return min(prefixes) if prefixes else None


def build_posture(model: EximModel) -> tuple[Posture, PostureSpans]:
    builder = _Builder(model)
    listeners = builder.listeners()
    notes = []
    refusal = builder.connect_refusal()
    if refusal is not None:
        # every connection gets a 5xx instead of a greeting: these listeners take no mail,
        # offer no TLS and no AUTH (EX032 says so, once)
        listeners = []
        builder.spans.listeners, builder.spans.listener_fields = [], []
        builder.spans.expn_listeners = []
        notes.append(f"acl_smtp_connect refuses every client ({refusal.describe()})")
    outbound = builder.outbound()
    tls = builder.tls_settings(listeners)
    local_domains = model.lists["domainlist"].get("local_domains")
    primary = model.value("primary_hostname")
    # qualify_domain defaults to primary_hostname
    qualify = model.value("qualify_domain") if "qualify_domain" in model.main else primary
    transports = [t for t in model.transports if t.driver == "smtp"]

    def literal(option: str) -> list[str]:
        """The values an smtp transport option has when they are not expansions."""
        values = [t.options[option].value for t in transports if option in t.options]
        return list(dict.fromkeys(v for v in values if v and "$" not in v))

    def any_set(option: str) -> bool:
        return any(t.options[option].value for t in transports if option in t.options)

    for listener in listeners:
        if listener.relay.verdict == "unknown":
            notes.append(f"relay verdict for {listener.name}: {listener.relay.reason}")
    posture = Posture(
        mta="exim",
        roles=infer_roles(listeners, outbound),
        listeners=listeners,
        outbound=outbound,
        tls=tls,
        identity=Identity(
            hostname=primary,
            domain=qualify,
            origin=qualify,
            destinations=[
                primary if d == "@" else d
                for d in (list_items(local_domains.value) if local_domains else [])
            ],
            sending_domains=list(dict.fromkeys([qualify, *literal("dkim_domain")])),
            outbound_addresses=literal("interface"),
            dkim_signing="yes" if any_set("dkim_private_key") else "no",
            dkim_selectors=literal("dkim_selector"),
        ),
        notes=notes,
    )
    return posture, builder.spans


def exposed_transports(model: EximModel, acls: AclEvaluator) -> dict[str, dict[str, Any]]:
    """Per smtp transport that may authenticate without TLS: the option that makes it
    authenticate and the clear-text mechanisms it could then use.

    A transport authenticates to the hosts of hosts_require_auth / hosts_try_auth; it
    keeps the password inside TLS when it speaks TLS on connect or hosts_require_tls
    covers those hosts (``*``, or every item of the AUTH list); a client authenticator
    keeps it there itself with client_condition / client_send gated on $tls_out_cipher.
    """
    mechanisms = [
        a.public_name
        for a in authenticators(model)
        if a.client and a.plaintext and not a.client_tls_gated
    ]
    out: dict[str, dict[str, Any]] = {}
    for t in model.transports:
        if t.driver != "smtp" or not mechanisms:
            continue
        option = next(
            (n for n in ("hosts_require_auth", "hosts_try_auth") if driver_setting(t, n).value),
            "",
        )
        if not option:
            continue
        if driver_setting(t, "protocol").value.strip() in ("smtps", "submissions"):
            continue
        require_tls = driver_setting(t, "hosts_require_tls").value
        auth_items = set(list_items(driver_setting(t, option).value))
        if acls.host_list(require_tls, Client()) == "yes" or (
            auth_items and auth_items <= set(list_items(require_tls))
        ):
            continue
        out[t.name] = {"auth_option": option, "auth_without_tls": mechanisms}
    return out


# where a value names a file: a single-key lookup's file (${lookup{k}lsearch{FILE}}),
# ${readfile{FILE}}, and the options that are a path themselves
_FILE_ARGUMENT = re.compile(
    r"(?:\b(?:[a-z]*lsearch\*?@?|cdb|dbm[a-z]*|dsearch|json)\s*(?:,[^{}]*)?|\breadfile\s*)"
    r"\{\s*([^{}$]*)\}"
)
PATH_OPTIONS = {"file", "directory", "include_directory", "create_file"}
# a macro name (spec, "Macros in the configuration file"): an upper-case letter, then
# letters, digits and underscores; one that is still in a value was never defined
# (written in capitals here, so that a relative "Maildir" is not taken for one)
_MACRO_NAME = re.compile(r"[A-Z][A-Z0-9_]+(?![A-Za-z0-9_])")


def undefined_macro_paths(model: EximModel) -> list[dict[str, Any]]:
    """Router and transport options whose file path starts with a name that looks like a
    macro and was left as it is: Exim then opens a relative path called like the macro,
    and every address that reaches the option defers ("cannot be resolved at this time":
    exim -bt) while exim -bV accepts the file."""
    out: list[dict[str, Any]] = []
    for d in (*model.routers, *model.transports):
        for name, setting in d.options.items():
            paths = [m.group(1).strip() for m in _FILE_ARGUMENT.finditer(setting.value)]
            if name in PATH_OPTIONS:
                paths.append(setting.value.strip())
            for path in paths:
                m = _MACRO_NAME.match(path)
                if m is None or path.startswith("/"):
                    continue
                out.append(
                    {
                        "macro": m.group(0),
                        "driver": d.name,
                        "kind": d.kind,
                        "option": name,
                        "line": setting.span.line if setting.span else d.span.line,
                        "span": setting.span or d.span,
                    }
                )
                break
    return out


def connect_refusal(model: EximModel) -> Decision | None:
    """What makes the connect ACL refuse every client, or None."""
    return _Builder(model).connect_refusal()


def analysis_facts(model: EximModel) -> dict[str, Any]:
    """Derived facts the Exim rules judge (``exim.auth``, ``exim.rcpt_acl``, ...)."""
    acls = AclEvaluator(model)
    _, problem = acls.resolve("acl_smtp_rcpt")
    smtp = []
    for t in model.transports:
        if t.driver != "smtp":
            continue
        smtp.append(
            {
                "name": t.name,
                "line": t.span.line,
                **{
                    name: driver_setting(t, name).value
                    for name in (
                        "hosts_avoid_tls",
                        "hosts_require_tls",
                        "tls_verify_hosts",
                        "tls_require_ciphers",
                        "hosts_try_dane",
                        "hosts_require_dane",
                        "tls_try_verify_hosts",
                        "hosts_require_auth",
                        "hosts_try_auth",
                        "protocol",
                        "port",
                    )
                },
            }
        )
    exposed = exposed_transports(model, acls)
    for fact in smtp:
        fact.update(exposed.get(str(fact["name"]), {"auth_option": "", "auth_without_tls": []}))
    lists = {
        kind: {
            name: {"value": nl.value, "items": list_items(nl.value), "line": nl.span.line}
            for name, nl in named.items()
        }
        for kind, named in model.lists.items()
    }
    refusal = connect_refusal(model)
    return {
        "connect_refused": {
            "refused": refusal is not None,
            "by": refusal.describe() if refusal is not None else "",
            "line": refusal.statement.span.line if refusal and refusal.statement else 0,
        },
        "undefined_macro_paths": [
            {k: v for k, v in item.items() if k != "span"} for item in undefined_macro_paths(model)
        ],
        "lists": lists,
        "rcpt_acl": {"problem": problem, "value": model.value("acl_smtp_rcpt")},
        "auth": [a.to_fact() for a in authenticators(model)],
        "smtp_transports": smtp,
    }


# the macro Debian's update-exim4.conf defines in conf.d/main/01_exim4-config_listmacrosdefs
# (and in the assembled template), so that local files can tell they are read through it
DEBIAN_SPLIT_MARKER = "UPEX4CmacrosUPEX4C"


def split_part_alone(macros: list[Any], sections: list[str]) -> Diagnostic | None:
    """A note when the file read is one part of Debian's split configuration on its own
    (Debian's marker macro, and no ``begin`` section at all): the ACLs, routers,
    transports and the main options of the other parts were not read, so claims about
    what is "not set" cannot be backed (check.py drops those beside this note)."""
    if sections:
        return None
    marker = next((m for m in macros if m.name == DEBIAN_SPLIT_MARKER and m.span), None)
    if marker is None:
        return None
    return Diagnostic(
        "split-part-alone",
        f"this file defines {DEBIAN_SPLIT_MARKER}, Debian's mark of a conf.d/main part, and "
        "has no begin section: it was checked without the other parts of its split "
        "configuration (conf.d/main, acl, router, transport, auth), so what they set is "
        "not known",
        marker.span,
    )
