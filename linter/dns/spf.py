"""SPF (RFC 7208): the record a domain publishes, and what it says about given addresses.

Evaluation is pyspf's (the reference implementation, run against the RFC 7208 test suite
in this project's tests); its DNS lookups go through this run's :class:`Resolver`, so the
time budget, the cache and ``--resolver`` apply to them as well.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from linter.dns.resolver import Resolver

_SPF = re.compile(r"^\s*v=spf1(\s|$)", re.IGNORECASE)
_ALL = re.compile(r"(?:^|\s)([+?~-]?)all(?:\s|$)", re.IGNORECASE)
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
            out = [((name, qtype), [t.encode("utf-8")]) for t in answer.texts]
        return out

    return lookup


def _run(
    resolver: Resolver,
    address: str,
    sender: str,
    helo: str,
    default_explanation: str | None = None,
) -> tuple[str, str, int, int]:
    """pyspf's check_host() on the resolver: (result, explanation, lookups, void lookups)."""
    import spf

    with _LOCK:
        saved = spf.DNSLookup
        spf.DNSLookup = _hook(resolver)
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
    """check_host(address, domain, postmaster@domain): result, explanation, lookups."""
    result, explanation, lookups, void = _run(
        resolver, address, f"postmaster@{domain}", helo or domain
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
