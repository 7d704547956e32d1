"""Grouping failures into incidents: one cause (and, where the catalogue says so, one
DNSBL or one host), how often, since when, which destinations and relays, and one
representative line with its file and line number."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from linter.diagnose.catalogue import Cause
from linter.diagnose.events import Event

MAX_NAMES = 1000  # distinct destinations/relays/messages kept per incident
MAX_ROUTES = 20  # distinct (router, transport) pairs kept per incident
MAX_INCIDENTS = 5000  # beyond this, a cause's new keys (hosts, lists) share one incident
OTHERS = "(others)"
SHOWN = 10  # of them in the report

UNCLASSIFIED = Cause(
    id="unclassified",
    title="Delivery failure of a kind the catalogue does not know",
    meaning="No catalogue entry matches this failure; read the example line.",
    patterns=[],
    sources=[],
)


@dataclass
class Incident:
    cause: Cause
    key: str  # what splits incidents of one cause ("" for none)
    details: dict[str, str] = field(default_factory=dict)
    failures: int = 0
    messages: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    first: datetime | None = None
    last: datetime | None = None
    destinations: Counter[str] = field(default_factory=Counter)
    relays: Counter[str] = field(default_factory=Counter)
    # (router, transport) as the log named them (Exim R=/T=, sendmail's mailer), for the
    # configuration join: which route the failing mail took
    routes: Counter[tuple[str, str]] = field(default_factory=Counter)
    example: Event | None = None
    mtas: set[str] = field(default_factory=set)  # whose logs told of it: "postfix", "bounce"
    config: dict[str, Any] | None = None  # filled in by the join with the configuration
    online: dict[str, Any] | None = None  # filled in by --online (linter.diagnose.online)

    def add(self, event: Event) -> None:
        self.failures += 1
        self.outcomes[event.status] += 1
        if event.queue_id and len(self.messages) < MAX_NAMES:
            self.messages.add(event.queue_id)
        if event.time is not None:
            when = event.time
            if self.first is None or _before(when, self.first):
                self.first = when
            if self.last is None or _before(self.last, when):
                self.last = when
        for counter, name in ((self.destinations, event.destination), (self.relays, event.relay)):
            if name and (name in counter or len(counter) < MAX_NAMES):
                counter[name] += 1
        route = (event.router, event.transport)
        if any(route) and (route in self.routes or len(self.routes) < MAX_ROUTES):
            self.routes[route] += 1
        if event.mta:
            self.mtas.add(event.mta)  # a handful of names: bounded
        if self.example is None:
            self.example = event


def _before(a: datetime, b: datetime) -> bool:
    try:
        return a < b
    except TypeError:  # an aware and a naive time (mixed inputs): compare as written
        return a.replace(tzinfo=None) < b.replace(tzinfo=None)


@dataclass
class Grouper:
    incidents: dict[tuple[str, str], Incident] = field(default_factory=dict)

    def add(self, event: Event, cause: Cause, groups: dict[str, str]) -> tuple[str, str]:
        key = " ".join(groups.get(name, "") for name in cause.group_by).strip()
        if not event.relay and groups.get("host"):
            # "relay=none" on a failed connection: the host the reason names
            address = f"[{groups['address']}]" if groups.get("address") else ""
            port = f":{groups['port']}" if groups.get("port") else ""
            event.relay = f"{groups['host']}{address}{port}"
        incident = self.incidents.get((cause.id, key))
        if incident is None and len(self.incidents) >= MAX_INCIDENTS:
            # a log naming ever new hosts must not grow the report without bound
            key = OTHERS
            incident = self.incidents.get((cause.id, key))
        if incident is None:
            incident = Incident(cause, key, dict(groups) if key != OTHERS else {})
            self.incidents[(cause.id, key)] = incident
        incident.add(event)
        return (cause.id, key)

    def add_to(self, key: tuple[str, str], event: Event) -> None:
        incident = self.incidents.get(key)
        if incident is not None:
            incident.add(event)

    def ordered(self) -> list[Incident]:
        """Most failures first; ties by cause id, for a stable report."""
        return sorted(self.incidents.values(), key=lambda i: (-i.failures, i.cause.id, i.key))
