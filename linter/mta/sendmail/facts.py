"""sendmail: .mc (m4 source of sendmail.cf) → model → posture → facts."""

from __future__ import annotations

import re
from pathlib import Path
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
from linter.source import InputError, SourceFile, Span, read_limited

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta.sendmail.model import SendmailModel
    from linter.mta.sendmail.parse import McFile
    from linter.posture import Listener, Posture

# the option that decides each listener fact, so a finding points at its define
LISTENER_OPTIONS = {
    "tls": "ServerCertFile",
    "tls_certificate": "ServerCertFile",
    "auth_before_tls": "AuthOptions",
    "auth_plaintext_mechanisms": "AuthMechanisms",
    "vrfy": "PrivacyOptions",
    "helo_required": "PrivacyOptions",
    "banner": "SmtpGreetingMessage",
    "banner_expanded": "SmtpGreetingMessage",
}

# the option behind each set-wide fact, so a finding's evidence names its line
SET_OPTIONS = {"auth_options": "AuthOptions", "auth_mechanisms": "AuthMechanisms"}


def _global_default(fact: str, listener: Listener) -> bool:
    """Whether a listener fact left at sendmail's default is the same for every daemon:
    the TLS facts are, unless the daemon itself turns TLS off (M=S) or on (M=s)."""
    if fact in ("tls", "tls_certificate"):
        return listener.tls == "none" and not listener.tls_certificate
    return True


def read_mc(path: Path, display: str, max_bytes: int, root: Path | None = None) -> SourceFile:
    from linter.mta.sendmail.model import _decode

    data = read_limited(path, display, max_bytes, root)
    if b"\x00" in data:
        raise InputError(display, "binary file: NUL byte found, not a text configuration")
    return SourceFile(display, _decode(data.removeprefix(b"\xef\xbb\xbf")))


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.sendmail.m4 import Source
    from linter.mta.sendmail.model import SendmailModel, build_model
    from linter.mta.sendmail.parse import McFile, parse_mc
    from linter.mta.sendmail.posture import build_posture

    cf = config_set.file("sendmail-mc")
    assert cf is not None
    diagnostics: list[Diagnostic] = []
    comments: list[Comment] = []
    try:
        source = read_mc(cf.path, cf.display, options.max_file_size, cf.root)
    except InputError as exc:
        diagnostics.append(input_error(exc))
        source = None
    if source is not None:
        tree = parse_mc(source)
        model = build_model(
            Source(source.path, source.text, "user"),
            cf.path.parent,
            options.max_file_size,
            options.limits,
        )
        comments.extend(Comment(cf.display, c.line, c.text) for c in tree.comments)
        diagnostics.extend(tree.diagnostics)
    else:
        tree = McFile(cf.display)
        model = SendmailModel(cf.display, evaluated=False)
    diagnostics.extend(model.diagnostics)
    diagnostics.sort(key=lambda d: (d.span.line, d.span.column))
    posture, spans = build_posture(model)
    local_rulesets = _local_rulesets(tree)
    _relay_decided_by_local_rulesets(posture, local_rulesets)
    apply_roles(posture, options)

    facts = start_facts("sendmail", posture, Span(cf.display, 1, 1))
    for i, listener in enumerate(posture.listeners[: len(spans.listeners)]):
        fields = spans.field_spans(i)
        for fact, option in LISTENER_OPTIONS.items():
            option_span = model.option_span(option)
            if option_span is None and _global_default(fact, listener):
                # a default of sendmail.cf serves every daemon alike: one place (the
                # file's first line) for the fix, so one finding for all the daemons
                option_span = Span(cf.display, 1, 1)
            if option_span is not None:
                fields[fact] = option_span
        relay_span = _relay_span(model)
        if relay_span is not None:
            fields["relay"] = relay_span
    posture_dict = put_posture(facts, posture, spans)
    from linter.blocklists import put_facts
    from linter.mta.sendmail.blocklists import blocklists

    put_facts(facts, blocklists(model))
    put_diagnostics(facts, diagnostics)
    sendmail = _sendmail_facts(model)
    sendmail["local_rulesets"] = sorted(local_rulesets)
    facts.set("sendmail", sendmail)
    for fact, option in SET_OPTIONS.items():
        # the AUTH lists rest on their define, or on sendmail.cf's default: the file's
        # first line, where LISTENER_OPTIONS puts a listener fact that rests on the same
        # default (a finding about the list and one about the listener share that line)
        facts.locate(f"sendmail.{fact}", model.option_span(option) or Span(cf.display, 1, 1))
    for i, f in enumerate(model.features):
        if f.span is not None:
            facts.locate(f"sendmail.features[{i}]", f.span)
    for i, daemon in enumerate(model.daemons):
        if daemon.span is not None:
            facts.locate(f"sendmail.daemons[{i}]", daemon.span)
    entry = 0
    for stmt in model.calls("RELAY_DOMAIN"):
        for _ in (w for arg in stmt.args for w in arg.replace(",", " ").split()):
            if stmt.span is not None:
                facts.locate(f"sendmail.relay_domains[{entry}]", stmt.span)
            entry += 1
    for name, o in model.options.items():
        if o.span is not None:
            facts.locate(f"sendmail.options.{name}", o.span)
    facts.add_resolver("sendmail.feature", lambda name: _feature(model, name))
    facts.add_resolver("sendmail.option", lambda name: _option(model, name))
    facts.add_resolver("sendmail.set", lambda name: _set(model, name))
    facts.add_resolver("sendmail.define", lambda name: _define(model, name))

    document = {
        **sendmail,
        "ostype": [s.args[0] for s in model.calls("OSTYPE") if s.args],
        "domain": [s.args[0] for s in model.calls("DOMAIN") if s.args],
        "calls": [
            {
                "name": c.name,
                "line": c.span.line,
                "column": c.span.column,
                "args": [a.text for a in c.args],
            }
            for c in tree.calls
            if not c.nested
        ],
        "raw_blocks": [
            {"macro": b.name, "line": b.span.line, "text": b.text} for b in tree.raw_blocks
        ],
    }
    model_dict = parse_document(config_set, "sendmail", document, posture_dict, diagnostics)
    return Analysis("sendmail", facts, model_dict, diagnostics, comments, posture)


def _relay_span(model: SendmailModel) -> Span | None:
    for name in ("promiscuous_relay", "relay_local_from", "relay_entire_domain"):
        f = model.feature(name)
        if f is not None and f.span is not None:
            return f.span
    for stmt in model.calls("RELAY_DOMAIN"):
        if stmt.span is not None:
            return stmt.span
    return None


_RULESET_START = re.compile(r"^S\s*([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)
# rulesets of the .mc's own that can answer RELAY or OK for a recipient (proto.m4 calls
# Local_check_rcpt and Local_Relay_Auth from check_rcpt; a check_rcpt replaces it)
_RELAY_RULESETS = ("check_rcpt", "Local_check_rcpt", "Local_Relay_Auth", "Relay_ok")


def _local_rulesets(tree: McFile) -> set[str]:
    """Names of the rulesets the .mc defines in LOCAL_RULESETS / LOCAL_RULE_* text."""
    return {m.group(1) for b in tree.raw_blocks for m in _RULESET_START.finditer(b.text)}


def _relay_decided_by_local_rulesets(posture: Posture, rulesets: set[str]) -> None:
    """A ruleset of the .mc's own that can say RELAY makes the relay verdict unknown:
    mtalint does not run sendmail's rewriting rules."""
    own = sorted(r for r in rulesets if r in _RELAY_RULESETS)
    if not own:
        return
    for listener in posture.listeners:
        if listener.relay.verdict in ("authenticated", "unknown"):
            continue  # M=a: MAIL needs AUTH before any ruleset sees a recipient
        listener.relay.verdict = "unknown"
        listener.relay.reason = (
            f"LOCAL_RULESETS defines {', '.join(own)}, which decides relaying by rules "
            "mtalint does not evaluate; " + listener.relay.reason
        )


def _sendmail_facts(model: SendmailModel) -> dict[str, Any]:
    from linter.mta.sendmail.posture import (
        auth_mechanisms,
        auth_options,
        class_r_entry,
        port_number,
        privacy,
        smart_host,
        words,
    )

    options: dict[str, Any] = {name: o.value for name, o in sorted(model.options.items())}
    if model.daemons:
        options["DaemonPortOptions"] = [d.text for d in model.daemons]
    if model.client_options:
        options["ClientPortOptions"] = [o.value for o in model.client_options]
    relay_domains = []
    for stmt in model.calls("RELAY_DOMAIN"):
        for arg in stmt.args:
            for entry in words(arg):
                network, public, prefix = class_r_entry(entry)
                relay_domains.append(
                    {
                        "entry": entry,
                        "network": network,
                        "public": public,
                        "prefix": prefix,
                        "line": stmt.span.line if stmt.span else None,
                    }
                )
    found = smart_host(model)
    return {
        "evaluated": model.evaluated,
        "options": options,
        "features": [f.to_dict() for f in model.features],
        "feature_names": sorted({f.name for f in model.features}),
        "mailers": [s.args[0] for s in model.calls("MAILER") if s.args],
        "daemons": [
            {
                "name": d.name,
                "text": d.text,
                "port": port_number(d.port_text),
                "port_text": d.port_text,
                "address": d.address,
                "family": d.family,
                "modifiers": d.modifiers,
                "default": d.default,
            }
            for d in model.daemons
        ],
        "privacy": sorted(privacy(model)),
        "auth_options": sorted(auth_options(model)),
        "auth_mechanisms": auth_mechanisms(model),
        "trust_auth_mech": [
            w for s in model.calls("TRUST_AUTH_MECH") for a in s.args for w in words(a)
        ],
        "relay_domains": relay_domains,
        "smart_host": (
            {
                "macro": found[0],
                "mailer": found[1],
                "host": found[2].host,
                "port": found[2].port,
                "mx_lookup": found[2].mx_lookup,
                "raw": found[2].raw,
            }
            if found
            else None
        ),
        "milters": [s.args[0] for s in model.calls("INPUT_MAIL_FILTER") if s.args],
    }


def _feature(model: SendmailModel, name: str) -> tuple[Any, Span | None]:
    f = model.feature(name)
    return (f is not None), (f.span if f is not None else None)


def _option(model: SendmailModel, name: str) -> tuple[Any, Span | None]:
    """The value sendmail uses: the O line, or proto.m4's documented default."""
    from linter.mta.sendmail.model import data

    o = model.options.get(name)
    if o is not None:
        return o.value, o.span
    row = next((r for r in data()["options"] if r["option"] == name), None)
    if row is None or row.get("default") is None:
        return MISSING, None
    return str(row["default"]), None


def _set(model: SendmailModel, name: str) -> tuple[Any, Span | None]:
    o = model.options.get(name)
    return (o is not None), (o.span if o is not None else None)


def _define(model: SendmailModel, name: str) -> tuple[Any, Span | None]:
    origin = model.origin(name)
    if name not in model.macros:
        return MISSING, origin.span if origin else None
    return model.macros[name], origin.span if origin else None


__all__: list[str] = ["analyse"]
