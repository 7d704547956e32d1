"""Relay providers: what each mail relay service serves, read from its documentation.

The catalogue is data (``data/<id>.yaml``, one file per provider). Each file names the
page every fact was read from and the date it was read; a fact the pages did not state
is left out, with a comment saying so. :func:`put_facts` matches the relayhost of a
posture against the catalogue and adds ``posture.outbound.provider``, which the rules
tagged ``relayhost-port``, ``relayhost-auth`` and ``relayhost-tls`` judge for every MTA.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from linter.facts import Facts

DATA_DIR = Path(__file__).resolve().parent / "data"
# starttls: plain greeting, STARTTLS offered; implicit: TLS from the first byte; plain: the
# provider documents the port for connections without TLS and says nothing of STARTTLS
# there; unstated: the port is served but its TLS mode is not documented (never judged)
TlsMode = Literal["starttls", "implicit", "plain", "unstated"]
AuthRequired = Literal["always", "default", "no"]
DEFAULT_PORT = 25  # a relayhost without a port: every MTA here connects to 25

_TLS_WORDS = {
    "starttls": "STARTTLS",
    "implicit": "implicit TLS",
    "plain": "plain SMTP, STARTTLS not documented",
    "unstated": "TLS mode not documented",
}
_TLS_OFFERED = ("starttls", "implicit")


class CatalogueError(ValueError):
    """A provider file that does not follow the catalogue's format."""


@dataclass(frozen=True)
class HostPattern:
    pattern: str  # "email-smtp.{region}.amazonaws.com" or a plain host name
    region: str = ""  # the region a plain host name stands for
    regions: tuple[str, ...] = ()
    regions_complete: bool = False
    region_shape: str = ""  # a region outside an incomplete list must still look like this
    regions_source: tuple[str, ...] = ()

    def match(self, host: str) -> str | None:
        """The region the host names ("" without one), or None when it does not match."""
        if "{region}" not in self.pattern:
            return self.region if host == self.pattern else None
        before, after = self.pattern.split("{region}", 1)
        m = re.fullmatch(re.escape(before) + r"([a-z0-9-]{1,40})" + re.escape(after), host)
        return m.group(1) if m else None

    def region_known(self, region: str) -> bool | None:
        """True: a documented region; False: one that does not exist; None: not known."""
        if "{region}" not in self.pattern or region in self.regions:
            return True
        if self.regions_complete:
            return False
        if self.region_shape and not re.fullmatch(self.region_shape, region):
            return False
        return None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    source: str
    read_on: str
    hosts: tuple[HostPattern, ...]
    ports: dict[int, TlsMode]
    ports_source: str
    tls_required: bool
    # False where the page names ports to use without saying they are the only ones: a
    # port outside the list is then unknown (never reported as not served)
    ports_complete: bool = True
    port25_note: str = ""
    auth_required: AuthRequired = "no"
    auth_source: str = ""
    auth_user_name: str = ""
    auth_note: str = ""
    spf_include: str = ""
    spf_source: str = ""
    dkim_selectors: tuple[str, ...] = ()
    dkim_note: str = ""
    dkim_source: str = ""
    return_path: str = ""
    return_path_source: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def match(self, host: str) -> tuple[HostPattern, str] | None:
        for pattern in self.hosts:
            region = pattern.match(host)
            if region is not None:
                return pattern, region
        return None

    def ports_text(self, ports: list[int] | None = None) -> str:
        chosen = sorted(self.ports) if ports is None else ports
        return ", ".join(f"{p} ({_TLS_WORDS[self.ports[p]]})" for p in chosen)


# ------------------------------------------------------------------ loading

_TOP_KEYS = {
    "id", "name", "source", "read_on", "hosts", "ports", "auth", "spf", "dkim", "return_path"
}  # fmt: skip
_REQUIRED_TOP = {"id", "name", "source", "read_on", "hosts", "ports", "auth"}
_HOST_KEYS = {
    "pattern", "region", "regions", "regions_complete", "region_shape", "regions_source"
}  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^https://[^\s]+$")


def _need(cond: bool, where: str, message: str) -> None:
    if not cond:
        raise CatalogueError(f"{where}: {message}")


