"""Judging one config set's facts with the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.engine.conditions import evaluate
from linter.engine.rules import Rule
from linter.facts import MISSING, Facts, join_path, split_path
from linter.findings import Finding

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.\[\]-]*)\}")


@dataclass
class Selection:
    """``--select`` / ``--ignore`` by rule id, id prefix or tag, and severity overrides."""

    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    severity: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def _matches(rule: Rule, pattern: str) -> bool:
        return (
            pattern == "ALL"
            or rule.id.startswith(pattern)
            or pattern in rule.tags
            or pattern == rule.name
        )

    def unknown_tokens(self, rules: list[Rule]) -> list[str]:
        """Selection words that match no rule at all (most likely typos)."""
        words = [*self.select, *self.ignore, *self.severity]
        return [w for w in words if not any(self._matches(r, w) for r in rules)]

    def wants(self, rule: Rule) -> bool:
        if self.select and not any(self._matches(rule, t) for t in self.select):
            return False
        return not any(self._matches(rule, t) for t in self.ignore)

    def severity_of(self, rule: Rule) -> str:
        for token, severity in self.severity.items():
            if self._matches(rule, token):
                return severity
        return rule.severity


class _Scope:
    """Fact lookup with ``item`` bound to the current element of ``for_each``."""

    def __init__(self, facts: Facts, item_path: str | None, item: Any = MISSING) -> None:
        self.facts = facts
        self.item_path = item_path
        if item is MISSING and item_path is not None:
            item = facts.get(item_path)
        self._item: Any = item

    def path(self, path: str) -> str:
        if self.item_path is not None and (
            path == "item" or path.startswith("item.") or path.startswith("item[")
        ):
            return self.item_path + path[4:]
        return path

    def get(self, path: str) -> Any:
        # plain fields of the current item are read straight from it (the hot path of
        # rules over long lists); anything else, resolvers included, through the facts
        if path.startswith("item.") and isinstance(self._item, dict):
            field_name = path[5:]
            if "." not in field_name and "[" not in field_name and field_name in self._item:
                return self._item[field_name]
        return self.facts.get(self.path(path))


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        return "(not set)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value == "":
        return "(empty)"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def render(template: str, scope: _Scope) -> str:
    # only {dotted.path} lookups: no attribute access, no format specs
    return _PLACEHOLDER.sub(lambda m: _text(scope.get(m.group(1))), template)


def _scopes(facts: Facts, path: str, when: Any) -> list[_Scope]:
    """One scope per element of the list at ``path`` (the element handed over, not looked
    up again by its path: rules over long lists make this the hot loop).

    Elements that fail an ``item.FIELD equals VALUE`` the whole condition requires (most
    rules over ``diagnostics`` pick one kind) are left out before any scope is made:
    the condition could not hold for them.
    """
    value = facts.get(path)
    if not isinstance(value, list):
        return []
    required = _required_fields(when)
    return [
        _Scope(facts, f"{path}[{i}]", item)
        for i, item in enumerate(value)
        if not required
        or not isinstance(item, dict)
        or all(name not in item or item[name] == want for name, want in required)
    ]


def _required_fields(when: Any) -> list[tuple[str, Any]]:
    """(FIELD, VALUE) of each ``{fact: item.FIELD, equals: VALUE}`` leaf that ``when``
    requires: the leaf itself or one of the top-level ``all`` list."""
    leaves = when.get("all", [when]) if isinstance(when, dict) else []
    required = []
    for leaf in leaves:
        if not isinstance(leaf, dict) or set(leaf) != {"fact", "equals"}:
            continue
        fact = leaf["fact"]
        if isinstance(fact, str) and fact.startswith("item."):
            name = fact[5:]
            if name and "." not in name and "[" not in name:
                required.append((name, leaf["equals"]))
    return required


def _finding_key(scope: _Scope, location: str | None) -> str:
    """A key that names what the finding is about without its position in a list."""
    if scope.item_path is not None:
        item = scope.facts.get(scope.item_path)
        ident = ""
        if isinstance(item, dict):
            ident = str(
                item.get("name")
                or item.get("key")
                or item.get("parameter")
                or item.get("message", "")
            )
        base = re.sub(r"\[\d+\]$", "", scope.item_path)
        return f"{base}:{ident}:{location or ''}"
    return location or ""


def _located_hit(facts: Facts, scope: _Scope, hits: list[str]) -> str | None:
    """The first matched fact that came from a line of configuration."""
    for path in hits:
        if facts.located_span(scope.path(path)) is not None:
            return path
    return None


def run_rules(
    mta: str, facts: Facts, rules: list[Rule], selection: Selection, roles: list[str]
) -> list[Finding]:
    findings: list[Finding] = []
    for rule in rules:
        if rule.builtin or rule.when is None or not rule.applies(mta) or not selection.wants(rule):
            continue
        if rule.roles and not set(rule.roles) & set(roles):
            continue
        scopes = (
            _scopes(facts, rule.for_each, rule.when) if rule.for_each else [_Scope(facts, None)]
        )
        for scope in scopes:
            hits: list[str] = []
            if not evaluate(rule.when, scope.get, hits):
                continue
            location = rule.location or _located_hit(facts, scope, hits) or rule.location_path
            resolved = scope.path(location) if location else None
            span = facts.span_of(resolved) if resolved else None
            if span is None and scope.item_path is not None:
                span = facts.span_of(scope.item_path)
            if span is None:
                span = facts.default_span
            if span is None:
                continue
            value = scope.get(location) if location else ""
            key = _finding_key(
                scope, re.sub(r"^item\.?", "", location or "") if scope.item_path else resolved
            )
            findings.append(
                Finding(
                    rule=rule.id,
                    severity=selection.severity_of(rule),
                    message=render(rule.message, scope),
                    span=span,
                    tags=list(rule.tags),
                    fix=render(rule.fix_for(mta), scope),
                    title=rule.title,
                    key=key,
                    value=_text(value),
                    evidence=_evidence(facts, scope, hits),
                )
            )
    return findings


def _evidence(facts: Facts, scope: _Scope, hits: list[str]) -> list[dict[str, Any]]:
    """What the finding rests on: each fact the rule matched, its value and where it was
    set, and the DNS answers behind a DNS fact."""
    out: list[dict[str, Any]] = []
    answers: list[Any] = []
    for hit in dict.fromkeys(hits):
        resolved = scope.path(hit)
        entry: dict[str, Any] = {"fact": resolved, "value": _text(scope.get(hit))}
        span = facts.located_span(resolved)
        if span is not None:
            entry["path"], entry["line"] = span.path, span.line
        out.append(entry)
        # the DNS answers recorded next to a DNS fact (dns.domains[0].spf.evidence, ...)
        parts = split_path(resolved)
        for depth in range(len(parts), 0, -1):
            holder = facts.get(join_path(parts[:depth]))
            if isinstance(holder, dict) and isinstance(holder.get("evidence"), list):
                answers.extend(a for a in holder["evidence"] if a not in answers)
                break
    if answers:
        out.append({"dns": answers})
    return out


__all__ = ["Selection", "run_rules", "render", "split_path"]
