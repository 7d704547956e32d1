"""Project configuration: .mtalint.yaml and [tool.mtalint] in pyproject.toml."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main

OPEN_RELAY = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["check", "--format", "json", *args])
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("{") else {}


def run_in(cwd: Path, *args: str | Path) -> tuple[int, str, str]:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


def rules_of(doc: dict) -> set[str]:
    return {f["rule"] for f in doc.get("findings", [])}


def test_formats_map_unusual_file_names(tmp_path: Path) -> None:
    (tmp_path / "prod.main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text('formats: {"*.main.cf": postfix-main}\n')
    code, doc = run(str(tmp_path))
    assert code == 1
    assert "MTA001" in rules_of(doc)
    assert doc["files"] == [str(tmp_path / "prod.main.cf")] or doc["files"][0].endswith(
        "prod.main.cf"
    )


def test_pyproject_section_selects_and_overrides_severity(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mtalint]\nselect = ["open-relay"]\nseverity = {MTA001 = "note"}\nfail_on = "error"\n'
    )
    code, doc = run(str(tmp_path))
    # only open-relay rules ran, and the open relay was demoted to a note: no failure
    assert doc["findings"]
    assert all("open-relay" in f["tags"] for f in doc["findings"])
    assert {f["severity"] for f in doc["findings"] if f["rule"] == "MTA001"} == {"note"}
    assert code == 0


def test_roles_per_path(tmp_path: Path) -> None:
    host = tmp_path / "hosts" / "relay-1"
    host.mkdir(parents=True)
    # a public MX listener: as an MX its missing STARTTLS matters (MTA014) ...
    (host / "main.cf").write_text("myhostname = relay-1.example.com\n")
    code, doc = run("--select", "MTA014", str(host))
    assert "MTA014" in rules_of(doc)
    # ... declared a null client, the MX rule does not apply
    (tmp_path / ".mtalint.yaml").write_text('roles: {"*relay-*": [null-client]}\n')
    code, doc = run("--select", "MTA014", "--config", str(tmp_path / ".mtalint.yaml"), str(host))
    assert "MTA014" not in rules_of(doc)
    assert code == 0


def test_unknown_key_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text("selekt: [PF]\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown key(s) selekt" in result.output


# ---------------------------------------------------------------- where the search stops


def _repo(root: Path, git: str = "dir") -> Path:
    """A checkout at root/repo with an open relay, under a folder anyone could write to."""
    repo = root / "repo"
    (repo / "hosts" / "mx").mkdir(parents=True)
    if git == "dir":
        (repo / ".git").mkdir()
    elif git == "file":  # a worktree or submodule: .git is a file
        (repo / ".git").write_text("gitdir: /elsewhere/.git/worktrees/repo\n")
    (repo / "hosts" / "mx" / "main.cf").write_text(OPEN_RELAY)
    return repo


@pytest.mark.parametrize("git", ["dir", "file"])
def test_configuration_above_the_git_root_is_not_used(tmp_path: Path, git: str) -> None:
    (tmp_path / ".mtalint.yaml").write_text("ignore: [ALL]\n")
    (tmp_path / "pyproject.toml").write_text('[tool.mtalint]\nignore = ["ALL"]\n')
    repo = _repo(tmp_path, git)
    for cwd, target in ((repo, "hosts/mx"), (tmp_path, repo / "hosts" / "mx")):
        code, out, err = run_in(cwd, "check", "--format", "json", target)
        assert code == 1, err
        assert "MTA001" in {f["rule"] for f in json.loads(out)["findings"]}
        assert "using configuration" not in err
        assert "configuration" not in json.loads(out)


def test_configuration_above_the_current_folder_is_not_used_outside_git(
    tmp_path: Path,
) -> None:
    (tmp_path / ".mtalint.yaml").write_text("ignore: [ALL]\n")
    repo = _repo(tmp_path, git="none")
    code, out, err = run_in(repo, "check", "--format", "json", "hosts/mx")
    assert code == 1, err
    assert "MTA001" in {f["rule"] for f in json.loads(out)["findings"]}


def test_configuration_at_the_git_root_is_used_and_named(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".mtalint.yaml").write_text("ignore: [MTA001, open-relay]\n")
    code, out, err = run_in(repo / "hosts", "check", "--format", "json", "mx")
    doc = json.loads(out)
    assert "MTA001" not in {f["rule"] for f in doc["findings"]}
    config = str(repo / ".mtalint.yaml")
    assert f"mtalint: using configuration {config}" in err
    # which rules it switched off: on stderr and in the report
    assert f"mtalint: configuration {config} disables" in err and "MTA001" in err
    assert doc["configuration"]["file"] == config
    assert "MTA001" in doc["configuration"]["disabled_rules"]
    code, out, err = run_in(repo, "check", "--format", "sarif", "hosts/mx")
    sarif = json.loads(out)
    properties = sarif["runs"][0]["properties"]
    assert properties["mtalint/configuration"] == config
    assert "MTA001" in properties["mtalint/disabledRules"]
    from tests.report.schemas import sarif_schema, validator

    errors = list(validator(sarif_schema()).iter_errors(sarif))
    assert not errors, errors[0].message


def test_rules_the_command_line_leaves_out_are_not_counted_as_disabled(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".mtalint.yaml").write_text("ignore: [MTA001]\n")
    code, out, err = run_in(repo, "check", "--format", "json", "--ignore", "MTA001", "hosts/mx")
    assert json.loads(out)["configuration"]["disabled_rules"] == []
    assert "disables" not in err


# ---------------------------------------------------------------- values checked


@pytest.mark.parametrize(
    "content",
    [
        'formats: {"*": [postfix-main]}\n',
        'formats: {"*": {a: b}}\n',
        "formats: [postfix-main]\n",
        "limits: {max_file_size: [1]}\n",
        "limits: {nope: 3}\n",
        "limits: {max_file_size: 0}\n",
        "limits: [max_file_size]\n",
        "limits: {max_file_size: 5000000000}\n",
    ],
)
def test_bad_values_are_usage_errors(tmp_path: Path, content: str) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text(content)
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert ("formats" in content) == ("'formats'" in result.stderr)
    assert "limit" in result.stderr or "formats" in result.stderr


def test_limits_in_the_configuration_reach_the_readers(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / ".mtalint.yaml").write_text("limits: {max_file_size: 20}\n")
    code, doc = run(str(tmp_path))
    assert any("over the limit of 20 bytes" in f["message"] for f in doc["findings"])
    # the command line wins over the configuration
    code, doc = run("--limit", "max_file_size=1000", str(tmp_path))
    assert not any("over the limit" in f["message"] for f in doc["findings"])
    assert "MTA001" in rules_of(doc)


def test_limits_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    (tmp_path / "pyproject.toml").write_text("[tool.mtalint.limits]\nmax_file_size = 20\n")
    code, doc = run(str(tmp_path))
    assert any("over the limit of 20 bytes" in f["message"] for f in doc["findings"])


def test_rule_folders_of_the_configuration_are_named(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "policy").mkdir()
    (repo / ".mtalint.yaml").write_text("rules: [policy]\n")
    code, _, err = run_in(repo, "check", "hosts/mx")
    assert f"adds rules from {repo / 'policy'}" in err
