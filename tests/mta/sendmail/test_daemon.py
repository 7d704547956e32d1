"""mtalint's sendmail posture against a real ``sendmail -bD`` (daemon.py).

Each configuration is a .mc; m4 + cf.m4 build its .cf, Debian's sendmail 8.17 runs it in
namespaces of its own, and a client speaks SMTP to every listener from a stranger's
address (192.0.2.7, not in class {R}), from 127.0.0.1 and, where a SASL user exists, after
AUTH PLAIN. Two checks per configuration:

- the daemon does what sendmail's documentation says (hard-coded per case, so the oracle
  cannot drift unnoticed): does it relay for the stranger on each port;
- mtalint's posture for each listener agrees with what the daemon did (``agreement``):
  relay verdict, STARTTLS (tls), AUTH (auth, plaintext mechanisms). An ``unknown`` relay
  verdict claims nothing; ``open`` where the daemon refused the stranger, or ``closed`` /
  ``authenticated`` / ``networks`` without the stranger where it relayed, is a
  disagreement.

Besides the documented cases, a seeded set of generated configurations (features, relay
domains, daemons with modifiers, certificates, AUTH) is compared the same way.
"""

from __future__ import annotations

import atexit
import functools
import ipaddress
import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from linter.discover import discover
from linter.mta import Options
from linter.mta.sendmail import analyse
from tests.mta.sendmail.daemon import (
    FOREIGN_ADDR,
    FOREIGN_NAME,
    LOOPBACK_ADDR,
    Port,
    Report,
    missing,
    run,
)

_missing = missing() or (None if shutil.which("openssl") else "openssl is not installed")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
]

HEAD = "divert(0)dnl\nOSTYPE(`linux')dnl\nDOMAIN(`generic')dnl\n"
TAIL = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n"
# {tls} in a body stands for these lines, with the paths of a self-signed certificate
TLS_LINES = (
    "define(`confSERVER_CERT', `{cert}')dnl\ndefine(`confSERVER_KEY', `{key}')dnl\n"
    "define(`confCACERT', `{cert}')dnl\ndefine(`confCACERT_PATH', `{folder}')dnl\n"
)
# without the CA lines: sendmail 8.17's server requirements (TLS_I_SRV_CERT in tls.h)
# include an existing CACertPath and CACertFile, so no STARTTLS is offered
TLS_NO_CA_LINES = TLS_LINES.split("define(`confCACERT'")[0]
AUTH_LINES = (
    "define(`confAUTH_MECHANISMS', `PLAIN LOGIN CRAM-MD5')dnl\n"
    "TRUST_AUTH_MECH(`PLAIN LOGIN CRAM-MD5')dnl\n"
)
# the mechanisms of proto.m4's default AuthMechanisms; with libsasl2-modules installed the
# daemon advertises those the library has (DIGEST-MD5 CRAM-MD5) even when the .mc says
# nothing about AUTH: a property of the machine, not of the .mc, and challenge-response only
DEFAULT_MECHANISMS = {"GSSAPI", "KERBEROS_V4", "DIGEST-MD5", "CRAM-MD5"}
PLAINTEXT = {"PLAIN", "LOGIN"}
MSA_A = "FEATURE(`no_default_msa')dnl\nDAEMON_OPTIONS(`Name=MTA')dnl\n"
MSA_A += "DAEMON_OPTIONS(`Port=587, Name=MSA, M=Ea')dnl\n"


@dataclass(frozen=True)
class Case:
    id: str
    body: str
    # port → does the daemon relay for the stranger: what sendmail documents (cf/README)
    relays: dict[int, bool]
    why: str
    # port → the relay verdict mtalint must give, for verdicts that were once wrong
    verdict: dict[int, str] = field(default_factory=dict)
    sasl_users: bool = False
    client_name: str = FOREIGN_NAME


