"""A probe run: targets and ports, a concurrency limit and a total time budget."""

from __future__ import annotations

import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.facts import Facts
from linter.probe.drift import ConfigPosture, drift, load_posture
from linter.probe.port import PortOptions, probe_port
from linter.source import Span

DEFAULT_PORTS = (25, 465, 587)
MAX_TARGETS = 64
MAX_PORTS = 16
DNS_BUDGET = 10.0  # seconds for the TLSA lookups and the MTA-STS policy of --online


class ProbeUsageError(ValueError):
    """A target or option the probe cannot use; the message says which."""


@dataclass
class ProbeRequest:
    targets: list[str]
    ports: tuple[int, ...] = DEFAULT_PORTS
    config: Path | None = None
    relay_test: bool = False
    timeout: float = 10.0  # per connection step
    budget: float = 120.0  # the whole run
    concurrency: int = 4
    ca_file: str | None = None
    online: bool = False  # DANE: the TLSA records of each port probed by name
    resolver: str = ""  # IP, IP:PORT or [IPv6]:PORT; empty: the system's resolvers
    domain: str = ""  # the mail domain whose MTA-STS policy --online checks the hosts against


@dataclass
class ProbeResult:
    facts: Facts
    ports: list[dict[str, Any]]
    drift: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# a scheme fixes how TLS starts on the target's ports, and the port when none is given
SCHEMES = {"smtp": (False, 25), "smtps": (True, 465)}


@dataclass(frozen=True)
class Target:
    host: str
    ports: tuple[int, ...]
    implicit_tls: bool | None = None  # None: by port (465 implicit, others STARTTLS)


def parse_target(text: str, ports: tuple[int, ...]) -> Target:
    """``HOST``, ``HOST:PORT``, ``[V6]`` or ``[V6]:PORT``, each optionally after
    ``smtp://`` (STARTTLS on every port) or ``smtps://`` (implicit TLS on every port,
    465 when no port is given)."""
    text = text.strip()
    if not text or len(text) > 255 or any(c.isspace() or ord(c) < 32 for c in text):
        raise ProbeUsageError(f"not a host name or address: {text!r}")
    implicit: bool | None = None
    scheme, sep, rest = text.partition("://")
    if sep:
        if scheme.lower() not in SCHEMES:
            raise ProbeUsageError(f"unknown scheme {scheme!r} in {text!r} (smtp:// or smtps://)")
        implicit, default_port = SCHEMES[scheme.lower()]
        ports = (default_port,)
        text = rest.rstrip("/")
    host, port = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = rest[1:]
        elif rest:
            raise ProbeUsageError(f"not a host name or address: {text!r}")
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or "/" in host or "@" in host:
        raise ProbeUsageError(f"not a host name or address: {text!r}")
    if port:
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ProbeUsageError(f"not a port number: {port!r} in {text!r}")
        return Target(host, (int(port),), implicit)
    return Target(host, ports, implicit)


def resolve(host: str) -> str:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ProbeUsageError(f"cannot resolve {host!r}: {exc}") from None
    return str(infos[0][4][0])


def probe(request: ProbeRequest) -> ProbeResult:
    if not request.targets:
        raise ProbeUsageError("name at least one host to probe")
    if len(request.targets) > MAX_TARGETS:
        raise ProbeUsageError(f"at most {MAX_TARGETS} targets in one run")
    if len(request.ports) > MAX_PORTS:
        raise ProbeUsageError(f"at most {MAX_PORTS} ports in one run")
    if request.resolver:
        from linter.dns import parse_resolver

        try:
            parse_resolver(request.resolver)
        except ValueError:
            raise ProbeUsageError(
                f"invalid --resolver {request.resolver!r}: use IP, IP:PORT or [IPv6]:PORT"
            ) from None
        if not request.online:
            raise ProbeUsageError("--resolver needs --online")
    domain = ""
    if request.domain:
        from linter.probe.mtasts import valid_domain

        domain = valid_domain(request.domain) or ""
        if not domain:
            raise ProbeUsageError(f"invalid --domain {request.domain!r}: a mail domain name")
        if not request.online:
            raise ProbeUsageError("--domain needs --online")
    config = ConfigPosture()
    problems: list[str] = []
    if request.config is not None:
        config = load_posture(request.config)
        problems.extend(config.problems)
    jobs: list[tuple[str, str, int, bool | None]] = []
    for text in request.targets:
        target = parse_target(text, request.ports)
        address = resolve(target.host)
        for p in target.ports:
            job = (target.host, address, p, target.implicit_tls)
            if job not in jobs:
                jobs.append(job)
    deadline = time.monotonic() + request.budget
    options = PortOptions(
        timeout=request.timeout,
        deadline=deadline,
        relay_test=request.relay_test,
        ca_file=request.ca_file,
        names=tuple(config.names),
    )
    with ThreadPoolExecutor(max_workers=max(1, request.concurrency)) as pool:
        ports = list(pool.map(lambda j: probe_port(j[0], j[1], j[2], options, j[3]), jobs))
    policy: dict[str, Any] = {}
    if request.online:
        policy = _online(ports, request.resolver, domain, deadline)
    facts = Facts()
    facts.set("probe", {"ports": ports, "drift": [], "config": str(request.config or "")})
    if policy:
        facts.set("probe.mta_sts", policy)
    for i, port in enumerate(ports):
        facts.locate(f"probe.ports[{i}]", Span(port["name"], 1))
    drift_entries: list[dict[str, Any]] = []
    if request.config is not None:
        for i, (entry, span) in enumerate(drift(config, ports)):
            drift_entries.append(entry)
            facts.locate(f"probe.drift[{i}]", span)
        facts.set("probe.drift", drift_entries)
    return ProbeResult(facts, ports, drift_entries, problems)


def _online(
    ports: list[dict[str, Any]], resolver_text: str, domain: str, deadline: float
) -> dict[str, Any]:
    """``dane`` facts for every port probed by name (an address has no TLSA name), and
    with a ``domain`` its MTA-STS policy (returned) and each port's ``mta_sts`` facts."""
    from linter.dns import parse_resolver
    from linter.dns.resolver import Resolver, ResolverSettings
    from linter.probe import dane, mtasts

    address, port = parse_resolver(resolver_text) if resolver_text else ("", 53)
    budget = max(1.0, min(DNS_BUDGET, deadline - time.monotonic()))
    resolver = Resolver(ResolverSettings(address=address, port=port, budget=budget))
    for entry in ports:
        if _is_address(entry["host"]):
            entry["dane"] = {"checked": False, "reason": "probed by address: no TLSA name"}
        elif entry.get("reachable"):
            entry["dane"] = dane.check(resolver, entry)
    if not domain:
        return {}
    policy = mtasts.policy(resolver, domain)
    for entry in ports:
        if _is_address(entry["host"]):
            entry["mta_sts"] = {"checked": False, "reason": "probed by address: no MX host name"}
        elif entry.get("reachable"):
            entry["mta_sts"] = mtasts.check(policy, entry)
    return policy


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
