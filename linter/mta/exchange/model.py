"""One model of an Exchange organisation's transport settings, whichever form it came in.

Records (:mod:`.records`) become receive connectors, send connectors, servers and AD
permissions here, each value read the way the cmdlets write it: enums by name
(``"Tls, BasicAuth"``) or by number (Windows PowerShell's ``ConvertTo-Json``), lists as
JSON arrays or Format-List's ``{a, b}``, bindings and IP ranges as text or as the
objects ``ConvertTo-Json`` writes for them. A value that cannot be read is a diagnostic
at its position, and the connector keeps Exchange's default for it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.mta.exchange.records import Record, Records, Value
from linter.mta.exchange.reference import (
    PERMISSION_GROUP_BITS,
    PERMISSION_GROUPS,
    PROTOCOL_LOGGING,
    PROTOCOL_LOGGING_NUMBERS,
    RECEIVE_AUTH,
    RECEIVE_AUTH_BITS,
    SEND_AUTH,
    SEND_AUTH_NUMBERS,
    TLS_AUTH_LEVEL_NUMBERS,
    TLS_AUTH_LEVELS,
    TRANSPORT_ROLE_NUMBERS,
    TRANSPORT_ROLES,
)
from linter.source import Span

MAX_LIST = 4096  # items of one list property
# what a receive connector's verdicts rest on: a Format-List paste of chosen properties
# without one of these leaves them unknown (the JSON exporter always writes them)
FL_DECISIVE = ("Bindings", "RemoteIPRanges", "AuthMechanism", "PermissionGroups")
# what outbound verdicts rest on (relay host, its port, TLS, credentials in clear)
FL_SEND_DECISIVE = (
    "AddressSpaces",
    "DNSRoutingEnabled",
    "SmartHosts",
    "Port",
    "RequireTLS",
    "SmartHostAuthMechanism",
)
# left out of a paste, these only keep a verdict from being drawn (the greeting, TLS
# required before AUTH)
FL_SHOWN = ("Banner", "RequireTLS")


@dataclass(frozen=True)
class IPRange:
    text: str
    version: int
    low: int
    high: int

    @property
    def size(self) -> int:
        return self.high - self.low + 1


@dataclass(frozen=True)
class Binding:
    text: str
    address: str  # "0.0.0.0" / "::" for every local address of that family
    version: int
    port: int

    @property
    def wildcard(self) -> bool:
        return self.address in ("0.0.0.0", "::")  # noqa: S104 - reading, not binding


@dataclass
class Permission:
    user: str
    rights: list[str]  # lower case
    deny: bool
    inherited: bool
    span: Span


@dataclass
class ReceiveConnector:
    name: str
    identity: str
    server: str
    role: str  # FrontendTransport, HubTransport, or "" when not given
    enabled: bool
    bindings: list[Binding]
    ranges: list[IPRange]
    auth: set[str]
    groups: set[str]
    require_tls: bool
    banner: str
    fqdn: str
    max_message_size: str
    protocol_logging: str
    # the connector's AD permissions, or None when the input has none (Format-List)
    permissions: list[Permission] | None
    span: Span
    fields: dict[str, Span] = field(default_factory=dict)
    truncated: list[str] = field(default_factory=list)  # lists Format-List cut short
    # properties a Format-List paste leaves out (Format-List Name, Bindings, ...): their
    # values are not known, whatever the defaults
    absent: list[str] = field(default_factory=list)
    # properties given but not readable (a diagnostic says why): not known either
    unreadable: list[str] = field(default_factory=list)

    @property
    def unknown(self) -> set[str]:
        return {*self.absent, *self.unreadable}

    @property
    def partial_lists(self) -> bool:
        """Its Bindings or RemoteIPRanges show only some entries (cut short with "...",
        or an entry that cannot be read)."""
        names = {n.lower() for n in (*self.truncated, *self.unreadable)}
        return bool(names & {"bindings", "remoteipranges"})

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "identity": self.identity,
            "server": self.server,
            "transport_role": self.role,
            "enabled": self.enabled,
            "bindings": [b.text for b in self.bindings],
            "remote_ip_ranges": [r.text for r in self.ranges],
            "auth_mechanism": sorted(self.auth, key=RECEIVE_AUTH.index),
            "permission_groups": sorted(self.groups, key=PERMISSION_GROUPS.index),
            "require_tls": self.require_tls,
            "banner": self.banner,
            "fqdn": self.fqdn,
            "max_message_size": self.max_message_size,
            "protocol_logging_level": self.protocol_logging,
            "permissions": None
            if self.permissions is None
            else [
                {"user": p.user, "rights": p.rights, "deny": p.deny, "inherited": p.inherited}
                for p in self.permissions
            ],
            "line": self.span.line,
        }


@dataclass
class SendConnector:
    name: str
    enabled: bool
    address_spaces: list[str]
    smart_hosts: list[str]
    dns_routing: bool
    port: int
    require_tls: bool
    tls_auth_level: str
    smart_host_auth: str
    ignore_starttls: bool
    fqdn: str
    span: Span
    fields: dict[str, Span] = field(default_factory=dict)
    # what a Format-List paste of chosen properties leaves out (see FL_SEND_DECISIVE)
    absent: list[str] = field(default_factory=list)

    @property
    def internet(self) -> bool:
        """Routes mail for every domain (address space ``*``)."""
        return any(_address_space_domain(a) == "*" for a in self.address_spaces)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "enabled": self.enabled,
            "address_spaces": self.address_spaces,
            "smart_hosts": self.smart_hosts,
            "dns_routing_enabled": self.dns_routing,
            "port": self.port,
            "require_tls": self.require_tls,
            "tls_auth_level": self.tls_auth_level,
            "smart_host_auth_mechanism": self.smart_host_auth,
            "ignore_starttls": self.ignore_starttls,
            "line": self.span.line,
        }


@dataclass
class Server:
    name: str
    version: str  # AdminDisplayVersion as written
    build: tuple[int, int, int, int] | None
    span: Span


@dataclass
class ExchangeModel:
    form: str = ""  # "json" or "fl"
    path: str = ""
    receive: list[ReceiveConnector] = field(default_factory=list)
    send: list[SendConnector] = field(default_factory=list)
    servers: list[Server] = field(default_factory=list)
    accepted_domains: list[str] = field(default_factory=list)
    has_permissions: bool = False  # the input carries Get-ADPermission entries
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _address_space_domain(text: str) -> str:
    """``SMTP:*;1`` / ``*`` / ``{SMTP:*;1}`` → ``*``."""
    text = text.strip()
    if ":" in text:
        text = text.split(":", 1)[1]
    return text.split(";", 1)[0].strip()


_VERSION = re.compile(r"Version\s+(\d+)\.(\d+)\s*\(Build\s+(\d+)\.(\d+)\)", re.IGNORECASE)
_DOTTED = re.compile(r"^\s*(\d+)\.(\d+)\.(\d+)\.(\d+)\s*$")


def parse_build(text: str) -> tuple[int, int, int, int] | None:
    """``Version 15.2 (Build 1544.4)`` (AdminDisplayVersion) or ``15.2.1544.4``."""
    m = _VERSION.search(text) or _DOTTED.match(text)
    if m is None:
        return None
    a, b, c, d = (int(g[:9]) for g in m.groups())
    return a, b, c, d


def parse_range(text: str) -> IPRange | None:
    """One RemoteIPRanges entry: an address, ``low-high``, or CIDR."""
    text = text.strip().strip("[]")
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
            return IPRange(text, net.version, int(net[0]), int(net[-1]))
        if "-" in text:
            lo_text, hi_text = text.split("-", 1)
            lo = ipaddress.ip_address(lo_text.strip())
            hi = ipaddress.ip_address(hi_text.strip())
            if lo.version != hi.version or int(lo) > int(hi):
                return None
            return IPRange(text, lo.version, int(lo), int(hi))
        ip = ipaddress.ip_address(text)
        return IPRange(text, ip.version, int(ip), int(ip))
    except ValueError:
        return None


def parse_binding(text: str) -> Binding | None:
    """``0.0.0.0:25``, ``[::]:25``, ``192.168.1.10:587``."""
    text = text.strip()
    m = re.match(r"^\[?([0-9A-Fa-f:.]+?)\]?:(\d{1,5})$", text)
    if m is None:
        return None
    try:
        ip = ipaddress.ip_address(m.group(1))
    except ValueError:
        return None
    port = int(m.group(2))
    if not 0 < port < 65536:
        return None
    return Binding(text, str(ip), ip.version, port)


class Reader:
    """Reads one record's values the way the cmdlets write them."""

    def __init__(self, model: ExchangeModel, record: Record) -> None:
        self.model = model
        self.record = record

    def invalid(self, v: Value, wanted: str) -> None:
        shown = v.value if isinstance(v.value, str | int | float | bool) else type(v.value).__name__
        self.model.diagnostics.append(
            Diagnostic(
                "invalid-value",
                f"{v.written} = {str(shown)[:200]!r} is not {wanted}; not used",
                v.span,
                False,
                {"parameter": v.written},
            )
        )

    def span(self, name: str) -> Span:
        v = self.record.get(name)
        return v.span if v is not None else self.record.span

    def text(self, name: str, default: str = "") -> str:
        v = self.record.get(name)
        if v is None or v.value is None:
            return default
        if isinstance(v.value, str):
            return v.value.strip()
        if isinstance(v.value, bool | int | float):
            return str(v.value)
        if isinstance(v.value, dict):
            # ConvertTo-Json writes some objects whole: their display text is a field
            for key in ("Name", "Expression", "DisplayName", "Domain", "value"):
                if isinstance(v.value.get(key), str):
                    return str(v.value[key])
        self.invalid(v, "text")
        return default

    def flag(self, name: str, default: bool) -> bool:
        v = self.record.get(name)
        if v is None or v.value is None or v.value == "":
            return default
        if isinstance(v.value, bool):
            return v.value
        if isinstance(v.value, str) and v.value.strip().lower() in (
            "true",
            "false",
            "$true",
            "$false",
        ):
            return v.value.strip().lower().lstrip("$") == "true"
        self.invalid(v, "True or False")
        return default

    def number(self, name: str, default: int) -> int:
        v = self.record.get(name)
        if v is None or v.value is None or v.value == "":
            return default
        if isinstance(v.value, int) and not isinstance(v.value, bool):
            return v.value
        if isinstance(v.value, str) and v.value.strip().isascii() and v.value.strip().isdecimal():
            return int(v.value.strip()[:9])
        self.invalid(v, "a number")
        return default

    def items(self, name: str) -> list[str]:
        """A multi-valued property's items as text."""
        v = self.record.get(name)
        if v is None or v.value is None:
            return []
        raw = v.value
        if isinstance(raw, dict) and isinstance(raw.get("value"), list):
            raw = raw["value"]  # ConvertTo-Json of some collections: {"value": [...], "Count": n}
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("{") and text.endswith("}"):
                text = text[1:-1]
            if text.endswith("..."):
                text = text[:-3]
            parts = [p.strip() for p in text.split(",")]
        elif isinstance(raw, list):
            parts = [self._item_text(name, x) for x in raw[:MAX_LIST]]
        else:
            parts = [self._item_text(name, raw)]
        return [p for p in parts if p][:MAX_LIST]

    def _item_text(self, name: str, item: Any) -> str:
        if isinstance(item, str):
            return item.strip()
        if isinstance(item, bool):
            return str(item)
        if isinstance(item, int | float):
            return str(item)
        if isinstance(item, dict):
            # ConvertTo-Json of IPBinding {Address, Port}, IPRange {Expression, ...},
            # SmartHost {Address/Domain}, AddressSpace {Address, Type, Cost}
            if "Expression" in item and isinstance(item["Expression"], str):
                return str(item["Expression"])
            address = item.get("Address")
            if isinstance(address, str) and isinstance(item.get("Port"), int):
                a = f"[{address}]" if ":" in address else address
                return f"{a}:{item['Port']}"
            for key in ("Address", "Domain", "Name", "AddressString"):
                if isinstance(item.get(key), str):
                    return str(item[key])
        v = self.record.get(name)
        if v is not None:
            self.invalid(v, "a list of text values")
        return ""

    def flags(
        self, name: str, members: tuple[str, ...], bits: dict[str, int] | None
    ) -> set[str] | None:
        """A [Flags] enum written by name(s) or, where ``bits`` says how, by number."""
        v = self.record.get(name)
        if v is None or v.value is None:
            return None
        raw = v.value
        if isinstance(raw, int) and not isinstance(raw, bool):
            if bits is None:
                self.invalid(v, "a name (this enum is read by name only)")
                return None
            unknown = raw & ~sum(bits.values())
            if raw < 0 or unknown:
                self.invalid(v, f"a combination of {', '.join(members)}")
                return None
            return {m for m, bit in bits.items() if raw & bit}
        # member names have no spaces: one a console wrap split is joined again
        names = [n.replace(" ", "") for n in self.items(name)]
        lookup = {m.lower(): m for m in members}
        out: set[str] = set()
        for n in names:
            if n.lower() == "none":
                continue
            if n.lower() not in lookup:
                self.invalid(v, f"one of None, {', '.join(members)}")
                return None
            out.add(lookup[n.lower()])
        return out

    def choice(
        self, name: str, members: tuple[str, ...], numbers: dict[int, str] | None, default: str
    ) -> str:
        v = self.record.get(name)
        if v is None or v.value is None or v.value == "":
            return default
        raw = v.value
        if isinstance(raw, int) and not isinstance(raw, bool):
            if numbers is not None and raw in numbers:
                return numbers[raw]
            known = ", ".join(f"{n} ({m})" for n, m in (numbers or {}).items())
            self.invalid(v, f"one of {known}" if known else f"one of {', '.join(members)}")
            return default
        text = self.text(name)
        lookup = {m.lower(): m for m in members}
        if text.lower() not in lookup:
            self.invalid(v, f"one of {', '.join(members)}")
            return default
        return lookup[text.lower()]


