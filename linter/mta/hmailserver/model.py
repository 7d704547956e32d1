"""One model of an hMailServer configuration, whichever form it came in.

``hMailServer.INI`` holds the database connection and the administrator password;
everything the SMTP server does (settings, TCP/IP ports, IP ranges, SSL certificates,
routes, incoming relays) lives in the database and reaches mtalint through the backup
XML (``hMailServerBackup.xml``, bare or in ``HMBackup*.7z``) or a JSON export keyed by
COM property names. The readers (:mod:`.ini`, :mod:`.backup`, :mod:`.export`) fill this
model through :class:`Builder`, which turns each form's spelling into the same values,
so the posture and the rules never see which form it was.

Every value keeps the span of the line that set it; a setting an export leaves out
takes hMailServer's fresh-install default and no span.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.mta.hmailserver.settings import (
    BY_COM,
    BY_DB,
    PROTOCOLS,
    RANGE_BITS,
    SETTINGS,
    SSL3_BIT,
    SSL_VERSION_BITS,
    SettingDef,
    coerce,
)
from linter.source import Span

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_BITS = {name: bit for name, _, bit in RANGE_BITS}


@dataclass
class Setting:
    name: str  # COM property name
    value: Any
    source: str  # "xml", "json" or "default"
    span: Span | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.source, "line": _line(self.span)}


@dataclass
class Port:
    protocol: str  # smtp, pop3, imap, or "protocol N"
    protocol_id: int
    number: int
    address: str  # as written; "" / 0.0.0.0 / :: listen on every interface
    security: int  # eConnectionSecurity
    certificate: str  # SSL certificate name, "" for none
    certificate_found: bool
    span: Span
    fields: dict[str, Span] = field(default_factory=dict)

    @property
    def all_interfaces(self) -> bool:
        return self.address.strip() in ("", "0.0.0.0", "::", "[::]")  # noqa: S104 - reading, not binding

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "protocol_id": self.protocol_id,
            "port": self.number,
            "address": self.address,
            "connection_security": self.security,
            "certificate": self.certificate,
            "certificate_found": self.certificate_found,
            "line": _line(self.span),
        }


@dataclass
class SecurityRange:
    name: str
    lower: str
    upper: str
    priority: int
    options: int
    expires: bool
    span: Span
    fields: dict[str, Span] = field(default_factory=dict)  # fact name → span
    lower_ip: IPAddress | None = None
    upper_ip: IPAddress | None = None

    def flag(self, name: str) -> bool:
        return bool(self.options & _BITS[name])

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lower_ip": self.lower,
            "upper_ip": self.upper,
            "priority": self.priority,
            "options": self.options,
            "expires": self.expires,
            **{name: bool(self.options & bit) for name, _, bit in RANGE_BITS},
            "line": _line(self.span),
        }


@dataclass
class Route:
    domain: str
    description: str
    target_host: str
    target_port: int
    requires_auth: bool
    username: str
    security: int
    span: Span
    fields: dict[str, Span] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "description": self.description,
            "target_host": self.target_host,
            "target_port": self.target_port,
            "requires_auth": self.requires_auth,
            "username": self.username,
            "connection_security": self.security,
            "line": _line(self.span),
        }


@dataclass
class Certificate:
    name: str
    certificate_file: str
    private_key_file: str
    span: Span
    ident: int | None = None  # the COM ID that TCPIPPort.SSLCertificateID refers to

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "certificate_file": self.certificate_file,
            "private_key_file": self.private_key_file,
            "line": _line(self.span),
        }


@dataclass
class IncomingRelay:
    name: str
    lower: str
    upper: str
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lower_ip": self.lower, "upper_ip": self.upper}


@dataclass
class IniEntry:
    section: str  # as written in the first header of that section
    key: str
    value: str  # surrounding blanks and one pair of quotes removed, as Windows returns it
    span: Span  # the key
    value_span: Span


@dataclass
class IniFile:
    path: str
    entries: list[IniEntry] = field(default_factory=list)  # the ones Windows reads
    comments: list[tuple[int, str]] = field(default_factory=list)

    def get(self, section: str, key: str) -> IniEntry | None:
        s, k = section.lower(), key.lower()
        return next(
            (e for e in self.entries if e.section.lower() == s and e.key.lower() == k), None
        )


@dataclass
class HMailModel:
    ini: IniFile | None = None
    # where the database settings came from: "xml", "json", or None (no export)
    database: str | None = None
    database_path: str = ""
    settings: dict[str, Setting] = field(default_factory=dict)
    settings_span: Span | None = None  # the Settings object / <Properties> element
    other_properties: dict[str, Any] = field(default_factory=dict)
    ssl_versions: int | None = None  # the raw SslVersions bitmask of a backup
    ports: list[Port] = field(default_factory=list)
    ranges: list[SecurityRange] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    incoming_relays: list[IncomingRelay] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    version: str = ""  # hMailServer version named by the export
    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[tuple[str, int, str]] = field(default_factory=list)

    def value(self, name: str) -> Any:
        setting = self.settings.get(name)
        if setting is not None:
            return setting.value
        return BY_COM[name.lower()].default

    def span(self, name: str) -> Span | None:
        setting = self.settings.get(name)
        return setting.span if setting is not None else None

    @property
    def ssl3_enabled(self) -> bool:
        """SslVersions bit 1 meant SSLv3 only in hMailServer 5.6.x; later releases
        switch SSLv3 off whatever the bit says."""
        return (
            self.ssl_versions is not None
            and bool(self.ssl_versions & SSL3_BIT)
            and self.version.startswith("5.6")
        )


def _line(span: Span | None) -> int | None:
    return span.line if span is not None else None


def parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


class Builder:
    """Adds what a reader found to the model, in the model's own terms."""

    def __init__(self, model: HMailModel, source: str, path: str) -> None:
        self.model = model
        self.source = source
        self.path = path

    def diagnostic(self, kind: str, message: str, span: Span, **data: Any) -> None:
        self.model.diagnostics.append(Diagnostic(kind, message, span, False, dict(data)))

    def start(self, version: str = "") -> None:
        model = self.model
        model.database = self.source
        model.database_path = self.path
        model.version = version
        for definition in SETTINGS:
            model.settings[definition.com] = Setting(definition.com, definition.default, "default")

    # ------------------------------------------------------------ settings

    def setting_by_com(self, name: str, value: Any, span: Span) -> None:
        definition = BY_COM.get(name.lower())
        if definition is None:
            self.model.other_properties[name] = value
            return
        self._set(definition, value, span, name)

    def setting_by_db(
        self, name: str, long_value: str, string_value: str, span: Span, long_span: Span
    ) -> None:
        """A ``<Properties>`` child of a backup: ``<name LongValue=".." StringValue=".."/>``."""
        if name.lower() == "sslversions":
            number = coerce("int", long_value)
            if number is None:
                self._invalid(name, long_value, long_span, "a number")
                return
            self.model.ssl_versions = number
            for com, bit in SSL_VERSION_BITS.items():
                self.model.settings[com] = Setting(com, bool(number & bit), self.source, long_span)
            return
        definition = BY_DB.get(name.lower())
        if definition is None:
            self.model.other_properties[name] = (
                string_value if string_value else coerce("int", long_value)
            )
            return
        if definition.kind == "str":
            self._set(definition, string_value, span, name)
        else:
            number = coerce("int", long_value)
            if number is None:
                self._invalid(name, long_value, long_span, "a number")
                return
            value: Any = number if definition.kind == "int" else number != 0
            if definition.inverted:
                value = not value
            self._store(definition, value, long_span, name)

    def _set(self, definition: SettingDef, value: Any, span: Span, written: str) -> None:
        coerced = coerce(definition.kind, value)
        if coerced is None:
            wanted = {"bool": "true or false", "int": "a number", "str": "a string"}
            self._invalid(written, value, span, wanted[definition.kind])
            return
        self._store(definition, coerced, span, written)

    def _store(self, definition: SettingDef, value: Any, span: Span, written: str) -> None:
        if definition.choices and value not in definition.choices:
            wanted = ", ".join(str(c) for c in definition.choices)
            self._invalid(written, value, span, f"one of {wanted}")
            return
        self.model.settings[definition.com] = Setting(definition.com, value, self.source, span)

    def _invalid(self, name: str, value: Any, span: Span, wanted: str) -> None:
        self.diagnostic(
            "invalid-value",
            f"{name} = {value!r} is not {wanted}; hMailServer cannot use it",
            span,
            parameter=name,
        )

    # ------------------------------------------------------------ collections

    def number(self, name: str, value: Any, span: Span, default: int = 0) -> int:
        number = coerce("int", value)
        if number is None:
            if value not in (None, ""):
                self._invalid(name, value, span, "a number")
            return default
        return number

    def flag(self, name: str, value: Any, span: Span) -> bool:
        result = coerce("bool", value)
        if result is None:
            if value not in (None, ""):
                self._invalid(name, value, span, "true or false")
            return False
        return bool(result)

    def text(self, name: str, value: Any, span: Span) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return str(value)
        self._invalid(name, value, span, "a string")
        return ""

    def port(
        self,
        protocol: int,
        number: int,
        address: str,
        security: int,
        certificate: str,
        certificate_found: bool,
        span: Span,
        fields: dict[str, Span],
    ) -> None:
        if security not in (0, 1, 2, 3):
            self._invalid("ConnectionSecurity", security, fields.get("tls", span), "0, 1, 2 or 3")
        self.model.ports.append(
            Port(
                PROTOCOLS.get(protocol, f"protocol {protocol}"),
                protocol,
                number,
                address,
                security,
                certificate,
                certificate_found,
                span,
                fields,
            )
        )

    def security_range(
        self,
        name: str,
        lower: str,
        upper: str,
        priority: int,
        options: int,
        expires: bool,
        span: Span,
        fields: dict[str, Span],
    ) -> None:
        lower_ip, upper_ip = parse_ip(lower), parse_ip(upper)
        for label, text, ip in (("LowerIP", lower, lower_ip), ("UpperIP", upper, upper_ip)):
            if ip is None:
                self._invalid(
                    f"IP range {name!r} {label}", text, fields.get(label, span), "an IP address"
                )
        if (
            lower_ip is not None
            and upper_ip is not None
            and (lower_ip.version != upper_ip.version or int(lower_ip) > int(upper_ip))
        ):
            self.diagnostic(
                "invalid-value",
                f"IP range {name!r}: {lower} to {upper} is not a range of addresses",
                span,
                parameter=name,
            )
            lower_ip = upper_ip = None
        self.model.ranges.append(
            SecurityRange(
                name, lower, upper, priority, options, expires, span, fields, lower_ip, upper_ip
            )
        )
