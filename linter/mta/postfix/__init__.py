"""Postfix: main.cf + master.cf → model → posture → facts (:mod:`.facts`)."""

from __future__ import annotations

from typing import Any

from linter.mta.postfix import detect
from linter.mta.registry import CliFlag, MtaSpec

MTA = MtaSpec(
    name="postfix",
    title="Postfix",
    rule_prefix="PF",
    formats={"postfix-main": "main.cf", "postfix-master": "master.cf"},
    module="linter.mta.postfix.facts",
    file_names=detect.FILE_NAMES,
    candidate=lambda name: name in detect.FILE_NAMES,
    detect=detect.detect,
    sniff=detect.sniff,
    option_names=detect.parameter_names,
    option_format="postfix-main",
    # neither file means much without the other: naming one reads its sibling too
    siblings={"postfix-main": "master.cf", "postfix-master": "main.cf"},
    code_languages={"main.cf": "ini"},
    cli_flags=(
        CliFlag(
            flag="--postfix-version",
            field=detect.VERSION_FIELD,
            help="Postfix release whose defaults apply  [default: 3.7.11].",
            metavar="X.Y",
            parse=detect.parse_version,
        ),
    ),
)

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse", "_compat_backwards", "LISTENER_SETTINGS"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.postfix import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
