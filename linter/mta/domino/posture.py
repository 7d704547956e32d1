"""Domino's answers to the cross-MTA posture questions, from established items only.

* The SMTP listener runs when the Server document's ``SMTPListenerEnabled`` is ``1``
  or ``SMTP`` is among the server tasks. Its TCP/IP port listens unless the Server
  document's ``SMTP_PortStatus`` says ``0`` (port 25, the documented default: the
  port-number items are not established); its TLS port listens when
  ``SMTP_SSLStatus`` is ``1`` (port 465, the documented default).
* STARTTLS on port 25: the Configuration Settings document's ``SMTP_NegotiatedSSL``
  (``1``: offered, "optional"; whether ``1`` is Enabled or Required is not published,
  so "required" is never claimed; absent from a document the setup creates: disabled).
* AUTH: from the SMTP Internet Site document, when the server loads Internet Site
  documents (``LdISite`` ``1``): ``TCPNameAndPwd``/``TCPAnonymous`` for the TCP/IP
  port, ``SSLNameAndPwd``/``SSLAnonymous`` for the TLS port. AUTH before TLS is
  claimed only when STARTTLS is off: with both on, whether Domino advertises AUTH
  before STARTTLS is not documented publicly.
* Relaying: the inbound relay controls' item names are not established, so the verdict
  is "unknown" (never "closed"); :mod:`.relay` holds the documented semantics.
* Outbound: judged only when the Configuration Settings document sends Internet mail
  over SMTP (``MailExternalSMTP`` ``1``), from the Server document's SMTP Outbound
  TCP/IP port status ``Router_PortStatus`` (``1`` Enabled: no STARTTLS; ``2``
  Negotiated TLS). The relay host's item name is not established: no relayhost.

Whatever is a placeholder (``{{ var }}``, ``${VAR}``, ``@Prompt:``) or not in the input
stays out of the verdicts, and the posture's notes say which.
"""

from __future__ import annotations

from linter.mta.domino.model import DominoModel
from linter.mta.domino.values import Value, shown
from linter.posture import (
    Identity,
    Listener,
    Outbound,
    Posture,
    PostureSpans,
    RelayPolicy,
    TlsSettings,
    infer_roles,
)
from linter.source import Span

RELAY_UNKNOWN = (
    "Domino's inbound relay controls (Router/SMTP > Restrictions and Controls > SMTP "
    "Inbound Controls) are stored under item names no public source establishes: not "
    "checked"
)


def _tasks_run_smtp(model: DominoModel) -> Value | None:
    for value in model.server_tasks:
        if not value.unknown and any(
            t.strip().lower() == "smtp" for t in value.text.replace(";", ",").split(",")
        ):
            return value
    return None


def listener_state(model: DominoModel, notes: list[str]) -> tuple[bool, Span | None]:
    """Whether the SMTP listener runs, and the item that says so."""
    enabled, has_server = model.item("server", "SMTPListenerEnabled")
    by_task = _tasks_run_smtp(model)
    if enabled is not None and enabled.unknown:
        notes.append(
            f"SMTPListenerEnabled is {shown(enabled)} (a placeholder or set twice): the "
            "SMTP listener is not checked"
        )
        return False, None
    if enabled is not None and enabled.text.strip() == "1":
        return True, enabled.span
    if by_task is not None:
        return True, by_task.span
    if enabled is None and not has_server:
        notes.append(
            "the Server document is not in the input: whether the SMTP listener runs "
            "(SMTPListenerEnabled) is not checked"
        )
    elif enabled is None:
        notes.append(
            "the setup does not set SMTPListenerEnabled in the Server document: Domino's "
            "default (no SMTP listener) is assumed"
        )
    return False, None


def tls_state(model: DominoModel, notes: list[str]) -> tuple[str | None, Span | None]:
    """STARTTLS on the SMTP port: "none", "optional", or None when not known."""
    value, has_config = model.item("config", "SMTP_NegotiatedSSL")
    created = any(d.action == "create" for d in model.docs("config"))
    if value is None:
        if has_config and created:
            return "none", model.docs("config")[-1].span
        notes.append(
            "SMTP_NegotiatedSSL (Configuration Settings, STARTTLS on the SMTP port) is not "
            "in the input: inbound TLS is not checked"
        )
        return None, None
    text = value.text.strip()
    if value.unknown or text not in ("0", "1"):
        notes.append(
            f"SMTP_NegotiatedSSL is {shown(value)}: only 0 and 1 (STARTTLS offered) are "
            "read; inbound TLS is not checked"
        )
        return None, None
    # 1 is Enabled or Required (not published): only "offered" is claimed
    return ("optional" if text == "1" else "none"), value.span