LOCAL_OK = "LOCAL_RULESETS\nSLocal_check_rcpt\nR$*\t\t$#OK\n"
LOCAL_NO = 'LOCAL_RULESETS\nSLocal_check_rcpt\nR$*\t\t$#error $@ 5.7.1 $: "550 no"\n'

CASES = [
    Case("default", "", {25: False, 587: False}, "only localhost and class {R} relay"),
    Case(
        "promiscuous_relay",
        "FEATURE(`promiscuous_relay')dnl\n",
        {25: True, 587: True},
        "promiscuous_relay relays from any host to any host",
        verdict={25: "open", 587: "open"},
    ),
    Case(
        "promiscuous_relay-M=a",
        "FEATURE(`promiscuous_relay')dnl\n" + AUTH_LINES + MSA_A,
        {25: True, 587: False},
        "M=a answers MAIL without AUTH with 530 5.7.0 Authentication required",
        verdict={25: "open", 587: "authenticated"},
        sasl_users=True,
    ),
    Case(
        "M=a",
        AUTH_LINES + MSA_A,
        {25: False, 587: False},
        "M=a: nobody gets past MAIL without AUTH; a login relays",
        verdict={587: "authenticated"},
        sasl_users=True,
    ),
    Case(
        "local-ruleset-ok",
        "FEATURE(`promiscuous_relay')dnl\n" + TAIL + LOCAL_OK,
        {25: True, 587: True},
        "Local_check_rcpt answering OK accepts every recipient",
        verdict={25: "unknown", 587: "unknown"},
    ),
    Case(
        "local-ruleset-error",
        "FEATURE(`promiscuous_relay')dnl\n" + TAIL + LOCAL_NO,
        {25: False, 587: False},
        "Local_check_rcpt answering error refuses every recipient, promiscuous_relay or not",
        verdict={25: "unknown", 587: "unknown"},
    ),
    Case(
        "loose_relay_check",
        "FEATURE(`loose_relay_check')dnl\n",
        {25: False, 587: False},
        "loose_relay_check only changes how %-hack addresses are checked",
    ),
    Case(
        "relay_entire_domain-stranger",
        "FEATURE(`relay_entire_domain')dnl\n",
        {25: False, 587: False},
        "relay_entire_domain relays for hosts in class {m} (example.test) only",
    ),
    Case(
        "relay_entire_domain-neighbour",
        "FEATURE(`relay_entire_domain')dnl\n",
        {25: True, 587: True},
        "a client whose name is in class {m} (example.test) relays",
        client_name="client.example.test",
    ),
    Case(
        "RELAY_DOMAIN-client-net",
        "RELAY_DOMAIN(`192.0.2')dnl\n",
        {25: True, 587: True},
        "class {R} holds the client's network (dotted prefix 192.0.2)",
        verdict={25: "networks", 587: "networks"},
    ),
    Case(
        "RELAY_DOMAIN-other-net",
        "RELAY_DOMAIN(`10.1 198.51.100')dnl\n",
        {25: False, 587: False},
        "class {R} holds other networks only",
        verdict={25: "networks", 587: "networks"},
    ),
    Case(
        "relay_local_from",
        "FEATURE(`relay_local_from')dnl\n",
        {25: True, 587: True},
        "relay_local_from relays when MAIL FROM is in a local domain (forged here)",
        verdict={25: "open", 587: "open"},
    ),
    Case(
        "access_db",
        "FEATURE(`access_db')dnl\n",
        {25: False, 587: False},
        "an access map that does not exist lists nobody",
    ),
    Case(
        "starttls",
        "{tls}",
        {25: False, 587: False},
        "a certificate and key make every daemon without M=S offer STARTTLS",
    ),
    Case(
        "starttls-no-ca",
        "{tls-no-ca}",
        {25: False, 587: False},
        "a certificate and key without CACertFile and CACertPath: no STARTTLS",
    ),
    Case(
        "starttls-M=S-and-smtps",
        "{tls}FEATURE(`no_default_msa')dnl\nDAEMON_OPTIONS(`Name=MTA')dnl\n"
        "DAEMON_OPTIONS(`Port=587, Name=MSA, M=ES')dnl\n"
        "DAEMON_OPTIONS(`Port=465, Name=MTA-SSL, M=s')dnl\n",
        {25: False, 587: False, 465: False},
        "M=S turns STARTTLS off for one daemon; M=s speaks TLS from the start",
    ),
    Case(
        "auth-and-M=A",
        AUTH_LINES + "FEATURE(`no_default_msa')dnl\nDAEMON_OPTIONS(`Name=MTA')dnl\n"
        "DAEMON_OPTIONS(`Port=2525, Name=NOAUTH, M=A')dnl\n",
        {25: False, 2525: False},
        "AuthMechanisms offer AUTH; M=A turns it off for one daemon",
        sasl_users=True,
    ),
]


