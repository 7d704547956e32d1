"""Which files are Postfix's: ``main.cf`` and ``master.cf`` by name; by content, a
master.cf service line or a main.cf parameter no other MTA has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.mta import Options

FILE_NAMES = {"main.cf": "postfix-main", "master.cf": "postfix-master"}
# --postfix-version's key in Options.flags, as in .mtalint.yaml and a rule test case
VERSION_FIELD = "postfix_version"

# master.cf: service type private unpriv chroot wakeup maxproc command
_MASTER_SERVICE = re.compile(
    rb"^\S+[ \t]+(?:inet|unix|unix-dgram|fifo|pass)[ \t]+[-yn][ \t]+[-yn][ \t]+[-yn]"
    rb"[ \t]+(?:-|\d+\??)[ \t]+(?:-|\d+)[ \t]+\S",
    re.MULTILINE,
)


def detect(path: Path) -> str | None:
    """The format of a file named main.cf or master.cf."""
    return FILE_NAMES.get(path.name)


def sniff(path: Path, head: bytes) -> str | None:
    """``postfix-master`` when the head holds a master.cf service line."""
    return "postfix-master" if _MASTER_SERVICE.search(head) is not None else None


def parameter_names() -> frozenset[str]:
    """The main.cf parameters (evidence of a main.cf when no other MTA has the name)."""
    from linter.mta.postfix.params import BUILTIN_DEFAULTS

    return frozenset(BUILTIN_DEFAULTS)


def parse_version(text: str | None) -> tuple[int, int, int]:
    """``--postfix-version``: a release number (3.7.11, 3.9); None is the data's release."""
    from linter.mta.postfix import params

    if text is None:
        return params.DEFAULT_VERSION
    if not text or not text.replace(".", "").isdecimal() or not params.valid_compat_level(text):
        raise ValueError(
            f"invalid Postfix version {text!r}: use a release number such as 3.7.11 or 3.9"
        )
    return params.compat_level_tuple(text)


def version_in(options: Options) -> tuple[int, int, int]:
    """The release whose defaults apply to a run: --postfix-version, else the default."""
    given = options.flags.get(VERSION_FIELD)
    if given is None:
        return parse_version(None)
    if not (isinstance(given, tuple) and len(given) == 3):
        raise TypeError(f"Options.flags[{VERSION_FIELD!r}] is {given!r}, not a parsed version")
    return given
