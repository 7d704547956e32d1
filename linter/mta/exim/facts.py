"""Exim: a config set → model → posture → facts.

A config set is one file (``exim.conf``, ``exim4.conf``, ``exim4.conf.template``, an Exim
``configure``) with everything it ``.include``s, or Debian's split configuration: a
``conf.d/`` folder whose ``main acl router transport retry rewrite auth`` subfolders are
read in that order, each in lexical order, as ``update-exim4.conf`` joins them.
"""

from __future__ import annotations

import os
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
from linter.mta.exim.detect import defines_in, display_path, split_files
from linter.posture import PostureSpans, tls_listeners
from linter.source import InputError, Span

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta.exim.model import EximModel
    from linter.mta.exim.parse import SourceText


def read_model(
    config_set: ConfigSet, options: Options
) -> tuple[EximModel | None, list[Diagnostic], list[str]]:
    """The model of a config set, its diagnostics in reading order, and its files."""
    from linter.mta.exim import options as table
    from linter.mta.exim.model import Builder, EximModel
    from linter.mta.exim.parse import Reader, SourceText, load_source, split_physical

    cf = config_set.files[0]
    root = config_set.root.resolve()
    files: list[str] = []

    def opener(name: str, span: Span) -> SourceText | str | None:
        resolved = Path(os.path.realpath(name))  # (a link loop stays unresolved)
        if not resolved.is_relative_to(root):
            return (
                f".include of {name} is outside the configuration tree "
                f"({display_path(root) or '.'}); not read"
            )
        if not resolved.exists() or resolved.is_dir():
            return None  # missing, a link loop or a folder: Exim cannot open it
        try:
            # opened confined to the tree again: a link swapped in now is not followed
            source = load_source(resolved, display_path(resolved), options.max_file_size, root=root)
        except InputError as exc:
            return f"included file {name}: {exc.message}"
        files.append(source.display)
        return source

    try:
        if cf.format == "exim-split":
            parts = split_files(cf.path)
            # absolute as Exim needs them; the opener resolves links (and loops) itself
            text = "".join(f'.include "{os.path.abspath(p)}"\n' for p in parts)
            top = SourceText(cf.path, cf.display, split_physical(text))
        else:
            top = load_source(cf.path, cf.display, options.max_file_size, root=cf.root)
            files.append(cf.display)
    except InputError as exc:
        return None, [input_error(exc)], [cf.display]
    reader = Reader(top, opener, limits=options.limits)
    reader.add_builtins(table.BUILTIN_MACROS)
    for name, value in defines_in(options).items():
        reader.define_command_line(name, value)
    model = EximModel()
    builder = Builder(reader, model)
    builder.read_main()
    builder.read_rest()
    model.macros = {m.name: m.value for m in reader.macros if not m.builtin}
    model.comments = list(reader.comments)
    model.includes = [name for name, _ in reader.includes]
    ordered = [d for _, d in sorted(reader.diagnostics, key=lambda item: item[0])]
    if cf.format == "exim":
        from linter.mta.exim.posture import split_part_alone

        part = split_part_alone(reader.macros, model.sections)
        ordered.extend([part] if part is not None else [])
    model.diagnostics = ordered
    return model, ordered, files


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.exim.posture import (
        analysis_facts,
        build_posture,
        connect_refusal,
        undefined_macro_paths,
    )

    model, diagnostics, files = read_model(config_set, options)
    primary = config_set.files[0]
    if model is None:
        from linter.mta.exim.model import EximModel

        model = EximModel()
    posture, spans = build_posture(model)
    apply_roles(posture, options)
    shown = primary.display if primary.format == "exim" else files[0] if files else primary.display
    facts = start_facts("exim", posture, Span(shown, 1, 1))
    # a span without a file or line (a default, an ACL given inline) is no place for a fix:
    # the finding then falls back to the fact above it or the file's first line
    located = PostureSpans(
        listeners=[s if s is not None and _located(s) else None for s in spans.listeners],
        listener_fields=[
            {fact: s for fact, s in fields.items() if _located(s)}
            for fields in spans.listener_fields
        ],
        fields={path: s for path, s in spans.fields.items() if _located(s)},
    )
    posture_dict = put_posture(facts, posture, located)
    from linter.blocklists import put_facts
    from linter.mta.exim.blocklists import blocklists

    put_facts(facts, blocklists(model))
    put_diagnostics(facts, diagnostics)
    exim_doc = _exim_document(model)
    derived = analysis_facts(model)
    derived["tls_listeners"] = tls_listeners(posture.listeners)
    # MTA001 reports an open relay with the lists behind it: the list rules then say nothing
    derived["relay_open"] = any(li.relay.verdict == "open" for li in posture.listeners)
    derived["expn_answered"] = list(spans.expn_listeners)
    # one greeting for all listeners (smtp_banner is a main option): one item naming them,
    # for a banner rule that reports a setting once rather than once per listener
    banner = model.setting("smtp_banner")
    derived["banners"] = (
        [
            {
                "value": posture.listeners[0].banner,
                "expanded": posture.listeners[0].banner_expanded,
                "listeners": [li.name for li in posture.listeners],
            }
        ]
        if posture.listeners
        else []
    )
    if posture.listeners and banner.span is not None:
        facts.locate("exim.banners[0]", banner.span)
    expn = model.main.get("acl_smtp_expn")
    if expn is not None and expn.span is not None:
        facts.locate("exim.expn_answered", expn.span)
    facts.set("exim", {**{k: v for k, v in exim_doc.items() if k != "main"}, **derived})
    for i, auth in enumerate(model.authenticators):
        facts.locate(f"exim.auth[{i}]", auth.span)
    for i, transport in enumerate(t for t in model.transports if t.driver == "smtp"):
        facts.locate(f"exim.smtp_transports[{i}]", transport.span)
        for name, setting in transport.options.items():
            if setting.span is not None:
                facts.locate(f"exim.smtp_transports[{i}].{name}", setting.span)
        # the clear-text AUTH finding goes where the transport is told to authenticate
        auth_option = derived["smtp_transports"][i].get("auth_option")
        if auth_option and auth_option in transport.options:
            auth_span = transport.options[auth_option].span
            if auth_span is not None:
                facts.locate(f"exim.smtp_transports[{i}].auth_without_tls", auth_span)
    for kind, named in model.lists.items():
        for name, nl in named.items():
            facts.locate(f"exim.lists.{kind}.{name}", nl.span)
    refusal = connect_refusal(model)
    if refusal is not None and refusal.statement is not None:
        # the statement that refuses (for an inline "deny", the option's line)
        facts.locate("exim.connect_refused", refusal.statement.span)
    for i, item in enumerate(undefined_macro_paths(model)):
        facts.locate(f"exim.undefined_macro_paths[{i}]", item["span"])
    rcpt = model.main.get("acl_smtp_rcpt")
    if rcpt is not None and rcpt.span is not None:
        facts.locate("exim.rcpt_acl", rcpt.span)
    facts.add_resolver("exim.option", lambda name: _option(model, name))
    facts.add_resolver("exim.explicit", lambda name: _explicit(model, name))
    comments = [Comment(path, line, text) for path, line, text in model.comments]
    model_dict = parse_document(config_set, "exim", exim_doc, posture_dict, diagnostics, files)
    return Analysis("exim", facts, model_dict, diagnostics, comments, posture)