def generated(count: int = 16, seed: int = 8171) -> list[Case]:
    """Random combinations of what decides relay, STARTTLS and AUTH. The daemon's
    behaviour is not predicted for these (relays == {}): only agreement is checked."""
    rng = random.Random(seed)
    features = [
        "promiscuous_relay",
        "relay_entire_domain",
        "loose_relay_check",
        "relay_hosts_only",
        "access_db",
        "relay_local_from",
        "relay_mail_from",
    ]
    relay_domains = ["", "192.0.2", "10.1", "192.0.2.7", "outside.example"]
    daemons = [
        "DAEMON_OPTIONS(`Port=587, Name=MSA, M=E')dnl\n",
        "DAEMON_OPTIONS(`Port=587, Name=MSA, M=Ea')dnl\n",
        "DAEMON_OPTIONS(`Port=465, Name=MTA-SSL, M=s')dnl\n",
        "DAEMON_OPTIONS(`Port=2525, Name=ALT, M=A')dnl\n",
        "DAEMON_OPTIONS(`Port=2526, Name=NOTLS, M=S')dnl\n",
    ]
    cases = []
    for i in range(count):
        body = ""
        tls = rng.random() < 0.5
        if tls:
            body += rng.choice(["{tls}", "{tls}", "{tls-no-ca}"])
        auth = rng.random() < 0.5
        if auth:
            body += AUTH_LINES
        for feature in rng.sample(features, rng.randint(0, 2)):
            if feature == "relay_mail_from" and "access_db" not in body:
                body += "FEATURE(`access_db')dnl\n"
            body += f"FEATURE(`{feature}')dnl\n"
        domain = rng.choice(relay_domains)
        if domain:
            body += f"RELAY_DOMAIN(`{domain}')dnl\n"
        chosen = rng.sample(daemons, rng.randint(0, 2))
        if len({d.split(",")[0] for d in chosen}) < len(chosen):
            chosen = chosen[:1]  # two daemons on one port: the second cannot bind
        if "{tls}" not in body:
            chosen = [d for d in chosen if "M=s" not in d]
        if chosen:
            body += "FEATURE(`no_default_msa')dnl\nDAEMON_OPTIONS(`Name=MTA')dnl\n"
            body += "".join(chosen)
        cases.append(Case(f"generated-{i}", body, {}, "generated", sasl_users=auth))
    return cases


ALL = CASES + generated()
BY_ID = {c.id: c for c in ALL}


# ---------------------------------------------------------------- running


