"""Paths → config sets: which files are which format, and which belong together.

A Postfix ``main.cf`` and ``master.cf`` in one folder form one set; when only one of
them is named (a pre-commit hook passes just the changed files) its sibling joins the
set, because neither file means much without the other.

The repository being checked may be hostile (a CI job runs as root on someone else's
branch). Every path named on the command line has a confinement root
(:func:`confinement_root`); no file outside it is read, whatever links say, and every
file is opened without blocking (a FIFO is reported, not waited on). What cannot be read
(a link out, a FIFO, an unreadable file or folder, a link loop) is a problem line, and
problems make the run exit 2: a folder that was not read may hold the open relay.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from linter.mta.registry import MtaSpec, formats, registry
from linter.source import InputError, file_kind, open_regular, outside, read_head, shown

SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", ".tox"}

# Content detection of a file named on the command line whose name says nothing: only
# this much of its head is read (a configuration states what it is early on)
SNIFF_BYTES = 64 * 1024
_ASSIGNMENT = re.compile(rb"^([a-z][a-z0-9_]*)[ \t]*=", re.MULTILINE)


def _spec_of(fmt: str) -> MtaSpec:
    mta = formats()[fmt]
    return next(s for s in registry() if s.name == mta)


def sniff_format(path: Path, root: Path | None = None) -> str | None:
    """The format of a file whose name says nothing, when its head says so without doubt.

    Reads at most SNIFF_BYTES. Each MTA collects evidence only it would write (a
    setting name no other MTA has, a section, a service line); exactly one format with
    evidence wins. With none, the MTAs whose exports describe themselves are asked in
    turn; otherwise None (the caller asks for --as).
    """
    head = read_head(path, SNIFF_BYTES, root)
    if head is None or b"\x00" in head:
        return None
    names = {m.group(1).decode() for m in _ASSIGNMENT.finditer(head)}
    specs = registry()
    option_names = {s.name: s.option_names() for s in specs if s.option_names is not None}
    found: set[str] = set()
    for spec in specs:
        sniffed = spec.sniff(path, head) if spec.sniff is not None else None
        if sniffed is not None:
            found.add(sniffed)
        if spec.name in option_names:
            others = set().union(*(v for k, v in option_names.items() if k != spec.name))
            if names & (option_names[spec.name] - others):
                found.add(spec.option_format)
    if len(found) == 1:
        return found.pop()
    if not found:
        for spec in specs:
            recognised = spec.recognise(path) if spec.recognise is not None else None
            if recognised is not None:
                return recognised
    return None


@dataclass
class ConfigFile:
    path: Path
    display: str
    format: str
    # the confinement root: every read of this file (and of what it includes) must stay
    # inside this folder once links are resolved (see confinement_root)
    root: Path | None = None


@dataclass
class ConfigSet:
    mta: str
    root: Path
    display: str
    files: list[ConfigFile] = field(default_factory=list)

    def file(self, fmt: str) -> ConfigFile | None:
        return next((f for f in self.files if f.format == fmt), None)


def detect_format(path: Path, mapping: dict[str, str] | None = None) -> str | None:
    """The format of a file by its name (the ``formats:`` globs first), reading its head
    where the MTA whose name it has must tell its files from others'."""
    name = path.name
    for pattern, fmt in (mapping or {}).items():
        if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(str(path), pattern):
            return fmt
    for spec in registry():
        if spec.file_names.get(name):
            return spec.file_names[name]
    for spec in registry():
        found = spec.detect(path) if spec.candidate(name) else None
        if found is not None:
            return found
    return None


def _display(path: Path) -> str:
    return shown(path)


def _is_candidate(path: Path, mapping: dict[str, str] | None) -> bool:
    """Whether a file of this name could be a configuration (only these are opened)."""
    name = path.name
    if any(
        fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(str(path), pattern)
        for pattern in mapping or {}
    ):
        return True
    return any(name in spec.file_names or spec.candidate(name) for spec in registry())


def _folder_format(path: Path) -> str | None:
    """The format of a folder that is one configuration (Debian's Exim conf.d)."""
    for spec in registry():
        fmt = spec.folder_format(path)
        if fmt is not None:
            return fmt
    return None


def _folder_of(path: Path) -> tuple[Path, str] | None:
    """The folder configuration a file whose name says nothing belongs to, and its format."""
    for spec in registry():
        folder = spec.folder_of(path)
        if folder is not None:
            fmt = spec.folder_format(folder)
            if fmt is not None:
                return folder, fmt
    return None


