"""Writing the files mtalint produces (reports, baselines, rule pages, its cache).

One function, :func:`write_atomically`, used by every writer, so that what the user
names with ``-o`` or ``--write-baseline`` is written and nothing else is changed:

- a regular file (or a new name) is written through a temporary file beside it and a
  rename, so a reader never sees half a report; the old file's mode is kept, a new file
  gets the umask's mode (0666 less the umask), as a shell redirection would;
- a character device (``/dev/null``), a FIFO and ``/dev/stdout``/``/dev/stderr`` are
  written through, never replaced: as root, a rename over ``/dev/null`` would put a
  regular file in place of the system's device node (a FIFO no process reads is an
  error, not a wait without end);
- a symbolic link is followed and its target written; the link itself stays;
- a folder, a block device or a socket is refused;
- a file being checked is refused (``--format sarif -o main.cf`` would replace the
  configuration with the report).

Text is written as UTF-8; a file name read from the disk that is not UTF-8 (held as
surrogates by Python) is written escaped instead of failing the run.

The commands print through the rest: :func:`emit` (a report to stdout or, through
:func:`write_atomically`, to ``-o FILE``), :func:`say` (a line on stderr),
:func:`colour_wanted`, :func:`serialise` (``mtalint parse``'s JSON or YAML) and
:func:`stdout_closed` (the reader went away).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn


class OutputError(Exception):
    """The output cannot or must not be written; the message says why."""


# written through to the stream the process already has, whatever the name resolves to
_STANDARD_STREAMS = {"/dev/stdout": 1, "/dev/stderr": 2, "/dev/fd/1": 1, "/dev/fd/2": 2}


def encode(text: str) -> bytes:
    """UTF-8, with what cannot be encoded (surrogates from non-UTF-8 file names) escaped."""
    return text.encode("utf-8", errors="backslashreplace")


def shown(path: str | os.PathLike[str]) -> str:
    """A path as it can be printed: control characters and undecodable bytes as \\xNN."""
    from linter.textsafe import printable

    return printable(os.fspath(path))


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def write_atomically(
    path: Path, data: str | bytes, protected: Iterable[str | os.PathLike[str]] = ()
) -> Path:
    """Write ``data`` to ``path`` as described in the module's docstring.

    ``protected`` are files that must not be written (the inputs of the run). Returns
    the file written (a link's target). Raises OutputError for a target that is
    refused, OSError when the system refuses.
    """
    payload = encode(data) if isinstance(data, str) else data
    fd = _STANDARD_STREAMS.get(os.path.normpath(os.fspath(path)))
    if fd is not None:
        stream = sys.stdout if fd == 1 else sys.stderr
        stream.flush()
        _write_all(fd, payload)
        return path
    try:
        info: os.stat_result | None = os.stat(path)  # through links
    except FileNotFoundError:
        info = None  # a new name, or a link to a name still to be made
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        # opened by the name given: a link to /proc/self/fd/1 has no usable real path
        _write_through(path, payload)
        return path
    # the file a symbolic link (or a chain of them, or a linked folder) leads to
    target = Path(os.path.realpath(path))
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    if info is not None:
        _refuse_protected(path, info, protected)
        if stat.S_ISDIR(info.st_mode):
            raise OutputError(f"{shown(path)} is a folder")
        if not stat.S_ISREG(info.st_mode):
            raise OutputError(f"{shown(path)} is not a regular file, a FIFO or a character device")
    _replace(target, payload, info)
    return target


def _refuse_protected(
    path: Path, info: os.stat_result, protected: Iterable[str | os.PathLike[str]]
) -> None:
    for name in protected:
        try:
            other = os.stat(name)
        except OSError:
            continue
        if _same_file(info, other) and stat.S_ISREG(info.st_mode):
            raise OutputError(
                f"refusing to write over {shown(path)}: this run reads it"
                + (f" as {shown(name)}" if os.fspath(name) != os.fspath(path) else "")
                + " (a file being checked, the configuration or the baseline)"
            )


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _write_through(target: Path, payload: bytes) -> None:
    """A device or FIFO: open it for writing as it is (no create, no truncate).

    The open does not wait: a FIFO no process reads would hang the run for good.
    """
    flags = os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"no process is reading the FIFO {shown(target)}") from None
        raise
    try:
        info = os.fstat(fd)
        # what was opened must still be what was checked (not swapped for a file since)
        if not (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
            raise OutputError(f"{shown(target)} changed while being opened")
        os.set_blocking(fd, True)  # then the reader sets the pace
        _write_all(fd, payload)
    finally:
        os.close(fd)


def _replace(target: Path, payload: bytes, old: os.stat_result | None) -> None:
    """A regular file: a temporary file in the same folder, renamed over the target."""
    folder = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        # short and fixed in length, so any name the file system allows for the target works
        tmp = folder / f".mtalint-{os.urandom(6).hex()}.tmp"
        try:
            # 0666 less the umask, as for a new file made by a shell redirection
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - 100 collisions of 48 random bits
        raise OutputError(f"cannot create a temporary file in {shown(folder)}")
    try:
        try:
            if old is not None:
                if (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                    # root writing another user's report keeps it theirs
                    with contextlib.suppress(OSError):
                        os.fchown(fd, old.st_uid, old.st_gid)
                os.fchmod(fd, stat.S_IMODE(old.st_mode))  # after fchown, which clears set-id bits
            _write_all(fd, payload)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def say(message: str) -> None:
    """One line for the user on stderr (notes, progress, what was written)."""
    import click

    click.echo(message, err=True)


def colour_wanted(option: bool | None, to_file: bool) -> bool:
    """--color/--no-color first, then NO_COLOR and FORCE_COLOR (no-color.org,
    force-color.org: set and not empty), then whether stdout is a terminal."""
    if option is not None:
        return option
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return not to_file
    return not to_file and sys.stdout.isatty()


def emit(
    text: str,
    output: Path | None,
    colour: bool | None = None,
    protected: tuple[Path, ...] = (),
    announce: bool = True,
) -> None:
    """The report to stdout, or to ``output`` (written atomically, saying so on stderr).

    Raises :class:`linter.settings.CommandError` when ``output`` cannot be written."""
    import click

    from linter.settings import CommandError

    if output is None:
        # bytes: a non-UTF-8 file name in the report is escaped, never an encoding error
        click.echo(encode(text), nl=False, color=colour)
        return
    try:
        written = write_atomically(output, text, protected)
    except OutputError as exc:
        raise CommandError(str(exc)) from None
    except OSError as exc:
        raise CommandError(f"cannot write {shown(output)}: {exc.strerror or exc}") from None
    if announce:
        if output.is_symlink() and written != output:
            say(f"mtalint: wrote {shown(written)} (through the link {shown(output)})")
        else:
            say(f"mtalint: wrote {shown(output)}")


# the formats ``mtalint parse`` prints the model in
DATA_FORMATS = ("json", "yaml")


def serialise(doc: object, fmt: str) -> str:
    """``doc`` (JSON-like data) as JSON or YAML text that any terminal shows as it is."""
    import json

    from linter.textsafe import encodable_json, encodable_values, has_bidi

    if fmt == "json":
        return encodable_json(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    import yaml

    doc = encodable_values(doc)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    # YAML escapes control characters but writes bidi controls as they are: then every
    # non-ASCII character as an escape
    if has_bidi(text):
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=False)
    return text


def stdout_closed() -> NoReturn:
    """The reader of our output went away (``mtalint rules | head -1``): stop quietly,
    with the status of a process ended by SIGPIPE. Output still buffered would raise
    again when Python flushes stdout at exit: it goes to /dev/null instead."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(128 + 13)
