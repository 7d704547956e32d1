"""hMailServer: hMailServer.INI + the database settings (backup XML or JSON) → facts
(:mod:`.facts`)."""

from __future__ import annotations

from typing import Any

from linter.mta.registry import MtaSpec, lazy

# name endings that may be hMailServer's (.detect decides by name, then content)
_SUFFIXES = (".ini", ".xml", ".json", ".7z")


MTA = MtaSpec(
    name="hmailserver",
    title="hMailServer",
    rule_prefix="HM",
    formats={
        "hmailserver-ini": "hMailServer.INI",
        "hmailserver-xml": "hMailServerBackup.xml",
        "hmailserver-7z": "HMBackup*.7z holding hMailServerBackup.xml",
        "hmailserver-json": "the COM export of contrib/Export-hMailServerSettings.ps1",
    },
    module="linter.mta.hmailserver.facts",
    candidate=lambda name: name.lower().endswith(_SUFFIXES),
    detect=lazy("linter.mta.hmailserver.detect", "detect"),
    recognise=lazy("linter.mta.hmailserver.detect", "detect_content"),
    # hMailServer.INI says nothing about ports or relaying without the database export
    folder_set=True,
    code_languages={"hmailserver.ini": "ini"},
)

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse", "read_model", "hmailserver_facts", "model_document"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.hmailserver import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
