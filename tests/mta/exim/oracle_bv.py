"""The real Exim (``exim4 -C FILE -bV`` and ``-bP``) as a test oracle for mtalint's Exim reader.

Debian's Exim 4.96 is unpacked under /opt/exim by .ci/run (it cannot be installed next to
Postfix). Things these helpers work around, each checked by hand:

* As root, Exim refuses a ``-C`` file that is not owned by root or is group/world
  writable; files are written with mode 0644 by the (root) test process. As another user
  Exim drops privileges and reads any readable file.
* Without ``primary_hostname`` Exim looks its own name up, which can stall on a resolver:
  runs go inside ``unshare -n`` (a namespace without network) when that is allowed.
* An error is printed as ``Exim configuration error in line N of FILE:`` or, for errors
  found after reading (macro redefinitions, duplicate drivers), ``Exim configuration
  error:``, then the message indented by two spaces; a PANIC DIE that cannot reach the
  panic log prints it up to three times. The first message is the verdict.
* ``-bP`` prints booleans as ``name`` / ``no_name``; they are compared as true/false.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from linter.mta.exim.model import BOOL_VERIFY
from tests.paths import CORPUS

CORPUS_DIR = CORPUS
EXIM = Path("/opt/exim/usr/sbin/exim4")
DEBIAN_TEMPLATE = Path("/opt/exim/etc/exim4/exim4.conf.template")
DEBIAN_SPLIT = Path("/opt/exim/etc/exim4/conf.d")
UPSTREAM_EXAMPLE = Path("/opt/exim/usr/share/doc/exim4-base/examples/example.conf")
TIMEOUT = 20


@cache
def exim_missing() -> str | None:
    """Why the oracle cannot run here, or None."""
    if not EXIM.is_file():
        return f"needs Debian's Exim unpacked at {EXIM.parent.parent.parent} (see .ci/run)"
    try:
        proc = subprocess.run(
            [str(EXIM), "-C", "/dev/null", "-bV"], capture_output=True, text=True, timeout=20
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{EXIM} does not run: {exc}"
    if "Exim version" not in proc.stdout:
        return f"{EXIM} does not run: {proc.stderr.strip()[:200]}"
    return None


@cache
def _sandbox() -> tuple[str, ...]:
    unshare = shutil.which("unshare")
    if unshare and os.geteuid() == 0:
        probe = subprocess.run([unshare, "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return (unshare, "-n")
    return ()


@dataclass
class Verdict:
    ok: bool
    message: str = ""
    path: str = ""
    line: int | None = None
    raw: str = ""


_ERROR = re.compile(
    r"Exim configuration error(?: in line (\d+) of (.+?)| for (.+?))?:\n((?:  .*(?:\n|$))+)"
)


def parse_verdict(rc: int, stderr: str) -> Verdict:
    """Exim's verdict; a message over several lines ("r1 router:" / "a transport is
    required ...", or "error for r1 router:") is joined into one line, as mtalint says it."""
    if rc == 0:
        return Verdict(True, raw=stderr)
    m = _ERROR.search(stderr)
    if m:
        line = int(m.group(1)) if m.group(1) else None
        parts = [p.strip() for p in m.group(4).splitlines() if p.strip()]
        if m.group(3):
            parts.insert(0, m.group(3) + ":")
        return Verdict(False, " ".join(parts), m.group(2) or "", line, stderr)
    text = [ln for ln in stderr.splitlines() if ln.strip() and "Warning: purging" not in ln]
    text = [ln for ln in text if "Suggested action: use keep_environment" not in ln]
    message = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", "", text[0]) if text else f"rc={rc}"
    return Verdict(False, message.strip(), raw=stderr)


def run_exim(config: Path, *args: str, defines: Sequence[str] = ()) -> tuple[int, str, str]:
    os.chmod(config, 0o644)
    cmd = [*_sandbox(), str(EXIM), *(f"-D{d}" for d in defines), "-C", str(config), *args]
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
        )
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out after {TIMEOUT}s"
    return proc.returncode, proc.stdout, proc.stderr


def parse_bp(stdout: str) -> dict[str, str]:
    """``exim -bP`` output → name → value (booleans as "true"/"false")."""
    values: dict[str, str] = {}
    for line in stdout.splitlines():
        if " =" in line:
            name, _, value = line.partition(" =")
            values[name] = value[1:] if value.startswith(" ") else value
        elif line.strip():
            word = line.strip()
            if word.startswith("no_"):
                values[word[3:]] = "false"
            else:
                values[word] = "true"
    return values


@dataclass
class Case:
    """A configuration to give both readers: the file Exim reads, and what mtalint reads."""

    name: str
    exim_file: Path  # the file exim -C reads
    mtalint_path: Path  # the file or conf.d folder mtalint reads
    defines: list[str] = field(default_factory=list)
    # for a joined split config: line of the joined file → (file, line)
    line_map: list[tuple[str, int]] | None = None


@dataclass
class Observation:
    verdict: Verdict
    options: dict[str, str] | None  # exim -bP, when -bV passed
    # exim -bP routers / transports / authenticators: (kind, name) → option → value
    drivers: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