def _git_top_level(path: Path) -> Path | None:
    """The work tree holding ``path``: the nearest folder above it with a ``.git``."""
    for folder in Path(os.path.abspath(path)).parents:
        if os.path.lexists(folder / ".git"):
            return folder
    return None


def confinement_root(path: Path) -> Path:
    """The folder that no file read for ``path`` (a path named on the command line) may
    leave, once links are resolved.

    A folder that is not itself a link is its own root: what is checked is what lies
    under it. A named file (pre-commit names each changed file), or a folder given as a
    link, is confined to the git work tree that holds it (its sibling main.cf/master.cf,
    its hMailServer exports and its includes may be anywhere in that repository), or to
    its own folder when it is in no work tree. A link whose target stays inside the root
    is followed; one that leads out of it is reported and not read.
    """
    if path.is_dir() and not path.is_symlink():
        return Path(os.path.abspath(path))
    top = _git_top_level(path)
    return top if top is not None else Path(os.path.abspath(path)).parent


def _probe(path: Path, root: Path) -> str | None:
    """Why ``path`` may not be read (a problem line), or None: it is a regular file
    inside ``root`` that this user can open. Opening never blocks."""
    try:
        with open_regular(path, _display(path), root):
            return None
    except InputError as exc:
        return f"{exc.path}: {exc.message}"


def _probe_folder(path: Path, root: Path) -> str | None:
    """Why a folder given as a link may not be walked: it leads out of ``root``."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(os.path.realpath(root)):
        return f"{_display(path)}: {outside(root, 'folder')}"
    return None


def _folder_problems(folder: Path, fmt: str, root: Path) -> list[str]:
    """What cannot be read of a folder configuration: an unreadable part hides settings."""
    try:
        parts = _spec_of(fmt).folder_files(folder)
    except InputError as exc:
        return [f"{exc.path}: {exc.message}"]
    return [problem for problem in (_probe(part, root) for part in parts) if problem]


def _scan(folder: Path) -> list[os.DirEntry[str]]:
    """The entries of a folder, by name (an OSError is the caller's to report)."""
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda e: e.name)


def _folder_problem(folder: Path, exc: OSError) -> str:
    return f"{_display(folder)}: cannot read folder ({exc.strerror or exc}); not checked"


# names that do not make a file a configuration in a folder walk, but that an
# administrator may have given one (my-exim-relay.conf): counted when skipped
_CONFIG_LIKE_SUFFIXES = (".conf", ".cf", ".cfg", ".cnf", ".template")


def generic_name(name: str) -> str | None:
    """What a file of a name an MTA shares with other software (autoconf's "configure")
    would be ("an Exim configuration"), else None: named and not the MTA's, it is
    skipped, not an error."""
    return next((s.generic_names[name] for s in registry() if name in s.generic_names), None)


