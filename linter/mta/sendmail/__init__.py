"""sendmail: .mc (m4 source of sendmail.cf) → model → posture → facts (:mod:`.facts`)."""

from __future__ import annotations

from typing import Any

from linter.mta.registry import MtaSpec
from linter.mta.sendmail import detect

MTA = MtaSpec(
    name="sendmail",
    title="sendmail",
    rule_prefix="SM",
    formats={"sendmail-mc": "an .mc file (sendmail.mc, submit.mc)"},
    module="linter.mta.sendmail.facts",
    candidate=detect.candidate,
    detect=detect.detect,
    sniff=detect.sniff,
    # sendmail.mc and submit.mc in one folder are two configurations
    standalone=frozenset({"sendmail-mc"}),
)

# what tests and tools import from the package; the analysis loads on first use
_FROM_FACTS = frozenset({"analyse"})


def __getattr__(name: str) -> Any:
    if name in _FROM_FACTS:
        from linter.mta.sendmail import facts

        return getattr(facts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