def _keys(data: Any, allowed: set[str], required: set[str], where: str) -> dict[str, Any]:
    _need(isinstance(data, dict), where, "must be a mapping")
    unknown = set(data) - allowed
    _need(not unknown, where, f"unknown keys {sorted(unknown)}")
    missing = required - set(data)
    _need(not missing, where, f"missing keys {sorted(missing)}")
    return dict(data)


def _url(value: Any, where: str) -> str:
    _need(isinstance(value, str) and bool(_URL.match(value)), where, "source must be an https URL")
    return str(value)


def _host(data: Any, where: str) -> HostPattern:
    d = _keys(data, _HOST_KEYS, {"pattern"}, where)
    pattern = d["pattern"]
    _need(isinstance(pattern, str) and pattern == pattern.lower(), where, "lower-case pattern")
    templated = "{region}" in pattern
    regions = d.get("regions") or []
    _need(isinstance(regions, list) and all(isinstance(r, str) for r in regions), where, "regions")
    if templated:
        _need("regions" in d and "regions_source" in d, where, "a {region} needs cited regions")
        _need(isinstance(d.get("regions_complete"), bool), where, "regions_complete: yes/no")
    sources = tuple(_url(u, where) for u in d.get("regions_source") or [])
    shape = str(d.get("region_shape", ""))
    if shape:
        re.compile(shape)
    return HostPattern(
        pattern,
        str(d.get("region", "")),
        tuple(regions),
        bool(d.get("regions_complete", False)),
        shape,
        sources,
    )


def parse_provider(data: Any, where: str) -> Provider:
    """One provider file, checked strictly (unknown or missing keys are errors)."""
    d = _keys(data, _TOP_KEYS, _REQUIRED_TOP, where)
    _need(isinstance(d["id"], str) and bool(re.fullmatch(r"[a-z0-9-]+", d["id"])), where, "id")
    _need(isinstance(d["read_on"], str) and bool(_DATE.match(d["read_on"])), where, "read_on")
    hosts = d["hosts"]
    _need(isinstance(hosts, list) and bool(hosts), where, "hosts must be a non-empty list")
    ports_d = _keys(
        d["ports"],
        {"source", "served", "complete", "tls_required", "port25_note"},
        {"source", "served"},
        where,
    )
    _need(isinstance(ports_d.get("complete", True), bool), where, "ports.complete: yes/no")
    served: dict[int, TlsMode] = {}
    for item in ports_d["served"]:
        p = _keys(item, {"port", "tls"}, {"port", "tls"}, f"{where}: ports")
        _need(isinstance(p["port"], int) and 0 < p["port"] < 65536, where, "port number")
        _need(
            p["tls"] in _TLS_WORDS,
            where,
            f"tls of port {p['port']}: starttls, implicit, plain or unstated",
        )
        served[p["port"]] = p["tls"]
    auth = _keys(
        d["auth"], {"source", "required", "user_name", "note"}, {"source", "required"}, where
    )
    _need(auth["required"] in ("always", "default", "no"), where, "auth.required")
    spf = _keys(d.get("spf", {"source": d["source"]}), {"source", "include"}, {"source"}, where)
    dkim = _keys(
        d.get("dkim", {"source": d["source"]}), {"source", "selectors", "note"}, {"source"}, where
    )
    ret = _keys(
        d.get("return_path", {"source": d["source"]}), {"source", "custom"}, {"source"}, where
    )
    return Provider(
        id=d["id"],
        name=str(d["name"]),
        source=_url(d["source"], where),
        read_on=d["read_on"],
        hosts=tuple(_host(h, f"{where}: hosts[{i}]") for i, h in enumerate(hosts)),
        ports=served,
        ports_source=_url(ports_d["source"], where),
        tls_required=bool(ports_d.get("tls_required", False)),
        ports_complete=bool(ports_d.get("complete", True)),
        port25_note=str(ports_d.get("port25_note", "")),
        auth_required=auth["required"],
        auth_source=_url(auth["source"], where),
        auth_user_name=str(auth.get("user_name", "")),
        auth_note=str(auth.get("note", "")),
        spf_include=str(spf.get("include", "")),
        spf_source=_url(spf["source"], where),
        dkim_selectors=tuple(str(s) for s in dkim.get("selectors") or []),
        dkim_note=str(dkim.get("note", "")),
        dkim_source=_url(dkim["source"], where),
        return_path=str(ret.get("custom", "")),
        return_path_source=_url(ret["source"], where),
        raw=d,
    )


