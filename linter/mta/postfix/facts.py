"""Postfix: main.cf + master.cf → model → posture → facts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.facts import MISSING
from linter.mta import Analysis, Comment, Options
from linter.mta.assemble import (
    apply_roles,
    input_error,
    parse_document,
    put_diagnostics,
    put_posture,
    start_facts,
)
from linter.mta.postfix.detect import version_in
from linter.source import InputError, SourceFile, Span, read_source

if TYPE_CHECKING:
    from linter.discover import ConfigFile, ConfigSet
    from linter.facts import Facts
    from linter.mta.postfix.model import PostfixModel, Service
    from linter.posture import Posture, PostureSpans

# The setting that decides each listener fact, so a finding points at that setting.
LISTENER_SETTINGS = {
    "tls": "smtpd_tls_security_level",
    "auth": "smtpd_sasl_auth_enable",
    "auth_before_tls": "smtpd_tls_auth_only",
    "auth_plaintext_mechanisms": "smtpd_sasl_security_options",
    "relay": "smtpd_relay_restrictions",
    "tls_certificate": "smtpd_tls_cert_file",
    "vrfy": "disable_vrfy_command",
    "helo_required": "smtpd_helo_required",
    "banner": "smtpd_banner",
    "banner_expanded": "smtpd_banner",
}

# listener facts whose default is one main.cf parameter shared by every service
_MAIN_CF_DEFAULTS = frozenset({"vrfy", "helo_required", "banner", "banner_expanded"})


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.postfix.fixes import attach_edits
    from linter.mta.postfix.model import build_model
    from linter.mta.postfix.parse import collapse_blanks, parse_main, parse_master
    from linter.mta.postfix.posture import (
        PostureSpans,
        build_posture,
        pass_service,
        permit_mynetworks_reached,
    )
    from linter.mta.postfix.unknown import mask_unknown

    input_errors: list[Diagnostic] = []
    main_source: SourceFile | None = None
    main = master = None
    comments: list[Comment] = []
    main_file = config_set.file("postfix-main")
    master_file = config_set.file("postfix-master")
    for cf, parse in ((main_file, parse_main), (master_file, parse_master)):
        if cf is None:
            continue
        try:
            # a CR not before a LF is whitespace inside the line to Postfix, not a line end
            source = read_source(
                cf.path,
                cf.display,
                options.max_file_size,
                lone_cr_ends_line=False,
                root=cf.root,
            )
        except InputError as exc:
            input_errors.append(input_error(exc))
            continue
        tree = parse(source)
        if cf.format == "postfix-main":
            main_source = source
        comments.extend(Comment(cf.display, c.line, c.text) for c in tree.comments)
        if cf.format == "postfix-main":
            main = tree
        else:
            master = tree

    model = build_model(main, master, version_in(options), options.limits)  # type: ignore[arg-type]
    posture, spans = build_posture(model)
    # after the posture: an expansion limit it reached is reported too
    diagnostics = input_errors + model.diagnostics
    # a master.cf alone: every smtpd setting not given with -o comes from a main.cf we
    # have not seen, so only what master.cf decides by itself is judged
    master_only = master_file is not None and main_file is None
    if master_only and master_file is not None:
        diagnostics.append(
            Diagnostic(
                "main-cf-missing",
                "main.cf not found beside master.cf: checks that need it are skipped",
                Span(master_file.display, 1, 1),
            )
        )
    if not master_only:
        diagnostics.extend(spans.diagnostics)
    if master_only and not options.roles:
        posture.roles = []
    apply_roles(posture, options)

    primary = main_file or master_file
    facts = start_facts("postfix", posture, Span(primary.display, 1, 1) if primary else None)
    services_by_key: dict[str, Service] = {}
    for s in model.services:
        services_by_key.setdefault(s.key, s)
    listener_services = [
        _service_for(model, services_by_key.get(x.name)) for x in posture.listeners
    ]
    if master_only:
        # listeners, outbound path, TLS and identity all read main.cf parameters
        _forget_main_cf(posture)
        spans = PostureSpans()
    else:
        # the settings behind each listener fact, read before what is not known is
        # forgotten (a relay verdict's reason names the list that decides it)
        _listener_spans(model, posture, spans, listener_services, main_file, facts)
    mask_unknown(model, posture, listener_services)
    attach_edits(model, diagnostics, main_source)
    posture_dict = put_posture(facts, posture, spans)
    if not master_only:
        # next hops of in-line relay/transport tables, judged like the relayhost
        from linter.mta.postfix.routes import TableFiles, outbound_routes

        tables = None
        if main_file is not None:
            folder = str(PurePosixPath(main_file.display).parent)
            tables = TableFiles(
                main_file.path.parent,
                "" if folder == "." else folder,
                main_file.root,
                options.max_file_size,
            )
        routes, routes_notes = outbound_routes(model, options.limits.postfix_routes, tables)
        if tables is not None:
            comments.extend(c for found in tables.comments.values() for c in found)
        diagnostics.extend(routes_notes)
        facts.set("posture.outbound.routes", [r.to_fact() for r in routes])
        for i, route in enumerate(routes):
            if route.span is not None:
                facts.locate(f"posture.outbound.routes[{i}]", route.span)
    from linter.blocklists import put_facts
    from linter.mta.postfix.blocklists import blocklists

    put_facts(facts, blocklists(model))
    put_diagnostics(facts, diagnostics)
    postfix_facts: dict[str, Any] = {
        "version": ".".join(str(p) for p in version_in(options)),
        "compatibility_level": model.compatibility_level,
        "has_main_cf": main is not None,
        "has_master_cf": master is not None,
        "services": [_service_fact(model, s, master_only) for s in model.services],
        "postscreen_without_smtpd_pass": any(
            s.daemon == "postscreen" and s.type == "inet" and pass_service(model, s) is None
            for s in model.services
        ),
    }
    postfix_facts["protocol_floor"] = protocol_floor(version_in(options))
    postfix_facts["compat_backwards"] = _compat_backwards(model)
    postfix_facts["permit_mynetworks_reached"] = permit_mynetworks_reached(model)
    if master_only:
        del postfix_facts["compatibility_level"]  # set in the main.cf we have not seen
        del postfix_facts["compat_backwards"]
    facts.set("postfix", postfix_facts)
    for i, s in enumerate(model.services):
        facts.locate(f"postfix.services[{i}]", s.span)
        facts.add_resolver(
            f"postfix.services[{i}].param",
            _override_resolver(s) if master_only else _param_resolver(model, s),
        )
        for name, o in s.overrides.items():
            facts.locate(f"postfix.services[{i}].overrides.{name}", o.span)
    if master_only:
        for prefix in ("postfix.param", "postfix.raw", "postfix.explicit"):
            facts.add_resolver(prefix, _unknown)
    else:
        facts.add_resolver("postfix.param", lambda name: _param(model, name))
        facts.add_resolver("postfix.raw", lambda name: _raw(model, name))
        facts.add_resolver("postfix.explicit", lambda name: _explicit(model, name))

    document = {
        "version": ".".join(str(p) for p in version_in(options)),
        "compatibility_level": model.compatibility_level,
        "main": {
            # "value" as postconf -n prints it (runs of whitespace, continuation
            # joins included, shown as one space); "raw" exactly as Postfix stores it
            "parameters": {
                name: {"value": collapse_blanks(a.value), "raw": a.value, "line": a.line}
                for name, a in sorted(model.explicit.items())
            }
        },
        "master": {"services": [s.to_dict() for s in model.services]},
    }
    model_dict = parse_document(config_set, "postfix", document, posture_dict, diagnostics)
    return Analysis("postfix", facts, model_dict, diagnostics, comments, posture)


def _forget_main_cf(posture: Posture) -> None:
    """A master.cf alone: what the posture says comes from main.cf parameters (every
    listener's, the outbound path, TLS and identity), none of which were read."""
    posture.listeners = []
    for path in ("outbound", "tls", "identity", "notes", "tls_listeners"):
        posture.forget(path)


def _listener_spans(
    model: PostfixModel,
    posture: Posture,
    spans: PostureSpans,
    services: list[Service | None],
    main_file: ConfigFile | None,
    facts: Facts,
) -> None:
    """Locate each listener's facts at the setting that decides them (``spans``), and
    give each listener the parameters and TLS protocols its smtpd sees (``item.param.NAME``,
    ``item.protocols.KIND``)."""
    for i in range(len(spans.listeners)):
        service = services[i]
        fields = spans.field_spans(i)
        for fact_name, setting_name in LISTENER_SETTINGS.items():
            setting = model.setting(setting_name, service)
            if setting.span is not None:
                fields[fact_name] = setting.span
            elif fact_name in _MAIN_CF_DEFAULTS and main_file is not None:
                # left at Postfix's default for every service: the fix is one line in
                # main.cf, so the services it affects share one finding there
                fields[fact_name] = Span(main_file.display, 1, 1)
        tls_span = _first_span(model, service, _TLS_SETTINGS[posture.listeners[i].tls])
        if tls_span is not None:
            fields["tls"] = tls_span
        # item.param.NAME: the value this listener's smtpd sees (main.cf + its -o options)
        facts.add_resolver(f"posture.listeners[{i}].param", _param_resolver(model, service))
        # item.protocols.opportunistic / .mandatory: the TLS protocols this listener's
        # smtpd negotiates, located where its list is set (a -o of its service, main.cf)
        facts.add_resolver(f"posture.listeners[{i}].protocols", _protocols_resolver(model, service))
        relay_span = _relay_span(model, service, posture.listeners[i].relay.reason)
        if relay_span is not None:
            fields["relay"] = relay_span


def protocol_floor(version: tuple[int, int, int]) -> dict[str, str]:
    """The ``*_tls_protocols`` values that start at TLS 1.0 and at TLS 1.2, in the syntax
    this Postfix reads (for fixes): ">=" bounds came with Postfix 3.6, older releases
    only exclude (postconf(5), smtpd_tls_protocols). No blanks, so that the same text
    works as a master.cf ``-o name=value``."""
    if version >= (3, 6, 0):
        return {"tls10": ">=TLSv1", "tls12": ">=TLSv1.2"}
    return {"tls10": "!SSLv2,!SSLv3", "tls12": "!SSLv2,!SSLv3,!TLSv1,!TLSv1.1"}


def _compat_backwards(model: PostfixModel) -> list[str]:
    """Defaults that differ at this file's compatibility_level from the current ones, for
    parameters the file does not set: "name = old (current: new)"."""
    from linter.mta.postfix import params

    level = model.compatibility_level
    out = []
    for name in sorted(params.COMPAT_DEPENDENT):
        if name in model.explicit:
            continue
        if name == "mynetworks" and "mynetworks_style" in model.explicit:
            continue  # follows the style the file sets
        old = params.default_for(name, level, model.version)
        new = params.default_for(name, "9999", model.version)
        if old != new:
            out.append(f'{name} = "{old}" (current default: "{new}")')
    return out


def _service_for(model: PostfixModel, service: Service | None) -> Service | None:
    """The service whose settings a listener uses: postscreen hands over to smtpd."""
    from linter.mta.postfix.posture import pass_service

    if service is not None and service.daemon == "postscreen":
        return pass_service(model, service) or service
    return service


# the settings that decide a listener's TLS mode, most telling first
_TLS_SETTINGS = {
    "implicit": ("smtpd_tls_wrappermode",),
    "required": ("smtpd_tls_security_level", "smtpd_enforce_tls"),
    "optional": ("smtpd_tls_security_level", "smtpd_use_tls"),
    "none": ("smtpd_tls_security_level", "smtpd_use_tls", "smtpd_enforce_tls"),
}


def _first_span(
    model: PostfixModel, service: Service | None, names: tuple[str, ...]
) -> Span | None:
    for name in names:
        span = model.setting(name, service).span
        if span is not None:
            return span
    return None


def _relay_span(model: PostfixModel, service: Service | None, reason: str) -> Span | None:
    """The setting that decides a relay verdict: the list the reason names, and
    mynetworks when trust in it decides."""
    names = ["smtpd_relay_restrictions", "smtpd_recipient_restrictions"]
    if "in smtpd_recipient_restrictions" in reason:
        names.reverse()
    if "mynetworks" in reason:
        names.insert(0, "mynetworks")
    return _first_span(model, service, tuple(names))


def _service_fact(model: PostfixModel, s: Service, master_only: bool) -> dict[str, Any]:
    from linter.mta.postfix.posture import client_credentials_in_clear

    data = s.to_dict()
    data["key"] = s.key
    data["daemon"] = s.daemon
    own = [n for n in s.overrides if n.startswith(("smtp_sasl_", "smtp_tls_", "smtp_use_tls"))]
    if s.daemon == "smtp" and s.key != "smtp/unix" and own and not master_only:
        # a client transport (relay, a content filter's way back, ...) with its own -o
        # settings: the default smtp/unix client is judged by the posture (MTA011)
        data["sasl_cleartext"] = client_credentials_in_clear(model, s)
    return data


def _param(
    model: PostfixModel, name: str, service: Service | None = None
) -> tuple[Any, Span | None]:
    setting = model.setting(name, service)
    if setting.origin == "default" and setting.why == "unknown" or model.unknown(name, service):
        return MISSING, None
    return model.value(name, service), setting.span


def _param_resolver(model: PostfixModel, service: Service | None) -> Callable[[str], Any]:
    return lambda name: _param(model, name, service)


# the list each kind of server TLS reads: opportunistic STARTTLS (level may) and
# mandatory TLS (encrypt, wrapper mode)
_PROTOCOL_SETTINGS = {
    "opportunistic": "smtpd_tls_protocols",
    "mandatory": "smtpd_tls_mandatory_protocols",
}


def _protocols_resolver(model: PostfixModel, service: Service | None) -> Callable[[str], Any]:
    """The protocols one listener's smtpd accepts, from the value its service sees: a
    ``-o smtpd_tls_protocols=...`` in master.cf replaces main.cf's list for that service."""
    from linter.mta.postfix.posture import protocols

    def resolve(kind: str) -> tuple[Any, Span | None]:
        name = _PROTOCOL_SETTINGS.get(kind)
        if name is None:
            return MISSING, None
        value, span = _param(model, name, service)
        if value is MISSING:
            return MISSING, None
        return protocols(str(value)), span

    return resolve


def _override_resolver(service: Service) -> Callable[[str], Any]:
    """A service's parameter when master.cf alone is known: its -o options only."""

    def resolve(name: str) -> tuple[Any, Span | None]:
        o = service.overrides.get(name)
        return (o.value, o.span) if o is not None else (MISSING, None)

    return resolve


def _unknown(name: str) -> tuple[Any, Span | None]:
    return MISSING, None


def _raw(model: PostfixModel, name: str) -> tuple[Any, Span | None]:
    setting = model.setting(name)
    if setting.origin == "default" and setting.why == "unknown":
        return MISSING, None
    return setting.value, setting.span


def _explicit(model: PostfixModel, name: str) -> tuple[Any, Span | None]:
    a = model.explicit.get(name)
    return (a is not None), (a.value_span if a is not None else None)
