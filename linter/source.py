"""Source files and positions.

Every node the parsers produce carries a :class:`Span`; every finding points at one.
Lines and columns are 1-based, end positions are inclusive of the last character's
line and exclusive of its column (like SARIF regions).
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
READ_CHUNK = 1024 * 1024


class InputError(Exception):
    """A file mtalint cannot read as text. Becomes a finding, never a traceback."""

    def __init__(self, path: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Span:
    path: str
    line: int
    column: int = 1
    end_line: int | None = None
    end_column: int | None = None

    def to_dict(self) -> dict[str, int | str]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line if self.end_line is not None else self.line,
            "end_column": self.end_column if self.end_column is not None else self.column,
        }


@dataclass(slots=True)
class SourceFile:
    path: str
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def decode(path: str, data: bytes, lone_cr_ends_line: bool = True) -> str:
    """Decode config bytes the way an admin would expect: UTF-8 (BOM allowed).

    A CR before a LF is dropped; a lone CR ends a line too, unless ``lone_cr_ends_line``
    is false (Postfix reads it as whitespace inside the line: a file with CR line ends is
    one long line to postconf).

    UTF-16 with a BOM is accepted too (Windows exports). Anything else that is not valid
    UTF-8, or holds NUL bytes, is reported with the position of the first bad byte.
    """
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputError(path, f"invalid UTF-16 text: {exc.reason}") from None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    nul = data.find(b"\x00")
    if nul != -1:
        line, col = _position(data, nul)
        raise InputError(path, "binary file: NUL byte found, not a text configuration", line, col)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _position(data, exc.start)
        raise InputError(
            path,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8",
            line,
            col,
        ) from None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if lone_cr_ends_line:
            text = text.replace("\r", "\n")
    return text


def _position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    return line, offset - start + 1


def _too_large(size: int, max_bytes: int) -> str:
    return (
        f"file is {size} bytes or more, over the limit of {max_bytes} bytes "
        "(raise it with --max-file-size)"
    )


def read_limited(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The file's bytes, or an InputError naming it: too large, or unreadable."""
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                # a FIFO or a device (a link to /dev/zero) would never end
                raise InputError(display, "not a regular file; not read")
            if info.st_size > max_bytes:
                raise InputError(display, _too_large(info.st_size, max_bytes))
            # read no more than the limit, whatever the size said (a growing file), and
            # in chunks: read(limit) would allocate the whole limit up front
            chunks = []
            total = 0
            while total <= max_bytes:
                chunk = handle.read(min(READ_CHUNK, max_bytes + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        if total > max_bytes:
            raise InputError(display, _too_large(total, max_bytes))
        return b"".join(chunks)
    except InputError:
        raise
    except OSError as exc:
        raise InputError(display, f"cannot read file: {exc.strerror or exc}") from None


def read_source(
    path: Path,
    display: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    lone_cr_ends_line: bool = True,
) -> SourceFile:
    name = display or str(path)
    return SourceFile(name, decode(name, read_limited(path, name, max_bytes), lone_cr_ends_line))
