"""DNS blocklists that no longer work, and the blocklists a configuration queries.

A blocklist that has closed does one of two things to the servers still querying it:
its zone stops answering (every lookup waits for a time-out, and the list protects
nothing), or it "lists the world" (every address is answered as listed, so every
client is rejected). The catalogue below holds only lists whose fate is published,
each with the page that says so and the date it was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from linter.source import Span

if TYPE_CHECKING:
    from linter.facts import Facts

READ_ON = "2026-12-05"


@dataclass(frozen=True)
class DeadList:
    domain: str  # the list's domain: its zones are this name or end in ".<domain>"
    name: str
    status: str  # "lists-everything" or "no-answers"
    since: str
    source: str


DEAD_LISTS: tuple[DeadList, ...] = (
    DeadList(
        "ahbl.org",
        "AHBL (Abusive Hosts Block List)",
        "lists-everything",
        "2015-01-01",
        "https://www.idea11.com.au/blog/blacklisted-at-dnsbl-ahbl-org/",
    ),
    DeadList(
        "ordb.org",
        "ORDB (Open Relay Database)",
        "lists-everything",
        "2008-03-25",
        "https://www.networkworld.com/article/2278064/why-the-open-relay-data-base-lost-its-relevance.html",
    ),
    DeadList(
        "njabl.org",
        "NJABL (Not Just Another Bogus List)",
        "lists-everything",
        "2024-01",
        "https://en.wikipedia.org/wiki/Not_Just_Another_Bogus_List",
    ),
    DeadList(
        "dsbl.org",
        "DSBL (Distributed Sender Blackhole List)",
        "no-answers",
        "2009-03-09",
        "https://vamsoft.com/company/news/dsbl-shutdown",
    ),
    DeadList(
        "sorbs.net",
        "SORBS (Spam and Open Relay Blocking System)",
        "no-answers",
        "2024-06-05",
        "https://heise.de/en/news/Blocked-out-Antispam-blocklist-SORBS-is-switched-off-9752522.html",
    ),
    DeadList(
        "inps.de",
        "inps.de DNSBL",
        "no-answers",
        "2020-05-25",
        "https://www.dnsbl.com/search?max-results=47&reverse-paginate=true&updated-max=2024-06-08T12%3A02%3A00-07%3A00",
    ),
)


@dataclass
class BlocklistUse:
    """One blocklist zone a configuration queries, and the setting that names it."""

    zone: str
    setting: str  # the MTA's own name for where it is used
    span: Span | None

    def to_fact(self) -> dict[str, str]:
        dead = dead_list(self.zone)
        fact = {"zone": self.zone, "setting": self.setting, "status": "unknown"}
        if dead is not None:
            fact.update(
                status=dead.status,
                list=dead.name,
                since=dead.since,
                source=dead.source,
                read_on=READ_ON,
            )
        return fact


def dead_list(zone: str) -> DeadList | None:
    """The catalogue entry for ``zone`` (a zone of a closed list), if any."""
    name = zone.strip().rstrip(".").lower()
    for entry in DEAD_LISTS:
        if name == entry.domain or name.endswith("." + entry.domain):
            return entry
    return None


def zone_of(item: str) -> str:
    """The zone of a list item as the MTAs write it: ``zone=127.0.0.2*3``,
    ``zone/$sender_address_domain``, ``zone!=127.0.0.3`` all name ``zone``."""
    for mark in ("!=", "==", "=", "*", "/", "&"):
        item = item.split(mark, 1)[0]
    return item.strip().rstrip(".").lower()


def put_facts(facts: Facts, uses: list[BlocklistUse]) -> None:
    """``blocklists[i]``: each zone queried, its status in the catalogue, its line."""
    facts.set("blocklists", [use.to_fact() for use in uses])
    for i, use in enumerate(uses):
        if use.span is not None:
            facts.locate(f"blocklists[{i}]", use.span)