@cache
def catalogue() -> tuple[Provider, ...]:
    """Every provider of ``data/``, sorted by id (a malformed file is a CatalogueError)."""
    from linter.yamlsafe import load_yaml

    providers = []
    for path in sorted(DATA_DIR.glob("*.yaml")):
        provider = parse_provider(load_yaml(path.read_text(encoding="utf-8")), path.name)
        _need(provider.id == path.stem, path.name, f"id {provider.id!r} differs from file name")
        providers.append(provider)
    return tuple(providers)


# ------------------------------------------------------------------ matching


def _clean_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def match(host: str) -> tuple[Provider, HostPattern, str] | None:
    """The provider whose endpoint ``host`` names, with the pattern and region."""
    name = _clean_host(host)
    if not name or len(name) > 253:
        return None
    for provider in catalogue():
        found = provider.match(name)
        if found is not None:
            return provider, found[0], found[1]
    return None


def _tls_mismatch(provider: Provider, port: int | None, outbound: dict[str, Any]) -> str:
    """Why the client's TLS cannot work with this port of the provider, or ""."""
    if port is None or port not in provider.ports:
        return ""
    wrapper = bool(outbound.get("wrappermode"))
    mode = provider.ports[port]
    if mode == "implicit" and not wrapper:
        return (
            f"port {port} of {provider.name} expects TLS from the first byte (implicit TLS), "
            "but the client speaks plain SMTP there first"
        )
    if mode in ("starttls", "plain") and wrapper:
        offers = " and offers STARTTLS" if mode == "starttls" else ""
        return (
            f"port {port} of {provider.name} starts in plain SMTP{offers}, "
            "but the client starts TLS at once (wrapper mode)"
        )
    if provider.tls_required and outbound.get("tls") == "none":
        return (
            f"{provider.name} requires TLS on every connection, but outbound TLS is "
            "turned off, so every message is refused"
        )
    return ""


def provider_fact(relayhost: dict[str, Any] | None, outbound: dict[str, Any]) -> dict[str, Any]:
    """``posture.outbound.provider``: the catalogue entry the relayhost names, judged
    against the relayhost's port and the outbound TLS settings; {} when none matches."""
    if not isinstance(relayhost, dict):
        return {}
    found = match(str(relayhost.get("host") or ""))
    if found is None:
        return {}
    provider, pattern, region = found
    port = relayhost.get("port")
    if port is None and not str(relayhost.get("port_text") or "").strip():
        port = DEFAULT_PORT
    others = [p for p in sorted(provider.ports) if p != DEFAULT_PORT]
    port_tls = provider.ports.get(port) if isinstance(port, int) else None
    served: bool | None = None
    if port is not None:
        served = True if port in provider.ports else (False if provider.ports_complete else None)
    return {
        "id": provider.id,
        "name": provider.name,
        "source": provider.source,
        "read_on": provider.read_on,
        "host": _clean_host(str(relayhost.get("host") or "")),
        "region": region,
        "region_known": pattern.region_known(region),
        "regions": ", ".join(pattern.regions) or "(none)",
        "regions_source": ", ".join(pattern.regions_source) or provider.source,
        "port": port,
        "port_served": served,
        "port_tls": port_tls,
        "ports": sorted(provider.ports),
        "ports_text": provider.ports_text(),
        "alternative_ports_text": provider.ports_text(others),
        "ports_source": provider.ports_source,
        "port25_note": provider.port25_note,
        "tls_required": provider.tls_required,
        # True where the page documents TLS on the port; None where it does not say
        "tls_offered": True if port_tls in _TLS_OFFERED else None,
        "tls_mismatch": _tls_mismatch(provider, port, outbound),
        "auth_required": provider.auth_required,
        "auth_user_name": provider.auth_user_name,
        "auth_note": provider.auth_note or "(no convention given)",
        "auth_source": provider.auth_source,
        "spf_include": provider.spf_include,
        "dkim_selectors": list(provider.dkim_selectors),
        "return_path": provider.return_path,
    }


