"""SPF (RFC 7208): the record a domain publishes, and what it says about given addresses.

Evaluation is pyspf's (the reference implementation, run against the RFC 7208 test suite
in this project's tests); its DNS lookups go through this run's :class:`Resolver`, so the
time budget, the cache and ``--resolver`` apply to them as well. Two corrections:

* RFC 7208 §6.1: ``redirect=`` is ignored when the record has an ``all`` mechanism, yet
  pyspf counts it towards the 10-lookup limit (a record with 10 lookups, ``-all`` and a
  redirect is a permerror there). The lookup hook drops such a redirect before pyspf reads
  the record, which is what §6.1 says a receiver does.
* Void lookups (§4.6.4) are counted per term by :func:`analyse` (see there), not per
  query as pyspf does; :func:`evaluate` leaves the void limit to it.

:func:`analyse` walks the record tree (include, redirect) once for what evaluation alone
does not show: ``ptr`` terms, oversized records, void terms, and the networks the record
lists, so that the record can be evaluated for an address it does not list.
"""

from __future__ import annotations

import contextlib
import re
import threading
from typing import Any

from linter.dns.resolver import Resolver

_SPF = re.compile(r"^\s*v=spf1(\s|$)", re.IGNORECASE)
_ALL = re.compile(r"(?:^|\s)([+?~-]?)all(?:\s|$)", re.IGNORECASE)
# a domain-spec without macros, ending in a toplabel (RFC 7208 §7.1, §12)
_PLAIN_DOMAIN = re.compile(
    r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.[A-Za-z0-9-]*[A-Za-z][A-Za-z0-9-]*\.?"
)
# pyspf keeps its DNS hook in a module global: one evaluation at a time
_LOCK = threading.Lock()


def spf_records(texts: tuple[str, ...]) -> list[str]:
    return [t for t in texts if _SPF.match(t)]


def all_qualifier(record: str) -> str:
    """The ``all`` mechanism's qualifier ("+", "?", "~", "-"), or "" without one."""
    m = _ALL.search(record)
    if m is None:
        return ""
    return m.group(1) or "+"


def without_ignored_redirect(record: str) -> str:
    """The record with its ``redirect=`` dropped when an ``all`` mechanism makes it void
    (RFC 7208 §6.1). Two redirects, or one whose domain-spec is not valid, are a syntax
    error (§6, §12) whatever else the record says: left for pyspf."""
    terms = record.split(" ")
    redirects = [t for t in terms if t.lower().startswith("redirect=")]
    if len(redirects) != 1 or not all_qualifier(record):
        return record
    target = redirects[0].partition("=")[2]
    if len(target) > 253 or not _PLAIN_DOMAIN.fullmatch(target):  # length first: no backtracking
        return record
    return " ".join(t for t in terms if t not in redirects)


def _hook(resolver: Resolver) -> Any:
    """pyspf's DNSLookup(name, qtype, strict, timeout) on top of the resolver."""
    import spf

    def lookup(name: str, qtype: str, strict: Any = True, timeout: Any = None) -> list[Any]:
        answer = resolver.lookup(name, qtype)
        if answer.unverified:
            raise spf.TempError(f"DNS {answer.status}: {name} {qtype}")
        if not answer.ok:
            return []
        out: list[Any] = []
        if qtype in ("A", "AAAA"):
            out = [((name, qtype), r) for r in answer.records]
        elif qtype == "MX":
            for r in answer.records:
                pref, _, host = r.partition(" ")
                out.append(((name, qtype), (int(pref), host.rstrip(".") or ".")))
        elif qtype == "PTR":
            out = [((name, qtype), r.rstrip(".")) for r in answer.records]
        elif qtype in ("TXT", "SPF"):
            texts = [without_ignored_redirect(t) if _SPF.match(t) else t for t in answer.texts]
            out = [((name, qtype), [t.encode("utf-8")]) for t in texts]
        return out

    return lookup


def _run(
    resolver: Resolver,
    address: str,
    sender: str,
    helo: str,
    default_explanation: str | None = None,
    void_limit: bool = True,
) -> tuple[str, str, int, int]:
    """pyspf's check_host() on the resolver: (result, explanation, lookups, void lookups).
    Without ``void_limit`` pyspf's own (per query) void limit is lifted."""
    import spf

    with _LOCK:
        saved = spf.DNSLookup
        saved_void = spf.MAX_VOID_LOOKUPS
        spf.DNSLookup = _hook(resolver)
        if not void_limit:
            spf.MAX_VOID_LOOKUPS = 1000
        try:
            q = spf.query(
                i=address,
                s=sender,
                h=helo,
                timeout=max(1, int(resolver.remaining())),
                querytime=max(1.0, resolver.remaining()),
            )
            if default_explanation is not None:
                q.set_default_explanation(default_explanation)
            result, _code, explanation = q.check()
            lookups = q.lookups
            void = q.void_lookups
        except Exception as exc:  # noqa: BLE001 - pyspf raises its own errors for bad input
            result, explanation, lookups, void = "temperror", str(exc), 0, 0
        finally:
            spf.DNSLookup = saved
            spf.MAX_VOID_LOOKUPS = saved_void
    return str(result), str(explanation), lookups, void


def check_host(
    resolver: Resolver,
    address: str,
    mailfrom: str,
    helo: str,
    *,
    default_explanation: str | None = None,
) -> tuple[str, str]:
    """RFC 7208 check_host() for a message: the client ``address``, the MAIL FROM
    (``""`` for a bounce: the HELO identity is checked) and the HELO name;
    (result, explanation)."""
    result, explanation, _lookups, _void = _run(
        resolver, address, mailfrom, helo, default_explanation
    )
    return result, explanation


