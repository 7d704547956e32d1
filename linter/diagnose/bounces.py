"""Bounce messages (RFC 3464 delivery status notifications, and the others) as events.

Read with the standard library's ``email`` package: each per-recipient block of a
``message/delivery-status`` part gives Final-Recipient, Action, Status, Diagnostic-Code
and Remote-MTA. An ``Action: failed`` is a bounce, ``delayed`` a deferral; ``delivered``,
``relayed`` and ``expanded`` are not failures and are left out.

A bounce without such a part (qmail's QSBMF, Exim's and older providers' plain-text
notices) is given to flufl.bounce (GNU Mailman's bounce detectors), which names the
failed recipients, permanent or temporary; the reason is the paragraph of the notice
that follows each recipient's address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from linter.diagnose.events import BOUNCED, DEFERRED, OUTBOUND, Event
from linter.diagnose.redact import redact_credentials

if TYPE_CHECKING:  # the email package is loaded only when a bounce is read (start-up time)
    from email.message import Message

MAX_PARTS = 1000  # MIME parts walked in one message
ACTIONS = {"failed": BOUNCED, "delayed": DEFERRED}
# a notice without a delivery-status part is read from its start only: the reasons come
# first, a copy of the message after them, and the heuristic detectors see bounded text
MAX_NOTICE_BYTES = 256 * 1024
MAX_REASON = 1000  # characters of the reason kept per recipient
MAX_RECIPIENTS = 1000
# what the first lines of a bounce without a delivery-status part say (From, Subject)
_NOTICE_WORDS = (
    "mailer-daemon",
    "failure notice",
    "undeliver",
    "delivery status notification",
    "mail delivery failed",
    "returned mail",
    "delivery failure",
)


def looks_like_bounce(head: bytes) -> bool:
    """Whether the first bytes of an input are a mail message carrying a DSN, or a
    delivery failure notice without one."""
    text = head.decode("latin-1").lower()
    # a header field first (RFC 5322 field name): no log line starts so, nor a journal
    # or container JSON record ('{"__CURSOR":', '{"log":')
    if not _HEADER.match(text.lstrip()):
        return False
    return "multipart/report" in text or "delivery-status" in text or _is_notice(text)


_HEADER = re.compile(r"[a-z][a-z0-9-]{0,75}:")


def _is_notice(head: str) -> bool:
    return any(word in head for word in _NOTICE_WORDS)


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _address(value: str) -> str:
    """``rfc822; user@example.com`` -> ``user@example.com``."""
    return value.split(";", 1)[-1].strip().strip("<>")


def _blocks(message: Message) -> Iterator[Message]:
    from email.message import Message

    for count, part in enumerate(message.walk()):
        if count > MAX_PARTS:
            return
        if part.get_content_type() != "message/delivery-status":
            continue
        payload = part.get_payload()
        if isinstance(payload, list):
            # the per-message block first, then one per recipient
            for block in payload[1:] if len(payload) > 1 else payload:
                if isinstance(block, Message):
                    yield block


def _date(message: Message) -> datetime | None:
    from email.utils import parsedate_to_datetime

    value = message.get("Date")
    if not value:
        return None
    try:
        when = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when


def bounce_events(data: bytes, source: str) -> list[Event]:
    """One event per failed or delayed recipient in the bounce."""
    import email
    import email.policy

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    when = _date(message)
    events = []
    blocks = list(_blocks(message))
    if not blocks:
        return notice_events(data[:MAX_NOTICE_BYTES], source)
    for block in blocks:
        action = _field(block, "Action").lower()
        status = ACTIONS.get(action.split()[0] if action else "")
        if status is None:
            continue
        diagnostic = redact_credentials(_field(block, "Diagnostic-Code"))
        code = _field(block, "Status")
        # "smtp; 550 5.7.1 ..." -> the reply; without one the Status code alone
        text = diagnostic.split(";", 1)[-1].strip() if diagnostic else code
        recipient = _address(
            _field(block, "Final-Recipient") or _field(block, "Original-Recipient")
        )
        raw = f"Final-Recipient: {recipient}; Action: {action}; Status: {code}; " + (
            f"Diagnostic-Code: {diagnostic}" if diagnostic else "no Diagnostic-Code"
        )
        events.append(
            Event(
                OUTBOUND,
                status,
                text,
                source,
                0,
                raw,
                when,
                recipient=recipient,
                relay=_address(_field(block, "Remote-MTA")),
                dsn=code.split()[0] if code else "",
                mta="bounce",
            )
        )
    return events


def notice_events(data: bytes, source: str) -> list[Event]:
    """One event per recipient that flufl.bounce finds failed in a bounce without a
    delivery-status part; the reason is what the notice says after the address."""
    import email
    import email.policy

    from flufl.bounce import all_failures

    message = email.message_from_bytes(data, policy=email.policy.compat32)
    try:
        temporary, permanent = all_failures(message)
    except Exception:  # noqa: BLE001 - a heuristic detector on text anyone can write
        return []
    body = _plain_text(message)
    when = _date(message)
    events = []
    found = [(r, BOUNCED) for r in sorted(permanent)] + [(r, DEFERRED) for r in sorted(temporary)]
    for raw_recipient, status in found[:MAX_RECIPIENTS]:
        recipient = raw_recipient.decode("ascii", "replace")
        reason = redact_credentials(_reason(body, recipient))
        code = _DSN_CODE.search(reason)
        events.append(
            Event(
                OUTBOUND,
                status,
                reason or "no reason given",
                source,
                0,
                f"Recipient: {recipient}; " + (reason or "no reason given"),
                when,
                recipient=recipient,
                dsn=code.group() if code else "",
                mta="bounce",
            )
        )
    return events


_DSN_CODE = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


def _plain_text(message: Message) -> str:
    """The text/plain parts of the notice, decoded (the copy of the message excluded)."""
    out: list[str] = []
    for count, part in enumerate(message.walk()):
        if count > MAX_PARTS:
            break
        if part.get_content_type() != "text/plain":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            out.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    text = "\n".join(out)
    # where qmail and Exim start the copy of the bounced message
    for mark in ("--- Below this line is a copy of the message.", "------ This is a copy of"):
        text = text.split(mark, 1)[0]
    return text


def _reason(body: str, recipient: str) -> str:
    """The paragraph after the line naming ``recipient`` (qmail: ``<a@b>:`` then the
    reason; Exim: the address indented, then the host and the reply), one line."""
    lines = body.splitlines()
    needle = recipient.lower()
    for n, line in enumerate(lines):
        if needle not in line.lower():
            continue
        rest = line.lower().split(needle, 1)[1].strip(" <>:")
        paragraph = [line.strip()] if rest else []
        for following in lines[n + 1 :]:
            if not following.strip():
                if paragraph:
                    break
                continue
            paragraph.append(following.strip())
        return " ".join(" ".join(paragraph).split())[:MAX_REASON]
    return ""
