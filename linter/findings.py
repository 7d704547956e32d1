"""Findings, inline suppressions and stable ordering.

:func:`apply_suppressions` is the check's suppression stage: it sets aside the findings
an inline ``mtalint: ignore[...]`` accepts and reports the suppressions that are unused,
expired or without a reason (MTL002 to MTL004).

A finding's fingerprint identifies it across unrelated edits: rule, file, and a key
naming what it is about (a parameter, a service, a listener) plus its normalised value,
never the line number. The same fingerprint is SARIF's ``partialFingerprints``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from linter.source import Span

if TYPE_CHECKING:
    from linter.engine.rules import Rule
    from linter.engine.runner import Selection
    from linter.mta import Comment

# Findings about suppressions (documented as rules with ``builtin: true``).
UNUSED_SUPPRESSION = "MTL002"
SUPPRESSION_WITHOUT_REASON = "MTL003"
EXPIRED_SUPPRESSION = "MTL004"


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


def suppressions_in(comments: list[Comment]) -> list[Suppression]:
    """The inline suppressions among a config set's comments."""
    return [s for c in comments if (s := parse_suppression(c.path, c.line, c.text)) is not None]


def builtin_finding(
    rules: list[Rule], selection: Selection, rule_id: str, message: str, span: Span, key: str
) -> Finding | None:
    """A finding of a rule the core emits itself (MTL001 to MTL004), when selected."""
    rule = next((r for r in rules if r.id == rule_id), None)
    if rule is None or not selection.wants(rule):
        return None
    return Finding(
        rule=rule.id,
        severity=selection.severity_of(rule),
        message=message,
        span=span,
        tags=list(rule.tags),
        fix=rule.fix_for("any"),
        title=rule.title,
        key=key,
    )


def apply_suppressions(
    findings: list[Finding],
    suppressions: list[Suppression],
    rules: list[Rule],
    selection: Selection,
    today: date,
) -> tuple[list[Finding], list[Finding]]:
    """The findings kept, and those suppressed (each with its ``suppression`` record)."""
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        active = [s for s in suppressions if s.covers(f) and not (s.until and s.until < today)]
        if active:
            for s in active:
                s.used = True
            f.suppression = active[0].record()
            suppressed.append(f)
        else:
            kept.append(f)
    for s in suppressions:
        span = s.span()
        meta: list[tuple[str, str]] = []
        if s.until and s.until < today:
            meta.append(
                (
                    EXPIRED_SUPPRESSION,
                    f"suppression of {', '.join(s.targets)} expired on {s.until.isoformat()}",
                )
            )
        elif not s.used:
            meta.append(
                (
                    UNUSED_SUPPRESSION,
                    f"unused suppression: no finding of {', '.join(s.targets)} here",
                )
            )
        if not s.reason:
            meta.append(
                (
                    SUPPRESSION_WITHOUT_REASON,
                    f"suppression of {', '.join(s.targets)} gives no reason",
                )
            )
        if s.bad_until:
            meta.append(
                (SUPPRESSION_WITHOUT_REASON, f"invalid date until={s.bad_until} (use YYYY-MM-DD)")
            )
        for rule_id, message in meta:
            finding = builtin_finding(
                rules, selection, rule_id, message, span, f"suppression:{','.join(s.targets)}"
            )
            if finding is not None:
                kept.append(finding)
    return kept, suppressed
