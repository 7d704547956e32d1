"""Which files are Exchange's: by what their first bytes say.

A ``.json`` is the exporter's when its top-level keys are the exporter's collections
(``ReceiveConnectors``, ``SendConnectors``). A ``.txt`` (or ``.log``) is Format-List
text when lines of the form ``Bindings : ...`` / ``RemoteIPRanges : ...`` (receive connectors) or
``AddressSpaces : ...`` with ``SmartHosts : ...`` (send connectors) are in its head.
"""

from __future__ import annotations

import re
from pathlib import Path

from linter.mta.text import head_text as _head

SUFFIXES = (".json", ".txt", ".log")
_JSON_KEYS = re.compile(r'"(ReceiveConnectors|SendConnectors)"\s*:', re.IGNORECASE)
_FL_RECEIVE = (
    re.compile(r"^Bindings[ \t]+:", re.MULTILINE),
    re.compile(r"^RemoteIPRanges[ \t]+:", re.MULTILINE),
)
_FL_SEND = (
    re.compile(r"^AddressSpaces[ \t]+:", re.MULTILINE),
    re.compile(r"^SmartHosts[ \t]+:", re.MULTILINE),
)


def detect(path: Path) -> str | None:
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        return None
    return _by_content(path, json_only=name.endswith(".json"))


def detect_content(path: Path) -> str | None:
    """A file whose name says nothing: the JSON export or Format-List text by content."""
    return _by_content(path, json_only=False)


def _by_content(path: Path, json_only: bool) -> str | None:
    head = _head(path)
    if head is None:
        return None
    if head.lstrip().startswith("{"):
        return "exchange-json" if _JSON_KEYS.search(head[:65536]) else None
    if json_only:
        return None
    text = head.replace("\r\n", "\n")
    if all(p.search(text) for p in _FL_RECEIVE) or all(p.search(text) for p in _FL_SEND):
        return "exchange-fl"
    return None
