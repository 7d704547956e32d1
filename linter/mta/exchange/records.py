"""Exchange's two text forms → records: one object's properties with their positions.

* The JSON of ``contrib/Export-ExchangeSettings.ps1``: ``{"ReceiveConnectors": [...],
  "SendConnectors": [...], "ExchangeServers": [...], ...}``, every object keyed by its
  cmdlet property names. Nesting far deeper than an export needs is refused before
  parsing (the hMailServer reader's guard, reused).
* ``Get-ReceiveConnector | fl`` / ``Get-SendConnector | fl`` text pasted into tickets:
  ``Name : value`` lines, a value continued on the next lines by indentation, objects
  separated by blank lines. What kind of object a block is follows from its properties
  (``Bindings`` → receive connector, ``AddressSpaces`` → send connector, ...).

Both give :class:`Record` objects: property name (compared without case, as PowerShell
does) → value and span. Values stay as written; :mod:`.model` reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.mta.jsontext import Locations, load_json
from linter.source import InputError, Span

# collections of the JSON export, and the kind of object each holds
JSON_COLLECTIONS = {
    "receiveconnectors": "receive",
    "sendconnectors": "send",
    "exchangeservers": "server",
    "transportservices": "transport-service",
    "accepteddomains": "accepted-domain",
    "transportconfig": "transport-config",
}
# a Format-List block is of this kind when it has this property
FL_KINDS = (
    ("bindings", "receive"),
    ("remoteipranges", "receive"),
    ("addressspaces", "send"),
    ("smarthosts", "send"),
    ("extendedrights", "permission"),
    ("admindisplayversion", "server"),
)
MAX_RECORDS = 10000
MAX_FL_LINE = 65536


@dataclass
class Value:
    written: str  # the property name as the input spells it
    value: Any
    span: Span
    truncated: bool = False  # Format-List cut the list short ("...")
    item_spans: list[Span] = field(default_factory=list)  # of a JSON array's elements


@dataclass
class Record:
    kind: str
    span: Span
    values: dict[str, Value] = field(default_factory=dict)  # lower-case name → value

    def get(self, name: str) -> Value | None:
        return self.values.get(name.lower())


@dataclass
class Records:
    form: str  # "json" or "fl"
    path: str
    records: list[Record] = field(default_factory=list)
    # (kind, message, span) of what could not be read as written
    problems: list[tuple[str, str, Span]] = field(default_factory=list)


def read_json(path: str, text: str) -> Records:
    data = load_json(path, text)
    if not isinstance(data, dict) or not any(k.lower() in JSON_COLLECTIONS for k in data):
        raise InputError(
            path,
            "not an Exchange settings export: expected a JSON object with ReceiveConnectors "
            "or SendConnectors (contrib/Export-ExchangeSettings.ps1)",
        )
    loc = Locations(path, text)
    out = Records("json", path)
    for dup, offset in loc.duplicates:
        line, column = loc.position(offset)
        name = ".".join(str(p) for p in dup)
        out.problems.append(
            (
                "duplicate-key",
                f"{name} is given twice: only the last one counts",
                Span(path, line, column),
            )
        )
    for key, value in data.items():
        kind = JSON_COLLECTIONS.get(key.lower())
        if kind is None:
            continue
        if not isinstance(value, dict | list) and value is not None:
            out.problems.append(("invalid-value", f"{key} is not a list", loc.span((key,))))
            continue
        # ConvertTo-Json writes a one-element collection as the object itself
        items = [(0, value)] if isinstance(value, dict) else list(enumerate(value or []))
        for i, item in items:
            where = (key,) if isinstance(value, dict) else (key, i)
            if not isinstance(item, dict):
                out.problems.append(
                    ("invalid-value", f"{key}[{i}] is not an object", loc.span(where))
                )
                continue
            if len(out.records) >= MAX_RECORDS:
                out.problems.append(
                    (
                        "limit-exceeded",
                        f"more than {MAX_RECORDS} objects: the rest is not read",
                        loc.span(where),
                    )
                )
                return out
            record = Record(kind, loc.span(where))
            for name, v in item.items():
                spans = (
                    [loc.span((*where, name, j)) for j in range(min(len(v), 4096))]
                    if isinstance(v, list)
                    else []
                )
                record.values[name.lower()] = Value(name, v, loc.span((*where, name)), False, spans)
            out.records.append(record)
    return out


_FL_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t](.*))?$")


def read_format_list(path: str, text: str) -> Records:
    """``Get-ReceiveConnector | fl`` text: blocks of ``Name : value`` lines."""
    out = Records("fl", path)
    block: list[tuple[int, str, str, list[str]]] = []  # (line, name, first part, rest)

    def flush() -> None:
        if not block:
            return
        names = {name.lower() for _, name, _, _ in block}
        kind = next((k for prop, k in FL_KINDS if prop in names), "other")
        record = Record(kind, Span(path, block[0][0], 1))
        for line, name, first, rest in block:
            value = " ".join(part for part in [first, *rest] if part)
            truncated = value.rstrip("}").endswith("...")
            record.values[name.lower()] = Value(
                name, value, Span(path, line, 1, line, len(name) + 1), truncated
            )
        if len(out.records) < MAX_RECORDS:
            out.records.append(record)
        block.clear()

    for number, raw in enumerate(text.split("\n"), 1):
        line = raw[:MAX_FL_LINE].rstrip()
        if not line.strip():
            flush()
            continue
        if line[0] in " \t":
            if block:
                block[-1][3].append(line.strip())
            continue
        m = _FL_LINE.match(line)
        if m is None:
            # a heading, a prompt ("[PS] C:\>Get-ReceiveConnector | fl") or a stray line
            continue
        block.append((number, m.group(1), (m.group(2) or "").strip(), []))
    flush()
    return out
