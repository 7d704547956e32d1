"""Everyday command-line habits and adoption in real repositories: telling mtalint what a
file is (--as, standard input, content), root-relative paths and baselines, stale
baseline entries, --statistics/--quiet/--no-fix, colour variables, rule ids in any case,
a closed pipe, a shallow clone with --diff-base, and the README's examples.

Every test runs the real command in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.paths import ROOT

EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]

OPEN_RELAY_MAIN = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
EXIM = (EXAMPLES / "exim" / "exim.conf").read_text(encoding="utf-8")


def mtalint(
    *args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {})
    proc = subprocess.run(
        [*MTALINT, *args],
        cwd=cwd,
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=environment,
        timeout=300,
    )
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository of mail configuration: hosts/h1 (Postfix, open relay), exim/."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "mail-config"
    (root / "hosts" / "h1").mkdir(parents=True)
    (root / "hosts" / "h1" / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    (root / "exim").mkdir()
    (root / "exim" / "exim.conf").write_text(EXIM, encoding="utf-8")
    git(root, "init", "--quiet")
    git(root, "config", "user.email", "test@example.com")
    git(root, "config", "user.name", "Test")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "fleet")
    return root


def rules_in(out: str) -> set[str]:
    return {f["rule"] for f in json.loads(out)["findings"]}


# ---------------------------------------------------------------- what a file is


def test_as_reads_a_file_of_any_name_as_that_format(tmp_path: Path) -> None:
    (tmp_path / "relay.txt").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    proc = mtalint("check", "--no-config", "--as", "postfix-main", "relay.txt", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "relay.txt:2:" in proc.stdout and "MTA001" in proc.stdout


def test_as_refuses_a_folder_and_an_unknown_format(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    proc = mtalint("check", "--no-config", "--as", "exim", "h", cwd=tmp_path)
    assert proc.returncode == 2 and "--as applies to files" in proc.stderr
    proc = mtalint("check", "--no-config", "--as", "qmail", "x", cwd=tmp_path)
    assert proc.returncode == 2 and "postfix-master" in proc.stderr


def test_standard_input_is_checked_under_the_name_given(tmp_path: Path) -> None:
    proc = mtalint(
        "check",
        "--no-config",
        "-",
        "--stdin-filename",
        "edge/main.cf",
        "--format",
        "json",
        cwd=tmp_path,
        stdin=OPEN_RELAY_MAIN.encode(),
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["files"] == ["edge/main.cf"]
    assert {f["path"] for f in doc["findings"]} == {"edge/main.cf"}
    assert "MTA001" in rules_in(proc.stdout)
    assert "mtalint-stdin" not in proc.stdout + proc.stderr  # the staging file is never shown


def test_standard_input_with_as_and_without_a_name(tmp_path: Path) -> None:
    proc = mtalint(
        "check", "--no-config", "--as", "exim", "-", "--stdin-filename", "relay", cwd=tmp_path,
        stdin=EXIM.encode(),
    )  # fmt: skip
    assert proc.returncode == 1 and "relay:25:3: MTA001" in proc.stdout, proc.stderr
    proc = mtalint("check", "--no-config", "-", cwd=tmp_path, stdin=EXIM.encode())
    assert proc.returncode == 2 and "--stdin-filename" in proc.stderr


def test_standard_input_is_bounded_by_the_file_size_limit(tmp_path: Path) -> None:
    big = OPEN_RELAY_MAIN.encode() + b"# padding\n" * 10_000
    proc = mtalint(
        "check", "--no-config", "--max-file-size", "1000", "-", "--stdin-filename", "main.cf",
        "--format", "json", cwd=tmp_path, stdin=big,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    messages = [f["message"] for f in json.loads(proc.stdout)["findings"]]
    assert any("over the limit of 1000 bytes" in m for m in messages), messages


@pytest.mark.parametrize(
    ("name", "content", "fmt", "rule"),
    [
        ("my-exim-relay.conf", EXIM, "exim", "MTA001"),
        ("edge-postfix.conf", OPEN_RELAY_MAIN, "postfix-main", "MTA001"),
        (
            "services.txt",
            "smtp      inet  n       -       y       -       -       smtpd\n"
            "  -o smtpd_helo_required=no\n",
            "postfix-master",
            None,
        ),
        (
            "export.txt",
            (FIXTURES / "hmailserver" / "hardened" / "hmailserver-settings.json").read_text(
                encoding="utf-8"
            ),
            "hmailserver-json",
            "MTA003",
        ),
    ],
)
def test_a_named_file_is_recognised_by_its_content(
    tmp_path: Path, name: str, content: str, fmt: str, rule: str | None
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    proc = mtalint("check", "--no-config", name, "--format", "json", cwd=tmp_path)
    assert proc.returncode in (0, 1), proc.stderr
    assert f"{name}: read as {fmt} (recognised by its content" in proc.stderr
    assert json.loads(proc.stdout)["files"] == [name]
    if rule:
        assert rule in rules_in(proc.stdout)


def test_content_of_two_mtas_is_ambiguous(tmp_path: Path) -> None:
    (tmp_path / "mixed.conf").write_text(
        "mynetworks = 127.0.0.0/8\nprimary_hostname = mx.example.com\n", encoding="utf-8"
    )
    proc = mtalint("check", "--no-config", "mixed.conf", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--as FORMAT" in proc.stderr and "hmailserver-json" in proc.stderr


def test_a_folder_walk_says_how_many_files_it_skipped(tmp_path: Path) -> None:
    (tmp_path / "mail" / "h1").mkdir(parents=True)
    (tmp_path / "mail" / "h1" / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    (tmp_path / "mail" / "my-exim-relay.conf").write_text(EXIM, encoding="utf-8")
    (tmp_path / "mail" / "notes.txt").write_text("not configuration\n", encoding="utf-8")
    proc = mtalint("check", "--no-config", "mail", cwd=tmp_path)
    assert proc.returncode == 1
    skipped = [line for line in proc.stderr.splitlines() if "skipped" in line]
    assert skipped == [
        "mtalint: mail: 1 file(s) with a configuration-like name not recognised and skipped "
        "(name them on the command line, with --as FORMAT if need be)"
    ]


def test_autoconf_configure_alone_is_nothing_to_check(tmp_path: Path) -> None:
    (tmp_path / "configure").write_text("#! /bin/sh\necho configuring\n", encoding="utf-8")
    proc = mtalint("check", "--no-config", "configure", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "not an Exim configuration; skipped" in proc.stderr


def test_pre_commit_hook_pattern_covers_every_format() -> None:
    hook = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    pattern = re.compile(hook["files"])
    covered = [
        "main.cf",
        "edge/master.cf",
        "exim/exim.conf",
        "exim4.conf.template",
        "usr/exim/configure",
        "exim4/conf.d/main/02_exim4-config_options",
        "exim4/conf.d/acl/30_exim4-config_check_rcpt",
        "mc/sendmail.mc",
        "hMailServer.INI",
        "backup/hMailServerBackup.xml",
        "HMBackup 2024-01-01.7z",
        "hmailserver-settings.json",
        "config/hmailserver/hmailserver-settings.json",
    ]
    assert [name for name in covered if not pattern.search(name)] == []
    left_alone = ["README.md", "main.cf.orig", "package.json", "conf.d/README", "x.mc"]
    assert [name for name in left_alone if pattern.search(name)] == []


# ---------------------------------------------------------------- root-relative paths


def test_sarif_paths_are_relative_to_the_project_root(repo: Path) -> None:
    proc = mtalint("check", "--no-config", "../exim", "--format", "sarif", cwd=repo / "hosts")
    run = json.loads(proc.stdout)["runs"][0]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert locations and all(
        loc == {"uri": "exim/exim.conf", "uriBaseId": "SRCROOT"} for loc in locations
    )
    assert run["artifacts"] == [{"location": {"uri": "exim/exim.conf", "uriBaseId": "SRCROOT"}}]


@pytest.mark.parametrize("fmt", ["json", "gitlab", "junit", "github"])
def test_machine_formats_are_root_relative_from_a_subfolder(repo: Path, fmt: str) -> None:
    proc = mtalint("check", "--no-config", "h1", "--format", fmt, cwd=repo / "hosts")
    assert "hosts/h1/main.cf" in proc.stdout
    assert not re.search(r"(?<![/\w])h1/main\.cf", proc.stdout), proc.stdout


def test_text_stays_relative_to_the_current_folder(repo: Path) -> None:
    proc = mtalint("check", "--no-config", "h1", cwd=repo / "hosts")
    assert proc.stdout.startswith("h1/main.cf:")


def test_project_root_option(repo: Path) -> None:
    proc = mtalint(
        "check", "--no-config", "h1", "--format", "json", "--project-root", ".",
        cwd=repo / "hosts",
    )  # fmt: skip
    assert json.loads(proc.stdout)["files"] == ["h1/main.cf"]


def test_a_baseline_written_at_the_root_holds_in_a_subfolder(repo: Path) -> None:
    written = mtalint(
        "check", "--no-config", "hosts", "exim", "--write-baseline", "base.json", cwd=repo
    )
    assert written.returncode == 0, written.stderr
    paths = {e["path"] for e in json.loads((repo / "base.json").read_text())["findings"]}
    assert paths == {"hosts/h1/main.cf", "exim/exim.conf"}
    proc = mtalint("check", "--no-config", "h1", "--baseline", "../base.json", cwd=repo / "hosts")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("0 findings")
    # and the other way round: written in a subfolder, used at the root
    mtalint("check", "--no-config", "h1", "--write-baseline", "sub.json", cwd=repo / "hosts")
    proc = mtalint("check", "--no-config", "hosts/h1", "--baseline", "hosts/sub.json", cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---------------------------------------------------------------- stale entries


def test_stale_entries_are_counted_once_and_listed_on_request(repo: Path) -> None:
    for i in range(2, 6):
        (repo / "hosts" / f"h{i}").mkdir()
        (repo / "hosts" / f"h{i}" / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    mtalint("check", "--no-config", "hosts", "--write-baseline", "base.json", cwd=repo)
    # a pre-commit run names one changed file: the other hosts' entries are not stale
    (repo / "hosts" / "h1" / "main.cf").write_text("compatibility_level = 3.6\n")
    proc = mtalint("check", "--no-config", "hosts/h1/main.cf", "--baseline", "base.json", cwd=repo)
    stale_lines = [line for line in proc.stderr.splitlines() if "no longer occur" in line]
    assert len(stale_lines) == 1, proc.stderr
    assert re.match(r"mtalint: \d+ baseline entr(y|ies) no longer occurs? ", stale_lines[0])
    assert "--show-stale" in stale_lines[0]
    count = int(stale_lines[0].split()[1])
    listed = mtalint(
        "check", "--no-config", "hosts/h1/main.cf", "--baseline", "base.json", "--show-stale",
        cwd=repo,
    )  # fmt: skip
    entries = [line for line in listed.stderr.splitlines() if "entry no longer occurs:" in line]
    assert len(entries) == count and all("hosts/h1/main.cf" in e for e in entries)
    # a removed file's entries are stale too
    shutil.rmtree(repo / "hosts" / "h5")
    proc = mtalint("check", "--no-config", "hosts/h2", "--baseline", "base.json", cwd=repo)
    assert "no longer occur" in proc.stderr


# ---------------------------------------------------------------- everyday habits


def test_statistics_counts_findings_per_rule(tmp_path: Path) -> None:
    for host in ("a", "b"):
        (tmp_path / host).mkdir()
        (tmp_path / host / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    full = mtalint("check", "--no-config", ".", "--format", "json", cwd=tmp_path)
    expected: dict[str, int] = {}
    for f in json.loads(full.stdout)["findings"]:
        expected[f["rule"]] = expected.get(f["rule"], 0) + 1
    proc = mtalint("check", "--no-config", ".", "--statistics", cwd=tmp_path)
    assert proc.returncode == 1
    got = {line.split()[1]: int(line.split()[0]) for line in proc.stdout.splitlines()}
    assert got == expected and got["MTA001"] == 2
    assert "Open relay" in proc.stdout
    counts = [int(line.split()[0]) for line in proc.stdout.splitlines()]
    assert counts == sorted(counts, reverse=True)


def test_quiet_and_no_fix(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    (tmp_path / ".mtalint.yaml").write_text("fail_on: error\n", encoding="utf-8")
    loud = mtalint("check", "main.cf", cwd=tmp_path)
    assert "    fix: " in loud.stdout and "finding" in loud.stdout.splitlines()[-1]
    no_fix = mtalint("check", "main.cf", "--no-fix", cwd=tmp_path)
    assert "fix:" not in no_fix.stdout
    assert no_fix.stdout.splitlines()[-1] == loud.stdout.splitlines()[-1]
    quiet = mtalint("check", "main.cf", "-q", cwd=tmp_path)
    finding_lines = [line for line in loud.stdout.splitlines() if re.match(r"main\.cf:\d", line)]
    assert quiet.stdout.splitlines() == finding_lines
    assert "using configuration" not in quiet.stderr
    assert quiet.returncode == loud.returncode == 1


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_rule_ids_in_any_case(tmp_path: Path, option: str) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    upper = mtalint("check", "--no-config", "main.cf", option, "MTA001,PF", "--format", "json",
                    cwd=tmp_path)  # fmt: skip
    lower = mtalint("check", "--no-config", "main.cf", option, "mta001,pf", "--format", "json",
                    cwd=tmp_path)  # fmt: skip
    assert lower.returncode == upper.returncode, lower.stderr
    assert rules_in(lower.stdout) == rules_in(upper.stdout)


def test_rules_and_explain_take_ids_in_any_case(tmp_path: Path) -> None:
    assert mtalint("rules", "--select", "mta016", cwd=tmp_path).stdout.startswith("MTA016 ")
    explained = mtalint("explain", "mta016", cwd=tmp_path)
    assert explained.returncode == 0 and explained.stdout.startswith("MTA016 ")


@pytest.mark.parametrize(
    ("env", "coloured"),
    [({}, False), ({"FORCE_COLOR": "1"}, True), ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False)],
)
def test_colour_variables(tmp_path: Path, env: dict[str, str], coloured: bool) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    proc = mtalint("check", "--no-config", "main.cf", cwd=tmp_path, env=env)
    assert ("\033[31m" in proc.stdout) is coloured


@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False)])
def test_no_color_on_a_terminal(tmp_path: Path, env: dict[str, str], coloured: bool) -> None:
    import pty

    (tmp_path / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen(
        [*MTALINT, "check", "--no-config", "main.cf"],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**environment, **env},
    )
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        output += chunk
    proc.wait(timeout=120)
    os.close(leader)
    assert (b"\033[31m" in output) is coloured


def test_no_color_over_color_option_is_the_option(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(OPEN_RELAY_MAIN, encoding="utf-8")
    proc = mtalint(
        "check", "--no-config", "main.cf", "--color", cwd=tmp_path, env={"NO_COLOR": "1"}
    )
    assert "\033[31m" in proc.stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    command = " ".join(shlex.quote(part) for part in MTALINT) + " rules | head -1"
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.count("\n") == 1
    assert proc.stderr == "", proc.stderr
    # 141 as a process ended by SIGPIPE; 0 when all of it fitted in the pipe before
    # head closed it (the listing is smaller than a pipe buffer): quiet either way
    assert proc.returncode in (0, 141)


def test_diff_base_in_a_shallow_clone_says_what_to_fetch(repo: Path, tmp_path: Path) -> None:
    (repo / "hosts" / "h1" / "main.cf").write_text(OPEN_RELAY_MAIN + "# second\n")
    git(repo, "commit", "--quiet", "-am", "second")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", repo.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    proc = mtalint("check", "--no-config", "hosts", "--diff-base", "HEAD~1", cwd=clone)
    assert proc.returncode == 2
    assert "shallow" in proc.stderr and "git fetch" in proc.stderr
    assert "rev-parse" not in proc.stderr


# ---------------------------------------------------------------- README


def test_readme_suppression_example_names_the_rule_it_suppresses(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Suppressing findings", 1)[1].split("\n## ", 1)[0]
    example = section.split("```", 2)[1].strip("\n")
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\nmyhostname = mx.example.com\n" + example + "\n"
    )
    proc = mtalint("check", "--no-config", "main.cf", "--format", "json", cwd=tmp_path)
    # the example's suppression is used: no "unused suppression" finding, no MTA016
    assert "MTL002" not in rules_in(proc.stdout)
    assert "MTA016" not in rules_in(proc.stdout)


def test_readme_links_stay_inside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)#\s]+)", readme) + re.findall(r"`(\.\./[^`]+)`", readme)
    local = [t for t in targets if "://" not in t and not t.startswith("mailto:")]
    outside = [t for t in local if not (ROOT / t).resolve().is_relative_to(ROOT)]
    missing = [t for t in local if t not in outside and not (ROOT / t).exists()]
    assert outside == [] and missing == []
