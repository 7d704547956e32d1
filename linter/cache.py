"""A private, per-user cache for work that is the same on every run.

Lives in ``$XDG_CACHE_HOME/mtalint`` (default ``~/.cache/mtalint``), created mode 0700.
Used only when that folder belongs to the current user and no one else can write to
it, because the Lark parser cache is a pickle. Every failure just means "no cache".
"""

from __future__ import annotations

import os
import stat
from functools import cache
from pathlib import Path


@cache
def cache_dir() -> Path | None:
    if os.environ.get("MTALINT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = Path(base) / "mtalint"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def save(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with linter.output.write_atomically; a failure just
    means no cache."""
    from linter.output import OutputError
    from linter.output import write_atomically as write

    try:
        write(path, data)
    except (OSError, OutputError):
        return
