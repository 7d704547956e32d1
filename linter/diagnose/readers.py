"""Which reader turns a log line's message into an event, by the program that wrote it.

Readers may remember what one line says for a later one (Exim names the host of a failed
attempt on the line before the deferral), so each diagnosis has its own :class:`Readers`.
"""

from __future__ import annotations

from collections.abc import Callable

from linter.diagnose.events import Event
from linter.diagnose.exim_log import EximReader, is_exim
from linter.diagnose.hmailserver_log import HMailServerReader, is_hmailserver
from linter.diagnose.logformats import Envelope
from linter.diagnose.postfix_log import is_postfix, postfix_event
from linter.diagnose.sendmail_log import is_sendmail, sendmail_event

Reader = Callable[[Envelope, str, int, str], Event | None]


class Readers:
    def __init__(self) -> None:
        self.exim = EximReader()
        self.hmailserver = HMailServerReader()

    def reader_for(self, program: str) -> Reader | None:
        """The reader for lines of PROGRAM ("postfix/smtp", "exim", "sendmail"), if any."""
        if is_postfix(program):
            return postfix_event
        if is_exim(program):
            return self.exim
        if is_sendmail(program):
            return sendmail_event
        if is_hmailserver(program):
            return self.hmailserver
        return None
