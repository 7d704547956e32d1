"""The JSON export of hMailServer's settings, keyed by COM property names.

hMailServer has no settings export of its own; ``contrib/Export-hMailServerSettings.ps1``
writes one through the COM API: ``{"Settings": {...}, "TCPIPPorts": [...],
"SecurityRanges": [...], "SSLCertificates": [...], "Routes": [...],
"IncomingRelays": [...]}``, every key a COM property name (``hMailServer.idl``). An IP
range may also give its ``Options`` bitmask, as the backup XML does, instead of the
booleans.

Python's json module keeps no positions, so a second linear pass over the (already
validated) text records where each key and value starts; findings then point at the
key that decides them. Nesting deeper than any export needs is refused before parsing.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any

from linter.mta.hmailserver.model import Builder, Certificate, HMailModel, IncomingRelay, Route
from linter.mta.hmailserver.settings import KNOWN_COM_PROPERTIES, RANGE_BITS
from linter.source import InputError, Span

COM_KEYS = (
    "Settings",
    "TCPIPPorts",
    "SecurityRanges",
    "SSLCertificates",
    "Routes",
    "IncomingRelays",
)
# an export nests four levels; anything far deeper is hostile (and would exhaust the stack)
MAX_DEPTH = 64

_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|([{}\[\],:])|([^\s{}\[\],:"]+))')

Path_ = tuple[str | int, ...]


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def check_depth(path: str, text: str) -> None:
    depth = 0
    for m in _BRACKETS.finditer(text):
        bracket = m.group()
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, column = _position(text, m.start())
                raise InputError(
                    path,
                    f"JSON nests deeper than {MAX_DEPTH} levels: not a settings export "
                    "(refused before parsing)",
                    line,
                    column,
                )
        elif bracket in "]}":
            depth -= 1


@dataclass
class _Frame:
    kind: str  # "object" or "array"
    path: Path_
    key: str = ""
    index: int = 0
    expect_key: bool = True
    seen: set[str] = field(default_factory=set)


class Locations:
    """Where every key and value of a JSON text starts."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        self.keys: dict[Path_, tuple[int, int]] = {}  # (start, end) of the key string
        self.values: dict[Path_, int] = {}
        self.duplicates: list[tuple[Path_, int]] = []
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._scan()

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def _scan(self) -> None:
        text, pos = self.text, 0
        stack: list[_Frame] = []
        while True:
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                return
            pos = m.end()
            string, punct, literal = m.groups()
            start = m.start(1) if string is not None else m.start(2 if punct else 3)
            top = stack[-1] if stack else None
            if top is not None and top.kind == "object" and top.expect_key:
                if string is not None:
                    key = string[1:-1] if "\\" not in string else json.loads(string)
                    top.key, top.expect_key = key, False
                    self.keys[(*top.path, key)] = (start, m.end(1))
                    if key in top.seen:
                        self.duplicates.append(((*top.path, key), start))
                    top.seen.add(key)
                    continue
                if punct == "}":
                    stack.pop()
                continue
            if punct in (",", ":"):
                if punct == "," and top is not None:
                    if top.kind == "object":
                        top.expect_key = True
                    else:
                        top.index += 1
                continue
            if punct in ("}", "]"):
                if stack:
                    stack.pop()
                continue
            here: Path_ = ()
            if top is not None:
                here = (*top.path, top.key) if top.kind == "object" else (*top.path, top.index)
            self.values[here] = start
            if punct == "{":
                stack.append(_Frame("object", here))
            elif punct == "[":
                stack.append(_Frame("array", here, expect_key=False))

    def span(self, where: Path_) -> Span:
        """The key of ``where`` (or its value, for an array element), else its parent's."""
        while True:
            if where in self.keys:
                start, end = self.keys[where]
                line, column = self.position(start)
                return Span(self.path, line, column, line, column + end - start)
            if where in self.values:
                line, column = self.position(self.values[where])
                return Span(self.path, line, column)
            if not where:
                return Span(self.path, 1, 1)
            where = where[:-1]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _constant_position(text: str) -> tuple[int, int]:
    """Where the first NaN or Infinity outside a string is (json reports no position)."""
    pos = 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return 1, 1
        if m.group(3) in ("NaN", "Infinity", "-Infinity"):
            return _position(text, m.start(3))
        pos = m.end()


def load_json(path: str, text: str) -> Any:
    """JSON text as Python data, or an InputError with the position: nesting bounded
    before parsing, NaN and Infinity (which JSON does not have) refused."""
    check_depth(path, text)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise InputError(path, "JSON nests too deeply to read") from None
    except ValueError as exc:
        line, column = _constant_position(text)
        raise InputError(path, f"not valid JSON: {exc}", line, column) from None


def parse_json(path: str, text: str) -> dict[str, Any]:
    data = load_json(path, text)
    if not isinstance(data, dict) or not any(k in data for k in COM_KEYS):
        raise InputError(
            path,
            "not an hMailServer settings export: expected a JSON object with the COM keys "
            + ", ".join(COM_KEYS),
        )
    return data


def get_ignoring_case(obj: dict[str, Any], name: str) -> tuple[Any, str]:
    """``obj[name]``, the name compared without case (COM property names, and Domino item
    names, are case-insensitive); (None, name) if absent."""
    if name in obj:
        return obj[name], name
    lower = name.lower()
    for key, value in obj.items():
        if key.lower() == lower:
            return value, key
    return None, name


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
