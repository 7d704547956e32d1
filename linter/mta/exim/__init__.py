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
        names = sorted(p.name for p in sub.iterdir() if p.is_file())
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
        path = Path(name)
        try:
            resolved = path.resolve()
        except OSError:
            return None
        if not resolved.is_relative_to(root):
            return (
                f".include of {name} is outside the configuration tree "
                f"({display_path(root) or '.'}); not read"
            )
        if not resolved.is_file():
            return None
        try:
            source = load_source(resolved, display_path(resolved), options.max_file_size)
        except InputError as exc:
            return f"included file {name}: {exc.message}"
        files.append(source.display)
        return source

    try:
        if cf.format == "exim-split":
            parts = split_files(cf.path)
            text = "".join(f'.include "{p.resolve()}"\n' for p in parts)
            top = SourceText(cf.path, cf.display, split_physical(text))
        else:
            top = load_source(cf.path, cf.display, options.max_file_size)
            files.append(cf.display)
    except InputError as exc:
        diag = Diagnostic("input-error", exc.message, Span(exc.path, exc.line, exc.column), True)
        return None, [diag], [cf.display]
    reader = Reader(top, opener)
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
    model.diagnostics = ordered
    return model, ordered, files


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.exim.posture import analysis_facts, build_posture

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
    for path, span in spans.fields.items():
        facts.spans[f"posture.{path}"] = span
    for i, listener_span in enumerate(spans.listeners):
        base = f"posture.listeners[{i}]"
        if listener_span is not None:
            facts.spans[base] = listener_span
        for fact, span in spans.listener_fields[i].items():
            facts.spans[f"{base}.{fact}"] = span
    from linter.blocklists import put_facts
    from linter.mta.exim.blocklists import blocklists

    put_facts(facts, blocklists(model))
    facts.set("diagnostics", [d.to_fact() for d in diagnostics])
    for i, d in enumerate(diagnostics):
        facts.spans[f"diagnostics[{i}]"] = d.span
    exim_doc = _exim_document(model)
    derived = analysis_facts(model)
    facts.set("exim", {**{k: v for k, v in exim_doc.items() if k != "main"}, **derived})
    for i, auth in enumerate(model.authenticators):
        facts.spans[f"exim.auth[{i}]"] = auth.span
    for i, transport in enumerate(t for t in model.transports if t.driver == "smtp"):
        facts.spans[f"exim.smtp_transports[{i}]"] = transport.span
        for name, setting in transport.options.items():
            if setting.span is not None:
                facts.spans[f"exim.smtp_transports[{i}].{name}"] = setting.span
    for kind, named in model.lists.items():
        for name, nl in named.items():
            facts.spans[f"exim.lists.{kind}.{name}"] = nl.span
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
