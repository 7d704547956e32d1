"""Regexes in custom rules run in linear time (RE2): a pattern that would backtrack
exponentially in Python's re is harmless, and one RE2 cannot run (look-arounds,
back-references) is refused when the rule is loaded, naming the file and the reason.
Built-in rules keep Python's re (their tests run in tests/rules/test_rules.py)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.paths import ROOT

RULE = """\
id: CUS001
name: custom.regex
title: a custom rule with a regex
severity: warning
applies_to: [postfix]
tags: [custom]
when:
  all:
    - {{fact: postfix.param.smtpd_banner, matches: '{pattern}'}}
message: "the banner matches"
rationale: "a rationale that is long enough to pass the schema checks"
fix: {{any: "a fix that is long enough"}}
references: [{{type: other, id: x}}]
tests:
  - {{name: a, expect: trigger, files: {{main.cf: "smtpd_banner = aaa"}}}}
  - {{name: b, expect: pass, files: {{main.cf: "smtpd_banner = !"}}}}
"""

# the subject that makes each pattern backtrack exponentially in Python's re
SUBJECT = "a" * 40 + "!"


def mtalint(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linter", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def rule_folder(tmp_path: Path, pattern: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "CUS001.yaml").write_text(RULE.format(pattern=pattern))
    return folder


@pytest.mark.parametrize(
    "pattern",
    [r"^((a+))+$", r"^(a|a)*$", r"^(\w+\s?)+$", r"^(a+)+$", r"(x+x+)+y"],
)
def test_patterns_that_backtrack_in_re_run_in_linear_time(tmp_path: Path, pattern: str) -> None:
    folder = rule_folder(tmp_path, pattern)
    (tmp_path / "main.cf").write_text(f"smtpd_banner = {SUBJECT}\n")
    start = time.monotonic()
    try:
        out = mtalint(
            "check",
            str(tmp_path / "main.cf"),
            "--no-config",
            "--rules",
            str(folder),
            "--select",
            "CUS001",
            "--format",
            "json",
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{pattern!r} on {SUBJECT!r} still running after 30 s")
    assert time.monotonic() - start < 10
    assert out.returncode == 0, out.stdout + out.stderr  # no match, no finding
    assert "re2.cc" not in out.stderr


def test_a_custom_regex_still_matches(tmp_path: Path) -> None:
    folder = rule_folder(tmp_path, r"(?i)^\s*(ESMTP|mail)\b")
    (tmp_path / "main.cf").write_text("smtpd_banner = esmtp here\n")
    out = mtalint(
        "check",
        str(tmp_path / "main.cf"),
        "--no-config",
        "--rules",
        str(folder),
        "--select",
        "CUS001",
        "--format",
        "json",
    )
    assert out.returncode == 1 and "CUS001" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"^(?=a)a", "(?="),
        (r"(?<!x)a", "(?<"),
        (r"^(a+)\1$", "\\1"),
        (r"^(a+)+(?!b)$", "(?!"),
    ],
)
def test_patterns_re2_cannot_run_are_refused_at_load(
    tmp_path: Path, pattern: str, reason: str
) -> None:
    folder = rule_folder(tmp_path, pattern)
    for args in (
        ["rules", "--check", str(folder)],
        ["check", str(ROOT / "examples/postfix/main.cf"), "--no-config", "--rules", str(folder)],
    ):
        out = mtalint(*args)
        assert out.returncode != 0 and out.returncode != 3, out.stdout + out.stderr
        assert "CUS001.yaml" in out.stderr and reason in out.stderr, out.stderr
        assert "linear time" in out.stderr and "Traceback" not in out.stderr
        assert "re2.cc" not in out.stderr  # RE2's own log stays quiet


def test_re2_is_not_imported_without_custom_regexes(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from linter.cli import main\n"
        "try:\n"
        f"    main(['check', {str(ROOT / 'examples/postfix')!r}, '--no-config', '--exit-zero'])\n"
        "except SystemExit:\n    pass\n"
        "print('re2' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
