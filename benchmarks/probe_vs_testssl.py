"""Time ``mtalint probe`` beside testssl.sh against the same live server.

Run as root from anywhere: ``python benchmarks/probe_vs_testssl.py [--runs N]``. It
starts the Exim daemon of tests/test_probe_exim.py (Debian's Exim unpacked at /opt/exim;
ports 25 and 587 with STARTTLS, 4465 with implicit TLS) in a network namespace of its
own, then times, on port 25:

* ``mtalint probe`` (greeting, EHLO, STARTTLS, each TLS version, every TLS 1.0-1.2 suite
  accepted, certificate and trust, AUTH, VRFY/EXPN, HELO), N runs, median and minimum;
* ``testssl --starttls smtp -p -e -S`` (protocols, each cipher, server defaults and
  certificate), once: it takes about a minute;
* ``mtalint probe`` on all three ports at once (its concurrency limit is 4).

It prints figures and what each tool found (protocols, number of suites); it asserts
nothing. Compare figures from the same machine only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from exim_oracle_bv import EXIM  # noqa: E402
from probe_live import make_certs  # noqa: E402
from test_probe_exim import BANNER, CONFIG  # noqa: E402

SCRIPT = """\
ip link set lo up
{exim} -C {config} -bdf &
daemon=$!
for i in $(seq 50); do (echo > /dev/tcp/127.0.0.1/25) 2>/dev/null && break; sleep 0.1; done
cd {root}
for i in $(seq {runs}); do
  s=$(date +%s.%N); {probe} 127.0.0.1:25 > {out}/probe.json; e=$(date +%s.%N)
  echo "probe $s $e" >> {out}/times
done
s=$(date +%s.%N)
{probe} 127.0.0.1:25 127.0.0.1:587 smtps://127.0.0.1:4465 > {out}/probe3.json
e=$(date +%s.%N); echo "probe3 $s $e" >> {out}/times
s=$(date +%s.%N)
{testssl} --quiet --warnings off --color 0 --starttls smtp -p -e -S \\
  --add-ca {certs}/ca.pem --jsonfile {out}/testssl.json 127.0.0.1:25 > /dev/null 2>&1
e=$(date +%s.%N); echo "testssl $s $e" >> {out}/times
kill $daemon
wait $daemon
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="probe runs on port 25")
    args = parser.parse_args()
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if testssl is None or not EXIM.is_file():
        sys.exit("needs testssl.sh (apt-get install testssl.sh) and Exim at /opt/exim")
    with tempfile.TemporaryDirectory(prefix="mtalint-bench-probe-", dir="/tmp") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        certs = make_certs(folder / "certs")
        spool = folder / "spool"
        spool.mkdir()
        spool.chmod(0o777)
        config = folder / "exim.conf"
        config.write_text(CONFIG.format(spool=spool, certs=certs, banner=BANNER))
        config.chmod(0o644)
        probe = f"{sys.executable} -m linter probe --format json --ca-file {certs}/ca.pem"
        script = SCRIPT.format(
            exim=EXIM,
            config=config,
            root=ROOT,
            out=folder,
            certs=certs,
            runs=args.runs,
            probe=probe,
            testssl=testssl,
        )
        (folder / "run.sh").write_text(script)
        subprocess.run(["unshare", "-n", "sh", str(folder / "run.sh")], check=True, timeout=1800)
        times: dict[str, list[float]] = {}
        for line in (folder / "times").read_text().splitlines():
            name, start, end = line.split()
            times.setdefault(name, []).append(float(end) - float(start))
        port = json.loads((folder / "probe.json").read_text())["probe"]["ports"][0]
        found = {e["id"]: e["finding"] for e in json.loads((folder / "testssl.json").read_text())}
    theirs = {v.split()[1] for k, v in found.items() if k.startswith("cipher_x")}
    mine = {n for names in port["ciphers_accepted"].values() for n in names}
    print(f"{'command':<44} {'median s':>9} {'min s':>7}")
    rows = [
        ("mtalint probe 127.0.0.1:25", times["probe"]),
        ("mtalint probe 25, 587, smtps://4465", times["probe3"]),
        ("testssl --starttls smtp -p -e -S (port 25)", times["testssl"]),
    ]
    for name, values in rows:
        print(f"{name:<44} {statistics.median(values):>9.2f} {min(values):>7.2f}")
    print(f"\nprobe: versions {port['tls_accepted']}, {len(mine)} suites (TLS 1.0-1.2), ", end="")
    print(f"{port['cipher_handshakes']} handshakes for the suites")
    offered = [k for k in ("TLS1", "TLS1_1", "TLS1_2", "TLS1_3") if found[k].startswith("offered")]
    print(f"testssl.sh: versions {offered}, {len(theirs)} suites")
    print(f"only testssl.sh: {sorted(theirs - mine)}; only the probe: {sorted(mine - theirs)}")


if __name__ == "__main__":
    main()