@functools.cache
def workdir() -> Path:
    """One folder for the session (under /tmp: sendmail must trust the path), holding a
    self-signed certificate and a folder per configuration."""
    folder = Path(tempfile.mkdtemp(prefix="mtalint-sendmail-", dir="/tmp"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    folder.chmod(0o755)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=mx.example.test",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    (folder / "key.pem").chmod(0o600)
    return folder


def mc_path(case: Case) -> Path:
    folder = workdir() / case.id
    folder.mkdir(exist_ok=True)
    paths = {"cert": workdir() / "cert.pem", "key": workdir() / "key.pem", "folder": workdir()}
    body = case.body.replace("{tls}", TLS_LINES.format(**paths))
    body = body.replace("{tls-no-ca}", TLS_NO_CA_LINES.format(**paths))
    text = HEAD + body + ("" if TAIL in body else TAIL)
    mc = folder / "config.mc"
    mc.write_text(text)
    return mc


def _run(case: Case) -> Report:
    return run(
        mc_path(case),
        workdir() / case.id / "run",
        sasl_users=case.sasl_users,
        client_name=case.client_name,
    )


def _run_or_fail(case: Case) -> Report | str:
    try:
        return _run(case)
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"


@functools.cache
def _all_reports() -> dict[str, Report | str]:
    """Every configuration's daemon, two at a time (each in namespaces of its own)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(BY_ID, pool.map(_run_or_fail, ALL), strict=True))


class _Reports:
    def __getitem__(self, case_id: str) -> Report:
        report = _all_reports()[case_id]
        if isinstance(report, str):
            pytest.fail(f"{case_id}: the daemon could not be run: {report}")
        return report


def reports() -> _Reports:
    return _Reports()


@functools.cache
def posture(case_id: str) -> list[dict[str, Any]]:
    sets, problems = discover([mc_path(BY_ID[case_id])])
    assert sets and not problems, problems
    analysis = analyse(sets[0], Options())
    listeners: list[dict[str, Any]] = analysis.model["posture"]["listeners"]
    return listeners


# ---------------------------------------------------------------- agreement


def _covered_by_address(networks: list[str]) -> bool:
    for entry in networks:
        try:
            if ipaddress.ip_address(FOREIGN_ADDR) in ipaddress.ip_network(
                entry.strip("[]"), strict=False
            ):
                return True
        except ValueError:
            continue
    return False


def _may_cover_by_name(networks: list[str]) -> bool:
    """Entries that are no address block (host names, domains, classes) may match the
    client's name; mtalint cannot know it."""
    for entry in networks:
        try:
            ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            if not entry.startswith("hosts in class {R}"):
                return True
    return False


def disagreements(listener: dict[str, Any], port: Port, auth_configured: bool) -> list[str]:
    """What mtalint claims for one listener that the daemon contradicts."""
    found = []
    relay = listener["relay"]
    verdict = relay["verdict"]
    stranger = port.relays_for(FOREIGN_ADDR)
    if verdict == "unknown":
        pass  # claims nothing
    elif stranger:
        if verdict == "networks":
            if not (
                _covered_by_address(relay["networks"]) or _may_cover_by_name(relay["networks"])
            ):
                found.append("relay: networks without the stranger, but the daemon relayed")
        elif verdict != "open":
            found.append(f"relay: {verdict}, but the daemon relayed for a stranger")
    else:
        if verdict == "open":
            found.append("relay: open, but the daemon refused the stranger")
        if verdict == "networks" and _covered_by_address(relay["networks"]):
            found.append("relay: networks hold the stranger's address, but it was refused")
    if verdict == "networks" and not port.relays_for(LOOPBACK_ADDR):
        found.append("relay: networks (with 127.0.0.1), but localhost was refused")
    if verdict == "authenticated":
        after = port.relays_after_login()
        if after is False:
            found.append("relay: authenticated, but a logged-in client was refused")
    # TLS
    tls = listener["tls"]
    if tls == "implicit":
        if not (port.implicit_tls and port.first() is not None):
            found.append("tls: implicit, but no TLS session from the start")
    elif tls == "optional" and not port.starttls:
        found.append("tls: optional, but STARTTLS is not advertised")
    elif tls == "none" and (port.starttls or port.implicit_tls):
        found.append("tls: none, but the daemon offers TLS")
    # AUTH
    mechanisms = port.auth_mechanisms
    if listener["auth"] in ("offered", "required"):
        if mechanisms is None:
            found.append(f"auth: {listener['auth']}, but AUTH is not advertised")
    elif mechanisms is not None and (auth_configured or not set(mechanisms) <= DEFAULT_MECHANISMS):
        found.append(f"auth: none, but AUTH {' '.join(mechanisms)} is advertised")
    required = any(s.mail is not None and s.mail.code == 530 for s in port.sessions if not s.login)
    if (listener["auth"] == "required") != required:
        found.append(f"auth: {listener['auth']}, but MAIL without AUTH got 530: {required}")
    plaintext = bool(set(mechanisms or []) & PLAINTEXT)
    if listener["auth_plaintext_mechanisms"] != plaintext:
        found.append(
            f"auth_plaintext_mechanisms: {listener['auth_plaintext_mechanisms']}, "
            f"advertised: {mechanisms}"
        )
    return found


def compare(case_id: str) -> tuple[int, list[str]]:
    """(ports compared, disagreements with context)."""
    report = reports()[case_id]
    listeners = posture(case_id)
    auth_configured = "AUTH_MECH" in BY_ID[case_id].body
    found = []
    for port in report.ports:
        matching = [item for item in listeners if item["port"] == port.port]
        if len(matching) != 1:
            found.append(f"port {port.port}: mtalint has {len(matching)} listeners")
            continue
        for problem in disagreements(matching[0], port, auth_configured):
            found.append(f"port {port.port}: {problem}")
    for item in listeners:
        if item["port"] not in {p.port for p in report.ports}:
            found.append(f"port {item['port']}: mtalint has a listener the daemon has not")
    return len(report.ports), found


def context(case_id: str) -> str:
    relay = [(item["port"], item["relay"]["verdict"]) for item in posture(case_id)]
    return (
        f"{mc_path(BY_ID[case_id]).read_text()}\nmtalint relay: {relay}\n"
        f"{reports()[case_id].describe()}"
    )


# ---------------------------------------------------------------- tests


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_daemon_does_what_sendmail_documents(case: Case) -> None:
    report = reports()[case.id]
    assert sorted(p.port for p in report.ports) == sorted(case.relays), report.describe()
    for port in report.ports:
        first = port.first()
        assert first is not None and first.banner is not None, f"{case.why}\n{context(case.id)}"
        assert first.banner.code == 220, context(case.id)
        assert port.relays_for(FOREIGN_ADDR) == case.relays[port.port], (
            f"port {port.port}: {case.why}\n{context(case.id)}"
        )


def test_m_a_answers_mail_with_530() -> None:
    port = reports()["promiscuous_relay-M=a"].port(587)
    for session in port.sessions:
        if not session.login:
            assert session.mail is not None and session.mail.code == 530, port.describe()
            assert "Authentication required" in session.mail.text, port.describe()
    assert port.relays_after_login() is True, port.describe()


def test_starttls_follows_the_certificate() -> None:
    assert not any(p.starttls for p in reports()["default"].ports)
    assert all(p.starttls for p in reports()["starttls"].ports)
    assert not any(p.starttls for p in reports()["starttls-no-ca"].ports)
    ports = reports()["starttls-M=S-and-smtps"]
    assert ports.port(25).starttls and not ports.port(587).starttls, ports.describe()
    smtps = ports.port(465)
    assert smtps.implicit_tls and smtps.first() is not None, smtps.describe()


def test_auth_follows_the_mechanisms() -> None:
    report = reports()["auth-and-M=A"]
    assert report.port(25).auth_mechanisms == ["PLAIN", "LOGIN", "CRAM-MD5"], report.describe()
    assert report.port(2525).auth_mechanisms is None, report.describe()
    assert report.port(25).relays_after_login() is True, report.describe()


@pytest.mark.parametrize("case", ALL, ids=[c.id for c in ALL])
def test_mtalint_posture_agrees_with_the_daemon(case: Case) -> None:
    _, found = compare(case.id)
    assert not found, "\n".join(found) + "\n" + context(case.id)
    for port, verdict in case.verdict.items():
        got = next(item for item in posture(case.id) if item["port"] == port)
        assert got["relay"]["verdict"] == verdict, f"port {port}: {case.why}\n{context(case.id)}"