def _fields(record: Record, names: tuple[str, ...]) -> dict[str, Span]:
    return {n: v.span for n in names if (v := record.get(n)) is not None}


def receive_connector(model: ExchangeModel, record: Record) -> ReceiveConnector:
    r = Reader(model, record)
    bindings: list[Binding] = []
    unreadable: list[str] = []
    for text in r.items("Bindings"):
        b = parse_binding(text.replace(" ", ""))  # a console wrap may split one
        if b is None:
            r.invalid(record.get("Bindings"), "a list of address:port bindings")  # type: ignore[arg-type]
            unreadable.append("Bindings")
        else:
            bindings.append(b)
    ranges: list[IPRange] = []
    for text in r.items("RemoteIPRanges"):
        rng = parse_range(text.replace(" ", ""))
        if rng is None:
            r.invalid(record.get("RemoteIPRanges"), "a list of IP addresses, ranges or networks")  # type: ignore[arg-type]
            unreadable.append("RemoteIPRanges")
        else:
            ranges.append(rng)
    auth = r.flags("AuthMechanism", RECEIVE_AUTH, RECEIVE_AUTH_BITS)
    groups = r.flags("PermissionGroups", PERMISSION_GROUPS, PERMISSION_GROUP_BITS)
    for prop, value in (("AuthMechanism", auth), ("PermissionGroups", groups)):
        given = record.get(prop)
        if value is None and given is not None and given.value is not None:
            unreadable.append(prop)  # a diagnostic says why; not Exchange's default
    name = r.text("Name") or r.text("Identity") or f"receive connector at line {record.span.line}"
    identity = r.text("Identity") or name
    server = r.text("Server")
    if not server and "\\" in identity:
        server = identity.split("\\", 1)[0]
    connector = ReceiveConnector(
        name=name,
        identity=identity,
        server=server,
        role=r.choice("TransportRole", TRANSPORT_ROLES, TRANSPORT_ROLE_NUMBERS, ""),
        enabled=r.flag("Enabled", True),
        bindings=bindings,
        ranges=ranges,
        # New-ReceiveConnector's defaults when a value is absent (Custom usage type)
        auth=auth if auth is not None else {"Tls"},
        groups=groups if groups is not None else set(),
        require_tls=r.flag("RequireTLS", False),
        banner=r.text("Banner"),
        fqdn=r.text("Fqdn"),
        max_message_size=r.text("MaxMessageSize"),
        # absent: not known (the export says nothing), never assumed to be None
        protocol_logging=r.choice(
            "ProtocolLoggingLevel", PROTOCOL_LOGGING, PROTOCOL_LOGGING_NUMBERS, ""
        ),
        permissions=None,
        span=record.span,
        fields=_fields(
            record,
            (
                "Bindings",
                "RemoteIPRanges",
                "AuthMechanism",
                "PermissionGroups",
                "RequireTLS",
                "Banner",
                "MaxMessageSize",
                "ProtocolLoggingLevel",
                "Enabled",
            ),
        ),
        truncated=[v.written for v in record.values.values() if v.truncated],
        unreadable=list(dict.fromkeys(unreadable)),
    )
    if model.form == "fl":
        connector.absent = [n for n in (*FL_DECISIVE, *FL_SHOWN) if record.get(n) is None]
    permissions = record.get("ADPermissions") or record.get("Permissions")
    if permissions is not None:
        connector.permissions = read_permissions(model, record, permissions)
    return connector


