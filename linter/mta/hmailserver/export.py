"""The JSON export of hMailServer's settings, keyed by COM property names.

hMailServer has no settings export of its own; ``contrib/Export-hMailServerSettings.ps1``
writes one through the COM API: ``{"Settings": {...}, "TCPIPPorts": [...],
"SecurityRanges": [...], "SSLCertificates": [...], "Routes": [...],
"IncomingRelays": [...]}``, every key a COM property name (``hMailServer.idl``). An IP
range may also give its ``Options`` bitmask, as the backup XML does, instead of the
booleans.

The text is read by :mod:`linter.mta.jsontext` (positions of every key and value, so
findings point at the key that decides them; nesting bounded before parsing).
"""

from __future__ import annotations

from typing import Any

from linter.mta.hmailserver.model import Builder, Certificate, HMailModel, IncomingRelay, Route
from linter.mta.hmailserver.settings import KNOWN_COM_PROPERTIES, RANGE_BITS
from linter.mta.jsontext import Locations, Path_, get_ignoring_case, load_json
from linter.source import InputError, Span

COM_KEYS = (
    "Settings",
    "TCPIPPorts",
    "SecurityRanges",
    "SSLCertificates",
    "Routes",
    "IncomingRelays",
)


def parse_json(path: str, text: str) -> dict[str, Any]:
    data = load_json(path, text)
    if not isinstance(data, dict) or not any(k in data for k in COM_KEYS):
        raise InputError(
            path,
            "not an hMailServer settings export: expected a JSON object with the COM keys "
            + ", ".join(COM_KEYS),
        )
    return data


class _Reader:
    def __init__(self, model: HMailModel, path: str, text: str) -> None:
        self.model = model
        self.loc = Locations(path, text)
        self.builder = Builder(model, "json", path)

    def span(self, *where: str | int) -> Span:
        return self.loc.span(where)

    def items(
        self, data: dict[str, Any], key: str, required: bool = False
    ) -> list[tuple[Path_, dict[str, Any]]]:
        """The objects of collection ``key``, each with its place in the document."""
        value, written = get_ignoring_case(data, key)
        if value is None:
            if required:
                self.builder.diagnostic(
                    "incomplete-export",
                    f"the export has no {key}: they are not checked (re-run the exporter)",
                    Span(self.loc.path, 1, 1),
                    parameter=key,
                )
            return []
        if isinstance(value, dict):  # ConvertTo-Json may write a one-element list as itself
            return [((written,), value)]
        if not isinstance(value, list):
            self.builder.diagnostic(
                "invalid-value", f"{key} is not a list", self.span(written), parameter=key
            )
            return []
        out: list[tuple[Path_, dict[str, Any]]] = []
        for i, item in enumerate(value):
            if isinstance(item, dict):
                out.append(((written, i), item))
            else:
                self.builder.diagnostic(
                    "invalid-value",
                    f"{key}[{i}] is not an object",
                    self.span(written, i),
                    parameter=key,
                )
        return out

    def field(self, item: dict[str, Any], name: str, where: Path_) -> tuple[Any, Span]:
        value, written = get_ignoring_case(item, name)
        return value, self.loc.span((*where, written))


def load_export(model: HMailModel, path: str, text: str) -> None:
    """Fill ``model`` from the text of a JSON export (or raise InputError)."""
    data = parse_json(path, text)
    reader = _Reader(model, path, text)
    b = reader.builder
    for where, offset in reader.loc.duplicates:
        line, column = reader.loc.position(offset)
        name = ".".join(str(p) for p in where)
        b.diagnostic(
            "duplicate-key",
            f"{name} is given twice: only the last one counts",
            Span(path, line, column),
            parameter=name,
        )
    version, _ = get_ignoring_case(data, "Version")
    b.start(str(version) if isinstance(version, str | int | float) else "")
    _settings(reader, data)
    _certificates(reader, data)
    _ports(reader, data)
    _ranges(reader, data)
    _routes(reader, data)
    for where, item in reader.items(data, "IncomingRelays"):
        span = reader.loc.span(where)
        name, _ = reader.field(item, "Name", where)
        lower, _ = reader.field(item, "LowerIP", where)
        upper, _ = reader.field(item, "UpperIP", where)
        model.incoming_relays.append(
            IncomingRelay(
                b.text("Name", name, span),
                b.text("LowerIP", lower, span),
                b.text("UpperIP", upper, span),
                span,
            )
        )
    domains, _ = get_ignoring_case(data, "Domains")
    if isinstance(domains, list):
        for d in domains:
            domain = d.get("Name") if isinstance(d, dict) else d
            if isinstance(domain, str):
                model.domains.append(domain)


