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

from linter.mta import FORMATS
from linter.source import InputError, file_kind, open_regular, outside, read_head, shown

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
FOLDER_SETS = {"hmailserver", "exchange", "domino"}
# name endings that may be hMailServer's (linter.mta.hmailserver.detect decides)
_HMAILSERVER_SUFFIXES = (".ini", ".xml", ".json", ".7z")
# name endings that may be Exchange exports or Format-List text (linter.mta.exchange.detect)
_EXCHANGE_SUFFIXES = (".json", ".txt", ".log")
# notes.ini and One-Touch Setup JSON (linter.mta.domino.detect)
_DOMINO_SUFFIXES = (".ini", ".json")
_FOLDER_SUFFIXES = {
    "hmailserver": _HMAILSERVER_SUFFIXES,
    "exchange": _EXCHANGE_SUFFIXES,
    "domino": _DOMINO_SUFFIXES,
}

# Exim's build-time name for its run-time configuration: only when it reads like one
_EXIM_SECTIONS = re.compile(
    rb"^[ \t]*begin[ \t]+(?:acls?|routers?|transports?|authenticators?)[ \t]*\r?$",
    re.MULTILINE | re.IGNORECASE,
)
# Debian's split Exim configuration: conf.d/{main,acl,router,transport,retry,rewrite,auth}/
_EXIM_SPLIT_DIRS = ("main", "acl", "router", "transport", "retry", "rewrite", "auth")


def _looks_like_exim(path: Path) -> bool:
    head = read_head(path, 1024 * 1024)
    return head is not None and _EXIM_SECTIONS.search(head) is not None


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
    head = read_head(path, 65536)
    return head is not None and _MC_CALLS.search(head.decode("latin-1")) is not None


# Content detection of a file named on the command line whose name says nothing: only
# this much of its head is read (a configuration states what it is early on)
SNIFF_BYTES = 64 * 1024
_ASSIGNMENT = re.compile(rb"^([a-z][a-z0-9_]*)[ \t]*=", re.MULTILINE)
# Exim's named lists and the dot-directives of its macro processor
_EXIM_LISTS = re.compile(
    rb"^[ \t]*(?:domainlist|hostlist|addresslist|localpartlist)[ \t]+\w+[ \t]*=|"
    rb"^\.(?:include|include_if_exists|ifdef|ifndef)[ \t]",
    re.MULTILINE,
)
# master.cf: service type private unpriv chroot wakeup maxproc command
_MASTER_SERVICE = re.compile(
    rb"^\S+[ \t]+(?:inet|unix|unix-dgram|fifo|pass)[ \t]+[-yn][ \t]+[-yn][ \t]+[-yn]"
    rb"[ \t]+(?:-|\d+\??)[ \t]+(?:-|\d+)[ \t]+\S",
    re.MULTILINE,
)


def _exim_main_options() -> frozenset[str]:
    from linter.mta.exim.options import OPTIONS

    return frozenset(OPTIONS["main"])


def _postfix_parameters() -> frozenset[str]:
    from linter.mta.postfix.params import BUILTIN_DEFAULTS

    return frozenset(BUILTIN_DEFAULTS)


def sniff_format(path: Path, root: Path | None = None) -> str | None:
    """The format of a file whose name says nothing, when its head says so without doubt.

    Reads at most SNIFF_BYTES. Each candidate MTA collects evidence only it would write
    (an option name the other does not have, a section, a service line); exactly one
    with evidence wins, otherwise None (the caller asks for --as).
    """
    head = read_head(path, SNIFF_BYTES, root)
    if head is None or b"\x00" in head:
        return None
    names = {m.group(1).decode() for m in _ASSIGNMENT.finditer(head)}
    exim_options, postfix_params = _exim_main_options(), _postfix_parameters()
    evidence = {
        "exim": bool(
            _EXIM_SECTIONS.search(head)
            or _EXIM_LISTS.search(head)
            or names & (exim_options - postfix_params)
        ),
        "postfix-main": bool(names & (postfix_params - exim_options)),
        "postfix-master": _MASTER_SERVICE.search(head) is not None,
        "sendmail-mc": _MC_CALLS.search(head.decode("latin-1")) is not None,
    }
    found = [fmt for fmt, seen in evidence.items() if seen]
    if len(found) == 1:
        return found[0]
    if not found:
        from linter.mta.domino.detect import detect_content as domino_content
        from linter.mta.exchange.detect import detect_content as exchange_content
        from linter.mta.hmailserver.detect import detect_content

        return detect_content(path) or exchange_content(path) or domino_content(path)
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

        found = detect(path)
        if found is not None:
            return found
    if name.lower().endswith(_DOMINO_SUFFIXES):
        from linter.mta.domino.detect import detect as detect_domino

        found = detect_domino(path)
        if found is not None:
            return found
    if name.lower().endswith(_EXCHANGE_SUFFIXES):
        from linter.mta.exchange.detect import detect as detect_exchange

        return detect_exchange(path)
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
    return (
        name in KNOWN_NAMES
        or name == "configure"
        or name.endswith(".mc")
        or name.lower().endswith(_HMAILSERVER_SUFFIXES)
        or name.lower().endswith(_EXCHANGE_SUFFIXES)
    )


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


