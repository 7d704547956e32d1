"""``mtalint probe`` against a live Postfix in a private network namespace.

One Postfix instance serves several smtpd listeners on 127.0.0.1 (certificates made here
with openssl: valid, expired, wrong name, self-signed, 1024-bit), the probe runs inside
the same namespace (nsenter), and ``openssl s_client`` on the same ports is the oracle
for STARTTLS, the TLS version and the cipher. Rules in rules/probe/ are ``builtin``
(mtalint check leaves them alone); this file proves each both ways.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mta.postfix.server import PostfixServer, missing_requirements
from tests.paths import ROOT

_missing = missing_requirements()
pytestmark = [pytest.mark.live, pytest.mark.skipif(_missing is not None, reason=_missing or "")]

HOST = "mx.example.test"


def openssl(args: list[str], cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("certs")
    d.chmod(0o755)
    openssl(
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "30",
            "-subj",
            "/CN=probe test CA",
        ],
        d,
    )
    (d / "index.txt").write_text("")
    (d / "serial").write_text("01\n")
    (d / "ca.cnf").write_text(
        "[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\n"
        "default_md = sha256\npolicy = p\ncopy_extensions = copy\nunique_subject = no\n"
        "[p]\ncommonName = supplied\n"
    )

    def leaf(name: str, cn: str, bits: int = 2048, start: str = "", end: str = "") -> None:
        openssl(
            [
                "req",
                "-newkey",
                f"rsa:{bits}",
                "-nodes",
                "-keyout",
                f"{name}.key",
                "-out",
                f"{name}.csr",
                "-subj",
                f"/CN={cn}",
                "-addext",
                f"subjectAltName=DNS:{cn}",
            ],
            d,
        )
        dates = ["-startdate", start, "-enddate", end] if start else ["-days", "30"]
        openssl(
            [
                "ca",
                "-batch",
                "-config",
                "ca.cnf",
                "-keyfile",
                "ca.key",
                "-cert",
                "ca.pem",
                "-in",
                f"{name}.csr",
                "-out",
                f"{name}.pem",
                "-notext",
                *dates,
            ],
            d,
        )

    leaf("valid", HOST)
    leaf("expired", HOST, start="20200101000000Z", end="20200201000000Z")
    leaf("wrongname", "other.example.org")
    leaf("weak", HOST, bits=1024)
    openssl(
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "selfsigned.key",
            "-out",
            "selfsigned.pem",
            "-days",
            "30",
            "-subj",
            f"/CN={HOST}",
            "-addext",
            f"subjectAltName=DNS:{HOST}",
        ],
        d,
    )
    return d


def service(port: int, cert: str, certs: Path, *options: str, daemon: str = "smtpd") -> str:
    opts = [
        f"smtpd_tls_cert_file={certs / cert}.pem",
        f"smtpd_tls_key_file={certs / cert}.key",
        *options,
    ]
    head = f"127.0.0.1:{port} inet n - n - - {daemon}"
    return "\n".join([head, *(f"  -o {o}" for o in opts)])


CERT_PORTS = {2526: "expired", 2527: "wrongname", 2528: "selfsigned", 2529: "weak"}
MODERN_TLS_PORT = 2530


@pytest.fixture(scope="module")
def postfix(certs):
    services = [
        # 25: STARTTLS offered, AUTH before TLS, VRFY on (Postfix's defaults)
        service(
            25,
            "valid",
            certs,
            "smtpd_tls_security_level=may",
            "smtpd_sasl_auth_enable=yes",
            "smtpd_tls_auth_only=no",
        ),
        # 587: TLS required, AUTH only after it, VRFY off
        service(
            587,
            "valid",
            certs,
            "smtpd_tls_security_level=encrypt",
            "smtpd_sasl_auth_enable=yes",
            "smtpd_tls_auth_only=yes",
            "disable_vrfy_command=yes",
            "smtpd_helo_required=yes",
        ),
        # 465: implicit TLS
        service(465, "valid", certs, "smtpd_tls_wrappermode=yes", "smtpd_sasl_auth_enable=yes"),
        *(service(p, c, certs, "smtpd_tls_security_level=may") for p, c in CERT_PORTS.items()),
        service(
            MODERN_TLS_PORT,
            "valid",
            certs,
            "smtpd_tls_security_level=may",
            "smtpd_tls_protocols=>=TLSv1.2",
        ),
    ]
    settings = {
        "compatibility_level": "3.6",
        "smtpd_relay_restrictions": "reject_unauth_destination",
        "smtpd_tls_loglevel": "1",
    }
    # smtpd asks tlsmgr for its TLS session cache and random seed
    tlsmgr = "tlsmgr unix - - n 1000? 1 tlsmgr"
    with PostfixServer(settings, "\n".join([*services, tlsmgr]), port=25) as server:
        yield server


def in_namespace(
    server: PostfixServer, argv: list[str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    pid = server._agent.pid  # the agent runs inside the instance's network namespace
    return subprocess.run(
        ["nsenter", f"--net=/proc/{pid}/ns/net", "--", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


def probe(server: PostfixServer, *args: str) -> tuple[int, dict]:
    done = in_namespace(
        server,
        [sys.executable, "-m", "linter", "probe", "--format", "json", "--timeout", "5", *args],
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def port(doc: dict, number: int) -> dict:
    return next(p for p in doc["probe"]["ports"] if p["port"] == number)


def rules_at(doc: dict, number: int) -> set[str]:
    return {f["rule"] for f in doc["findings"] if f["path"].endswith(f":{number}")}


def s_client(server: PostfixServer, number: int, *extra: str) -> dict[str, str]:
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{number}", "-brief", *extra]
    if number != 465:
        argv += ["-starttls", "smtp"]
    done = subprocess.run(
        ["nsenter", f"--net=/proc/{server._agent.pid}/ns/net", "--", *argv],
        input="QUIT\n",
        capture_output=True,
        text=True,
        timeout=30,
    )
    out: dict[str, str] = {"rc": str(done.returncode)}
    for line in done.stderr.splitlines():
        key, _, value = line.partition(":")
        out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="module")
def main_probe(postfix, certs):
    """The probe of every port, read by the tests below."""
    ports = ",".join(str(p) for p in (25, 465, 587, *CERT_PORTS, MODERN_TLS_PORT))
    return probe(
        postfix,
        "127.0.0.1",
        "--ports",
        ports,
        "--ca-file",
        str(certs / "ca.pem"),
        "--config",
        str(postfix.config_dir),
    )[1]


def test_port_25_starttls_auth_before_tls_vrfy(main_probe):
    p = port(main_probe, 25)
    assert p["greeting_code"] == 220 and p["starttls"] is True, p
    assert p["auth_before_tls"] == ["LOGIN", "PLAIN"] and p["auth_plaintext_before_tls"]
    assert p["tls_required"] is False and p["vrfy"]["answers"] is True
    assert p["helo_required"] is False and p["size"] == 10240000
    assert p["certificate"]["trusted"] is True and p["certificate"]["names_unmatched"] == []
    assert {"PRB003", "PRB007", "PRB013"} <= rules_at(main_probe, 25)
    assert not rules_at(main_probe, 25) & {
        "PRB002",
        "PRB006",
        "PRB008",
        "PRB009",
        "PRB010",
        "PRB011",
        "PRB012",
    }


def test_port_587_requires_tls_and_hides_auth(main_probe):
    p = port(main_probe, 587)
    assert p["tls_required"] is True and p["auth_before_tls"] == []
    assert p["auth_after_tls"] == ["LOGIN", "PLAIN"] and p["vrfy"]["answers"] is False
    # MAIL before STARTTLS gets 530 (TLS first): whether HELO is required stays unknown
    assert "helo_required" not in p and p["mail_without_helo"].startswith("530")
    assert not rules_at(main_probe, 587) & {"PRB007", "PRB013", "PRB006"}


def test_port_465_is_implicit_tls(main_probe):
    p = port(main_probe, 465)
    assert p["implicit_tls"] and p["tls_handshake"] and p["greeting_code"] == 220, p
    assert p["auth_after_tls"] == ["LOGIN", "PLAIN"]


def test_the_running_configuration_shows_no_drift(main_probe):
    assert main_probe["probe"]["drift"] == [], main_probe["probe"]["drift"]


@pytest.mark.parametrize("number", [25, 465, 587, MODERN_TLS_PORT])
def test_version_and_cipher_agree_with_openssl_s_client(postfix, main_probe, number):
    p = port(main_probe, number)
    oracle = s_client(postfix, number)
    assert oracle["Protocol version"] == p["tls_version"], oracle
    assert oracle["Ciphersuite"] == p["cipher"], oracle
    for version, flag in (
        ("TLSv1", "-tls1"),
        ("TLSv1.1", "-tls1_1"),
        ("TLSv1.2", "-tls1_2"),
        ("TLSv1.3", "-tls1_3"),
    ):
        pinned = s_client(postfix, number, flag, "-cipher", "ALL:@SECLEVEL=0")
        accepted = pinned.get("Protocol version") == version
        assert p["tls_versions"][version] == ("accepted" if accepted else "refused"), (
            version,
            pinned,
            p["tls_version_notes"],
        )


def test_old_tls_versions_found_where_postfix_allows_them(main_probe):
    # Postfix 3.7 here still accepts TLS 1.0/1.1 by default (s_client agrees, above)
    assert port(main_probe, 25)["weak_tls_accepted"] == ["TLSv1", "TLSv1.1"]
    assert "PRB004" in rules_at(main_probe, 25)
    modern = port(main_probe, MODERN_TLS_PORT)
    assert modern["weak_tls_accepted"] == [] and modern["tls_accepted"], modern["tls_versions"]
    assert "PRB004" not in rules_at(main_probe, MODERN_TLS_PORT)


@pytest.mark.parametrize(
    ("number", "rules"),
    [
        (2526, {"PRB010", "PRB008"}),
        (2527, {"PRB009"}),
        (2528, {"PRB012", "PRB008"}),
        (2529, {"PRB011"}),
    ],
)
def test_certificate_findings(main_probe, number, rules):
    p = port(main_probe, number)
    if number == 2529 and not p.get("tls_handshake"):
        pytest.skip(f"Postfix here will not load a 1024-bit key: {p.get('error')}")
    found = rules_at(main_probe, number)
    assert rules <= found, (found, p.get("certificate"))
    assert not found & ({"PRB008", "PRB009", "PRB010", "PRB011", "PRB012"} - rules - {"PRB008"})


# --------------------------------------------------------------------------- drift

DRIFT_MAIN = (
    "compatibility_level = 3.6\nmyhostname = mx.example.test\nsmtpd_banner = $myhostname ESMTP\n"
)
DRIFT_MASTER = (
    "127.0.0.1:25 inet n - n - - smtpd\n"
    "  -o smtpd_tls_security_level=encrypt\n"
    "  -o smtpd_sasl_auth_enable=yes\n"
    "  -o smtpd_tls_auth_only=yes\n"
)


def test_drift_against_another_configuration(postfix, tmp_path):
    (tmp_path / "main.cf").write_text(DRIFT_MAIN)
    (tmp_path / "master.cf").write_text(DRIFT_MASTER)
    _, doc = probe(postfix, "127.0.0.1", "--ports", "25,465", "--config", str(tmp_path))
    aspects = {(d["port"], d["aspect"]) for d in doc["probe"]["drift"]}
    assert {(25, "tls"), (25, "auth-before-tls"), (465, "unexpected")} <= aspects, aspects
    drift = [f for f in doc["findings"] if f["rule"] in ("PRB017", "PRB018")]
    tls = next(f for f in drift if "require TLS" in f["message"])
    assert tls["path"].endswith("master.cf") and tls["line"] == 2, tls
    assert any(f["rule"] == "PRB018" and "465" in f["message"] for f in drift)


# --------------------------------------------------------------------------- relay


@pytest.mark.parametrize(
    ("settings", "relays"),
    [({"mynetworks": "0.0.0.0/0"}, True), ({"mynetworks": "10.9.9.0/24"}, False)],
    ids=["open", "closed"],
)
def test_relay_test(settings, relays):
    with PostfixServer({"compatibility_level": "3.6", **settings}, port=25) as server:
        _, doc = probe(server, "127.0.0.1", "--ports", "25", "--relay-test")
        log = server.log()
    relay = port(doc, 25)["relay"]
    assert relay["tested"] and len(relay["attempts"]) >= 10
    assert bool(relay["direct_accepted"]) is relays, relay
    assert ("PRB015" in rules_at(doc, 25)) is relays
    sent = [line for line in relay["transcript"] if line.startswith(">")]
    assert not any(line.upper().startswith("> DATA") for line in sent)
    assert "disconnect from" in log and " data=" not in log, log[-2000:]


def test_without_relay_test_no_mail_transaction_to_external(postfix, main_probe):
    assert port(main_probe, 25)["relay"] == {"tested": False}


# --------------------------------------------------------------------------- cipher suites


def test_cipher_enumeration_agrees_with_each_suite_offered_alone(postfix, main_probe):
    from tests.probe.test_exim import openssl_suites

    p = port(main_probe, 25)
    assert p["cipher_enumeration"] == "complete", p
    alone = {
        name
        for name in openssl_suites()
        if s_client(postfix, 25, "-tls1_2", "-cipher", f"{name}:@SECLEVEL=0").get("Ciphersuite")
        == name
    }
    assert set(p["ciphers_accepted"]["TLSv1.2"]) == alone
    # Postfix's default (smtpd_tls_ciphers = medium) keeps anonymous suites on every port;
    # a client that checks the certificate never offers them, so they are no finding
    # (Postfix TLS_README: excluding them "is generally unnecessary")
    classes = set(p["weak_cipher_classes"])
    assert classes <= {"anon"}, classes
    for number in (25, 465, 587):
        assert "anon" in port(main_probe, number)["weak_cipher_classes"]
        assert not {"PRB021", "PRB022"} & set(rules_at(main_probe, number))
