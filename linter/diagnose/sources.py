"""Opening what ``mtalint diagnose`` reads: files, rotated ``.gz`` files and standard input,
as a stream of bounded lines.

Nothing here holds a whole file: lines are read one at a time, each cut at
:data:`MAX_LINE` bytes (the rest of an over-long line is skipped, not buffered), and a
file stops being read after :data:`MAX_INPUT_BYTES` decompressed bytes (a small gzip
file can stand for terabytes). Lines holding NUL bytes are binary, not log text, and are
skipped and counted.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

MAX_LINE = 8192  # bytes; Postfix's own log lines stay below 2 KiB (line_length_limit)
MAX_INPUT_BYTES = 4 * 1024**3  # decompressed bytes read from one input
MAX_BOUNCE_BYTES = 10 * 1024 * 1024  # a bounce message is read whole, up to this size
PEEK = 4096
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(slots=True)
class Line:
    source: str  # the input's name as shown
    number: int
    text: str  # decoded (invalid UTF-8 replaced), without the line end
    truncated: bool = False


@dataclass
class InputStats:
    """What reading one input met besides log lines: shown as notes, never a crash."""

    source: str
    lines: int = 0
    known: int = 0  # lines of a known log format (when 0, the input is not a mail log)
    binary_lines: int = 0
    truncated_lines: int = 0
    stopped: str = ""  # why reading stopped early, if it did
    problems: list[str] = field(default_factory=list)


class InputError(Exception):
    """An input that cannot be opened at all (missing, a folder, unreadable)."""


def display_name(name: str) -> str:
    return "(stdin)" if name == "-" else name


def open_binary(name: str) -> BinaryIO:
    """The input's bytes, decompressed when they start with the gzip magic number."""
    if name == "-":
        raw: BinaryIO = sys.stdin.buffer
    else:
        path = Path(name)
        if path.is_dir():
            raise InputError(f"{name}: is a folder; name the log files")
        try:
            raw = path.open("rb")
        except OSError as exc:
            raise InputError(f"{name}: cannot open: {exc.strerror or exc}") from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def peek(stream: BinaryIO, size: int = PEEK) -> bytes:
    """The first bytes of a stream without consuming them."""
    if isinstance(stream, io.BufferedReader):
        return stream.peek(size)[:size]
    if isinstance(stream, gzip.GzipFile):
        return stream.peek(size)[:size]
    return b""


def read_lines(stream: BinaryIO, stats: InputStats) -> Iterator[Line]:
    """The stream's lines, bounded in length, binary ones skipped (counted in STATS)."""
    number = 0
    total = 0
    try:
        while True:
            chunk = stream.readline(MAX_LINE + 1)
            if not chunk:
                return
            number += 1
            total += len(chunk)
            truncated = False
            if len(chunk) > MAX_LINE and not chunk.endswith(b"\n"):
                # an over-long line: keep its start, skip the rest without holding it
                truncated = True
                chunk = chunk[:MAX_LINE]
                while True:
                    rest = stream.readline(65536)
                    total += len(rest)
                    if not rest or rest.endswith(b"\n") or total > MAX_INPUT_BYTES:
                        break
                stats.truncated_lines += 1
            if total > MAX_INPUT_BYTES:
                stats.stopped = f"stopped after {MAX_INPUT_BYTES} bytes (mtalint's input limit)"
                return
            if b"\0" in chunk:
                stats.binary_lines += 1
                continue
            stats.lines += 1
            text = chunk.rstrip(b"\r\n").decode("utf-8", "replace")
            yield Line(stats.source, number, text, truncated)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # a truncated or corrupt .gz (a rotation cut short): keep what was read
        stats.stopped = f"stopped at line {number + 1}: {exc}"


def read_limited(stream: BinaryIO, limit: int = MAX_BOUNCE_BYTES) -> tuple[bytes, bool]:
    """Up to LIMIT bytes of a stream, and whether there was more."""
    try:
        data = stream.read(limit + 1)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile):
        return b"", False
    return data[:limit], len(data) > limit
