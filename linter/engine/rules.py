"""Rule files: ``rules/<folder>/<ID>.yaml``, one rule per file, validated by ``rules/schema.json``.

At run time the built-in rules are trusted (the test suite validates them against the
schema) and loaded with only light checks, to keep start-up small; rule folders a user
adds are validated against the schema in full.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from linter.engine.conditions import OPERATORS, ConditionError, LinearRegex, leaf_paths, regex
from linter.resources import rules_dir

SEVERITIES = ("error", "warning", "note")
SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}
MAX_RULE_FILE_BYTES = 256 * 1024


class RuleError(Exception):
    """A rule file that cannot be used; the message names the file."""


@dataclass
class Rule:
    """One rule as its YAML file states it (see rules/schema.json for the fields)."""

    id: str
    title: str
    severity: str
    applies_to: list[str]
    tags: list[str]
    message: str
    rationale: str
    fix: dict[str, str]
    references: list[dict[str, str]]
    when: dict[str, Any] | None
    for_each: str | None = None
    location: str | None = None
    roles: list[str] = field(default_factory=list)
    name: str = ""
    builtin: bool = False
    tests: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""
    # rules that say less about the same cause: their finding on the same listener (or
    # the same line) is dropped when this rule fires there
    supersedes: list[str] = field(default_factory=list)
    # an error's class: "exploitable" or "broken" (the severity policy in the README)
    severity_class: str = ""

    def applies(self, mta: str) -> bool:
        """Whether the rule judges config sets of this MTA (``applies_to``, or "any")."""
        return "any" in self.applies_to or mta in self.applies_to

    def fix_for(self, mta: str) -> str:
        """The fix in this MTA's syntax, else the generic one, else the first given."""
        return self.fix.get(mta) or self.fix.get("any") or next(iter(self.fix.values()), "")

    @property
    def location_path(self) -> str | None:
        """The fact whose span a finding points at: ``location``, else the first fact
        the ``when:`` condition names, else None."""
        if self.location:
            return self.location
        paths = leaf_paths(self.when) if self.when else []
        return paths[0] if paths else None


def read_rule_file(path: Path) -> dict[str, Any]:
    """The mapping a rule file holds; :class:`RuleError` when it is too large, unreadable,
    not YAML or not a mapping."""
    # only when rule files are read, not when the JSON cache serves them
    import yaml

    from linter.yamlsafe import load_yaml

    try:
        if path.stat().st_size > MAX_RULE_FILE_BYTES:
            raise RuleError(f"{path}: rule file larger than {MAX_RULE_FILE_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
        data = load_yaml(text)  # safe_load, with aliases bounded
    except RuleError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RuleError(f"{path}: a rule file holds one mapping (id, title, severity, ...)")
    return data


def _check_condition(cond: Any, where: str, custom: bool = False) -> None:
    """Refuse a malformed condition; in a ``custom`` rule, regexes become
    :class:`LinearRegex` (run by RE2) and one RE2 cannot run is refused here."""
    if not isinstance(cond, dict) or not cond:
        raise RuleError(f"{where}: a condition must be a non-empty mapping")
    for key in ("all", "any"):
        if key in cond:
            if not isinstance(cond[key], list) or not cond[key]:
                raise RuleError(f"{where}: '{key}' takes a non-empty list of conditions")
            for sub in cond[key]:
                _check_condition(sub, where, custom)
            return
    if "not" in cond:
        _check_condition(cond["not"], where, custom)
        return
    if "fact" not in cond:
        raise RuleError(f"{where}: a condition needs 'all', 'any', 'not' or 'fact'")
    ops = [k for k in cond if k != "fact"]
    if not ops:
        raise RuleError(f"{where}: condition on {cond['fact']!r} has no operator")
    for op in ops:
        if op not in OPERATORS:
            raise RuleError(
                f"{where}: unknown operator {op!r} (known: {', '.join(sorted(OPERATORS))})"
            )
        if op in ("matches", "not_matches"):
            if custom:
                cond[op] = LinearRegex(str(cond[op]))
            try:
                regex(cond[op])
            except ConditionError as exc:
                raise RuleError(f"{where}: {exc}") from None


def rule_from_data(
    data: dict[str, Any], path: str, checked: bool = False, custom: bool = False
) -> Rule:
    """A rule from its file's data. ``checked``: the conditions were already found valid
    (built-in rules read back from the cache), so their regexes compile on first use.
    ``custom``: a rule from a folder the user adds, whose regexes run under RE2."""
    for key in ("id", "title", "severity", "applies_to", "message"):
        if key not in data:
            raise RuleError(f"{path}: missing required key '{key}'")
    if data["severity"] not in SEVERITIES:
        raise RuleError(f"{path}: severity must be one of {', '.join(SEVERITIES)}")
    when = data.get("when")
    builtin = bool(data.get("builtin", False))
    if when is None and not builtin:
        raise RuleError(f"{path}: a rule needs a 'when' condition")
    if when is not None and not checked:
        _check_condition(when, path, custom)
    fix = data.get("fix", {})
    if isinstance(fix, str):
        fix = {"any": fix}
    applies = data["applies_to"]
    return Rule(
        id=str(data["id"]),
        title=str(data["title"]),
        severity=data["severity"],
        applies_to=[applies] if isinstance(applies, str) else list(applies),
        tags=list(data.get("tags", [])),
        message=str(data["message"]),
        rationale=str(data.get("rationale", "")).strip(),
        fix={str(k): str(v).strip() for k, v in fix.items()},
        references=list(data.get("references", [])),
        when=when,
        for_each=data.get("for_each"),
        location=data.get("location"),
        roles=list(data.get("roles", [])),
        name=str(data.get("name", "")),
        builtin=builtin,
        tests=list(data.get("tests", [])),
        path=path,
        supersedes=[str(i) for i in data.get("supersedes", [])],
        severity_class=str(data.get("class", "")),
    )


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema a rule file must satisfy (rules/schema.json, with the MTA names
    of linter/mta/registry.py)."""
    from linter.mta.registry import names

    loaded: dict[str, Any] = json.loads((rules_dir() / "schema.json").read_text(encoding="utf-8"))
    # applies_to and the fix: keys name an MTA of the registry (or "any")
    loaded["$defs"]["mta"]["enum"] = ["any", *names()]
    return loaded


def validate(data: dict[str, Any], path: str) -> list[str]:
    """Schema errors for one rule file, as readable lines."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    errors = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in err.path) or "(top level)"
        errors.append(f"{path}: {where}: {err.message}")
    return errors


def rule_files(folder: Path) -> list[Path]:
    """The rule files under ``folder``; ``frameworks/`` holds control mappings, not rules."""
    found: list[Path] = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "frameworks"]
        found.extend(Path(parent, f) for f in files if f.endswith(".yaml"))
    return sorted(p for p in found if p.is_file())


