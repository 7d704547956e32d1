"""Which receive connector a client gets, as Exchange chooses it.

Every receive connector needs a unique combination of local binding (address:port) and
remote IP ranges (Microsoft, "Scenarios for custom Receive connectors"). For a client
connecting from address A to local address L on port P, Exchange takes, among the
enabled connectors of that server bound to P:

1. a connector bound to L itself before one bound to every address (0.0.0.0 / ::);
2. within that tier, the connector whose RemoteIPRanges entry containing A is the most
   specific (fewest addresses): a single address beats a range, a /28 beats a /24,
   and the default 0.0.0.0-255.255.255.255 loses to every narrower entry.

A connector that covers nobody (every address taken by narrower ones) is unreachable.
The client space is cut into the intervals between range boundaries; all addresses of
one interval are covered by the same entries, so one choice per interval is exact.
"""

from __future__ import annotations

import heapq
import ipaddress
from dataclasses import dataclass, field
from functools import cache

from linter.mta.exchange.model import IPRange, ReceiveConnector

SPACE = {4: (1 << 32) - 1, 6: (1 << 128) - 1}


@dataclass
class Coverage:
    """The client addresses for which a connector is the one Exchange uses."""

    intervals: list[tuple[int, int, int]] = field(default_factory=list)  # (version, lo, hi)
    public: bool = False  # some of them are globally routable
    public_ranges: list[str] = field(default_factory=list)  # RemoteIPRanges entries that win them
    # another connector of the server shows only part of its Bindings or RemoteIPRanges
    # ("...", or an entry that cannot be read): its hidden entries may take some of these
    # addresses away
    uncertain: bool = False


def _winners(
    members: list[ReceiveConnector], version: int
) -> list[tuple[int, int, ReceiveConnector | None, IPRange | None]]:
    """(lo, hi, connector, entry) for the whole space of one IP version."""
    entries = [(r, c) for c in members for r in c.ranges if r.version == version]
    points = sorted({0, *(r.low for r, _ in entries), *(r.high + 1 for r, _ in entries)})
    points = [p for p in points if p <= SPACE[version]]
    starts = sorted(range(len(entries)), key=lambda i: entries[i][0].low)
    active: list[tuple[int, int]] = []  # (size, order) heap of entries covering the point
    out: list[tuple[int, int, ReceiveConnector | None, IPRange | None]] = []
    nxt = 0
    for i, lo in enumerate(points):
        hi = points[i + 1] - 1 if i + 1 < len(points) else SPACE[version]
        while nxt < len(starts) and entries[starts[nxt]][0].low <= lo:
            k = starts[nxt]
            heapq.heappush(active, (entries[k][0].size, k))
            nxt += 1
        while active and entries[active[0][1]][0].high < lo:
            heapq.heappop(active)
        if active:
            entry, owner = entries[active[0][1]]
            out.append((lo, hi, owner, entry))
        else:
            out.append((lo, hi, None, None))
    return out


def coverage(connectors: list[ReceiveConnector]) -> dict[int, Coverage]:
    """id(connector) → the client addresses it serves, over all its bindings."""
    result = {id(c): Coverage() for c in connectors}
    groups: dict[tuple[str, int, int], list[ReceiveConnector]] = {}
    for c in connectors:
        if not c.enabled:
            continue
        for b in c.bindings:
            key = (c.server.lower(), b.version, b.port)
            if c not in groups.setdefault(key, []):
                groups[key].append(c)
    for (_, version, port), members in groups.items():
        wildcard = [
            c
            for c in members
            if any(b.wildcard and b.port == port and b.version == version for b in c.bindings)
        ]
        addresses = {
            b.address
            for c in members
            for b in c.bindings
            if not b.wildcard and b.port == port and b.version == version
        }
        tiers: list[list[ReceiveConnector]] = [wildcard]
        for address in sorted(addresses):
            tiers.append(
                [
                    c
                    for c in members
                    if any(b.address == address and b.port == port for b in c.bindings)
                ]
            )
        base = _winners(wildcard, version)
        for n, tier in enumerate(tiers):
            chosen = base if n == 0 else _overlay(_winners(tier, version), wildcard, version)
            for lo, hi, winner, r in chosen:
                if winner is None or r is None:
                    continue
                cov = result[id(winner)]
                cov.intervals.append((version, lo, hi))
                if holds_public(version, lo, hi):
                    cov.public = True
                    if r.text not in cov.public_ranges:
                        cov.public_ranges.append(r.text)
    _mark_uncertain(connectors, result)
    return result


def _mark_uncertain(connectors: list[ReceiveConnector], result: dict[int, Coverage]) -> None:
    """A list Format-List cut short (or with an entry that cannot be read) hides entries:
    the connector that shows it can only win more than computed, every other connector of
    that server perhaps less."""
    cut = [c for c in connectors if c.enabled and c.partial_lists]
    for c in connectors:
        if any(o is not c and o.server.lower() == c.server.lower() for o in cut):
            result[id(c)].uncertain = True


def _overlay(specific, wildcard, version):  # type: ignore[no-untyped-def]
    """A specifically bound tier, falling back to the wildcard tier where it covers no one."""
    if not any(c is not None for _, _, c, _ in specific):
        return []
    base = _winners(wildcard, version)
    out = []
    for lo, hi, c, r in specific:
        if c is not None:
            out.append((lo, hi, c, r))
            continue
        for blo, bhi, bc, br in base:
            if bhi < lo or blo > hi:
                continue
            out.append((max(lo, blo), min(hi, bhi), bc, br))
    return out


@cache
def _non_public(version: int) -> tuple[tuple[int, int], ...]:
    from linter.posture import _private_networks

    nets = [n for n in _private_networks() if n.version == version]
    extra = ("127.0.0.0/8", "0.0.0.0/8") if version == 4 else ("::1/128", "::/128")
    nets += [ipaddress.ip_network(n) for n in extra]
    return tuple(sorted((int(n[0]), int(n[-1])) for n in nets))


def holds_public(version: int, lo: int, hi: int) -> bool:
    """Whether [lo, hi] holds an address outside the private and loopback blocks."""
    at = lo
    for blo, bhi in _non_public(version):
        if bhi < at:
            continue
        if blo > at:
            return True
        at = bhi + 1
        if at > hi:
            return False
    return at <= hi


def whole_space(r: IPRange) -> bool:
    """At least half of its IP version's addresses (0.0.0.0/1 and wider)."""
    return r.size > SPACE[r.version] // 2
