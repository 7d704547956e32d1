"""Domino's answers to the cross-MTA posture questions, from established items only.

* The SMTP listener runs when the Server document's ``SMTPListenerEnabled`` is ``1``
  or ``SMTP`` is among the server tasks; it listens on port 25, Domino's documented
  default. The item names of the inbound port numbers and of the TLS port (465) are not
  established (``data/reference.json``): those are notes, not listeners.
* STARTTLS on port 25: the Configuration Settings document's ``SMTP_NegotiatedSSL``
  (``1`` enabled; absent from a document the setup creates: disabled, the default).
* AUTH: from the SMTP Internet Site document, when the server loads Internet Site
  documents: ``TCPNameAndPwd`` (name and password on the clear port), ``TCPAnonymous``.
  AUTH before TLS is claimed only when STARTTLS is off: with both on, whether Domino
  advertises AUTH before STARTTLS is not documented publicly.
* Relaying: the inbound relay controls' item names are not established, so the verdict
  is "unknown" (never "closed"); :mod:`.relay` holds the documented semantics.

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
            f"SMTP_NegotiatedSSL is {shown(value)}: only 1 (enabled) is documented; "
            "inbound TLS is not checked"
        )
        return None, None
    return ("optional" if text == "1" else "none"), value.span


def site_auth(model: DominoModel, notes: list[str]) -> tuple[dict[str, bool | None], Span | None]:
    """Name-and-password and anonymous access on the clear SMTP port (None: unknown)."""
    sites = model.docs("smtp-site")
    loads_sites, _ = model.item("server", "LdISite")
    # the site document decides only beside LdISite 1, the pairing of HCL's sample
    if not sites or loads_sites is None or loads_sites.unknown or loads_sites.text.strip() != "1":
        notes.append(
            "the SMTP port's authentication options (SMTP Inbound Internet Site document, "
            "or the Server document's Ports tab, whose item names are not established) "
            "are not in the input: AUTH is not checked"
        )
        return {"name_and_password": None, "anonymous": None}, None
    site = sites[-1]
    out: dict[str, bool | None] = {}
    for key, item in (("name_and_password", "TCPNameAndPwd"), ("anonymous", "TCPAnonymous")):
        value = site.get(item)
        out[key] = None if value is None or value.unknown else value.text.strip() == "1"
    span = site.get("TCPNameAndPwd")
    return out, span.span if span is not None else site.span


def build_listeners(model: DominoModel, spans: PostureSpans, notes: list[str]) -> list[Listener]:
    running, where = listener_state(model, notes)
    if not running or where is None:
        return []
    tls, tls_span = tls_state(model, notes)
    auth, auth_span = site_auth(model, notes)
    password = auth["name_and_password"] is True
    if not password:
        mode = "none"
    elif auth["anonymous"] is False:
        mode = "required"
    else:
        mode = "offered"
    # AUTH in clear is certain only without STARTTLS: whether Domino advertises AUTH
    # before STARTTLS when both are on is not in any public source read
    before_tls = password and tls == "none"
    if password and tls == "optional":
        notes.append(
            "name and password on the SMTP TCP/IP port with STARTTLS enabled: whether "
            "Domino offers AUTH before STARTTLS is not documented publicly; not checked"
        )
    notes.append(
        "the SMTP TLS port (465) and any other inbound port are set in the Server "
        "document's Ports tab, whose item names are not established: only port 25 is checked"
    )
    listener = Listener(
        name="SMTP",
        address="*",
        port=25,
        role="smtp",
        public=True,
        tls=tls or "optional",  # type: ignore[arg-type]
        auth=mode,  # type: ignore[arg-type]
        auth_before_tls=before_tls,
        auth_plaintext_mechanisms=password,
        relay=RelayPolicy("unknown", reason=RELAY_UNKNOWN),
        # not established either way: the values that make no claim
        tls_certificate=True,
        anonymous_tls=False,
        vrfy=False,
        helo_required=True,
    )
    spans.listeners.append(where)
    fields = {"tls": tls_span or where, "exposure": where, "relay": where}
    for name in ("auth", "auth_before_tls", "auth_plaintext_mechanisms"):
        fields[name] = auth_span or where
    spans.listener_fields.append(fields)
    return [listener]


def build_posture(model: DominoModel) -> tuple[Posture, PostureSpans]:
    spans = PostureSpans()
    notes: list[str] = []
    listeners = build_listeners(model, spans, notes)
    if listeners:
        notes.append(RELAY_UNKNOWN)
    notes.append(
        "the relay host and the outbound SMTP port status (Negotiated TLS) are stored under "
        "item names no public source establishes: outbound mail is not checked"
    )
    host = model.host_name.text if model.host_name and not model.host_name.unknown else ""
    full, _ = model.item("server", "SMTPFullHostDomain")
    if full is not None and not full.unknown:
        host = full.text
    outbound = Outbound(None, "opportunistic", "not in the input (not checked)", *(False,) * 3)
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
