"""``mtalint probe`` against a real ``sendmail -bD`` (Debian's 8.17, unpacked at
/opt/sendmail) in namespaces of its own (tests/mta/sendmail/daemon.py), with certificates made here.

One .mc, three daemons: MTA on 25, MSA on 587 (M=E), and implicit TLS on 4465 (M=s,
probed as ``smtps://10.0.0.25:4465``); STARTTLS with a test CA, AUTH PLAIN and LOGIN
(Cyrus SASL with a private sasldb), VRFY left on. Inside the namespaces the oracle
(tests/probe/oracle.py: smtplib and ``openssl s_client``) and the probe look at the same
ports; the tests compare them, check what sendmail's cf/README predicts, and check drift
against the same .mc (none) and against a different one (each difference found).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.mta.sendmail.daemon import SERVER_ADDR, _sasl, build_cf, listeners, missing
from tests.paths import ROOT
from tests.probe.live import (
    drift_aspects,
    make_certs,
    oracle_argv,
    port,
    probe_argv,
    rules_at,
)

_missing = missing() or (None if shutil.which("openssl") else "openssl is not installed")
pytestmark = [pytest.mark.live, pytest.mark.skipif(_missing is not None, reason=_missing or "")]

BANNER_TEXT = "ESMTP probe target"
MC = """\
divert(0)dnl
OSTYPE(`linux')dnl
DOMAIN(`generic')dnl
define(`confSMTP_LOGIN_MSG', `$j {banner}')dnl
define(`confSERVER_CERT', `{certs}/server.pem')dnl
define(`confSERVER_KEY', `{certs}/server.key')dnl
define(`confCACERT', `{certs}/ca.pem')dnl
define(`confCACERT_PATH', `{certs}')dnl
define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl
TRUST_AUTH_MECH(`PLAIN LOGIN')dnl
{extra}FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Name=MTA')dnl
DAEMON_OPTIONS(`Port=587, Name=MSA, M=E')dnl
DAEMON_OPTIONS(`Port=4465, Name=SMTPS, M={smtps_modifiers}')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""
SAME = {"banner": BANNER_TEXT, "extra": "", "smtps_modifiers": "s"}
# what the drift run is told the server runs: VRFY off, AUTH only under TLS, 4465 without
# implicit TLS, another greeting
OTHER = {
    "banner": "ESMTP somewhere else",
    "extra": "define(`confPRIVACY_FLAGS', `novrfy')dnl\ndefine(`confAUTH_OPTIONS', `p')dnl\n",
    "smtps_modifiers": "E",
}
PORTS = (25, 587, 4465)
TARGETS = [f"{SERVER_ADDR}:25", f"{SERVER_ADDR}:587", f"smtps://{SERVER_ADDR}:4465"]


# --online: TLSA records served by NSD inside the namespaces (10.0.0.25 is mx.example.test
# in the daemon's /etc/hosts). 25: the server key's SHA-256 (matches); 587: a digest of
# nothing (does not match); 4465: a trust-anchor record, which the probe cannot check
DANE_ZONE = """\
mx IN A 10.0.0.25
_25._tcp.mx IN TLSA 3 1 1 {spki}
_587._tcp.mx IN TLSA 3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
_4465._tcp.mx IN TLSA 2 0 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
"""
DANE_TARGETS = ["mx.example.test:25", "mx.example.test:587", "smtps://mx.example.test:4465"]


def spki_sha256(pem: Path) -> str:
    """SHA-256 of the certificate's public key (TLSA 3 1 1), computed by openssl."""
    key = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-pubkey", "-noout"],
        capture_output=True,
        check=True,
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubin", "-outform", "DER"], input=key, capture_output=True, check=True
    ).stdout
    digest = subprocess.run(
        ["openssl", "dgst", "-sha256", "-r"], input=der, capture_output=True, check=True
    ).stdout
    return digest.split()[0].decode()


@pytest.fixture(scope="module")
def run() -> Iterator[dict[str, Any]]:
    # under /tmp, world-searchable: sendmail checks the path of every file it reads
    with tempfile.TemporaryDirectory(prefix="mtalint-probe-sendmail-", dir="/tmp") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        certs = make_certs(folder / "certs")
        (certs / "server.key").chmod(0o600)  # sendmail refuses a key others can read
        mc = folder / "config" / "sendmail.mc"
        other = folder / "other" / "sendmail.mc"
        for path, fill in ((mc, SAME), (other, OTHER)):
            path.parent.mkdir()
            path.write_text(MC.format(certs=certs, **fill))
        _sasl(folder, True)
        zone = DANE_ZONE.format(spki=spki_sha256(certs / "server.pem"))
        cf = build_cf(mc, folder)
        common = ["--ca-file", str(certs / "ca.pem"), *TARGETS]
        plan = {
            "listeners": [(address, p) for p, address, _ in listeners(cf)],
            "cwd": str(ROOT),
            "commands": {
                "oracle": oracle_argv(SERVER_ADDR, ["25", "587", "4465/tls"], None),
                "probe": probe_argv("--config", str(mc), *common),
                "drift": probe_argv("--config", str(other), *common),
                "dane": probe_argv(
                    "--online",
                    "--resolver",
                    "{resolver}",
                    "--ca-file",
                    str(certs / "ca.pem"),
                    *DANE_TARGETS,
                ),
            },
            "zones": {"example.test": zone},
        }
        (folder / "plan.json").write_text(json.dumps(plan))
        argv = ["unshare", "--pid", "--fork", "--kill-child", "-u", "-n", "-m"]
        argv += ["--propagation", "private", sys.executable]
        argv += ["-m", "tests.probe.sendmail_inside", str(folder)]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=600, check=False, cwd=ROOT
        )
        assert done.returncode == 0 and done.stdout.strip(), done.stdout + done.stderr
        raw = json.loads(done.stdout)
        docs: dict[str, Any] = {"log": raw["daemon_log"]}
        for name in ("oracle", "probe", "drift", "dane"):
            assert raw[name]["stdout"].strip(), (name, raw[name]["stderr"], raw["daemon_log"])
            docs[name] = json.loads(raw[name]["stdout"])
        yield docs


def test_the_daemon_serves_what_the_mc_says(run) -> None:
    """The oracle alone, against sendmail's cf/README: the configuration under test is
    what the daemon runs (else every comparison below is hollow)."""
    oracle = run["oracle"]
    for number in PORTS:
        o = oracle[str(number)]
        assert o["greeting"][0] == 220 and BANNER_TEXT in o["greeting"][1], (o, run["log"])
    assert oracle["25"]["starttls"] and oracle["587"]["starttls"], run["log"]
    assert oracle["4465"]["tls"]["version"], oracle["4465"]


def test_banner_starttls_auth_vrfy_agree_with_the_daemon(run) -> None:
    oracle, doc = run["oracle"], run["probe"]
    for number in PORTS:
        p, o = port(doc, number), oracle[str(number)]
        assert p["greeting_code"] == o["greeting"][0], (p, o)
        assert p["greeting"] == o["greeting"][1]
        assert p["starttls"] is o["starttls"] is (number != 4465)
        assert p["vrfy"]["code"] == o["vrfy"][0], o["vrfy"]
        if number == 4465:
            assert p["implicit_tls"] and p["tls_handshake"]
            assert p["auth_after_tls"] == o["auth_plain_session"]
        else:
            assert p["auth_before_tls"] == o["auth_plain_session"]
            assert p["auth_after_tls"] == o["auth_after_starttls"]
            assert p["tls_required"] is (o["mail_before_tls"] == 530)
        if "helo_required" in p:
            assert p["helo_required"] is (o["mail_without_helo"] == 503)


@pytest.mark.parametrize("number", PORTS)
def test_tls_versions_and_cipher_agree_with_s_client(run, number: int) -> None:
    p, o = port(run["probe"], number), run["oracle"][str(number)]["tls"]
    assert (p["tls_version"], p["cipher"]) == (o["version"], o["cipher"]), o
    accepted = {v: "accepted" if ok else "refused" for v, ok in o["versions"].items()}
    assert p["tls_versions"] == accepted, p["tls_version_notes"]
    assert p["certificate"]["trusted"] is True, p["certificate"]


def test_no_drift_against_the_running_configuration(run) -> None:
    assert run["probe"]["probe"]["drift"] == [], run["probe"]["probe"]["drift"]


def test_drift_against_another_configuration(run) -> None:
    doc = run["drift"]
    expected = {(n, "vrfy") for n in PORTS} | {(25, "auth-before-tls"), (587, "auth-before-tls")}
    # the greeting is not compared: the posture keeps "$j ESMTP ..." unexpanded, and a
    # banner with a macro in it is never claimed to differ
    expected.add((4465, "tls"))
    assert drift_aspects(doc) == expected, doc["probe"]["drift"]
    where = {
        (f["rule"], f["line"]) for f in doc["findings"] if f["path"].endswith("other/sendmail.mc")
    }
    text = MC.format(certs="", **OTHER).splitlines()
    # novrfy's line, confAUTH_OPTIONS' line, and the DAEMON_OPTIONS of 4465
    for needle in ("novrfy", "confAUTH_OPTIONS", "Port=4465"):
        line = next(i for i, t in enumerate(text, 1) if needle in t)
        assert any(n == line for _, n in where), (needle, line, where)


def test_findings_sendmail_predicts(run) -> None:
    doc = run["probe"]
    # PLAIN and LOGIN before STARTTLS on the MTA and MSA daemons (no confAUTH_OPTIONS p)
    assert "PRB007" in rules_at(doc, 25) and "PRB007" in rules_at(doc, 587)
    assert "PRB007" not in rules_at(doc, 4465)
    # OpenSSL 3 at its default security level: TLS 1.0 and 1.1 refused (s_client agrees)
    assert not any(rules_at(doc, n) & {"PRB004", "PRB021", "PRB022"} for n in PORTS)


def test_dane_against_tlsa_records(run) -> None:
    doc = run["dane"]
    by_port = {p["port"]: p["dane"] for p in doc["probe"]["ports"]}
    # NSD is authoritative, not validating: no AD bit, so never the error (PRB024)
    assert all(d["dnssec"] is False for d in by_port.values()), by_port
    assert by_port[25]["matched"] and not by_port[25]["mismatch"], by_port[25]
    assert by_port[587]["mismatch"] and not by_port[587]["matched"], by_port[587]
    assert by_port[4465]["unchecked"] and not by_port[4465]["mismatch"], by_port[4465]
    assert "PRB025" in rules_at(doc, 587)
    assert not {"PRB024", "PRB025"} & (rules_at(doc, 25) | rules_at(doc, 4465))
    assert "PRB024" not in {f["rule"] for f in doc["findings"]}
    # probed by address (the other runs): no TLSA name, nothing claimed
    assert "dane" not in port(run["probe"], 25)
