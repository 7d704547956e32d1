"""Outbound SMTP routes Postfix is given in its own configuration, beside ``relayhost``.

``sender_dependent_relayhost_maps`` and ``transport_maps`` name lookup tables; when a
table is written into main.cf itself (``inline:{...}`` or ``static:...``, postconf(5)
and DATABASE_README) every next hop it can return is known here. Each route carries the
SMTP client settings of the master.cf service that delivers it (a service's ``-o``
options override main.cf), so the relay provider rules judge it like the relayhost.
Tables in files (``hash:``, ``lmdb:``, ...) are not read: their routes stay unknown.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.mta.postfix.posture import CLIENT_TLS, client_tls_level, parse_relayhost
from linter.mta.postfix.restrictions import tokens

if TYPE_CHECKING:
    from linter.mta.postfix.model import PostfixModel, Service
    from linter.source import Span

ROUTE_PARAMETERS = ("sender_dependent_relayhost_maps", "transport_maps")


@dataclass
class Route:
    via: str  # the parameter that names the table
    key: str  # the lookup key ("*" for a static: table)
    raw: str  # the next hop as written ("[smtp.example.net]:587")
    host: str
    port: int | None
    port_text: str
    transport: str  # the master.cf service that delivers it
    tls: str
    wrappermode: bool
    auth: bool
    span: Span | None

    def to_fact(self) -> dict[str, Any]:
        out = asdict(self)
        del out["span"]
        return out


def inline_entries(spec: str) -> list[tuple[str, str]] | None:
    """(key, value) of an ``inline:{...}`` table as postmap reads it, or None when the
    spec is not a well-formed inline table.

    Entries are separated by whitespace or commas; ``{ key = text }`` keeps whitespace
    and commas in the value, with blanks around the braces and the ``=`` ignored.
    """
    if not (spec.startswith("inline:{") and spec.endswith("}")):
        return None
    out: list[tuple[str, str]] = []
    for item in tokens(spec[len("inline:{") : -1]):
        if item.startswith("{"):
            if not item.endswith("}"):
                return None
            item = item[1:-1]
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            return None
        out.append((key.strip(), value.strip()))
    return out


def static_value(spec: str) -> str | None:
    """The one answer of a ``static:`` table (``static:{ text }`` or ``static:text``)."""
    if not spec.startswith("static:"):
        return None
    value = spec[len("static:") :]
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1]
    return value.strip()


def _entries(value: str) -> list[tuple[str, str]]:
    """Every (key, answer) of the in-line tables of a map list (file tables skipped).
    Each table is at most one token of the value, so the list is bounded by its size."""
    out: list[tuple[str, str]] = []
    for spec in tokens(value):
        inline = inline_entries(spec)
        if inline is not None:
            out.extend(inline)
            continue
        answer = static_value(spec)
        if answer is not None:
            out.append(("*", answer))
    return out


# the services of Postfix's stock master.cf that run smtp(8) with main.cf's settings
_STOCK_SMTP_SERVICES = ("smtp", "relay")


def _smtp_service(model: PostfixModel, name: str) -> tuple[bool, Service | None]:
    """Whether service ``name`` runs the smtp(8) client, and the master.cf entry whose
    ``-o`` options apply (None: main.cf's settings alone)."""
    if not model.services:  # main.cf without master.cf: the stock services
        return name in _STOCK_SMTP_SERVICES, None
    for s in model.services:
        if s.service == name and s.type == "unix":
            return s.command.split()[:1] == ["smtp"], s
    return False, None


def _route(
    model: PostfixModel, via: str, key: str, nexthop: str, transport: str, span: Span | None
) -> Route | None:
    if not nexthop or "$" in nexthop:
        return None  # the recipient domain itself, or not expanded
    is_smtp, service = _smtp_service(model, transport)
    if not is_smtp:
        return None  # lmtp, local, error, discard, or a service this model lacks
    relay = parse_relayhost(nexthop)
    if relay is None:
        return None
    return Route(
        via=via,
        key=key,
        raw=relay.raw,
        host=relay.host,
        port=relay.port,
        port_text=relay.port_text,
        transport=transport,
        tls=CLIENT_TLS.get(client_tls_level(model, service), "none"),
        wrappermode=model.is_yes("smtp_tls_wrappermode", service),
        auth=model.is_yes("smtp_sasl_auth_enable", service),
        span=span,
    )


def outbound_routes(model: PostfixModel, limit: int) -> tuple[list[Route], Diagnostic | None]:
    """The SMTP next hops written into main.cf's in-line relay and transport tables (at
    most ``limit`` judged; past it, a limit diagnostic at the parameter's line)."""
    routes: list[Route] = []
    for via in ROUTE_PARAMETERS:
        value = model.value(via)
        if not value.strip():
            continue
        span = model.setting(via).span
        entries = _entries(value)
        if len(routes) + len(entries) > limit and span is not None:
            return routes + _routes(model, via, entries[: limit - len(routes)], span), Diagnostic(
                "limit-exceeded",
                f"{via}: only the first {limit} in-line entries are judged as outbound "
                "routes (raise with --limit postfix_routes=N)",
                span,
                data={"limit": "postfix_routes", "bound": limit},
            )
        routes.extend(_routes(model, via, entries, span))
    return routes, None


def _routes(
    model: PostfixModel, via: str, entries: list[tuple[str, str]], span: Span | None
) -> list[Route]:
    routes: list[Route] = []
    for key, answer in entries:
        if via == "sender_dependent_relayhost_maps":
            if answer.upper() == "DUNNO":
                continue  # use the global relayhost (postconf(5))
            route = _route(model, via, key, answer, "smtp", span)
        else:
            # transport(5): "transport:nexthop"; an empty transport is the default one
            transport, _, nexthop = answer.partition(":")
            route = _route(model, via, key, nexthop.strip(), transport.strip() or "smtp", span)
        if route is not None:
            routes.append(route)
    return routes
