"""``mtalint check --fix`` and ``--diff``: apply the edits findings carry.

A finding that can be fixed mechanically carries a :class:`~linter.findings.Edit`, made
where the finding is made (see ``linter/mta/postfix/fixes.py``). This module only
applies them: per file, bottom-up, after re-reading the file and checking that each
edited line still reads as it did when checked (a file changed since is left alone and
said so). Files are written with :func:`linter.output.write_atomically`, which keeps
their mode and owner. Line ends (LF or CRLF) and a UTF-8 byte order mark are kept.
"""

from __future__ import annotations

import codecs
import difflib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter.source import DEFAULT_MAX_BYTES, InputError, read_limited
from linter.textsafe import printable

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.discover import ConfigFile
    from linter.findings import Edit


@dataclass
class FilePlan:
    """What fixing one file would do."""

    file: ConfigFile
    edits: list[Edit] = field(default_factory=list)
    before: str = ""
    after: str = ""
    bom: bool = False
    applied: int = 0  # edits in ``after``
    refused: str = ""  # why the file is left alone

    @property
    def display(self) -> str:
        return self.file.display


def plan(result: CheckResult, max_bytes: int = DEFAULT_MAX_BYTES) -> list[FilePlan]:
    """The fixes of the findings in ``result``, per file, computed on a fresh read."""
    files = {f.display: f for s in result.config_sets for f in s.files}
    plans: dict[str, FilePlan] = {}
    for finding in result.findings:
        edit = finding.fix_edit
        if edit is None or finding.suppression is not None or edit.path not in files:
            continue
        entry = plans.setdefault(edit.path, FilePlan(files[edit.path]))
        if edit not in entry.edits:  # two rules may fire on the same diagnostic
            entry.edits.append(edit)
    for entry in plans.values():
        _prepare(entry, max_bytes)
    return list(plans.values())


def _prepare(entry: FilePlan, max_bytes: int) -> None:
    f = entry.file
    try:
        data = read_limited(f.path, f.display, max_bytes, f.root)
    except InputError as exc:
        entry.refused = exc.message
        return
    entry.bom = data.startswith(codecs.BOM_UTF8)
    try:
        text = data[len(codecs.BOM_UTF8) if entry.bom else 0 :].decode("utf-8")
    except UnicodeDecodeError:
        entry.refused = "not UTF-8 text"
        return
    entry.before = text
    # physical lines with their own line end ("\r" kept at the end of a CRLF line)
    lines = text.split("\n")
    last_end = len(lines) + 1  # edits are applied bottom-up and must not overlap
    for edit in sorted(entry.edits, key=lambda e: (e.start, e.end), reverse=True):
        if edit.end >= last_end:
            continue  # overlaps an edit below: the next run of --fix can do it
        current = lines[edit.start - 1 : edit.end]
        if [line.removesuffix("\r") for line in current] != list(edit.original):
            entry.refused = "it changed since it was read"
            entry.applied = 0
            return
        crlf = bool(current) and current[0].endswith("\r")
        lines[edit.start - 1 : edit.end] = [
            line + ("\r" if crlf else "") for line in edit.replacement
        ]
        entry.applied += 1
        last_end = edit.start
    entry.after = "\n".join(lines)


def unified_diff(plans: list[FilePlan]) -> str:
    """The changes of ``plans`` as one unified diff."""
    out: list[str] = []
    for entry in plans:
        if entry.refused or not entry.applied:
            continue
        for line in difflib.unified_diff(
            _keepends(entry.before),
            _keepends(entry.after),
            fromfile=printable(entry.display),
            tofile=printable(entry.display),
        ):
            out.append(_shown(line))
    return "".join(out)


def _shown(line: str) -> str:
    """A diff line made safe for a terminal: control characters escaped (a value may
    hold an escape sequence), tabs kept, a CRLF line's CR not shown."""
    body = line.removesuffix("\n")
    ends = body != line
    body = "\t".join(printable(part) for part in body.removesuffix("\r").split("\t"))
    return body + "\n" if ends else body + "\n\\ No newline at end of file\n"


def _keepends(text: str) -> list[str]:
    """Lines split at LF only (str.splitlines would also split at a lone CR or FF)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def write(plans: list[FilePlan]) -> list[FilePlan]:
    """Write each planned file; returns the plans written."""
    from linter.output import OutputError, write_atomically

    written: list[FilePlan] = []
    for entry in plans:
        if entry.refused or not entry.applied:
            continue
        data = (codecs.BOM_UTF8 if entry.bom else b"") + entry.after.encode("utf-8")
        try:
            write_atomically(Path(entry.file.path), data)
        except OutputError as exc:
            entry.refused = str(exc)
            continue
        except OSError as exc:
            entry.refused = f"cannot write it: {exc.strerror or exc}"
            continue
        written.append(entry)
    return written


def changes(plans: list[FilePlan]) -> int:
    return sum(p.applied for p in plans if not p.refused)


def run(
    result: CheckResult,
    rerun: Callable[[list[Path]], CheckResult],
    paths: list[Path],
    diff_only: bool,
    max_bytes: int = DEFAULT_MAX_BYTES,
    echo: Callable[[str], Any] = print,
) -> tuple[CheckResult, int]:
    """``--diff`` (``diff_only``): print the diff, write nothing. ``--fix``: write the
    fixes, say on stderr what was fixed where, and check again. Returns the result to
    report (after fixing: what remains) and the number of changes made or shown."""
    plans = plan(result, max_bytes)
    for entry in plans:
        if entry.refused:
            echo(f"mtalint: {printable(entry.display)}: not fixed: {entry.refused}")
    if diff_only:
        diff = unified_diff(plans)
        if diff:
            sys.stdout.write(diff)
            sys.stdout.flush()
        return result, changes(plans)
    written = write(plans)
    for entry in plans:
        if entry.refused and entry not in written and entry.applied:
            echo(f"mtalint: {printable(entry.display)}: not fixed: {entry.refused}")
    total = sum(p.applied for p in written)
    if written:
        where = ", ".join(f"{printable(p.display)} ({p.applied})" for p in written)
        echo(f"mtalint: applied {total} fix(es) to {len(written)} file(s): {where}")
        result = rerun(paths)
    else:
        echo("mtalint: nothing to fix")
    return result, total
