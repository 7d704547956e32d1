"""The diagnosis as text (for a person), JSON (for a program), or a Markdown or HTML page.

The Markdown and HTML pages are the section that ``mtalint report --diagnose`` renders
(linter/templates/diagnosis.*.j2, one template for both), escaped as the report is.

Everything read from a log is shown through :func:`linter.textsafe.printable`: a log
line can hold escape sequences, and a forged line must not look like one of ours.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from linter.diagnose import Diagnosis
from linter.diagnose.incidents import SHOWN, Incident
from linter.textsafe import encodable_json, printable

EXAMPLE_WIDTH = 400  # characters of the representative line shown in text


def _time(when: datetime | None) -> str:
    return when.isoformat(sep=" ") if when is not None else "?"


def _top(counter: Any) -> list[str]:
    return [f"{name} ({n})" if n > 1 else name for name, n in counter.most_common(SHOWN)]


def _where(source: str, line: int) -> str:
    return f"{source}:{line}" if line else source


def fix_mtas(incident: Incident) -> set[str]:
    """The MTAs whose fix an incident shows: the one of the joined configuration, else
    those whose logs told of it."""
    joined = (incident.config or {}).get("mta")
    return {joined} if joined else set(incident.mtas)


def shown_fixes(incident: Incident) -> dict[str, str]:
    return incident.cause.fixes_for(fix_mtas(incident))


def incident_dict(incident: Incident) -> dict[str, Any]:
    example = incident.example
    out: dict[str, Any] = {
        "cause": incident.cause.id,
        "title": incident.cause.title,
        "meaning": incident.cause.meaning,
        "details": incident.details,
        "failures": incident.failures,
        "messages": len(incident.messages),
        "outcomes": dict(incident.outcomes),
        "first": incident.first.isoformat() if incident.first else None,
        "last": incident.last.isoformat() if incident.last else None,
        "destinations": dict(incident.destinations.most_common(SHOWN)),
        "relays": dict(incident.relays.most_common(SHOWN)),
        "example": None
        if example is None
        else {"path": example.source, "line": example.line, "text": example.raw},
        "rules": incident.cause.rules,
        "settings": incident.cause.settings,
        "mtas": sorted(incident.mtas),
        "fix": shown_fixes(incident),
    }
    if incident.config is not None:
        out["configuration"] = incident.config
    if incident.online is not None:
        out["online"] = incident.online
    return out


def incident_json_line(incident: Incident) -> str:
    """One incident as one line of JSON (--follow --format json: JSON Lines)."""
    return encodable_json(json.dumps(incident_dict(incident), ensure_ascii=False)) + "\n"


def to_json(result: Diagnosis) -> str:
    document = to_document(result)
    return encodable_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n"


def _outcomes(result: Diagnosis) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items())) or "none"


def to_page(result: Diagnosis, fmt: str) -> str:
    """``--format md`` or ``html``: the report's diagnose section as a page of its own."""
    from linter import __version__
    from linter.report.document import environment

    template = environment(fmt).get_template(f"diagnosis.{fmt}.j2")
    return template.render(
        diagnosis=to_document(result),
        standalone=True,
        outcomes=_outcomes(result),
        version=__version__,
    )


def joined_sentence(result: Diagnosis) -> str | None:
    """Which configuration the incidents were joined with, and how it was chosen."""
    joined = result.config_joined
    if joined is None:
        return None
    mta = f" ({joined['mta']})" if joined.get("mta") else ""
    how = (
        "found beside the log (--config names another)"
        if joined.get("beside")
        else "named by --config"
    )
    return f"configuration joined: {joined['path']}{mta}, {how}"


def to_document(result: Diagnosis) -> dict[str, Any]:
    """The diagnosis as plain data: ``--format json``, and the section of ``mtalint
    report --diagnose``."""
    joined = joined_sentence(result)
    document: dict[str, Any] = {
        "incidents": [incident_dict(i) for i in result.incidents],
        "outcomes": dict(result.outcomes),
        "inputs": [
            {
                "path": s.source,
                "lines": s.lines,
                "known_format": s.known > 0,
                "binary_lines": s.binary_lines,
                "truncated_lines": s.truncated_lines,
                "stopped": s.stopped or None,
            }
            for s in result.inputs
        ],
        "event_lines": result.event_lines,
        "problems": result.problems,
        "notes": ([joined] if joined else []) + result.notes + result.config_problems,
    }
    if result.config_joined is not None:
        document["configuration"] = result.config_joined
    return document


def incident_lines(n: int, incident: Incident) -> list[str]:
    """Incident N as text lines (everything read from the log made printable)."""
    out: list[str] = []
    cause = incident.cause
    head = f"incident {n}: {cause.id}"
    if incident.key:
        head += f" [{incident.key}]"
    out.append(printable(f"{head}: {cause.title}"))
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(incident.outcomes.items()))
    out.append(
        printable(
            f"  {incident.failures} failures ({outcomes}) in {len(incident.messages)} "
            f"messages, {_time(incident.first)} .. {_time(incident.last)}"
        )
    )
    if incident.relays:
        out.append(printable("  relays: " + ", ".join(_top(incident.relays))))
    if incident.destinations:
        out.append(printable("  destinations: " + ", ".join(_top(incident.destinations))))
    if incident.example is not None:
        e = incident.example
        out.append(printable(f"  example: {_where(e.source, e.line)}: {e.raw[:EXAMPLE_WIDTH]}"))
    out.append(printable(f"  meaning: {cause.meaning}"))
    config = incident.config
    if config is not None:
        for s in config["settings"]:
            name = f"{s['name']} ({s['scope']})" if s.get("scope") else s["name"]
            if s["value"] is None:
                text = f"  setting: {name} (not set: the default applies)"
            else:
                text = f"  setting: {s['path']}:{s['line']}: {name} = {s['value']}"
            if s.get("failing"):
                text += "  <- the failing host"
            out.append(printable(text))
        for f in config["findings"]:
            out.append(
                printable(
                    f"  rule: {f['path']}:{f['line']}:{f['column']}: {f['rule']} "
                    f"{f['severity']}: {f['message']}"
                )
            )
    else:
        for mta, names in cause.settings.items():
            out.append(printable(f"  settings ({mta}): {', '.join(names)}"))
        if cause.rules:
            out.append(printable(f"  rules: {', '.join(cause.rules)}"))
    if incident.online is not None:
        online = incident.online
        text = online.get("verdict") or f"not re-checked: {online.get('reason', '')}"
        out.append(printable(f"  now (--online): {text}"))
    for mta, fix in shown_fixes(incident).items():
        out.append(printable(f"  fix ({mta}): {fix}" if mta != "any" else f"  fix: {fix}"))
    return out


def to_text(result: Diagnosis) -> str:
    out: list[str] = []
    for n, incident in enumerate(result.incidents, 1):
        out.extend(incident_lines(n, incident))
        out.append("")
    outcomes = _outcomes(result)
    out.append(
        printable(
            f"{len(result.incidents)} incidents; messages by last outcome: {outcomes}; "
            f"{result.event_lines} events in {sum(s.lines for s in result.inputs)} lines "
            f"read from {len(result.inputs)} inputs"
        )
    )
    joined = joined_sentence(result)
    if joined:
        out.append(printable(joined))
    out.extend(printable(f"note: {n}") for n in result.notes + result.config_problems)
    return "\n".join(out) + "\n"
