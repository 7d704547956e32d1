"""``notes.ini`` → settings with their positions.

HCL documents notes.ini settings one by one (``Set Configuration``, the Configuration
Settings document's NOTES.INI tab) but not the file's grammar (``data/reference.json``,
``notes_ini.format``). What mtalint does, and why:

* ``Name=Value`` lines are settings; blanks around the name and the value are dropped.
* Names are compared without case: HCL's own pages spell one setting
  ``SMTPRelayHostsandDomains`` and ``SMTPRelayHostsAndDomains``.
* A ``[Notes]`` header (the file's usual first line) is accepted and means nothing else.
* A setting given twice with *different* values is unknown (which one Domino takes is
  not documented) and reported; the same value twice is simply that value.
* Any other line (no ``=``) is not a setting and is ignored.

Lines are read up to a bound (``MAX_LINE``): a longer line is cut there and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from linter.diagnostics import Diagnostic
from linter.mta.domino.values import Value, make_value, shown
from linter.source import Span

MAX_LINE = 65536  # characters; real notes.ini lines are far below 1 KiB
MAX_SETTINGS = 100000


@dataclass
class NotesIni:
    path: str
    settings: dict[str, Value] = field(default_factory=dict)  # lower-case name → value
    diagnostics: list[Diagnostic] = field(default_factory=list)


def add_setting(
    settings: dict[str, Value], diagnostics: list[Diagnostic], value: Value, where: str
) -> None:
    """Record one setting; a second, different value makes it unknown (reported once)."""
    key = value.name.lower()
    old = settings.get(key)
    if old is None:
        settings[key] = value
        return
    old.origins.append(value.span)
    if old.text.strip() == value.text.strip() and not old.unknown:
        return
    if not old.unknown or len(old.origins) == 2:
        diagnostics.append(
            Diagnostic(
                "duplicate-key",
                f"{value.name} is set twice in {where} ({shown(old)} at line "
                f"{old.span.line}, {shown(value)} here): which one Domino uses is not "
                "documented, so it is not judged",
                value.span,
                data={"parameter": value.name},
            )
        )
    old.unknown = True


def parse_notes_ini(path: str, text: str) -> NotesIni:
    ini = NotesIni(path)
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw
        if len(line) > MAX_LINE:
            ini.diagnostics.append(
                Diagnostic(
                    "limit-exceeded",
                    f"line longer than {MAX_LINE} characters: read up to there",
                    Span(path, number, MAX_LINE),
                )
            )
            line = line[:MAX_LINE]
        line = line.rstrip("\r")
        if "=" not in line:
            continue
        name, _, value = line.partition("=")
        name = name.strip()
        if not name or name.startswith(("[", ";", "#")):
            continue
        if len(ini.settings) >= MAX_SETTINGS:
            ini.diagnostics.append(
                Diagnostic(
                    "limit-exceeded",
                    f"more than {MAX_SETTINGS} settings: the rest is not read",
                    Span(path, number, 1),
                )
            )
            break
        column = len(line) - len(line.lstrip()) + 1
        span = Span(path, number, column, number, column + len(name))
        add_setting(ini.settings, ini.diagnostics, make_value(name, value.strip(), span), path)
    return ini