# the SMTP Inbound Site document's Security tab: TCP/IP port and TLS port options
_SITE_ITEMS = {
    "name_and_password": "TCPNameAndPwd",
    "anonymous": "TCPAnonymous",
    "ssl_name_and_password": "SSLNameAndPwd",
    "ssl_anonymous": "SSLAnonymous",
}


def site_auth(model: DominoModel, notes: list[str]) -> tuple[dict[str, bool | None], Span | None]:
    """Name-and-password and anonymous access on the SMTP TCP/IP and TLS ports (None:
    unknown)."""
    sites = model.docs("smtp-site")
    loads_sites, _ = model.item("server", "LdISite")
    # the site document decides only beside LdISite 1, the pairing of HCL's sample
    if not sites or loads_sites is None or loads_sites.unknown or loads_sites.text.strip() != "1":
        notes.append(
            "the SMTP port's authentication options (SMTP Inbound Internet Site document, "
            "or the Server document's Ports tab, whose item names are not established) "
            "are not in the input: AUTH is not checked"
        )
        return dict.fromkeys(_SITE_ITEMS), None
    site = sites[-1]
    out: dict[str, bool | None] = {}
    for key, item in _SITE_ITEMS.items():
        value = site.get(item)
        out[key] = None if value is None or value.unknown else value.text.strip() == "1"
    span = site.get("TCPNameAndPwd")
    return out, span.span if span is not None else site.span


def port_status(
    model: DominoModel, item: str, absent: bool, notes: list[str]
) -> tuple[bool, Span | None]:
    """Whether a Server document port status item (``0``/``1``) lets the port listen;
    ``absent`` is the answer when the item is not in the input. Another value or a
    placeholder: the port is not claimed, and a note says so."""
    value, _ = model.item("server", item)
    if value is None:
        return absent, None
    text = value.text.strip()
    if value.unknown or text not in ("0", "1"):
        notes.append(f"{item} is {shown(value)}: only 0 and 1 are read; that port is not checked")
        return False, None
    return text == "1", value.span


def auth_mode(password: bool, anonymous: bool | None) -> str:
    if not password:
        return "none"
    return "required" if anonymous is False else "offered"


def _listener(name: str, port: int, tls: str, auth: str, password: bool, before: bool) -> Listener:
    return Listener(
        name=name,
        address="*",
        port=port,
        # Domino's TLS port carries the same SMTP service as port 25 (SMTP over TLS
        # between servers, HCL's "Changing SMTP port settings"), not a submission port
        role="smtp",
        public=True,
        tls=tls,  # type: ignore[arg-type]
        auth=auth,  # type: ignore[arg-type]
        auth_before_tls=before,
        auth_plaintext_mechanisms=password,
        relay=RelayPolicy("unknown", reason=RELAY_UNKNOWN),
        # not established either way: the values that make no claim
        tls_certificate=True,
        anonymous_tls=False,
        vrfy=False,
        helo_required=True,
    )


