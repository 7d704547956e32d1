"""Which files are Exchange's: by what their first bytes say.

A ``.json`` is the exporter's when its top-level keys are the exporter's collections
(``ReceiveConnectors``, ``SendConnectors``). A ``.txt`` (or ``.log``) is Format-List
text when lines of the form ``Bindings : ...`` / ``RemoteIPRanges : ...`` (receive connectors) or
``AddressSpaces : ...`` with ``SmartHosts : ...`` (send connectors) are in its head.
"""

from __future__ import annotations

import re
from pathlib import Path

from linter.mta.hmailserver.detect import _head

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
    head = _head(path)
    if head is None:
        return None
    if name.endswith(".json"):
        return "exchange-json" if _JSON_KEYS.search(head[:65536]) else None
    text = head.replace("\r\n", "\n")
    if all(p.search(text) for p in _FL_RECEIVE) or all(p.search(text) for p in _FL_SEND):
        return "exchange-fl"
    return None
