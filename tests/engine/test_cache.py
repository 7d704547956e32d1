"""The private cache: built-in rules and grammar terminals read back exactly as loaded,
thrown away when their source changes, ignored when damaged."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from linter import cache, grammar
from linter.engine import rules
from linter.resources import rules_dir


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MTALINT_NO_CACHE", raising=False)
    cache.cache_dir.cache_clear()
    grammar.terminals.cache_clear()
    yield tmp_path / "xdg" / "mtalint"
    cache.cache_dir.cache_clear()
    grammar.terminals.cache_clear()


def copy_rules(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "rules"
    shutil.copytree(rules_dir() / "postfix", folder)
    return rules.rule_files(folder)


def test_rules_come_back_from_the_cache_as_read(private_cache: Path, tmp_path: Path) -> None:
    paths = copy_rules(tmp_path)
    first, from_cache = rules._cached_rule_data(paths)
    assert not from_cache
    assert len(list(private_cache.glob("rules-*.json"))) == 1
    second, from_cache = rules._cached_rule_data(paths)
    assert from_cache
    assert second == first
    expected = [(str(p), rules.read_rule_file(p)) for p in paths]
    for _, data in expected:
        data.pop("tests", None)
    assert second == expected


def test_an_edited_rule_file_is_read_again(private_cache: Path, tmp_path: Path) -> None:
    paths = copy_rules(tmp_path)
    rules._cached_rule_data(paths)
    edited = paths[0]
    edited.write_text(
        edited.read_text(encoding="utf-8").replace("title:", "title: EDITED", 1), "utf-8"
    )
    os.utime(edited, ns=(1, 1))  # a different time, whatever the clock's resolution
    loaded, from_cache = rules._cached_rule_data(paths)
    assert not from_cache
    assert dict(loaded)[str(edited)]["title"].startswith("EDITED")


def test_a_damaged_cache_is_ignored(private_cache: Path, tmp_path: Path) -> None:
    paths = copy_rules(tmp_path)
    first, _ = rules._cached_rule_data(paths)
    for damaged in private_cache.glob("rules-*.json"):
        damaged.write_text('{"key": 1, "rules": [[', encoding="utf-8")
    again, from_cache = rules._cached_rule_data(paths)
    assert not from_cache and again == first


def test_a_rule_that_does_not_load_is_not_cached(private_cache: Path, tmp_path: Path) -> None:
    paths = copy_rules(tmp_path)
    paths[0].write_text(
        paths[0].read_text(encoding="utf-8") + "\nwhen: {fact: x, no_such_operator: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(rules.RuleError, match="no_such_operator"):
        rules._cached_rule_data(paths)
    assert not list(private_cache.glob("rules-*.json"))


@pytest.mark.parametrize("name", ["postfix_main", "postfix_master"])
def test_grammar_terminals_are_lark_s(private_cache: Path, name: str) -> None:
    from_lark = {t.name: t.pattern.to_regexp() for t in grammar.parser(name).terminals}
    assert grammar.terminals(name) == from_lark
    stored = json.loads((private_cache / f"grammar-{name}.terminals.json").read_text("utf-8"))
    assert stored["terminals"] == from_lark
    grammar.terminals.cache_clear()
    assert grammar.terminals(name) == from_lark  # read back from the file
