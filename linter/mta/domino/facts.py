"""HCL (IBM) Domino: notes.ini and One-Touch Setup JSON → facts.

A config set is a folder's Domino files: ``notes.ini`` (format ``notes-ini``) and the
One-Touch Setup JSON of Domino 12+ (format ``domino-ots``) with the Server,
Configuration Settings and SMTP Internet Site documents it writes. Every input joins one
model (:mod:`.model`); the posture (:mod:`.posture`) answers the cross-MTA questions
from the items public sources establish (``data/reference.json``), and ``domino.*``
facts feed the rules in ``rules/domino/``.
"""

from __future__ import annotations

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
    from linter.mta.domino.model import DominoModel


def read_model(config_set: ConfigSet, options: Options) -> DominoModel:
    from linter.mta.domino.model import DominoModel
    from linter.mta.domino.notes_ini import parse_notes_ini
    from linter.mta.domino.ots import encoding_problem, read_ots
    from linter.mta.text import decode_export

    model = DominoModel()
    for cf in config_set.files:
        try:
            data = read_limited(cf.path, cf.display, options.max_file_size, cf.root)
            text = decode_export(cf.display, data).lstrip("\ufeff")
            if cf.format == "domino-ots":
                problem = encoding_problem(cf.display, data)
                if problem is not None:
                    model.diagnostics.append(problem)
                model.add_ots(read_ots(cf.display, text))
            else:
                model.add_ini(parse_notes_ini(cf.display, text))
        except InputError as exc:
            model.diagnostics.append(input_error(exc))
    return model


def domino_facts(model: DominoModel, facts: Facts) -> dict[str, Any]:
    debug = []
    for i, value in enumerate(model.debug_settings()):
        debug.append({"name": value.name, "value": value.text})
        facts.locate(f"domino.debug_settings[{i}]", value.span)
    smtp = model.smtp_settings()
    for i, entry in enumerate(smtp):
        setting = model.setting(entry["setting"])
        if setting is not None:
            facts.locate(f"domino.notes_ini[{i}]", setting.span)
    return {
        "forms": sorted(set(model.forms)),
        "documents": [
            {"kind": d.kind, "action": d.action, "line": d.span.line} for d in model.documents
        ],
        "notes_ini": smtp,
        "debug_settings": debug,
    }


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.domino.posture import build_posture

    model = read_model(config_set, options)
    posture, spans = build_posture(model)
    apply_roles(posture, options)
    diagnostics = sorted(model.diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column))
    facts = start_facts("domino", posture, Span(model.path or config_set.files[0].display, 1, 1))
    posture_dict = put_posture(facts, posture, spans)
    put_diagnostics(facts, diagnostics)
    document = domino_facts(model, facts)
    facts.set("domino", document)
    shown = {
        **document,
        "settings": {v.name: v.to_dict() for v in model.settings.values()},
        "items": [
            {
                "kind": d.kind,
                "action": d.action,
                "line": d.span.line,
                "items": {v.name: v.to_dict() for v in d.items.values()},
            }
            for d in model.documents
        ],
    }
    model_dict = parse_document(config_set, "domino", shown, posture_dict, diagnostics)
    return Analysis("domino", facts, model_dict, diagnostics, [], posture)


__all__: list[str] = ["analyse"]
