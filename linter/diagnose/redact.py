"""Credentials that a log line can carry, blanked before anything keeps or shows it.

An SMTP AUTH command with an initial response (``AUTH PLAIN AHVzZXIAc2VjcmV0``) holds the
password in base64; servers quote the command they refused in some warnings (Postfix's
"non-SMTP command", Exim's protocol errors with ``+smtp_protocol_error``), and any line
may reach a report as an incident's example. The mechanism stays, the response goes.
"""

from __future__ import annotations

import re

_AUTH = re.compile(r"(?i)(\bAUTH[ \t]+[A-Z0-9_-]{1,20}[ \t]+)[A-Za-z0-9+/]{2,}={0,2}")
REDACTED = "[credentials removed]"


def redact_credentials(text: str) -> str:
    # a cheap test first: nearly no line speaks of AUTH
    if "uth" not in text and "UTH" not in text:
        return text
    return _AUTH.sub(lambda m: m.group(1) + REDACTED, text)
