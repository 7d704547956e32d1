"""Which files are Domino's, by what their first bytes say.

A ``notes.ini`` (any ``.ini``) is Domino's when it starts with the ``[Notes]`` header and
names Domino's own settings (``Directory``, ``NotesProgram``, ``ServerTasks``,
``KeyFilename``, ``SMTP...``): note-taking programs write files of that name too. A
``.json`` file is a One-Touch Setup file when its head has the OTS top-level
``serverSetup`` object, or an
``appConfiguration`` object together with ``names.nsf``; a JSON file is never taken for
one by its name alone.
"""

from __future__ import annotations

import re
from pathlib import Path

from linter.mta.text import head_text as _head

SUFFIXES = (".ini", ".json")
_SERVER_SETUP = re.compile(r'"serverSetup"\s*:\s*\{')
_APP_CONFIGURATION = re.compile(r'"appConfiguration"\s*:\s*\{')
_NAMES_NSF = re.compile(r'"names\.nsf"', re.IGNORECASE)
_INI_HEADER = re.compile(r"\A(?:\ufeff)?\s*\[Notes\][ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_INI_DOMINO = re.compile(
    r"^[ \t]*(?:ServerTasks|KeyFilename|ServerKeyFileName|Directory|NotesProgram|KitType|SMTP\w*)"
    r"[ \t]*=",
    re.IGNORECASE | re.MULTILINE,
)


def detect(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(SUFFIXES):
        return detect_content(path, json_only=name.endswith(".json"))
    return None


def detect_content(path: Path, json_only: bool = False) -> str | None:
    head = _head(path)
    if head is None:
        return None
    text = head.lstrip("\ufeff").lstrip()
    if text.startswith("{"):
        window = head[:65536]
        if _SERVER_SETUP.search(window) or (
            _APP_CONFIGURATION.search(window) and _NAMES_NSF.search(window)
        ):
            return "domino-ots"
        return None
    if json_only:
        return None
    # a Domino notes.ini starts with [Notes] and names Domino's own settings; other
    # programs' notes.ini files (note-taking apps) do neither
    if _INI_HEADER.search(head[:4096]) and _INI_DOMINO.search(head):
        return "notes-ini"
    return None
