"""docs/rules/ is generated from the rule YAML (`mtalint docs`) and must be current."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from linter.cli import main
from linter.docs import generate

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_committed_rule_pages_are_current() -> None:
    result = CliRunner().invoke(main, ["docs", "--check", "-o", str(DOCS)])
    assert result.exit_code == 0, result.output + "\nrun 'mtalint docs' and commit docs/rules"


def test_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(DOCS, copy)
    (copy / "MTA001.md").write_text("edited by hand\n")
    (copy / "XX999.md").write_text("a rule that no longer exists\n")
    result = CliRunner().invoke(main, ["docs", "--check", "-o", str(copy)])
    assert result.exit_code == 1
    assert "MTA001.md" in result.output and "XX999.md" in result.output


def test_every_rule_has_a_page_with_examples_both_ways() -> None:
    pages = generate()
    index = pages["README.md"]
    for name, text in pages.items():
        if name == "README.md":
            continue
        rule_id = name[:-3]
        assert f"[{rule_id}]({rule_id}.md)" in index
        assert "## Triggers" in text and "## Does not trigger" in text, name


def test_generation_is_deterministic() -> None:
    assert generate() == generate()
