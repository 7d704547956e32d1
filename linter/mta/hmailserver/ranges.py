"""hMailServer's IP ranges: which range decides for which client, and who may relay.

A client is governed by the one IP range that contains its address and has the highest
priority (``SecurityRanges``); the range's ``Options`` bits say whether it may connect by
SMTP, which deliveries it may ask for, and which of those need SMTP authentication.
"Local" and "external" name the sender's and the recipient's domain, not the client:
a client that may deliver from external to external addresses without authenticating
relays for anyone, and one that may deliver from a local to an external address without
authenticating relays for anyone who writes a local sender address, which costs nothing.

Ranges may overlap, so the address space is cut into segments at every range boundary
and each segment gets its winning range, in one sweep (auto-ban adds a range per banned
address, so there may be thousands).
"""

from __future__ import annotations

import bisect
import heapq
import ipaddress
from dataclasses import dataclass, field

from linter.mta.hmailserver.model import SecurityRange
from linter.posture import RelayPolicy

# a range at least this share of its address space counts as "everyone"
WHOLE_SPACE_SHARE = 2  # half of it


@dataclass
class Segment:
    version: int
    first: int
    last: int
    winner: SecurityRange


@dataclass
class RangeFacts:
    """What the model says about one range, for the facts and the posture."""

    label: str  # CIDR when the range is one, else "first-last"
    public: bool  # holds a globally routable address
    whole_space: bool  # at least half of the IPv4 (or IPv6) address space
    effective: bool = False  # wins for at least one address
    effective_public: bool = False  # wins for at least one public address
    size: int = 0


@dataclass
class RangeAnalysis:
    facts: dict[int, RangeFacts] = field(default_factory=dict)  # by id() of the range
    segments: list[Segment] = field(default_factory=list)

    def of(self, r: SecurityRange) -> RangeFacts:
        return self.facts[id(r)]


def unauthenticated_relay(r: SecurityRange) -> bool:
    """The range lets a client deliver to external addresses without authenticating."""
    return r.flag("allow_smtp") and (
        (r.flag("relay_remote_to_remote") and not r.flag("auth_external_to_external"))
        or (r.flag("relay_local_to_remote") and not r.flag("auth_local_to_external"))
    )


def relays(r: SecurityRange) -> bool:
    return r.flag("allow_smtp") and (
        r.flag("relay_remote_to_remote") or r.flag("relay_local_to_remote")
    )


