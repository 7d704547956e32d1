"""hMailServer: hMailServer.INI + the database settings (backup XML or JSON) → facts.

A config set is a folder's hMailServer files: ``hMailServer.INI``, and the database
settings from ``hMailServerBackup.xml`` (bare or in ``HMBackup*.7z``) or a JSON export
(``contrib/Export-hMailServerSettings.ps1``). The forms fill one model
(:mod:`.model`); when a folder holds more than one export of the database, the JSON is
read (it comes from the running server) and the others are reported as not read.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from linter.diagnostics import Diagnostic
from linter.facts import Facts
from linter.mta import Analysis, Comment, Options
from linter.mta.assemble import (
    apply_roles,
    input_error,
    parse_document,
    put_diagnostics,
    put_posture,
    start_facts,
)
from linter.source import InputError, Span, read_limited

if TYPE_CHECKING:
    from linter.discover import ConfigFile, ConfigSet
    from linter.mta.hmailserver.model import HMailModel
    from linter.mta.hmailserver.ranges import RangeAnalysis

# which export of the database is read when a folder holds several
DATABASE_ORDER = ("hmailserver-json", "hmailserver-xml", "hmailserver-7z")
_MD5 = re.compile(r"^[0-9a-fA-F]{32}$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def read_database(model: HMailModel, cf: ConfigFile, options: Options) -> None:
    """Fill ``model`` from one export of the database settings (or raise InputError)."""
    from linter.mta.hmailserver.backup import load_backup, read_archive
    from linter.mta.hmailserver.export import load_export
    from linter.mta.text import decode_export

    if cf.format == "hmailserver-7z":
        data = read_archive(cf.path, cf.display, options.max_file_size, cf.root)
    else:
        data = read_limited(cf.path, cf.display, options.max_file_size, cf.root)
    text = decode_export(cf.display, data, xml=cf.format != "hmailserver-json")
    if cf.format == "hmailserver-json":
        load_export(model, cf.display, text)
    else:
        load_backup(model, cf.display, text)


def read_model(config_set: ConfigSet, options: Options) -> HMailModel:
    from linter.mta.hmailserver.ini import parse_ini
    from linter.mta.hmailserver.model import HMailModel
    from linter.mta.text import decode_ini

    model = HMailModel()
    # hMailServer reads hMailServer.INI by that name: another INI in the folder (a copy,
    # an old one) is reported as not read, however it sorts
    ini_files = sorted(
        (f for f in config_set.files if f.format == "hmailserver-ini"),
        key=lambda f: (f.path.name.lower() != "hmailserver.ini", f.display),
    )
    if ini_files:
        cf = ini_files[0]
        try:
            data = read_limited(cf.path, cf.display, options.max_file_size, cf.root)
            text = decode_ini(cf.display, data)
        except InputError as exc:
            model.diagnostics.append(input_error(exc))
        else:
            model.ini, diagnostics = parse_ini(cf.display, text)
            model.diagnostics.extend(diagnostics)
            model.comments.extend((cf.display, line, c) for line, c in model.ini.comments)
    exports = sorted(
        (f for f in config_set.files if f.format in DATABASE_ORDER),
        key=lambda f: (DATABASE_ORDER.index(f.format), f.display),
    )
    for extra in [*ini_files[1:], *exports[1:]]:
        model.diagnostics.append(
            Diagnostic(
                "not-read",
                f"{extra.display} is not read: this folder's configuration is taken from "
                f"{(ini_files if extra in ini_files else exports)[0].display}",
                Span(extra.display, 1, 1),
                False,
                {"parameter": extra.display},
            )
        )
    if exports:
        try:
            read_database(model, exports[0], options)
        except InputError as exc:
            # nothing of an export that could not be read to its end is used
            model = HMailModel(
                ini=model.ini, diagnostics=model.diagnostics, comments=model.comments
            )
            model.diagnostics.append(input_error(exc))
    elif model.ini is not None:
        model.diagnostics.append(
            Diagnostic(
                "no-database-settings",
                "hMailServer keeps its TCP/IP ports, IP ranges, relay and TLS settings in its "
                "database, and this folder has no export of them: only the INI is checked "
                "(export them with contrib/Export-hMailServerSettings.ps1 or a backup)",
                Span(ini_files[0].display, 1, 1),
                False,
                {"parameter": "database"},
            )
        )
    return model


def analyse(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.mta.hmailserver.posture import build_posture
    from linter.mta.hmailserver.ranges import analyse_ranges

    model = read_model(config_set, options)
    analysis = analyse_ranges(model.ranges)
    posture, spans = build_posture(model, analysis)
    apply_roles(posture, options)
    diagnostics = sorted(model.diagnostics, key=lambda d: (d.span.path, d.span.line, d.span.column))

    primary = model.database_path or (model.ini.path if model.ini else config_set.files[0].display)
    facts = start_facts("hmailserver", posture, Span(primary, 1, 1))
    posture_dict = put_posture(facts, posture, spans)
    put_diagnostics(facts, diagnostics)
    document = hmailserver_facts(model, analysis, facts)
    facts.set("hmailserver", document)

    model_dict = parse_document(
        config_set, "hmailserver", model_document(model, analysis), posture_dict, diagnostics
    )
    comments = [Comment(path, line, text) for path, line, text in model.comments]
    return Analysis("hmailserver", facts, model_dict, diagnostics, comments, posture)


def _ini_facts(model: HMailModel, facts: Facts) -> dict[str, Any]:
    ini = model.ini
    if ini is None:
        return {"present": False}
    admin = ini.get("Security", "AdministratorPassword")
    password = ini.get("Database", "Password")
    encryption = ini.get("Database", "PasswordEncryption")
    db_type = ini.get("Database", "Type")
    encryption_value = (
        int(encryption.value) if encryption and _ascii_digits(encryption.value.strip()) else 0
    )
    doc = {
        "present": True,
        "admin_password_set": bool(admin and admin.value),
        # the installer stores GetMD5OfString(password): no salt, one round
        "admin_password_md5": bool(admin and _MD5.match(admin.value)),
        "admin_password_sha256": bool(admin and _SHA256.match(admin.value)),
        "database_type": db_type.value if db_type else "",
        "database_password_set": bool(password and password.value),
        # PasswordEncryption=1: Blowfish with a key built into hMailServer; 0: clear text
        "database_password_encryption": encryption_value,
        "database_password_plaintext": bool(password and password.value) and encryption_value == 0,
        "database_password_reversible": bool(password and password.value) and encryption_value == 1,
        "values": {f"{e.section}.{e.key}": e.value for e in ini.entries},
    }
    if admin is not None:
        for name in ("admin_password_set", "admin_password_md5", "admin_password_sha256"):
            facts.locate(f"hmailserver.ini.{name}", admin.value_span)
    if password is not None:
        for name in (
            "database_password_set",
            "database_password_plaintext",
            "database_password_reversible",
        ):
            facts.locate(f"hmailserver.ini.{name}", password.value_span)
    if encryption is not None:
        facts.locate("hmailserver.ini.database_password_encryption", encryption.value_span)
        facts.locate("hmailserver.ini.database_password_reversible", encryption.value_span)
    if db_type is not None:
        facts.locate("hmailserver.ini.database_type", db_type.value_span)
    for e in ini.entries:
        facts.locate(f"hmailserver.ini.values.{e.section}.{e.key}", e.value_span)
    facts.locate("hmailserver.ini", Span(ini.path, 1, 1))
    return doc


def hmailserver_facts(model: HMailModel, analysis: RangeAnalysis, facts: Facts) -> dict[str, Any]:
    """The ``hmailserver.*`` facts the rules judge, with the span of each."""
    from linter.mta.hmailserver.posture import (
        auth_disabled_ports,
        password_before_tls,
        port_name,
        port_ranges,
        tls_versions,
        weak_ciphers,
    )
    from linter.mta.hmailserver.ranges import unauthenticated_relay
    from linter.mta.hmailserver.settings import CONNECTION_SECURITY
    from linter.posture import weak_protocols

    doc: dict[str, Any] = {
        "database": model.database,
        "has_database_settings": model.database is not None,
        "version": model.version,
        "ini": _ini_facts(model, facts),
        "domains": list(model.domains),
    }
    disabled, disabled_span = auth_disabled_ports(model)
    doc["auth_disabled_ports"] = disabled
    if disabled_span is not None:
        facts.locate("hmailserver.auth_disabled_ports", disabled_span)
    if model.database is None:
        return doc
    doc["settings"] = {name: s.value for name, s in sorted(model.settings.items())}
    if model.settings_span is not None:
        facts.locate("hmailserver.settings", model.settings_span)
    for name, s in model.settings.items():
        if s.span is not None:
            facts.locate(f"hmailserver.settings.{name}", s.span)
    ports = []
    for i, p in enumerate(model.ports):
        ports.append(
            {
                "name": port_name(p),
                "protocol": p.protocol,
                "port": p.number,
                "address": p.address,
                "all_interfaces": p.all_interfaces,
                "connection_security": p.security,
                "tls": CONNECTION_SECURITY.get(p.security, "none"),
                "certificate": p.certificate,
                "certificate_found": p.certificate_found,
                "auth_enabled": p.protocol != "smtp" or p.number not in disabled,
                "public": port_ranges(model, analysis, p)[0],
                "password_before_tls": password_before_tls(model, analysis, p, disabled),
            }
        )
        base = f"hmailserver.ports[{i}]"
        facts.locate(base, p.span)
        for name in ("connection_security", "tls", "password_before_tls"):
            facts.locate(f"{base}.{name}", p.fields.get("tls", p.span))
        for name in ("certificate", "certificate_found"):
            facts.locate(f"{base}.{name}", p.fields.get("certificate", p.span))
    doc["ports"] = ports
    doc["auth_before_tls_ports"] = [
        p["name"] for p in ports if p["protocol"] == "smtp" and p["password_before_tls"]
    ]
    ranges = []
    for i, r in enumerate(model.ranges):
        info = analysis.of(r)
        open_e2e = (
            r.flag("allow_smtp")
            and r.flag("relay_remote_to_remote")
            and not r.flag("auth_external_to_external")
        )
        open_l2e = (
            r.flag("allow_smtp")
            and r.flag("relay_local_to_remote")
            and not r.flag("auth_local_to_external")
        )
        # positions are the spans' business, not the facts'
        ranges.append(
            {
                **{k: v for k, v in r.to_dict().items() if k != "line"},
                "network": info.label,
                "public": info.public,
                "whole_space": info.whole_space,
                "effective": info.effective,
                "effective_public": info.effective_public,
                "relay_without_auth": unauthenticated_relay(r),
                "relay_external_to_external_without_auth": open_e2e,
                "relay_local_to_external_without_auth": open_l2e,
            }
        )
        base = f"hmailserver.ranges[{i}]"
        facts.locate(base, r.span)
        for name, span in r.fields.items():
            facts.locate(f"{base}.{name}", span)
        e2e = r.fields.get("auth_external_to_external", r.span)
        l2e = r.fields.get("auth_local_to_external", r.span)
        facts.locate(f"{base}.relay_external_to_external_without_auth", e2e)
        facts.locate(f"{base}.relay_local_to_external_without_auth", l2e)
        facts.locate(f"{base}.relay_without_auth", e2e if open_e2e else l2e)
    doc["ranges"] = ranges
    routes = []
    for i, route in enumerate(model.routes):
        routes.append(
            {
                **{k: v for k, v in route.to_dict().items() if k != "line"},
                "name": route.domain,
                "tls": CONNECTION_SECURITY.get(route.security, "none"),
            }
        )
        base = f"hmailserver.routes[{i}]"
        facts.locate(base, route.span)
        for name in ("connection_security", "tls"):
            facts.locate(f"{base}.{name}", route.fields.get("tls", route.span))
        facts.locate(f"{base}.requires_auth", route.fields.get("auth", route.span))
        facts.locate(f"{base}.target_port", route.fields.get("port", route.span))
    doc["routes"] = routes
    host = str(model.value("SMTPRelayer")).strip()
    doc["relayer"] = (
        {
            "host": host,
            "port": model.value("SMTPRelayerPort"),
            "requires_auth": model.value("SMTPRelayerRequiresAuthentication"),
            "username": model.value("SMTPRelayerUsername"),
            "connection_security": model.value("SMTPRelayerConnectionSecurity"),
            "tls": CONNECTION_SECURITY.get(model.value("SMTPRelayerConnectionSecurity"), "none"),
        }
        if host
        else None
    )
    for fact, setting in (
        ("relayer", "SMTPRelayer"),
        ("relayer.host", "SMTPRelayer"),
        ("relayer.port", "SMTPRelayerPort"),
        ("relayer.requires_auth", "SMTPRelayerRequiresAuthentication"),
        ("relayer.connection_security", "SMTPRelayerConnectionSecurity"),
        ("relayer.tls", "SMTPRelayerConnectionSecurity"),
    ):
        setting_span = model.span(setting)
        if setting_span is not None:
            facts.locate(f"hmailserver.{fact}", setting_span)
    versions = tls_versions(model)
    doc["tls_versions"] = versions
    doc["weak_tls_versions"] = weak_protocols(versions)
    doc["ssl3_enabled"] = model.ssl3_enabled
    version_spans = [model.span(s) for s in ("TlsVersion10Enabled", "TlsVersion11Enabled")]
    located = next((s for s in version_spans if s is not None), None)
    if located is not None:
        facts.locate("hmailserver.weak_tls_versions", located)
        facts.locate("hmailserver.tls_versions", located)
        facts.locate("hmailserver.ssl3_enabled", located)
    doc["weak_ciphers"] = weak_ciphers(str(model.value("SslCipherList")))
    cipher_span = model.span("SslCipherList")
    if cipher_span is not None:
        facts.locate("hmailserver.weak_ciphers", cipher_span)
    return doc


def model_document(model: HMailModel, analysis: RangeAnalysis) -> dict[str, Any]:
    """What ``mtalint parse`` shows: the model as hMailServer sees it, with lines."""
    ini: dict[str, dict[str, Any]] | None = None
    if model.ini is not None:
        ini = {}
        for e in model.ini.entries:
            ini.setdefault(e.section, {})[e.key] = {"value": e.value, "line": e.span.line}
    return {
        "ini": ini,
        "database": model.database,
        "database_file": model.database_path or None,
        "version": model.version,
        "settings": {name: s.to_dict() for name, s in sorted(model.settings.items())},
        "other_properties": dict(sorted(model.other_properties.items())),
        "ports": [p.to_dict() for p in model.ports],
        "ranges": [{**r.to_dict(), "network": analysis.of(r).label} for r in model.ranges],
        "certificates": [c.to_dict() for c in model.certificates],
        "routes": [r.to_dict() for r in model.routes],
        "incoming_relays": [r.to_dict() for r in model.incoming_relays],
        "domains": list(model.domains),
    }


__all__: list[str] = ["analyse"]


def _ascii_digits(text: str) -> bool:
    """Digits int() reads: str.isdecimal() also accepts "³" and other Unicode digits."""
    return text.isascii() and text.isdecimal()
