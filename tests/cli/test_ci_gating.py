"""Adopting mtalint in CI: baselines, --diff-base against a real git repository, --jobs,
and the pre-commit hook with a baseline (run by the real pre-commit)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.packaging.test_precommit_hook import (
    INSECURE_MAIN,
    _git,
    _head_commit,
    _pre_commit,
    run_hooks,
)
from tests.paths import ROOT

OPEN_RELAY_LINE = "mynetworks = 0.0.0.0/0\n"


def run(args: list[str], cwd: Path) -> tuple[int, str, str]:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def findings(out: str) -> list[dict]:
    return json.loads(out)["findings"]


@pytest.fixture
def fleet(clean_main_cf: str) -> Callable[..., None]:
    """``fleet(root, hosts, insecure)`` writes root/hosts/h000/main.cf and on: the clean
    main.cf, made an open relay on the hosts numbered in insecure."""

    def write(root: Path, hosts: int, insecure: set[int] | frozenset[int] = frozenset()) -> None:
        for i in range(hosts):
            folder = root / "hosts" / f"h{i:03}"
            folder.mkdir(parents=True, exist_ok=True)
            text = clean_main_cf + (OPEN_RELAY_LINE if i in insecure else "")
            (folder / "main.cf").write_text(text, encoding="utf-8")

    return write


# ---------------------------------------------------------------- baseline


def test_baseline_reports_only_new_findings(tmp_path: Path, fleet: Callable[..., None]) -> None:
    fleet(tmp_path, 3, insecure={1})
    code, _, err = run(["check", "hosts", "--write-baseline", "base.json"], tmp_path)
    assert code == 0 and "wrote" in err
    doc = json.loads((tmp_path / "base.json").read_text())
    assert doc["tool"] == "mtalint" and doc["findings"]
    assert all("line" not in e for e in doc["findings"])  # fingerprints, not positions

    code, out, err = run(
        ["check", "hosts", "--baseline", "base.json", "--format", "json"], tmp_path
    )
    assert code == 0 and findings(out) == [], out
    assert "known finding(s) not reported" in err

    # an unrelated edit above the known finding moves it; it is still known
    host1 = tmp_path / "hosts" / "h001" / "main.cf"
    host1.write_text("# moved down\n\n" + host1.read_text())
    code, out, _ = run(["check", "hosts", "--baseline", "base.json", "--format", "json"], tmp_path)
    assert code == 0 and findings(out) == []

    # a new problem on another host is reported
    fleet(tmp_path, 3, insecure={1, 2})
    code, out, _ = run(["check", "hosts", "--baseline", "base.json", "--format", "json"], tmp_path)
    assert code == 1
    assert {f["path"] for f in findings(out)} == {"hosts/h002/main.cf"}


def test_baseline_lists_entries_that_no_longer_occur(
    tmp_path: Path, fleet: Callable[..., None]
) -> None:
    fleet(tmp_path, 2, insecure={0})
    run(["check", "hosts", "--write-baseline", "base.json"], tmp_path)
    fleet(tmp_path, 2)  # fixed
    code, out, err = run(
        ["check", "hosts", "--baseline", "base.json", "--format", "json", "--show-stale"],
        tmp_path,
    )
    assert code == 0
    stale = json.loads(out)["stale_baseline"]
    assert stale and {e["path"] for e in stale} == {"hosts/h000/main.cf"}
    assert "baseline entry no longer occurs" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not valid JSON"),
        ('{"findings": []}', "not an mtalint baseline"),
        ('{"tool": "mtalint", "format": 99, "findings": []}', "format 99"),
    ],
)
def test_bad_baseline_is_a_usage_error(
    tmp_path: Path, content: str, message: str, fleet: Callable[..., None]
) -> None:
    fleet(tmp_path, 1)
    (tmp_path / "base.json").write_text(content)
    code, _, err = run(["check", "hosts", "--baseline", "base.json"], tmp_path)
    assert code == 2 and message in err, err


def test_missing_baseline_is_a_usage_error(tmp_path: Path, fleet: Callable[..., None]) -> None:
    fleet(tmp_path, 1)
    code, _, err = run(["check", "hosts", "--baseline", "nope.json"], tmp_path)
    assert code == 2 and "cannot read baseline" in err


# ---------------------------------------------------------------- --diff-base


@pytest.fixture
def git_repo(tmp_path: Path, fleet: Callable[..., None]) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "--quiet")
    _git(repo, "config", "user.email", "test@example.com")
    _git(repo, "config", "user.name", "Test")
    fleet(repo, 3, insecure={0})
    _git(repo, "add", "-A")
    _git(repo, "commit", "--quiet", "-m", "fleet with one known open relay")
    return repo


def test_diff_base_reports_what_the_change_introduced(
    git_repo: Path, fleet: Callable[..., None]
) -> None:
    # unchanged tree: nothing new, although h000 is an open relay
    code, out, _ = run(["check", "hosts", "--diff-base", "HEAD", "--format", "json"], git_repo)
    assert code == 0 and findings(out) == []

    # the change opens h002 and adds a comment above h000's known problem
    fleet(git_repo, 3, insecure={0, 2})
    h0 = git_repo / "hosts" / "h000" / "main.cf"
    h0.write_text("# reviewed\n" + h0.read_text())
    code, out, _ = run(["check", "hosts", "--diff-base", "HEAD", "--format", "json"], git_repo)
    assert code == 1
    assert {f["path"] for f in findings(out)} == {"hosts/h002/main.cf"}


def test_diff_base_from_a_subfolder_and_a_new_host(git_repo: Path) -> None:
    new = git_repo / "hosts" / "h009"
    new.mkdir()
    (new / "main.cf").write_text(INSECURE_MAIN)
    code, out, _ = run(
        ["check", "h009", "h000", "--diff-base", "HEAD", "--format", "json"], git_repo / "hosts"
    )
    assert code == 1
    # JSON paths are relative to the project root (the git work tree), not to hosts/
    assert {f["path"] for f in findings(out)} == {"hosts/h009/main.cf"}


def test_diff_base_needs_a_commit(git_repo: Path) -> None:
    code, _, err = run(["check", "hosts", "--diff-base", "no-such-ref"], git_repo)
    assert code == 2 and "no-such-ref" in err


# ---------------------------------------------------------------- --jobs


def test_jobs_give_the_serial_result(tmp_path: Path, fleet: Callable[..., None]) -> None:
    fleet(tmp_path, 24, insecure={3, 7, 19})
    serial = run(["check", "hosts", "--format", "json"], tmp_path)
    parallel = run(["check", "hosts", "--format", "json", "--jobs", "3"], tmp_path)
    assert serial[0] == parallel[0] == 1
    assert serial[1] == parallel[1]


# ---------------------------------------------------------------- pre-commit with a baseline


def test_precommit_hook_with_a_baseline(tmp_path: Path, fleet: Callable[..., None]) -> None:
    rev = _head_commit()
    pre_commit = _pre_commit()
    repo = tmp_path / "mail-config"
    repo.mkdir()
    fleet(repo, 2, insecure={0})
    code, _, _ = run(["check", "hosts", "--write-baseline", ".mtalint-baseline.json"], repo)
    assert code == 0
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n"
        "    hooks:\n      - id: mtalint\n"
        "        args: [--baseline, .mtalint-baseline.json]\n",
        encoding="utf-8",
    )
    _git(repo, "init", "--quiet")
    _git(repo, "add", "-A")

    def hook() -> subprocess.CompletedProcess[str]:
        return run_hooks(pre_commit, repo, tmp_path)

    known_only = hook()
    assert known_only.returncode == 0, known_only.stdout + known_only.stderr
    fleet(repo, 2, insecure={0, 1})  # a new open relay
    _git(repo, "add", "-A")
    new = hook()
    assert new.returncode == 1, new.stdout + new.stderr
    assert "hosts/h001/main.cf" in new.stdout and "hosts/h000/main.cf" not in new.stdout


# ---------------------------------------------------------------- internal errors


def _analysis_fails_for(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    """Analysing ``host`` raises, as a bug in a reader would (the inputs that really do
    are fixed where they are found; this stands for the next one)."""
    import linter.check

    real = linter.check.analyse_set

    def analyse(config_set, options):  # type: ignore[no-untyped-def]
        if host in config_set.display:
            raise ValueError("a bug in a reader")
        return real(config_set, options)

    monkeypatch.setattr(linter.check, "analyse_set", analyse)


def test_internal_error_exits_3_and_keeps_the_other_sets(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fleet: Callable[..., None],
) -> None:
    fleet(tmp_path, 3, insecure={2})
    _analysis_fails_for(monkeypatch, "h001")
    code, out, err = run(["check", "hosts", "--format", "json"], tmp_path)
    assert code == 3, err
    assert "h001" in err and "a bug in a reader" in err and "Traceback" not in err
    by_rule = {(f["rule"], f["path"].split("/")[1]) for f in findings(out)}
    assert ("MTL001", "h001") in by_rule
    assert ("MTA001", "h002") in by_rule  # the other sets keep their findings


def test_baselined_internal_error_hides_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fleet: Callable[..., None],
) -> None:
    fleet(tmp_path, 3)
    _analysis_fails_for(monkeypatch, "h001")
    code, _, err = run(["check", "hosts", "--write-baseline", "base.json"], tmp_path)
    assert code == 3, err  # the baseline is written, but the run is not clean
    recorded = json.loads((tmp_path / "base.json").read_text())["findings"]
    assert "MTL001" not in {e["rule"] for e in recorded}
    # an old baseline that did record it does not hide it either
    code, out, _ = run(["check", "hosts", "--format", "json"], tmp_path)
    [internal] = [f for f in findings(out) if f["rule"] == "MTL001"]
    doc = json.loads((tmp_path / "base.json").read_text())
    doc["findings"].append(
        {"fingerprint": internal["fingerprint"], "rule": "MTL001", "path": "", "message": ""}
    )
    (tmp_path / "base.json").write_text(json.dumps(doc))
    # an open relay added to the failing set and to another
    for host in ("h001", "h002"):
        with open(tmp_path / "hosts" / host / "main.cf", "a") as handle:
            handle.write(OPEN_RELAY_LINE)
    code, out, err = run(
        ["check", "hosts", "--format", "json", "--baseline", "base.json"], tmp_path
    )
    assert code == 3, err
    rules = {(f["rule"], f["path"].split("/")[1]) for f in findings(out)}
    assert ("MTL001", "h001") in rules
    assert ("MTA001", "h002") in rules


def test_internal_error_with_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fleet: Callable[..., None]
) -> None:
    fleet(tmp_path, 4, insecure={3})
    _analysis_fails_for(monkeypatch, "h001")  # inherited by the forked workers
    code, out, err = run(["check", "hosts", "--format", "json", "--jobs", "2"], tmp_path)
    assert code == 3 and "h001" in err
    rules = {(f["rule"], f["path"].split("/")[1]) for f in findings(out)}
    assert {("MTL001", "h001"), ("MTA001", "h003")} <= rules


def test_worker_killed_by_a_signal_is_named_and_the_rest_checked(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fleet: Callable[..., None],
) -> None:
    import signal

    import linter.check

    fleet(tmp_path, 8, insecure={1, 6})
    real = linter.check.check_set
    parent = os.getpid()

    def check_set(config_set, *args):  # type: ignore[no-untyped-def]
        # in a worker (a fork of this process), h004 gets the worker killed
        if os.getpid() != parent and "h004" in config_set.display:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(config_set, *args)

    monkeypatch.setattr(linter.check, "check_set", check_set)
    code, out, err = run(["check", "hosts", "--format", "json", "--jobs", "3"], tmp_path)
    assert code == 3, err
    assert "hosts/h004" in err and "died" in err
    assert "BrokenProcessPool" not in err
    rules = {(f["rule"], f["path"].split("/")[1]) for f in findings(out)}
    assert {("MTA001", "h001"), ("MTA001", "h006"), ("MTL001", "h004")} <= rules
    # every other host was checked: the same findings as a serial run without h004
    monkeypatch.setattr(linter.check, "check_set", real)
    shutil.rmtree(tmp_path / "hosts" / "h004")
    _, serial, _ = run(["check", "hosts", "--format", "json"], tmp_path)
    assert {f["fingerprint"] for f in findings(serial)} == {
        f["fingerprint"] for f in findings(out) if f["rule"] != "MTL001"
    }


def test_too_deep_input_is_never_hidden_by_a_baseline(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fleet: Callable[..., None],
) -> None:
    import linter.check

    fleet(tmp_path, 2)
    real = linter.check.analyse_set

    def analyse(config_set, options):  # type: ignore[no-untyped-def]
        if "h001" in config_set.display:
            raise RecursionError("maximum recursion depth exceeded")
        return real(config_set, options)

    monkeypatch.setattr(linter.check, "analyse_set", analyse)
    code, _, err = run(["check", "hosts", "--write-baseline", "base.json"], tmp_path)
    assert code == 0, err
    assert "MTL001" not in (tmp_path / "base.json").read_text()
    code, out, _ = run(["check", "hosts", "--format", "json", "--baseline", "base.json"], tmp_path)
    assert code == 1
    [finding] = findings(out)
    assert finding["rule"] == "MTL001" and "nests too deeply" in finding["message"]
