"""What a log line or a bounce says happened, independent of the MTA that wrote it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# outcomes of a delivery attempt
SENT, DEFERRED, BOUNCED, EXPIRED = "sent", "deferred", "bounced", "expired"
FAILURES = (DEFERRED, BOUNCED, EXPIRED)
# not an outcome: the message left the queue (Postfix "removed", Exim "Completed")
REMOVED = "removed"

# where the failure happened: a delivery to a remote host, a client refused by this
# server, or this server's own configuration
OUTBOUND, INBOUND, LOCAL = "outbound", "inbound", "local"


@dataclass(slots=True)
class Event:
    kind: str  # OUTBOUND, INBOUND, LOCAL
    status: str  # SENT, DEFERRED, BOUNCED, EXPIRED; "rejected" (inbound); "fault" (local)
    text: str  # what the catalogue is matched against: the reason, the whole message
    source: str
    line: int
    raw: str  # the log line (or the bounce's field) as read, for the example
    time: datetime | None = None
    queue_id: str = ""
    recipient: str = ""
    relay: str = ""
    dsn: str = ""
    mta: str = ""  # "postfix", "exim", "bounce"
    # how the MTA routed it, where its log says: Exim's R= and T=, sendmail's mailer=
    router: str = ""
    transport: str = ""

    @property
    def destination(self) -> str:
        """The recipient's domain."""
        return self.recipient.rpartition("@")[2].lower() if "@" in self.recipient else ""

    @property
    def failed(self) -> bool:
        return self.status not in (SENT, REMOVED)
