"""The DNS blocklists a sendmail .mc queries: FEATURE(`dnsbl') and FEATURE(`enhdnsbl')."""

from __future__ import annotations

from linter.blocklists import BlocklistUse, zone_of
from linter.mta.sendmail.model import SendmailModel

# cf/README: "FEATURE(`dnsbl', ...) ... If the name of the host is omitted, it
# defaults to blackholes.mail-abuse.org"
DEFAULT_ZONE = "blackholes.mail-abuse.org"


def blocklists(model: SendmailModel) -> list[BlocklistUse]:
    found: list[BlocklistUse] = []
    for feature in model.features:
        if feature.name not in ("dnsbl", "enhdnsbl"):
            continue
        zone = feature.args[0].strip() if feature.args and feature.args[0].strip() else ""
        if "$" in zone:
            continue
        found.append(
            BlocklistUse(zone_of(zone or DEFAULT_ZONE), f"FEATURE(`{feature.name}')", feature.span)
        )
    return found
