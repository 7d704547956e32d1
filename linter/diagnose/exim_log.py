"""Exim log lines as events.

The shapes are Exim 4's own (the specification's chapter "Log files", section "Log line
flags"; ``src/deliver.c``, ``src/acl.c``, ``src/smtp_in.c``), and the tests diagnose
lines a real Exim 4.96 wrote (tests/diagnose/test_exim_live.py):

* ``ID <= sender ...`` arrival; ``ID => addr ...`` delivery (``->`` another address of
  the same delivery, ``*>`` suppressed, ``>>`` cutthrough); ``ID ** addr ...: reason``
  a bounce; ``ID == addr ... defer (errno): reason`` a deferral, which includes
  ``retry time not reached for any host``; ``ID Completed`` the message left the queue.
* a line with a message id and no flag tells of one attempt:
  ``ID H=host [address] Connection refused``; the next ``==`` line for the id gives only
  ``defer (111): Connection refused``, so the host is remembered until then.
* lines without a message id come from the SMTP server: ``H=... rejected RCPT <addr>:
  reason``, ``rejected MAIL FROM:<addr> H=...: reason``, ``NAME authenticator failed for
  ...``, ``TLS error on connection from ...``: inbound events.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from linter.diagnose.events import (
    BOUNCED,
    DEFERRED,
    INBOUND,
    OUTBOUND,
    REMOVED,
    SENT,
    Event,
)
from linter.diagnose.logformats import Envelope

# 4.96: 6-6-2 base-62 characters; 4.97 and later: 6-11-4
_ID = r"[0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}"
_WITH_ID = re.compile(rf"(?P<id>{_ID}) (?P<body>.*)")
_FLAGGED = re.compile(r"(?P<flag><=|=>|->|\*>|>>|\*\*|==) (?P<addr>\S{1,512})(?P<rest>.*)")
_HOST = re.compile(
    r"\bH=(?P<host>[^\s\[\]]{1,255}) \[(?P<address>[^\]\s]{1,64})\](?::(?P<port>\d{1,5}))?"
)
_ROUTE = re.compile(r"\bR=(?P<router>[^\s=]{1,64})(?: T=(?P<transport>[^\s=]{1,64}))?")
_CLIENT = re.compile(r"\bH=(?P<client>[^\[\]]{0,600}?\[[^\]\s]{1,64}\](?::\d{1,5})?)")
_REJECTED_RCPT = re.compile(r"rejected RCPT <(?P<to>[^>]{0,512})>: (?P<reason>.*)")
# matched at the first "rejected " only (a search could restart at each of many)
_REJECTED = re.compile(
    r"rejected (?:MAIL FROM:<[^>]{0,512}>|EHLO|HELO|connection|after DATA)"
    r"(?:[^:\[]|\[[^\]]{0,64}\]){0,700}: (?P<reason>.*)"
)
_AUTH_FAILED = re.compile(
    r"\S{1,64} authenticator failed for (?P<client>[^:]{1,600}): (?P<reason>.*)"
)
_TLS_IN = re.compile(r"TLS error on connection from (?P<client>[^:]{1,600})(?P<reason>.*)")

FLAGS = {"=>": SENT, "->": SENT, "*>": SENT, ">>": SENT, "**": BOUNCED, "==": DEFERRED}
MAX_REMEMBERED = 10_000  # hosts of attempts whose "==" line has not come yet


def is_exim(program: str) -> bool:
    # log_file_path lines (program "exim"), syslog_processname "exim", Debian's "exim4"
    return program.startswith("exim")


def _relay(text: str) -> str:
    h = _HOST.search(text)
    if h is None:
        return ""
    port = f":{h.group('port')}" if h.group("port") else ""
    return f"{h.group('host')}[{h.group('address')}]{port}"


class EximReader:
    """Turns Exim log messages into events; remembers the host of each attempt."""

    def __init__(self) -> None:
        self._hosts: OrderedDict[str, str] = OrderedDict()

    def __call__(self, env: Envelope, source: str, line: int, raw: str) -> Event | None:
        message = env.message

        def event(kind: str, status: str, text: str, **kw: str) -> Event:
            return Event(kind, status, text, source, line, raw, env.time, mta="exim", **kw)

        m = _WITH_ID.match(message)
        if m is None:
            return self._server_line(message, event)
        qid, body = m.group("id"), m.group("body")
        f = _FLAGGED.match(body)
        if f is None:
            if body == "Completed":
                self._hosts.pop(qid, None)
                return event(OUTBOUND, REMOVED, "", queue_id=qid)
            relay = _relay(body)
            if relay:  # one attempt's host: the next "==" line may not name it
                self._hosts[qid] = relay
                self._hosts.move_to_end(qid)
                if len(self._hosts) > MAX_REMEMBERED:
                    self._hosts.popitem(last=False)
            return None
        status = FLAGS.get(f.group("flag"))
        if status is None:  # "<=": an arrival
            return None
        rest = f.group("rest")
        recipient = f.group("addr").rstrip(":").strip("<>")
        relay = _relay(rest) or (self._hosts.get(qid, "") if status != SENT else "")
        text = rest.strip() if status != SENT else ""
        route = _ROUTE.search(rest)
        return event(
            OUTBOUND,
            status,
            text,
            queue_id=qid,
            recipient=recipient,
            relay=relay,
            router=route.group("router") if route else "",
            transport=(route.group("transport") or "") if route else "",
        )

    @staticmethod
    def _server_line(message: str, event) -> Event | None:  # type: ignore[no-untyped-def]
        c = _CLIENT.search(message)
        client: str = c.group("client") if c else ""
        r = _REJECTED_RCPT.search(message)
        if r is not None:
            return event(
                INBOUND, "rejected", r.group("reason"), relay=client, recipient=r.group("to")
            )
        at = message.find("rejected ")
        for pattern in (_REJECTED, _AUTH_FAILED, _TLS_IN):
            if pattern is _REJECTED:
                found = _REJECTED.match(message, at) if at >= 0 else None
            else:
                found = pattern.match(message)
            if found is not None:
                named = found.groupdict().get("client")
                return event(INBOUND, "rejected", message, relay=(named or client).strip())
        return None
