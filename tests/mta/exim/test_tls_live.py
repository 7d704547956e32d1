"""The TLS protocols the Exim posture says are accepted, against a running Exim daemon.

Exim 4.96 (Debian's build, GnuTLS) is started with the configuration on 127.0.0.1 inside a
network namespace of its own; OpenSSL's s_client then tries STARTTLS with each protocol
version (TLS 1.0 to 1.3; SSL 3.0 cannot be offered by today's OpenSSL). The versions that
complete a handshake must be exactly posture.tls.server_protocols.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from linter.discover import discover
from linter.mta import Options
from linter.mta.exim import read_model
from linter.mta.exim.posture import build_posture
from tests.mta.exim.oracle_bv import EXIM, exim_missing

OPENSSL = shutil.which("openssl")
pytestmark = [
    pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or ""),
    pytest.mark.skipif(OPENSSL is None, reason="needs openssl"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the daemon runs as root in a namespace"),
    pytest.mark.live,
]
VERSIONS = {"tls1": "TLSv1", "tls1_1": "TLSv1.1", "tls1_2": "TLSv1.2", "tls1_3": "TLSv1.3"}

SCRIPT = """\
ip link set lo up
# -bdf: the daemon stays in the foreground, so the kill below really stops it (-bd forks
# and would outlive the script in its namespace)
{exim} -C {config} -bdf -oX 2525 &
daemon=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
  (echo QUIT | timeout 2 openssl s_client -connect 127.0.0.1:2525 -starttls smtp \\
     -quiet >/dev/null 2>&1) && break
  sleep 0.3
done
for v in {versions}; do
  # a handshake that completed names its cipher; a refused one says "Cipher is (NONE)"
  got=$(echo QUIT | timeout 5 openssl s_client -connect 127.0.0.1:2525 -starttls smtp -$v \\
       -cipher 'DEFAULT@SECLEVEL=0' 2>/dev/null \\
       | grep -oE 'New, TLSv[0-9.]+, Cipher is [A-Z0-9_-]+')
  [ -n "$got" ] && echo "accepted $v $got"
done
kill $daemon
wait $daemon
"""

CONFIGS = {
    "library default": "",
    "TLS 1.0 and 1.1 removed": "tls_require_ciphers = NORMAL:-VERS-TLS1.0:-VERS-TLS1.1\n",
    "TLS 1.2 removed": "tls_require_ciphers = NORMAL:-VERS-TLS1.2\n",
    "TLS 1.3 only": "tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3\n",
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_accepted_protocols_match_the_posture(name: str) -> None:
    # Exim gives up root for some of its work: the spool must be reachable by its user,
    # which pytest's private temporary folders are not
    with tempfile.TemporaryDirectory(prefix="mtalint-exim-", dir="/tmp") as tmp:
        tmp_path = Path(tmp)
        tmp_path.chmod(0o755)
        accepted, detail = run_daemon(tmp_path, CONFIGS[name])
        sets, _ = discover([tmp_path / "exim.conf"])
        model, _, _ = read_model(sets[0], Options())
    assert accepted, detail
    assert model is not None
    protocols = build_posture(model)[0].tls.server_protocols
    assert set(protocols) - {"SSLv3"} == accepted


def run_daemon(tmp_path: Path, extra: str) -> tuple[set[str], str]:
    spool = tmp_path / "spool"
    spool.mkdir()
    spool.chmod(0o777)
    config = tmp_path / "exim.conf"
    config.write_text(
        "primary_hostname = mx.example.com\n"
        f"spool_directory = {spool}\nlog_file_path = {spool}/%slog\n"
        "daemon_smtp_ports = 2525\nlocal_interfaces = 127.0.0.1\n"
        "tls_advertise_hosts = *\n" + extra
    )
    config.chmod(0o644)
    script = tmp_path / "run.sh"
    script.write_text(SCRIPT.format(exim=EXIM, config=config, versions=" ".join(VERSIONS)))
    proc = subprocess.run(
        ["unshare", "-n", "sh", str(script)], capture_output=True, text=True, timeout=120
    )
    accepted = {
        VERSIONS[line.split()[1]]
        for line in proc.stdout.splitlines()
        if line.startswith("accepted")
    }
    panic = spool / "paniclog"
    detail = (
        proc.stdout + proc.stderr + (panic.read_text(errors="replace") if panic.exists() else "")
    )
    return accepted, detail
