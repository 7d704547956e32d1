"""Hostile input: every case gives findings or a clear error, never a traceback or a hang,
and never the content of a file outside the checked tree.

Each case runs the real command line in a subprocess with a time limit, so a hang fails
the test instead of stalling the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.paths import FIXTURES, ROOT

TIME_LIMIT = 30

CASES: dict[str, tuple[str, bytes]] = {
    "nul": ("main.cf", b"myhostname = a\x00b\n"),
    "random-binary": ("main.cf", bytes(range(256)) * 16),
    "latin-1": ("main.cf", "smtpd_banner = caf\xe9 ESMTP\n".encode("latin-1")),
    "utf-16-bom": ("main.cf", "myhostname = a\n".encode("utf-16")),
    "utf-16-no-bom": ("main.cf", "myhostname = a\n".encode("utf-16-le")),
    "crlf": ("main.cf", b"myhostname = a\r\nmydomain = b\r\n"),
    "5mb-line": ("main.cf", b"myhostname = " + b"a" * 5_000_000 + b"\n"),
    "deep-braces": ("main.cf", b"smtpd_recipient_restrictions = " + b"{" * 10_000 + b"\n"),
    "deep-expansion": ("main.cf", b"x = " + b"${" * 10_000 + b"\ny = $x\n"),
    "unterminated-brace": ("main.cf", b"smtpd_client_restrictions = { check_client_access\n"),
    "master-garbage": ("master.cf", b"smtp inet n - n - - smtpd\n  -o\n" + b"{" * 5000 + b"\n"),
    "exim-deep-expansion": (
        "exim.conf",
        b"primary_hostname = a\nsmtp_banner = " + b"${" * 10_000 + b"\n",
    ),
    "exim-ifdef-unclosed": ("exim.conf", b".ifdef FOO\nprimary_hostname = a\n"),
    "exim-quote-unclosed": ("exim.conf", b'smtp_banner = "abc\n'),
    "exim-include-itself": ("exim.conf", b".include exim.conf\n"),
    "exim-macro-chain": ("exim.conf", b"A = B B\nB = A A\nC = C C\nprimary_hostname = A C\n"),
    "m4-deep-quotes": ("sendmail.mc", b"define(`A', " + b"`" * 10_000 + b")\n"),
    "m4-endless-expansion": ("sendmail.mc", b"define(`A', `A A')dnl\nA\nMAILER(`smtp')dnl\n"),
    "m4-unclosed-quote": ("sendmail.mc", b"define(`confFOO', `bar\nMAILER(`smtp')dnl\n"),
    "xml-billion-laughs": (
        "hMailServerBackup.xml",
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">'.encode()
            for i in range(9)
        )
        + b"]><Backup>&a8;</Backup>",
    ),
    "xml-external-entity": (
        "hMailServerBackup.xml",
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<Backup><BackupInformation>&x;</BackupInformation></Backup>",
    ),
    "json-nesting": ("export.json", b'{"Settings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
}


def mtalint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_gives_findings_not_a_crash(case: str, tmp_path: Path) -> None:
    name, data = CASES[case]
    (tmp_path / name).write_bytes(data)
    start = time.monotonic()
    proc = mtalint("check", name, "--format", "json", cwd=tmp_path)
    elapsed = time.monotonic() - start
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output and "internal error" not in output, output[-2000:]
    assert proc.returncode in (0, 1, 2), output[-2000:]
    assert elapsed < TIME_LIMIT
    assert "root:x:0:0" not in output  # no external entity was resolved


REGRESSIONS = FIXTURES / "fuzz-regressions"


@pytest.mark.parametrize(
    "folder", sorted(p for p in REGRESSIONS.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_inputs_the_fuzzer_found(folder: Path, tmp_path: Path) -> None:
    # each folder holds one input that once made a reader raise (fuzz/run.sh saves them)
    proc = mtalint("check", str(folder), "--format", "json", cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert "internal error" not in output and "Traceback" not in output, output[-2000:]
    assert proc.returncode in (0, 1)
    # the input must really be read as its format, or the test proves nothing
    assert json.loads(proc.stdout)["files"], output[-2000:]


def test_a_200_mb_file_is_refused_quickly_with_bounded_memory(tmp_path: Path) -> None:
    big = tmp_path / "main.cf"
    with big.open("wb") as handle:
        handle.seek(200 * 1024 * 1024 - 1)
        handle.write(b"\n")
    code = (
        "import resource, subprocess, sys\n"
        "p = subprocess.run([sys.executable, '-m', 'linter', 'check', 'main.cf'],"
        " capture_output=True, text=True)\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(p.returncode, rss)\n"
        "print(p.stdout)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    first, _, rest = proc.stdout.partition("\n")
    returncode, rss_kb = (int(x) for x in first.split())
    assert returncode == 1
    assert "over the limit" in rest and "--max-file-size" in rest
    assert rss_kb < 200 * 1024, f"{rss_kb} kB resident: the file was read"


def test_a_link_to_a_device_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "main.cf").symlink_to("/dev/zero")
    proc = mtalint("check", "main.cf", cwd=tmp_path)
    assert proc.returncode == 2 and "not a regular file" in proc.stderr


def test_links_out_of_the_tree_are_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "data").write_text("myhostname = leaked-secret-value\n")
    repo = tmp_path / "repo"
    (repo / "host").mkdir(parents=True)
    (repo / "host" / "main.cf").symlink_to(secret / "data")
    proc = mtalint("check", "repo", "--format", "json", cwd=tmp_path)
    assert "leaked-secret-value" not in proc.stdout + proc.stderr
    assert "outside" in proc.stderr


def test_links_out_of_the_tree_are_not_followed_from_a_named_file(tmp_path: Path) -> None:
    # pre-commit names the changed file; its main.cf sibling, or the file itself, is a
    # link to a secret outside the repository
    secret = tmp_path / "secret"
    secret.write_text("aws_secret_access_key = leaked-secret-value\n")
    host = tmp_path / "repo" / "host"
    host.mkdir(parents=True)
    (host / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    (host / "main.cf").symlink_to(secret)
    for name in ("host/master.cf", "host/main.cf"):
        proc = mtalint("check", name, "--format", "json", cwd=tmp_path / "repo")
        assert "leaked-secret-value" not in proc.stdout + proc.stderr
        assert "host/main.cf: a link to a file outside" in proc.stderr
        assert proc.returncode == 2


def test_a_fifo_in_a_scanned_folder_does_not_hang(tmp_path: Path) -> None:
    for name in ("main.cf", "configure", "x.mc", "hMailServer.INI", "export.json"):
        os.mkfifo(tmp_path / name)
    proc = mtalint("check", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "not a regular file (a FIFO)" in proc.stderr


def test_exim_includes_stay_in_the_tree(tmp_path: Path) -> None:
    secret = tmp_path / "secret.conf"
    secret.write_text("smtp_banner = leaked-secret-value\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "inc.conf").symlink_to(secret)
    (repo / "exim.conf").write_text(
        f".include {repo / 'inc.conf'}\n.include {secret}\nprimary_hostname = a\n"
    )
    proc = mtalint("check", "repo", "--format", "json", cwd=tmp_path)
    output = proc.stdout + proc.stderr
    assert "leaked-secret-value" not in output
    assert "outside the configuration tree" in output


CATASTROPHIC_REGEX_RULE = """\
id: XX002
name: x.y
title: catastrophic regex
severity: error
class: broken
applies_to: [any]
tags: [no-concept]
when:
  all:
    - {fact: mta, matches: '^(a+)+(?!b)$'}
message: "a message long enough"
rationale: "a rationale that is long enough to pass the schema checks"
fix: {any: "a fix that is long enough"}
references: [{type: other, id: x}]
tests:
  - {name: a, expect: trigger, files: {main.cf: "x = 1"}}
  - {name: b, expect: pass, files: {main.cf: "x = 1"}}
"""


def test_hostile_rule_files_are_refused(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    # YAML alias expansion ("billion laughs") and a regex that backtracks exponentially
    laughs = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (rules / "XX001.yaml").write_text(laughs)
    (rules / "XX002.yaml").write_text(CATASTROPHIC_REGEX_RULE)
    for rule in ("XX001", "XX002"):
        folder = tmp_path / rule
        folder.mkdir()
        (rules / f"{rule}.yaml").rename(folder / f"{rule}.yaml")
        start = time.monotonic()
        proc = mtalint("rules", "--check", str(folder), cwd=tmp_path)
        assert time.monotonic() - start < TIME_LIMIT
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0 and "Traceback" not in output
        assert rule in output
        if rule == "XX002":
            assert "linear time" in output  # refused: RE2 cannot run a look-ahead
