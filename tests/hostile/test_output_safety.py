"""What ``-o``, ``--write-baseline`` and ``--baseline`` do to the files they name.

A CI job often runs as root: a rename over ``/dev/null`` there replaces the system's
device node with a regular file. Devices and FIFOs are written through, links keep
pointing where they pointed, the files being checked are never overwritten, modes are
kept, and a baseline that is not a regular file is refused without reading it.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

import linter
from linter.cli import main
from linter.output import OutputError, shown, write_atomically
from linter.source import read_limited

OPEN_RELAY = "compatibility_level = 3.6\nmynetworks = 0.0.0.0/0\n"
MTALINT = [sys.executable, "-c", "import sys; from linter.cli import main; sys.exit(main())"]
# the subprocesses import the same linter package as this test
ROOT = Path(linter.__file__).resolve().parent.parent


def run(args: list[str | Path], cwd: Path) -> tuple[int, str, str]:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(previous)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.cf").write_text(OPEN_RELAY)
    return tmp_path


def is_report(data: bytes) -> bool:
    return json.loads(data)["findings"] != []


# ---------------------------------------------------------------- devices, FIFOs, links

_SYSTEM_LINKS = {"/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}


@pytest.fixture()
def system_nodes_kept():
    """Fails a test that replaced /dev/null or /dev/std*, and, as root, puts them back
    (a broken build must not leave the machine without them)."""
    yield
    broken = []
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        broken.append("/dev/null")
        if os.geteuid() == 0:
            os.unlink("/dev/null")
            os.mknod("/dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
            os.chmod("/dev/null", 0o666)
    for name, target in _SYSTEM_LINKS.items():
        if not os.path.islink(name):
            broken.append(name)
            if os.geteuid() == 0:
                os.unlink(name)
                os.symlink(target, name)
    assert not broken, f"replaced {broken} (put back)"


@pytest.mark.usefixtures("system_nodes_kept")
def test_dev_null_stays_a_character_device(project: Path) -> None:
    before = os.stat("/dev/null")
    code, _, err = run(["check", "main.cf", "-o", "/dev/null"], project)
    assert code == 1, err
    code, _, err = run(["check", "main.cf", "--write-baseline", "/dev/null"], project)
    assert code == 0, err
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_character_device_is_written_through_not_replaced(project: Path, option: str) -> None:
    node = project / "null"
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own
    code, _, err = run(["check", "main.cf", "--format", "json", option, node], project)
    assert code in (0, 1), err
    info = os.lstat(node)
    assert stat.S_ISCHR(info.st_mode), "the device node was replaced by a regular file"
    assert info.st_rdev == os.makedev(1, 3)


def _read_fifo(path: Path, into: list[bytes]) -> threading.Thread:
    def reader() -> None:
        with open(path, "rb") as handle:
            into.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    time.sleep(0.2)  # the reader is waiting in open() before the writer comes
    return thread


@pytest.mark.parametrize("option", ["-o", "--write-baseline"])
def test_fifo_is_written_through(project: Path, option: str) -> None:
    fifo = project / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = _read_fifo(fifo, received)
    code, _, err = run(["check", "main.cf", "--format", "json", option, fifo], project)
    thread.join(10)
    assert code in (0, 1), err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and json.loads(received[0])["findings"]


def test_fifo_without_reader_is_an_error_not_a_hang(project: Path) -> None:
    os.mkfifo(project / "pipe")
    proc = subprocess.run(
        [*MTALINT, "check", "main.cf", "-o", "pipe"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "no process is reading the FIFO pipe" in proc.stderr
    assert stat.S_ISFIFO(os.lstat(project / "pipe").st_mode)


@pytest.mark.usefixtures("system_nodes_kept")
@pytest.mark.parametrize("name", ["/dev/stdout", "out"])
def test_standard_output_by_name_or_link(project: Path, name: str) -> None:
    (project / "out").symlink_to("/proc/self/fd/1")
    command = [*MTALINT, "check", "main.cf", "--format", "json", "-o", name]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # standard output a pipe
    proc = subprocess.run(command, cwd=project, capture_output=True, env=env, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert is_report(proc.stdout)
    assert b"mtalint: wrote " in proc.stderr and name.encode() in proc.stderr
    # standard output a file
    with open(project / "captured", "wb") as handle:
        proc = subprocess.run(
            command, cwd=project, stdout=handle, stderr=subprocess.PIPE, env=env, timeout=60
        )
    assert proc.returncode == 1, proc.stderr
    assert is_report((project / "captured").read_bytes())
    assert (project / "out").is_symlink()


def test_symlink_target_is_written_and_the_link_kept(project: Path) -> None:
    (project / "reports").mkdir()
    target = project / "reports" / "real.json"
    target.write_text("old")
    link = project / "latest.json"
    link.symlink_to("reports/real.json")
    code, _, err = run(["check", "main.cf", "--format", "json", "-o", "latest.json"], project)
    assert code == 1, err
    assert link.is_symlink() and os.readlink(link) == "reports/real.json"
    assert is_report(target.read_bytes())
    assert "wrote" in err and "real.json" in err and "latest.json" in err


def test_dangling_symlink_creates_its_target(project: Path) -> None:
    link = project / "out.json"
    link.symlink_to("made.json")
    code, _, err = run(["check", "main.cf", "--format", "json", "-o", "out.json"], project)
    assert code == 1, err
    assert link.is_symlink() and is_report((project / "made.json").read_bytes())


def test_folder_is_refused(project: Path) -> None:
    (project / "dir").mkdir()
    code, _, err = run(["check", "main.cf", "--write-baseline", "dir"], project)
    assert code == 2 and "dir" in err


# ---------------------------------------------------------------- the inputs are not outputs


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--format", "sarif", "-o", "main.cf", "master.cf"],
        ["check", ".", "-o", "master.cf"],
        ["check", ".", "--write-baseline", "main.cf"],
        ["check", ".", "-o", "alias.cf"],  # a hard link to main.cf
        ["check", ".", "-o", "link.cf"],  # a symbolic link to main.cf
        ["report", ".", "--format", "md", "-o", "main.cf"],
        ["parse", "main.cf", "-o", "main.cf"],
        ["check", ".", "--baseline", "base.json", "-o", "base.json"],
        ["check", ".", "--config", "conf.yaml", "-o", "conf.yaml"],
    ],
)
def test_a_file_being_checked_is_never_overwritten(project: Path, args: list[str]) -> None:
    (project / "master.cf").write_text("smtp inet n - y - - smtpd\n")
    os.link(project / "main.cf", project / "alias.cf")
    (project / "link.cf").symlink_to("main.cf")
    baseline = '{"tool": "mtalint", "format": 1, "findings": []}'
    (project / "base.json").write_text(baseline)
    (project / "conf.yaml").write_text("fail_on: error\n")
    code, _, err = run(args, project)
    assert code == 2, err
    assert "being checked" in err
    assert (project / "main.cf").read_text() == OPEN_RELAY
    assert (project / "master.cf").read_text() == "smtp inet n - y - - smtpd\n"
    assert (project / "base.json").read_text() == baseline
    assert (project / "conf.yaml").read_text() == "fail_on: error\n"


# ---------------------------------------------------------------- modes and names


def test_new_report_honours_the_umask(project: Path) -> None:
    old = os.umask(0o027)
    try:
        code, _, err = run(["check", "main.cf", "-o", "report.txt"], project)
    finally:
        os.umask(old)
    assert code == 1, err
    assert stat.S_IMODE(os.stat(project / "report.txt").st_mode) == 0o640


def test_existing_report_keeps_its_mode(project: Path) -> None:
    report = project / "report.txt"
    report.write_text("old")
    report.chmod(0o664)
    code, _, err = run(["check", "main.cf", "-o", "report.txt"], project)
    assert code == 1, err
    assert stat.S_IMODE(report.stat().st_mode) == 0o664
    assert "MTA001" in report.read_text()
    assert sorted(p.name for p in project.iterdir()) == ["main.cf", "report.txt"]


def test_longest_name_the_file_system_allows(project: Path) -> None:
    name = "r" * os.pathconf(project, "PC_NAME_MAX")
    code, _, err = run(["check", "main.cf", "-o", name], project)
    assert code == 1, err
    assert "MTA001" in (project / name).read_text()
    assert f"mtalint: wrote {name}" in err


def test_output_is_announced_on_stderr(project: Path) -> None:
    code, out, err = run(["check", "main.cf", "--format", "json", "-o", "r.json"], project)
    assert code == 1 and out == ""
    assert "mtalint: wrote r.json" in err


# ---------------------------------------------------------------- names that are not UTF-8


def test_non_utf8_names_are_written_and_shown_escaped(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/host\xff"
    os.mkdir(folder)
    with open(folder + b"/main.cf", "w") as handle:
        handle.write(OPEN_RELAY)
    name = os.fsdecode(b"host\xff")
    out = os.fsdecode(b"report\xfe.json")
    code, _, err = run(["check", name, "--format", "json", "-o", out], tmp_path)
    assert code == 1, err
    report = (tmp_path / out).read_bytes()
    report.decode("utf-8")  # the report is UTF-8 whatever the names
    assert json.loads(report)["findings"]
    assert "mtalint: wrote report\\xfe.json" in err
    base = os.fsdecode(b"base\xfd.json")
    code, _, err = run(["check", name, "--write-baseline", base], tmp_path)
    assert code == 0, err
    json.loads((tmp_path / base).read_bytes().decode("utf-8"))
    assert "to base\\xfd.json" in err


def test_shown_escapes_control_characters_and_undecodable_bytes() -> None:
    assert shown(os.fsdecode(b"a\xffb\x1b[31m\n")) == "a\\xffb\\x1b[31m\\x0a"


def test_write_atomically_refuses_a_protected_file(tmp_path: Path) -> None:
    target = tmp_path / "main.cf"
    target.write_text("keep")
    with pytest.raises(OutputError):
        write_atomically(target, "report", protected=[target])
    assert target.read_text() == "keep"


# ---------------------------------------------------------------- --baseline is read safely


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_baseline_from_a_device_is_refused(project: Path, device: str) -> None:
    code, _, err = run(["check", "main.cf", "--baseline", device], project)
    assert code == 2, err
    assert "not a regular file" in err


def test_baseline_from_a_fifo_is_refused_without_waiting(project: Path) -> None:
    os.mkfifo(project / "base.json")
    proc = subprocess.run(
        [*MTALINT, "check", "main.cf", "--baseline", "base.json"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr


def test_deeply_nested_baseline_is_a_usage_error(project: Path) -> None:
    (project / "base.json").write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = run(["check", "main.cf", "--baseline", "base.json"], project)
    assert code == 2, err
    assert "base.json" in err


def test_huge_baseline_is_refused_after_the_limit(project: Path) -> None:
    with open(project / "base.json", "wb") as handle:
        handle.truncate(5 * 1024 * 1024 * 1024)  # sparse: no disk space used
    code, _, err = run(["check", "main.cf", "--baseline", "base.json"], project)
    assert code == 2, err
    assert "larger than" in err


# ---------------------------------------------------------------- limits


@pytest.mark.parametrize("value", ["3000000000", "1e20", "99999999999999999999999", "0"])
def test_max_file_size_is_capped(project: Path, value: str) -> None:
    code, _, err = run(["check", "main.cf", "--max-file-size", value], project)
    assert code == 2, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("limit", "said"),
    [
        ("nope=1", "unknown limit 'nope'; known: max_file_size"),
        ("max_file_size=0", "must be at least 1"),
        ("max_file_size=x", "must be a positive whole number"),
        ("max_file_size", "use NAME=VALUE"),
        ("=3", "use NAME=VALUE"),
        ("max_file_size=3000000000", "at most"),
    ],
)
def test_bad_limit_is_a_usage_error(project: Path, limit: str, said: str) -> None:
    for command in (["check", "main.cf"], ["report", "main.cf"], ["parse", "main.cf"]):
        code, _, err = run([*command, "--limit", limit], project)
        assert code == 2, (command, err)
        assert said in err, (command, err)


@pytest.mark.parametrize(
    "args",
    [
        ["--limit", "max_file_size=20"],
        ["--limit", "max-file-size=20"],
        ["--max-file-size", "20"],
        ["--max-file-size", "100000", "--limit", "max_file_size=20"],
    ],
)
def test_limit_reaches_the_readers(project: Path, args: list[str]) -> None:
    code, out, err = run(["check", "main.cf", "--format", "json", *args], project)
    messages = [f["message"] for f in json.loads(out)["findings"]]
    assert any("over the limit of 20 bytes" in m for m in messages), (messages, err)


def test_parse_takes_limits(project: Path) -> None:
    code, out, err = run(["parse", "main.cf", "--limit", "max_file_size=20"], project)
    assert "over the limit of 20 bytes" in out + err


def test_reader_does_not_allocate_the_limit(tmp_path: Path) -> None:
    small = tmp_path / "main.cf"
    small.write_bytes(b"x" * 100_000)
    tracemalloc.start()
    try:
        data = read_limited(small, "main.cf", 1 << 31)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert data == b"x" * 100_000
    assert peak < 16 * 1024 * 1024, peak


def test_limit_reaches_a_reader_through_the_options(tmp_path: Path) -> None:
    # --limit and limits: reach Options.limits, which each MTA reader consults
    (tmp_path / "main.cf").write_text("a = 0123456789\nb = $a$a$a$a\nmyhostname = $b\n")
    code, out, err = run(
        ["check", "main.cf", "--format", "json", "--limit", "postfix_expansion_size=20"], tmp_path
    )
    assert [f["line"] for f in json.loads(out)["findings"] if f["rule"] == "MTL005"] == [2], err
    code, out, err = run(["check", "main.cf", "--format", "json"], tmp_path)
    assert "MTL005" not in {f["rule"] for f in json.loads(out)["findings"]}
    (tmp_path / ".mtalint.yaml").write_text("limits: {postfix_expansion_size: 20}\n")
    code, out, err = run(["check", "main.cf", "--format", "json"], tmp_path)
    assert "MTL005" in {f["rule"] for f in json.loads(out)["findings"]}
