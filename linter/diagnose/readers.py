"""Which reader turns a log line's message into an event, by the program that wrote it."""

from __future__ import annotations

from collections.abc import Callable

from linter.diagnose.events import Event
from linter.diagnose.logformats import Envelope
from linter.diagnose.postfix_log import is_postfix, postfix_event

Reader = Callable[[Envelope, str, int, str], Event | None]


def reader_for(program: str) -> Reader | None:
    """The reader for lines of PROGRAM ("postfix/smtp", "exim", "sendmail"), if any."""
    if is_postfix(program):
        return postfix_event
    return None
