"""sendmail log lines (syslog, program ``sendmail`` or ``sm-mta``) as events.

The shapes are sendmail 8's own (``sendmail/deliver.c`` logdelivery(): ``QID: to=ADDR,
[ctladdr=..., ]delay=..., xdelay=..., mailer=..., pri=..., relay=HOST [ADDR], dsn=X.Y.Z,
[reply=REPLY, ]stat=STATUS``; ``sendmail/srvrsmtp.c`` and the rulesets' ``ruleset=
check_rcpt, arg1=<ADDR>, relay=HOST [ADDR], reject=REPLY``; ``syserr()``'s
``SYSERR(user): ...``), and the tests diagnose lines a real sendmail 8.17 wrote
(tests/diagnose/test_sendmail_live.py).

``stat=Sent`` is a delivery, ``stat=Deferred: ...`` (dsn 4.x.x) a deferral, any other
status with a 5.x.x dsn a bounce. The text the catalogue sees is ``reply`` and ``stat``
together: sendmail sums up a 550 as ``stat=User unknown`` whatever the reply said.
"""

from __future__ import annotations

import re

from linter.diagnose.events import BOUNCED, DEFERRED, INBOUND, LOCAL, OUTBOUND, SENT, Event
from linter.diagnose.logformats import Envelope

# 8.12 and later: 14 characters (YMDhms in base 60, a sequence and the pid); NOQUEUE
_WITH_ID = re.compile(r"(?P<id>[0-9A-Za-z]{8,20}|NOQUEUE): (?P<body>.*)")
_TO = re.compile(r"to=(?P<to>[^,\s]{1,512})")
_FIELD = re.compile(r", (?P<name>relay|dsn|reply|stat)=")
# logged before relay= and reply=: the first one is sendmail's own
_MAILER = re.compile(r", mailer=(?P<mailer>[^,\s]{1,64}),")
_RELAY = re.compile(
    r"(?P<host>\[[^\]\s]{1,255}\]|[^\s\[\]]{1,255})(?: \[(?P<address>[^\]\s]{1,64})\])?"
)
_REJECT = re.compile(
    r"ruleset=(?P<ruleset>\w{1,64}), arg1=(?P<arg>[^,]{0,512}), relay=(?P<client>[^,]{0,600}), "
    r"(?:reject|discard)=(?P<reply>.*)"
)
_SYSERR = re.compile(r"SYSERR\([^)]{0,64}\): (?P<text>.*)")


def is_sendmail(program: str) -> bool:
    return program in ("sendmail", "sm-mta", "sm-msp-queue")


def _fields(body: str) -> dict[str, str]:
    """relay=, dsn=, reply= and stat= of a delivery line (stat= is last: it runs to the end;
    a reply may hold commas, so each field runs to the next known one)."""
    marks = list(_FIELD.finditer(body))
    out = {}
    for n, mark in enumerate(marks):
        end = marks[n + 1].start() if n + 1 < len(marks) else len(body)
        out[mark.group("name")] = body[mark.end() : end]
    return out


def _relay(text: str) -> str:
    m = _RELAY.match(text)
    if m is None:
        return ""
    host, address = m.group("host"), m.group("address")
    if address and host.strip("[]") != address:
        return f"{host}[{address}]"
    return host


def sendmail_event(env: Envelope, source: str, line: int, raw: str) -> Event | None:
    message = env.message

    def event(kind: str, status: str, text: str, **kw: str) -> Event:
        return Event(kind, status, text, source, line, raw, env.time, mta="sendmail", **kw)

    m = _WITH_ID.match(message)
    if m is None:
        return None
    qid, body = m.group("id"), m.group("body")
    queue_id = "" if qid == "NOQUEUE" else qid
    if body.startswith("to="):
        fields = _fields(body)
        stat = fields.get("stat", "")
        if not stat:
            return None
        dsn = fields.get("dsn", "")
        if stat.startswith("Sent"):
            status = SENT
        elif stat.startswith("Deferred") or dsn.startswith("4."):
            status = DEFERRED
        elif dsn.startswith("5.") or not dsn:
            status = BOUNCED
        else:
            return None
        to = _TO.match(body)
        mailer = _MAILER.search(body)
        reply = fields.get("reply", "")
        return event(
            OUTBOUND,
            status,
            "" if status == SENT else (f"{reply} (stat={stat})" if reply else stat),
            queue_id=queue_id,
            recipient=to.group("to").strip("<>") if to else "",
            relay=_relay(fields.get("relay", "")),
            dsn=dsn,
            transport=mailer.group("mailer") if mailer else "",
        )
    r = _REJECT.match(body)
    if r is not None:
        recipient = r.group("arg").strip("<>") if r.group("ruleset") == "check_rcpt" else ""
        return event(
            INBOUND,
            "rejected",
            r.group("reply"),
            queue_id="",
            relay=r.group("client"),
            recipient=recipient,
        )
    s = _SYSERR.match(body)
    if s is not None:
        # a fault of this host, not an outcome of the message (no queue id: not tracked)
        return event(LOCAL, "error", s.group("text"))
    return None
