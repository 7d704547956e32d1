"""Domino's inbound relay controls, as HCL documents them.

Router/SMTP > Restrictions and Controls > SMTP Inbound Controls has four lists: the
destinations relaying is allowed to and denied to, and the connecting hosts allowed to
and denied from relaying to any domain. ``*`` stands for every domain or host. Since
Domino 6 an Allow entry wins when an Allow and a Deny entry conflict; notes.ini
``SMTPRelayHostsandDomains=1`` restores Domino 5's rule, where Deny wins (HCL wiki
SMTPRelayHostsandDomains; IBM Redbook "Lotus Domino 6 spam Survival Guide", ch. 4).

The item names these lists are stored under are not in any public source read
(``data/reference.json``), so no input reaches this module yet: the posture's relay
verdict is "unknown". It is kept, with its tests, for the day they are established.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RelayControls:
    allow_to: list[str] = field(default_factory=list)
    deny_to: list[str] = field(default_factory=list)
    allow_from: list[str] = field(default_factory=list)
    deny_from: list[str] = field(default_factory=list)
    deny_wins: bool = False  # SMTPRelayHostsandDomains=1 (the Domino 5 rule)


def _everything(entries: list[str]) -> bool:
    return any(e.strip() == "*" for e in entries)


def stranger_may_relay(controls: RelayControls) -> tuple[bool, str]:
    """Whether a host no list names may relay to a domain no list names, and why."""
    allowed = ""
    if _everything(controls.allow_from):
        allowed = "relaying to any domain is allowed from '*' (every host)"
    elif _everything(controls.allow_to):
        allowed = "relaying is allowed to '*' (every domain)"
    if not allowed:
        return False, ""
    if controls.deny_wins and (_everything(controls.deny_from) or _everything(controls.deny_to)):
        return False, ""
    if _everything(controls.deny_from) or _everything(controls.deny_to):
        return True, allowed + ", and since Domino 6 Allow entries win over the '*' Deny entry"
    return True, allowed
