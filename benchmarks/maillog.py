"""A generated Postfix mail log for ``mtalint diagnose`` benchmarks.

The traffic is what a busy relay logs, in Postfix 3.x's own message formats: for each
message smtpd's ``connect``/``client=``/``disconnect``, cleanup's ``message-id=``, qmgr's
``from=`` and ``removed``, and one delivery attempt by smtp (``log_adhoc.c``'s
``to=<...>, relay=..., delay=..., delays=..., dsn=..., status=...``). Four in five
deliveries succeed; the rest fail in the ways the catalogue knows (time-out, refusal,
DNSBL, TLS not offered) and one it does not (user unknown). Every 97th message has a
``NOQUEUE: reject`` for relaying, every 501st a smtpd warning. Seeded: the same size
gives the same file.

A deferred message stays in the queue, as on a real relay, until a later retry: after
``RETRY_AFTER`` further messages it is either delivered or expires (qmgr's ``from=<...>,
status=expired, returned to sender``), then ``removed``. With ``leave_queue=False`` it
never leaves: a log cut from a server whose queue only grows.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterator

RETRY_AFTER = 500  # messages logged between a deferral and its last retry

FAILURES = (
    (
        "deferred",
        "4.4.1",
        "none",
        "connect to mx{d}.example.net[203.0.113.{h}]:25: Connection timed out",
    ),
    (
        "deferred",
        "4.4.1",
        "none",
        "connect to mx{d}.example.net[203.0.113.{h}]:25: Connection refused",
    ),
    (
        "bounced",
        "5.7.1",
        "mx{d}.example.net[203.0.113.{h}]:25",
        "host mx{d}.example.net[203.0.113.{h}] said: 554 5.7.1 Service unavailable; Client host "
        "[198.51.100.7] blocked using zen.spamhaus.org (in reply to RCPT TO command)",
    ),
    (
        "deferred",
        "4.7.4",
        "mx{d}.example.net[203.0.113.{h}]:25",
        "TLS is required, but was not offered by host mx{d}.example.net[203.0.113.{h}]",
    ),
    (
        "bounced",
        "5.1.1",
        "mx{d}.example.net[203.0.113.{h}]:25",
        "host mx{d}.example.net[203.0.113.{h}] said: 550 5.1.1 <u@d{d}.example>: Recipient "
        "address rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)",
    ),
)


def blocks(seed: int = 1, leave_queue: bool = True) -> Iterator[str]:
    """The log, one message's lines at a time, without end."""
    rnd = random.Random(seed)
    queued: deque[tuple[int, str, str, str]] = deque()  # (due, queue id, to=<...>, from)
    n = 0
    while True:
        n += 1
        qid = f"{rnd.getrandbits(40):010X}"
        s = n % 86400
        t = f"Dec {1 + (n // 40000) % 28:2d} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
        pid, d, h = 1000 + n % 5000, n % 50, n % 200
        client = f"client{d}.example.org[192.0.2.{n % 250 + 1}]"
        lines = [
            f"{t} mx postfix/smtpd[{pid}]: connect from {client}",
            f"{t} mx postfix/smtpd[{pid}]: {qid}: client={client}",
            f"{t} mx postfix/cleanup[{pid + 1}]: {qid}: message-id=<{n}.{qid}@{client[:-1]}>",
            f"{t} mx postfix/qmgr[999]: {qid}: from=<sender{n % 300}@client{d}.example.org>, "
            f"size={1000 + n % 50000}, nrcpt=1 (queue active)",
            f"{t} mx postfix/smtpd[{pid}]: disconnect from {client} ehlo=1 mail=1 rcpt=1 data=1 "
            "quit=1 commands=5",
        ]
        head = f"{t} mx postfix/smtp[{pid + 2}]: {qid}: to=<user{n % 1000}@d{d}.example>"
        if rnd.random() < 0.8:
            lines.append(
                f"{head}, relay=mx{d}.example.net[203.0.113.{h}]:25, delay=0.{n % 9 + 1}, "
                "delays=0.01/0.01/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as "
                f"{rnd.getrandbits(36):09X})"
            )
            lines.append(f"{t} mx postfix/qmgr[999]: {qid}: removed")
        else:
            status, dsn, relay, why = FAILURES[n % len(FAILURES)]
            lines.append(
                f"{head}, relay={relay.format(d=d, h=h)}, delay=30, delays=0.01/0.01/30/0, "
                f"dsn={dsn}, status={status} ({why.format(d=d, h=h)})"
            )
            if status == "deferred" and leave_queue:
                queued.append(
                    (
                        n + RETRY_AFTER,
                        qid,
                        head.rsplit(": ", 1)[1],
                        f"sender{n % 300}@client{d}.example.org",
                    )
                )
            if status == "bounced":
                lines.append(
                    f"{t} mx postfix/bounce[{pid + 3}]: {qid}: sender non-delivery notification: "
                    f"{rnd.getrandbits(40):010X}"
                )
                lines.append(f"{t} mx postfix/qmgr[999]: {qid}: removed")
        while queued and queued[0][0] <= n:
            lines.extend(_last_retry(t, pid, queued.popleft(), rnd))
        if n % 97 == 0:
            lines.append(
                f"{t} mx postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 554 "
                "5.7.1 <x@external.example>: Relay access denied; from=<spam@bad.example> "
                "to=<x@external.example> proto=ESMTP helo=<bad>"
            )
        if n % 501 == 0:
            lines.append(
                f"{t} mx postfix/smtpd[{pid}]: warning: hostname client{d}.example.org does not "
                f"resolve to address 192.0.2.{n % 250 + 1}: Name or service not known"
            )
        yield "".join(line + "\n" for line in lines)


def _last_retry(
    t: str, pid: int, entry: tuple[int, str, str, str], rnd: random.Random
) -> list[str]:
    """A deferred message leaving the queue: delivered at last, or expired and returned."""
    due, qid, to, sender = entry
    if due % 2:
        last = (
            f"{t} mx postfix/smtp[{pid + 2}]: {qid}: {to}, relay=mx.example.net[203.0.113.9]:25, "
            f"delay=3600, delays=3599/0.01/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued "
            f"as {rnd.getrandbits(36):09X})"
        )
    else:
        last = (
            f"{t} mx postfix/qmgr[999]: {qid}: from=<{sender}>, status=expired, returned to sender"
        )
    return [last, f"{t} mx postfix/qmgr[999]: {qid}: removed"]


def write_log(path: str, target_bytes: int, seed: int = 1) -> int:
    """Write about TARGET_BYTES of log to PATH; the number of lines written."""
    size = lines = 0
    with open(path, "w", encoding="ascii") as out:
        for block in blocks(seed):
            out.write(block)
            size += len(block)
            lines += block.count("\n")
            if size >= target_bytes:
                return lines
    return lines
