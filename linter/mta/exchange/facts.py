"""Microsoft Exchange: receive and send connectors → facts.

A config set is a folder's Exchange files: the JSON of
``contrib/Export-ExchangeSettings.ps1`` (receive connectors with their AD permissions,
send connectors, servers, accepted domains), or the Format-List text of
``Get-ReceiveConnector | fl`` / ``Get-SendConnector | fl`` (and ``Get-ADPermission |
fl``, ``Get-ExchangeServer | fl``) that administrators paste into tickets. Each file's
records join one model (:mod:`.model`); the posture (:mod:`.posture`) answers the
cross-MTA questions, and ``exchange.*`` facts feed the rules in ``rules/exchange/``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from linter.facts import Facts
from linter.mta import Analysis, Options
from linter.mta.assemble import (
    apply_roles,
    input_error,
    parse_document,
    put_diagnostics,
    put_posture,
    start_facts,
)
from linter.source import InputError, Span, read_limited

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta.exchange.model import ExchangeModel


def read_model(config_set: ConfigSet, options: Options) -> ExchangeModel:
    from linter.mta.exchange.model import ExchangeModel, build_model
    from linter.mta.exchange.records import Records, read_format_list, read_json
    from linter.mta.text import decode_export

    merged = ExchangeModel()
    for cf in config_set.files:
        try:
            data = read_limited(cf.path, cf.display, options.max_file_size, cf.root)
            text = decode_export(cf.display, data)
            records: Records = (
                read_json(cf.display, text)
                if cf.format == "exchange-json"
                else read_format_list(cf.display, text)
            )
        except InputError as exc:
            merged.diagnostics.append(input_error(exc))
            continue
        part = build_model(records)
        merged.form = merged.form or part.form
        merged.path = merged.path or part.path
        merged.receive.extend(part.receive)
        merged.send.extend(part.send)
        merged.servers.extend(part.servers)
        merged.accepted_domains.extend(part.accepted_domains)
        merged.has_permissions = merged.has_permissions or part.has_permissions
        merged.diagnostics.extend(part.diagnostics)
    return merged


def support(build: tuple[int, int, int, int] | None, today: datetime.date) -> dict[str, Any]:
    """The product a build belongs to and whether Microsoft still supports it."""
    from linter.mta.exchange.reference import builds

    table = builds()
    if build is None:
        return {"product": "", "end_of_support": None, "out_of_support": False, "known": False}
    major, minor, number, _ = build
    match = None
    for p in table["products"]:
        if p["major"] == major and p["minor"] in (None, minor) and number >= p["from_build"]:
            match = p  # later entries (SE from build 2562) override earlier ones
    if match is None:
        return {"product": "", "end_of_support": None, "out_of_support": False, "known": False}
    end = match["end_of_support"]
    return {
        "product": match["name"],
        "end_of_support": end,
        "out_of_support": end is not None and datetime.date.fromisoformat(end) <= today,
        "known": True,
        "table_date": table["date"],
    }


def exchange_facts(model: ExchangeModel, facts: Facts) -> dict[str, Any]:
    from linter.mta.exchange.posture import (
        anonymous_authoritative_sender,
        anonymous_relay,
    )
    from linter.mta.exchange.selection import coverage, whole_space

    covered = coverage(model.receive)
    connectors = []
    for i, c in enumerate(model.receive):
        cov = covered[id(c)]
        relay, _, _ = anonymous_relay(c)
        connectors.append(
            {
                **{k: v for k, v in c.to_dict().items() if k != "line"},
                # chosen for strangers: public addresses of an entry of half the space or more
                # None: another connector's list cut short may take those clients away
                "internet_facing": None
                if cov.uncertain
                else c.enabled
                and any(whole_space(r) and r.text in cov.public_ranges for r in c.ranges),
                "public": c.enabled and cov.public,
                "ports": sorted({b.port for b in c.bindings}),
                "public_ranges": cov.public_ranges,
                "reachable": c.enabled and bool(cov.intervals),
                "external_authoritative": "ExternalAuthoritative" in c.auth,
                "anonymous_relay": relay,
                "anonymous_authoritative_sender": anonymous_authoritative_sender(c),
                "truncated": c.truncated,
            }
        )
        base = f"exchange.receive_connectors[{i}]"
        facts.locate(base, c.span)
        for name, key in (
            ("external_authoritative", "AuthMechanism"),
            ("auth_mechanism", "AuthMechanism"),
            ("internet_facing", "RemoteIPRanges"),
            ("protocol_logging_level", "ProtocolLoggingLevel"),
            ("max_message_size", "MaxMessageSize"),
            ("permission_groups", "PermissionGroups"),
        ):
            facts.locate(f"{base}.{name}", c.fields.get(key, c.span))
    today = datetime.date.today()
    servers = []
    for i, s in enumerate(model.servers):
        servers.append(
            {
                "name": s.name,
                "version": s.version,
                "build": ".".join(map(str, s.build or ())),
                **support(s.build, today),
            }
        )
        facts.locate(f"exchange.servers[{i}]", s.span)
        facts.locate(f"exchange.servers[{i}].out_of_support", s.span)
    sends = []
    for i, send in enumerate(model.send):
        sends.append(
            {**{k: v for k, v in send.to_dict().items() if k != "line"}, "internet": send.internet}
        )
        facts.locate(f"exchange.send_connectors[{i}]", send.span)
    return {
        "form": model.form,
        "has_permissions": model.has_permissions,
        "receive_connectors": connectors,
        "send_connectors": sends,
        "servers": servers,
        "accepted_domains": model.accepted_domains,
    }


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.exchange.posture import build_posture

    model = read_model(config_set, options)
    posture, spans = build_posture(model)
    apply_roles(posture, options)
    diagnostics = sorted(model.diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column))
    facts = start_facts("exchange", posture, Span(model.path or config_set.files[0].display, 1, 1))
    posture_dict = put_posture(facts, posture, spans)
    put_diagnostics(facts, diagnostics)
    document = exchange_facts(model, facts)
    facts.set("exchange", document)
    shown = {
        "form": model.form,
        "receive_connectors": [c.to_dict() for c in model.receive],
        "send_connectors": [s.to_dict() for s in model.send],
        "servers": document["servers"],
        "accepted_domains": model.accepted_domains,
    }
    model_dict = parse_document(config_set, "exchange", shown, posture_dict, diagnostics)
    return Analysis("exchange", facts, model_dict, diagnostics, [], posture)


__all__: list[str] = ["analyse"]