def evaluate(resolver: Resolver, address: str, domain: str, helo: str) -> dict[str, Any]:
    """check_host(address, domain, postmaster@domain): result, explanation, lookups.
    The void-lookup limit is :func:`analyse`'s (per term), not pyspf's (per query)."""
    result, explanation, lookups, void = _run(
        resolver, address, f"postmaster@{domain}", helo or domain, void_limit=False
    )
    return {
        "address": address,
        "result": result,
        "explanation": explanation,
        "lookups": lookups,
        "void_lookups": void,
        "lookup_limit": "Too many DNS lookups" in explanation or "DNS lookups" in explanation,
        "void_limit": "Void lookup limit" in explanation,
    }


# ---------------------------------------------------------------- the record tree

# addresses tried, in order, as "an address the record does not list"
_UNLISTED = (
    "192.0.2.255",
    "198.51.100.255",
    "203.0.113.255",
    "100.64.255.254",
    "240.0.0.1",
    "10.255.255.254",
    "223.255.255.254",
    "1.0.0.1",
)
_MAX_RECORDS = 40  # records walked per domain (include/redirect); RFC 7208 allows 10 lookups
_MAX_DEPTH = 10
# queries per walk: past 10 lookup terms a receiver stops anyway (§4.6.4); a record of
# thousands of terms must not cost thousands of queries
_MAX_QUERIES = 60


def analyse(resolver: Resolver, domain: str, record: str) -> dict[str, Any]:
    """What the record tree of ``domain`` holds, found by walking include and redirect.

    * ``void_terms``: terms whose lookups return nothing (NXDOMAIN or no records). This
      is how RFC 7208 §4.6.4's void lookups are counted here: once per term (``a``: its
      address query for an IPv4 client; ``mx``: the MX query; ``include``, ``redirect``:
      the TXT query; ``exists``: its A query), so an ``mx`` whose hosts have no address
      counts once, not once per host. More than 2 is a permerror (the SHOULD of §4.6.4).
      Terms with macros (known only for a message) are not looked up.
    * ``ptr``: records using the ``ptr`` mechanism (§5.5: SHOULD NOT be published);
    * ``oversized``: records over 512 octets (§3.4);
    * ``unlisted``: an IPv4 address that no ``ip4``, ``a`` or ``mx`` term lists.
    """
    import ipaddress

    networks: list[Any] = []
    void: list[str] = []
    ptr: list[str] = []
    oversized: list[dict[str, Any]] = []
    seen: set[str] = set()

    asked = [0]

    def addresses(name: str, rdtype: str) -> tuple[list[str], bool]:
        asked[0] += 1
        if asked[0] > _MAX_QUERIES:
            return [], False
        answer = resolver.lookup(name, rdtype)
        if answer.unverified:
            return [], False
        return list(answer.records) if answer.ok else [], not answer.ok

    def add(address: str, cidr: str) -> None:
        with contextlib.suppress(ValueError):
            networks.append(ipaddress.ip_network(f"{address}/{cidr or 32}", strict=False))

    def walk(name: str, text: str, depth: int) -> None:
        if name in seen or len(seen) >= _MAX_RECORDS or depth > _MAX_DEPTH:
            return
        seen.add(name)
        if len(text.encode("utf-8")) > 512:
            oversized.append({"domain": name, "octets": len(text.encode("utf-8"))})
        terms = text.split()[1:]
        has_all = bool(all_qualifier(text))
        for term in terms:
            bare = term.lstrip("+-~?").lower()
            mech, _, rest = bare.partition(":")
            if "=" in mech:
                modifier, _, target = bare.partition("=")
                if modifier == "redirect" and not has_all:
                    follow(name, term, target, depth)
                continue
            target, _, cidr = (rest or "").partition("/")
            if mech in ("a", "mx", "ptr") and "/" in mech:
                mech, _, cidr = mech.partition("/")
            cidr = cidr.partition("/")[0]
            if mech == "ptr":
                ptr.append(name)
                continue
            if mech == "ip4":
                add(target, cidr)
                continue
            host = target or name
            if "%" in host:
                continue
            if mech == "a":
                found, empty = addresses(host, "A")
                for a in found:
                    add(a, cidr)
                if empty:
                    void.append(f"{name}: {term}")
            elif mech == "mx":
                hosts, empty = addresses(host, "MX")
                if empty:
                    void.append(f"{name}: {term}")
                for mx in hosts[:10]:  # §4.6.4: at most 10 MX names are looked up
                    for a in addresses(mx.partition(" ")[2].rstrip("."), "A")[0]:
                        add(a, cidr)
            elif mech == "exists":
                if addresses(host, "A")[1]:
                    void.append(f"{name}: {term}")
            elif mech == "include":
                follow(name, term, target, depth)

    def follow(name: str, term: str, target: str, depth: int) -> None:
        if not target or "%" in target:
            return
        asked[0] += 1
        if asked[0] > _MAX_QUERIES:
            return
        answer = resolver.lookup(target, "TXT")
        if answer.unverified:
            return
        found = spf_records(answer.texts) if answer.ok else []
        if not answer.ok:
            void.append(f"{name}: {term}")
        if len(found) == 1:
            walk(target.lower().rstrip("."), found[0], depth + 1)

    walk(domain, record, 0)
    unlisted = next(
        (a for a in _UNLISTED if not any(ipaddress.ip_address(a) in n for n in networks)),
        _UNLISTED[0],
    )
    return {
        # the domains whose SPF records the tree holds (the domain, its includes, redirects)
        "records": sorted(seen),
        "void_terms": void,
        "void_limit": len(void) > 2,
        "ptr": ptr,
        "oversized": oversized,
        "unlisted": unlisted,
    }
