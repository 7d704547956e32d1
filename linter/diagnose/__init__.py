"""``mtalint diagnose``: from mail logs and bounces to incidents and the settings behind them.

One module per job: ``sources`` (opening inputs, bounded lines, gzip), ``logformats``
(syslog/RFC 5424/journald/container envelopes), ``postfix_log`` and ``bounces`` (what a
line or a DSN says happened), ``tracking`` (queue id to outcome), ``catalogue`` (causes as
YAML data), ``incidents`` (grouping), ``configjoin`` (settings and rules), ``render``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from linter.diagnose import sources
from linter.diagnose.bounces import bounce_events, looks_like_bounce
from linter.diagnose.catalogue import classify, load_catalogue
from linter.diagnose.events import EXPIRED, Event
from linter.diagnose.incidents import UNCLASSIFIED, Grouper, Incident
from linter.diagnose.logformats import parse_envelope
from linter.diagnose.postfix_log import is_postfix, postfix_event
from linter.diagnose.tracking import Tracker

_REMOVED = ": removed"


@dataclass
class Window:
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, when: datetime | None) -> bool:
        if when is None:
            return True
        for bound, inside in ((self.since, lambda a, b: a >= b), (self.until, lambda a, b: a <= b)):
            if bound is None:
                continue
            value = when
            if (value.tzinfo is None) != (bound.tzinfo is None):
                # a time without a zone is compared as written (as if UTC)
                value, bound = value.replace(tzinfo=None), bound.replace(tzinfo=None)
            if not inside(value, bound):
                return False
        return True


@dataclass
class Diagnosis:
    incidents: list[Incident] = field(default_factory=list)
    inputs: list[sources.InputStats] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # inputs that could not be read
    notes: list[str] = field(default_factory=list)
    recognised: int = 0  # lines of a known log format
    config_problems: list[str] = field(default_factory=list)


def diagnose(
    names: list[str], window: Window | None = None, now: datetime | None = None
) -> Diagnosis:
    window = window or Window()
    now = now or datetime.now(UTC).replace(tzinfo=None)
    causes = load_catalogue()
    result = Diagnosis()
    tracker = Tracker()
    grouper = Grouper()

    def take(event: Event) -> None:
        if not window.admits(event.time):
            return
        key = None
        if event.failed and event.text:
            found = classify(event.text, event.kind, causes)
            if found is not None:
                key = grouper.add(event, *found)
            elif event.kind != "local" or event.status in ("fatal", "panic"):
                key = grouper.add(event, UNCLASSIFIED, {})
        previous = tracker.record(event, key)
        if event.status == EXPIRED and key is None:
            if previous is not None:
                grouper.add_to(previous, event)
            else:
                grouper.add(event, UNCLASSIFIED, {})

    for name in names:
        shown = sources.display_name(name)
        stats = sources.InputStats(shown)
        try:
            stream = sources.open_binary(name)
        except sources.InputError as exc:
            result.problems.append(str(exc))
            continue
        result.inputs.append(stats)
        with stream:
            head = sources.peek(stream)
            if looks_like_bounce(head):
                data, cut = sources.read_limited(stream)
                if cut:
                    stats.problems.append(
                        f"bounce larger than {sources.MAX_BOUNCE_BYTES} bytes: "
                        "only its start was read"
                    )
                for event in bounce_events(data, shown):
                    take(event)
                continue
            for line in sources.read_lines(stream, stats):
                envelope = parse_envelope(line.text, now)
                if envelope is None:
                    continue
                result.recognised += 1
                if not is_postfix(envelope.program):
                    continue
                if envelope.message.endswith(_REMOVED):
                    tracker.removed(envelope.message[: -len(_REMOVED)])
                    continue
                found = postfix_event(envelope, shown, line.number, line.text)
                if found is not None:
                    take(found)
    result.incidents = grouper.ordered()
    result.outcomes = tracker.final_outcomes()
    if tracker.forgotten:
        result.notes.append(
            f"{tracker.forgotten} messages were forgotten to bound memory "
            "(more than 200000 in the queue at once)"
        )
    for stats in result.inputs:
        if stats.binary_lines:
            result.notes.append(f"{stats.source}: {stats.binary_lines} binary lines skipped")
        if stats.truncated_lines:
            result.notes.append(
                f"{stats.source}: {stats.truncated_lines} lines longer than "
                f"{sources.MAX_LINE} bytes were cut"
            )
        if stats.stopped:
            result.notes.append(f"{stats.source}: {stats.stopped}")
        result.notes.extend(f"{stats.source}: {p}" for p in stats.problems)
    return result


def attach_config(result: Diagnosis, path: Path) -> None:
    from linter.diagnose.configjoin import join, load_config

    view = load_config(path)
    result.config_problems.extend(view.problems)
    join(result.incidents, view)
