"""The pre-commit hook, run by the real pre-commit on a throwaway config repository.

pre-commit clones this checkout at its HEAD commit and pip-installs it into a venv of its
own, as it would for any user; that needs the network for the dependencies, and the
checkout needs at least one commit.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

# An open relay: every address is "my network", and permit_mynetworks comes first.
INSECURE_MAIN = """\
compatibility_level = 3.6
mynetworks = 0.0.0.0/0
"""


def _head_commit() -> str:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    proc = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "HEAD^{commit}"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(
            "the checkout has no commit yet, and pre-commit installs a hook repository at a "
            "commit: commit, then rerun this test"
        )
    return proc.stdout.strip()


def _pre_commit() -> list[str]:
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    exe = shutil.which("pre-commit")
    if exe is None:
        pytest.skip("pre-commit is not installed (pip install -e '.[test]')")
    return [exe]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def run_hooks(
    pre_commit: list[str], repo: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    """``pre-commit run --all-files`` in ``repo``, with its own cache under ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PRE_COMMIT_HOME"] = str(tmp_path / "pre-commit-home")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["GIT_AUTHOR_NAME"] = env["GIT_COMMITTER_NAME"] = "Test"
    env["GIT_AUTHOR_EMAIL"] = env["GIT_COMMITTER_EMAIL"] = "test@example.com"
    return subprocess.run(
        [*pre_commit, "run", "--all-files", "--color", "never"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_hook_fails_on_insecure_config_and_passes_once_fixed(tmp_path, clean_main_cf):
    rev = _head_commit()
    pre_commit = _pre_commit()

    repo = tmp_path / "mail-config"
    (repo / "edge").mkdir(parents=True)
    (repo / "internal").mkdir()
    (repo / "edge" / "main.cf").write_text(INSECURE_MAIN, encoding="utf-8")
    (repo / "internal" / "main.cf").write_text(clean_main_cf, encoding="utf-8")
    # files the hook's pattern must leave alone (mtalint would refuse them)
    (repo / "README.md").write_text("Postfix configuration of our mail hosts.\n", encoding="utf-8")
    (repo / "internal" / "main.cf.orig").write_text("not = checked\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: mtalint\n",
        encoding="utf-8",
    )
    _git(repo, "init", "--quiet")
    _git(repo, "add", "-A")

    def run() -> subprocess.CompletedProcess[str]:
        return run_hooks(pre_commit, repo, tmp_path)

    failed = run()
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert "MTA001" in output
    assert "edge/main.cf:2:" in output  # mynetworks, on line 2, opens the relay
    assert "internal/main.cf:" not in output
    assert "Traceback" not in output

    (repo / "edge" / "main.cf").write_text(clean_main_cf, encoding="utf-8")
    _git(repo, "add", "-A")
    passed = run()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_hook_checks_exim_configure_conf_d_and_the_hmailserver_export(tmp_path):
    """Files of every format mtalint reads reach the hook (none is "no files to check",
    which reads as a pass), and autoconf's configure script does not fail it."""
    rev = _head_commit()
    pre_commit = _pre_commit()

    repo = tmp_path / "mail-config"
    exim = (ROOT / "examples" / "exim" / "exim.conf").read_text(encoding="utf-8")
    (repo / "usr-exim").mkdir(parents=True)
    (repo / "usr-exim" / "configure").write_text(exim, encoding="utf-8")
    split = repo / "exim4" / "conf.d"
    (split / "main").mkdir(parents=True)
    (split / "main" / "01_options").write_text("primary_hostname = mx.example.com\n")
    (split / "acl").mkdir()
    (split / "acl" / "30_rcpt").write_text(
        "begin acl\nacl_check_rcpt:\n  accept\n", encoding="utf-8"
    )
    hms = repo / "hms"
    hms.mkdir()
    shutil.copy(
        ROOT / "tests" / "fixtures" / "hmailserver" / "hardened" / "hmailserver-settings.json",
        hms / "hmailserver-settings.json",
    )
    (repo / "configure").write_text("#! /bin/sh\necho autoconf\n", encoding="utf-8")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: mtalint\n",
        encoding="utf-8",
    )
    _git(repo, "init", "--quiet")
    _git(repo, "add", "-A")

    proc = run_hooks(pre_commit, repo, tmp_path)
    output = proc.stdout + proc.stderr
    assert "no files to check" not in output, output
    assert proc.returncode == 1, output
    assert "usr-exim/configure:25:3: MTA001" in output  # the open relay of the example
    assert "exim4/conf.d" in output  # the split configuration was read
    assert "hms/hmailserver-settings.json:" in output
    assert "Traceback" not in output and "internal error" not in output
