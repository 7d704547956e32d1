"""Judging one config set's facts with the rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.engine.conditions import evaluate, leaf_paths
from linter.engine.rules import Rule
from linter.facts import MISSING, Facts, join_path, split_path
from linter.findings import Edit, Finding

if TYPE_CHECKING:
    from linter.source import Span

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
        """Whether the rule runs: selected (or nothing selected) and not ignored."""
        if self.select and not any(self._matches(rule, t) for t in self.select):
            return False
        return not any(self._matches(rule, t) for t in self.ignore)

    def severity_of(self, rule: Rule) -> str:
        """The rule's severity after the first override that matches it."""
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

        self._overrides: dict[str, Any] = {}

    @property
    def item(self) -> Any:
        return self._item

    def with_override(self, path: str, value: Any) -> _Scope:
        """The same scope with ``path`` reading ``value`` (a merged finding's names)."""
        scope = _Scope(self.facts, self.item_path, self._item)
        scope._overrides = {**self._overrides, path: value}
        return scope

    def path(self, path: str) -> str:
        if self.item_path is not None and (
            path == "item" or path.startswith("item.") or path.startswith("item[")
        ):
            return self.item_path + path[4:]
        return path

    def get(self, path: str) -> Any:
        if self._overrides and path in self._overrides:
            return self._overrides[path]
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
    """A message template with each ``{dotted.path}`` replaced by that fact as text."""
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
    """The findings of ``rules`` on one config set: one finding per problem (listeners
    that share the setting at fault share one finding), and a rule's finding dropped
    where a rule that supersedes it speaks for the same cause."""
    hits_by_rule: list[tuple[Rule, list[_Hit]]] = []
    for rule in rules:
        if rule.builtin or rule.when is None or not rule.applies(mta) or not selection.wants(rule):
            continue
        if rule.roles and not set(rule.roles) & set(roles):
            continue
        scopes = (
            _scopes(facts, rule.for_each, rule.when) if rule.for_each else [_Scope(facts, None)]
        )
        rule_hits: list[_Hit] = []
        for scope in scopes:
            hit = _judge(mta, facts, rule, scope, selection)
            if hit is not None:
                rule_hits.append(hit)
        if rule_hits:
            hits_by_rule.append((rule, rule_hits))
    hits_by_rule = _drop_superseded(hits_by_rule)
    findings: list[Finding] = []
    for rule, rule_hits in hits_by_rule:
        findings.extend(_merge_per_setting(mta, rule, rule_hits))
    return findings


@dataclass
class _Hit:
    """One rule firing on one scope, before findings about one setting are merged."""

    finding: Finding
    scope: _Scope
    # what the finding is about: the listener (or other element) it was judged on
    subject: str | None


def _judge(mta: str, facts: Facts, rule: Rule, scope: _Scope, selection: Selection) -> _Hit | None:
    hits: list[str] = []
    if rule.when is None or not evaluate(rule.when, scope.get, hits):
        return None
    location = rule.location or _located_hit(facts, scope, hits) or rule.location_path
    resolved = scope.path(location) if location else None
    span = facts.span_of(resolved) if resolved else None
    if rule.location and resolved and facts.located_span(resolved) is None:
        # the setting the rule names is at its built-in default: the fix is a line added
        # to the main file, so every listener it affects shares one finding there
        span = facts.default_span
    if span is None and scope.item_path is not None:
        span = facts.span_of(scope.item_path)
    if span is None:
        span = facts.default_span
    if span is None:
        return None
    value = scope.get(location) if location else ""
    key = _finding_key(
        scope, re.sub(r"^item\.?", "", location or "") if scope.item_path else resolved
    )
    message = render(rule.message, scope) + _exposure_assumption(rule, scope.item)
    finding = Finding(
        rule=rule.id,
        severity=selection.severity_of(rule),
        message=message,
        span=span,
        tags=list(rule.tags),
        fix=render(rule.fix_for(mta), scope),
        title=rule.title,
        key=key,
        value=_text(value),
        evidence=_evidence(facts, scope, hits),
        # a diagnostic that can be fixed mechanically carries its edit
        fix_edit=Edit.from_fact(scope.item.get("edit")) if isinstance(scope.item, dict) else None,
    )
    return _Hit(finding, scope, scope.item_path)


