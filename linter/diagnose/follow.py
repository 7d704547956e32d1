"""``mtalint diagnose --follow``: read a growing log as it is written.

The log is read from its current end (as ``tail -F -n 0`` does; diagnose the file once
without --follow for its past), line by line with the same bounds as a whole file (a
line is cut at :data:`sources.MAX_LINE` bytes, and a line still being written is held
only up to that size). Every :data:`POLL` seconds without new data the path is looked
at again: when it names another file (logrotate moved it and created a new one) or the
file got shorter (``copytruncate``), reading starts over at the start of what the path
now names. Standard input ("-") is read until its end. What is remembered is bounded
by the tracker and the grouper, as for a whole file.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import BinaryIO, TextIO

from linter.diagnose import Diagnoser, Diagnosis, Window, sources
from linter.diagnose.incidents import Incident
from linter.diagnose.render import incident_json_line, incident_lines

POLL = 0.5  # seconds between looks at a log that has no new data


class FollowError(Exception):
    """The path cannot be followed (missing, a folder, compressed)."""


def _open(name: str) -> BinaryIO:
    try:
        stream = open(name, "rb")  # noqa: SIM115 - kept open while following
    except OSError as exc:
        raise FollowError(f"{name}: cannot open: {exc.strerror or exc}") from None
    if not os.path.isfile(name):
        stream.close()
        raise FollowError(f"{name}: --follow reads a regular file or standard input")
    if stream.read(2) == sources.GZIP_MAGIC:
        stream.close()
        raise FollowError(f"{name}: compressed; --follow reads the log being written")
    return stream


def follow_lines(
    name: str,
    stats: sources.InputStats,
    stopped: Callable[[], bool],
    poll: float = POLL,
    from_start: bool = False,
) -> Iterator[sources.Line]:
    """The lines appended to NAME (or all of standard input) until STOPPED() is true."""
    if name == "-":
        yield from sources.read_lines(sys.stdin.buffer, stats)
        return
    stream = _open(name)
    stream.seek(0, os.SEEK_SET if from_start else os.SEEK_END)
    pending = b""  # the start of a line not finished yet (at most MAX_LINE bytes)
    cutting = False  # skipping the rest of an over-long line
    number = 0
    try:
        while not stopped():
            chunk = stream.readline(sources.MAX_LINE + 1)
            if chunk:
                if not chunk.endswith(b"\n"):
                    if not cutting:
                        pending += chunk
                        if len(pending) > sources.MAX_LINE:
                            pending = pending[: sources.MAX_LINE]
                            cutting = True
                            stats.truncated_lines += 1
                    continue
                if cutting:
                    line, truncated = pending, True
                else:
                    line, truncated = pending + chunk, False
                pending, cutting = b"", False
                number += 1
                if b"\0" in line:
                    stats.binary_lines += 1
                    continue
                stats.lines += 1
                text = line[: sources.MAX_LINE].rstrip(b"\r\n").decode("utf-8", "replace")
                yield sources.Line(stats.source, number, text, truncated)
                continue
            if _replaced(name, stream):
                stream.close()
                stream = _reopen(name, stream)
                pending, cutting, number = b"", False, 0
                continue
            time.sleep(poll)
    finally:
        stream.close()


def _replaced(name: str, stream: BinaryIO) -> bool:
    """Whether NAME now names another file, or the file was truncated."""
    try:
        now = os.stat(name)
    except OSError:
        return False  # moved away and not created again yet: keep waiting
    mine = os.fstat(stream.fileno())
    return (now.st_ino, now.st_dev) != (mine.st_ino, mine.st_dev) or now.st_size < stream.tell()


def _reopen(name: str, old: BinaryIO) -> BinaryIO:
    try:
        stream = _open(name)
    except FollowError:
        return open(os.devnull, "rb")  # noqa: SIM115 - looked at again on the next poll
    stream.seek(0)
    return stream


def run_follow(
    name: str,
    window: Window | None,
    fmt: str,
    out: TextIO,
    poll: float = POLL,
    now: datetime | None = None,
) -> Diagnosis:
    """Follow NAME, writing each incident to OUT when its first failure is read, until
    standard input ends, or SIGINT or SIGTERM; then the diagnosis so far."""
    opened = 0

    def show(incident: Incident) -> None:
        nonlocal opened
        opened += 1
        if fmt == "json":
            out.write(incident_json_line(incident))
        else:
            out.write("\n".join(incident_lines(opened, incident)) + "\n\n")
        out.flush()

    diagnoser = Diagnoser(window, now, on_open=show)
    stats = sources.InputStats(sources.display_name(name))
    diagnoser.result.inputs.append(stats)
    stop = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    previous = signal.signal(signal.SIGTERM, request_stop)
    try:
        for line in follow_lines(name, stats, lambda: stop, poll):
            diagnoser.read_line(line, stats)
    except KeyboardInterrupt:
        pass  # SIGINT: the usual way to end following
    finally:
        signal.signal(signal.SIGTERM, previous)
    return diagnoser.finish()
