"""m4 + sendmail-cf as the oracle for what a .mc means (tests only).

``m4 /usr/share/sendmail/cf/m4/cf.m4 FILE.mc`` prints the sendmail.cf; its ``O Name=value``
lines are the effective options, its stderr holds m4's errors and cf.m4's warnings.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

CF_DIR = Path("/usr/share/sendmail/cf")
CF_M4 = CF_DIR / "m4" / "cf.m4"
LISTS = ("DaemonPortOptions", "ClientPortOptions")


def available() -> str | None:
    """None when the oracle can run, else the reason it cannot."""
    if shutil.which("m4") is None:
        return "m4 is not installed (apt-get install m4)"
    if not CF_M4.is_file():
        return f"{CF_M4} is missing (apt-get install sendmail-cf)"
    return None


@dataclass
class Oracle:
    options: dict[str, object] = field(default_factory=dict)
    stderr: str = ""
    returncode: int = 0
    cf: str = ""


def cf_options(cf: str) -> dict[str, object]:
    """The O lines of a sendmail.cf: name → value (the last line wins, as readcf does);
    the daemon and client port options as lists."""
    options: dict[str, object] = {}
    for line in cf.split("\n"):
        if not line.startswith("O "):
            continue
        name, eq, value = line[2:].partition("=")
        name = name.strip()
        val = value if eq else None
        if name in LISTS:
            options.setdefault(name, [])
            options[name].append(val)  # type: ignore[union-attr]
        else:
            options[name] = val
    return options


def run_m4(mc: Path, cwd: Path | None = None, timeout: float = 30) -> Oracle:
    proc = subprocess.run(
        ["m4", str(CF_M4), str(mc)],
        capture_output=True,
        cwd=cwd or mc.parent,
        timeout=timeout,
        check=False,
    )
    cf = proc.stdout.decode("latin-1")
    return Oracle(cf_options(cf), proc.stderr.decode("latin-1"), proc.returncode, cf)


def model_options(model) -> dict[str, object]:  # noqa: ANN001 - a SendmailModel
    options: dict[str, object] = {name: o.value for name, o in model.options.items()}
    daemons = [d.text for d in model.daemons]
    if daemons:
        options["DaemonPortOptions"] = daemons
    clients = [o.value for o in model.client_options]
    if clients:
        options["ClientPortOptions"] = clients
    return options
