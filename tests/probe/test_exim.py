"""``mtalint probe`` against a real Exim daemon (Debian's 4.96, GnuTLS, unpacked at
/opt/exim) on 127.0.0.1 in a network namespace of its own, with certificates made here.

One daemon serves three ports from one configuration: 25 and 587 (STARTTLS, the NULL-SHA
suite accepted, AUTH LOGIN offered before TLS and PLAIN only after it) and 4465 (implicit
TLS through ``tls_on_connect_ports``, probed as ``smtps://127.0.0.1:4465``). Inside the
namespace the oracle (tests/probe/oracle.py: smtplib and ``openssl s_client``, with every
TLS 1.2 suite offered alone on port 25) and the probe look at the same ports; the tests
compare them, check the verdicts Exim's documentation predicts, and check drift against
the same configuration (none) and against a different one (each difference found).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from linter.probe import tls
from tests.mta.exim.oracle_bv import EXIM, exim_missing
from tests.paths import ROOT
from tests.probe.live import (
    drift_aspects,
    make_certs,
    oracle_argv,
    port,
    probe_argv,
    rules_at,
)

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or ""),
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the daemon runs as root in a namespace"),
]

BANNER = "mx.example.test ESMTP probe target"
CONFIG = """\
primary_hostname = mx.example.test
spool_directory = {spool}
log_file_path = {spool}/%slog
daemon_smtp_ports = 25 : 587 : 4465
tls_on_connect_ports = 4465
local_interfaces = 127.0.0.1
tls_advertise_hosts = *
tls_certificate = {certs}/server.pem
tls_privatekey = {certs}/server.key
# NULL-SHA (no encryption) on 25 and 587, GnuTLS's NORMAL alone on 4465
tls_require_ciphers = ${{if eq{{$received_port}}{{4465}}{{NORMAL}}{{NORMAL:+NULL}}}}
acl_smtp_rcpt = acl_check_rcpt
acl_smtp_vrfy = accept
smtp_banner = {banner}

