"""The configuration beside a log: what ``mtalint diagnose`` joins when no --config is given.

A log is often copied off a server together with the configuration that wrote it
(``case/mail.log`` beside ``case/main.cf``, ``case/postfix/`` or ``case/etc/postfix/``;
``case/logs/mail.log`` beside ``case/postfix/``). Only these places are looked at, for
the first log named by a path (standard input has no folder):

* the log's own folder: a file there whose name and head say it is a configuration of
  an MTA whose incidents can be joined (main.cf, exim4.conf, sendmail.mc, an
  hMailServer export), as ``mtalint check`` recognises files (linter.discover);
* a folder named like a configuration tree (:data:`TREE_NAMES`; under ``etc/`` also
  ``mail``) in the log's folder or in its parent, holding such a file directly or being one
  configuration itself (Debian's Exim conf.d).

Nothing else is read: no walk through the tree, no link followed (a folder or file that
is a link is passed over), at most :data:`MAX_ENTRIES` names of a folder looked at.
Which configuration was joined, and that it was found beside the log, is said in the
output; --config names another.
"""

from __future__ import annotations

import os
from pathlib import Path

from linter.discover import _folder_format, _is_candidate, _probe, detect_format
from linter.mta.registry import formats

# folders whose name says they hold a mail server's configuration; "mail" only under
# etc/ (sendmail's /etc/mail), as /var/mail holds mailboxes, which are never opened
TREE_NAMES = ("postfix", "exim4", "exim", "sendmail", "hmailserver")
ETC_TREE_NAMES = (*TREE_NAMES, "mail")
MAX_ENTRIES = 1000  # names looked at in one folder (a log folder can be large)
JOINABLE = ("postfix", "exim", "sendmail", "hmailserver")


def _mta_of(fmt: str | None) -> str | None:
    mta = formats().get(fmt or "")
    return mta if mta in JOINABLE else None


def _config_file_in(folder: Path) -> Path | None:
    """The first file directly in FOLDER that is a joinable MTA's configuration."""
    try:
        entries = os.scandir(folder)
    except OSError:
        return None
    names: list[str] = []
    with entries:
        for entry in entries:
            if len(names) >= MAX_ENTRIES:
                break
            try:
                if entry.is_file(follow_symlinks=False):
                    names.append(entry.name)
            except OSError:
                continue
    for name in sorted(names):
        path = folder / name
        if not _is_candidate(path, None) or _probe(path, folder) is not None:
            continue
        if _mta_of(detect_format(path)) is not None:
            return path
    return None


def _tree(folder: Path) -> Path | None:
    """FOLDER when it is a real folder (no link) holding a joinable configuration."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    if _mta_of(_folder_format(folder)) is not None:
        return folder
    return folder if _config_file_in(folder) is not None else None


def config_beside(inputs: list[str]) -> Path | None:
    """The configuration beside the first log of INPUTS named by a path, or None."""
    log = next((Path(name) for name in inputs if name != "-"), None)
    if log is None or not log.is_file():
        return None
    here = Path(os.path.abspath(log)).parent
    found = _config_file_in(here)
    if found is not None:
        return found
    for base in (here, here.parent):
        folders = [base / name for name in TREE_NAMES]
        if not (base / "etc").is_symlink():
            folders += [base / "etc" / name for name in ETC_TREE_NAMES]
        for folder in folders:
            tree = _tree(folder)
            if tree is not None:
                return tree
    return None
