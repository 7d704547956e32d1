"""The MTAs mtalint reads: one entry per package, registered in :data:`PACKAGES`.

Each package ``linter/mta/<name>/`` exports ``MTA``, an :class:`MtaSpec` saying which
files are its own (names, content sniffing, how they group into config sets), how to
analyse a config set, its command-line options, and the names rules use for it (the
facts root ``<name>.*``, ``applies_to:`` and the ``fix:`` key). Discovery, the docs
index, the rule schema and the configuration's format names are all derived from it, so
adding an MTA means adding its package and its name to :data:`PACKAGES`.

A package's ``__init__`` holds only its entry (and a few cheap detectors): it is imported
on every run, the analysis modules only when a run meets one of its files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linter.discover import ConfigSet
    from linter.mta import Analysis, Options

# the one list: linter/mta/<name>/ for each (the order is the docs index's and the order
# in which file detectors are asked)
PACKAGES = ("postfix", "exim", "sendmail", "hmailserver", "exchange", "domino")


def lazy(module: str, name: str) -> Callable[..., Any]:
    """``module.name``, imported on its first call: a package's entry can name a detector
    without importing its module on every run."""

    def call(*args: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args)

    call.__qualname__ = f"lazy({module}.{name})"
    return call


@dataclass(frozen=True)
class CliFlag:
    """A command-line option of one MTA (``--postfix-version``, ``--define``).

    ``parse`` turns what click collected (a string or None, a tuple when ``multiple``)
    into the value stored in :attr:`linter.mta.Options.flags` under ``field``, which only
    the MTA's own package reads; it raises ValueError with the message to show for a bad
    value. ``field`` is also the option's key in ``.mtalint.yaml`` and in a rule's test
    case (for a flag taking one value).
    """

    flag: str
    field: str
    help: str
    metavar: str
    parse: Callable[[Any], Any]
    multiple: bool = False


@dataclass(frozen=True)
class MtaSpec:
    """One MTA as the rest of mtalint sees it (see the module docstring)."""

    # the facts root, the rules' ``applies_to`` value and ``fix:`` key ("fix syntax")
    name: str
    title: str  # as the docs index names it
    rule_prefix: str  # the id letters of its rules (PF001): its family in the docs index
    # format → what it is; a format is the unit --as, ``formats:`` and ConfigFile name
    formats: Mapping[str, str]
    # where ``analyse`` lives (imported only when a run meets the MTA's files)
    module: str
    # exact base names that are this MTA's, whatever their content
    file_names: Mapping[str, str] = field(default_factory=dict)
    # whether a file of this name may be the MTA's and is worth opening (a folder walk
    # opens no other file); ``detect`` then decides
    candidate: Callable[[str], bool] = lambda name: False
    # the format of a candidate file (its name, then its head when the name is shared)
    detect: Callable[[Path], str | None] = lambda path: None
    # content sniffing of a file named on the command line whose name says nothing:
    # ``sniff(path, head)`` gives the format its head proves, from evidence only this
    # MTA would write; ``option_names`` are the ``name =`` settings of ``option_format``,
    # evidence when no other MTA has a setting of that name
    sniff: Callable[[Path, bytes], str | None] | None = None
    option_names: Callable[[], frozenset[str]] | None = None
    option_format: str = ""
    # a self-describing export recognised by content when no text format has evidence
    recognise: Callable[[Path], str | None] | None = None
    # formats every file of which is a config set of its own
    standalone: frozenset[str] = frozenset()
    # the files of one folder describe one server: naming one of them reads them all
    folder_set: bool = False
    # format → the base name of the file that joins it in a set (main.cf ↔ master.cf)
    siblings: Mapping[str, str] = field(default_factory=dict)
    # formats of a folder that is one configuration (Debian's conf.d), not of a file
    folder_formats: frozenset[str] = frozenset()
    # a folder that is one configuration: its format, else None
    folder_format: Callable[[Path], str | None] = lambda path: None
    # the folder configuration a file named on its own belongs to, when its name says
    # nothing (a file of conf.d/main/): that folder, else None
    folder_of: Callable[[Path], Path | None] = lambda path: None
    # the files a folder configuration reads (each is checked to be readable); raises
    # InputError when the folder cannot be listed
    folder_files: Callable[[Path], list[Path]] = lambda folder: []
    # names this MTA shares with other software → what the file would be ("an Exim
    # configuration"): named and not the MTA's, it is skipped with a note, not an error
    generic_names: Mapping[str, str] = field(default_factory=dict)
    cli_flags: tuple[CliFlag, ...] = ()
    # file name (lower case) → the code-block language the rule pages show it in
    code_languages: Mapping[str, str] = field(default_factory=dict)

    def analyse(self, config_set: ConfigSet, options: Options) -> Analysis:
        """Read a config set of this MTA: model → posture → facts."""
        result: Analysis = importlib.import_module(self.module).analyse(config_set, options)
        return result


@cache
def registry() -> tuple[MtaSpec, ...]:
    """Every MTA's entry, in :data:`PACKAGES` order."""
    specs = []
    for name in PACKAGES:
        spec = importlib.import_module(f"linter.mta.{name}").MTA
        if not isinstance(spec, MtaSpec) or spec.name != name:
            raise TypeError(f"linter.mta.{name}.MTA is not the MtaSpec of {name}")
        specs.append(spec)
    return tuple(specs)


@cache
def formats() -> dict[str, str]:
    """Format name → MTA name."""
    return {fmt: spec.name for spec in registry() for fmt in spec.formats}


def file_formats() -> list[str]:
    """The formats of single files (what --as may say), sorted."""
    folders = {f for s in registry() for f in s.folder_formats}
    return sorted(f for f in formats() if f not in folders)


def spec(name: str) -> MtaSpec:
    """The entry of one MTA (KeyError when there is none)."""
    for s in registry():
        if s.name == name:
            return s
    raise KeyError(name)


def names() -> tuple[str, ...]:
    """The MTA names, as rules' ``applies_to`` and ``fix:`` keys use them."""
    return tuple(s.name for s in registry())


def cli_flags() -> tuple[CliFlag, ...]:
    """Every MTA's command-line options."""
    return tuple(f for s in registry() for f in s.cli_flags)