_CLIENT_FIELDS = ("tls", "wrappermode", "auth")


def route_fact(route: dict[str, Any], outbound: dict[str, Any], via: str) -> dict[str, Any]:
    """One element of ``posture.outbound.provider_routes``: the provider fact of a next
    hop, with the SMTP client settings that reach it (the route's own, where its MTA
    gives them, else the outbound ones) and the setting that names it; {} when the next
    hop is no provider's."""
    client = {name: route.get(name, outbound.get(name)) for name in _CLIENT_FIELDS}
    fact = provider_fact(route, client)
    if not fact:
        return {}
    key = str(route.get("key") or "")
    where = f"{via} entry {key}" if via != "relayhost" and key not in ("", "*") else via
    return {**fact, **client, "raw": str(route.get("raw") or ""), "via": where}


def put_facts(facts: Facts) -> None:
    """Add ``posture.outbound.provider`` (the relayhost's provider) and
    ``posture.outbound.provider_routes`` (every outbound route that names a provider:
    the relayhost, then the routes an MTA records in ``posture.outbound.routes``) beside
    the posture an MTA's analysis built; each located at the line that names the route."""
    outbound = facts.get("posture.outbound")
    if not isinstance(outbound, dict):
        return
    fact = provider_fact(outbound.get("relayhost"), outbound)
    facts.set("posture.outbound.provider", fact)
    span = facts.spans.get("posture.outbound.relayhost")
    port_span = facts.spans.get("posture.outbound.relayhost.port")
    if fact and span is not None:
        facts.spans["posture.outbound.provider"] = span
        if port_span is not None:
            for name in ("port", "port_served", "port_tls"):
                facts.spans[f"posture.outbound.provider.{name}"] = port_span
    located: list[tuple[dict[str, Any], Any, Any]] = []
    relayhost = outbound.get("relayhost")
    if isinstance(relayhost, dict):
        located.append((route_fact(relayhost, outbound, "relayhost"), span, port_span))
    routes = outbound.get("routes")
    for i, route in enumerate(routes if isinstance(routes, list) else []):
        if isinstance(route, dict):
            via = str(route.get("via") or "route")
            route_span = facts.spans.get(f"posture.outbound.routes[{i}]")
            located.append((route_fact(route, outbound, via), route_span, None))
    provider_routes: list[dict[str, Any]] = []
    for item, item_span, item_port_span in located:
        if not item:
            continue
        base = f"posture.outbound.provider_routes[{len(provider_routes)}]"
        provider_routes.append(item)
        if item_span is not None:
            facts.spans[base] = item_span
        if item_port_span is not None:
            for name in ("port", "port_served", "port_tls"):
                facts.spans[f"{base}.{name}"] = item_port_span
    facts.set("posture.outbound.provider_routes", provider_routes)


# ------------------------------------------------------------------ documentation


def reads_provider(rule: Any) -> bool:
    """Whether a rule judges ``posture.outbound.provider`` (its docs then list the
    catalogue)."""
    from linter.engine.conditions import leaf_paths

    if getattr(rule, "for_each", None) == "posture.outbound.provider_routes":
        return True
    when = getattr(rule, "when", None)
    if not isinstance(when, dict):
        return False
    return any(p.startswith("posture.outbound.provider") for p in leaf_paths(when))


def describe() -> list[str]:
    """One line per provider: endpoints, ports with their TLS mode, AUTH, and sources."""
    lines = []
    for p in catalogue():
        hosts = []
        for h in p.hosts:
            if h.regions:
                more = "" if h.regions_complete else ", ..."
                hosts.append(f"{h.pattern} ({', '.join(h.regions)}{more})")
            else:
                hosts.append(h.pattern)
        auth = {"always": "required", "default": "required by default", "no": "optional"}
        user = f", user name {p.auth_user_name}" if p.auth_user_name else ""
        tls = "; TLS required" if p.tls_required else ""
        lines.append(
            f"{p.name}: {'; '.join(hosts)}; ports {p.ports_text()}{tls}; "
            f"AUTH {auth[p.auth_required]}{user} (source: {p.source}, read {p.read_on})"
        )
    return lines
