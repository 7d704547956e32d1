"""Paths → config sets: which files are which format, and which belong together.

A Postfix ``main.cf`` and ``master.cf`` in one folder form one set; when only one of
them is named (a pre-commit hook passes just the changed files) its sibling joins the
set, because neither file means much without the other.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from linter.mta import FORMATS

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"}

# exact base names → format
KNOWN_NAMES = {
    "main.cf": "postfix-main",
    "master.cf": "postfix-master",
    "exim.conf": "exim",
    "exim4.conf": "exim",
    "exim4.conf.template": "exim",
}

SIBLINGS = {"postfix-main": "master.cf", "postfix-master": "main.cf"}

# formats whose every file is a config set of its own (sendmail.mc and submit.mc in one
# folder are two configurations)
STANDALONE = {"sendmail-mc", "exim", "exim-split"}

# MTAs whose files in one folder describe one server: naming one of them reads them all
# (hMailServer.INI says nothing about ports or relaying without the database export)
FOLDER_SETS = {"hmailserver"}
# name endings that may be hMailServer's (linter.mta.hmailserver.detect decides)
_HMAILSERVER_SUFFIXES = (".ini", ".xml", ".json", ".7z")

# Exim's build-time name for its run-time configuration: only when it reads like one
_EXIM_SECTIONS = re.compile(
    rb"^[ \t]*begin[ \t]+(?:acls?|routers?|transports?|authenticators?)[ \t]*\r?$",
    re.MULTILINE | re.IGNORECASE,
)
# Debian's split Exim configuration: conf.d/{main,acl,router,transport,retry,rewrite,auth}/
_EXIM_SPLIT_DIRS = ("main", "acl", "router", "transport", "retry", "rewrite", "auth")


def _looks_like_exim(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024 * 1024)
    except OSError:
        return False
    return _EXIM_SECTIONS.search(head) is not None


def is_exim_split(path: Path) -> bool:
    """A Debian ``conf.d`` folder holding Exim's split configuration."""
    if path.name != "conf.d":
        return False
    present = [d for d in _EXIM_SPLIT_DIRS if (path / d).is_dir()]
    return "main" in present and len(present) >= 2


# sendmail's m4 source: a .mc only counts when it looks like one (cf.m4's macros), so an
# unrelated *.mc file is not misread
_MC_CALLS = re.compile(
    r"\b(?:OSTYPE|DOMAIN|FEATURE|MAILER|DAEMON_OPTIONS|VERSIONID)\(|include\(`[^']*cf\.m4'"
)


def _looks_like_mc(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
    except OSError:
        return False
    return _MC_CALLS.search(head.decode("latin-1")) is not None


@dataclass
class ConfigFile:
    path: Path
    display: str
    format: str


@dataclass
class ConfigSet:
    mta: str
    root: Path
    display: str
    files: list[ConfigFile] = field(default_factory=list)

    def file(self, fmt: str) -> ConfigFile | None:
        return next((f for f in self.files if f.format == fmt), None)


def detect_format(path: Path, mapping: dict[str, str] | None = None) -> str | None:
    name = path.name
    for pattern, fmt in (mapping or {}).items():
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(str(path), pattern):
            return fmt
    if name in KNOWN_NAMES:
        return KNOWN_NAMES[name]
    if name.endswith(".mc") and _looks_like_mc(path):
        return "sendmail-mc"
    if name == "configure" and _looks_like_exim(path):
        return "exim"
    if name.lower().endswith(_HMAILSERVER_SUFFIXES):
        from linter.mta.hmailserver.detect import detect

        return detect(path)
    return None


def _inside(candidate: Path, root: Path) -> bool:
    try:
        return candidate.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def discover(
    paths: list[Path], mapping: dict[str, str] | None = None
) -> tuple[list[ConfigSet], list[str]]:
    """Config sets for ``paths``, and a list of problems (missing or unknown paths)."""
    problems: list[str] = []
    found: dict[Path, ConfigFile] = {}

    def add(p: Path, fmt: str) -> None:
        resolved = p.resolve()
        if resolved not in found:
            found[resolved] = ConfigFile(p, _display(p), fmt)

    for path in paths:
        if path.is_dir() and is_exim_split(path):
            add(path, "exim-split")
        elif path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                )
                for d in list(dirnames):
                    if is_exim_split(Path(dirpath) / d):
                        add(Path(dirpath) / d, "exim-split")
                        dirnames.remove(d)
                for name in sorted(filenames):
                    candidate = Path(dirpath) / name
                    if candidate.is_symlink() and not _inside(candidate, path):
                        # a link out of the tree (to /etc/shadow, to a home directory)
                        # would put that file's content into findings and CI logs
                        problems.append(
                            f"{_display(candidate)}: a link to a file outside "
                            f"{_display(path)}; not read"
                        )
                        continue
                    fmt = detect_format(candidate, mapping)
                    if fmt is not None:
                        add(candidate, fmt)
        elif path.is_file():
            fmt = detect_format(path, mapping)
            split = path.parent.parent
            if fmt is None and path.parent.name in _EXIM_SPLIT_DIRS and is_exim_split(split):
                # one file of Debian's split Exim configuration: the whole conf.d is read
                add(split, "exim-split")
                continue
            if fmt is None:
                problems.append(
                    f"{_display(path)}: not a configuration file mtalint knows "
                    "(map its name to a format with 'formats:' in .mtalint.yaml)"
                )
                continue
            add(path, fmt)
            sibling = SIBLINGS.get(fmt)
            if sibling:
                other = path.parent / sibling
                if other.is_file():
                    add(other, KNOWN_NAMES[sibling])
            if FORMATS[fmt] in FOLDER_SETS:
                for other in sorted(path.parent.iterdir()):
                    other_fmt = detect_format(other, mapping) if other.is_file() else None
                    if other_fmt is not None and FORMATS[other_fmt] == FORMATS[fmt]:
                        add(other, other_fmt)
        elif path.exists():
            problems.append(f"{_display(path)}: not a regular file or folder; not read")
        else:
            problems.append(f"{path}: no such file or directory")

    sets: dict[tuple[str, Path], ConfigSet] = {}
    for cf in found.values():
        mta = FORMATS[cf.format]
        root = cf.path.parent
        key = (mta, root.resolve())
        display = _display(root) if str(root) != "" else "."
        if cf.format in STANDALONE:
            key, display = (mta, cf.path.resolve()), cf.display
        if key not in sets:
            sets[key] = ConfigSet(mta, root, display)
        sets[key].files.append(cf)
    ordered = sorted(sets.values(), key=lambda s: (s.display, s.mta))
    for s in ordered:
        s.files.sort(key=lambda f: f.display)
    return ordered, problems
