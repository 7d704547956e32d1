"""``mtalint check --fix`` and ``--diff``: the mechanical fixes, checked by Postfix.

Each fixed file is read back by the real ``postconf``: the corrected parameter shows with
the value it had, and for a renamed deprecated parameter the successor's expanded value
(``postconf -x``) is the one it had before the rename. mtalint then no longer reports the
finding. Anything that needs judgement is left alone, and ``--diff`` writes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from linter.mta.postfix.fixes import RENAMED
from tests.paths import ROOT

MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]
POSTCONF = shutil.which("postconf") or "/usr/sbin/postconf"
OLD_MTIME = 1_000_000_000  # postconf re-reads a main.cf younger than a second

needs_postconf = pytest.mark.skipif(not Path(POSTCONF).exists(), reason="postconf not installed")

# myhostname set: postconf need not ask the resolver for the host's name
HEAD = "compatibility_level = 3.6\nmyhostname = mx.example.com\n"


def mtalint(*args: str | Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*MTALINT, "check", "--no-config", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def findings(folder: Path, rule: str) -> list[dict]:
    proc = mtalint("--format", "json", "--select", rule, folder / "main.cf")
    return [f for f in json.loads(proc.stdout)["findings"] if f["rule"] == rule]


def postconf(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    os.utime(folder / "main.cf", (OLD_MTIME, OLD_MTIME))
    return subprocess.run(
        [POSTCONF, "-c", str(folder), *args], capture_output=True, text=True, timeout=60
    )


def parameters(folder: Path) -> dict[str, str]:
    """``postconf -n``: the parameters Postfix uses, with their values."""
    out = postconf(folder, "-n").stdout
    return dict(line.split(" = ", 1) for line in out.splitlines() if " = " in line)


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "main.cf"
    path.write_bytes(text.encode())
    return path


# ---------------------------------------------------------------- misspelt names


@needs_postconf
def test_misspelt_parameter_is_renamed_and_postfix_then_uses_it(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "smtpd_tls_securty_level = may\nrelay_domain = example.net\n")
    before = postconf(tmp_path, "-n")
    assert "unused parameter: smtpd_tls_securty_level=may" in before.stderr
    assert "smtpd_tls_security_level" not in parameters(tmp_path)
    assert len(findings(tmp_path, "PF001")) == 2

    proc = mtalint("--fix", path)
    assert "applied 2 fix(es) to 1 file(s)" in proc.stderr, proc.stderr

    assert path.read_text() == (
        HEAD + "smtpd_tls_security_level = may\nrelay_domains = example.net\n"
    )
    after = parameters(tmp_path)
    assert after["smtpd_tls_security_level"] == "may"
    assert after["relay_domains"] == "example.net"
    assert "unused parameter" not in postconf(tmp_path, "-n").stderr
    assert findings(tmp_path, "PF001") == []
    # what remains is reported: no PF001 in the output of the fixing run either
    assert "PF001" not in proc.stdout


@pytest.mark.parametrize(
    ("typo", "why"),
    [
        # smtpd_tls_eccert_file, smtpd_tls_dcert_file and smtpd_tls_cert_file: one edit each
        ("smtpd_tls_ecert_file", "a choice between names"),
        # smtp_tls_dane_insecure_mx_policy is one edit away, but configures the client
        ("smtpd_tls_dane_insecure_mx_policy", "another program"),
        # "did you mean smtp_tls_exclude_ciphers": many keys away, and the opposite meaning
        ("smtp_tls_required_ciphers", "not a slip of the keys"),
    ],
)
def test_uncertain_corrections_are_not_made(tmp_path: Path, typo: str, why: str) -> None:
    text = HEAD + f"{typo} = x\n"
    path = write(tmp_path, text)
    assert findings(tmp_path, "PF001"), why  # reported with a "did you mean"
    proc = mtalint("--fix", path)
    assert "nothing to fix" in proc.stderr
    assert path.read_text() == text


def test_correction_already_set_is_not_made(tmp_path: Path) -> None:
    # renaming would set smtpd_tls_security_level twice: which value wins is a judgement
    text = HEAD + "smtpd_tls_securty_level = encrypt\nsmtpd_tls_security_level = may\n"
    path = write(tmp_path, text)
    mtalint("--fix", path)
    assert path.read_text() == text
    # two misspellings of one name: the same
    text = HEAD + "smtpd_tls_securty_level = encrypt\nsmtpd_tls_securtiy_level = may\n"
    path = write(tmp_path, text)
    mtalint("--fix", path)
    assert path.read_text() == text


def test_misspelt_name_in_master_cf_override_is_left_alone(tmp_path: Path) -> None:
    write(tmp_path, HEAD)
    master = tmp_path / "master.cf"
    text = "smtp inet n - y - - smtpd\n  -o smtpd_tls_securty_level=may\n"
    master.write_text(text)
    proc = mtalint("--diff", tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert master.read_text() == text


# ---------------------------------------------------------------- deprecated names

# a value each old parameter accepts
RENAME_VALUES = {
    "virtual_maps": "hash:/etc/postfix/virtual",
    "authorized_verp_clients": "192.0.2.0/24",
    "fallback_relay": "[relay.example.com]:587",
    "postscreen_blacklist_action": "drop",
    "postscreen_whitelist_interfaces": "!192.0.2.1, static:all",
    "postscreen_dnsbl_whitelist_threshold": "-1",
    "smtpd_per_record_deadline": "yes",
    "smtp_per_record_deadline": "yes",
    "lmtp_per_record_deadline": "yes",
}


def test_every_rename_has_a_value() -> None:
    assert set(RENAME_VALUES) == set(RENAMED)


@needs_postconf
@pytest.mark.parametrize("old", sorted(RENAMED))
def test_deprecated_parameter_renamed_keeps_its_meaning(tmp_path: Path, old: str) -> None:
    new = RENAMED[old][0]
    value = RENAME_VALUES[old]
    path = write(tmp_path, HEAD + f"{old} = {value}\n")
    # what Postfix makes of the successor before: its default takes the old value
    before = postconf(tmp_path, "-x", new)
    assert before.returncode == 0, before.stderr
    assert before.stdout == f"{new} = {value}\n"
    assert findings(tmp_path, "PF002")

    proc = mtalint("--fix", "--select", "PF002", path)
    assert "applied 1 fix(es)" in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stdout

    assert path.read_text() == HEAD + f"{new} = {value}\n"
    assert parameters(tmp_path)[new] == value
    assert postconf(tmp_path, "-x", new).stdout == before.stdout
    assert findings(tmp_path, "PF002") == []


@pytest.mark.parametrize(
    "text",
    [
        # yes/no become a security level: not a rename
        "smtpd_use_tls = yes\n",
        # the successor's default "${smtpd_client_connection_limit_exceptions:$mynetworks}"
        # is empty once the old name is set (postconf -x): Postfix ignores the old value
        "smtpd_client_connection_limit_exceptions = 192.0.2.0/24\n",
        "tlsproxy_client_level = encrypt\n",
        # empty is not unset: "${postscreen_blacklist_action?{$...}:{ignore}}" gives ignore
        "postscreen_blacklist_action =\n",
        # $virtual_maps is used elsewhere: renaming would change that value
        "virtual_maps = hash:/etc/postfix/virtual\nalias_maps = $virtual_maps\n",
        # the successor is set too: the rename would set it twice
        "virtual_maps = hash:/etc/postfix/a\nvirtual_alias_maps = hash:/etc/postfix/b\n",
    ],
)
def test_deprecated_parameters_needing_judgement_are_left_alone(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, HEAD + text)
    assert findings(tmp_path, "PF002")
    mtalint("--fix", path)
    assert path.read_text() == HEAD + text


def test_deprecated_parameter_with_a_master_cf_override_is_left_alone(tmp_path: Path) -> None:
    # the override feeds virtual_alias_maps's default "$virtual_maps" in that service
    text = HEAD + "virtual_maps = hash:/etc/postfix/a\n"
    path = write(tmp_path, text)
    (tmp_path / "master.cf").write_text(
        "smtp inet n - y - - smtpd\n  -o virtual_maps=hash:/etc/postfix/b\n"
    )
    mtalint("--fix", tmp_path)
    assert path.read_text() == text


def test_rename_waits_for_the_postfix_release_that_knows_the_successor(tmp_path: Path) -> None:
    text = HEAD + "postscreen_blacklist_action = drop\n"
    path = write(tmp_path, text)
    mtalint("--fix", "--postfix-version", "3.5", path)
    assert path.read_text() == text


# ---------------------------------------------------------------- duplicate lines


@needs_postconf
def test_identical_duplicate_earlier_line_is_deleted(tmp_path: Path) -> None:
    lines = [
        "mydestination = $myhostname,",
        "    localhost",
        "# why localhost",
        "    example.com",
        "smtpd_banner = $myhostname ESMTP",
        "mydestination = $myhostname,",
        "    localhost",
        "    example.com",
    ]
    path = write(tmp_path, HEAD + "\n".join(lines) + "\n")
    before = parameters(tmp_path)
    # postconf sees the same value twice and says nothing; the first lines are dead
    assert "overriding" not in postconf(tmp_path, "-n").stderr
    assert len(findings(tmp_path, "PF005")) == 1

    proc = mtalint("--fix", "--select", "PF005", path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the comment among the continuation lines stays
    assert path.read_text() == HEAD + "\n".join(lines[2:3] + lines[4:]) + "\n"
    assert parameters(tmp_path) == before
    assert findings(tmp_path, "PF005") == []


def test_duplicate_with_another_value_is_left_alone(tmp_path: Path) -> None:
    text = HEAD + "relayhost = [a.example.net]\nrelayhost = [b.example.net]\n"
    path = write(tmp_path, text)
    assert findings(tmp_path, "PF005")
    proc = mtalint("--diff", path)
    assert proc.returncode == 0 and proc.stdout == ""
    mtalint("--fix", path)
    assert path.read_text() == text


# ---------------------------------------------------------------- --diff, the writer


def test_diff_shows_every_fix_and_writes_nothing(tmp_path: Path) -> None:
    text = HEAD + "relay_domain = example.net\nvirtual_maps = hash:/etc/postfix/v\n"
    path = write(tmp_path, text)
    proc = mtalint("--diff", path)
    assert proc.returncode == 1
    shown = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    assert proc.stdout == (
        f"--- {shown}\n+++ {shown}\n"
        "@@ -1,4 +1,4 @@\n"
        " compatibility_level = 3.6\n"
        " myhostname = mx.example.com\n"
        "-relay_domain = example.net\n"
        "-virtual_maps = hash:/etc/postfix/v\n"
        "+relay_domains = example.net\n"
        "+virtual_alias_maps = hash:/etc/postfix/v\n"
    )
    assert path.read_text() == text
    # nothing to change: exit 0, no output
    clean = write(tmp_path / "clean", HEAD)
    proc = mtalint("--diff", clean)
    assert (proc.returncode, proc.stdout) == (0, "")


def test_fix_keeps_line_ends_mode_and_a_missing_last_newline(tmp_path: Path) -> None:
    path = tmp_path / "main.cf"
    path.write_bytes(b"compatibility_level = 3.6\r\nrelay_domain = example.net")
    path.chmod(0o640)
    mtalint("--fix", path)
    assert path.read_bytes() == b"compatibility_level = 3.6\r\nrelay_domains = example.net"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_inline_suppression_is_respected(tmp_path: Path) -> None:
    text = HEAD + "# mtalint: ignore[PF001] read by a local script\nrelay_domain = x\n"
    path = write(tmp_path, text)
    mtalint("--fix", path)
    assert path.read_text() == text


def test_exit_code_is_that_of_the_remaining_findings(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + "relay_domain = example.net\n")
    assert mtalint("--select", "PF001", path).returncode == 1
    assert mtalint("--fix", "--select", "PF001", path).returncode == 0
    path = write(tmp_path, HEAD + "relay_domain = example.net\nsmtpd_tls_ecert_file = x\n")
    proc = mtalint("--fix", "--select", "PF001", path)
    assert proc.returncode == 1 and "smtpd_tls_ecert_file" in proc.stdout


def test_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    from linter.check import check
    from linter.engine.rules import load_rules
    from linter.engine.runner import Selection
    from linter.fix import plan, write
    from linter.mta import Options

    path = write_file = tmp_path / "main.cf"
    write_file.write_text(HEAD + "relay_domain = example.net\n")
    result = check([path], load_rules([]), Selection(), Options())
    assert any(f.fix_edit for f in result.findings)
    # an editor saves a change to the line the fix is for, after the check read it
    changed = HEAD + "relay_domain = example.org\n"
    path.write_text(changed)
    plans = plan(result)
    assert [p.refused for p in plans] == ["it changed since it was read"]
    assert write(plans) == []
    assert path.read_text() == changed


def test_fix_and_write_baseline_do_not_combine(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD)
    proc = mtalint("--fix", "--write-baseline", tmp_path / "b.json", path)
    assert proc.returncode == 2
    assert not (tmp_path / "b.json").exists()


def test_diff_escapes_control_characters(tmp_path: Path) -> None:
    # a value holding a terminal escape sequence is shown escaped, tabs as they are
    path = write(tmp_path, HEAD + "relay_domain =\texample.net \x1b[2J\n")
    proc = mtalint("--diff", path)
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout
    assert "-relay_domain =\texample.net \\x1b[2J\n" in proc.stdout
    assert "+relay_domains =\texample.net \\x1b[2J\n" in proc.stdout