def load_folder(folder: Path, check_schema: bool) -> list[Rule]:
    """The custom rules of ``folder`` (validated against the schema when asked)."""
    rules = []
    for path in rule_files(folder):
        data = read_rule_file(path)
        if check_schema:
            errors = validate(data, str(path))
            if errors:
                raise RuleError("\n".join(errors))
        rules.append(rule_from_data(data, str(path), custom=True))
    return rules


@cache
def builtin_rules(with_tests: bool = False) -> tuple[Rule, ...]:
    """The shipped rules. Without their ``tests:`` (all a check needs) they come from a
    JSON cache keyed by the rule files' names, sizes and times, which loads in a fraction
    of the time YAML parsing takes."""
    folder = rules_dir()
    paths = rule_files(folder)
    if with_tests:
        return tuple(rule_from_data(read_rule_file(p), str(p)) for p in paths)
    cached, checked = _cached_rule_data(paths)
    return tuple(rule_from_data(data, path, checked) for path, data in cached)


def _cached_rule_data(paths: list[Path]) -> tuple[list[tuple[str, dict[str, Any]]], bool]:
    """(path, data) of each rule file, and whether that came from the cache, which holds
    only rules whose conditions were checked when it was written.

    The cache file is named after the rules folder (installs side by side keep their
    own) and holds its key, the names, sizes and times of the rule files, in full:
    comparing it costs less than loading a hash library.
    """
    import zlib

    from linter import __version__
    from linter.cache import cache_dir, save

    stats = [__version__]
    for p in paths:
        st = p.stat()
        stats.append(f"{p}\0{st.st_size}\0{st.st_mtime_ns}")
    key = "\n".join(stats)
    folder = cache_dir()
    place = str(paths[0].parent if paths else "")
    target = folder / f"rules-{zlib.crc32(place.encode()):08x}.json" if folder else None
    if target is not None and target.is_file():
        try:
            stored = json.loads(target.read_text(encoding="utf-8"))
            if stored["key"] == key:
                return [(str(path), dict(data)) for path, data in stored["rules"]], True
        except (OSError, ValueError, TypeError, KeyError):
            pass
    result = []
    for p in paths:
        data = read_rule_file(p)
        data.pop("tests", None)
        result.append((str(p), data))
    if target is not None:
        for path, data in result:
            rule_from_data(data, path)  # a rule that does not load is not cached
        for old in target.parent.glob("rules-" + "?" * 24 + ".json"):
            old.unlink(missing_ok=True)  # named by the earlier scheme (a hash of the key)
        save(target, json.dumps({"key": key, "rules": result}).encode("utf-8"))
    return result, False


def load_rules(extra_folders: list[Path] | None = None) -> list[Rule]:
    """The built-in rules and those of ``extra_folders``; an id used twice is an error."""
    rules = list(builtin_rules())
    seen = {r.id: r.path for r in rules}
    for folder in extra_folders or []:
        if not folder.is_dir():
            raise RuleError(f"{folder}: rule folder does not exist")
        for rule in load_folder(folder, check_schema=True):
            if rule.id in seen:
                raise RuleError(
                    f"{rule.path}: rule id {rule.id} is already used by {seen[rule.id]}"
                )
            seen[rule.id] = rule.path
            rules.append(rule)
    return rules
