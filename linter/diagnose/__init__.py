"""``mtalint diagnose``: from mail logs and bounces to incidents and the settings behind them.

One module per job: ``sources`` (opening inputs, bounded lines, gzip), ``logformats``
(syslog/RFC 5424/journald/container envelopes, Exim's and hMailServer's own files),
``readers`` (which reader for which program) with ``postfix_log``, ``exim_log``,
``sendmail_log``, ``hmailserver_log`` and ``bounces`` (what a line or a DSN says
happened), ``redact`` (credentials out of lines), ``tracking`` (queue id to outcome),
``catalogue`` (causes as YAML data), ``incidents`` (grouping), ``configjoin`` (settings
and rules), ``render``, ``follow`` (--follow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from linter.diagnose import sources
from linter.diagnose.bounces import bounce_events, looks_like_bounce
from linter.diagnose.catalogue import Cause, Classifier, load_catalogue
from linter.diagnose.events import EXPIRED, REMOVED, Event
from linter.diagnose.incidents import UNCLASSIFIED, Grouper, Incident
from linter.diagnose.logformats import parse_envelope
from linter.diagnose.postfix_log import worth_reading as postfix_worth_reading
from linter.diagnose.readers import Readers
from linter.diagnose.redact import redact_credentials
from linter.diagnose.tracking import MAX_TRACKED, Tracker


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
    event_lines: int = 0  # lines that told of a delivery, a rejection or a fault
    config_problems: list[str] = field(default_factory=list)
    # the configuration joined: {"path", "mta", "beside": found beside the log}
    config_joined: dict[str, Any] | None = None


class Diagnoser:
    """Reads inputs (or lines, for --follow) and keeps the incidents found so far.

    ``on_open`` is called with each incident when its first failure is seen."""

    def __init__(
        self,
        window: Window | None = None,
        now: datetime | None = None,
        on_open: Callable[[Incident], None] | None = None,
    ) -> None:
        self.window = window or Window()
        self.now = now or datetime.now(UTC).replace(tzinfo=None)
        self.classifier = Classifier(load_catalogue())
        self.result = Diagnosis()
        self.tracker = Tracker()
        self.grouper = Grouper()
        self.on_open = on_open
        self.readers = Readers()

    def _group(self, event: Event, cause: Cause, groups: dict[str, str]) -> tuple[str, str]:
        before = len(self.grouper.incidents)
        key = self.grouper.add(event, cause, groups)
        if self.on_open is not None and len(self.grouper.incidents) > before:
            self.on_open(self.grouper.incidents[key])
        return key

    def take(self, event: Event) -> None:
        if event.status == REMOVED:
            self.tracker.removed(event.queue_id)
            return
        if not self.window.admits(event.time):
            return
        key = None
        if event.failed and event.text:
            found = self.classifier.classify(event.text, event.kind)
            if found is not None:
                key = self._group(event, *found)
            elif event.kind != "local" or event.status in ("fatal", "panic"):
                key = self._group(event, UNCLASSIFIED, {})
        previous = self.tracker.record(event, key)
        if event.status == EXPIRED and key is None:
            if previous is not None:
                self.grouper.add_to(previous, event)
            else:
                self._group(event, UNCLASSIFIED, {})

    def read_input(self, name: str) -> None:
        """One log file, rotated .gz file, bounce, or "-" for standard input."""
        shown = sources.display_name(name)
        stats = sources.InputStats(shown)
        try:
            stream = sources.open_binary(name)
        except sources.InputError as exc:
            self.result.problems.append(str(exc))
            return
        self.result.inputs.append(stats)
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
                    self.take(event)
                return
            self.read_lines(sources.read_lines(stream, stats), stats)

    def read_lines(self, lines: Iterable[sources.Line], stats: sources.InputStats) -> None:
        for line in lines:
            self.read_line(line, stats)

    def read_line(self, line: sources.Line, stats: sources.InputStats) -> None:
        text = redact_credentials(line.text)
        # once the input is known to be a log, Postfix's bookkeeping lines (connect,
        # client=, message-id=, from=: most of a busy log) are skipped before parsing
        if stats.known and "postfix" in text and not postfix_worth_reading(text):
            return
        envelope = parse_envelope(text, self.now)
        if envelope is None:
            return
        stats.known += 1
        reader = self.readers.reader_for(envelope.program)
        if reader is None:
            return
        found = reader(envelope, line.source, line.number, text)
        if found is not None:
            self.result.event_lines += 1
            self.take(found)

    def finish(self) -> Diagnosis:
        result = self.result
        result.incidents = self.grouper.ordered()
        result.outcomes = self.tracker.final_outcomes()
        result.notes = []
        if self.tracker.forgotten:
            result.notes.append(
                f"{self.tracker.forgotten} messages were forgotten to bound memory "
                f"(more than {MAX_TRACKED} in the queue at once)"
            )
        for stats in result.inputs:
            if stats.lines and not stats.known:
                result.notes.append(
                    f"{stats.source}: no line of a known mail log format "
                    "(Postfix, Exim, sendmail, hMailServer: syslog, RFC 5424, journald, "
                    "their own log files)"
                )
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


def diagnose(
    names: list[str], window: Window | None = None, now: datetime | None = None
) -> Diagnosis:
    """The incidents in the logs and bounces NAMES, joined with the configuration found
    beside the first log (linter.diagnose.beside) when there is one; :func:`attach_config`
    (--config) joins another instead."""
    from linter.diagnose.beside import config_beside

    diagnoser = Diagnoser(window, now)
    for name in names:
        diagnoser.read_input(name)
    result = diagnoser.finish()
    beside = config_beside(names) if result.incidents else None
    if beside is not None:
        _join(result, beside, found_beside=True)
    return result


def attach_config(result: Diagnosis, path: Path) -> None:
    """Join the incidents with the configuration at PATH (--config), in place of one
    found beside the log."""
    _join(result, path, found_beside=False)


def _join(result: Diagnosis, path: Path, found_beside: bool) -> None:
    from linter.diagnose.configjoin import join, load_config
    from linter.source import shown

    view = load_config(path)
    result.config_problems = list(view.problems)
    for incident in result.incidents:
        incident.config = None  # a join of the configuration beside the log, replaced
    join(result.incidents, view)
    result.config_joined = {
        "path": shown(path),
        "mta": view.mta or None,
        "beside": found_beside,
    }
