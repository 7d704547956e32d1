"""Which files are sendmail's: an ``.mc`` (the m4 source of sendmail.cf) that calls
cf.m4's macros, so an unrelated ``*.mc`` file is not misread."""

from __future__ import annotations

import re
from pathlib import Path

from linter.source import read_head

_MC_CALLS = re.compile(
    r"\b(?:OSTYPE|DOMAIN|FEATURE|MAILER|DAEMON_OPTIONS|VERSIONID)\(|include\(`[^']*cf\.m4'"
)


def candidate(name: str) -> bool:
    return name.endswith(".mc")


def detect(path: Path) -> str | None:
    """``sendmail-mc`` for an ``.mc`` whose head calls cf.m4's macros."""
    if not path.name.endswith(".mc"):
        return None
    head = read_head(path, 65536)
    return "sendmail-mc" if head is not None and sniff(path, head) else None


def sniff(path: Path, head: bytes) -> str | None:
    return "sendmail-mc" if _MC_CALLS.search(head.decode("latin-1")) is not None else None
