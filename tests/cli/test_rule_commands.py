"""``mtalint rules``, ``explain`` and ``test-rules``, and custom rule folders (``rules --check``,
``check --rules``)."""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from tests.cli.common import check, check_json, mtalint, rule_folder, rules_of
from tests.paths import ROOT


def _rule_ids() -> list[str]:
    proc = mtalint("rules", "--format", "json")
    assert proc.returncode == 0
    return [r["id"] for r in json.loads(proc.stdout)]


def test_rules_lists_rules():
    ids = _rule_ids()
    assert {"MTA001", "MTA006", "PF001", "MTL002"} <= set(ids)
    text = mtalint("rules").stdout
    assert all(i in text for i in ids)


def test_rules_select_filters():
    everything = json.loads(mtalint("rules", "--format", "json").stdout)
    proc = mtalint("rules", "--format", "json", "--select", "open-relay")
    listed = [r["id"] for r in json.loads(proc.stdout)]
    assert "MTA001" in listed
    assert listed == [r["id"] for r in everything if "open-relay" in r["tags"]]


def test_explain_every_rule():
    for rule_id in _rule_ids():
        proc = mtalint("explain", rule_id)
        assert proc.returncode == 0, rule_id
        assert proc.stdout.startswith(rule_id)
        assert "Fix" in proc.stdout, rule_id


def test_explain_shows_examples_from_the_rule_tests():
    rule = yaml.safe_load((ROOT / "rules" / "posture" / "MTA001.yaml").read_text(encoding="utf-8"))
    out = mtalint("explain", "MTA001").stdout
    assert rule["title"] in out
    assert rule["references"][0]["id"] in out
    for verdict, heading in (("trigger", "Triggers on:"), ("pass", "Does not trigger on:")):
        case = next(c for c in rule["tests"] if c["expect"] == verdict)
        shown = out.split(heading, 1)[1]
        for text in case["files"].values():
            for line in text.strip().splitlines():
                assert line in shown, (verdict, line)


def test_explain_unknown_rule_exits_2():
    proc = mtalint("explain", "NOSUCH")
    assert proc.returncode == 2
    assert "NOSUCH" in proc.stderr


def test_rules_check_accepts_a_valid_rule(tmp_path):
    shutil.copy(ROOT / "rules" / "posture" / "MTA001.yaml", tmp_path)
    proc = mtalint("rules", "--check", tmp_path)
    assert proc.returncode == 0, proc.stderr
    proc = mtalint("rules", "--check", rule_folder(tmp_path))
    assert proc.returncode == 0, proc.stderr


def _drop_message(data):
    del data["message"]


def _bad_severity(data):
    data["severity"] = "critical"


def _bad_regex(data):
    data["when"]["all"].append({"fact": "item.name", "matches": r"(a+)+\1"})


def _unknown_operator(data):
    data["when"]["all"].append({"fact": "item.name", "resembles": "smtp"})


@pytest.mark.parametrize("edit", [_drop_message, _bad_severity, _bad_regex, _unknown_operator])
def test_rules_check_rejects_an_invalid_rule(tmp_path, edit):
    folder = rule_folder(tmp_path, edit)
    proc = mtalint("rules", "--check", folder)
    assert proc.returncode != 0
    assert "ORG001.yaml" in proc.stdout + proc.stderr


def test_rules_check_rejects_duplicate_ids(tmp_path):
    folder = rule_folder(tmp_path)
    shutil.copy(folder / "ORG001.yaml", folder / "ORG001-copy.yaml")
    proc = mtalint("rules", "--check", folder)
    assert proc.returncode != 0
    assert "ORG001" in proc.stderr


def test_check_with_extra_rules_folder(tmp_path):
    def relabel(data):
        data["message"] = "custom relay rule for {item.name}"

    folder = rule_folder(tmp_path, relabel)
    code, doc = check_json("--rules", folder, "--select", "ORG001", "examples/postfix")
    assert code == 1
    assert rules_of(doc) == {"ORG001"}
    assert all(f["message"].startswith("custom relay rule for ") for f in doc["findings"])


def test_check_with_invalid_extra_rules_exits_2(tmp_path):
    folder = rule_folder(tmp_path, _bad_severity)
    proc = check("--rules", folder, "examples/postfix")
    assert proc.returncode == 2
    assert "ORG001.yaml" in proc.stderr


def test_test_rules_runs_the_builtin_rule_tests():
    proc = mtalint("test-rules")
    passed, failed = (int(n) for n in re.findall(r"(\d+) passed, (\d+) failed", proc.stdout)[-1])
    # every non-builtin rule carries at least one trigger and one pass case
    assert passed + failed >= 2 * len([r for r in _rule_ids() if not r.startswith("MTL")])
    assert len(re.findall(r"^FAIL ", proc.stdout, re.MULTILINE)) == failed
    assert proc.returncode == (1 if failed else 0)


def test_test_rules_reports_a_wrong_expectation(tmp_path):
    def wrong(data):
        for case in data["tests"]:
            case["expect"] = "pass" if case["expect"] == "trigger" else "trigger"

    folder = rule_folder(tmp_path, wrong)
    proc = mtalint("test-rules", folder)
    assert proc.returncode == 1
    assert "FAIL ORG001" in proc.stdout
    assert re.search(r"\b0 passed, [1-9]\d* failed", proc.stdout)
