"""Rule pages (``docs/rules/ID.md``) and their index, generated from the rule YAML.

``mtalint docs`` writes them; ``mtalint docs --check`` (run by the tests) fails when the
committed pages differ from what the rules say, so the documentation cannot drift. The
output is deterministic: sorted, no dates, nothing from the machine it runs on.

Rule text is prose, not Markdown: it is escaped, so ``<sha256 of the key>``, sendmail's m4
quotes and ``hosts = *`` show as written. The examples are the rule's own ``tests:``, in
the order the rule file gives them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from linter.engine.rules import Rule, builtin_rules
from linter.mta.registry import registry
from linter.resources import rules_dir

# index order: the MTAs (from their registry entries), then the cross-MTA posture, then
# the online checks
FAMILIES = (
    *((spec.rule_prefix, spec.title, "") for spec in registry()),
    ("MTA", "Cross-MTA posture", "what the server does, judged the same way for every MTA"),
    ("DNS", "DNS, online checks", "only with `mtalint check --online`"),
    ("MTL", "mtalint itself", ""),
)
OTHER = "Other rules"

# code-block languages by file name (lower case), then by suffix
_LANGUAGE = {name: lang for spec in registry() for name, lang in spec.code_languages.items()}
_LANGUAGE_BY_SUFFIX = {".mc": "m4", ".ini": "ini", ".xml": "xml", ".json": "json"}

# "$" too: GitHub renders $...$ as math, and Exim's expansions are full of it
_SPECIAL = re.compile(r"[\\`*\[\]<>|~$]|&(?=#?\w+;)")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_BLOCK_START = re.compile(r"^(?:[#=+-]|\d+[.)])")


def family(rule: Rule) -> str:
    """The id's letters: PF001 → PF."""
    return re.sub(r"\d.*$", "", rule.id)


def _id_key(rule: Rule) -> tuple[str, int, str]:
    digits = re.search(r"\d+", rule.id)
    return (family(rule), int(digits.group()) if digits else 0, rule.id)


def md(text: str) -> str:
    """Prose as Markdown that renders as written: one line, markup characters escaped."""
    text = " ".join(str(text).split())
    text = _SPECIAL.sub(lambda m: "\\" + m.group(), text)
    # an underscore inside a word is never emphasis (smtpd_tls_auth_only stays readable)
    text = _UNDERSCORE.sub(r"\\_", text)
    # a line that would start a heading, list or block quote
    if text[:1].isdigit():
        text = re.sub(r"^(\d+)([.)])", r"\1\\\2", text)
    elif _BLOCK_START.match(text):
        text = "\\" + text
    return text


def _paragraphs(text: str) -> list[str]:
    out: list[str] = []
    for para in re.split(r"\n\s*\n", str(text).strip()):
        if para.strip():
            out += [md(para), ""]
    return out