def _settings(reader: _Reader, data: dict[str, Any]) -> None:
    settings, key = get_ignoring_case(data, "Settings")
    b = reader.builder
    if settings is None:
        b.diagnostic(
            "incomplete-export",
            "the export has no Settings: hMailServer's fresh-install defaults are assumed",
            Span(reader.loc.path, 1, 1),
            parameter="Settings",
        )
        return
    if not isinstance(settings, dict):
        b.diagnostic("invalid-value", "Settings is not an object", reader.span(key))
        return
    reader.model.settings_span = reader.span(key)
    for name, value in settings.items():
        span = reader.span(key, name)
        if isinstance(value, dict | list):
            continue  # a sub-object (AntiSpam, Logging, ...): not read
        if name.lower() not in KNOWN_COM_PROPERTIES:
            b.diagnostic(
                "unknown-setting",
                f"Settings.{name} is not a property of hMailServer's COM API (IInterfaceSettings)",
                span,
                parameter=name,
            )
            continue
        b.setting_by_com(name, value, span)
    # the legacy boolean stands for SSL/TLS when the newer property is not given
    legacy, legacy_key = get_ignoring_case(settings, "SMTPRelayerUseSSL")
    current, _ = get_ignoring_case(settings, "SMTPRelayerConnectionSecurity")
    if legacy is True and current is None:
        b.setting_by_com("SMTPRelayerConnectionSecurity", 1, reader.span(key, legacy_key))


def _security(reader: _Reader, item: dict[str, Any], where: Path_) -> tuple[int, Span]:
    value, span = reader.field(item, "ConnectionSecurity", where)
    legacy, legacy_span = reader.field(item, "UseSSL", where)
    if value is None and legacy is True:
        return 1, legacy_span
    return reader.builder.number("ConnectionSecurity", value, span), span


def _certificates(reader: _Reader, data: dict[str, Any]) -> None:
    b = reader.builder
    for where, item in reader.items(data, "SSLCertificates"):
        ident, ident_span = reader.field(item, "ID", where)
        name, name_span = reader.field(item, "Name", where)
        cert, cert_span = reader.field(item, "CertificateFile", where)
        private, private_span = reader.field(item, "PrivateKeyFile", where)
        reader.model.certificates.append(
            Certificate(
                b.text("Name", name, name_span),
                b.text("CertificateFile", cert, cert_span),
                b.text("PrivateKeyFile", private, private_span),
                reader.loc.span(where),
                b.number("ID", ident, ident_span) if ident is not None else None,
            )
        )


def _ports(reader: _Reader, data: dict[str, Any]) -> None:
    b = reader.builder
    by_id = {c.ident: c.name for c in reader.model.certificates if c.ident is not None}
    for where, item in reader.items(data, "TCPIPPorts", required=True):
        protocol, protocol_span = reader.field(item, "Protocol", where)
        number, number_span = reader.field(item, "PortNumber", where)
        address, address_span = reader.field(item, "Address", where)
        cert_id, cert_span = reader.field(item, "SSLCertificateID", where)
        security, tls_span = _security(reader, item, where)
        ident = b.number("SSLCertificateID", cert_id, cert_span)
        name = by_id.get(ident, f"certificate ID {ident}") if ident > 0 else ""
        b.port(
            b.number("Protocol", protocol, protocol_span),
            b.number("PortNumber", number, number_span),
            b.text("Address", address, address_span),
            security,
            name,
            ident in by_id,
            reader.loc.span(where),
            {
                "tls": tls_span,
                "certificate": cert_span if cert_id is not None else tls_span,
                "port": number_span,
                "address": address_span,
            },
        )


def _ranges(reader: _Reader, data: dict[str, Any]) -> None:
    b = reader.builder
    for where, item in reader.items(data, "SecurityRanges", required=True):
        name, name_span = reader.field(item, "Name", where)
        lower, lower_span = reader.field(item, "LowerIP", where)
        upper, upper_span = reader.field(item, "UpperIP", where)
        priority, priority_span = reader.field(item, "Priority", where)
        expires, expires_span = reader.field(item, "Expires", where)
        options_value, options_span = reader.field(item, "Options", where)
        fields: dict[str, Span] = {"LowerIP": lower_span, "UpperIP": upper_span}
        fields["priority"] = priority_span
        if options_value is not None:
            options = b.number("Options", options_value, options_span)
            fields.update({flag: options_span for flag, _, _ in RANGE_BITS})
        else:
            options = 0
            for flag, com, bit in RANGE_BITS:
                value, span = reader.field(item, com, where)
                fields[flag] = span
                if b.flag(com, value, span):
                    options |= bit
        b.security_range(
            b.text("Name", name, name_span),
            b.text("LowerIP", lower, lower_span),
            b.text("UpperIP", upper, upper_span),
            b.number("Priority", priority, priority_span),
            options,
            b.flag("Expires", expires, expires_span),
            reader.loc.span(where),
            fields,
        )


def _routes(reader: _Reader, data: dict[str, Any]) -> None:
    b = reader.builder
    for where, item in reader.items(data, "Routes"):
        domain, domain_span = reader.field(item, "DomainName", where)
        description, description_span = reader.field(item, "Description", where)
        host, host_span = reader.field(item, "TargetSMTPHost", where)
        port, port_span = reader.field(item, "TargetSMTPPort", where)
        auth, auth_span = reader.field(item, "RelayerRequiresAuth", where)
        user, user_span = reader.field(item, "RelayerAuthUsername", where)
        security, tls_span = _security(reader, item, where)
        reader.model.routes.append(
            Route(
                b.text("DomainName", domain, domain_span),
                b.text("Description", description, description_span),
                b.text("TargetSMTPHost", host, host_span),
                b.number("TargetSMTPPort", port, port_span),
                b.flag("RelayerRequiresAuth", auth, auth_span),
                b.text("RelayerAuthUsername", user, user_span),
                security,
                reader.loc.span(where),
                {"tls": tls_span, "auth": auth_span, "port": port_span},
            )
        )
