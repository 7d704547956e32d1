"""Bounce messages (RFC 3464 delivery status notifications) as events.

Read with the standard library's ``email`` package: each per-recipient block of a
``message/delivery-status`` part gives Final-Recipient, Action, Status, Diagnostic-Code
and Remote-MTA. An ``Action: failed`` is a bounce, ``delayed`` a deferral; ``delivered``,
``relayed`` and ``expanded`` are not failures and are left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from linter.diagnose.events import BOUNCED, DEFERRED, OUTBOUND, Event
from linter.diagnose.redact import redact_credentials

if TYPE_CHECKING:  # the email package is loaded only when a bounce is read (start-up time)
    from email.message import Message

MAX_PARTS = 1000  # MIME parts walked in one message
ACTIONS = {"failed": BOUNCED, "delayed": DEFERRED}


def looks_like_bounce(head: bytes) -> bool:
    """Whether the first bytes of an input are a mail message carrying a DSN."""
    text = head.decode("latin-1").lower()
    first = text.lstrip().split("\n", 1)[0]
    is_header = ":" in first and " " not in first.split(":", 1)[0]
    return is_header and ("multipart/report" in text or "delivery-status" in text)


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
    for block in _blocks(message):
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
