"""Exim: run-time configuration → model → posture → facts (:mod:`.facts`).

A config set is one file (``exim.conf``, ``exim4.conf``, ``exim4.conf.template``, an Exim
``configure``) with everything it ``.include``s, or Debian's split configuration: a
``conf.d/`` folder whose ``main acl router transport retry rewrite auth`` subfolders are
read in that order, each in lexical order, as ``update-exim4.conf`` joins them.
"""

from __future__ import annotations

from typing import Any

from linter.mta.exim import detect
from linter.mta.exim.detect import SPLIT_ORDER, display_path, split_files
from linter.mta.registry import CliFlag, MtaSpec

MTA = MtaSpec(
    name="exim",
    title="Exim",
    rule_prefix="EX",
    formats={
        "exim": "exim.conf, exim4.conf, exim4.conf.template or an Exim configure",
        "exim-split": "Debian's conf.d folder, read as update-exim4.conf joins it",
    },
    module="linter.mta.exim.facts",
    file_names=detect.FILE_NAMES,
    candidate=detect.candidate,
    detect=detect.detect,
    sniff=detect.sniff,
    option_names=detect.main_options,
    option_format="exim",
    # each file (with what it includes) and each conf.d is one configuration
    standalone=frozenset({"exim", "exim-split"}),
    folder_formats=frozenset({"exim-split"}),
    folder_format=detect.folder_format,
    folder_of=detect.split_folder_of,
    folder_files=split_files,
    generic_names=detect.GENERIC_NAMES,
    cli_flags=(
        CliFlag(
            flag="--define",
            field=detect.DEFINES_FIELD,
            help="Define an Exim macro as exim -D does, overriding the file (repeatable).",
            metavar="NAME=VALUE",
            parse=detect.parse_defines,
            multiple=True,
        ),
    ),
)

__all__ = ["MTA", "SPLIT_ORDER", "display_path", "split_files"]

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse", "read_model"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.exim import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
