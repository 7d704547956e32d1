"""Following each message by its queue id to its outcome.

A message may be deferred many times before it is sent, bounced or expires; its outcome
is its last status. ``status=expired`` carries no reason of its own: the cause is the one
of the message's last deferral, which is why the tracker remembers it.

Memory is bounded: at most :data:`MAX_TRACKED` messages are followed at a time (Postfix
logs ``QUEUEID: removed`` when a message leaves the queue, which frees its entry); beyond
that the oldest are forgotten and the report says so; a forgotten message is counted
with its last outcome, as if it had left the queue.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from linter.diagnose.events import EXPIRED, Event

MAX_TRACKED = 200_000


@dataclass(slots=True)  # one per queued message: up to MAX_TRACKED of them
class MessageState:
    outcome: str
    cause_key: tuple[str, str] | None = None  # the incident of its last failure


@dataclass
class Tracker:
    messages: dict[str, MessageState] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)  # of messages that left
    forgotten: int = 0

    def record(self, event: Event, cause_key: tuple[str, str] | None) -> tuple[str, str] | None:
        """Note EVENT; for an expiry without a reason, the key of its last failure."""
        if not event.queue_id:
            return cause_key
        state = self.messages.get(event.queue_id)
        if state is None:
            if len(self.messages) >= MAX_TRACKED:
                oldest = next(iter(self.messages))
                self.outcomes[self.messages.pop(oldest).outcome] += 1
                self.forgotten += 1
            state = MessageState(event.status)
            self.messages[event.queue_id] = state
        state.outcome = event.status
        if event.status == EXPIRED and cause_key is None:
            return state.cause_key
        if cause_key is not None:
            state.cause_key = cause_key
        return cause_key

    def removed(self, queue_id: str) -> None:
        state = self.messages.pop(queue_id, None)
        if state is not None:
            self.outcomes[state.outcome] += 1

    def final_outcomes(self) -> Counter[str]:
        """Outcomes of every message seen: those that left and those still queued."""
        total = Counter(self.outcomes)
        for state in self.messages.values():
            total[state.outcome] += 1
        return total
