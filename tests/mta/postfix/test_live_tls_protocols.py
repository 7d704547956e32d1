"""The TLS protocols the Postfix posture says smtpd accepts, against a running smtpd.

PF047 (opportunistic STARTTLS on port 25) and PF048 (STARTTLS where passwords are sent)
say that clients "can negotiate" TLS 1.0 and 1.1 when smtpd_tls_protocols allows them.
That depends on the OpenSSL build too (OpenSSL 3.0 refuses them at its default security
level in some programs), so the claim is checked here: Postfix 3.7 (server.py beside this
file, in a private network namespace) offers STARTTLS at security level may with a
self-signed certificate, and OpenSSL's s_client tries each protocol version (TLS 1.0 to 1.3) with
the client's own security level lowered, so that only the server decides. The versions
that complete a handshake must be exactly posture.tls.server_protocols.

A service's own ``-o smtpd_tls_protocols=...`` in master.cf replaces main.cf's list for
that service: the versions its smtpd completes must be exactly the listener's
``protocols.opportunistic`` fact, the list PF047 and PF048 judge.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from linter.discover import discover
from linter.mta import Options
from linter.mta.postfix import analyse
from tests.mta.postfix import server as postfix_server
from tests.mta.postfix.server import (
    DEFAULT_PORT,
    PostfixServer,
    missing_requirements,
    smtpd_service,
)

OPENSSL = shutil.which("openssl")
_missing = missing_requirements() or (None if OPENSSL else "needs openssl")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
]
VERSIONS = {"tls1": "TLSv1", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}
# smtpd asks tlsmgr for entropy: without it TLS is disabled ("454 4.7.0 TLS not available")
TLSMGR = "tlsmgr    unix  -       -       n       1000?   1       tlsmgr"

SCRIPT = """\
ip link set lo up
postfix -c {config} start >/dev/null 2>&1 || exit 3
for i in 1 2 3 4 5 6 7 8 9 10; do
  (echo QUIT | timeout 2 openssl s_client -connect 127.0.0.1:{port} -starttls smtp \\
     -quiet >/dev/null 2>&1) && break
  sleep 0.3
done
for v in {versions}; do
  # a completed handshake prints the session's cipher; a refused one "Cipher is (NONE)"
  got=$(echo QUIT | timeout 5 openssl s_client -connect 127.0.0.1:{port} -starttls smtp \\
       -$v -cipher 'DEFAULT@SECLEVEL=0' 2>/dev/null | grep -oE 'Cipher is [A-Z0-9_-]+')
  [ -n "$got" ] && [ "$got" != "Cipher is (NONE)" ] && echo "accepted $v"
done
postfix -c {config} stop >/dev/null 2>&1
"""

CONFIGS = {
    "the default list (>=TLSv1)": "",
    "SSL switched off only": "smtpd_tls_protocols = !SSLv2, !SSLv3\n",
    "TLS 1.0 switched off": "smtpd_tls_protocols = !SSLv2, !SSLv3, !TLSv1\n",
    "TLS 1.2 and later": "smtpd_tls_protocols = >=TLSv1.2\n",
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cert")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [OPENSSL or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", "/CN=mx.example.test", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    folder.chmod(0o755)
    return cert, key


def accepted(settings: str, options: tuple[str, ...] = ()) -> list[str]:
    """The protocol versions a live smtpd with these main.cf settings (and these -o
    options on its master.cf service) completes."""
    server = PostfixServer(settings, smtpd_service(options=options) + "\n" + TLSMGR, sasl_users={})
    root = server.build()
    try:
        script = SCRIPT.format(
            config=server.config_dir, port=DEFAULT_PORT, versions=" ".join(VERSIONS)
        )
        done = subprocess.run(
            ["unshare", "-n", "bash", "-c", script],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
        assert done.returncode == 0, f"postfix did not start:\n{server.log()[-2000:]}"
        return [VERSIONS[line.split()[1]] for line in done.stdout.split("\n") if line]
    finally:
        postfix_server.kill_master(server.queue_dir)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_server_protocols_match_smtpd(name: str, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    settings = (
        "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n"
        f"smtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n" + CONFIGS[name]
    )
    got = accepted(settings)
    # the posture of the same main.cf, read as mtalint reads it
    folder = cert.parent / name.replace(" ", "-").replace("(", "").replace(")", "")
    folder.mkdir(exist_ok=True)
    (folder / "main.cf").write_text(settings)
    config_set = discover([folder])[0][0]
    posture = analyse(config_set, Options()).facts.get("posture")
    assert got == posture["tls"]["server_protocols"], f"{name}: smtpd accepted {got}"


# (main.cf list, the service's -o list): the -o wins for that service
OVERRIDES = {
    "-o >=TLSv1.2 over the default": ("", "smtpd_tls_protocols=>=TLSv1.2"),
    # the legacy floor mtalint's fixes give for Postfix before 3.6 (postfix.protocol_floor)
    "-o !SSLv2,!SSLv3,!TLSv1,!TLSv1.1 over the default": (
        "",
        "smtpd_tls_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1",
    ),
    "-o !SSLv2,!SSLv3 over >=TLSv1.2": (
        "smtpd_tls_protocols = >=TLSv1.2\n",
        "smtpd_tls_protocols=!SSLv2,!SSLv3",
    ),
}


@pytest.mark.parametrize("name", list(OVERRIDES))
def test_service_override_protocols_match_smtpd(name: str, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    main_list, option = OVERRIDES[name]
    settings = (
        "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n"
        f"smtpd_tls_cert_file = {cert}\nsmtpd_tls_key_file = {key}\n" + main_list
    )
    got = accepted(settings, (option,))
    folder = cert.parent / ("o-" + "".join(c if c.isalnum() else "-" for c in name))
    folder.mkdir(exist_ok=True)
    (folder / "main.cf").write_text(settings)
    (folder / "master.cf").write_text(smtpd_service(options=(option,)) + "\n" + TLSMGR + "\n")
    config_set = discover([folder])[0][0]
    facts = analyse(config_set, Options()).facts
    listeners = facts.get("posture.listeners")
    assert [li["name"] for li in listeners] == [f"127.0.0.1:{DEFAULT_PORT}/inet"]
    assert got == facts.get("posture.listeners[0].protocols.opportunistic"), (
        f"{name}: smtpd accepted {got}"
    )
    # the -o really decides: main.cf's list (what PF047/PF048 read before) says otherwise
    assert got != facts.get("posture.tls.server_protocols")
    # the list is located at the -o line of the service (master.cf line 2), where the fix goes
    span = facts.located_span("posture.listeners[0].protocols.opportunistic")
    assert span is not None
    assert (span.path.rsplit("/", 1)[-1], span.line) == ("master.cf", 2)
