"""Loading rules (linter/engine/rules.py): what a rule file must hold, and the message that
names the file and the fault when it does not.

Custom rule folders are checked against rules/schema.json (draft 2020-12) and then by the
loader itself; built-in rules only by the loader. Messages are those a user sees from
``mtalint rules --check`` and ``check --rules``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from linter.engine.conditions import LinearRegex
from linter.engine.rules import (
    MAX_RULE_FILE_BYTES,
    RuleError,
    builtin_rules,
    load_folder,
    load_rules,
    read_rule_file,
    rule_from_data,
    validate,
)

# a complete custom rule: every key the schema requires
VALID: dict[str, Any] = {
    "id": "ORG001",
    "title": "Relay open to every address",
    "severity": "error",
    "class": "exploitable",  # an error says whether it is exploitable or broken
    "applies_to": ["postfix"],
    "tags": ["open-relay"],
    "message": "{item.name} relays for everyone",
    "rationale": "Anyone on the internet can send mail through this server.",
    "fix": "Restrict mynetworks to the hosts that send through this server.",
    "references": [{"type": "rfc", "id": "RFC 5321"}],
    "for_each": "posture.listeners",
    "when": {"all": [{"fact": "item.relay.verdict", "equals": "open"}]},
    # a custom rule proves itself both ways: the schema asks for two cases at least
    "tests": [
        {"name": "open", "expect": "trigger", "files": {"main.cf": "mynetworks = 0.0.0.0/0\n"}},
        {"name": "closed", "expect": "pass", "files": {"main.cf": "mynetworks = 10.0.0.0/8\n"}},
    ],
}


def rule(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    return data


def load(data: dict[str, Any], custom: bool = True) -> Any:
    return rule_from_data(data, "rules/ORG001.yaml", custom=custom)


def test_a_valid_rule_loads_with_its_fields() -> None:
    loaded = load(rule(fix="Restrict mynetworks.", applies_to="postfix"))
    assert loaded.id == "ORG001"
    assert loaded.applies_to == ["postfix"]  # a single MTA becomes a list
    assert loaded.fix == {"any": "Restrict mynetworks."}  # a single fix is for any MTA
    assert loaded.applies("postfix") and not loaded.applies("exim")
    assert loaded.fix_for("exim") == "Restrict mynetworks."
    assert loaded.location_path == "item.relay.verdict"  # the first fact of the condition
    assert load(rule(location="item.port")).location_path == "item.port"
    assert validate(rule(), "ORG001.yaml") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"message": None}, "rules/ORG001.yaml: missing required key 'message'"),
        ({"severity": "critical"}, "severity must be one of error, warning, note"),
        ({"when": None}, "a rule needs a 'when' condition"),
        ({"when": {"all": []}}, "'all' takes a non-empty list of conditions"),
        ({"when": {"any": "x"}}, "'any' takes a non-empty list of conditions"),
        ({"when": {}}, "a condition must be a non-empty mapping"),
        ({"when": {"equals": 1}}, "a condition needs 'all', 'any', 'not' or 'fact'"),
        ({"when": {"fact": "item.port"}}, "condition on 'item.port' has no operator"),
        ({"when": {"not": {"fact": "a", "resembles": "b"}}}, "unknown operator 'resembles'"),
        ({"when": {"fact": "a", "matches": "("}}, "invalid regex '('"),
    ],
)
def test_a_malformed_rule_is_refused_naming_file_and_fault(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(RuleError) as raised:
        load(rule(**changes), custom=False)
    assert str(raised.value).startswith("rules/ORG001.yaml: ")
    assert message in str(raised.value)


def test_an_unknown_operator_lists_the_known_ones() -> None:
    with pytest.raises(RuleError, match=r"known: absent, contains, contains_any, empty, equals"):
        load(rule(when={"fact": "a", "resembles": "b"}))


def test_a_custom_rules_regex_must_run_in_linear_time() -> None:
    with pytest.raises(RuleError, match="cannot run in linear time"):
        load(rule(when={"fact": "item.name", "matches": r"(a)\1"}))
    # built-in rules keep Python's re
    assert load(rule(when={"fact": "item.name", "matches": r"(a)\1"}), custom=False)
    loaded = load(rule(when={"fact": "item.name", "matches": "^smtp"}))
    assert isinstance(loaded.when["matches"], LinearRegex)


def test_a_builtin_rule_needs_no_condition() -> None:
    loaded = load(rule(when=None, builtin=True), custom=False)
    assert loaded.when is None and loaded.builtin


@pytest.mark.parametrize(
    ("changes", "where", "says"),
    [
        ({"id": "org-1"}, "id", "does not match"),
        ({"rationale": None}, "(top level)", "'rationale' is a required property"),
        ({"applies_to": ["qmail"]}, "applies_to/0", "is not one of"),
        ({"references": []}, "references", "should be non-empty"),
        ({"colour": "red"}, "(top level)", "Additional properties are not allowed"),
        ({"tests": VALID["tests"][:1]}, "tests", "is too short"),
        ({"tests": None}, "(top level)", "'tests' is a required property"),
    ],
)
def test_schema_errors_name_the_file_and_the_place(
    changes: dict[str, Any], where: str, says: str
) -> None:
    errors = validate(rule(**changes), "my/ORG001.yaml")
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"my/ORG001.yaml: {where}: ")
    assert says in errors[0]


def write_rule(folder: Path, data: dict[str, Any], name: str = "ORG001.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_folder_is_schema_checked_when_asked(tmp_path: Path) -> None:
    path = write_rule(tmp_path / "rules", rule(rationale="short"))
    with pytest.raises(
        RuleError, match="^" + re.escape(f"{path}: rationale: 'short' is too short")
    ):
        load_folder(tmp_path / "rules", check_schema=True)
    assert [r.id for r in load_folder(tmp_path / "rules", check_schema=False)] == ["ORG001"]


def test_frameworks_folder_holds_no_rules(tmp_path: Path) -> None:
    write_rule(tmp_path / "rules", rule())
    (tmp_path / "rules" / "frameworks").mkdir()
    (tmp_path / "rules" / "frameworks" / "cis.yaml").write_text("controls: []\n")
    assert [r.id for r in load_folder(tmp_path / "rules", check_schema=True)] == ["ORG001"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("- a list\n", "a rule file holds one mapping"),
        ("id: [unclosed\n", "invalid YAML"),
        (b"id: \xff\n", "cannot read rule file"),
        ("# " + "x" * MAX_RULE_FILE_BYTES + "\n", f"larger than {MAX_RULE_FILE_BYTES} bytes"),
    ],
)
def test_an_unreadable_rule_file_is_refused(
    tmp_path: Path, content: str | bytes, says: str
) -> None:
    path = tmp_path / "ORG001.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        read_rule_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert says in str(raised.value)


def test_an_id_is_used_once(tmp_path: Path) -> None:
    taken = builtin_rules()[0]
    path = write_rule(tmp_path / "rules", rule(id=taken.id))
    with pytest.raises(
        RuleError, match="^" + re.escape(f"{path}: rule id {taken.id} is already used by ")
    ):
        load_rules([tmp_path / "rules"])
    write_rule(tmp_path / "two", rule())
    write_rule(tmp_path / "two", rule(), "copy.yaml")
    with pytest.raises(RuleError, match="rule id ORG001 is already used by"):
        load_rules([tmp_path / "two"])


def test_a_missing_rule_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rule folder does not exist"):
        load_rules([tmp_path / "nowhere"])


def test_custom_rules_come_after_the_builtin_ones(tmp_path: Path) -> None:
    write_rule(tmp_path / "rules", rule())
    rules = load_rules([tmp_path / "rules"])
    assert [r.id for r in rules[:-1]] == [r.id for r in builtin_rules()]
    assert rules[-1].id == "ORG001" and rules[-1].path == str(tmp_path / "rules" / "ORG001.yaml")
