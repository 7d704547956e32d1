"""Exchange's two text forms → records: one object's properties with their positions.

* The JSON of ``contrib/Export-ExchangeSettings.ps1``: ``{"ReceiveConnectors": [...],
  "SendConnectors": [...], "ExchangeServers": [...], ...}``, every object keyed by its
  cmdlet property names. Nesting far deeper than an export needs is refused before
  parsing (the hMailServer reader's guard, reused).
* ``Get-ReceiveConnector | fl`` / ``Get-SendConnector | fl`` text pasted into tickets:
  ``Name : value`` lines, a value continued on the next lines by indentation, objects
  separated by blank lines (or, in a paste copied from a web page with a blank line
  after every line, by a property that comes again). What kind of object a block is
  follows from its properties (``Bindings`` → receive connector, ``AddressSpaces`` →
  send connector, ...).

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


def _double_spaced(lines: list[str]) -> bool:
    """No ``Name : value`` line is followed by another one, but by a blank line (or the
    rest of its wrapped value): a paste from a web page (Microsoft Q&A, forums) that
    turned each console line into a paragraph. There a blank line does not end an
    object."""
    props = [
        i
        for i, line in enumerate(lines)
        if line[:1] not in ("", " ", "\t") and _FL_LINE.match(line)
    ]
    if len(props) < 2:
        return False
    after = [lines[i + 1] for i in props if i + 1 < len(lines)]
    return all(not n.strip() or n[0] in " \t" for n in after) and any(not n.strip() for n in after)


def read_format_list(path: str, text: str) -> Records:
    """``Get-ReceiveConnector | fl`` text: blocks of ``Name : value`` lines.

    An object ends at a blank line (not in a double-spaced paste), at a line that is not
    ``Name : value`` (a prompt, a heading, prose around a paste) and where a property it
    already has comes again. An indented line continues the value above it (the console
    wraps long values at its width) only right below it, or, in a double-spaced paste,
    after one blank line while a ``{`` list is still open; indented text anywhere else
    (an SMTP transcript pasted below) belongs to no property.
    """
    out = Records("fl", path)
    block: list[tuple[int, str, str, list[str]]] = []  # (line, name, first part, rest)
    seen: set[str] = set()

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
        out.records.append(record)
        block.clear()
        seen.clear()

    lines = [raw[:MAX_FL_LINE].rstrip() for raw in text.split("\n")]
    double = _double_spaced(lines)
    continues = False  # the line above is a property line or its continuation
    blank_run = 0
    for number, line in enumerate(lines, 1):
        if len(out.records) >= MAX_RECORDS:
            out.problems.append(
                (
                    "limit-exceeded",
                    f"more than {MAX_RECORDS} objects: the rest is not read",
                    Span(path, number, 1),
                )
            )
            return out
        if not line.strip():
            blank_run += 1
            if not double:
                flush()
            continues = continues and double and blank_run == 1 and _open_list(block)
            continue
        blank_run = 0
        if line[0] in " \t":
            if block and continues:
                block[-1][3].append(line.strip())
            continue
        m = _FL_LINE.match(line)
        if m is None:
            # a prompt ("[PS] C:\>Get-ReceiveConnector | fl"), a heading or prose
            flush()
            continues = False
            continue
        name = m.group(1)
        if name.lower() in seen:
            flush()  # the next object of a double-spaced paste
        seen.add(name.lower())
        block.append((number, name, (m.group(2) or "").strip(), []))
        continues = True
    flush()
    return out


def _open_list(block: list[tuple[int, str, str, list[str]]]) -> bool:
    """The last value so far opens a ``{`` list that it does not close (looking at its
    first and last parts only: a value may have a great many)."""
    if not block:
        return False
    _, _, first, rest = block[-1]
    parts = [first, *rest[:1]] if not first else [first]
    start = next((p for p in parts if p), "")
    end = rest[-1] if rest else first
    return start.startswith("{") and not end.endswith("}")
