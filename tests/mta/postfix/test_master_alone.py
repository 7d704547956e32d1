"""A master.cf without its main.cf: one note, and only what master.cf decides alone.

Every real-world master.cf of the shared corpus is checked alone (copied under the name
Postfix gives it). Judged against an empty main.cf these gave relay-guard, certificate
and AUTH errors about settings that live in the main.cf we were not given.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests import paths

# ../shared/corpus relative to the repository root
CORPUS = paths.CORPUS / "postfix-master"
FILES = sorted(CORPUS.glob("*")) if CORPUS.is_dir() else []

# rules that judge master.cf itself: its syntax, its entries, its -o names
MASTER_ALONE_RULES = {"PF001", "PF002", "PF003", "PF004", "PF005", "PF006", "PF041", "MTA021"}
MASTER_ALONE_RULES |= {"PF032", "PF033", "PF034", "PF039"}


def check(folder: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(main, ["check", "--format", "json", "--no-config", str(folder)])
    assert result.exit_code in (0, 1), result.output
    findings: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return findings


@pytest.mark.skipif(not FILES, reason="shared corpus not found (../shared/corpus)")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_master_cf_alone_is_judged_on_itself(path: Path, tmp_path: Path) -> None:
    shutil.copyfile(path, tmp_path / "master.cf")
    findings = check(tmp_path)
    rules = [f["rule"] for f in findings]
    assert rules.count("PF041") == 1, rules
    assert set(rules) <= MASTER_ALONE_RULES, sorted(set(rules) - MASTER_ALONE_RULES)


def test_the_same_master_cf_with_a_main_cf_is_judged_in_full(tmp_path: Path) -> None:
    (tmp_path / "master.cf").write_text("smtp inet n - n - - smtpd\n")
    (tmp_path / "main.cf").write_text("myhostname = mx.example.com\n")
    rules = {f["rule"] for f in check(tmp_path)}
    assert "PF041" not in rules
    assert "PF008" in rules  # compatibility_level 0 and no guard: smtpd refuses to start
