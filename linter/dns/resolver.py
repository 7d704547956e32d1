"""DNS lookups for the online checks: one resolver, a cache, a time budget, no exceptions.

Every lookup returns an :class:`Answer` whose ``status`` says what happened
(``ok``, ``nxdomain``, ``nodata``, ``timeout``, ``servfail``, ``refused``, ``error``), so a
check never has to catch anything, and the evidence of each fact can quote the answers.
The whole run shares one deadline (``--dns-timeout``): once it has passed, lookups fail at
once with ``timeout`` instead of waiting again. Answers are cached for the run; lookups
for several names run concurrently, a few at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "nxdomain", "nodata", "timeout", "servfail", "refused", "error"]
# statuses after which nothing can be said about the name
UNVERIFIED: frozenset[str] = frozenset({"timeout", "servfail", "refused", "error"})


@dataclass(frozen=True)
class Answer:
    name: str
    rdtype: str
    status: Status
    records: tuple[str, ...] = ()
    detail: str = ""
    # the name the answer is for after CNAMEs (equal to name when there were none)
    canonical: str = ""
    # TXT records as their joined strings (SPF, DMARC, DKIM need the whole text)
    texts: tuple[str, ...] = ()
    authenticated: bool = False  # the AD bit: validated by a DNSSEC-aware resolver

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def unverified(self) -> bool:
        return self.status in UNVERIFIED

    def to_evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"query": f"{self.name} {self.rdtype}", "status": self.status}
        if self.records:
            out["answers"] = list(self.records)
        if self.detail:
            out["detail"] = self.detail
        return out


@dataclass
class ResolverSettings:
    address: str = ""  # empty: the system's resolvers (/etc/resolv.conf)
    port: int = 53
    budget: float = 10.0  # seconds for the whole run
    per_query: float = 3.0
    concurrency: int = 8


@dataclass
class Resolver:
    settings: ResolverSettings
    _cache: dict[tuple[str, str], Answer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _deadline: float = 0.0
    queries: int = 0

    def __post_init__(self) -> None:
        import dns.flags
        import dns.resolver

        self._deadline = time.monotonic() + self.settings.budget
        if self.settings.address:
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [self.settings.address]
            resolver.port = self.settings.port
        else:
            try:
                resolver = dns.resolver.Resolver()
            except Exception:  # noqa: BLE001 - no usable resolv.conf
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = ["127.0.0.1"]
        # ask for DNSSEC validation status (the AD bit) from a validating resolver
        resolver.use_edns(0, dns.flags.DO, 1232)
        resolver.flags = dns.flags.RD | dns.flags.AD
        self._resolver = resolver

    def remaining(self) -> float:
        return self._deadline - time.monotonic()

    def lookup(self, name: str, rdtype: str) -> Answer:
        key = (name.lower().rstrip("."), rdtype)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        answer = self._query(key[0], rdtype)
        with self._lock:
            self._cache[key] = answer
        return answer

    def lookup_many(self, queries: Iterable[tuple[str, str]]) -> list[Answer]:
        """Several lookups at once (bounded concurrency), answers in the given order."""
        items = list(queries)
        if len(items) <= 1:
            return [self.lookup(n, t) for n, t in items]
        workers = max(1, min(self.settings.concurrency, len(items)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda q: self.lookup(*q), items))

    def _query(self, name: str, rdtype: str) -> Answer:
        import dns.exception
        import dns.flags
        import dns.name
        import dns.resolver

        left = self.remaining()
        if left <= 0:
            return Answer(name, rdtype, "timeout", detail="the DNS time budget is used up")
        try:
            qname = dns.name.from_text(name)
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, "error", detail=f"invalid name: {exc}")
        self.queries += 1
        try:
            result = self._resolver.resolve(
                qname,
                rdtype,
                lifetime=min(left, self.settings.per_query),
                raise_on_no_answer=False,
            )
        except dns.resolver.NXDOMAIN:
            return Answer(name, rdtype, "nxdomain", detail="no such name")
        except dns.resolver.LifetimeTimeout:
            return Answer(name, rdtype, "timeout", detail="no answer in time")
        except dns.resolver.NoNameservers as exc:
            text = str(exc)
            status: Status = "refused" if "REFUSED" in text else "servfail"
            return Answer(name, rdtype, status, detail=_short(text))
        except dns.resolver.YXDOMAIN:
            return Answer(name, rdtype, "error", detail="the name is too long after DNAME")
        except dns.exception.DNSException as exc:
            return Answer(name, rdtype, "error", detail=_short(str(exc)) or type(exc).__name__)
        except (OSError, ValueError) as exc:
            return Answer(name, rdtype, "error", detail=_short(str(exc)))
        rrset = result.rrset
        authenticated = bool(result.response.flags & dns.flags.AD)
        canonical = str(result.canonical_name).rstrip(".").lower()
        if rrset is None:
            return Answer(name, rdtype, "nodata", canonical=canonical, authenticated=authenticated)
        records = tuple(rdata.to_text() for rdata in rrset)
        texts: tuple[str, ...] = ()
        if rdtype == "TXT":
            texts = tuple(b"".join(rdata.strings).decode("utf-8", "replace") for rdata in rrset)
        return Answer(
            name,
            rdtype,
            "ok",
            records,
            canonical=canonical,
            texts=texts,
            authenticated=authenticated,
        )


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