def discover(
    paths: list[Path],
    mapping: dict[str, str] | None = None,
    named: dict[str, str] | None = None,
    notes: list[str] | None = None,
) -> tuple[list[ConfigSet], list[str]]:
    """Config sets for ``paths``, and a list of problems: paths that are missing,
    unknown, unreadable, not regular files, or links out of their confinement root.

    ``named`` gives the format of files named in ``paths`` (``--as``), by their absolute
    path; a named file whose name says nothing is recognised by its content when that is
    unambiguous. What is worth knowing but no problem (a file recognised by its content,
    files skipped in a folder) is appended to ``notes``.

    A problem makes the run exit 2: a folder that cannot be read may hold the open relay.
    """
    problems: list[str] = []
    notes = notes if notes is not None else []
    skipped: dict[Path, int] = {}
    found: dict[Path, ConfigFile] = {}

    def add(p: Path, fmt: str, root: Path) -> None:
        key = Path(os.path.realpath(p))
        if key not in found:
            found[key] = ConfigFile(p, _display(p), fmt, root)
            if fmt in _spec_of(fmt).folder_formats:
                problems.extend(_folder_problems(p, fmt, root))

    def consider(candidate: Path, root: Path, top: Path | None = None) -> str | None:
        """The format of a file met in a folder, after checking it may be read."""
        if not _is_candidate(candidate, mapping):
            if top is not None and candidate.name.lower().endswith(_CONFIG_LIKE_SUFFIXES):
                skipped[top] = skipped.get(top, 0) + 1
            return None
        problem = _probe(candidate, root)
        if problem is not None:
            problems.append(problem)
            return None
        return detect_format(candidate, mapping)

    def walk(top: Path, root: Path) -> None:
        # iterative, so a tree thousands of folders deep meets no recursion limit
        stack = [top]
        while stack:
            folder = stack.pop()
            try:
                entries = _scan(folder)
            except OSError as exc:
                problems.append(_folder_problem(folder, exc))
                continue
            subfolders = []
            for entry in entries:
                candidate = folder / entry.name
                try:
                    is_folder = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_folder = False
                if is_folder:
                    if entry.name in SKIP_DIRS or entry.name.startswith("."):
                        continue
                    folder_fmt = _folder_format(candidate)
                    if folder_fmt is not None:
                        add(candidate, folder_fmt, root)
                    else:
                        subfolders.append(candidate)
                    continue
                fmt = consider(candidate, root, top)
                if fmt is not None:
                    add(candidate, fmt, root)
            stack.extend(reversed(subfolders))

    for path in paths:
        try:
            mode = os.stat(path).st_mode
        except OSError as exc:
            if exc.errno == errno.ENOENT and not os.path.lexists(path):
                problems.append(f"{path}: no such file or directory")
            elif exc.errno == errno.ENOENT:
                problems.append(f"{_display(path)}: a link to nothing (dangling); not read")
            elif exc.errno == errno.ELOOP:
                problems.append(f"{_display(path)}: a symbolic link loop; not read")
            else:
                problems.append(f"{_display(path)}: cannot read ({exc.strerror or exc})")
            continue
        root = confinement_root(path)
        if stat.S_ISDIR(mode):
            problem = _probe_folder(path, root) if path.is_symlink() else None
            folder_fmt = _folder_format(path) if problem is None else None
            if problem is not None:
                problems.append(problem)
            elif folder_fmt is not None:
                add(path, folder_fmt, root)
            else:
                walk(path, root)
        elif stat.S_ISREG(mode):
            problem = _probe(path, root)
            if problem is not None:
                problems.append(problem)
                continue
            given = (named or {}).get(os.path.abspath(path))
            fmt = given or detect_format(path, mapping)
            folder = _folder_of(path) if fmt is None else None
            if folder is not None:
                # one file of Debian's split Exim configuration: the whole conf.d is read
                # (confined to it, when it is in no git work tree)
                split, split_fmt = folder
                add(split, split_fmt, _git_top_level(path) or Path(os.path.abspath(split)))
                continue
            generic = generic_name(path.name) if fmt is None else None
            if generic is not None:
                notes.append(f"{_display(path)}: not {generic}; skipped")
                continue
            if fmt is None:
                fmt = sniff_format(path, root)
                if fmt is not None:
                    notes.append(
                        f"{_display(path)}: read as {fmt} (recognised by its content; "
                        f"--as {fmt} says so explicitly)"
                    )
            if fmt is None:
                known = ", ".join(sorted(formats()))
                problems.append(
                    f"{_display(path)}: not a configuration file mtalint recognises by its "
                    f"name or content; say what it is with --as FORMAT ({known}), "
                    "or map its name with 'formats:' in .mtalint.yaml"
                )
                continue
            add(path, fmt, root)
            spec = _spec_of(fmt)
            sibling = spec.siblings.get(fmt)
            if sibling:
                other = path.parent / sibling
                if os.path.lexists(other):
                    problem = _probe(other, root)
                    if problem is not None:
                        problems.append(problem)
                    else:
                        add(other, spec.file_names[sibling], root)
            if spec.folder_set:
                try:
                    entries = _scan(path.parent)
                except OSError as exc:
                    problems.append(_folder_problem(path.parent, exc))
                    entries = []
                for entry in entries:
                    other = path.parent / entry.name
                    if spec.candidate(other.name):
                        other_fmt = consider(other, root)
                        if other_fmt is not None and formats()[other_fmt] == spec.name:
                            add(other, other_fmt, root)
        else:
            problems.append(
                f"{_display(path)}: not a regular file or folder ({file_kind(mode)}); not read"
            )

    for top, count in skipped.items():
        notes.append(
            f"{_display(top)}: {count} file(s) with a configuration-like name not recognised "
            "and skipped (name them on the command line, with --as FORMAT if need be)"
        )
    sets: dict[tuple[str, Path], ConfigSet] = {}
    for cf in found.values():
        spec = _spec_of(cf.format)
        mta = spec.name
        root = cf.path.parent
        key = (mta, Path(os.path.realpath(root)))
        display = _display(root) if str(root) != "" else "."
        if cf.format in spec.standalone:
            key, display = (mta, Path(os.path.realpath(cf.path))), cf.display
        if key not in sets:
            sets[key] = ConfigSet(mta, root, display)
        sets[key].files.append(cf)
    ordered = sorted(sets.values(), key=lambda s: (s.display, s.mta))
    for s in ordered:
        s.files.sort(key=lambda f: f.display)
    return ordered, problems