def _drop_superseded(
    hits_by_rule: list[tuple[Rule, list[_Hit]]],
) -> list[tuple[Rule, list[_Hit]]]:
    """Leave out a finding when a rule that supersedes its rule spoke of the same thing.

    A superseding finding about a subject (listener, route) speaks for findings about the
    same subject or the same line, and for a whole-set finding only where that finding
    rests on the subject's lines (a relayhost finding is not superseded by a provider
    finding on another route). A superseding finding about the whole set (no subject)
    speaks only for findings that rest on a line it rests on (its own or one of the facts
    it matched): SSL let in by the client's protocol list says nothing of the server's."""
    speaking: dict[str, list[_Hit]] = {}
    for rule, rule_hits in hits_by_rule:
        for superseded in rule.supersedes:
            speaking.setdefault(superseded, []).extend(rule_hits)
    if not speaking:
        return hits_by_rule
    out: list[tuple[Rule, list[_Hit]]] = []
    for rule, rule_hits in hits_by_rule:
        over = speaking.get(rule.id)
        if over:
            rule_hits = [h for h in rule_hits if not _spoken_for(h, over)]
        if rule_hits:
            out.append((rule, rule_hits))
    return out


def _spoken_for(hit: _Hit, over: list[_Hit]) -> bool:
    """Whether one of the superseding findings ``over`` speaks for ``hit``."""
    rests_on = _rests_on(hit)
    for sup in over:
        if sup.subject is None:
            # about the whole set: a line both rest on (the same setting is the same
            # line, a setting left at its default the same default place)
            if rests_on & _rests_on(sup):
                return True
        elif hit.subject is not None:
            if hit.subject == sup.subject or _place(hit.finding.span) == _place(sup.finding.span):
                return True
        elif rests_on & ({_place(sup.finding.span)} | _subject_places(sup)):
            return True
    return False


def _place(span: Span) -> tuple[str, int]:
    return (str(span.path), span.line)


def _subject_places(hit: _Hit) -> set[tuple[str, int]]:
    """The lines of the element a finding was judged on and of its parts (a relayhost's
    port may be written on another line than its host)."""
    item = hit.scope.item_path
    if item is None:
        return set()
    return {
        _place(span)
        for path, span in hit.scope.facts.spans.items()
        if path == item or path.startswith((item + ".", item + "["))
    }


def _rests_on(hit: _Hit) -> set[tuple[str, int]]:
    """The lines a finding rests on: its own and those of the facts it matched."""
    places = {_place(hit.finding.span)}
    for entry in hit.finding.evidence:
        if "line" in entry:
            places.add((str(entry["path"]), int(entry["line"])))
    return places


_NAME_MARK = "\x00name\x00"


def _merge_per_setting(mta: str, rule: Rule, rule_hits: list[_Hit]) -> list[Finding]:
    """One finding for listeners that fail a rule because of the same line: the line
    where the fix goes is one, so is the finding, naming every listener it affects."""
    if rule.for_each != "posture.listeners" or len(rule_hits) < 2:
        return [h.finding for h in rule_hits]
    groups: dict[tuple[Any, ...], list[_Hit]] = {}
    for hit in rule_hits:
        span = hit.finding.span
        marked = render(rule.message, hit.scope.with_override("item.name", _NAME_MARK))
        groups.setdefault((span.path, span.line, span.column, marked), []).append(hit)
    out: list[Finding] = []
    for group in groups.values():
        first = group[0].finding
        if len(group) > 1:
            names = _join_names([str(h.scope.get("item.name")) for h in group])
            scope = group[0].scope.with_override("item.name", names)
            first.message = render(rule.message, scope) + _exposure_assumption(rule, scope.item)
            first.fix = render(rule.fix_for(mta), scope)
            for other in group[1:]:
                first.evidence.extend(e for e in other.finding.evidence if e not in first.evidence)
        out.append(first)
    return out


def _join_names(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " and " + unique[-1]


def _exposure_assumption(rule: Rule, item: Any) -> str:
    """What a finding about a listener assumes when its address is not known (a
    placeholder or a host name) and the rule judges exposure: said in the message, never
    left implicit."""
    if not isinstance(item, dict) or item.get("exposure") != "unknown":
        return ""
    if rule.when is None or "item.exposure" not in leaf_paths(rule.when):
        return ""
    return (
        f" (assuming the listen address {item.get('address', '')!r} is reachable from the "
        "network: it is not a literal address)"
    )


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
