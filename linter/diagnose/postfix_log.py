"""Postfix log messages as events.

The message formats are Postfix's own (3.x): the delivery agents' status lines
(``src/global/log_adhoc.c``: ``QUEUEID: to=<...>, relay=..., delay=..., delays=...,
dsn=X.Y.Z, status=STATUS (reason)``), qmgr's ``status=expired, returned to sender``
(``src/qmgr/qmgr_active.c``), smtpd's ``NOQUEUE: reject: RCPT from ...``
(``src/smtpd/smtpd_check.c``), and ``warning:``/``fatal:``/``panic:`` from ``msg_*``.
"""

from __future__ import annotations

import re

from linter.diagnose.events import (
    BOUNCED,
    DEFERRED,
    EXPIRED,
    INBOUND,
    LOCAL,
    OUTBOUND,
    REMOVED,
    SENT,
    Event,
)
from linter.diagnose.logformats import Envelope

# short ids are upper-case hex; long ids (enable_long_queue_ids) use a vowel-less alphabet
_QUEUE_ID = r"(?:[0-9A-F]{5,20}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,24})"
_WITH_ID = re.compile(rf"(?P<qid>{_QUEUE_ID}|NOQUEUE): (?P<body>.*)")
_TO = re.compile(r"(?:^|, )to=<(?P<to>[^>]{0,512})>")
_RELAY = re.compile(r", relay=(?P<relay>[^,\s]{1,512})")
_DSN = re.compile(r", dsn=(?P<dsn>\d\.\d{1,3}\.\d{1,3})")
_STATUS = re.compile(r", status=(?P<status>[a-z]{1,16})(?: \((?P<reason>.*)\))?$")
_EXPIRED = re.compile(r"from=<[^>]{0,512}>, status=expired")
_REJECT = re.compile(r"(?:reject|defer): [A-Z]{1,10} from (?P<client>\S{1,600}): (?P<reply>.*)")
_SEVERITY = re.compile(r"(?P<level>warning|fatal|panic|error): (?P<text>.*)")
_REJECT_TO = re.compile(r"; from=<[^>]{0,512}> to=<(?P<to>[^>]{0,512})>")

# what a line must hold to be of use: a status, a removal, a rejection or a msg_* level
# (tested before the line is parsed; most of a busy log is connect/client=/from= lines).
# Substring tests: an alternation regex searched each line was slower than parsing it
_WORTH_READING = (
    "status=",
    ": removed",
    "reject: ",
    "defer: ",
    "warning: ",
    "fatal: ",
    "panic: ",
    "error: ",
)


def worth_reading(text: str) -> bool:
    return (
        "status=" in text
        or ": removed" in text
        or "reject: " in text
        or "defer: " in text
        or "warning: " in text
        or "fatal: " in text
        or "panic: " in text
        or "error: " in text
    )


STATUSES = {"sent": SENT, "deferred": DEFERRED, "bounced": BOUNCED, "expired": EXPIRED}


def is_postfix(program: str) -> bool:
    # "postfix/smtp", "postfix-out/smtp" (multi-instance syslog_name), "postfix"
    return program.startswith("postfix")


def postfix_event(env: Envelope, source: str, line: int, raw: str) -> Event | None:
    """The event a Postfix log message stands for, or None for bookkeeping lines."""
    message = env.message

    def event(kind: str, status: str, text: str, **kw: str) -> Event:
        return Event(kind, status, text, source, line, raw, env.time, mta="postfix", **kw)

    m = _WITH_ID.match(message)
    if m:
        qid, body = m.group("qid"), m.group("body")
        if body == "removed":
            return event(OUTBOUND, REMOVED, "", queue_id=qid)
        if qid != "NOQUEUE":
            # the status is the last field: match from its start (one pass over the line)
            at = body.rfind(", status=")
            s = _STATUS.match(body, at) if at >= 0 else None
            if s and _TO.search(body):
                status = STATUSES.get(s.group("status"))
                if status is None:
                    return None
                to = _TO.search(body)
                relay = _RELAY.search(body)
                dsn = _DSN.search(body)
                return event(
                    OUTBOUND,
                    status,
                    s.group("reason") or "",
                    queue_id=qid,
                    recipient=to.group("to") if to else "",
                    relay=relay.group("relay") if relay and relay.group("relay") != "none" else "",
                    dsn=dsn.group("dsn") if dsn else "",
                )
            if _EXPIRED.match(body):
                return event(OUTBOUND, EXPIRED, "", queue_id=qid)
            return None
        r = _REJECT.match(body)
        if r:
            to = _REJECT_TO.search(body)
            return event(
                INBOUND,
                "rejected",
                r.group("reply"),
                relay=r.group("client"),
                recipient=to.group("to") if to else "",
            )
        return None
    w = _SEVERITY.match(message)
    if w:
        return event(LOCAL, w.group("level"), message)
    return None
