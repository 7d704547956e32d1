"""hMailServer: the INI, the backup XML (bare and in a .7z) and the COM JSON export.

Each form is parsed with its positions, the three map to one model and one posture, the
folder is one config set, and hostile or broken input becomes an error finding at its
place (exit 1), never a traceback. The fixtures in tests/fixtures/hmailserver/ are built
from hMailServer's documented layouts and fresh-install defaults (CreateTablesMYSQL.sql).
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.check import analyse_set, check
from linter.discover import detect_format, discover
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Analysis, Options
from linter.mta.hmailserver.ini import parse_ini
from linter.mta.hmailserver.posture import banner, weak_ciphers
from linter.mta.jsontext import Locations
from linter.mta.text import decode_export
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "hmailserver"
CORPUS = ROOT.parent / "shared" / "corpus" / "hmailserver"
MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]
RULES = list(builtin_rules())

INTERNET = {
    "Name": "Internet",
    "LowerIP": "0.0.0.0",
    "UpperIP": "255.255.255.255",
    "Priority": 10,
    "Options": 96203,
}
MY_COMPUTER = {
    "Name": "My computer",
    "LowerIP": "127.0.0.1",
    "UpperIP": "127.0.0.1",
    "Priority": 30,
    "Options": 71627,
}


def analyse(path: Path, **options: object) -> Analysis:
    sets, problems = discover([path])
    assert problems == []
    assert len(sets) == 1, [s.display for s in sets]
    assert sets[0].mta == "hmailserver"
    return analyse_set(sets[0], Options(**options))  # type: ignore[arg-type]


def findings(path: Path, select: str = "ALL") -> list[tuple[str, str, int]]:
    result = check([path], RULES, Selection(select=[select]), Options())
    return [(f.rule, Path(f.span.path).name, f.span.line) for f in result.findings]


def fatal(analysis: Analysis) -> list[str]:
    return [d.message for d in analysis.diagnostics if d.fatal]


def line_of(path: Path, needle: str) -> int:
    text = decode_export(str(path), path.read_bytes())
    for number, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def export(folder: Path, doc: dict, name: str = "export.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return folder


def mtalint(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*MTALINT, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback" not in stream, stream
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def check_json(path: Path, *args: str) -> tuple[int, dict]:
    proc = mtalint("check", "--no-config", "--format", "json", *args, path)
    return proc.returncode, json.loads(proc.stdout)


# --------------------------------------------------------------------------- the INI


def test_ini_entries_have_spans_and_windows_semantics():
    text = (
        "; hMailServer.INI\n"
        "[Directories]\n"
        "ProgramFolder=C:\\Program Files\\hMailServer\n"
        "[SECURITY]\n"
        '  administratorPassword = "5e94076503481d9bd1bf5e05661aa644"  \n'
        "[Database]\n"
        "Type=MSSQLCE\n"
        "Type=MYSQL\n"
        "Password=x ; not a comment\n"
        "no equals sign\n"
        "[Security]\n"
        "AdministratorPassword=ignored\n"
    )
    ini, diagnostics = parse_ini("hMailServer.INI", text)
    admin = ini.get("Security", "AdministratorPassword")
    assert admin is not None
    assert admin.value == "5e94076503481d9bd1bf5e05661aa644"  # blanks and quotes dropped
    assert (admin.span.line, admin.span.column, admin.span.end_column) == (5, 3, 24)
    assert (admin.value_span.line, admin.value_span.column) == (5, 27)
    assert ini.get("database", "type").value == "MSSQLCE"  # the first one wins
    assert ini.get("Database", "Password").value == "x ; not a comment"
    assert ini.comments == [(1, "hMailServer.INI")]
    kinds = [(d.kind, d.span.line) for d in diagnostics]
    assert kinds == [("duplicate-key", 8), ("ignored-line", 10), ("duplicate-key", 11)]


def test_ini_in_the_windows_code_page_and_in_utf16(tmp_path):
    folder = tmp_path / "ansi"
    folder.mkdir()
    (folder / "hMailServer.INI").write_bytes(
        b"[Directories]\r\nProgramFolder=C:\\Programme\\hMailServer \xe9\r\n"
    )
    analysis = analyse(folder)
    assert fatal(analysis) == []
    assert analysis.model["hmailserver"]["ini"]["Directories"]["ProgramFolder"]["value"] == (
        "C:\\Programme\\hMailServer é"
    )
    folder = tmp_path / "utf16"
    folder.mkdir()
    text = "[Security]\r\nAdministratorPassword=5e94076503481d9bd1bf5e05661aa644\r\n"
    (folder / "hMailServer.INI").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert ("HM017", "hMailServer.INI", 2) in findings(folder)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not next to the checkout")
def test_corpus_ini_files_parse():
    files = sorted(CORPUS.glob("*"))
    assert files
    for path in files:
        assert detect_format(path) == "hmailserver-ini", path.name
        ini, diagnostics = parse_ini(path.name, decode_export(path.name, path.read_bytes()))
        assert diagnostics == [], path.name
        assert ini.get("Database", "Type") is not None
    sets, problems = discover([CORPUS])
    assert problems == [] and len(sets) == 1
    analysis = analyse_set(sets[0], Options())
    assert fatal(analysis) == []
    found = findings(CORPUS)
    name = files[0].name
    assert ("HM017", name, line_of(files[0], "AdministratorPassword=")) in found
    assert ("HM019", name, line_of(files[0], "PasswordEncryption=")) in found
    # an INI alone says nothing about ports or relaying, and says so
    assert ("HM023", name, 1) in found
    assert not [f for f in found if f[0].startswith("MTA")]


# --------------------------------------------------------------------------- the XML


def test_backup_xml_in_utf16_with_its_lines():
    folder = FIXTURES / "fresh-install"
    xml = folder / "hMailServerBackup.xml"
    assert xml.read_bytes().startswith(codecs.BOM_UTF16_LE)
    analysis = analyse(folder)
    assert fatal(analysis) == []
    doc = analysis.model["hmailserver"]
    assert doc["database"] == "xml" and doc["version"] == "5.6.8-B2574"
    size = doc["settings"]["MaxMessageSize"]
    assert size == {"value": 20480, "source": "xml", "line": line_of(xml, "<maxmessagesize ")}
    assert doc["settings"]["SMTPConnectionSecurity"]["value"] == 2
    assert doc["settings"]["DenyMailFromNull"]["value"] is False  # allowmailfromnull = 1
    assert doc["settings"]["TlsVersion11Enabled"]["value"] is True  # SslVersions 14
    assert doc["settings"]["TlsVersion13Enabled"]["value"] is False
    ports = [(p["protocol"], p["port"], p["connection_security"], p["line"]) for p in doc["ports"]]
    assert ports == [
        ("smtp", 25, 0, line_of(xml, 'PortNumber="25"')),
        ("smtp", 587, 0, line_of(xml, 'PortNumber="587"')),
        ("pop3", 110, 0, line_of(xml, 'PortNumber="110"')),
        ("imap", 143, 0, line_of(xml, 'PortNumber="143"')),
    ]
    ranges = [(r["name"], r["network"], r["options"]) for r in doc["ranges"]]
    assert ranges == [("Internet", "0.0.0.0/0", 96203), ("My computer", "127.0.0.1", 71627)]
    admin = doc["ini"]["Security"]["AdministratorPassword"]["line"]
    assert admin == line_of(folder / "hMailServer.INI", "AdministratorPassword=")


def test_findings_point_at_the_attribute_that_decides(tmp_path):
    folder = tmp_path / "relay"
    folder.mkdir()
    (folder / "hMailServerBackup.xml").write_text(
        "<Backup>\n"
        '  <BackupInformation Mode="1" Version="5.7.0-B2600"/>\n'
        "  <SecurityRanges>\n"
        '    <SecurityRange Name="Internet" LowerIP="0.0.0.0" UpperIP="255.255.255.255"\n'
        '                   Priority="10" Options="30667" Expires="0"/>\n'
        "  </SecurityRanges>\n"
        '  <TCPIPPorts><TCPIPPort PortProtocol="1" PortNumber="25" ConnectionSecurity="0"'
        ' Address="0.0.0.0"/></TCPIPPorts>\n'
        "</Backup>\n",
        encoding="utf-8",
    )
    result = check([folder], RULES, Selection(select=["HM001", "MTA001"]), Options())
    spans = {(f.rule, f.span.line, f.span.column) for f in result.findings}
    # Options="30667": the value starts in column 43 of line 5
    assert spans == {("HM001", 5, 43), ("MTA001", 5, 43)}


def test_xml_comments_carry_suppressions(tmp_path):
    folder = tmp_path / "suppressed"
    folder.mkdir()
    (folder / "hMailServerBackup.xml").write_text(
        "<Backup>\n"
        '  <BackupInformation Mode="1"/>\n'
        "  <Properties>\n"
        "    <!-- mtalint: ignore[HM015] attachments of the archive service -->\n"
        '    <maxmessagesize LongValue="0" StringValue=""/>\n'
        "  </Properties>\n"
        "</Backup>\n",
        encoding="utf-8",
    )
    assert [f for f in findings(folder) if f[0] in ("HM015", "MTL002")] == []


# --------------------------------------------------------------------------- the JSON


def test_json_locations_in_powershell_51_layout():
    text = (FIXTURES / "fresh-install-json" / "hmailserver-settings.json").read_text()
    loc = Locations("x.json", text)
    span = loc.span(("Settings", "MaxMessageSize"))
    line = text.split("\n")[span.line - 1]
    assert line[span.column - 1 :].startswith('"MaxMessageSize":')
    port = loc.span(("TCPIPPorts", 1, "PortNumber"))
    assert text.split("\n")[port.line - 1].strip() == '"PortNumber":  587,'
    assert loc.span(("TCPIPPorts", 1)).line == port.line - 3  # the "{" of the element


def test_json_export_model_and_duplicates(tmp_path):
    text = (
        '{"Settings": {"MaxMessageSize": 0,\n'
        '  "MaxMessageSize": 1024, "AllowSMTPAuthPlain": "True"},\n'
        ' "TCPIPPorts": {"Protocol": 1, "PortNumber": 587, "ConnectionSecurity": 3},\n'
        ' "SecurityRanges": []}\n'
    )
    (tmp_path / "export.json").write_text(text, encoding="utf-8")
    analysis = analyse(tmp_path)
    settings = analysis.model["hmailserver"]["settings"]
    assert settings["MaxMessageSize"] == {"value": 1024, "source": "json", "line": 2}
    assert settings["AllowSMTPAuthPlain"]["value"] is True
    # ConvertTo-Json writes a one-element list as the element itself
    assert [(p["port"], p["line"]) for p in analysis.model["hmailserver"]["ports"]] == [(587, 3)]
    assert [(d.kind, d.span.line) for d in analysis.diagnostics] == [("duplicate-key", 2)]


# --------------------------------------------------------------------------- one model


def _without_positions(doc: object) -> object:
    if isinstance(doc, dict):
        return {
            k: _without_positions(v)
            for k, v in doc.items()
            if k not in ("line", "source", "database", "database_file", "other_properties")
        }
    if isinstance(doc, list):
        return [_without_positions(v) for v in doc]
    return doc


@pytest.mark.parametrize(
    ("xml_set", "json_set"),
    [("fresh-install", "fresh-install-json"), ("hardened-xml", "hardened")],
)
def test_xml_and_json_of_one_server_give_one_model(xml_set, json_set):
    from_xml = analyse(FIXTURES / xml_set)
    from_json = analyse(FIXTURES / json_set)
    assert fatal(from_xml) == fatal(from_json) == []
    assert _without_positions(from_xml.model["hmailserver"]) == _without_positions(
        from_json.model["hmailserver"]
    )
    assert from_xml.model["posture"] == from_json.model["posture"]
    for analysis in (from_xml, from_json):
        analysis.facts.data["hmailserver"].pop("database")
    assert from_xml.facts.data["hmailserver"] == from_json.facts.data["hmailserver"]
    rules_xml = sorted((r, n) for r, _, n in _rule_lines(FIXTURES / xml_set))
    rules_json = sorted((r, n) for r, _, n in _rule_lines(FIXTURES / json_set))
    assert rules_xml == rules_json


def _rule_lines(folder: Path) -> list[tuple[str, int, str]]:
    result = check([folder], RULES, Selection(), Options())
    return [(f.rule, f.span.line, f.message) for f in result.findings]


def test_7z_backup_reads_like_the_bare_xml(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    source = FIXTURES / "open-relay"
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "hMailServer.INI").write_bytes((source / "hMailServer.INI").read_bytes())
    archive = folder / "HMBackup 2024-05-01 020000.7z"
    with py7zr.SevenZipFile(archive, "w") as seven:
        seven.write(source / "hMailServerBackup.xml", "hMailServerBackup.xml")
        seven.writestr(b"Received: ...\r\n", "DataBackup/example.net/message.eml")
    assert detect_format(archive) == "hmailserver-7z"
    packed = _rule_lines(folder)
    bare = _rule_lines(source)
    assert sorted(packed) == sorted(bare)
    assert analyse(folder).model["hmailserver"]["database_file"] == str(archive)


# --------------------------------------------------------------------------- discovery


def test_discovery_by_name_and_content(tmp_path):
    (tmp_path / "HMAILSERVER.ini").write_text("[Database]\nType=MSSQLCE\n", encoding="utf-8")
    (tmp_path / "server.ini").write_text("[Security]\nAdministratorPassword=x\n")
    (tmp_path / "php.ini").write_text("[PHP]\nengine=On\n")
    (tmp_path / "backup-copy.xml").write_text('<Backup>\n<BackupInformation Mode="1"/>\n</Backup>')
    (tmp_path / "pom.xml").write_text("<project/>")
    (tmp_path / "package.json").write_text('{"name": "x", "settings": {}}')
    (tmp_path / "vscode.json").write_text('{"Settings": {"editor.tabSize": 2}}')
    export(tmp_path, {"Settings": {}, "TCPIPPorts": [], "SecurityRanges": []}, "hm.json")
    (tmp_path / "HMBackup 2024-01-01 000000.7z").write_bytes(b"")
    formats = {p.name: detect_format(p) for p in tmp_path.iterdir()}
    assert formats == {
        "HMAILSERVER.ini": "hmailserver-ini",
        "server.ini": "hmailserver-ini",
        "php.ini": None,
        "backup-copy.xml": "hmailserver-xml",
        "pom.xml": None,
        "package.json": None,
        "vscode.json": None,
        "hm.json": "hmailserver-json",
        "HMBackup 2024-01-01 000000.7z": "hmailserver-7z",
    }


def test_a_folder_is_one_config_set_and_naming_one_file_reads_it(tmp_path):
    folder = tmp_path / "mx"
    folder.mkdir()
    for name in ("hMailServer.INI", "hMailServerBackup.xml"):
        (folder / name).write_bytes((FIXTURES / "open-relay" / name).read_bytes())
    sets, _ = discover([tmp_path])
    assert [(s.mta, len(s.files)) for s in sets] == [("hmailserver", 2)]
    sets, _ = discover([folder / "hMailServer.INI"])
    assert sorted(f.format for f in sets[0].files) == ["hmailserver-ini", "hmailserver-xml"]


def test_a_second_export_in_the_folder_is_reported_not_merged(tmp_path):
    export(tmp_path, {"Settings": {"MaxMessageSize": 0}, "TCPIPPorts": [], "SecurityRanges": []})
    backup = '<Backup><BackupInformation Mode="1"/></Backup>'
    (tmp_path / "hMailServerBackup.xml").write_text(backup)
    analysis = analyse(tmp_path)
    assert analysis.model["hmailserver"]["database"] == "json"
    assert [d.kind for d in analysis.diagnostics] == ["not-read"]


def test_naming_a_json_that_is_no_export_exits_2(tmp_path):
    (tmp_path / "package.json").write_text('{"name": "x"}', encoding="utf-8")
    proc = mtalint("check", "--no-config", "package.json", cwd=tmp_path)
    assert proc.returncode == 2
    assert "package.json" in proc.stderr


# --------------------------------------------------------------------------- posture


def test_fresh_install_posture():
    posture = analyse(FIXTURES / "fresh-install").model["posture"]
    assert posture["roles"] == ["mx", "submission"]
    listeners = {li["name"]: li for li in posture["listeners"]}
    assert list(listeners) == ["SMTP/25", "SMTP/587"]  # POP3 and IMAP are not SMTP listeners
    for li in listeners.values():
        assert (li["tls"], li["auth"], li["auth_before_tls"], li["public"]) == (
            "none",
            "offered",
            True,
            True,
        )
        assert li["banner_expanded"] == "<computer name> ESMTP"
        assert li["vrfy"] is False and li["helo_required"] is True
        # only this host may relay unauthenticated: a local sender from 127.0.0.1
        assert li["relay"]["verdict"] == "networks"
        assert li["relay"]["networks"] == ["127.0.0.1"]
        assert li["relay"]["public_networks"] == []
    assert posture["outbound"]["tls"] == "opportunistic"  # SmtpDeliveryConnectionSecurity 2
    assert posture["outbound"]["relayhost"] is None
    assert posture["tls"]["server_protocols"] == ["TLSv1", "TLSv1.1", "TLSv1.2"]


def test_fresh_install_findings():
    found = {rule for rule, _, _ in findings(FIXTURES / "fresh-install")}
    assert found == {
        "MTA003",  # 587 accepts mail without AUTH (to local domains)
        # 587 without TLS (MTA004) and AUTH LOGIN before TLS (MTA006) are one cause with
        # AUTH without any TLS: MTA007 supersedes both on the same listeners
        "MTA007",
        "MTA014",  # port 25 without STARTTLS
        "HM004",  # 587, 110, 143 without TLS
        "HM005",  # POP3/IMAP passwords before TLS
        "HM008",  # TLS 1.0 and 1.1
        "HM010",  # RC4 in the shipped cipher list
        "HM016",  # incorrect line endings accepted on the MX
        "HM017",  # MD5 administrator password
        "HM019",  # Blowfish database password
    }


def test_open_relay_posture_and_findings():
    analysis = analyse(FIXTURES / "open-relay")
    posture = analysis.model["posture"]
    smtp25 = posture["listeners"][0]
    assert smtp25["relay"]["verdict"] == "open"
    assert "external to external" in smtp25["relay"]["reason"]
    assert sorted(smtp25["relay"]["public_networks"]) == ["0.0.0.0/0", "198.51.0.0/16"]
    assert smtp25["relay"]["widest_prefix"] == 0
    assert posture["outbound"]["relayhost"]["host"] == "smtp.provider.example"
    assert (posture["outbound"]["tls"], posture["outbound"]["auth"]) == ("none", True)
    assert posture["tls"]["weak_server_protocols"] == ["SSLv3", "TLSv1", "TLSv1.1"]  # 5.6.x
    assert posture["roles"] == ["mx", "submission", "relay"]
    found = {rule for rule, _, _ in findings(FIXTURES / "open-relay")}
    assert {"MTA001", "HM001", "HM002", "MTA011", "HM012", "HM018", "HM014", "HM015"} <= found
    assert {"HM006", "HM011", "MTA012", "MTA015", "MTA005"} <= found


def test_hardened_server_leaves_only_the_per_port_auth_limit():
    # hMailServer applies IP ranges to every port alike: 587 and 465 accept mail for
    # local domains without AUTH whenever port 25 does, which MTA003 reports
    for name in ("hardened", "hardened-xml"):
        found = findings(FIXTURES / name)
        assert {rule for rule, _, _ in found} == {"MTA003"}, found
        posture = analyse(FIXTURES / name).model["posture"]
        tls = {li["port"]: (li["tls"], li["auth_before_tls"]) for li in posture["listeners"]}
        assert tls == {25: ("optional", False), 587: ("required", False), 465: ("implicit", False)}


def test_priority_decides_between_overlapping_ranges(tmp_path):
    strict = dict(INTERNET, Name="Internet strict", Priority=20)
    loose = dict(INTERNET, Name="Old open range", Priority=10, Options=30667)
    posture = analyse(
        export(
            tmp_path / "a",
            {
                "TCPIPPorts": [{"Protocol": 1, "PortNumber": 25, "ConnectionSecurity": 2}],
                "SecurityRanges": [loose, strict],
            },
        )
    ).model["posture"]
    assert posture["listeners"][0]["relay"]["verdict"] == "authenticated"
    # a higher-priority open range over part of the Internet: trusted public networks
    office = {
        "Name": "Office",
        "LowerIP": "81.2.0.0",
        "UpperIP": "81.2.255.255",
        "Priority": 30,
        "Options": 30667,
    }
    posture = analyse(
        export(
            tmp_path / "b",
            {
                "TCPIPPorts": [{"Protocol": 1, "PortNumber": 25, "ConnectionSecurity": 2}],
                "SecurityRanges": [INTERNET, office],
            },
        )
    ).model["posture"]
    relay = posture["listeners"][0]["relay"]
    assert (relay["verdict"], relay["public_networks"], relay["widest_prefix"]) == (
        "networks",
        ["81.2.0.0/16"],
        16,
    )


def test_disable_auth_list_and_require_tls_for_auth(tmp_path):
    export(
        tmp_path,
        {
            "TCPIPPorts": [
                {"Protocol": 1, "PortNumber": 25, "ConnectionSecurity": 2},
                {"Protocol": 1, "PortNumber": 587, "ConnectionSecurity": 2},
            ],
            "SecurityRanges": [dict(INTERNET, Options=96203 | 131072), MY_COMPUTER],
        },
    )
    (tmp_path / "hMailServer.INI").write_text("[Settings]\nDisableAUTHList=25\n")
    listeners = analyse(tmp_path).model["posture"]["listeners"]
    assert [(li["port"], li["auth"], li["auth_before_tls"]) for li in listeners] == [
        (25, "none", False),
        (587, "offered", False),
    ]


def test_ports_only_loopback_can_reach_make_a_null_client(tmp_path):
    export(
        tmp_path,
        {
            "TCPIPPorts": [{"Protocol": 1, "PortNumber": 25, "ConnectionSecurity": 0}],
            "SecurityRanges": [dict(INTERNET, Options=0), MY_COMPUTER],
        },
    )
    posture = analyse(tmp_path).model["posture"]
    assert posture["roles"] == ["null-client"]
    assert posture["listeners"][0]["public"] is False


def test_banner_and_cipher_helpers():
    assert banner("") == "<computer name> ESMTP"
    assert banner("mail.example.com") == "mail.example.com ESMTP"
    assert banner("mail.example.com ESMTP") == "mail.example.com ESMTP"
    assert weak_ciphers("HIGH:!aNULL:!RC4:!3DES:!MD5") == []
    assert weak_ciphers("ECDHE-RSA-RC4-SHA:DES-CBC3-SHA:!aNULL") == ["RC4", "3DES"]
    assert weak_ciphers("ALL:!RC4") == ["3DES"]


# --------------------------------------------------------------------------- hostile input


BOMB = """<?xml version="1.0"?>
<!DOCTYPE Backup [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<Backup><Properties><welcomesmtp LongValue="0" StringValue="&d;"/></Properties></Backup>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE Backup [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<Backup><Properties><welcomesmtp LongValue="0" StringValue="&secret;"/></Properties></Backup>
"""


def _input_error(tmp_path: Path, name: str, data: bytes) -> tuple[int, dict]:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    code, doc = check_json(folder)
    assert code == 1
    errors = [f for f in doc["findings"] if f["rule"] == "MTA021"]
    assert len(errors) == 1, doc["findings"]
    assert errors[0]["severity"] == "error"
    return errors[0]["line"], errors[0]


@pytest.mark.parametrize(
    ("name", "data", "line", "words"),
    [
        ("hMailServerBackup.xml", BOMB.encode(), 3, "XML bomb"),
        ("hMailServerBackup.xml", XXE.encode(), 2, "file:///etc/hostname"),
        ("hMailServerBackup.xml", b"<Backup>\n <Properties>\n  <hostname Long", 3, "well-formed"),
        ("hMailServerBackup.xml", b'<Backup>\n<x a="caf\xe9"/>\n</Backup>', 2, "UTF-8"),
        (
            "hMailServerBackup.xml",
            codecs.BOM_UTF16_LE + "<Backup/>".encode("utf-16-le")[:-1],
            1,
            "UTF-16",
        ),
        ("hMailServerBackup.xml", b"<Configuration/>", 1, "root element"),
        ("export.json", b'{"TCPIPPorts":' + b"[" * 5000 + b"]" * 5000 + b"}", 1, "nests deeper"),
        ("export.json", b'{"SecurityRanges": [\n  {"Name": "x",\n', 3, "not valid JSON"),
        ("export.json", b'{"TCPIPPorts": [],\n "Settings": {"MaxMessageSize": NaN}}', 2, "NaN"),
    ],
    ids=[
        "entity-bomb",
        "external-entity",
        "truncated-xml",
        "invalid-utf8",
        "odd-utf16",
        "wrong-root",
        "json-nesting-bomb",
        "truncated-json",
        "json-nan",
    ],
)
def test_hostile_or_broken_input_is_an_error_finding(tmp_path, name, data, line, words):
    found_line, finding = _input_error(tmp_path, name, data)
    assert words in finding["message"]
    assert found_line == line


def test_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE\n")
    folder = tmp_path / "xxe"
    folder.mkdir()
    (folder / "hMailServerBackup.xml").write_text(XXE.replace("/etc/hostname", str(secret)))
    proc = mtalint("parse", folder)
    assert "TOP-SECRET-VALUE" not in proc.stdout + proc.stderr
    proc = mtalint("check", "--no-config", folder)
    assert proc.returncode == 1 and "TOP-SECRET-VALUE" not in proc.stdout


def test_utf16_with_and_without_bom_and_big_endian(tmp_path):
    text = (FIXTURES / "open-relay" / "hMailServerBackup.xml").read_bytes().decode("utf-16")
    expected = sorted(r for r, _, _ in findings(FIXTURES / "open-relay", "HM001"))
    for label, data in (
        ("le-bom", codecs.BOM_UTF16_LE + text.encode("utf-16-le")),
        ("le", text.encode("utf-16-le")),
        ("be-bom", codecs.BOM_UTF16_BE + text.encode("utf-16-be")),
        ("be", text.encode("utf-16-be")),
        ("utf8", text.encode("utf-8")),
    ):
        folder = tmp_path / label
        folder.mkdir()
        (folder / "hMailServerBackup.xml").write_bytes(data)
        assert fatal(analyse(folder)) == [], label
        assert sorted(r for r, _, _ in findings(folder, "HM001")) == expected, label


def test_7z_without_py7zr_asks_for_the_extra(tmp_path, monkeypatch):
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "HMBackup 2024-05-01 020000.7z").write_bytes(b"7z\xbc\xaf\x27\x1c")
    monkeypatch.setitem(sys.modules, "py7zr", None)  # as if it were not installed
    [message] = fatal(analyse(folder))
    assert "mtalint[7z]" in message


def test_broken_7z_archives_are_input_errors(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "HMBackup 1.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\x00" * 64)
    assert "cannot read the 7z archive" in fatal(analyse(corrupt))[0]
    empty = tmp_path / "empty"
    empty.mkdir()
    with py7zr.SevenZipFile(empty / "HMBackup 2.7z", "w") as seven:
        seven.writestr(b"nothing", "readme.txt")
    assert "holds no hMailServerBackup.xml" in fatal(analyse(empty))[0]
    big = tmp_path / "big"
    big.mkdir()
    with py7zr.SevenZipFile(big / "HMBackup 3.7z", "w") as seven:
        seven.writestr(b"<Backup>" + b" " * 100_000 + b"</Backup>", "hMailServerBackup.xml")
    [message] = fatal(analyse(big, max_file_size=10_000))
    assert "over the limit" in message


def test_parse_shows_the_model_with_lines():
    proc = mtalint("parse", FIXTURES / "hardened")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["mta"] == "hmailserver"
    assert doc["hmailserver"]["settings"]["SslCipherList"]["source"] == "json"
    assert doc["hmailserver"]["ports"][0]["certificate"] == "mail.example.com"
    assert doc["posture"]["listeners"][0]["tls_certificate"] is True


def test_sarif_for_hmailserver_findings_is_valid(tmp_path):
    from tests.report.schemas import sarif_schema, validator

    proc = mtalint("check", "--no-config", "--format", "sarif", FIXTURES / "open-relay")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert [e.message for e in validator(sarif_schema()).iter_errors(doc)] == []
    results = doc["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"HM001", "MTA001", "HM018"}


# ---------------------------------------------------------------- the INI fast path

_INI_PIECES = st.sampled_from(
    ["[", "]", "=", ";", " ", "\t", "\f", "\xa0", "Key", "Section", "a b", "\n", "\n", '"']
)


def _tokens(items) -> list:
    return [
        (rule, [(t.type, str(t), t.line, t.column, t.end_line, t.end_column) for t in toks])
        for rule, toks in items
    ]


@settings(max_examples=400, deadline=None)
@given(st.lists(_INI_PIECES, max_size=30).map("".join))
def test_ini_lines_read_without_the_parser_match_the_parser(text):
    from lark.exceptions import LarkError

    from linter.mta.hmailserver import ini

    fast = ini._items_by_line(text)
    if fast is None:
        return  # a line of another shape: the parser reads the file
    try:
        slow = ini._items_by_parser(text)
    except LarkError:
        pytest.fail(f"the fast path read {text!r}, which the grammar rejects")
    assert _tokens(fast) == _tokens(slow)


def test_ini_lines_of_other_shapes_go_to_the_parser():
    from linter.mta.hmailserver import ini

    for odd in ("NoEquals", "=value", "[Open", "[Sec] tail", "Key=v\n[Sec"):
        assert ini._items_by_line(odd) is None, odd
    assert ini._items_by_line("[Sec]\n; c\n\n Key = v \n") is not None
