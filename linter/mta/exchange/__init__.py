"""Microsoft Exchange: receive and send connectors → facts (:mod:`.facts`)."""

from __future__ import annotations

from typing import Any

from linter.mta.registry import MtaSpec, lazy

# name endings that may be Exchange exports or Format-List text (.detect decides)
_SUFFIXES = (".json", ".txt", ".log")


MTA = MtaSpec(
    name="exchange",
    title="Microsoft Exchange",
    rule_prefix="MSX",
    formats={
        "exchange-json": "the JSON of contrib/Export-ExchangeSettings.ps1",
        "exchange-fl": "Get-ReceiveConnector | fl, Get-SendConnector | fl",
    },
    module="linter.mta.exchange.facts",
    candidate=lambda name: name.lower().endswith(_SUFFIXES),
    detect=lazy("linter.mta.exchange.detect", "detect"),
    recognise=lazy("linter.mta.exchange.detect", "detect_content"),
    # the files of one folder describe one organisation's connectors
    folder_set=True,
)

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse", "read_model", "exchange_facts", "support"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.exchange import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
