"""HCL Domino: notes.ini and One-Touch Setup JSON → model → posture.

No Domino runs here. Item names and meanings come from HCL's documentation and HCL's
own public OTS samples (linter/mta/domino/data/reference.json names each with the date
read); the fixtures in tests/fixtures/domino/ say where each file comes from. Items the
public record does not establish must never decide a verdict: those tests are the
"not checked" cases below.
"""

from __future__ import annotations

import codecs
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linter.check import check
from linter.discover import detect_format, discover, sniff_format
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.domino import read_model
from linter.mta.domino.notes_ini import MAX_LINE, parse_notes_ini
from linter.mta.domino.ots import read_ots
from linter.mta.domino.posture import build_posture
from linter.mta.domino.relay import RelayControls, stranger_may_relay
from linter.mta.domino.values import is_placeholder
from tests.paths import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "domino"
RULES = list(builtin_rules())


def posture_of(folder: Path):
    sets, problems = discover([folder])
    assert problems == []
    assert [s.mta for s in sets] == ["domino"]
    model = read_model(sets[0], Options())
    return build_posture(model)[0], model


def finding_ids(folder: Path) -> list[str]:
    result = check([folder], RULES, Selection(), Options())
    assert result.problems == []
    return sorted(f.rule for f in result.findings)


def ots(*documents: dict, notes_ini: dict | None = None) -> str:
    setup: dict = {"server": {"type": "first", "name": "mail"}}
    if notes_ini is not None:
        setup["notesINI"] = notes_ini
    return json.dumps(
        {
            "serverSetup": setup,
            "appConfiguration": {
                "databases": [{"filePath": "names.nsf", "documents": list(documents)}]
            },
        }
    )


SERVER_ON = {
    "action": "update",
    "findDocument": {"Type": "Server"},
    "items": {"LdISite": "1", "SMTPListenerEnabled": "1"},
}


# --- the public samples ---------------------------------------------------------


def test_hcl_inetsites_sample_runs_the_listener_with_starttls_and_password_auth():
    posture, _ = posture_of(FIXTURES / "ots-inetsites")
    [listener] = posture.listeners
    assert (listener.port, listener.tls, listener.auth) == (25, "optional", "offered")
    assert listener.auth_plaintext_mechanisms is True
    # whether Domino offers AUTH before STARTTLS is not documented: no claim
    assert listener.auth_before_tls is False
    assert listener.relay.verdict == "unknown"
    assert any("not documented publicly" in n for n in posture.notes)
    assert finding_ids(FIXTURES / "ots-inetsites") == []


def test_container_first_server_sample_has_no_listener_and_a_duplicate_item():
    posture, model = posture_of(FIXTURES / "ots-first-server")
    assert posture.listeners == []
    assert [(d.kind, d.span.line) for d in model.diagnostics] == [("duplicate-key", 124)]
    assert any("default (no SMTP listener) is assumed" in n for n in posture.notes)
    assert finding_ids(FIXTURES / "ots-first-server") == ["DOM001"]


def test_placeholders_decide_nothing():
    posture, model = posture_of(FIXTURES / "ots-placeholders")
    assert posture.listeners == []
    assert any("SMTPListenerEnabled is '{{ SMTP_LISTENER }}'" in n for n in posture.notes)
    assert model.host_name is not None and model.host_name.unknown
    assert finding_ids(FIXTURES / "ots-placeholders") == []


@pytest.mark.parametrize(
    ("text", "placeholder"),
    [
        ("{{ SERVERSETUP_SERVER_NAME }}", True),
        ("${SMTP_TLS}", True),
        ("@Prompt:Org Certifier password", True),
        ("@File:/local/notesdata/pw.txt", True),
        ("1", False),
        ("$PublicAccess", False),
        ("{Server}", False),
    ],
)
def test_placeholder_forms(text, placeholder):
    assert is_placeholder(text) is placeholder


def test_clear_password_auth_without_starttls_is_mta007():
    assert finding_ids(FIXTURES / "ots-auth-clear") == ["MTA007", "MTA014"]


def test_notes_ini_server_tasks_start_smtp_and_debug_io_is_reported():
    posture, _ = posture_of(FIXTURES / "notes-ini-debug")
    assert [listener.port for listener in posture.listeners] == [25]
    # no Configuration Settings document: STARTTLS unknown, so no TLS claim at all
    assert any("SMTP_NegotiatedSSL" in n for n in posture.notes)
    assert finding_ids(FIXTURES / "notes-ini-debug") == ["DOM002"]


