"""hMailServer log lines as events.

hMailServer writes no delivery summary line; what it says about a delivery is its SMTP
conversation (``Logger::LogSMTPConversation`` in ``Common/Application/Logger.cpp``): the
client side (``SMTPC``) logs each command it sends as ``SENT: ...`` and each reply as
``RECEIVED: ...`` (``SMTP/SMTPClientConnection.cpp``, the password as ``***``); the server
side (``SMTPD``) logs the replies it sends the same way. So:

* an ``SMTPC`` reply of 4xx/5xx is a deferral/bounce of the recipient last named in that
  session's ``SENT: RCPT TO:<...>`` (or of the message, before any RCPT), with the
  session's remote address as the relay;
* an ``SMTPD`` reply of 5xx (or 4xx) is this server refusing a client: an inbound event
  (``550 Delivery is not allowed to this address.`` is its relay refusal,
  ``SMTPConnection.cpp``).

Sessions are remembered only up to :data:`MAX_SESSIONS` at a time.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from linter.diagnose.events import BOUNCED, DEFERRED, INBOUND, OUTBOUND, Event
from linter.diagnose.logformats import Envelope

_MESSAGE = re.compile(r"(?P<session>\S{1,12}) (?P<address>\S{1,100}) (?P<text>.*)")
_RCPT = re.compile(r"(?:SENT|RECEIVED): RCPT TO:\s?<(?P<to>[^>]{0,512})>", re.IGNORECASE)
_REPLY = re.compile(r"(?:RECEIVED|SENT): (?P<reply>[45]\d\d[ -].*)")
MAX_SESSIONS = 10_000


def is_hmailserver(program: str) -> bool:
    return program.startswith("hmailserver/")


class HMailServerReader:
    def __init__(self) -> None:
        self._recipients: OrderedDict[tuple[str, str], str] = OrderedDict()

    def __call__(self, env: Envelope, source: str, line: int, raw: str) -> Event | None:
        side = env.program.rpartition("/")[2]
        if side not in ("smtpc", "smtpd"):
            return None
        m = _MESSAGE.match(env.message)
        if m is None:
            return None
        session, address, text = m.group("session"), m.group("address"), m.group("text")
        key = (side, session)
        r = _RCPT.match(text)
        if r is not None:
            self._recipients[key] = r.group("to")
            self._recipients.move_to_end(key)
            if len(self._recipients) > MAX_SESSIONS:
                self._recipients.popitem(last=False)
            return None
        reply = _REPLY.match(text)
        # a client reply is "RECEIVED", a server's own refusal is "SENT"
        if reply is None or text.startswith("SENT") != (side == "smtpd"):
            return None
        answer = reply.group("reply").replace("[nl]", " ")
        recipient = self._recipients.get(key, "")
        relay = "" if address == "-" else address
        # its own refusal of a client, or a remote server's answer to its delivery
        if side == "smtpd":
            direction, status = INBOUND, "rejected"
        else:
            direction, status = OUTBOUND, BOUNCED if answer.startswith("5") else DEFERRED
        return Event(
            direction,
            status,
            answer,
            source,
            line,
            raw,
            env.time,
            relay=relay,
            recipient=recipient,
            mta="hmailserver",
        )
