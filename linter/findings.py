"""Findings, inline suppressions and stable ordering.

A finding's fingerprint identifies it across unrelated edits: rule, file, and a key
naming what it is about (a parameter, a service, a listener) plus its normalised value,
never the line number. The same fingerprint is SARIF's ``partialFingerprints``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from linter.source import Span


@dataclass(frozen=True, slots=True)
class Edit:
    """A mechanical fix: replace lines ``start``..``end`` (1-based, inclusive) of ``path``
    (the path as findings show it) with the lines ``replacement`` (none: delete them).
    ``original`` is the text of those lines as the check read them. Lines are held
    without their line ends; the writer keeps the file's own, and refuses a file that
    no longer holds ``original`` there."""

    path: str
    start: int
    end: int
    original: tuple[str, ...]
    replacement: tuple[str, ...]

    def to_fact(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "start": self.start,
            "end": self.end,
            "original": list(self.original),
            "replacement": list(self.replacement),
        }

    @classmethod
    def from_fact(cls, fact: Any) -> Edit | None:
        """The edit a diagnostic fact carries, or None (none, or not well formed)."""
        if not isinstance(fact, dict):
            return None
        try:
            edit = cls(
                str(fact["path"]),
                int(fact["start"]),
                int(fact["end"]),
                tuple(str(x) for x in fact["original"]),
                tuple(str(x) for x in fact["replacement"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if edit.start < 1 or edit.end - edit.start + 1 != len(edit.original):
            return None
        return edit


@dataclass
class Finding:
    rule: str
    severity: str
    message: str
    span: Span
    tags: list[str] = field(default_factory=list)
    fix: str = ""
    title: str = ""
    key: str = ""  # what the finding is about, for the fingerprint
    value: str = ""  # its normalised value, for the fingerprint
    # the facts the rule matched (value, file, line) and DNS answers: for reports
    evidence: list[dict[str, Any]] = field(default_factory=list)
    # the mechanical fix (``check --fix``), when the change is certain and local
    fix_edit: Edit | None = None
    # set when the finding is not reported because something accepted it: ``kind``
    # "inSource" (an inline ``mtalint: ignore``) or "external" (baseline, --diff-base),
    # ``justification``, ``path``/``line`` of the suppression, ``until`` (ISO date or "")
    suppression: dict[str, Any] | None = None

    @property
    def fingerprint(self) -> str:
        basis = "\x1f".join((self.rule, self.span.path, self.key, " ".join(self.value.split())))
        import hashlib  # only the machine-readable formats and baselines need it

        # surrogatepass: a file name that is not UTF-8 holds lone surrogates (Python's
        # surrogate escapes); every other text hashes as before
        return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def sort_key(self) -> tuple[Any, ...]:
        return (self.span.path, self.span.line, self.span.column, self.rule, self.message)

    def to_dict(self) -> dict[str, Any]:
        span = self.span.to_dict()
        return {
            "rule": self.rule,
            "severity": self.severity,
            "tags": list(self.tags),
            "path": span["path"],
            "line": span["line"],
            "column": span["column"],
            "end_line": span["end_line"],
            "end_column": span["end_column"],
            "message": self.message,
            "fix": self.fix,
            "fingerprint": self.fingerprint,
            "evidence": self.evidence,
            **({"suppression": self.suppression} if self.suppression is not None else {}),
        }


# ``# mtalint: ignore[PF010,open-relay] reason until=2027-03-01``
SUPPRESSION = re.compile(r"mtalint:\s*ignore\[(?P<ids>[^\]]*)\](?P<rest>.*)$", re.IGNORECASE)
_UNTIL = re.compile(r"\buntil=(\d{4}-\d{2}-\d{2})\b")


@dataclass
class Suppression:
    path: str
    line: int
    targets: list[str]
    reason: str
    until: date | None
    bad_until: str = ""
    used: bool = False

    def span(self) -> Span:
        return Span(self.path, self.line, 1)

    def record(self) -> dict[str, Any]:
        """What a report says about a finding this suppression hides."""
        return {
            "kind": "inSource",
            "justification": self.reason,
            "path": self.path,
            "line": self.line,
            "until": self.until.isoformat() if self.until else "",
        }

    def covers(self, finding: Finding) -> bool:
        if finding.span.path != self.path:
            return False
        start = finding.span.line
        end = finding.span.end_line or start
        # on the line before the finding, or on a line inside its logical line
        if not (start - 1 <= self.line <= end):
            return False
        return any(t == finding.rule or t in finding.tags or t == "all" for t in self.targets)


def parse_suppression(path: str, line: int, comment: str) -> Suppression | None:
    m = SUPPRESSION.search(comment)
    if not m:
        return None
    targets = [t.strip() for t in m.group("ids").split(",") if t.strip()]
    rest = m.group("rest")
    until: date | None = None
    bad = ""
    um = _UNTIL.search(rest)
    if um:
        try:
            until = date.fromisoformat(um.group(1))
        except ValueError:
            bad = um.group(1)
        rest = rest[: um.start()] + rest[um.end() :]
    elif "until=" in rest:
        bad = rest.split("until=", 1)[1].split()[0] if rest.split("until=", 1)[1].split() else ""
    return Suppression(path, line, targets, rest.strip(), until, bad)
