"""HCL (IBM) Domino: notes.ini and One-Touch Setup JSON → facts (:mod:`.facts`)."""

from __future__ import annotations

from typing import Any

from linter.mta.registry import MtaSpec, lazy

# name endings that may be Domino's: notes.ini and One-Touch Setup JSON (.detect decides)
_SUFFIXES = (".ini", ".json")


MTA = MtaSpec(
    name="domino",
    title="HCL Domino",
    rule_prefix="DOM",
    formats={
        "notes-ini": "HCL Domino notes.ini",
        "domino-ots": "Domino 12+ One-Touch Setup JSON",
    },
    module="linter.mta.domino.facts",
    candidate=lambda name: name.lower().endswith(_SUFFIXES),
    detect=lazy("linter.mta.domino.detect", "detect"),
    recognise=lazy("linter.mta.domino.detect", "detect_content"),
    # a folder's notes.ini and setup JSON describe one server
    folder_set=True,
)

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse", "read_model", "domino_facts"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.domino import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