def read_permissions(model: ExchangeModel, record: Record, v: Value) -> list[Permission]:
    out: list[Permission] = []
    raw = v.value if isinstance(v.value, list) else [v.value]
    for j, item in enumerate(raw[:MAX_LIST]):
        if not isinstance(item, dict):
            Reader(model, record).invalid(v, "a list of permission objects")
            continue
        where = v.item_spans[j] if j < len(v.item_spans) else v.span
        sub = Record("permission", where, {k.lower(): Value(k, x, where) for k, x in item.items()})
        p = permission(model, sub)
        if p is not None:
            out.append(p)
    model.has_permissions = True
    return out


def permission(model: ExchangeModel, record: Record) -> Permission | None:
    r = Reader(model, record)
    user = r.text("User")
    if not user:
        return None
    return Permission(
        user=user,
        rights=[x.lower() for x in r.items("ExtendedRights")],
        deny=r.flag("Deny", False),
        inherited=r.flag("IsInherited", False),
        span=r.span("ExtendedRights"),
    )


def send_connector(model: ExchangeModel, record: Record) -> SendConnector:
    r = Reader(model, record)
    connector = SendConnector(
        name=r.text("Name") or r.text("Identity") or f"send connector at line {record.span.line}",
        enabled=r.flag("Enabled", True),
        address_spaces=r.items("AddressSpaces"),
        smart_hosts=r.items("SmartHosts") or r.items("SmartHostsString"),
        dns_routing=r.flag("DNSRoutingEnabled", True),
        port=r.number("Port", 25),
        require_tls=r.flag("RequireTLS", False),
        tls_auth_level=r.choice("TlsAuthLevel", TLS_AUTH_LEVELS, TLS_AUTH_LEVEL_NUMBERS, ""),
        smart_host_auth=r.choice("SmartHostAuthMechanism", SEND_AUTH, SEND_AUTH_NUMBERS, "None"),
        ignore_starttls=r.flag("IgnoreSTARTTLS", False),
        fqdn=r.text("Fqdn"),
        span=record.span,
        fields=_fields(
            record,
            (
                "SmartHosts",
                "Port",
                "RequireTLS",
                "TlsAuthLevel",
                "SmartHostAuthMechanism",
                "IgnoreSTARTTLS",
                "DNSRoutingEnabled",
                "AddressSpaces",
            ),
        ),
    )
    if model.form == "fl":
        connector.absent = [n for n in FL_SEND_DECISIVE if record.get(n) is None]
    return connector


