"""Running the ``mtalint`` command in a subprocess, for the command-line tests.

What is checked is what a user sees: the exit status, stdout and stderr, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "postfix"
MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]


# mynetworks trusts every address, and the default smtpd_relay_restrictions start with
# permit_mynetworks: an open relay (MTA001, an error), set on line 2.
OPEN_RELAY_MAIN = """\
compatibility_level = 3.6
mynetworks = 0.0.0.0/0
"""


def mtalint(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*MTALINT, *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    for stream in (proc.stdout, proc.stderr):
        assert "Traceback" not in stream, stream
    assert "internal error" not in proc.stderr, proc.stderr
    return proc


def check(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return mtalint("check", "--no-config", *args, cwd=cwd)


def check_json(*args: str | Path, cwd: Path = ROOT) -> tuple[int, dict]:
    proc = check("--format", "json", *args, cwd=cwd)
    return proc.returncode, json.loads(proc.stdout)


def write_set(folder: Path, main: str | bytes | None, master: str | bytes | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in (("main.cf", main), ("master.cf", master)):
        if content is None:
            continue
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return folder


def line_of(path: Path, prefix: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(prefix):
            return number
    raise AssertionError(f"{prefix!r} not in {path}")


def rules_of(doc: dict) -> set[str]:
    return {f["rule"] for f in doc["findings"]}


def rule_folder(tmp_path: Path, edit=None) -> Path:
    folder = tmp_path / "myrules"
    folder.mkdir()
    data = yaml.safe_load((ROOT / "rules" / "posture" / "MTA001.yaml").read_text(encoding="utf-8"))
    data["id"] = "ORG001"
    if edit:
        edit(data)
    (folder / "ORG001.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder
