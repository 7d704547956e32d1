"""The steps every MTA's analysis shares, written once: a posture and diagnostics → the
facts document the rules judge, and the document ``mtalint parse`` prints.

An MTA's ``facts.py`` reads its files into a model, builds its posture
(``posture.py``), then calls :func:`start_facts`, :func:`put_posture` (the posture
flattened once, with its spans, :class:`linter.posture.PostureSpans`), adds its own
``<mta>.*`` facts, and ends with :func:`put_diagnostics` and :func:`parse_document`; its
:class:`~linter.mta.Analysis` carries the typed posture on to the DNS stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.facts import Facts
from linter.source import InputError, Span

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta import Options
    from linter.posture import Posture, PostureSpans


def input_error(exc: InputError) -> Diagnostic:
    """The fatal diagnostic of a file that could not be read (too big, not a regular
    file, outside the tree...), at the position the reader gave."""
    return Diagnostic("input-error", exc.message, Span(exc.path, exc.line, exc.column), True)


def apply_roles(posture: Posture, options: Options) -> None:
    """Roles given on the command line or in the configuration replace the inferred ones."""
    if options.roles:
        posture.roles = list(options.roles)  # type: ignore[arg-type]


def start_facts(mta: str, posture: Posture, default_span: Span | None) -> Facts:
    """A facts document with the MTA's name and the posture's roles; ``default_span``
    locates a finding about a fact that came from no line (the file's first line)."""
    facts = Facts()
    facts.default_span = default_span
    facts.set("mta", mta)
    facts.set("roles", list(posture.roles))
    return facts


def put_posture(facts: Facts, posture: Posture, spans: PostureSpans) -> dict[str, Any]:
    """``posture``: the posture flattened (:meth:`Posture.to_dict`, after the MTA has
    forgotten what it does not know), with the positions ``spans`` recorded; returns
    the flattened posture for the parse document."""
    flat = posture.to_dict()
    facts.set("posture", flat)
    spans.record(facts)
    return flat


def put_diagnostics(facts: Facts, diagnostics: list[Diagnostic]) -> None:
    """``diagnostics[i]``: what reading the files found, each at its position."""
    facts.set("diagnostics", [d.to_fact() for d in diagnostics])
    for i, d in enumerate(diagnostics):
        facts.locate(f"diagnostics[{i}]", d.span)


def parse_document(
    config_set: ConfigSet,
    mta: str,
    document: dict[str, Any],
    posture: dict[str, Any],
    diagnostics: list[Diagnostic],
    files: list[str] | None = None,
) -> dict[str, Any]:
    """What ``mtalint parse`` prints: the files read, the MTA's own document, the
    posture and the diagnostics with their positions."""
    return {
        "path": config_set.display,
        "mta": mta,
        "files": files if files is not None else [f.display for f in config_set.files],
        mta: document,
        "posture": posture,
        "diagnostics": [
            {**d.to_fact(), "path": d.span.path, "line": d.span.line, "column": d.span.column}
            for d in diagnostics
        ],
    }
