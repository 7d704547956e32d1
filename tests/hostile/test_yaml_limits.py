"""YAML that expands without bound: an alias bomb in a custom rule file or in .mtalint.yaml
is refused with a message naming the file (exit 2), not loaded until memory runs out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

# "billion laughs": nine levels, each naming the one below nine times (772 bytes)
LEVELS = ["a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']"]
for i in range(1, 9):
    prev = chr(ord("a") + i - 1)
    name = chr(ord("a") + i)
    LEVELS.append(f"{name}: &{name} [{','.join('*' + prev for _ in range(9))}]")
BOMB = "\n".join(LEVELS) + "\n"

RULE = """id: CUSTOM001
title: "a rule"
severity: warning
applies_to: [postfix]
message: "m"
when: {fact: postfix.param.relayhost, absent: false}
"""

# the run gets 1 GB of address space: the bomb expanded needs more than that
LIMITED = (
    "import resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
    "from linter.cli import main\n"
    "sys.argv = ['mtalint', *sys.argv[1:]]\n"
    "main()\n"
)


def mtalint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIMITED, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_bomb_is_small() -> None:
    assert len(BOMB) < 800


def test_alias_bomb_in_a_rule_file(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "CUSTOM001.yaml").write_text(RULE + BOMB + "tags: *i\n")
    (tmp_path / "main.cf").write_text("myhostname = mx.example.com\n")
    out = mtalint("check", str(tmp_path / "main.cf"), "--no-config", "--rules", str(rules))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "CUSTOM001.yaml" in out.stderr and "YAML alias" in out.stderr, out.stderr


def test_alias_bomb_in_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("myhostname = mx.example.com\n")
    config = tmp_path / ".mtalint.yaml"
    config.write_text(BOMB + "select: *i\n")
    out = mtalint("check", str(tmp_path / "main.cf"), "--config", str(config))
    assert out.returncode == 2, out.stdout + out.stderr
    assert ".mtalint.yaml" in out.stderr and "YAML alias" in out.stderr, out.stderr


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    from linter.yamlsafe import load_yaml

    assert load_yaml("a: &x [1, 2]\nb: *x\nc: *x\n") == {"a": [1, 2], "b": [1, 2], "c": [1, 2]}


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [*x]\n",  # a list that holds itself
        "a: &s " + "x" * 100_000 + "\nb: [" + ",".join(["*s"] * 60) + "]\n",
    ],
)
def test_recursive_or_amplifying_aliases_are_refused(text: str) -> None:
    import yaml

    from linter.yamlsafe import load_yaml

    with pytest.raises(yaml.YAMLError, match="YAML alias"):
        load_yaml(text)
