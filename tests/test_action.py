"""The composite GitHub Action (action.yml): well formed, inputs passed safely, and its
run step works when executed the way the runner executes it (bash, GITHUB_OUTPUT)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OPEN_RELAY = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def step(name: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s.get("name") == name)


def test_composite_action_shape() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for s in ACTION["runs"]["steps"]:
        if "run" in s:
            assert s["shell"] == "bash"
    assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.run.outputs.exit-code }}"


def test_inputs_never_pasted_into_scripts() -> None:
    # ${{ inputs.x }} inside a run script is a script injection; they go through env
    for s in ACTION["runs"]["steps"]:
        if "run" in s:
            assert not re.search(r"\$\{\{\s*(inputs|github\.event)", s["run"]), s["name"]


def run_step(tmp_path: Path, paths: str, args: str = "", baseline: str = "") -> tuple[int, str]:
    out_file = tmp_path / "github_output"
    out_file.write_text("")
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(out_file),
        "MTALINT_PATHS": paths,
        "MTALINT_ARGS": args,
        "MTALINT_BASELINE": baseline,
        "MTALINT_DIFF_BASE": "",
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", step("Run mtalint")["run"]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr  # the step itself never fails
    code = int(re.search(r"exit-code=(\d+)", out_file.read_text()).group(1))  # type: ignore[union-attr]
    return code, proc.stdout


def test_run_step_annotates_and_writes_sarif(tmp_path: Path) -> None:
    (tmp_path / "edge").mkdir()
    (tmp_path / "edge" / "main.cf").write_text(OPEN_RELAY)
    code, out = run_step(tmp_path, "edge", "--select open-relay")
    assert code == 1
    assert "::error file=edge/main.cf" in out
    assert (tmp_path / "mtalint.sarif").is_file()


def test_run_step_with_a_baseline_passes_known_findings(tmp_path: Path) -> None:
    (tmp_path / "edge").mkdir()
    (tmp_path / "edge" / "main.cf").write_text(OPEN_RELAY)
    subprocess.run(
        ["mtalint", "check", "edge", "--write-baseline", "base.json"], cwd=tmp_path, check=True
    )
    code, _ = run_step(tmp_path, "edge", baseline="base.json")
    assert code == 0