# --- notes.ini ---------------------------------------------------------------------


def test_notes_ini_names_ignore_case_and_a_conflicting_repeat_is_unknown():
    ini = parse_notes_ini(
        "notes.ini", "[Notes]\nSMTPRelayHostsAndDomains=0\nsmtprelayhostsanddomains=1\nX=1\nX=1\n"
    )
    value = ini.settings["smtprelayhostsanddomains"]
    assert value.unknown and [s.line for s in value.origins] == [2, 3]
    assert [d.kind for d in ini.diagnostics] == ["duplicate-key"]
    assert not ini.settings["x"].unknown  # the same value twice is that value


def test_notes_ini_lines_without_equals_and_headers_are_not_settings():
    ini = parse_notes_ini("notes.ini", "[Notes]\nthis is no setting\n=empty\n; comment=1\n")
    assert ini.settings == {}


def test_a_huge_notes_ini_line_is_cut_and_reported(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "notes.ini").write_text(
        "[Notes]\nServerTasks=SMTP\nSMTPDebugIO=" + "1" * (8 * 1024 * 1024) + "\n"
    )
    start = time.monotonic()
    posture, model = posture_of(folder)
    assert time.monotonic() - start < 10
    assert [d.kind for d in model.diagnostics] == ["limit-exceeded"]
    assert model.diagnostics[0].span.line == 3
    assert len(model.setting("SMTPDebugIO").text) < MAX_LINE
    assert "MTL005" in finding_ids(folder)


# --- One-Touch Setup ------------------------------------------------------------------


def test_server_document_found_by_formula_form_or_type():
    for find in (
        "Form = {Server} & ServerName = @Username",
        {"Type": "Server"},
        {"Form": "Server"},
    ):
        setup = read_ots(
            "setup.json",
            ots({"action": "update", "findDocument": find, "items": {"SMTPListenerEnabled": "1"}}),
        )
        assert [d.kind for d in setup.documents] == ["server"]


def test_documents_of_other_databases_and_forms_are_not_read():
    text = json.dumps(
        {
            "appConfiguration": {
                "databases": [
                    {
                        "filePath": "domcfg.nsf",
                        "documents": [{"items": {"Form": "Server", "SMTPListenerEnabled": "1"}}],
                    },
                    {"filePath": "names.nsf", "documents": [{"items": {"Form": "WebSite"}}]},
                ]
            }
        }
    )
    assert read_ots("setup.json", text).documents == []


def test_a_duplicated_json_item_is_unknown_and_decides_nothing(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "setup.json").write_text(
        '{"appConfiguration": {"databases": [{"filePath": "names.nsf", "documents": [\n'
        '{"findDocument": {"Type": "Server"}, "items": {"SMTPListenerEnabled": "1",\n'
        '"SMTPListenerEnabled": "0"}}]}]}}\n'
    )
    posture, _ = posture_of(folder)
    assert posture.listeners == []
    assert finding_ids(folder) == ["DOM001"]


@pytest.mark.parametrize("value", ["2", "Required", "", "{{ TLS }}"])
def test_undocumented_starttls_values_are_not_judged(tmp_path, value):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "setup.json").write_text(
        ots(
            SERVER_ON,
            {"action": "create", "items": {"Form": "ServerConfig", "SMTP_NegotiatedSSL": value}},
            {"action": "create", "items": {"Form": "SMTPInboundSite", "TCPNameAndPwd": "1"}},
        )
    )
    posture, _ = posture_of(folder)
    [listener] = posture.listeners
    assert listener.auth_before_tls is False
    assert finding_ids(folder) == []


