"""The wheel works on its own: built, installed into a fresh venv, run outside the checkout.

This catches what a source checkout hides: grammars or rules missing from the wheel, a
console script that points nowhere, a module imported at run time but not declared as a
dependency. It builds a real wheel and pip-installs its dependencies from the package
index, so it takes a while (about half a minute) and needs the network.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "postfix"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def _env() -> dict[str, str]:
    """The environment without anything that would let the checkout leak in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.pop("VIRTUAL_ENV", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(
    cmd: list[str | Path], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    if importlib.util.find_spec("build") is not None:
        cmd = [sys.executable, "-m", "build", "--wheel", "--outdir", out, ROOT]
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", out, ROOT]
    proc = _run(cmd, cwd=out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [built] = out.glob("mtalint-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory, wheel) -> Path:
    """A fresh venv with the wheel installed; returns its bin (Scripts) folder."""
    folder = tmp_path_factory.mktemp("venv")
    proc = _run([sys.executable, "-m", "venv", folder], cwd=folder)
    if proc.returncode != 0:
        pytest.skip(f"cannot create a venv here (python -m venv failed): {proc.stderr.strip()}")
    bin_dir = folder / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    proc = _run([python, "-m", "pip", "install", "--quiet", wheel], cwd=folder)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return bin_dir


@pytest.fixture
def outside(tmp_path) -> Path:
    """A working directory that is not the checkout (nor below it)."""
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_wheel_holds_grammars_rules_and_entry_point(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    for required in (
        "linter/__init__.py",
        "linter/cli/__init__.py",
        "linter/grammars/postfix_main.lark",
        "linter/grammars/postfix_master.lark",
        "linter/rules/schema.json",
        "linter/rules/posture/MTA001.yaml",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    # every grammar and rule of the checkout is shipped
    for path in (ROOT / "grammars").glob("*.lark"):
        assert f"linter/grammars/{path.name}" in names
    for path in (ROOT / "rules").rglob("*.yaml"):
        assert f"linter/rules/{path.relative_to(ROOT / 'rules').as_posix()}" in names
    assert "mtalint = linter.cli:main" in scripts
    assert not any(n.startswith(("tests/", "examples/")) for n in names)


def test_installed_package_comes_from_the_venv(venv, outside):
    proc = _run([venv / "python", "-c", "import linter; print(linter.__file__)"], cwd=outside)
    assert proc.returncode == 0, proc.stderr
    location = Path(proc.stdout.strip()).resolve()
    assert venv.parent.resolve() in location.parents
    assert ROOT not in location.parents


def test_installed_check_finds_problems(venv, outside):
    proc = _run([venv / "mtalint", "check", "--no-config", EXAMPLE], cwd=outside)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "MTA001" in proc.stdout
    assert f"{EXAMPLE / 'main.cf'}:" in proc.stdout


def test_installed_check_formats(venv, outside):
    for fmt in ("json", "sarif", "github"):
        proc = _run(
            [venv / "mtalint", "check", "--no-config", "--format", fmt, EXAMPLE], cwd=outside
        )
        assert proc.returncode == 1, f"{fmt}: {proc.stderr}"
        assert "MTA001" in proc.stdout


def test_installed_rules_explain_and_version(venv, outside):
    proc = _run([venv / "mtalint", "rules"], cwd=outside)
    assert proc.returncode == 0, proc.stderr
    assert "MTA001" in proc.stdout and "PF001" in proc.stdout

    proc = _run([venv / "mtalint", "explain", "MTA001"], cwd=outside)
    assert proc.returncode == 0, proc.stderr
    assert "Fix" in proc.stdout

    proc = _run([venv / "mtalint", "--version"], cwd=outside)
    assert proc.returncode == 0
    assert VERSION in proc.stdout


def test_installed_custom_rules_work(venv, outside):
    """Custom rules are validated against the schema: that must work in a plain install."""
    folder = outside / "myrules"
    folder.mkdir()
    text = (ROOT / "rules" / "posture" / "MTA001.yaml").read_text(encoding="utf-8")
    (folder / "ORG001.yaml").write_text(text.replace("id: MTA001", "id: ORG001"), encoding="utf-8")

    proc = _run([venv / "mtalint", "rules", "--check", folder], cwd=outside)
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stdout + proc.stderr

    cmd = [
        venv / "mtalint",
        "check",
        "--no-config",
        "--rules",
        folder,
        "--select",
        "ORG001",
        EXAMPLE,
    ]
    proc = _run(cmd, cwd=outside)
    assert "internal error" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ORG001" in proc.stdout
