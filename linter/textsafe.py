"""Text from configurations, DNS and file names made safe to show.

A configuration value, a TXT record or a file name can hold anything: an escape sequence
that retitles the terminal or clears it, a carriage return that overwrites the start of a
line, a newline that forges a ``file:1:1: MTA001 error:`` line or a ``::stop-commands::``
workflow command in CI, a right-to-left override that shows text reversed, or (in a name
that is not UTF-8, read with Python's surrogate escapes) a lone surrogate that no UTF-8
writer accepts.

* :func:`printable` is for human-readable output (text, GitHub annotations, the CLI's
  messages, reports): such characters become visible escapes, ``\\x1b``, ``\\u202e``, and a
  byte of a name that is not UTF-8 becomes ``\\xff``.
* :func:`display_path` is :func:`printable` for a file name at the start of a line: a
  leading ``::`` is escaped too, so no name starts a workflow command.
* :func:`encodable_json` is for machine formats (JSON, SARIF, GitLab), which keep every
  value exact: only lone surrogates, which cannot be written as UTF-8, become ``\\xff``.
  :func:`encodable_values` does the same to the strings of a document for YAML.
* :func:`uri_path` percent-encodes a path for a URI reference (SARIF ``uri``).
"""

from __future__ import annotations

import re
from typing import Any

_SURROGATE = "\ud800-\udfff"
# C0 and DEL, C1, the bidirectional controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), the
# Unicode line and paragraph separators, the byte order mark, lone surrogates
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    f"\u2028\u2029\ufeff{_SURROGATE}]"
)
_LONE_SURROGATE = re.compile(f"[{_SURROGATE}]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# a workflow command: "::" at the start of a line, after any blanks (the runner trims them)
_WORKFLOW_COMMAND = re.compile(r"^(\s*):(?=:)")


def escape_char(ch: str) -> str:
    """The visible escape of one character: ``\\x1b``, ``\\u202e``; ``\\xff`` for the
    surrogate escape of byte 0xff (how Python decodes a name that is not UTF-8)."""
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _escape(m: re.Match[str]) -> str:
    return escape_char(m.group())


def printable(text: object) -> str:
    """``text`` with control, bidirectional and line-separator characters and lone
    surrogates written as escapes: one line, shown as written, encodable as UTF-8."""
    return _UNSAFE.sub(_escape, str(text))


def display_path(path: object) -> str:
    """A file name for the start of an output line: :func:`printable`, and a leading
    ``::`` escaped so that CI does not read the line as a workflow command."""
    return _WORKFLOW_COMMAND.sub(r"\1\\x3a", printable(path))


def encodable_json(text: str) -> str:
    """A JSON text (from ``json.dumps(..., ensure_ascii=False)``) with each lone surrogate
    in its strings replaced by the JSON for ``\\xff``: valid UTF-8, valid JSON (a surrogate
    only occurs inside a string, and the escape's backslash is doubled there)."""
    return _LONE_SURROGATE.sub(lambda m: "\\" + escape_char(m.group()), text)


def encodable_values(value: Any) -> Any:
    """A JSON-like document (dicts, lists, strings, numbers) with each lone surrogate in
    its strings and keys written as an escape, everything else exact: for writers other
    than JSON (YAML)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub(_escape, value)
    if isinstance(value, dict):
        return {encodable_values(k): encodable_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable_values(v) for v in value]
    return value


def has_bidi(text: str) -> bool:
    """Whether ``text`` holds a bidirectional control (shown reversed by some viewers)."""
    return _BIDI.search(text) is not None


def uri_path(path: str) -> str:
    """A file path as a relative URI reference (RFC 3986): backslashes as slashes, every
    octet outside the unreserved set and ``/`` percent-encoded. A name that is not UTF-8
    is encoded by its original bytes (``\\udcff`` → ``%FF``)."""
    from urllib.parse import quote  # only SARIF needs it: not at start-up

    path = path.replace("\\", "/")
    # surrogates that are not surrogate escapes of a byte cannot be encoded: as text
    path = re.sub("[\ud800-\udc7f\udd00-\udfff]", _escape, path)
    return quote(path.encode("utf-8", "surrogateescape"), safe="/")