def test_site_document_ignored_when_the_server_does_not_load_sites(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    server = {**SERVER_ON, "items": {"LdISite": "0", "SMTPListenerEnabled": "1"}}
    (folder / "setup.json").write_text(
        ots(
            server,
            {"action": "create", "items": {"Form": "ServerConfig"}},
            {"action": "create", "items": {"Form": "SMTPInboundSite", "TCPNameAndPwd": "1"}},
        )
    )
    posture, _ = posture_of(folder)
    assert posture.listeners[0].auth == "none"
    assert "MTA007" not in finding_ids(folder)


def test_secrets_are_not_printed_by_parse(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "setup.json").write_text(
        ots(notes_ini={"SMTPAuthPassword": "hunter2", "ServerTasks": "SMTP"})
    )
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "parse", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout
    [doc] = (
        json.loads(proc.stdout)
        if proc.stdout.lstrip().startswith("[")
        else [json.loads(proc.stdout)]
    )
    assert doc["mta"] == "domino"
    assert doc["domino"]["settings"]["SMTPAuthPassword"]["value"] == "<hidden>"
    assert doc["posture"]["listeners"][0]["port"] == 25


# --- ports and outbound (HCL's REST API item names, data/reference.json) --------------


def _setup(tmp_path: Path, server_items: dict, *documents: dict) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    server = {**SERVER_ON, "items": {**SERVER_ON["items"], **server_items}}
    (folder / "setup.json").write_text(ots(server, *documents))
    return folder


SITE = {
    "action": "create",
    "items": {
        "Form": "SMTPInboundSite",
        "TCPNameAndPwd": "0",
        "TCPAnonymous": "1",
        "SSLNameAndPwd": "1",
        "SSLAnonymous": "0",
    },
}
CONFIG_STARTTLS = {"action": "create", "items": {"Form": "ServerConfig", "SMTP_NegotiatedSSL": "1"}}


@pytest.mark.parametrize(
    ("items", "ports"),
    [
        ({}, [25]),  # the documented default once the SMTP task runs
        ({"SMTP_PortStatus": "1"}, [25]),
        ({"SMTP_PortStatus": "0"}, []),
        ({"SMTP_PortStatus": "{{ SMTP_PORT }}"}, []),
        ({"SMTP_PortStatus": "2"}, []),
        ({"SMTP_SSLStatus": "1"}, [25, 465]),
        ({"SMTP_SSLStatus": "0"}, [25]),
        ({"SMTP_PortStatus": "0", "SMTP_SSLStatus": "1"}, [465]),
        ({"SMTP_SSLStatus": "${TLS}"}, [25]),
    ],
)
def test_inbound_port_status_items(tmp_path, items, ports):
    posture, _ = posture_of(_setup(tmp_path, items, CONFIG_STARTTLS, SITE))
    assert [listener.port for listener in posture.listeners] == ports
    if items.get("SMTP_PortStatus", "1") not in ("0", "1"):
        assert any(n.startswith("SMTP_PortStatus is") for n in posture.notes)


def test_the_tls_port_takes_the_site_documents_tls_options(tmp_path):
    folder = _setup(tmp_path, {"SMTP_SSLStatus": "1"}, CONFIG_STARTTLS, SITE)
    posture, _ = posture_of(folder)
    plain, tls = posture.listeners
    assert (plain.port, plain.tls, plain.auth) == (25, "optional", "none")
    assert (tls.port, tls.tls, tls.auth, tls.role) == (465, "implicit", "required", "smtp")
    assert tls.auth_before_tls is False
    assert finding_ids(folder) == []


def test_the_tls_port_without_the_site_document_makes_no_auth_claim(tmp_path):
    posture, _ = posture_of(_setup(tmp_path, {"SMTP_SSLStatus": "1", "LdISite": "0"}, SITE))
    assert [(lsn.port, lsn.auth) for lsn in posture.listeners] == [(25, "none"), (465, "none")]
    assert any("AUTH is not checked" in n for n in posture.notes)


def _outbound(external: str | None, status: str | None, ssl: str | None = None):
    config: dict = {"Form": "ServerConfig"}
    if external is not None:
        config["MailExternalSMTP"] = external
    server: dict = {}
    if status is not None:
        server["Router_PortStatus"] = status
    if ssl is not None:
        server["Router_SSLStatus"] = ssl
    return server, {"action": "create", "items": config}


@pytest.mark.parametrize(
    ("external", "status", "ssl", "tls", "mta019"),
    [
        ("1", "1", None, "none", True),
        ("1", "2", None, "opportunistic", False),
        ("1", "1", "0", "none", True),
        # no claim: Internet mail not routed over SMTP, another value, a placeholder,
        # or the TLS port (tried first, values unpublished) also set
        (None, "1", None, "opportunistic", False),
        ("0", "1", None, "opportunistic", False),
        ("1", None, None, "opportunistic", False),
        ("1", "0", None, "opportunistic", False),
        ("1", "{{ OUT }}", None, "opportunistic", False),
        ("{{ EXT }}", "1", None, "opportunistic", False),
        ("1", "1", "1", "opportunistic", False),
    ],
)
def test_outbound_tls_from_the_smtp_outbound_port_status(
    tmp_path, external, status, ssl, tls, mta019
):
    server, config = _outbound(external, status, ssl)
    folder = _setup(tmp_path, server, config)
    posture, _ = posture_of(folder)
    assert posture.outbound.tls == tls
    assert posture.outbound.relayhost is None  # its item name is not established
    assert ("MTA019" in finding_ids(folder)) is mta019
    if tls == "opportunistic" and status != "2":
        assert posture.outbound.tls_level == "not in the input (not checked)"


def test_outbound_finding_points_at_router_port_status(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    text = ots(
        {
            "action": "update",
            "findDocument": {"Type": "Server"},
            "items": {"SMTPListenerEnabled": "1", "Router_PortStatus": "1"},
        },
        {"action": "create", "items": {"Form": "ServerConfig", "MailExternalSMTP": "1"}},
    ).replace('"Router_PortStatus"', '\n"Router_PortStatus"')
    (folder / "setup.json").write_text(text)
    result = check([folder], RULES, Selection(), Options())
    [finding] = [f for f in result.findings if f.rule == "MTA019"]
    assert finding.span.line == 2
    assert "Router_PortStatus=1" in finding.message


def test_the_public_samples_make_no_outbound_claim():
    # HCL's sample sets Router_PortStatus 2 but not MailExternalSMTP
    posture, _ = posture_of(FIXTURES / "ots-inetsites")
    assert posture.outbound.tls_level == "not in the input (not checked)"
    assert any("MailExternalSMTP" in n for n in posture.notes)


# --- relay controls (documented semantics; no input reaches them yet) ---------------


@pytest.mark.parametrize(
    ("controls", "open_"),
    [
        (RelayControls(), False),
        (RelayControls(allow_to=["*"]), True),
        (RelayControls(allow_from=["*"]), True),
        (RelayControls(allow_from=["10.0.0.5"], allow_to=["partner.example"]), False),
        # Domino 6+: an Allow entry wins over the conflicting Deny entry
        (RelayControls(allow_to=["*"], deny_from=["*"]), True),
        # SMTPRelayHostsandDomains=1: Domino 5's rule, Deny wins
        (RelayControls(allow_to=["*"], deny_from=["*"], deny_wins=True), False),
        (RelayControls(allow_from=["*"], deny_to=["*"], deny_wins=True), False),
    ],
)
def test_relay_controls(controls, open_):
    assert stranger_may_relay(controls)[0] is open_


# --- detection ------------------------------------------------------------------------


def test_detection_by_name_and_content(tmp_path):
    (tmp_path / "NOTES.INI").write_text("[Notes]\nDirectory=/local/notesdata\n")
    (tmp_path / "setup.json").write_text(ots())
    (tmp_path / "package.json").write_text('{"name": "x", "scripts": {}}')
    (tmp_path / "app.ini").write_text("[Notes]\nServerTasks=Router,SMTP\n")
    (tmp_path / "other.ini").write_text("[main]\nkey=value\n")
    assert detect_format(tmp_path / "NOTES.INI") == "notes-ini"
    assert detect_format(tmp_path / "setup.json") == "domino-ots"
    assert detect_format(tmp_path / "package.json") is None
    assert detect_format(tmp_path / "app.ini") == "notes-ini"
    assert detect_format(tmp_path / "other.ini") is None


def test_hmailserver_and_exchange_files_stay_theirs():
    assert detect_format(ROOT / "tests/fixtures/exchange/defaults-json/ExchangeSettings.json") == (
        "exchange-json"
    )
    for path in (ROOT / "tests/fixtures/hmailserver").rglob("*.ini"):
        assert detect_format(path) != "notes-ini"


def test_a_named_file_without_a_telling_name_is_recognised_by_its_content(tmp_path):
    (tmp_path / "ots-template").write_text(ots())
    assert sniff_format(tmp_path / "ots-template") == "domino-ots"


def test_check_as_domino_ots(tmp_path):
    path = tmp_path / "server-setup.txt"
    path.write_text(ots(SERVER_ON, {"action": "create", "items": {"Form": "ServerConfig"}}))
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "check", "--no-config", "--as", "domino-ots", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "MTA014" in proc.stdout, proc.stdout + proc.stderr
    assert proc.returncode == 1


# --- hostile inputs ---------------------------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("bom", [True, False])
def test_utf16_setup_is_read_and_its_encoding_reported(tmp_path, codec, bom):
    text = (FIXTURES / "ots-auth-clear" / "setup.json").read_text()
    mark = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[codec]
    data = (mark if bom else b"") + text.replace("\n", "\r\n").encode(codec)
    folder = _write(tmp_path, "setup.json", data)
    assert finding_ids(folder) == ["DOM003", "MTA007", "MTA014"]


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_notes_ini(tmp_path, bom):
    text = (FIXTURES / "notes-ini-debug" / "notes.ini").read_text().replace("\n", "\r\n")
    data = (codecs.BOM_UTF16_LE if bom else b"") + text.encode("utf-16-le")
    folder = _write(tmp_path, "notes.ini", data)
    assert finding_ids(folder) == ["DOM002"]


def test_a_json_nesting_bomb_is_an_input_error(tmp_path):
    data = b'{"serverSetup": {"x": ' + b"[" * 100000 + b"]" * 100000 + b"}}"
    folder = _write(tmp_path, "setup.json", data)
    start = time.monotonic()
    assert finding_ids(folder) == ["MTA021"]
    assert time.monotonic() - start < 10


def test_a_wide_json_bomb_stays_bounded(tmp_path):
    docs = ",".join(['{"items": {"Form": "ServerConfig", "SMTP_NegotiatedSSL": "1"}}'] * 20000)
    data = (
        '{"appConfiguration": {"databases": [{"filePath": "names.nsf", "documents": ['
        + docs
        + "]}]}}"
    ).encode()
    folder = _write(tmp_path, "setup.json", data)
    start = time.monotonic()
    ids = finding_ids(folder)
    assert time.monotonic() - start < 30
    assert ids == ["MTL005"]  # more than MAX_DOCUMENTS documents: the rest is not read


def test_nan_and_invalid_json_are_input_errors(tmp_path):
    folder = _write(tmp_path, "setup.json", b'{"serverSetup": {"x": NaN}}')
    assert finding_ids(folder) == ["MTA021"]


@pytest.mark.parametrize(
    "value",
    [
        '"text"',
        "42",
        "[1, 2]",
        "null",
        '{"notesINI": [1], "server": "x", "network": 7, "security": {"TLSSetup": []}}',
        '{"notesINI": {"SMTPDebugIO": {"a": 1}, "ServerTasks": ["SMTP", null]}}',
    ],
)
def test_odd_json_values_never_crash(tmp_path, value):
    text = f'{{"serverSetup": {value}, "appConfiguration": {{"databases": [7, {{"filePath": 1}},'
    text += '{"filePath": "names.nsf", "documents": [null, {"items": [1]},'
    text += ' {"findDocument": 7, "items": {"Form": ["Server"]}}]}]}}'
    folder = _write(tmp_path, "setup.json", text.encode())
    assert "MTL001" not in finding_ids(folder)


def test_site_document_without_ldisite_decides_nothing(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "setup.json").write_text(
        ots(
            {
                "action": "update",
                "findDocument": {"Type": "Server"},
                "items": {"SMTPListenerEnabled": "1"},
            },
            {"action": "create", "items": {"Form": "ServerConfig"}},
            {"action": "create", "items": {"Form": "SMTPInboundSite", "TCPNameAndPwd": "1"}},
        )
    )
    posture, _ = posture_of(folder)
    assert posture.listeners[0].auth == "none"
    assert any("AUTH is not checked" in n for n in posture.notes)
    assert finding_ids(folder) == ["MTA014"]


def test_explain_lists_what_is_not_established():
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "explain", "MTA001"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "Domino items no public source establishes" in proc.stdout
    assert "inbound relay controls" in proc.stdout
    # what was searched for the items that stay unknown
    assert "searched: the Notes C API headers" in proc.stdout
    assert "relay host for messages leaving the local Internet domain" in proc.stdout


def test_many_notes_ini_settings_stay_bounded(tmp_path):
    from linter.mta.domino.notes_ini import MAX_SETTINGS

    lines = "".join(f"K{i}=1\n" for i in range(MAX_SETTINGS + 10))
    start = time.monotonic()
    ini = parse_notes_ini("notes.ini", "[Notes]\n" + lines)
    assert time.monotonic() - start < 10
    assert len(ini.settings) == MAX_SETTINGS
    assert [d.kind for d in ini.diagnostics] == ["limit-exceeded"]


def test_a_repeated_secret_is_not_echoed():
    ini = parse_notes_ini("notes.ini", "SMTPAuthPassword=s3cr3t-a\nSMTPAuthPassword=s3cr3t-b\n")
    [diagnostic] = ini.diagnostics
    assert "s3cr3t" not in diagnostic.message


def test_a_jinja_template_says_so(tmp_path):
    text = '{"serverSetup": {"server": {\n{% if extra %}"type": "additional",{% endif %}\n}}}'
    folder = _write(tmp_path, "setup.json", text.encode())
    result = check([folder], RULES, Selection(), Options())
    [finding] = [f for f in result.findings if f.rule == "MTA021"]
    assert "template with {% %} statements" in finding.message


def test_every_name_read_is_in_the_reference_and_only_established_ones_decide():
    from linter.mta.domino.model import DEBUG_SETTINGS, SMTP_SETTINGS
    from linter.mta.domino.reference import reference

    data = reference()
    entries = {
        name: entry
        for group in ("server_document", "configuration_settings", "smtp_inbound_site", "notes_ini")
        for name, entry in data[group].items()
    }
    deciding = {
        "SMTPListenerEnabled",
        "SMTP_NegotiatedSSL",
        "TCPNameAndPwd",
        "TCPAnonymous",
        "SSLNameAndPwd",
        "SSLAnonymous",
        "LdISite",
        "SMTP_PortStatus",
        "SMTP_SSLStatus",
        "Router_PortStatus",
        "MailExternalSMTP",
        "ServerTasks",
        *DEBUG_SETTINGS,
    }
    for name in deciding:
        assert entries[name]["established"], name
        assert all(src in data["sources"] for src in entries[name]["sources"]), name
    for name in SMTP_SETTINGS:
        assert name in entries, name
    source = (ROOT / "linter" / "mta" / "domino" / "posture.py").read_text()
    for name in (
        "SMTPListenerEnabled",
        "SMTP_NegotiatedSSL",
        "TCPNameAndPwd",
        "TCPAnonymous",
        "LdISite",
        "SMTPFullHostDomain",
        "SMTP_PortStatus",
        "SMTP_SSLStatus",
        "SSLNameAndPwd",
        "SSLAnonymous",
        "Router_PortStatus",
        "Router_SSLStatus",
        "MailExternalSMTP",
    ):
        assert f'"{name}"' in source and name in entries, name


def test_smtp_client_debug_is_recorded_not_judged(tmp_path):
    folder = _write(tmp_path, "notes.ini", b"[Notes]\nServerTasks=SMTP\nSMTPClientDebug=1\n")
    assert finding_ids(folder) == []


def test_a_client_notes_ini_is_read_and_judged_quietly():
    posture, model = posture_of(FIXTURES / "notes-ini-client")
    assert posture.listeners == [] and model.diagnostics == []
    assert model.setting("$$HasLANPort").text == "1"
    assert model.setting("AUTO_SAVE_USER,Example User/Example").text == "as_user.nsf"
    assert model.setting("Location").text == "Internet,992,CN=Example User/O=Example"
    assert finding_ids(FIXTURES / "notes-ini-client") == []


def test_another_programs_notes_ini_is_not_domino():
    sets, problems = discover([FIXTURES / "notes-ini-other"])
    assert sets == [] and problems == []
    assert detect_format(FIXTURES / "notes-ini-other" / "notes.ini") is None


def test_a_setup_file_over_the_size_limit_is_an_input_error(tmp_path):
    body = json.dumps({"serverSetup": {"notesINI": {"Pad": "x" * (11 * 1024 * 1024)}}})
    folder = _write(tmp_path, "setup.json", body.encode())
    assert finding_ids(folder) == ["MTA021"]


def test_a_huge_one_line_setup_file_is_read_quickly(tmp_path):
    pad = "x" * (8 * 1024 * 1024)
    body = json.dumps({"serverSetup": {"notesINI": {"Pad": pad, "SMTPDebugIO": "1"}}})
    folder = _write(tmp_path, "setup.json", body.encode())
    start = time.monotonic()
    assert finding_ids(folder) == ["DOM002"]
    assert time.monotonic() - start < 20