def _split_problems(folder: Path, root: Path) -> list[str]:
    """What cannot be read of a Debian conf.d: an unreadable part hides its settings."""
    from linter.mta.exim import split_files

    try:
        parts = split_files(folder)
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
# "configure" is also autoconf's script: named and not Exim's, it is skipped, not an error
GENERIC_NAMES = {"configure"}

KNOWN_FORMATS_HINT = ", ".join(sorted(FORMATS))


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
            if fmt == "exim-split":
                problems.extend(_split_problems(p, root))

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
                    if is_exim_split(candidate):
                        add(candidate, "exim-split", root)
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
            if problem is not None:
                problems.append(problem)
            elif is_exim_split(path):
                add(path, "exim-split", root)
            else:
                walk(path, root)
        elif stat.S_ISREG(mode):
            problem = _probe(path, root)
            if problem is not None:
                problems.append(problem)
                continue
            given = (named or {}).get(os.path.abspath(path))
            fmt = given or detect_format(path, mapping)
            split = path.parent.parent
            if fmt is None and path.parent.name in _EXIM_SPLIT_DIRS and is_exim_split(split):
                # one file of Debian's split Exim configuration: the whole conf.d is read
                # (confined to it, when it is in no git work tree)
                add(split, "exim-split", _git_top_level(path) or Path(os.path.abspath(split)))
                continue
            if fmt is None and path.name in GENERIC_NAMES:
                notes.append(f"{_display(path)}: not an Exim configuration; skipped")
                continue
            if fmt is None:
                fmt = sniff_format(path, root)
                if fmt is not None:
                    notes.append(
                        f"{_display(path)}: read as {fmt} (recognised by its content; "
                        f"--as {fmt} says so explicitly)"
                    )
            if fmt is None:
                problems.append(
                    f"{_display(path)}: not a configuration file mtalint recognises by its "
                    f"name or content; say what it is with --as FORMAT ({KNOWN_FORMATS_HINT}), "
                    "or map its name with 'formats:' in .mtalint.yaml"
                )
                continue
            add(path, fmt, root)
            sibling = SIBLINGS.get(fmt)
            if sibling:
                other = path.parent / sibling
                if os.path.lexists(other):
                    problem = _probe(other, root)
                    if problem is not None:
                        problems.append(problem)
                    else:
                        add(other, KNOWN_NAMES[sibling], root)
            if FORMATS[fmt] in FOLDER_SETS:
                try:
                    entries = _scan(path.parent)
                except OSError as exc:
                    problems.append(_folder_problem(path.parent, exc))
                    entries = []
                for entry in entries:
                    other = path.parent / entry.name
                    if other.name.lower().endswith(_FOLDER_SUFFIXES[FORMATS[fmt]]):
                        other_fmt = consider(other, root)
                        if other_fmt is not None and FORMATS[other_fmt] == FORMATS[fmt]:
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
        mta = FORMATS[cf.format]
        root = cf.path.parent
        key = (mta, Path(os.path.realpath(root)))
        display = _display(root) if str(root) != "" else "."
        if cf.format in STANDALONE:
            key, display = (mta, Path(os.path.realpath(cf.path))), cf.display
        if key not in sets:
            sets[key] = ConfigSet(mta, root, display)
        sets[key].files.append(cf)
    ordered = sorted(sets.values(), key=lambda s: (s.display, s.mta))
    for s in ordered:
        s.files.sort(key=lambda f: f.display)
    return ordered, problems
