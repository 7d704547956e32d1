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
from typing import BinaryIO

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


def shown(path: Path) -> str:
    """A path as messages show it: relative to the current folder when below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


# Every configuration file is opened through open_regular: a file named in a hostile
# repository may be a link to a secret, a FIFO that never ends, or be swapped for one
# between the folder walk and the read.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, for messages."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def confined_target(path: Path, display: str, root: Path) -> Path:
    """The real path of ``path`` (links resolved), or an InputError when it lies outside
    ``root`` (a link out of the tree) or cannot be resolved (a link loop)."""
    try:
        real = Path(os.path.realpath(path, strict=True))
        inside = real.is_relative_to(os.path.realpath(root))
    except RuntimeError:  # a link loop, on Pythons that raise it here
        raise InputError(display, "a symbolic link loop; not read") from None
    except OSError as exc:
        raise InputError(display, _os_problem(exc)) from None
    if not inside:
        raise InputError(display, outside(root))
    return real


def outside(root: Path, what: str = "file") -> str:
    """The message for a link that leads out of its confinement root."""
    where = shown(root)
    return f"a link to a {what} outside {'the current folder' if where == '.' else where}; not read"


def _os_problem(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ELOOP:
        return "a symbolic link loop; not read"
    return f"cannot read file: {exc.strerror or exc}"


def open_regular(path: Path, display: str, root: Path | None = None) -> BinaryIO:
    """``path`` opened for reading in binary, or an InputError that says why not.

    Never blocks (a FIFO, a socket or a device is refused, not read). With ``root`` (the
    confinement root, see linter.discover) the file must lie inside that folder once
    every link is resolved, and the file that is opened is the one checked: the last
    step is opened with O_NOFOLLOW and the descriptor's own path is checked again, so a
    link swapped in after the check is not followed out of the tree either.
    """
    target = path if root is None else confined_target(path, display, root)
    flags = os.O_RDONLY | _NONBLOCK | _CLOEXEC | (_NOFOLLOW if root is not None else 0)
    try:
        fd = os.open(target, flags)
    except OSError as exc:
        raise InputError(display, _os_problem(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            # a FIFO or a device (a link to /dev/zero) would never end
            raise InputError(display, f"not a regular file ({file_kind(info.st_mode)}); not read")
        if root is not None and not _descriptor_inside(fd, info, target, root):
            raise InputError(display, outside(root))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _descriptor_inside(fd: int, info: os.stat_result, target: Path, root: Path) -> bool:
    """Whether the open descriptor really is a file inside ``root`` (a folder on the
    way may have been swapped for a link since ``target`` was resolved)."""
    try:
        actual = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        actual = None
    if actual is not None and actual.startswith("/"):
        return Path(actual).is_relative_to(os.path.realpath(root))
    # no /proc: the descriptor must be the very file the resolved path names now
    try:
        now = os.lstat(target)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (info.st_dev, info.st_ino)


def read_head(path: Path, limit: int, root: Path | None = None) -> bytes | None:
    """The first ``limit`` bytes of a regular file, for content detection; None when it
    cannot be read (not regular, outside ``root``, unreadable)."""
    try:
        with open_regular(path, str(path), root) as handle:
            return handle.read(limit)
    except (InputError, OSError):
        return None


def read_limited(
    path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES, root: Path | None = None
) -> bytes:
    """The file's bytes, or an InputError naming it: too large, or unreadable.

    ``root``: the confinement root the file must lie in (see :func:`open_regular`)."""
    try:
        with open_regular(path, display, root) as handle:
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
    root: Path | None = None,
) -> SourceFile:
    name = display or str(path)
    data = read_limited(path, name, max_bytes, root)
    return SourceFile(name, decode(name, data, lone_cr_ends_line))
