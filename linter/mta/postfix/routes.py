"""Outbound SMTP routes Postfix is given in its own configuration, beside ``relayhost``.

``sender_dependent_relayhost_maps`` and ``transport_maps`` name lookup tables; when a
table is written into main.cf itself (``inline:{...}`` or ``static:...``, postconf(5)
and DATABASE_README) every next hop it can return is known here. A table in a file
(``hash:/etc/postfix/transport``, ``texthash:``, ...) is read from its source text when
the checked folder holds it beside main.cf (see linter.mta.postfix.tables), and its
routes are placed at their own lines. Any other table is reported once as not read:
its routes stay unknown, never guessed. Each route carries the SMTP client settings of
the master.cf service that delivers it (a service's ``-o`` options override main.cf),
so the relay provider rules judge it like the relayhost.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.mta import Comment
from linter.mta.postfix.posture import CLIENT_TLS, client_tls_level, parse_relayhost
from linter.mta.postfix.restrictions import tokens
from linter.mta.postfix.tables import (
    FILE_TYPES,
    comment_lines,
    parse_table,
    source_name,
    split_spec,
)
from linter.source import InputError, Span, read_source

if TYPE_CHECKING:
    from linter.mta.postfix.model import PostfixModel, Service

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


@dataclass(frozen=True)
class TableFiles:
    """Where the source files of main.cf's lookup tables may be read: the folder of
    main.cf in the checked tree stands for Postfix's configuration directory."""

    folder: Path
    display: str  # main.cf's folder as the user named it ("" for the current one)
    root: Path | None  # the confinement root no read may leave
    max_bytes: int
    # the comment lines of each file read, by its display name: an inline suppression
    # in a table file silences a finding on its entries as one in main.cf does
    comments: dict[str, list[Comment]] = field(default_factory=dict)


# (key, answer, where the entry is written)
_Entry = tuple[str, str, "Span | None"]


def _table_entries(
    model: PostfixModel,
    spec: str,
    span: Span | None,
    files: TableFiles | None,
    limit: int,
) -> tuple[list[_Entry], str]:
    """The entries of one table of a map list, or why they were not read ("" when
    they were)."""
    inline = inline_entries(spec)
    if inline is not None:
        return [(k, v, span) for k, v in inline], ""
    answer = static_value(spec)
    if answer is not None:
        return [("*", answer, span)], ""

    def not_read(why: str) -> tuple[list[_Entry], str]:
        return [], f"{spec} ({why})"

    parsed = split_spec(spec)
    if parsed is None or parsed[0] not in FILE_TYPES:
        return not_read("mtalint reads only in-line tables and the text files of postmap")
    kind, name = parsed
    config_directory = model.value("config_directory")
    rel = source_name(name, config_directory)
    if rel is None:
        return not_read(f"{name} is not a file in {config_directory}")
    if files is None:
        return not_read(f"no main.cf folder to find {rel} in")
    display = str(PurePosixPath(files.display) / rel) if files.display else rel
    path = files.folder / rel
    if not os.path.lexists(path):
        return not_read(f"its source file {display} is not in the checked folder")
    try:
        # never outside the checked tree: main.cf's folder when no root was given
        source = read_source(path, display, files.max_bytes, root=files.root or files.folder)
    except InputError as exc:
        return not_read(exc.message)
    entries, _ = parse_table(source.text, limit)
    files.comments[display] = [Comment(display, n, t) for n, t in comment_lines(source.text)]
    return [(e.key, e.value, Span(display, e.line, e.column)) for e in entries], ""


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


def outbound_routes(
    model: PostfixModel, limit: int, files: TableFiles | None = None
) -> tuple[list[Route], list[Diagnostic]]:
    """The SMTP next hops of main.cf's relay and transport tables, written in-line or
    in a table source file of the checked folder (at most ``limit`` judged; past it, a
    limit diagnostic at the parameter's line), and a note for each table not read."""
    routes: list[Route] = []
    diagnostics: list[Diagnostic] = []
    for via in ROUTE_PARAMETERS:
        value = model.value(via)
        if not value.strip():
            continue
        span = model.setting(via).span
        entries: list[_Entry] = []
        unread: list[str] = []
        for spec in dict.fromkeys(tokens(value)):
            # one more than the room left: enough to tell that the limit was passed
            room = max(limit - len(routes) - len(entries), 0) + 1
            found, why = _table_entries(model, spec, span, files, room)
            entries.extend(found)
            if why:
                unread.append(why)
        if unread and span is not None:
            # said once per parameter: what those tables answer stays unknown
            diagnostics.append(
                Diagnostic(
                    "route-table-not-read",
                    f"{via}: the next hops in {'; '.join(unread)} were not read; the relay "
                    "provider checks do not cover them",
                    span,
                )
            )
        if len(routes) + len(entries) > limit and span is not None:
            routes.extend(_routes(model, via, entries[: limit - len(routes)]))
            diagnostics.append(
                Diagnostic(
                    "limit-exceeded",
                    f"{via}: only the first {limit} table entries are judged as outbound "
                    "routes (raise with --limit postfix_routes=N)",
                    span,
                    data={"limit": "postfix_routes", "bound": limit},
                )
            )
            return routes, diagnostics
        routes.extend(_routes(model, via, entries))
    return routes, diagnostics


def _routes(model: PostfixModel, via: str, entries: list[_Entry]) -> list[Route]:
    routes: list[Route] = []
    for key, answer, span in entries:
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