def parse_bp_drivers(stdout: str, kind: str) -> dict[tuple[str, str], dict[str, str]]:
    """``exim -bP routers`` (etc.): blocks headed ``NAME router:``."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    parts = re.split(rf"^(\S+) {kind}:$", stdout, flags=re.MULTILINE)
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        out[(kind, name)] = parse_bp(body)
    return out


def observe(cases: Sequence[Case]) -> dict[str, Observation]:
    def one(case: Case) -> tuple[str, Observation]:
        rc, _, err = run_exim(case.exim_file, "-bV", defines=case.defines)
        verdict = parse_verdict(rc, err)
        options = None
        drivers: dict[tuple[str, str], dict[str, str]] = {}
        if verdict.ok:
            rc, out, err = run_exim(case.exim_file, "-bP", defines=case.defines)
            options = parse_bp(out) if rc == 0 else None
            for kind in ("router", "transport", "authenticator"):
                rc, out, err = run_exim(case.exim_file, "-bP", kind + "s", defines=case.defines)
                if rc == 0:
                    drivers.update(parse_bp_drivers(out, kind))
        return case.name, Observation(verdict, options, drivers)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, cases))


def run_mtalint(case: Case) -> dict[str, Any]:
    import sys

    args = [sys.executable, "-m", "linter", "parse", str(case.mtalint_path), "--format", "json"]
    for d in case.defines:
        args += ["--define", d]
    proc = subprocess.run(
        args, capture_output=True, text=True, timeout=60, cwd=case.mtalint_path.parent
    )
    if proc.returncode != 0:
        raise AssertionError(f"mtalint parse failed: {proc.stderr}")
    return json.loads(proc.stdout)


def mtalint_documents(cases: Sequence[Case]) -> dict[str, dict[str, Any]]:
    """mtalint's model of every case, in this process (much faster than a subprocess)."""
    from linter.check import analyse_set
    from linter.discover import discover
    from linter.mta import Options

    docs: dict[str, dict[str, Any]] = {}
    here = os.getcwd()
    for case in cases:
        os.chdir(case.mtalint_path.parent)
        try:
            sets, _ = discover([Path(case.mtalint_path.name)])
            defines = dict(d.partition("=")[::2] for d in case.defines)
            docs[case.name] = analyse_set(sets[0], Options(flags={"exim_defines": defines})).model
        finally:
            os.chdir(here)
    return docs


def first_fatal(doc: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in doc["diagnostics"] if d.get("fatal")), None)


# Differences that come from the machine or the build, not from reading the file.
def environment_error(message: str) -> str | None:
    if re.search(r"(user|group) \S+ was not found", message):
        return "user/group lookup on this machine"
    m = re.search(r'cannot find (\w+) driver "([^"]*)"', message)
    if m:
        from linter.mta.exim.options import DRIVERS

        if DRIVERS.get(m.group(1), {}).get(m.group(2), "light") != "light":
            return "driver not in exim4-daemon-light (mtalint notes it as build-dependent)"
    if message.startswith("failed to expand"):
        return "run-time expansion"
    if message.startswith("tls_require_ciphers invalid"):
        return "GnuTLS priority string check"
    return None


def compare(case: Case, obs: Observation, doc: dict[str, Any]) -> list[str]:
    """Differences between Exim's reading and mtalint's, as readable lines."""
    problems: list[str] = []
    fatal = first_fatal(doc)
    verdict = obs.verdict
    if verdict.ok and fatal is not None:
        problems.append(
            f"exim accepts the file; mtalint: {fatal['message']!r} line {fatal['line']}"
        )
    elif not verdict.ok and fatal is None:
        problems.append(
            f"exim rejects it: {verdict.message!r} line {verdict.line}; mtalint accepts"
        )
    elif not verdict.ok and fatal is not None:
        if fatal["message"] != verdict.message and not (
            fatal.get("kind") == "include-cycle"
            and verdict.message.startswith("failed to open included configuration file")
        ):
            problems.append(f"message: exim {verdict.message!r}, mtalint {fatal['message']!r}")
        if verdict.line is not None:
            want = (verdict.path, verdict.line)
            if case.line_map is not None and verdict.path == str(case.exim_file):
                want = case.line_map[verdict.line - 1]
            have = (fatal.get("exim_path"), fatal.get("exim_line"))
            if have[1] != want[1] or not _same_path(str(have[0]), want[0], case):
                problems.append(f"error line: exim {want}, mtalint {have}")
    if obs.options is not None:
        for name, setting in doc["exim"]["main"]["options"].items():
            want_value = obs.options.get(name)
            if want_value is None:
                problems.append(f"option {name}: exim -bP does not print it")
            elif want_value != setting["value"]:
                problems.append(
                    f"option {name}: exim -bP {want_value!r}, mtalint {setting['value']!r}"
                )
        for key in ("routers", "transports", "authenticators"):
            for d in doc["exim"][key]:
                printed = obs.drivers.get((key[:-1], d["name"]))
                if printed is None:
                    problems.append(f"{key[:-1]} {d['name']}: exim -bP does not list it")
                    continue
                for name, setting in d["options"].items():
                    if name in BOOL_VERIFY and key == "routers":
                        continue  # not printed; its _sender and _recipient forms are
                    if printed.get(name) != setting["value"]:
                        problems.append(
                            f"{key[:-1]} {d['name']} option {name}: exim -bP "
                            f"{printed.get(name)!r}, mtalint {setting['value']!r}"
                        )
    return problems


def _same_path(have: str, want: str, case: Case) -> bool:
    if have == want:
        return True
    try:
        base = case.mtalint_path.parent
        return (base / have).resolve() == Path(want).resolve()
    except OSError:
        return False
