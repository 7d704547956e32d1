"""Exim: run-time configuration → model → posture → facts.

A config set is one file (``exim.conf``, ``exim4.conf``, ``exim4.conf.template``, an Exim
``configure``) with everything it ``.include``s, or Debian's split configuration: a
``conf.d/`` folder whose ``main acl router transport retry rewrite auth`` subfolders are
read in that order, each in lexical order, as ``update-exim4.conf`` joins them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.facts import MISSING, Facts
from linter.mta import Analysis, Comment, Options
from linter.source import InputError, Span

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta.exim.model import EximModel
    from linter.mta.exim.reader import SourceText

SPLIT_ORDER = ("main", "acl", "router", "transport", "retry", "rewrite", "auth")
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def split_files(folder: Path) -> list[Path]:
    """The files of a Debian ``conf.d`` folder in update-exim4.conf's order."""
    out: list[Path] = []
    for section in SPLIT_ORDER:
        sub = folder / section
        if not sub.is_dir():
            continue
        try:
            # every entry but a folder: a FIFO or an unreadable file is then reported
            # when it is opened, not skipped in silence
            names = sorted(p.name for p in sub.iterdir() if not p.is_dir())
        except OSError as exc:
            raise InputError(
                display_path(sub), f"cannot read folder ({exc.strerror or exc}); not checked"
            ) from None
        for name in names:
            base = name[:-4] if name.endswith(".rul") else name
            if not _SPLIT_NAME.match(base):
                continue
            if not name.endswith(".rul") and f"{name}.rul" in names:
                continue  # foo.rul is used instead of foo
            out.append(sub / name)
    return out


def read_model(
    config_set: ConfigSet, options: Options
) -> tuple[EximModel | None, list[Diagnostic], list[str]]:
    """The model of a config set, its diagnostics in reading order, and its files."""
    from linter.mta.exim import options as table
    from linter.mta.exim.model import Builder, EximModel
    from linter.mta.exim.reader import Reader, SourceText, load_source, split_physical

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
        diag = Diagnostic("input-error", exc.message, Span(exc.path, exc.line, exc.column), True)
        return None, [diag], [cf.display]
    reader = Reader(top, opener, limits=options.limits)
    reader.add_builtins(table.BUILTIN_MACROS)
    for name, value in options.exim_defines.items():
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
    facts = Facts()
    facts.default_span = Span(
        primary.display if primary.format == "exim" else files[0] if files else primary.display,
        1,
        1,
    )
    facts.set("mta", "exim")
    if model is None:
        from linter.mta.exim.model import EximModel

        model = EximModel()
    posture, spans = build_posture(model)
    if options.roles:
        posture.roles = list(options.roles)  # type: ignore[arg-type]
    posture_dict = posture.to_dict()
    facts.set("roles", list(posture.roles))
    facts.set("posture", posture_dict)
    # a span without a file or line (a default, an ACL given inline) is no place for a fix:
    # the finding then falls back to the fact above it or the file's first line
    for path, span in spans.fields.items():
        if _located(span):
            facts.spans[f"posture.{path}"] = span
    for i, listener_span in enumerate(spans.listeners):
        base = f"posture.listeners[{i}]"
        if listener_span is not None and _located(listener_span):
            facts.spans[base] = listener_span
        for fact, span in spans.listener_fields[i].items():
            if _located(span):
                facts.spans[f"{base}.{fact}"] = span
    from linter.blocklists import put_facts
    from linter.mta.exim.blocklists import blocklists

    put_facts(facts, blocklists(model))
    facts.set("diagnostics", [d.to_fact() for d in diagnostics])
    for i, d in enumerate(diagnostics):
        facts.spans[f"diagnostics[{i}]"] = d.span
    exim_doc = _exim_document(model)
    derived = analysis_facts(model)
    derived["tls_listeners"] = _tls_listeners(posture)
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
        facts.spans["exim.banners[0]"] = banner.span
    expn = model.main.get("acl_smtp_expn")
    if expn is not None and expn.span is not None:
        facts.spans["exim.expn_answered"] = expn.span
    facts.set("exim", {**{k: v for k, v in exim_doc.items() if k != "main"}, **derived})
    for i, auth in enumerate(model.authenticators):
        facts.spans[f"exim.auth[{i}]"] = auth.span
    for i, transport in enumerate(t for t in model.transports if t.driver == "smtp"):
        facts.spans[f"exim.smtp_transports[{i}]"] = transport.span
        for name, setting in transport.options.items():
            if setting.span is not None:
                facts.spans[f"exim.smtp_transports[{i}].{name}"] = setting.span
        # the clear-text AUTH finding goes where the transport is told to authenticate
        auth_option = derived["smtp_transports"][i].get("auth_option")
        if auth_option and auth_option in transport.options:
            auth_span = transport.options[auth_option].span
            if auth_span is not None:
                facts.spans[f"exim.smtp_transports[{i}].auth_without_tls"] = auth_span
    for kind, named in model.lists.items():
        for name, nl in named.items():
            facts.spans[f"exim.lists.{kind}.{name}"] = nl.span
    refusal = connect_refusal(model)
    if refusal is not None and refusal.statement is not None:
        # the statement that refuses (for an inline "deny", the option's line)
        facts.spans["exim.connect_refused"] = refusal.statement.span
    for i, item in enumerate(undefined_macro_paths(model)):
        facts.spans[f"exim.undefined_macro_paths[{i}]"] = item["span"]
    rcpt = model.main.get("acl_smtp_rcpt")
    if rcpt is not None and rcpt.span is not None:
        facts.spans["exim.rcpt_acl"] = rcpt.span
    facts.add_resolver("exim.option", lambda name: _option(model, name))
    facts.add_resolver("exim.explicit", lambda name: _explicit(model, name))
    comments = [Comment(path, line, text) for path, line, text in model.comments]
    model_dict: dict[str, Any] = {
        "path": config_set.display,
        "mta": "exim",
        "files": files,
        "exim": exim_doc,
        "posture": posture_dict,
        "diagnostics": [
            {**d.to_fact(), "path": d.span.path, "line": d.span.line, "column": d.span.column}
            for d in diagnostics
        ],
    }
    return Analysis("exim", facts, model_dict, diagnostics, comments)


def _tls_listeners(posture: Any) -> dict[str, list[str]]:
    """Listeners by what TLS protects there: "mandatory" (implicit TLS, or TLS required by
    the ACLs: MTA013 judges their protocols), "credentials" (TLS offered where passwords
    are sent: the submission ports, a listener that offers AUTH), "opportunistic" (only a
    sending MTA may use it: STARTTLS on port 25 and others)."""
    out: dict[str, list[str]] = {"mandatory": [], "credentials": [], "opportunistic": []}
    for li in posture.listeners:
        if li.tls in ("implicit", "required"):
            out["mandatory"].append(li.name)
        elif li.tls == "optional" and (
            li.role in ("submission", "submissions") or li.auth != "none"
        ):
            out["credentials"].append(li.name)
        elif li.tls == "optional":
            out["opportunistic"].append(li.name)
    return out


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
