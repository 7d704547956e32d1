"""mtalint's Postfix verdicts against a live smtpd: restriction stages, warn_if_reject,
tables written in the file, relay_domains = static:all, unreadable mynetworks entries.

Same set-up as test_live_relay.py (a Postfix 3.7 in a private network namespace,
probed with XCLIENT from foreign, private and loopback addresses and with a SASL login).
Each variant states the verdict Postfix must reach by its documentation and source
(smtpd_check.c), so the oracle cannot drift, and mtalint must reach the same one.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mta.postfix.server import (
    DEFAULT_PORT,
    EXTERNAL_RCPT,
    FOREIGN_CLIENTS,
    LOCAL_RCPT,
    PostfixServer,
    RelayOracle,
    missing_requirements,
    smtpd_service,
)
from tests.mta.postfix.test_live_relay import mtalint_argv

_missing = missing_requirements()
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
]


@dataclass(frozen=True)
class Variant:
    id: str
    settings: dict[str, str]
    expected: str  # open, networks, authenticated, closed
    why: str
    smtpd_options: tuple[str, ...] = ()
    # a stranger's mail to a local recipient is refused: AUTH (or trust) is required
    strangers_refused: bool = False
    # every client outside the earlier mynetworks entries gets 451 4.3.0
    deferred: bool = False
    # rules that must / must not report on these files
    findings: tuple[str, ...] = ()
    no_findings: tuple[str, ...] = ()


BASE = {"compatibility_level": "3.6"}
VARIANTS = [
    # parameter types come from Postfix's tables: these paths are strings, and smtpd starts
    Variant(
        "path-parameters-are-not-booleans",
        {
            **BASE,
            "readme_directory": "/usr/share/doc/postfix",
            "html_directory": "/usr/share/doc/postfix/html",
        },
        "networks",
        "readme_directory and html_directory default to 'no' but are strings",
        no_findings=("MTA021",),
    ),
    # mynetworks_style matters only where permit_mynetworks lets a client relay
    Variant(
        "subnet-style-not-trusted",
        {
            **BASE,
            "mynetworks_style": "subnet",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
        },
        "closed",
        "no list in effect holds permit_mynetworks: even the host itself may not relay",
        no_findings=("PF013",),
    ),
    Variant(
        "subnet-style-trusted",
        {**BASE, "mynetworks_style": "subnet"},
        "networks",
        "the default relay restrictions start with permit_mynetworks",
    ),
    # item 1: the client list is evaluated at RCPT too, and a PERMIT there ends only it
    Variant(
        "client-list-requires-auth",
        {**BASE, "smtpd_sasl_auth_enable": "yes"},
        "authenticated",
        "permit_sasl_authenticated, reject in smtpd_client_restrictions refuses every "
        "client that has not logged in, for local recipients too",
        smtpd_options=("smtpd_client_restrictions=permit_sasl_authenticated,reject",),
        strangers_refused=True,
        no_findings=("PF007",),
    ),
    Variant(
        "client-list-at-connect",
        {**BASE, "smtpd_sasl_auth_enable": "yes", "smtpd_delay_reject": "no"},
        "refused",
        "smtpd_delay_reject = no: the client list runs at connect, before AUTH, so "
        "permit_sasl_authenticated never matches there and every client is refused "
        "with a 554 greeting",
        smtpd_options=("smtpd_client_restrictions=permit_sasl_authenticated,reject",),
    ),
    Variant(
        "client-list-mynetworks-first",
        {**BASE, "smtpd_sasl_auth_enable": "yes"},
        "networks",
        "permit_mynetworks, permit_sasl_authenticated, reject: the host itself still relays",
        smtpd_options=(
            "smtpd_client_restrictions=permit_mynetworks,permit_sasl_authenticated,reject",
        ),
        strangers_refused=True,
    ),
    Variant(
        "client-list-before-sender-table",
        {
            **BASE,
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, "
            "check_sender_access inline:{ {a@sender.example=OK} }, reject_unauth_destination",
        },
        "authenticated",
        "the sender table would let the probe's sender relay, but the client list has "
        "already refused every client that did not log in",
        smtpd_options=("smtpd_client_restrictions=permit_sasl_authenticated,reject",),
        strangers_refused=True,
        no_findings=("PF007", "MTA001"),
    ),
    Variant(
        "client-list-permit-does-not-relay",
        {**BASE, "smtpd_client_restrictions": "permit"},
        "networks",
        "a PERMIT in the client list ends that list only; the relay list still guards",
    ),
    # item 2: warn_if_reject softens only a reject
    Variant(
        "warn-if-reject-permit",
        {**BASE, "smtpd_relay_restrictions": "warn_if_reject permit, reject_unauth_destination"},
        "open",
        "warn_if_reject changes a reject into a warning; permit still permits",
        findings=("MTA001",),
    ),
    Variant(
        "warn-if-reject-static-ok",
        {
            **BASE,
            "smtpd_relay_restrictions": "warn_if_reject check_client_access static:OK, "
            "reject_unauth_destination",
        },
        "open",
        "warn_if_reject takes the whole next restriction (with its table): OK still permits",
        findings=("MTA001",),
    ),
    Variant(
        "warn-if-reject-guard",
        {
            **BASE,
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "warn_if_reject reject_unauth_destination",
        },
        "networks",
        "a softened guard in one list leaves the other list's guard working",
    ),
    # item 3
    Variant(
        "relay-domains-static-all",
        {**BASE, "relay_domains": "static:all"},
        "open",
        "a static: table answers for every domain: every destination is a relay domain",
        findings=("MTA001",),
    ),
    # item 4
    Variant(
        "inline-cidr-everyone",
        {
            **BASE,
            "smtpd_relay_restrictions": "check_client_access cidr:{ {0.0.0.0/0 OK} }, "
            "reject_unauth_destination",
        },
        "open",
        "the inline cidr table answers OK for every IPv4 client",
        findings=("MTA001",),
        no_findings=("PF007",),
    ),
    Variant(
        "inline-cidr-one-network",
        {
            **BASE,
            "smtpd_relay_restrictions": "check_client_access cidr:{ {10.0.0.0/8 OK} }, "
            "reject_unauth_destination",
        },
        "networks",
        "the inline cidr table trusts one private network only",
        no_findings=("MTA001",),
    ),
    # item 5
    Variant(
        "mynetworks-host-bits-0",
        {**BASE, "mynetworks": "192.0.2.1/0"},
        "closed",
        "smtpd cannot read 192.0.2.1/0 (non-null host address bits): 451 4.3.0 for all",
        deferred=True,
        findings=("PF042",),
        no_findings=("MTA001", "MTA002"),
    ),
    Variant(
        "mynetworks-host-bits-8",
        {**BASE, "mynetworks": "127.0.0.0/8 10.1.2.3/8"},
        "networks",
        "127.0.0.0/8 matches first; every other client gets 451 4.3.0",
        deferred=True,
        findings=("PF042",),
    ),
    Variant(
        "mynetworks-zero-zero",
        {**BASE, "mynetworks": "0/0"},
        "closed",
        "'0/0' is a bad network value: 451 4.3.0 for every client",
        deferred=True,
        findings=("PF042",),
        no_findings=("MTA001",),
    ),
    Variant(
        "mynetworks-bad-octet",
        {**BASE, "mynetworks": "127.0.0.0/8 300.1.2.3/8"},
        "networks",
        "'300.1.2.3/8' is a bad network value: loopback relays, the rest is deferred",
        deferred=True,
        findings=("PF042",),
    ),
    Variant(
        "mynetworks-two-halves",
        {**BASE, "mynetworks": "0.0.0.0/1 128.0.0.0/1"},
        "open",
        "the two halves cover every IPv4 address",
        findings=("MTA001",),
    ),
]
BY_ID = {v.id: v for v in VARIANTS}


@functools.cache
def live(variant_id: str) -> RelayOracle:
    variant = BY_ID[variant_id]
    with PostfixServer(variant.settings, smtpd_service(DEFAULT_PORT, variant.smtpd_options)) as s:
        return s.relay_oracle()


def listener_on_test_port(main_cf: str, master_cf: str) -> dict[str, Any]:
    """mtalint's posture of the listener on the test port, for the files that ran."""
    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        (Path(folder) / "main.cf").write_text(main_cf)
        (Path(folder) / "master.cf").write_text(master_cf)
        parsed = subprocess.run(
            [*mtalint_argv(), "parse", folder, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    return next(
        item
        for item in json.loads(parsed.stdout)["posture"]["listeners"]
        if item.get("port") == DEFAULT_PORT
    )


def exposed(master_cf: str) -> str:
    """The master.cf as deployed: the daemon under test listens on 127.0.0.1 inside the
    test's own network namespace, where strangers' addresses reach it; the same service
    on every interface is what the findings (which never judge loopback listeners) are
    about."""
    return re.sub(r"(?m)^127\.0\.0\.1:(\d+)(\s+inet\s)", r"\1\2", master_cf)


@functools.cache
def mtalint(variant_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The listener on the test port and the findings, for the files that ran."""
    oracle = live(variant_id)
    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        (Path(folder) / "main.cf").write_text(oracle.main_cf)
        (Path(folder) / "master.cf").write_text(exposed(oracle.master_cf))
        parsed = subprocess.run(
            [*mtalint_argv(), "parse", folder, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        checked = subprocess.run(
            [*mtalint_argv(), "check", folder, "--format", "json", "--no-config"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    listeners = [
        item
        for item in json.loads(parsed.stdout)["posture"]["listeners"]
        if item.get("port") == DEFAULT_PORT
    ]
    assert len(listeners) == 1, listeners
    return listeners[0], json.loads(checked.stdout)["findings"]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_live_verdict_is_what_postfix_documents(variant: Variant) -> None:
    oracle = live(variant.id)
    assert oracle.verdict == variant.expected, f"{variant.why}\n{oracle.describe()}"
    strangers = [p for p in oracle.probes if p.client in FOREIGN_CLIENTS and not p.auth_user]
    if variant.strangers_refused:
        assert all(p.accepted(LOCAL_RCPT) is False for p in strangers), oracle.describe()
    if variant.deferred:
        for probe in strangers:
            reply = probe.session.reply_to(f"RCPT TO:<{EXTERNAL_RCPT}>")
            assert reply is not None and reply.code == 451, oracle.describe()
        assert "mynetworks: " in oracle.log, oracle.describe()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
def test_mtalint_verdict_matches_live_smtpd(variant: Variant) -> None:
    oracle = live(variant.id)
    listener, findings = mtalint(variant.id)
    context = f"mtalint: {json.dumps(listener['relay'], indent=2)}\n{oracle.describe()}"
    if oracle.verdict == "refused":
        # nobody gets past the greeting: nobody relays
        assert listener["relay"]["verdict"] == "closed", context
    else:
        assert listener["relay"]["verdict"] == oracle.verdict, context
    if variant.strangers_refused:
        assert listener["auth"] == "required" or oracle.verdict == "networks", context
    rules = {f["rule"] for f in findings}
    for rule in variant.findings:
        assert rule in rules, f"{rule} missing: {sorted(rules)}\n{context}"
    for rule in variant.no_findings:
        assert rule not in rules, f"{rule} reported: {sorted(rules)}\n{context}"


def test_ipv6_everywhere_in_mynetworks_lets_ipv6_strangers_relay_only() -> None:
    """[::]/0: an IPv6 stranger relays, an IPv4 one does not; mtalint says open (IPv6)."""
    settings = {**BASE, "mynetworks": "127.0.0.0/8 [::]/0"}
    with PostfixServer(settings, smtpd_service(DEFAULT_PORT)) as server:
        v4 = server.relay_probe(FOREIGN_CLIENTS[0])
        v6 = server.relay_probe("IPV6:2001:db8::1")
        oracle = server.relay_oracle()
    assert v4.accepted(EXTERNAL_RCPT) is False, v4.describe()
    assert v6.accepted(EXTERNAL_RCPT) is True, v6.describe()
    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        (Path(folder) / "main.cf").write_text(oracle.main_cf)
        (Path(folder) / "master.cf").write_text(oracle.master_cf)
        parsed = subprocess.run(
            [*mtalint_argv(), "parse", folder, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    listener = next(
        item
        for item in json.loads(parsed.stdout)["posture"]["listeners"]
        if item.get("port") == DEFAULT_PORT
    )
    assert listener["relay"]["verdict"] == "open", listener["relay"]
    assert "IPv6" in listener["relay"]["reason"], listener["relay"]


# ---------------------------------------------------------------------- STARTTLS, AUTH

TLSMGR = "tlsmgr unix - - n 1000? 1 tlsmgr"


@dataclass(frozen=True)
class TlsVariant:
    id: str
    settings: dict[str, str]
    starttls_code: int  # the reply to STARTTLS (220 ready, 454 unavailable, 502 unknown)
    mtalint_tls: str
    starttls_advertised: bool = True
    auth_advertised: bool = True
    mail_refused: bool = False  # 530: TLS is required first
    findings: tuple[str, ...] = ()
    no_findings: tuple[str, ...] = ()


TLS_VARIANTS = [
    TlsVariant("working", {}, 220, "optional"),
    TlsVariant("bound-misspelt", {"smtpd_tls_protocols": ">=TLS1.2"}, 454, "none"),
    TlsVariant("exclusion-misspelt", {"smtpd_tls_protocols": "!TLSv1.0"}, 454, "none"),
    TlsVariant("lower-case-names", {"smtpd_tls_protocols": ">=tlsv1.2"}, 220, "optional"),
    TlsVariant("hex-bound", {"smtpd_tls_protocols": ">=0x0303"}, 220, "optional"),
    TlsVariant(
        "starttls-discarded",
        {"smtpd_discard_ehlo_keywords": "starttls"},
        502,
        "none",
        starttls_advertised=False,
    ),
    TlsVariant(
        "auth-discarded",
        {"smtpd_discard_ehlo_keywords": "auth"},
        220,
        "optional",
        auth_advertised=False,
    ),
    TlsVariant(
        "required-but-misspelt",
        {"smtpd_tls_security_level": "encrypt", "smtpd_tls_mandatory_protocols": ">=TLS1.2"},
        454,
        "required",
        auth_advertised=False,
        mail_refused=True,
        findings=("PF043",),
    ),
    # an opportunistic listener never reads the mandatory list: an unreadable one leaves
    # STARTTLS working, so the mandatory settings are not facts of this server (MTA013)
    TlsVariant(
        "mandatory-list-unused-when-opportunistic",
        {
            "smtpd_tls_mandatory_protocols": ">=TLS1.2",
            "smtpd_tls_mandatory_ciphers": "null",
        },
        220,
        "optional",
        no_findings=("PF043", "MTA013", "PF015"),
    ),
    TlsVariant(
        "required-opportunistic-list-unused",
        {"smtpd_tls_security_level": "encrypt", "smtpd_tls_protocols": ">=TLS1.2"},
        220,
        "required",
        auth_advertised=False,
        mail_refused=True,
        no_findings=("PF043",),
    ),
]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=mx.example.test", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        check=True,
    )
    return {"smtpd_tls_cert_file": str(cert), "smtpd_tls_key_file": str(key)}


@pytest.mark.parametrize("variant", TLS_VARIANTS, ids=lambda v: v.id)
def test_starttls_and_auth_as_smtpd_offers_them(
    variant: TlsVariant, certificate: dict[str, str]
) -> None:
    settings = {
        **BASE,
        **certificate,
        "smtpd_tls_security_level": "may",
        "smtpd_sasl_auth_enable": "yes",
        **variant.settings,
    }
    service = smtpd_service(DEFAULT_PORT) + "\n" + TLSMGR
    with PostfixServer(settings, service) as server:
        # STARTTLS last: after a 220 the session would have to speak TLS
        session = server.session(
            ["EHLO client.example", "MAIL FROM:<a@sender.example>", "STARTTLS"]
        )
        main_cf = (server.config_dir / "main.cf").read_text()
        master_cf = (server.config_dir / "master.cf").read_text()
        log = server.log()
    context = f"{session.describe()}\n{log[-3000:]}"
    ehlo = session.reply_to("EHLO")
    assert ehlo is not None and ehlo.code == 250, context
    # the harness joins the reply's lines with " | "
    lines = ehlo.text.replace(" | ", "\n").splitlines()
    keywords = {line[4:].split()[0].upper() for line in lines if len(line) > 4}
    assert ("STARTTLS" in keywords) is variant.starttls_advertised, context
    assert ("AUTH" in keywords) is variant.auth_advertised, context
    starttls = session.reply_to("STARTTLS")
    assert starttls is not None and starttls.code == variant.starttls_code, context
    mail = session.reply_to("MAIL FROM")
    assert mail is not None and (mail.code == 530) is variant.mail_refused, context

    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        (Path(folder) / "main.cf").write_text(main_cf)
        (Path(folder) / "master.cf").write_text(master_cf)
        parsed = subprocess.run(
            [*mtalint_argv(), "parse", folder, "--format", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        checked = subprocess.run(
            [*mtalint_argv(), "check", folder, "--format", "json", "--no-config"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    listener = next(
        item
        for item in json.loads(parsed.stdout)["posture"]["listeners"]
        if item.get("port") == DEFAULT_PORT
    )
    assert listener["tls"] == variant.mtalint_tls, (listener, context)
    if not variant.auth_advertised and not variant.mail_refused:
        assert listener["auth"] == "none", listener
    rules = {f["rule"] for f in json.loads(checked.stdout)["findings"]}
    for rule in variant.findings:
        assert rule in rules, sorted(rules)
    for rule in variant.no_findings:
        assert rule not in rules, sorted(rules)


def test_noplaintext_never_offers_a_password_mechanism() -> None:
    """noplaintext: smtpd offers no PLAIN/LOGIN (with only those in the SASL library it
    offers nothing and exits), and mtalint no longer says passwords cross in clear."""
    settings = {
        **BASE,
        "smtpd_sasl_auth_enable": "yes",
        "smtpd_sasl_security_options": "noanonymous, noplaintext",
    }
    with PostfixServer(settings, smtpd_service(DEFAULT_PORT)) as server:
        session = server.session(["EHLO client.example", "AUTH PLAIN AHJlbGF5dXNlcgB4"])
        main_cf = (server.config_dir / "main.cf").read_text()
        master_cf = (server.config_dir / "master.cf").read_text()
    ehlo = session.reply_to("EHLO")
    offered = ehlo.text if ehlo is not None and ehlo.code == 250 else ""
    assert "PLAIN" not in offered and "LOGIN" not in offered, session.describe()
    auth = session.reply_to("AUTH")
    assert auth is None or auth.code != 235, session.describe()
    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        (Path(folder) / "main.cf").write_text(main_cf)
        (Path(folder) / "master.cf").write_text(master_cf)
        checked = subprocess.run(
            [*mtalint_argv(), "check", folder, "--format", "json", "--no-config"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    rules = {f["rule"] for f in json.loads(checked.stdout)["findings"]}
    assert "MTA007" not in rules, sorted(rules)


def test_permit_naked_ip_address_lets_any_client_relay() -> None:
    """A stranger that sends HELO with a bare address passes permit_naked_ip_address."""
    settings = {
        **BASE,
        "smtpd_relay_restrictions": "permit_naked_ip_address, reject_unauth_destination",
    }
    with PostfixServer(settings, smtpd_service(DEFAULT_PORT)) as server:
        session = server.session(
            [
                f"XCLIENT NAME=[UNAVAILABLE] ADDR={FOREIGN_CLIENTS[0]}",
                "HELO 192.0.2.1",
                "MAIL FROM:<a@sender.example>",
                f"RCPT TO:<{EXTERNAL_RCPT}>",
                "QUIT",
            ]
        )
        main_cf = (server.config_dir / "main.cf").read_text()
        master_cf = (server.config_dir / "master.cf").read_text()
        log = server.log()
    assert session.accepted(EXTERNAL_RCPT) is True, session.describe()
    assert "permit_naked_ip_address is deprecated" in log
    listener = listener_on_test_port(main_cf, master_cf)
    assert listener["relay"]["verdict"] == "open", listener["relay"]


def test_vrfy_is_answered_whatever_the_client_restrictions() -> None:
    """A client list that admits only clients that logged in (permit_sasl_authenticated,
    reject) does not stop VRFY: smtpd answers a stranger's VRFY (252), so the listener
    answers VRFY as mtalint says."""
    settings = {
        **BASE,
        "disable_vrfy_command": "no",
        "smtpd_sasl_auth_enable": "yes",
        "smtpd_client_restrictions": "permit_sasl_authenticated, reject",
    }
    with PostfixServer(settings, smtpd_service(DEFAULT_PORT)) as server:
        session = server.session(
            [
                f"XCLIENT NAME=[UNAVAILABLE] ADDR={FOREIGN_CLIENTS[0]}",
                "EHLO client.example",
                "VRFY postmaster",
                "QUIT",
            ]
        )
        main_cf = (server.config_dir / "main.cf").read_text()
        master_cf = (server.config_dir / "master.cf").read_text()
    vrfy = session.reply_to("VRFY")
    assert vrfy is not None and vrfy.code == 252, session.describe()
    listener = listener_on_test_port(main_cf, master_cf)
    assert listener["vrfy"] is True, listener
