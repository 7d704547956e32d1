"""Rule pages (``docs/rules/ID.md``) and their index, generated from the rule YAML.

``mtalint docs`` writes them; ``mtalint docs --check`` (run by the tests) fails when the
committed pages differ from what the rules say, so the documentation cannot drift. The
output is deterministic: sorted, no dates.
"""

from __future__ import annotations

from typing import Any

from linter.engine.rules import Rule, builtin_rules

FAMILIES = (
    ("MTA", "Cross-MTA posture (every MTA)"),
    ("PF", "Postfix"),
    ("EX", "Exim"),
    ("SM", "sendmail"),
    ("HM", "hMailServer"),
    ("DNS", "DNS (`mtalint check --online`)"),
    ("MTL", "mtalint itself"),
)
FENCE = {"main.cf": "ini", "master.cf": "text", "exim.conf": "text", ".mc": "m4"}


def _family(rule: Rule) -> str:
    prefix = "".join(ch for ch in rule.id if ch.isalpha())
    return prefix


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _fence(name: str, text: str) -> list[str]:
    lang = next((v for k, v in FENCE.items() if name.endswith(k)), "text")
    ticks = "````" if "```" in text else "```"
    return [f"`{name}`", "", f"{ticks}{lang}", text.rstrip("\n"), ticks, ""]


def _examples(rule: Rule) -> list[str]:
    out: list[str] = []
    for expect, heading in (("trigger", "Triggers"), ("pass", "Does not trigger")):
        cases = [c for c in rule.tests if c.get("expect") == expect]
        if not cases:
            continue
        out += [f"## {heading}", ""]
        for case in cases:
            line = f" (finding on line {case['line']})" if case.get("line") else ""
            out += [f"### {case.get('name', '')}{line}", ""]
            for name, text in (case.get("files") or {}).items():
                out += _fence(str(name), str(text))
            dns: dict[str, Any] = case.get("dns") or {}
            if dns.get("server") in ("silent", "servfail"):
                out += [
                    "DNS: a server that "
                    + ("never answers." if dns["server"] == "silent" else "answers SERVFAIL."),
                    "",
                ]
            for zone, text in (dns.get("zones") or {}).items():
                out += [f"DNS zone `{zone}`:", "", "```dns", str(text).rstrip("\n"), "```", ""]
            options = [
                f"--{flag} {value}"
                for key, flag in (
                    ("public_ip", "public-ip"),
                    ("dkim_selector", "dkim-selector"),
                    ("dnsbl", "dnsbl"),
                )
                for value in dns.get(key) or []
            ]
            if options:
                out += ["Run with `" + " ".join(["--online", *options]) + "`.", ""]
    return out


def rule_page(rule: Rule) -> str:
    lines = [f"# {rule.id}: {rule.title}", ""]
    lines += [
        "| | |",
        "|---|---|",
        f"| name | `{rule.name}` |",
        f"| severity | {rule.severity} |",
        f"| applies to | {', '.join(rule.applies_to)} |",
        f"| roles | {', '.join(rule.roles) if rule.roles else 'every role'} |",
        f"| tags | {', '.join(f'`{t}`' for t in rule.tags)} |",
        "",
        f"Message: {_cell(rule.message)}",
        "",
        "## Why",
        "",
        " ".join(rule.rationale.split()),
        "",
        "## Fix",
        "",
    ]
    for mta, fix in rule.fix.items():
        lines.append(f"- **{mta}**: {' '.join(str(fix).split())}")
    lines += ["", "## References", ""]
    for ref in rule.references:
        label = ref.get("id", "")
        title = f" — {ref['title']}" if ref.get("title") else ""
        lines.append(f"- [{label}]({ref['url']}){title}" if ref.get("url") else f"- {label}{title}")
    lines.append("")
    lines += _examples(rule)
    return "\n".join(lines).rstrip("\n") + "\n"


def index_page(rules: list[Rule]) -> str:
    lines = [
        "# mtalint rules",
        "",
        "Generated from `rules/` by `mtalint docs`; do not edit by hand.",
        "",
    ]
    for prefix, title in FAMILIES:
        members = [r for r in rules if _family(r) == prefix]
        if not members:
            continue
        lines += [f"## {title}", "", "| id | severity | title | tags |", "|---|---|---|---|"]
        for r in members:
            tags = ", ".join(r.tags)
            lines.append(f"| [{r.id}]({r.id}.md) | {r.severity} | {_cell(r.title)} | {tags} |")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def generate() -> dict[str, str]:
    """File name → Markdown text for every built-in rule, plus README.md (the index)."""
    rules = sorted(
        (r for r in builtin_rules(with_tests=True) if not r.builtin),
        key=lambda r: (_family(r), r.id),
    )
    pages = {f"{r.id}.md": rule_page(r) for r in rules}
    pages["README.md"] = index_page(rules)
    return pages
