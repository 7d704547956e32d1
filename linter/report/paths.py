"""The paths reports show: relative to the project root in the machine formats and
baselines (the same wherever the command runs), as given in text."""

from __future__ import annotations

import os
from pathlib import Path


def project_root(given: Path | None) -> Path:
    """The folder machine-readable paths and baselines are relative to: --project-root,
    else the git work tree holding the current folder, else the current folder."""
    if given is not None:
        return Path(os.path.abspath(given))
    here = Path(os.getcwd())
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return here


def root_relative(display: str, root: str, here: str) -> str:
    """A path as shown (relative to ``here``, or absolute) made relative to ``root``
    with forward slashes; a file outside ``root`` keeps its absolute path."""
    absolute = os.path.normpath(os.path.join(here, display))
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return absolute
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute
    return Path(relative).as_posix()