def build_model(records: Records) -> ExchangeModel:
    model = ExchangeModel(form=records.form, path=records.path)
    for kind, message, span in records.problems:
        model.diagnostics.append(Diagnostic(kind, message, span, False, {"parameter": kind}))
    loose: list[tuple[str, Permission]] = []  # Get-ADPermission | fl blocks
    for record in records.records:
        if record.kind == "receive":
            model.receive.append(receive_connector(model, record))
        elif record.kind == "send":
            model.send.append(send_connector(model, record))
        elif record.kind == "server":
            r = Reader(model, record)
            version = r.text("AdminDisplayVersion")
            model.servers.append(
                Server(
                    r.text("Name") or r.text("Identity"),
                    version,
                    parse_build(version),
                    r.span("AdminDisplayVersion"),
                )
            )
        elif record.kind == "accepted-domain":
            domain = Reader(model, record).text("DomainName")
            if domain:
                model.accepted_domains.append(domain)
        elif record.kind == "permission":
            p = permission(model, record)
            if p is not None:
                loose.append((Reader(model, record).text("Identity"), p))
    if loose:
        # Get-ADPermission output names its connector by Identity (SERVER\Name)
        model.has_permissions = True
        for connector in model.receive:
            mine = [
                p
                for ident, p in loose
                if ident.lower() in (connector.identity.lower(), connector.name.lower())
            ]
            connector.permissions = (connector.permissions or []) + mine
    for s in model.send:
        if s.absent:
            model.diagnostics.append(
                Diagnostic(
                    "missing-property",
                    f"{s.name}: the Format-List output has no {', '.join(s.absent)}: how "
                    "this send connector delivers is not judged; paste the whole "
                    "Get-SendConnector | Format-List output",
                    s.span,
                    False,
                    {"parameter": s.absent[0]},
                )
            )
    for c in model.receive:
        decisive = [n for n in c.absent if n in FL_DECISIVE]
        if decisive:
            model.diagnostics.append(
                Diagnostic(
                    "missing-property",
                    f"{c.name}: the Format-List output has no {', '.join(decisive)}: "
                    "who may connect and relay through this connector is not known; paste "
                    "the whole Get-ReceiveConnector | Format-List output",
                    c.span,
                    False,
                    {"parameter": decisive[0]},
                )
            )
        if c.truncated:
            model.diagnostics.append(
                Diagnostic(
                    "truncated-list",
                    f"{c.name}: {', '.join(c.truncated)} end in '...': Format-List showed only the "
                    "first items ($FormatEnumerationLimit); run $FormatEnumerationLimit = -1 "
                    "before Get-ReceiveConnector | fl, or use contrib/Export-ExchangeSettings.ps1",
                    c.span,
                    False,
                    {"parameter": c.truncated[0]},
                )
            )
    return model