def code(text: str) -> str:
    """An inline code span that holds any text, backticks included."""
    text = " ".join(str(text).split())
    runs = [len(r) for r in re.findall(r"`+", text)]
    ticks = "`" * (max(runs, default=0) + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{ticks}{text}{ticks}"


def _language(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
    if base in _LANGUAGE:
        return _LANGUAGE[base]
    suffix = "." + base.rsplit(".", 1)[-1] if "." in base else ""
    return _LANGUAGE_BY_SUFFIX.get(suffix, "text")


def _control_picture(m: re.Match[str]) -> str:
    n = ord(m.group())
    return "\u2421" if n == 0x7F else chr(0x2400 + n)


def _block(text: str, language: str) -> list[str]:
    runs = [len(r) for r in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    # a test file may hold bytes a text file cannot show (MTA021's binary main.cf): they
    # are written as Unicode control pictures, so the page stays plain text
    shown = _CONTROL.sub(_control_picture, str(text).rstrip("\n"))
    out = [f"{fence}{language}", shown, fence, ""]
    if shown != str(text).rstrip("\n"):
        out += ["Control characters are shown as Unicode control pictures (␀ is a NUL byte).", ""]
    return out


def _link(label: str, url: str) -> str:
    target = f"<{url}>" if re.search(r"[\s()<>]", url) else url
    return f"[{md(label)}]({target})"


def _command(case: dict[str, Any]) -> str:
    """The options `mtalint check` needs to reproduce a test case, or ''."""
    args: list[str] = []
    for role in case.get("roles") or []:
        args += ["--role", str(role)]
    if case.get("postfix_version"):
        args += ["--postfix-version", str(case["postfix_version"])]
    dns: dict[str, Any] = case.get("dns") or {}
    if dns:
        args.append("--online")
        for key, flag in (
            ("public_ip", "--public-ip"),
            ("dkim_selector", "--dkim-selector"),
            ("dnsbl", "--dnsbl"),
        ):
            for value in dns.get(key) or []:
                args += [flag, str(value)]
        if "timeout" in dns:
            args += ["--dns-timeout", str(dns["timeout"])]
    return " ".join(["mtalint check", *args]) if args else ""


def _case(case: dict[str, Any]) -> list[str]:
    facts = []
    if case.get("line"):
        facts.append(f"finding on line {case['line']}")
    if case.get("count"):
        facts.append(f"{case['count']} finding{'s' if case['count'] != 1 else ''}")
    heading = md(case.get("name", "")) + (f" ({', '.join(facts)})" if facts else "")
    out = [f"### {heading}", ""]
    command = _command(case)
    if command:
        out += [f"Checked with {code(command)}.", ""]
    for name, text in (case.get("files") or {}).items():
        out += [f"{code(name)}:", ""] + _block(str(text), _language(str(name)))
    dns: dict[str, Any] = case.get("dns") or {}
    server = dns.get("server", "nsd")
    if server == "silent":
        out += ["DNS: a server that never answers.", ""]
    elif server == "servfail":
        out += ["DNS: a server that answers SERVFAIL to every query.", ""]
    for zone, text in (dns.get("zones") or {}).items():
        out += [f"DNS zone {code(zone)}:", ""] + _block(str(text), "dns")
    return out


def _examples(rule: Rule) -> list[str]:
    out: list[str] = []
    for expect, heading in (("trigger", "Triggers"), ("pass", "Does not trigger")):
        cases = [c for c in rule.tests if c.get("expect") == expect]
        if cases:
            out += [f"## {heading}", ""]
            for case in cases:
                out += _case(case)
    return out


def _source(rule: Rule) -> str:
    """The rule file, linked from docs/rules/ to rules/ in the repository."""
    try:
        relative = Path(rule.path).resolve().relative_to(rules_dir().resolve()).as_posix()
    except ValueError:
        return code(Path(rule.path).name)
    return f"[{md('rules/' + relative)}](../../rules/{relative})"


def _providers(rule: Rule) -> list[str]:
    """The relay provider catalogue, for rules that judge ``posture.outbound.provider``."""
    from linter.providers import describe, reads_provider

    if not reads_provider(rule):
        return []
    intro = "What the rule knows of each provider, with the page it was read from:"
    return ["## Relay providers", "", md(intro), "", *(f"- {md(line)}" for line in describe()), ""]


def rule_page(rule: Rule) -> str:
    roles = ", ".join(rule.roles) if rule.roles else "every role"
    lines = [
        f"# {rule.id}: {md(rule.title)}",
        "",
        "| field | value |",
        "|---|---|",
        f"| id | {code(rule.id)} |",
        f"| name | {code(rule.name) if rule.name else '—'} |",
        f"| severity | {rule.severity}"
        + (f" ({rule.severity_class})" if rule.severity_class else "")
        + " |",
        f"| applies to | {', '.join(rule.applies_to)} |",
        f"| roles | {roles} |",
        f"| tags | {', '.join(code(t) for t in rule.tags) or '—'} |",
        f"| defined in | {_source(rule)} |",
        "",
        f"Message template: {code(rule.message)}",
        "",
        "## Why",
        "",
        *(_paragraphs(rule.rationale) or ["—", ""]),
        "## Fix",
        "",
    ]
    for mta, fix in rule.fix.items():
        label = "any MTA" if mta == "any" else mta
        lines.append(f"- **{label}**: {md(fix)}")
    if not rule.fix:
        lines.append("—")
    lines += ["", "## References", ""]
    for ref in rule.references:
        label = str(ref.get("id") or ref.get("url") or "")
        title = f" — {md(ref['title'])}" if ref.get("title") else ""
        lines.append(f"- {_link(label, ref['url']) if ref.get('url') else md(label)}{title}")
    if not rule.references:
        lines.append("—")
    lines.append("")
    lines += _providers(rule)
    lines += _examples(rule)
    return "\n".join(lines).rstrip("\n") + "\n"


def index_page(rules: list[Rule]) -> str:
    lines = [
        "# mtalint rules",
        "",
        "One page per rule: why it matters, the fix for each MTA, references, and",
        "configurations that trigger it and that do not (the rule's own tests, which",
        "`mtalint test-rules` runs). Generated from `rules/` by `mtalint docs`; do not edit",
        "by hand.",
        "",
        f"{len(rules)} rules.",
        "",
    ]
    known = {prefix for prefix, _, _ in FAMILIES}
    groups = [
        (f"{title} ({prefix})", blurb, [r for r in rules if family(r) == prefix])
        for prefix, title, blurb in FAMILIES
    ]
    groups.append((OTHER, "", [r for r in rules if family(r) not in known]))
    for title, blurb, members in groups:
        if not members:
            continue
        count = f"{len(members)} rule{'s' if len(members) != 1 else ''}"
        lines += [
            f"## {title}",
            "",
            f"{count}: {blurb}." if blurb else f"{count}.",
            "",
            "| id | severity | title | applies to | tags |",
            "|---|---|---|---|---|",
        ]
        for r in members:
            lines.append(
                f"| [{r.id}]({r.id}.md) | {r.severity} | {md(r.title)} | "
                f"{', '.join(r.applies_to)} | {', '.join(r.tags)} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def generate() -> dict[str, str]:
    """File name → Markdown text for every built-in rule, plus README.md (the index)."""
    rules = sorted((r for r in builtin_rules(with_tests=True) if not r.builtin), key=_id_key)
    pages = {f"{r.id}.md": rule_page(r) for r in rules}
    pages["README.md"] = index_page(rules)
    return dict(sorted(pages.items()))


def stale_pages(out_dir: Path, pages: dict[str, str]) -> list[str]:
    """``mtalint docs --check``: a line per page of ``out_dir`` that is not what would be
    generated, or that no rule has any more (empty: up to date)."""
    from linter.textsafe import printable

    stale = [
        name
        for name, text in pages.items()
        if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text
    ]
    extra = (
        sorted(p.name for p in out_dir.glob("*.md") if p.name not in pages)
        if out_dir.is_dir()
        else []
    )
    return [f"out of date: {printable(out_dir / name)}" for name in stale] + [
        f"no such rule any more: {printable(out_dir / name)}" for name in extra
    ]


def write_pages(out_dir: Path, pages: dict[str, str]) -> None:
    """The pages into ``out_dir``, each written atomically; a page no rule has is removed."""
    from linter.output import write_atomically

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        write_atomically(out_dir / name, text)
    for stale_page in out_dir.glob("*.md"):
        if stale_page.name not in pages:
            stale_page.unlink()
