"""The composite GitHub Action (action.yml), run the way the runner runs it.

`act` cannot run here (no network to GitHub), so a small runner below plays a job: it reads
action.yml, evaluates each step's ``if:`` and ``${{ }}`` expressions, runs the ``run:``
scripts with ``bash --noprofile --norc -eo pipefail`` and a fresh GITHUB_OUTPUT per step,
and replaces the ``uses:`` steps (setup-python, cache, upload-sarif) by recorders. The
install step really creates the action's venv and pip-installs this repository into it,
once per test module (later uses find it ready, as a second use in one job would).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.paths import ROOT

OPEN_RELAY = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
JOB = "lint"


# --- a small expression evaluator: the subset of GitHub's syntax a workflow may use here

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<func>[A-Za-z_][\w-]*)\(|(?P<ref>[A-Za-z_][\w.-]*))"
)
_STATUS = {"always", "success", "failure", "cancelled"}


def evaluate(expr: str, contexts: dict[str, Any], failed: bool) -> Any:
    workspace = Path(contexts["github"]["workspace"])
    functions = {
        "always": lambda: True,
        "success": lambda: not failed,
        "failure": lambda: failed,
        "cancelled": lambda: False,
        "hashFiles": lambda pattern: "hash" if list(workspace.glob(pattern)) else "",
    }
    python = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        assert m and m.end() > pos, f"unsupported expression: {expr!r}"
        pos = m.end()
        if m["str"]:
            python.append(repr(m["str"][1:-1].replace("''", "'")))
        elif m["op"]:
            python.append({"&&": " and ", "||": " or ", "!": " not "}.get(m["op"], m["op"]))
        elif m["func"]:
            assert m["func"] in functions, m["func"]
            python.append(f"{m['func']}(")
        else:
            value: Any = contexts
            for part in m["ref"].split("."):
                value = value.get(part, "") if isinstance(value, dict) else ""
            python.append(repr(value))
    return eval("".join(python), {"__builtins__": {}, **functions})  # noqa: S307 - test text


def substitute(text: Any, contexts: dict[str, Any], failed: bool) -> str:
    if isinstance(text, bool):  # the runner reads every YAML scalar as a string
        text = "true" if text else "false"
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), contexts, failed)), str(text)
    )


def condition(step: dict[str, Any], contexts: dict[str, Any], failed: bool) -> bool:
    cond = str(step.get("if", "success()")).strip()
    if cond.startswith("${{") and cond.endswith("}}"):
        cond = cond[3:-2]
    if not any(f"{name}()" in cond for name in _STATUS):
        cond = f"success() && ({cond})"
    return bool(evaluate(cond, contexts, failed))


def read_outputs(path: Path) -> dict[str, str]:
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            outputs[name] = "\n".join(iter(lambda: next(lines), delim))
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


# --- the job


@dataclass
class Job:
    outputs: dict[str, str]
    stdout: str
    stderr: str
    failed: bool
    ran: list[str]
    uses: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""
    env_files: str = ""


Fake = Callable[[dict[str, str], Path], dict[str, str]]


def fake_setup_python(with_: dict[str, str], github_path: Path) -> dict[str, str]:
    # like actions/setup-python: its Python goes on the job's PATH unless told not to
    if with_.get("update-environment", "true") != "false":
        with github_path.open("a") as f:
            f.write(str(Path(sys.executable).parent) + "\n")
    return {"python-path": sys.executable, "python-version": "3.x"}


def path_without_mtalint() -> str:
    # the action must use the mtalint it installed, not one the job happens to have
    dirs = os.environ.get("PATH", "").split(os.pathsep)
    return os.pathsep.join(d for d in dirs if not (Path(d) / "mtalint").exists())


def run_action(
    workspace: Path,
    runner_temp: Path,
    inputs: dict[str, str],
    uses: dict[str, Fake] | None = None,
    path_prefix: str = "",
) -> Job:
    fakes: dict[str, Fake] = {
        "actions/setup-python": fake_setup_python,
        "actions/cache": lambda w, p: {"cache-hit": "false"},
        "github/codeql-action/upload-sarif": lambda w, p: {},
        **(uses or {}),
    }
    given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    assert set(inputs) <= set(given), set(inputs) - set(given)
    given.update(inputs)
    control = runner_temp.parent / f"control-{workspace.name}"
    control.mkdir(exist_ok=True)
    env_file, path_file, summary_file = (control / n for n in ("env", "path", "summary"))
    for f in (env_file, path_file, summary_file):
        f.write_text("")
    contexts: dict[str, Any] = {
        "inputs": given,
        "github": {"action_path": str(ROOT), "job": JOB, "workspace": str(workspace)},
        "runner": {"temp": str(runner_temp), "os": "Linux"},
        "steps": {},
    }
    base_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))},
        "PATH": path_prefix + path_without_mtalint(),
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_JOB": JOB,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_ACTION_PATH": str(ROOT),
        "GITHUB_ENV": str(env_file),
        "GITHUB_PATH": str(path_file),
        "GITHUB_STEP_SUMMARY": str(summary_file),
    }
    base_env.pop("VIRTUAL_ENV", None)
    failed = False
    job = Job(outputs={}, stdout="", stderr="", failed=False, ran=[])
    for n, step in enumerate(STEPS):
        if not condition(step, contexts, failed):
            continue
        name = step.get("name", step.get("uses", ""))
        job.ran.append(name)
        outputs: dict[str, str] = {}
        ok = True
        if "uses" in step:
            action = step["uses"].split("@")[0]
            with_ = {k: substitute(v, contexts, failed) for k, v in step.get("with", {}).items()}
            job.uses[action] = with_
            try:
                outputs = fakes[action](with_, path_file)
            except RuntimeError:
                ok = False
        else:
            out_file = control / f"output-{n}"
            out_file.write_text("")
            script = control / f"step-{n}.sh"
            script.write_text(step["run"])
            env = {k: substitute(v, contexts, failed) for k, v in step.get("env", {}).items()}
            added = path_file.read_text().splitlines()  # what earlier steps put on PATH
            search = os.pathsep.join([*reversed(added), base_env["PATH"]])
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workspace,
                env={**base_env, **env, "GITHUB_OUTPUT": str(out_file), "PATH": search},
                capture_output=True,
                text=True,
                timeout=600,
            )
            job.stdout += proc.stdout
            job.stderr += proc.stderr
            ok = proc.returncode == 0
            outputs = read_outputs(out_file)
        if "id" in step:
            contexts["steps"][step["id"]] = {
                "outputs": outputs,
                "outcome": "success" if ok else "failure",
            }
        if not ok and not step.get("continue-on-error"):
            failed = True
    job.failed = failed
    job.outputs = {
        k: substitute(v["value"], contexts, failed) for k, v in ACTION["outputs"].items()
    }
    job.summary = summary_file.read_text()
    job.env_files = env_file.read_text() + path_file.read_text()
    return job


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # shared by the module's jobs: the venv is built once, as for two uses in one job
    return tmp_path_factory.mktemp("runner") / "temp"


@pytest.fixture
def workspace(tmp_path: Path, runner_temp: Path) -> Path:
    runner_temp.mkdir(exist_ok=True)
    ws = tmp_path / "workspace"
    ws.mkdir()
    return ws


def mtalint(workspace: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """This repository's mtalint, run directly: the reference for what the action reports."""
    return subprocess.run(
        [sys.executable, "-m", "linter", "check", *args],
        cwd=workspace,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def annotations(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("::")]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- the action file itself


def test_scripts_run_in_bash_and_never_contain_expressions() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for s in STEPS:
        if "run" in s:
            assert s["shell"] == "bash", s["name"]
            # any ${{ }} in a script is pasted into its text before bash reads it: an input,
            # a step output or an event field could inject commands; env: carries them
            assert "${{" not in s["run"], s["name"]


def test_mtalint_runs_once() -> None:
    scripts = "\n".join(s.get("run", "") for s in STEPS)
    assert len(re.findall(r"mtalint\"? check\b", scripts)) == 1


# --- jobs


def test_multi_line_paths_on_the_examples(workspace: Path, runner_temp: Path) -> None:
    shutil.copytree(ROOT / "examples", workspace / "examples")
    before = tree(workspace)
    job = run_action(workspace, runner_temp, {"paths": "examples/postfix\nexamples/exim\n"})
    assert job.failed  # the examples have findings: the last step fails the job
    assert job.ran[-1] == "Fail on findings"
    out = job.outputs
    assert out["exit-code"] == "1"

    reference = mtalint(workspace, "examples/postfix", "examples/exim", "--format", "json")
    summary = json.loads(reference.stdout)["summary"]
    assert summary["error"] > 0 and summary["warning"] > 0 and summary["note"] > 0
    assert (out["errors"], out["warnings"], out["notes"]) == (
        str(summary["error"]),
        str(summary["warning"]),
        str(summary["note"]),
    )
    assert out["findings"] == str(sum(summary.values()))
    # the annotations are exactly what mtalint's own --format github writes
    github = mtalint(workspace, "examples/postfix", "examples/exim", "--format", "github")
    assert annotations(job.stdout) == annotations(github.stdout)
    assert any("file=examples/exim/exim.conf" in a for a in annotations(job.stdout))
    assert any("file=examples/postfix/master.cf" in a for a in annotations(job.stdout))

    sarif = Path(out["sarif"])
    assert sarif.is_file() and runner_temp in sarif.parents
    doc = json.loads(sarif.read_text())
    assert len(doc["runs"][0]["results"]) == sum(summary.values())
    assert f"### mtalint: {sum(summary.values())} finding(s)" in job.summary
    # nothing written to the caller's checkout, its environment or its PATH
    assert tree(workspace) == before
    assert job.env_files == ""
    # python3 exists here: no setup-python, and no upload unless asked for
    assert "actions/setup-python" not in job.uses
    assert "github/codeql-action/upload-sarif" not in job.uses
    assert "actions/cache" in job.uses


def test_path_with_a_space_blank_lines_and_quoted_args(workspace: Path, runner_temp: Path) -> None:
    for folder in ("my edge", "second", "third"):
        (workspace / folder).mkdir()
        (workspace / folder / "main.cf").write_text(OPEN_RELAY)
    args = "--select \"MTA001, PF001\" --fail-on 'error'"
    job = run_action(workspace, runner_temp, {"paths": "  my edge  \n\n\tsecond\r\n", "args": args})
    assert job.outputs["exit-code"] == "1", job.stdout + job.stderr
    found = annotations(job.stdout)
    assert any(a.startswith("::error file=my edge/main.cf,") for a in found)
    assert any(a.startswith("::error file=second/main.cf,") for a in found)
    assert not any("third" in a for a in found)
    assert all("title=MTA001 " in a or "title=PF001 " in a for a in found)
    reference = mtalint(
        workspace, "my edge", "second", "--select", "MTA001, PF001", "--format", "json"
    )
    summary = json.loads(reference.stdout)["summary"]
    assert job.outputs["errors"] == str(summary["error"]) != "0"
    assert job.outputs["findings"] == str(len(found))


def test_inputs_are_never_run_as_commands(workspace: Path, runner_temp: Path) -> None:
    (workspace / "edge").mkdir()
    (workspace / "edge" / "main.cf").write_text(OPEN_RELAY)
    job = run_action(
        workspace,
        runner_temp,
        {
            "paths": "edge\n$(touch pwned1)\n`touch pwned2`",
            "args": '--select "$(touch pwned3)" ; touch pwned4',
            "baseline": "$(touch pwned5)",
        },
    )
    assert not list(workspace.glob("pwned*"))
    assert job.outputs["exit-code"] == "2"  # literal, hence unknown, rule and paths
    assert "no rule id, id prefix or tag matches: $(touch pwned3)" in job.stderr


def test_an_unbalanced_quote_in_args_fails_clearly(workspace: Path, runner_temp: Path) -> None:
    (workspace / "main.cf").write_text(OPEN_RELAY)
    job = run_action(workspace, runner_temp, {"args": '--select "MTA001'})
    assert job.failed
    assert "::error::the args input cannot be split: No closing quotation" in job.stdout
    assert job.outputs["exit-code"] == ""


def test_no_path_at_all_fails_clearly(workspace: Path, runner_temp: Path) -> None:
    job = run_action(workspace, runner_temp, {"paths": "\n   \n"})
    assert job.failed
    assert "::error::the paths input names no path" in job.stdout


def test_sarif_upload_is_opt_in_with_a_category_per_use(workspace: Path, runner_temp: Path) -> None:
    for folder in ("edge", "core"):
        (workspace / folder).mkdir()
        (workspace / folder / "main.cf").write_text(OPEN_RELAY)
    upload = "github/codeql-action/upload-sarif"
    first = run_action(workspace, runner_temp, {"paths": "edge", "upload-sarif": "true"})
    sent = first.uses[upload]
    assert sent["sarif_file"] == first.outputs["sarif"] and Path(sent["sarif_file"]).is_file()
    assert re.fullmatch(r"mtalint-lint-[0-9a-f]{8}", sent["category"]), sent
    assert first.outputs["sarif-category"] == sent["category"]
    # the upload happens even though the job then fails on the findings
    assert first.ran.index("Upload SARIF to code scanning") < first.ran.index("Fail on findings")

    # another use on other paths has its own category; the same paths keep theirs
    second = run_action(workspace, runner_temp, {"paths": "core", "upload-sarif": "true"})
    assert second.uses[upload]["category"] != sent["category"]
    again = run_action(workspace, runner_temp, {"paths": "\n edge \n", "upload-sarif": "true"})
    assert again.uses[upload]["category"] == sent["category"]
    assert again.outputs["sarif"] != first.outputs["sarif"]  # a report file per use

    named = run_action(
        workspace,
        runner_temp,
        {"paths": "edge", "upload-sarif": "true", "sarif-category": "mail/edge"},
    )
    assert named.uses[upload]["category"] == "mail/edge"


def test_a_category_cannot_forge_outputs(workspace: Path, runner_temp: Path) -> None:
    (workspace / "main.cf").write_text(OPEN_RELAY)
    job = run_action(workspace, runner_temp, {"sarif-category": "x\nexit-code=0\nsarif=/etc"})
    assert job.failed
    assert "::error::sarif-category must be one line" in job.stdout
    assert job.outputs["exit-code"] == "" and job.outputs["sarif"] == ""


def test_setup_python_only_when_python3_is_unusable(
    workspace: Path, runner_temp: Path, tmp_path: Path
) -> None:
    (workspace / "main.cf").write_text(OPEN_RELAY)
    fake = tmp_path / "old-python"
    fake.mkdir()
    (fake / "python3").write_text("#!/bin/sh\nexit 1\n")  # too old, or without venv
    (fake / "python3").chmod(0o755)
    job = run_action(workspace, runner_temp, {}, path_prefix=f"{fake}{os.pathsep}")
    assert job.uses["actions/setup-python"] == {
        "python-version": "3.12",
        "update-environment": "false",  # the caller's job keeps its own python
    }
    assert job.outputs["exit-code"] == "1"
    assert job.outputs["errors"] != "0"
    assert job.env_files == ""


def test_an_unavailable_cache_does_not_fail_the_check(workspace: Path, runner_temp: Path) -> None:
    (workspace / "main.cf").write_text(OPEN_RELAY)

    def broken(with_: dict[str, str], github_path: Path) -> dict[str, str]:
        raise RuntimeError("cache service unavailable")

    job = run_action(
        workspace, runner_temp, {"args": "--exit-zero"}, uses={"actions/cache": broken}
    )
    assert not job.failed
    assert job.outputs["exit-code"] == "0" and job.outputs["errors"] != "0"
    sent = job.uses["actions/cache"]
    assert sent["path"].startswith(str(runner_temp))
    assert re.fullmatch(r"mtalint-pip-Linux-py3\.\d+-[0-9a-f]{16}", sent["key"]), sent
    assert sent["key"].startswith(sent["restore-keys"])

    off = run_action(workspace, runner_temp, {"cache": "false", "args": "--exit-zero"})
    assert "actions/cache" not in off.uses and not off.failed


def test_a_baseline_passes_known_findings(workspace: Path, runner_temp: Path) -> None:
    (workspace / "edge").mkdir()
    (workspace / "edge" / "main.cf").write_text(OPEN_RELAY)
    written = mtalint(workspace, "edge", "--write-baseline", "base.json")
    assert written.returncode == 0, written.stderr
    job = run_action(workspace, runner_temp, {"paths": "edge", "baseline": "base.json"})
    assert job.outputs["exit-code"] == "0" and not job.failed
    assert job.outputs["findings"] == "0"
    assert annotations(job.stdout) == []


def test_the_readme_documents_the_action() -> None:
    text = (ROOT / "README.md").read_text()
    part = text[text.index("**GitHub Actions**") : text.index("**GitLab CI**")]
    example = yaml.safe_load(
        part[part.index("```yaml") + 7 : part.index("```", part.index("```yaml") + 7)]
    )
    used = next(s for s in example["jobs"]["mtalint"]["steps"] if "mtalint@" in s.get("uses", ""))
    assert set(used["with"]) <= set(ACTION["inputs"])
    for name in ACTION["inputs"]:
        assert f"| `{name}` |" in part, name
    for name in ACTION["outputs"]:
        assert f"`{name}`" in part, name
