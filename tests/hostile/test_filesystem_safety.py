"""How mtalint finds and opens files in a hostile repository.

A CI job runs mtalint as root on a repository someone else controls: a configuration
file may be a link to a credentials file, a FIFO, an unreadable folder, or be swapped
for a link after the folder walk. Each case builds such a tree in a temporary folder and
runs the real command line in a subprocess with a time limit (a hang fails the test).

The confinement root (linter.discover.confinement_root): a folder named on the command
line confines what is read under it; a named file is confined to the git work tree that
holds it, or to its own folder when it is in none.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.paths import ROOT

TIME_LIMIT = 60
SECRET = "AKIAVERYSECRETVALUE0123"


def mtalint(
    *args: str, cwd: Path, as_user: str | None = None, timeout: float = TIME_LIMIT
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "linter", *args]
    if as_user is not None:
        command = ["setpriv", f"--reuid={as_user}", "--regid=nogroup", "--clear-groups", *command]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"},
    )


def no_crash(proc: subprocess.CompletedProcess[str]) -> str:
    output = proc.stdout + proc.stderr
    assert "internal error" not in output and "Traceback" not in output, output[-3000:]
    return output


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repository with a Postfix host whose main.cf is a link to a secret outside."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "credentials").write_text(
        f"aws_access_key_id = AKIAIDENTITY\naws_secret_access_key = {SECRET}\n"
    )
    host = tmp_path / "repo" / "host"
    host.mkdir(parents=True)
    (host / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    (host / "main.cf").symlink_to(tmp_path / "secrets" / "credentials")
    return tmp_path / "repo"


# ---------------------------------------------------------------- item 5: links out


def test_the_sibling_of_a_named_file_is_not_read_through_a_link_out(tree: Path) -> None:
    # pre-commit passes the changed file: host/master.cf; its sibling main.cf joins
    proc = mtalint("check", "host/master.cf", cwd=tree)
    output = no_crash(proc)
    assert SECRET not in output and "aws_secret_access_key" not in output
    assert "host/main.cf: a link to a file outside" in proc.stderr
    assert proc.returncode == 2


def test_a_named_link_out_of_the_tree_is_not_read(tree: Path) -> None:
    proc = mtalint("check", "host/main.cf", "--format", "json", cwd=tree)
    output = no_crash(proc)
    assert SECRET not in output and "aws_secret_access_key" not in output
    assert "a link to a file outside" in proc.stderr
    assert proc.returncode == 2


def test_in_a_git_work_tree_links_inside_the_repository_are_followed(tree: Path) -> None:
    # the root of a named file is the work tree: a link to a shared main.cf elsewhere in
    # the repository is read; the link out of it still is not
    git(tree, "init", "-q")
    (tree / "common").mkdir()
    (tree / "common" / "main.cf").write_text("smtpd_tls_securty_level = may\n")
    inside = tree / "inside"
    inside.mkdir()
    (inside / "main.cf").symlink_to("../common/main.cf")
    (inside / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    proc = mtalint("check", "inside/master.cf", "--format", "json", cwd=tree)
    no_crash(proc)
    assert proc.returncode == 1, proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert "inside/main.cf" in files and "inside/master.cf" in files
    proc = mtalint("check", "host/master.cf", cwd=tree)
    assert SECRET not in no_crash(proc)
    assert "host/main.cf: a link to a file outside the current folder" in proc.stderr


def test_the_value_of_an_unused_parameter_is_not_echoed(tmp_path: Path) -> None:
    # a credential pasted into main.cf by mistake: the name is enough to fix a typo
    (tmp_path / "main.cf").write_text(
        f"compatibility_level = 3.6\naws_secret_access_key = {SECRET}\n"
        "smtpd_tls_securty_level = may\n"
    )
    proc = mtalint("check", "main.cf", "--format", "json", cwd=tmp_path)
    output = no_crash(proc)
    assert SECRET not in output
    messages = [f["message"] for f in json.loads(proc.stdout)["findings"] if f["rule"] == "PF001"]
    assert any("aws_secret_access_key" in m for m in messages), messages
    assert any("smtpd_tls_securty_level" in m and "smtpd_tls_security_level" in m for m in messages)
    assert not any("= may" in m or "=may" in m for m in messages), messages


HMAIL_INI = "[Security]\nAdministratorPassword={}\n[Database]\nType=MSSQL\nPasswordEncryption=1\n"


def test_hmailserver_ini_partners_stay_in_the_tree(tmp_path: Path) -> None:
    outside = tmp_path / "stolen.ini"
    outside.write_text(HMAIL_INI.format(SECRET))
    folder = tmp_path / "repo" / "hmail"
    folder.mkdir(parents=True)
    (folder / "hMailServer.INI").write_text(HMAIL_INI.format("5e94076503481d9bd1bf5e05661aa644"))
    (folder / "a.ini").symlink_to(outside)  # sorts before hMailServer.INI
    proc = mtalint("check", "hmail/hMailServer.INI", "--format", "json", cwd=tmp_path / "repo")
    output = no_crash(proc)
    assert SECRET not in output
    assert "hmail/a.ini: a link to a file outside" in proc.stderr
    assert json.loads(proc.stdout)["files"] == ["hmail/hMailServer.INI"]


def test_hmailserver_reads_hmailserver_ini_before_another_ini(tmp_path: Path) -> None:
    # an old copy in the folder sorts first; hMailServer reads hMailServer.INI
    (tmp_path / "a-old.ini").write_text(HMAIL_INI.format("copy"))
    (tmp_path / "hMailServer.INI").write_text(HMAIL_INI.format("real"))
    proc = mtalint("parse", ".", cwd=tmp_path)
    no_crash(proc)
    doc = json.loads(proc.stdout)
    models = doc if isinstance(doc, list) else [doc]
    ini = models[0]["hmailserver"]["ini"]
    assert ini["Security"]["AdministratorPassword"]["value"] == "real"


def test_a_file_swapped_for_a_link_after_discovery_is_not_read(tree: Path) -> None:
    # the race: the folder walk sees a regular main.cf, then the repository swaps it
    # for a link to the secret before the reader opens it
    from linter.check import analyse_set
    from linter.discover import discover
    from linter.mta import Options

    main = tree / "host" / "main.cf"
    main.unlink()
    main.write_text("myhostname = mail.example.org\n")
    sets, problems = discover([tree])
    assert problems == [] and len(sets) == 1
    main.unlink()
    main.symlink_to(tree.parent / "secrets" / "credentials")
    analysis = analyse_set(sets[0], Options())
    text = json.dumps(analysis.model) + repr(analysis.diagnostics)
    assert SECRET not in text
    assert any(d.kind == "input-error" and "outside" in d.message for d in analysis.diagnostics), (
        analysis.diagnostics
    )


def test_a_folder_swapped_for_a_link_after_discovery_is_not_read(tree: Path) -> None:
    # the same race one level up: host/ becomes a link to a folder of secrets
    from linter.check import analyse_set
    from linter.discover import discover
    from linter.mta import Options

    main = tree / "host" / "main.cf"
    main.unlink()
    main.write_text("myhostname = mail.example.org\n")
    sets, _ = discover([tree])
    stolen = tree.parent / "stolen"
    stolen.mkdir()
    (stolen / "main.cf").write_text(f"leak = {SECRET}\n")
    (stolen / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    shutil.rmtree(tree / "host")
    (tree / "host").symlink_to(stolen)
    analysis = analyse_set(sets[0], Options())
    assert SECRET not in json.dumps(analysis.model) + repr(analysis.diagnostics)


def test_an_exim_include_swapped_for_a_fifo_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "exim.conf").write_text(f".include {tmp_path / 'inc.conf'}\nprimary_hostname = a\n")
    os.mkfifo(tmp_path / "inc.conf")
    proc = mtalint("check", "exim.conf", cwd=tmp_path, timeout=30)
    output = no_crash(proc)
    assert "inc.conf" in output and "not a regular file (a FIFO)" in output


def test_a_sendmail_include_of_a_fifo_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "sendmail.mc").write_text(
        "include(`/usr/share/sendmail/cf/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\n"
        "include(`local.m4')dnl\nMAILER(`smtp')dnl\n"
    )
    os.mkfifo(tmp_path / "local.m4")
    proc = mtalint("check", "sendmail.mc", cwd=tmp_path, timeout=30)
    output = no_crash(proc)
    assert "local.m4" in output and "not a regular file (a FIFO)" in output


# ---------------------------------------------------------------- item 6: FIFOs


FIFO_NAMES = ["main.cf", "configure", "relay.mc", "hMailServer.INI", "other.INI", "export.json"]


def test_fifos_in_a_folder_are_reported_not_opened(tmp_path: Path) -> None:
    folder = tmp_path / "repo"
    folder.mkdir()
    for name in FIFO_NAMES:
        os.mkfifo(folder / name)
    (folder / "sub").mkdir()
    (folder / "sub" / "main.cf").write_text("myhostname = mail.example.org\n")
    proc = mtalint("check", "repo", cwd=tmp_path, timeout=30)
    no_crash(proc)
    for name in FIFO_NAMES:
        assert f"repo/{name}: not a regular file (a FIFO); not read" in proc.stderr
    assert proc.returncode == 2


@pytest.mark.parametrize("name", ["main.cf", "configure", "relay.mc", "other.INI", "x.json"])
def test_a_fifo_named_on_the_command_line_is_refused(name: str, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / name)
    proc = mtalint("check", name, cwd=tmp_path, timeout=30)
    no_crash(proc)
    assert f"{name}: not a regular file or folder (a FIFO)" in proc.stderr
    assert proc.returncode == 2


def test_a_fifo_sibling_of_a_named_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    os.mkfifo(tmp_path / "main.cf")
    proc = mtalint("check", "master.cf", cwd=tmp_path, timeout=30)
    no_crash(proc)
    assert "main.cf: not a regular file (a FIFO); not read" in proc.stderr
    assert proc.returncode == 2


def test_a_fifo_in_a_debian_exim_conf_d_does_not_hang(tmp_path: Path) -> None:
    conf_d = tmp_path / "conf.d"
    for part in ("main", "acl"):
        (conf_d / part).mkdir(parents=True)
    (conf_d / "main" / "01_main").write_text("primary_hostname = a\n")
    os.mkfifo(conf_d / "main" / "02_fifo")
    proc = mtalint("check", "conf.d", cwd=tmp_path, timeout=30)
    output = no_crash(proc)
    assert "02_fifo" in output and "not a regular file (a FIFO)" in output


# ---------------------------------------------------------------- item 7: unreadable


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="mtalint-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _needs_root_and_setpriv() -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the check as nobody")
    drop = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run([*drop, sys.executable, "-c", ""], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("nobody cannot run this Python")


def test_an_unreadable_folder_is_reported_and_fails_the_run(shared_tmp: Path) -> None:
    _needs_root_and_setpriv()
    bad = shared_tmp / "repo" / "hosts" / "bad"
    good = shared_tmp / "repo" / "hosts" / "good"
    bad.mkdir(parents=True)
    good.mkdir()
    (bad / "main.cf").write_text("mynetworks = 0.0.0.0/0\n")  # an open relay
    (good / "main.cf").write_text("compatibility_level = 3.6\n")
    for path in shared_tmp.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    bad.chmod(0)
    proc = mtalint("check", "repo", cwd=shared_tmp, as_user="nobody")
    no_crash(proc)
    assert "repo/hosts/bad: cannot read folder (Permission denied); not checked" in proc.stderr
    assert proc.returncode == 2


def test_unreadable_files_are_reported_whatever_their_name(shared_tmp: Path) -> None:
    _needs_root_and_setpriv()
    repo = shared_tmp / "repo"
    repo.mkdir(mode=0o755)
    (repo / "main.cf").write_text("compatibility_level = 3.6\n")
    for name in ("configure", "relay.mc", "hMailServer.INI", "master.cf"):
        (repo / name).write_text("x\n")
        (repo / name).chmod(0)
    (repo / "main.cf").chmod(0o644)
    proc = mtalint("check", "repo", cwd=shared_tmp, as_user="nobody")
    no_crash(proc)
    for name in ("configure", "relay.mc", "hMailServer.INI", "master.cf"):
        assert f"repo/{name}: cannot read file: Permission denied" in proc.stderr
    assert proc.returncode == 2
    # named directly: the same
    proc = mtalint("check", "repo/main.cf", cwd=shared_tmp, as_user="nobody")
    no_crash(proc)
    assert "repo/master.cf: cannot read file: Permission denied" in proc.stderr
    assert proc.returncode == 2


# ---------------------------------------------------------------- items 15 and 17


def test_diff_base_with_a_link_out_of_the_tree_at_the_base(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "host").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "host" / "main.cf").symlink_to("/etc/passwd")
    (repo / "host" / "other.cf").symlink_to("../../outside")
    (repo / "host" / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    (repo / "host" / "main.cf").unlink()
    (repo / "host" / "main.cf").write_text("compatibility_level = 3.6\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "now")
    proc = mtalint("check", "host", "--diff-base", "HEAD~1", cwd=repo)
    output = no_crash(proc)
    assert proc.returncode in (0, 1), output
    assert "root:x:0:0" not in output


@pytest.mark.parametrize("depth", [980, 1500])
def test_a_very_deep_tree_is_walked(depth: int, tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    folder.mkdir()
    here = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):  # relative to a descriptor: the whole path is too long
            os.mkdir("d", dir_fd=here)
            inner = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = inner
        fd = os.open("main.cf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        os.write(fd, b"smtpd_tls_securty_level = may\n")
        os.close(fd)
    finally:
        os.close(here)
    try:
        proc = mtalint("check", "deep", "--format", "json", cwd=tmp_path)
    finally:
        # pytest's own clean-up of old temporary folders recurses once per level
        subprocess.run(["rm", "-rf", str(folder)], check=False)
    no_crash(proc)
    assert proc.returncode == 1
    assert len(json.loads(proc.stdout)["files"]) == 1


def test_a_symlink_loop_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    for name in ("loop", "a"):
        proc = mtalint("check", name, cwd=tmp_path)
        no_crash(proc)
        assert f"{name}: a symbolic link loop; not read" in proc.stderr
        assert proc.returncode == 2


def test_a_symlink_loop_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "main.cf").symlink_to("main.cf")
    (tmp_path / "repo" / "sub").symlink_to("../repo")
    proc = mtalint("check", "repo", cwd=tmp_path)
    no_crash(proc)
    assert "repo/main.cf: a symbolic link loop; not read" in proc.stderr
    assert proc.returncode == 2


def test_open_regular_refuses_a_device_without_blocking(tmp_path: Path) -> None:
    from linter.source import InputError, open_regular

    with pytest.raises(InputError, match=r"a character device"):
        open_regular(Path("/dev/zero"), "zero")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(InputError, match=r"a FIFO"):
        open_regular(tmp_path / "fifo", "fifo", tmp_path)
    regular = tmp_path / "file"
    regular.write_text("x")
    with open_regular(regular, "file", tmp_path) as handle:
        assert stat.S_ISREG(os.fstat(handle.fileno()).st_mode)


def test_exim_includes_of_a_link_loop_fail_as_in_exim(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "exim.conf").write_text(f".include {tmp_path / 'loop'}\nprimary_hostname = a\n")
    conf_d = tmp_path / "conf.d"
    for part in ("main", "acl"):
        (conf_d / part).mkdir(parents=True)
    (conf_d / "main" / "01_main").write_text("primary_hostname = a\n")
    (conf_d / "main" / "02_loop").symlink_to("02_loop")
    for name, included in (("exim.conf", tmp_path / "loop"), ("conf.d", conf_d / "main/02_loop")):
        proc = mtalint("check", name, cwd=tmp_path)
        output = no_crash(proc)
        assert "MTL001" not in output
        assert f"failed to open included configuration file {included}" in output


def test_an_unreadable_part_of_a_debian_exim_conf_d_fails_the_run(shared_tmp: Path) -> None:
    _needs_root_and_setpriv()
    conf_d = shared_tmp / "conf.d"
    for part in ("main", "acl", "router"):
        (conf_d / part).mkdir(parents=True)
    (conf_d / "main" / "01_main").write_text("primary_hostname = a\n")
    (conf_d / "acl" / "30_rcpt").write_text("acl_check_rcpt:\n  accept\n")
    for path in shared_tmp.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    (conf_d / "acl" / "30_rcpt").chmod(0)
    (conf_d / "router").chmod(0)
    proc = mtalint("check", "conf.d", cwd=shared_tmp, as_user="nobody")
    no_crash(proc)
    assert "conf.d/router: cannot read folder (Permission denied)" in proc.stderr
    assert proc.returncode == 2
    (conf_d / "router").chmod(0o755)
    proc = mtalint("check", "conf.d", cwd=shared_tmp, as_user="nobody")
    no_crash(proc)
    assert "conf.d/acl/30_rcpt: cannot read file: Permission denied" in proc.stderr
    assert proc.returncode == 2
