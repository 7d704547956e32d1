"""The DNS blocklists a Postfix configuration queries, with the setting that names each."""

from __future__ import annotations

import re

from linter.blocklists import BlocklistUse, zone_of
from linter.mta.postfix.model import PostfixModel
from linter.source import Span

# restrictions whose next word is a DNS list zone (postconf(5))
ZONE_RESTRICTIONS = frozenset(
    {
        "reject_rbl_client",
        "reject_rhsbl_client",
        "reject_rhsbl_reverse_client",
        "reject_rhsbl_helo",
        "reject_rhsbl_sender",
        "reject_rhsbl_recipient",
        "permit_dnswl_client",
        "permit_rhswl_client",
    }
)
# parameters whose every word is a zone (with =filter and *weight)
ZONE_LISTS = frozenset({"postscreen_dnsbl_sites", "postscreen_dnswl_sites"})
_WORDS = re.compile(r"[^\s,]+")


def blocklists(model: PostfixModel) -> list[BlocklistUse]:
    """Zones named in main.cf and in master.cf -o options, in file order."""
    found: list[BlocklistUse] = []
    for name, assignment in model.explicit.items():
        found.extend(_zones(name, assignment.value, assignment.value_span, name))
    for service in model.services:
        for name, override in service.overrides.items():
            found.extend(_zones(name, override.value, override.span, f"{service.key}: -o {name}"))
    return found


def _zones(name: str, value: str, span: Span | None, setting: str) -> list[BlocklistUse]:
    words = _WORDS.findall(value)
    if name in ZONE_LISTS:
        return [BlocklistUse(zone_of(w), setting, span) for w in words if "$" not in w]
    out = []
    for word, following in zip(words, words[1:], strict=False):
        if word.lower() in ZONE_RESTRICTIONS and "$" not in following:
            out.append(BlocklistUse(zone_of(following), setting, span))
    return out