def _located(span: Span) -> bool:
    return bool(span.path) and span.line > 0


def _exim_document(model: EximModel) -> dict[str, Any]:
    from linter.mta.exim.options import EXIM_VERSION

    return {
        "version": EXIM_VERSION,
        "main": {
            "options": {name: s.to_dict() for name, s in sorted(model.main.items())},
            "lists": {
                t: {name: nl.to_dict() for name, nl in lists.items()}
                for t, lists in model.lists.items()
                if lists
            },
        },
        "routers": [d.to_dict() for d in model.routers],
        "transports": [d.to_dict() for d in model.transports],
        "authenticators": [d.to_dict() for d in model.authenticators],
        "acls": {name: acl.to_dict() for name, acl in model.acls.items()},
        "retry": [r.to_dict() for r in model.retry],
        "rewrite": [r.to_dict() for r in model.rewrite],
        "macros": dict(model.macros),
        "sections": list(model.sections),
        "includes": list(model.includes),
    }


def _option(model: EximModel, name: str) -> tuple[Any, Span | None]:
    from linter.mta.exim.options import ALIASES, OPTIONS

    if ALIASES.get(name, name) not in OPTIONS["main"]:
        return MISSING, None
    setting = model.setting(name)
    return setting.printed, setting.span


def _explicit(model: EximModel, name: str) -> tuple[Any, Span | None]:
    setting = model.main.get(name)
    return setting is not None, setting.value_span if setting is not None else None
