"""Paths → config sets: which files are which format, and which belong together.

A Postfix ``main.cf`` and ``master.cf`` in one folder form one set; when only one of
them is named (a pre-commit hook passes just the changed files) its sibling joins the
set, because neither file means much without the other.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from linter.mta import FORMATS

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"}

# exact base names → format
KNOWN_NAMES = {
    "main.cf": "postfix-main",
    "master.cf": "postfix-master",
}

SIBLINGS = {"postfix-main": "master.cf", "postfix-master": "main.cf"}


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
    return None


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
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
                dirnames[:] = sorted(
                    d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")
                )
                for name in sorted(filenames):
                    candidate = Path(dirpath) / name
                    fmt = detect_format(candidate, mapping)
                    if fmt is not None:
                        add(candidate, fmt)
        elif path.is_file():
            fmt = detect_format(path, mapping)
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
        else:
            problems.append(f"{path}: no such file or directory")

    sets: dict[tuple[str, Path], ConfigSet] = {}
    for cf in found.values():
        mta = FORMATS[cf.format]
        root = cf.path.parent
        key = (mta, root.resolve())
        if key not in sets:
            sets[key] = ConfigSet(mta, root, _display(root) if str(root) != "" else ".")
        sets[key].files.append(cf)
    ordered = sorted(sets.values(), key=lambda s: (s.display, s.mta))
    for s in ordered:
        s.files.sort(key=lambda f: f.display)
    return ordered, problems
