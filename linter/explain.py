"""Rules shown to a person at the terminal: ``mtalint explain ID`` and ``mtalint rules``.

The pages of ``docs/rules/`` (:mod:`linter.docs`) say the same from the same YAML; this
module renders for a terminal, every line through :func:`linter.textsafe.printable`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from linter.settings import EXIT_FINDINGS, CommandError, rule_tokens, split
from linter.textsafe import printable

if TYPE_CHECKING:
    from pathlib import Path

    from linter.engine.rules import Rule

# the formats of ``mtalint rules``
LIST_FORMATS = ("text", "json")


def explain(rule_id: str) -> str:
    """Why the rule matters, how to fix it, references and examples (an id in any case,
    or a rule name); CommandError naming close ids when there is no such rule."""
    from linter.engine.rules import builtin_rules

    rules = builtin_rules(with_tests=True)
    rule = next((r for r in rules if r.id.lower() == rule_id.lower() or r.name == rule_id), None)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id.upper(), [r.id for r in rules], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CommandError(f"no rule {rule_id}{hint}; 'mtalint rules' lists them")
    # rule text is ours, but a test file may hold any byte (MTA021's binary main.cf)
    return "\n".join(printable(line) for line in "\n".join(_explanation(rule)).split("\n"))


def _explanation(rule: Rule) -> list[str]:
    out = [f"{rule.id}  {rule.title}", ""]
    out.append(f"severity: {rule.severity}    applies to: {', '.join(rule.applies_to)}")
    if rule.roles:
        out.append(f"roles: {', '.join(rule.roles)}")
    if rule.tags:
        out.append(f"tags: {', '.join(rule.tags)}")
    if rule.rationale:
        out += ["", "Why:", *("  " + line for line in rule.rationale.splitlines())]
    if rule.fix:
        out += ["", "Fix:"]
        for mta, text in rule.fix.items():
            lines = text.splitlines() or [""]
            out.append(f"  [{mta}] {lines[0]}")
            out += ["    " + line for line in lines[1:]]
    if rule.references:
        out += ["", "References:"]
        for ref in rule.references:
            label = ref.get("id") or ref.get("title", "")
            url = f"  <{ref['url']}>" if ref.get("url") else ""
            out.append(f"  - {ref.get('type', 'doc')}: {label}{url}")
    from linter.providers import describe, reads_provider

    if reads_provider(rule):
        out += ["", "Relay providers (posture.outbound.provider):"]
        out += ["  - " + line for line in describe()]
    from linter.mta.domino.reference import concerns_domino, not_established

    if concerns_domino(list(rule.applies_to), dict(rule.fix or {})):
        out += ["", "Domino items no public source establishes (not checked):"]
        out += ["  - " + line for line in not_established()]
    examples = [t for t in rule.tests if isinstance(t, dict)]
    for verdict, heading in (("trigger", "Triggers on:"), ("pass", "Does not trigger on:")):
        case = next((t for t in examples if t.get("expect", "trigger") == verdict), None)
        if case and isinstance(case.get("files"), dict):
            out += ["", heading]
            for fname, content in case["files"].items():
                out.append(f"  # {fname}")
                out += ["  " + line for line in str(content).rstrip().splitlines()]
    return out


def rule_list(select: tuple[str, ...], fmt: str) -> str:
    """The built-in rules (those ``select`` names, or all): one line each, or JSON."""
    from linter.engine.rules import builtin_rules
    from linter.engine.runner import Selection

    every = builtin_rules()
    selection = Selection(select=rule_tokens(split(select), every))
    chosen = [r for r in every if selection.wants(r)]
    if fmt == "json":
        fields = ("id", "name", "severity", "applies_to", "roles", "tags", "title")
        return json.dumps([{k: getattr(r, k) for k in fields} for r in chosen], indent=2) + "\n"
    width = max((len(r.id) for r in chosen), default=4)
    lines = []
    for r in chosen:
        applies = ",".join(r.applies_to)
        tags = ", ".join(r.tags)
        lines.append(f"{r.id:<{width}}  {r.severity:<7}  {applies:<8}  {r.title}  [{tags}]\n")
    return "".join(lines)


def check_rule_folder(folder: Path) -> str:
    """``mtalint rules --check DIR``: the rule files of ``folder`` validated against the
    schema, ids unique; CommandError (exit 1) naming what is wrong."""
    from linter.engine.rules import RuleError, load_folder

    try:
        checked = load_folder(folder, check_schema=True)
    except RuleError as exc:
        raise CommandError(str(exc), EXIT_FINDINGS) from None
    ids = [r.id for r in checked]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise CommandError(f"{folder}: duplicate rule id(s): {', '.join(dupes)}", EXIT_FINDINGS)
    return f"{len(checked)} rule file(s) in {printable(folder)} are valid"
