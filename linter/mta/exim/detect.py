"""Which files are Exim's: its configuration's names (``exim.conf``, ``exim4.conf``,
``exim4.conf.template``, an Exim ``configure``), Debian's split ``conf.d`` folder, and, by
content, a section, a named list or a main option no other MTA has."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from linter.source import InputError, read_head

if TYPE_CHECKING:
    from linter.mta import Options

FILE_NAMES = {"exim.conf": "exim", "exim4.conf": "exim", "exim4.conf.template": "exim"}
# --define's key in Options.flags
DEFINES_FIELD = "exim_defines"
# Exim's build-time name for its configuration, which autoconf's script has too
GENERIC_NAMES = {"configure": "an Exim configuration"}

# Debian's split configuration: conf.d/{main,acl,router,...}/, read in this order
SPLIT_ORDER = ("main", "acl", "router", "transport", "retry", "rewrite", "auth")
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9_-]+$")

# Exim's build-time name for its run-time configuration: only when it reads like one
_SECTIONS = re.compile(
    rb"^[ \t]*begin[ \t]+(?:acls?|routers?|transports?|authenticators?)[ \t]*\r?$",
    re.MULTILINE | re.IGNORECASE,
)
# Exim's named lists and the dot-directives of its macro processor
_LISTS = re.compile(
    rb"^[ \t]*(?:domainlist|hostlist|addresslist|localpartlist)[ \t]+\w+[ \t]*=|"
    rb"^\.(?:include|include_if_exists|ifdef|ifndef)[ \t]",
    re.MULTILINE,
)


def candidate(name: str) -> bool:
    return name in FILE_NAMES or name in GENERIC_NAMES


def detect(path: Path) -> str | None:
    """The format of a file by its name (``configure`` only when it reads like Exim's)."""
    if path.name in FILE_NAMES:
        return FILE_NAMES[path.name]
    if path.name == "configure":
        head = read_head(path, 1024 * 1024)
        if head is not None and _SECTIONS.search(head) is not None:
            return "exim"
    return None


def sniff(path: Path, head: bytes) -> str | None:
    """``exim`` when the head holds a section or a named list."""
    return "exim" if _SECTIONS.search(head) or _LISTS.search(head) else None


def main_options() -> frozenset[str]:
    """The main options (evidence of Exim when no other MTA has the name)."""
    from linter.mta.exim.options import OPTIONS

    return frozenset(OPTIONS["main"])


def is_split(path: Path) -> bool:
    """A Debian ``conf.d`` folder holding Exim's split configuration."""
    if path.name != "conf.d":
        return False
    present = [d for d in SPLIT_ORDER if (path / d).is_dir()]
    return "main" in present and len(present) >= 2


def folder_format(path: Path) -> str | None:
    return "exim-split" if is_split(path) else None


def split_folder_of(path: Path) -> Path | None:
    """The conf.d a file of Debian's split configuration belongs to."""
    split = path.parent.parent
    return split if path.parent.name in SPLIT_ORDER and is_split(split) else None


def display_path(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def split_files(folder: Path) -> list[Path]:
    """The files of a Debian ``conf.d`` folder in update-exim4.conf's order."""
    out: list[Path] = []
    for section in SPLIT_ORDER:
        sub = folder / section
        if not sub.is_dir():
            continue
        try:
            # every entry but a folder: a FIFO or an unreadable file is then reported
            # when it is opened, not skipped in silence
            names = sorted(p.name for p in sub.iterdir() if not p.is_dir())
        except OSError as exc:
            raise InputError(
                display_path(sub), f"cannot read folder ({exc.strerror or exc}); not checked"
            ) from None
        for name in names:
            base = name[:-4] if name.endswith(".rul") else name
            if not _SPLIT_NAME.match(base):
                continue
            if not name.endswith(".rul") and f"{name}.rul" in names:
                continue  # foo.rul is used instead of foo
            out.append(sub / name)
    return out


def parse_defines(values: tuple[str, ...]) -> dict[str, str]:
    """``--define NAME=VALUE`` (Exim's ``-D``): NAME alone defines an empty macro."""
    out: dict[str, str] = {}
    for item in values:
        name, _, value = item.partition("=")
        name = name.strip()
        if not name or not ("A" <= name[0] <= "Z") or not name.replace("_", "").isalnum():
            raise ValueError(
                f"invalid --define {item!r}: use NAME=VALUE, NAME starting with an "
                "upper-case letter (letters, digits, underscores)"
            )
        out[name] = value.strip()
    return out


def defines_in(options: Options) -> dict[str, str]:
    """The macros --define gives a run (none when it gives none)."""
    given = options.flags.get(DEFINES_FIELD, {})
    if not isinstance(given, dict):
        raise TypeError(f"Options.flags[{DEFINES_FIELD!r}] is {given!r}, not parsed macros")
    return given