begin acl
acl_check_rcpt:
  accept authenticated = *
  deny message = relay not permitted

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = ${{if eq{{$auth2}}{{probe}}}}
  server_advertise_condition = ${{if def:tls_in_cipher}}
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = ${{if eq{{$auth1}}{{probe}}}}
"""
# what the drift run is told the server runs: VRFY off, LOGIN only under TLS, no
# implicit-TLS port, another banner
DRIFT_CONFIG = (
    CONFIG.replace("acl_smtp_vrfy = accept\n", "")
    .replace("tls_on_connect_ports = 4465\n", "")
    .replace(
        "  server_condition = ${{if eq{{$auth1}}{{probe}}}}\n",
        "  server_condition = ${{if eq{{$auth1}}{{probe}}}}\n"
        "  server_advertise_condition = ${{if def:tls_in_cipher}}\n",
    )
    .replace("smtp_banner = {banner}", "smtp_banner = mx.example.test ESMTP somewhere else")
)
TARGETS = ["127.0.0.1:25", "127.0.0.1:587", "smtps://127.0.0.1:4465"]

SCRIPT = """\
ip link set lo up
# -bdf: the daemon stays in the foreground, so the kill below really stops it
{exim} -C {config} -bdf &
daemon=$!
for i in $(seq 50); do (echo > /dev/tcp/127.0.0.1/4465) 2>/dev/null && break; sleep 0.1; done
cd {root}
{oracle} > {out}/oracle.json 2> {out}/oracle.err
{probe} > {out}/probe.json 2> {out}/probe.err
{drift} > {out}/drift.json 2> {out}/drift.err
kill $daemon
wait $daemon
"""


def openssl_suites() -> list[str]:
    """Every TLS 1.2 suite the openssl command can offer (its own list, not the probe's),
    without the PSK and SRP suites no server picks without a shared secret."""
    done = subprocess.run(
        ["openssl", "ciphers", "-s", "-tls1_2", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    names = done.stdout.strip().split(":")
    return [n for n in names if "PSK" not in n and "SRP" not in n]


@pytest.fixture(scope="module")
def run() -> Iterator[dict[str, Any]]:
    # Exim gives up root for some of its work: everything it reads must be reachable by
    # its user, which pytest's private temporary folders are not
    with tempfile.TemporaryDirectory(prefix="mtalint-probe-exim-", dir="/tmp") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        certs = make_certs(folder / "certs")
        spool = folder / "spool"
        spool.mkdir()
        spool.chmod(0o777)
        fill = {"spool": spool, "certs": certs, "banner": BANNER}
        config = folder / "exim.conf"
        config.write_text(CONFIG.format(**fill))
        drift_config = folder / "drift" / "exim.conf"
        drift_config.parent.mkdir()
        drift_config.write_text(DRIFT_CONFIG.format(**fill))
        for path in (config, drift_config):
            path.chmod(0o644)
        suites = openssl_suites()
        common = ["--ca-file", str(certs / "ca.pem"), *TARGETS]
        script = SCRIPT.format(
            exim=EXIM,
            config=config,
            root=ROOT,
            out=folder,
            oracle=" ".join(oracle_argv("127.0.0.1", ["25", "587", "4465/tls"], (25, suites))),
            probe=" ".join(probe_argv("--config", str(config), *common)),
            drift=" ".join(probe_argv("--config", str(drift_config), *common)),
        )
        (folder / "run.sh").write_text(script)
        done = subprocess.run(
            ["unshare", "-n", "sh", str(folder / "run.sh")],
            capture_output=True,
            text=True,
            timeout=600,
        )
        docs: dict[str, Any] = {"script": done.stdout + done.stderr}
        for name in ("oracle", "probe", "drift"):
            text = (folder / f"{name}.json").read_text()
            err = (folder / f"{name}.err").read_text()
            assert text.strip(), f"{name} printed nothing: {err}\n{docs['script']}"
            docs[name] = json.loads(text)
            docs[f"{name}_err"] = err
        yield docs


def test_banner_starttls_auth_vrfy_helo_agree_with_the_daemon(run) -> None:
    oracle, doc = run["oracle"], run["probe"]
    for number in (25, 587, 4465):
        p, o = port(doc, number), oracle[str(number)]
        assert p["greeting_code"] == o["greeting"][0] == 220, (p, o)
        assert p["greeting"] == o["greeting"][1] == BANNER
        assert p["starttls"] is o["starttls"] is (number != 4465)
        assert p["vrfy"]["code"] == o["vrfy"][0] == 550, o["vrfy"]
        # acl_smtp_vrfy = accept: VRFY is served; postmaster has no router here
        assert p["vrfy"]["enabled"] is True and p["vrfy"]["answers"] is False
        assert p["helo_required"] is True and o["mail_without_helo"] == 503
        if number == 4465:
            assert p["implicit_tls"] and p["tls_handshake"]
            assert p["auth_after_tls"] == o["auth_plain_session"] == ["LOGIN", "PLAIN"]
            assert p["auth_before_tls"] == []
        else:
            # LOGIN has no advertise condition, PLAIN only under TLS (Exim's spec, 33.3)
            assert p["auth_before_tls"] == o["auth_plain_session"] == ["LOGIN"]
            assert p["auth_after_tls"] == o["auth_after_starttls"] == ["LOGIN", "PLAIN"]
            assert p["tls_required"] is False and o["mail_before_tls"] == 250


@pytest.mark.parametrize("number", [25, 587, 4465])
def test_tls_versions_and_cipher_agree_with_s_client(run, number: int) -> None:
    p, o = port(run["probe"], number), run["oracle"][str(number)]["tls"]
    assert (p["tls_version"], p["cipher"]) == (o["version"], o["cipher"]), o
    accepted = {v: "accepted" if ok else "refused" for v, ok in o["versions"].items()}
    assert p["tls_versions"] == accepted, p["tls_version_notes"]
    # GnuTLS leaves TLS 1.3 out when the priority string enables NULL suites (25, 587)
    assert p["tls_versions"]["TLSv1.3"] == ("accepted" if number == 4465 else "refused")


def test_cipher_enumeration_agrees_with_each_suite_offered_alone(run) -> None:
    p, o = port(run["probe"], 25), run["oracle"]["25"]["tls"]
    assert p["cipher_enumeration"] == "complete"
    assert sorted(p["ciphers_accepted"]["TLSv1.2"]) == sorted(o["suites_tls12"])
    # one handshake per accepted suite plus one per version, not one per suite offered
    assert p["cipher_handshakes"] == sum(len(v) + 1 for v in p["ciphers_accepted"].values())
    assert p["cipher_handshakes"] < len(tls.cipher_candidates("TLSv1.2"))


def test_weak_suites_by_port_role(run) -> None:
    doc = run["probe"]
    for number in (25, 587):
        p = port(doc, number)
        assert {"NULL-SHA", "ECDHE-RSA-NULL-SHA"} <= set(p["weak_ciphers_accepted"])
        assert p["weak_cipher_classes"] == ["NULL"]
        assert p["weak_cipher_summary"].endswith("in TLSv1, TLSv1.1, TLSv1.2"), p
    assert port(doc, 4465)["weak_ciphers_accepted"] == []
    # port 25's TLS is opportunistic: a note; 587 is submission: a warning
    assert "PRB021" in rules_at(doc, 25) and "PRB022" not in rules_at(doc, 25)
    assert "PRB022" in rules_at(doc, 587) and "PRB021" not in rules_at(doc, 587)
    assert not {"PRB021", "PRB022"} & rules_at(doc, 4465)
    severity = {f["rule"]: f["severity"] for f in doc["findings"]}
    assert severity["PRB021"] == "note" and severity["PRB022"] == "warning"
    # the negotiated suite with every suite offered is a strong one (PRB020 stays quiet)
    assert "PRB020" not in {f["rule"] for f in doc["findings"]}


def test_findings_exim_predicts(run) -> None:
    doc = run["probe"]
    for number in (25, 587):
        assert "PRB007" in rules_at(doc, number)  # AUTH LOGIN before STARTTLS
    assert "PRB007" not in rules_at(doc, 4465)
    certificate = port(doc, 25)["certificate"]
    assert certificate["trusted"] is True, certificate


def test_no_drift_against_the_running_configuration(run) -> None:
    assert run["probe"]["probe"]["drift"] == [], run["probe"]["probe"]["drift"]
    assert not run["probe"]["problems"], run["probe"]["problems"]


def test_drift_against_another_configuration(run) -> None:
    doc = run["drift"]
    expected = {(n, a) for n in (25, 587) for a in ("vrfy", "auth-before-tls", "banner")}
    expected |= {(4465, "vrfy"), (4465, "banner"), (4465, "tls")}
    assert drift_aspects(doc) == expected, doc["probe"]["drift"]
    lines = {
        (f["rule"], f["line"]) for f in doc["findings"] if f["path"].endswith("drift/exim.conf")
    }
    banner_line = DRIFT_CONFIG.splitlines().index(
        "smtp_banner = mx.example.test ESMTP somewhere else"
    )
    assert ("PRB017", banner_line + 1) in lines, lines
    # 4465 speaks TLS at once where this configuration has a STARTTLS listener: the
    # finding is at the listener's definition
    implicit = next(f for f in doc["findings"] if "speaks TLS at once" in f["message"])
    ports_line = DRIFT_CONFIG.splitlines().index("daemon_smtp_ports = 25 : 587 : 4465")
    assert implicit["line"] == ports_line + 1, implicit