def build_listeners(model: DominoModel, spans: PostureSpans, notes: list[str]) -> list[Listener]:
    running, where = listener_state(model, notes)
    if not running or where is None:
        return []
    listeners: list[Listener] = []
    auth, auth_span = site_auth(model, notes)
    tcp_on, tcp_span = port_status(model, "SMTP_PortStatus", True, notes)
    if tcp_on:
        tls, tls_span = tls_state(model, notes)
        password = auth["name_and_password"] is True
        # AUTH in clear is certain only without STARTTLS: whether Domino advertises AUTH
        # before STARTTLS when both are on is not in any public source read
        before_tls = password and tls == "none"
        if password and tls == "optional":
            notes.append(
                "name and password on the SMTP TCP/IP port with STARTTLS enabled: whether "
                "Domino offers AUTH before STARTTLS is not documented publicly; not checked"
            )
        mode = auth_mode(password, auth["anonymous"])
        listeners.append(_listener("SMTP", 25, tls or "optional", mode, password, before_tls))
        spans.listeners.append(tcp_span or where)
        fields = {"tls": tls_span or where, "exposure": tcp_span or where, "relay": where}
        for name in ("auth", "auth_before_tls", "auth_plaintext_mechanisms"):
            fields[name] = auth_span or where
        spans.listener_fields.append(fields)
    ssl_on, ssl_span = port_status(model, "SMTP_SSLStatus", False, notes)
    if ssl_on and ssl_span is not None:
        password = auth["ssl_name_and_password"] is True
        mode = auth_mode(password, auth["ssl_anonymous"])
        listeners.append(_listener("SMTP TLS", 465, "implicit", mode, password, False))
        spans.listeners.append(ssl_span)
        fields = {"tls": ssl_span, "exposure": ssl_span, "relay": where}
        sites = model.docs("smtp-site")
        ssl_auth = sites[-1].get("SSLNameAndPwd") if sites and auth_span else None
        for name in ("auth", "auth_before_tls", "auth_plaintext_mechanisms"):
            fields[name] = ssl_auth.span if ssl_auth else ssl_span
        spans.listener_fields.append(fields)
    notes.append(
        "the inbound SMTP port numbers are stored under item names no public source "
        "establishes: the documented defaults (25, and 465 for the TLS port) are assumed"
    )
    return listeners


NOT_CHECKED = "not in the input (not checked)"


def build_outbound(model: DominoModel, spans: PostureSpans, notes: list[str]) -> Outbound:
    """Outbound TLS from the SMTP Outbound TCP/IP port status, when Internet mail
    leaves over SMTP at all; the relay host is never known (its item is not
    established)."""
    notes.append(
        "the relay host for messages leaving the local Internet domain is stored under an "
        "item name no public source establishes: no relay host is read"
    )
    unclaimed = Outbound(None, "opportunistic", NOT_CHECKED, *(False,) * 3)
    external, _ = model.item("config", "MailExternalSMTP")
    status, _ = model.item("server", "Router_PortStatus")
    ssl_status, _ = model.item("server", "Router_SSLStatus")
    if external is None or external.unknown or external.text.strip() != "1":
        notes.append(
            "MailExternalSMTP (SMTP used when sending messages outside the local Internet "
            "domain) is not 1 in the input: outbound SMTP TLS is not checked"
        )
        return unclaimed
    if status is None or status.unknown or status.text.strip() not in ("1", "2"):
        notes.append(
            "Router_PortStatus (SMTP Outbound TCP/IP port status) is not 1 or 2 in the "
            "input: outbound TLS is not checked"
        )
        return unclaimed
    if ssl_status is not None and (ssl_status.unknown or ssl_status.text.strip() != "0"):
        # with the TLS port enabled too the Router tries it first (HCL's outbound port
        # settings page); Router_SSLStatus's values are not published
        notes.append("Router_SSLStatus is set: outbound TLS is not checked")
        return unclaimed
    if status.text.strip() == "2":
        tls, level = "opportunistic", "Router_PortStatus=2 (Negotiated TLS)"
    else:
        tls, level = "none", "Router_PortStatus=1 (Enabled, without Negotiated TLS)"
    spans.fields["outbound.tls"] = status.span
    spans.fields["outbound.tls_level"] = status.span
    return Outbound(None, tls, level, False, False, False)  # type: ignore[arg-type]


def build_posture(model: DominoModel) -> tuple[Posture, PostureSpans]:
    spans = PostureSpans()
    notes: list[str] = []
    listeners = build_listeners(model, spans, notes)
    if listeners:
        notes.append(RELAY_UNKNOWN)
    outbound = build_outbound(model, spans, notes)
    host = model.host_name.text if model.host_name and not model.host_name.unknown else ""
    full, _ = model.item("server", "SMTPFullHostDomain")
    if full is not None and not full.unknown:
        host = full.text
    posture = Posture(
        mta="domino",
        roles=infer_roles(listeners, outbound),
        listeners=listeners,
        outbound=outbound,
        tls=TlsSettings([], [], [], [], "", "", "", ""),
        identity=Identity(hostname=host, domain="", origin="", destinations=[]),
        notes=notes,
    )
    return posture, spans