# address blocks that are not globally reachable (IANA special-purpose registries), the
# ones Python's ipaddress calls private, loopback, link-local or multicast; shared address
# space (100.64.0.0/10) counts as public: it is shared by many strangers
_NOT_PUBLIC = {
    4: (
        "0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    ),
    6: (
        "::/127", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
        "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
    ),
}  # fmt: skip


def _blocks(version: int) -> list[tuple[int, int]]:
    nets = sorted(ipaddress.ip_network(n) for n in _NOT_PUBLIC[version])
    merged: list[tuple[int, int]] = []
    for net in nets:
        first, last = int(net.network_address), int(net.broadcast_address)
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


_BLOCKS = {4: _blocks(4), 6: _blocks(6)}
_BLOCK_STARTS = {v: [b[0] for b in blocks] for v, blocks in _BLOCKS.items()}


def _public(first: int, last: int, version: int) -> bool:
    """Some address in [first, last] is globally reachable: the span is not covered by
    the not-public blocks."""
    blocks, starts = _BLOCKS[version], _BLOCK_STARTS[version]
    i = bisect.bisect_right(starts, first) - 1
    cursor = first
    while cursor <= last:
        if i < 0 or blocks[i][1] < cursor:
            i += 1
            if i >= len(blocks) or blocks[i][0] > cursor:
                return True
        cursor = blocks[i][1] + 1
    return False


def label(r: SecurityRange) -> str:
    if r.lower_ip is None or r.upper_ip is None:
        return f"{r.lower}-{r.upper}"
    if r.lower_ip == r.upper_ip:
        return str(r.lower_ip)
    nets = list(ipaddress.summarize_address_range(r.lower_ip, r.upper_ip))
    if len(nets) == 1:
        return str(nets[0])
    return f"{r.lower_ip}-{r.upper_ip}"


def analyse_ranges(ranges: list[SecurityRange]) -> RangeAnalysis:
    result = RangeAnalysis()
    for r in ranges:
        if r.lower_ip is None or r.upper_ip is None:
            result.facts[id(r)] = RangeFacts(label(r), False, False)
            continue
        version = r.lower_ip.version
        first, last = int(r.lower_ip), int(r.upper_ip)
        size = last - first + 1
        space = 2 ** (32 if version == 4 else 128)
        result.facts[id(r)] = RangeFacts(
            label(r),
            _public(first, last, version),
            size * WHOLE_SPACE_SHARE >= space,
            size=size,
        )
    for version in (4, 6):
        result.segments.extend(_sweep(ranges, version))
    for seg in result.segments:
        facts = result.of(seg.winner)
        facts.effective = True
        if (
            not facts.effective_public
            and facts.public
            and _public(seg.first, seg.last, seg.version)
        ):
            facts.effective_public = True
    return result


def _sweep(ranges: list[SecurityRange], version: int) -> list[Segment]:
    # events: (address, kind, order); kind 0 = range ends before address, 1 = starts at it
    events: list[tuple[int, int, int]] = []
    members = [
        (i, r)
        for i, r in enumerate(ranges)
        if r.lower_ip is not None and r.upper_ip is not None and r.lower_ip.version == version
    ]
    for i, r in members:
        assert r.lower_ip is not None and r.upper_ip is not None
        events.append((int(r.lower_ip), 1, i))
        events.append((int(r.upper_ip) + 1, 0, i))
    events.sort()
    heap: list[tuple[int, int]] = []  # (-priority, index): the winner on top
    active: set[int] = set()
    segments: list[Segment] = []
    k = 0
    while k < len(events):
        point = events[k][0]
        while k < len(events) and events[k][0] == point:
            _, kind, i = events[k]
            if kind == 1:
                active.add(i)
                heapq.heappush(heap, (-ranges[i].priority, i))
            else:
                active.discard(i)
            k += 1
        while heap and heap[0][1] not in active:
            heapq.heappop(heap)
        if heap and k < len(events):
            segments.append(Segment(version, point, events[k][0] - 1, ranges[heap[0][1]]))
    return segments


def relay_policy(
    ranges: list[SecurityRange], analysis: RangeAnalysis
) -> tuple[RelayPolicy, SecurityRange | None]:
    """The relay verdict for an SMTP client anywhere, and the range that decides it."""
    unauth = [r for r in ranges if analysis.of(r).effective and unauthenticated_relay(r)]
    networks = [analysis.of(r).label for r in unauth]
    public = [analysis.of(r).label for r in unauth if analysis.of(r).effective_public]
    widest = _widest(unauth, analysis)
    everyone = [r for r in unauth if analysis.of(r).whole_space and analysis.of(r).effective_public]
    if everyone:
        r = everyone[0]
        return (
            RelayPolicy(
                "open",
                networks=networks,
                public_networks=public,
                widest_prefix=widest,
                reason=f"IP range {r.name!r} ({analysis.of(r).label}, priority {r.priority}) "
                + _why(r),
                conditional_permit=_conditional(r),
            ),
            r,
        )
    if unauth:
        names = ", ".join(f"{r.name!r} ({analysis.of(r).label})" for r in unauth)
        decided = next((r for r in unauth if analysis.of(r).effective_public), unauth[0])
        return (
            RelayPolicy(
                "networks",
                networks=networks,
                public_networks=public,
                widest_prefix=widest,
                reason=f"clients in IP ranges {names} may relay without SMTP authentication",
                conditional_permit=", ".join(
                    filter(None, (_conditional(r) for r in unauth if analysis.of(r).public))
                ),
            ),
            decided,
        )
    relaying = [r for r in ranges if analysis.of(r).effective and relays(r)]
    if relaying:
        return (
            RelayPolicy(
                "authenticated",
                reason="every IP range that allows deliveries to external addresses requires "
                "SMTP authentication for them",
            ),
            relaying[0],
        )
    return (
        RelayPolicy("closed", reason="no IP range allows SMTP deliveries to external addresses"),
        None,
    )


def _why(r: SecurityRange) -> str:
    parts = []
    if r.flag("relay_remote_to_remote") and not r.flag("auth_external_to_external"):
        parts.append(
            "allows deliveries from external to external addresses without SMTP authentication"
        )
    if r.flag("relay_local_to_remote") and not r.flag("auth_local_to_external"):
        parts.append(
            "allows deliveries from local to external addresses without SMTP "
            "authentication, for any client that writes a local sender address"
        )
    return " and ".join(parts)


def _conditional(r: SecurityRange) -> str:
    if r.flag("relay_local_to_remote") and not r.flag("auth_local_to_external"):
        return f"sender address in a local domain (IP range {r.name!r})"
    return ""


def _widest(unauth: list[SecurityRange], analysis: RangeAnalysis) -> int | None:
    widest: int | None = None
    for r in unauth:
        if r.lower_ip is None:
            continue
        size = analysis.of(r).size
        bits = 32 if r.lower_ip.version == 4 else 128
        prefix = bits - (size.bit_length() - 1)
        # an IPv6 range counts in IPv4 terms only when it is everything (Postfix: ::/0 is 0)
        equivalent = prefix if bits == 32 else (0 if prefix == 0 else None)
        if equivalent is not None:
            widest = equivalent if widest is None else min(widest, equivalent)
    return widest
