"""Bytes of an export written on Windows → text, with the encodings Windows tools write
(hMailServer's, Exchange's and Domino's inputs share them).

hMailServer writes its backup XML as UTF-16LE with a byte-order mark, Windows
PowerShell 5.1 writes UTF-16LE too (``Out-File``), and editors may drop the mark; so
UTF-16 is recognised with or without it (an ASCII first character then shows as one
zero byte next to a non-zero one). Everything else must be UTF-8, or carry an XML
declaration that names its encoding. A byte sequence that is none of these is an
input error at the position of the first bad byte, never a guess.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from linter.source import InputError, decode, read_head

_XML_ENCODING = re.compile(rb"^<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_UTF8_NAMES = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "unicode"}
# how much of a file content sniffing reads
HEAD_BYTES = 256 * 1024


def utf16_kind(data: bytes) -> str | None:
    """The UTF-16 flavour of ``data`` (by its byte-order mark or its first character)."""
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le-bom"
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be-bom"
    if len(data) >= 2 and (data[0] == 0) != (data[1] == 0):
        return "utf-16-le" if data[1] == 0 else "utf-16-be"
    return None


def _lines(text: str) -> str:
    # the MTA tools strip the CR of CRLF; line numbers then match an editor's
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _position(text: str) -> tuple[int, int]:
    """(line, column) just after ``text``."""
    line = text.count("\n") + 1
    return line, len(text) - (text.rfind("\n") + 1) + 1


def _decode_utf16(display: str, data: bytes, kind: str) -> str:
    codec = "utf-16-le" if kind.startswith("utf-16-le") else "utf-16-be"
    body = data[2:] if kind.endswith("-bom") else data
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as exc:
        before = _lines(body[: exc.start - exc.start % 2].decode(codec, errors="replace"))
        line, column = _position(before)
        reason = "odd number of bytes" if "truncated" in exc.reason else exc.reason
        raise InputError(
            display, f"invalid UTF-16 text ({reason}); re-export the file", line, column
        ) from None
    nul = text.find("\x00")
    if nul != -1:
        line, column = _position(_lines(text[:nul]))
        raise InputError(display, "NUL character in UTF-16 text: not a text export", line, column)
    return _lines(text)


def decode_export(display: str, data: bytes, xml: bool = False) -> str:
    """The text of an export file, or an InputError at the first byte that is wrong."""
    kind = utf16_kind(data)
    if kind is not None:
        return _decode_utf16(display, data, kind)
    if xml and not data.startswith(codecs.BOM_UTF8):
        declared = _XML_ENCODING.match(data)
        name = declared.group(1).decode("ascii").lower() if declared else "utf-8"
        if name not in _UTF8_NAMES:
            try:
                codecs.lookup(name)
            except LookupError:
                raise InputError(
                    display, f"the XML declaration names an unknown encoding {name!r}"
                ) from None
            try:
                return _lines(data.decode(name))
            except UnicodeDecodeError as exc:
                line, column = _position(_lines(data[: exc.start].decode(name, "replace")))
                raise InputError(
                    display, f"not valid {name} text (byte 0x{data[exc.start]:02x})", line, column
                ) from None
    return decode(display, data)


def head_text(path: Path, size: int = HEAD_BYTES) -> str | None:
    """The first ``size`` bytes of ``path`` as text, for content sniffing: UTF-16 (by
    its mark or its first character) or UTF-8, bad bytes replaced; None when unreadable."""
    data = read_head(path, size)  # never blocks on a FIFO
    if data is None:
        return None
    kind = utf16_kind(data)
    if kind is not None:
        codec = "utf-16-le" if kind.startswith("utf-16-le") else "utf-16-be"
        body = data[2:] if kind.endswith("-bom") else data
        return body[: len(body) - len(body) % 2].decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def decode_ini(display: str, data: bytes) -> str:
    """hMailServer.INI: Windows reads a file without a byte-order mark in the ANSI code
    page, so text that is not UTF-8 is read as Windows-1252, as Windows would."""
    kind = utf16_kind(data)
    if kind is not None and kind.endswith("-bom"):
        return _decode_utf16(display, data, kind)
    try:
        return decode(display, data)
    except InputError as exc:
        if "UTF-8" not in exc.message:
            raise
    return _lines(data.decode("cp1252", errors="replace"))
