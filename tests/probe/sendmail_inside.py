"""Run inside the namespaces of a real ``sendmail -bD`` (tests only): start the daemon,
ask the oracle (oracle.py) and ``mtalint probe`` about its ports, stop it, print
what each said as one JSON object.

The namespaces, private /etc files and daemon options are those of tests/mta/sendmail/daemon.py
(its own host name, files-only lookups, a loopback holding 10.0.0.25). Started by
tests/probe/test_sendmail.py as ``unshare ... python -m tests.probe.sendmail_inside FOLDER``; FOLDER
holds plan.json (the oracle's and the probes' argument lists, and the zones of an NSD
started inside the namespaces for ``--online``).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from pathlib import Path

from tests.dns.server import nsd
from tests.mta.sendmail.daemon import (
    FOREIGN_NAME,
    TIMEOUT,
    _daemon_argv,
    _network,
    _private_etc,
    _wait_listening,
    stop_daemon,
)


def main(folder: Path) -> None:
    plan = json.loads((folder / "plan.json").read_text())
    _network()
    _private_etc(folder, FOREIGN_NAME)
    log = (folder / "daemon.log").open("w")
    daemon = subprocess.Popen(_daemon_argv(folder, []), stdout=log, stderr=subprocess.STDOUT)
    out: dict[str, object] = {}
    try:
        deadline = time.monotonic() + TIMEOUT
        for address, port in plan["listeners"]:
            _wait_listening(address, port, deadline)
        with contextlib.ExitStack() as stack:
            # an NSD inside the namespace for --online, when the plan has zones; "{resolver}"
            # in a command stands for its address
            resolver = stack.enter_context(nsd(plan["zones"])) if plan.get("zones") else ""
            for name, argv in plan["commands"].items():
                argv = [a.replace("{resolver}", resolver) for a in argv]
                done = subprocess.run(
                    argv, capture_output=True, text=True, timeout=600, cwd=plan["cwd"], check=False
                )
                out[name] = {"stdout": done.stdout, "stderr": done.stderr, "rc": done.returncode}
    finally:
        stop_daemon(daemon, log)
    out["daemon_log"] = (folder / "daemon.log").read_text(errors="replace")[-3000:]
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
