"""Compliance reports: findings mapped to the controls of frameworks, with evidence.

A rule decides a control of a framework (``rules/frameworks/*.yaml``) when one of its tags
is among the control's tags, when the control lists the rule's id, or when one of the
rule's references names the control: ``{type: control, framework: F, id: C}``, or a
reference of the framework's own kind (``stig``, ``pci``, ``rfc``, ...) whose id is the
control's id or starts with it (``RFC 8314 §3.3`` names ``RFC 8314``).

Per config set a control is

* ``fail``: a rule that decides it has a finding;
* ``pass``: rules that decide it ran and found nothing;
* ``not verified``: only DNS rules decide it and the run was offline, or the set could not
  be read;
* ``not applicable``: no rule that decides it applies to this MTA and these roles.

The report document (``build``) is plain data; the HTML and Markdown templates in
``linter/templates/`` render it, and ``--format json`` prints it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter import __version__

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule

SEVERITIES = ("error", "warning", "note")
STATUSES = ("fail", "not verified", "pass", "not applicable")
# reference types that speak of a framework's controls
REFERENCE_FRAMEWORK = {
    "stig": "disa-stig",
    "pci": "pci-dss-4.0",
    "rfc": "rfc",
    "cis": "cis",
    "bsi": "bsi-tr-03108",
    "nist": "nist-sp-800-177r1",
}


class FrameworkError(Exception):
    pass


@dataclass
class Control:
    id: str
    title: str
    url: str = ""
    tags: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


@dataclass
class Framework:
    id: str
    title: str
    version: str
    url: str
    note: str
    controls: list[Control]


def frameworks_dir() -> Path:
    from linter.resources import rules_dir

    return rules_dir() / "frameworks"


def load_frameworks(folder: Path | None = None) -> list[Framework]:
    """Every framework file, validated against ``frameworks/schema.json``."""
    import json

    import jsonschema
    import yaml

    folder = folder or frameworks_dir()
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    out = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise FrameworkError(f"{path}: {exc}") from exc
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path)
            raise FrameworkError(f"{path}: {where}: {errors[0].message}")
        controls = [
            Control(
                str(cid),
                c["title"].strip(),
                c.get("url", ""),
                list(c.get("tags", [])),
                list(c.get("rules", [])),
            )
            for cid, c in data["controls"].items()
        ]
        out.append(
            Framework(
                data["framework"],
                data["title"],
                str(data.get("version", "")),
                data.get("url", ""),
                " ".join(str(data.get("note", "")).split()),
                controls,
            )
        )
    return out


def decides(rule: Rule, framework: Framework, control: Control) -> bool:
    if rule.id in control.rules or set(rule.tags) & set(control.tags):
        return True
    for ref in rule.references:
        kind, ident = ref.get("type", ""), str(ref.get("id", ""))
        if kind == "control" and ref.get("framework") == framework.id and ident == control.id:
            return True
        if REFERENCE_FRAMEWORK.get(kind) == framework.id and (
            ident == control.id or ident.startswith(control.id + " ")
        ):
            return True
    return False


def is_dns_rule(rule: Rule) -> bool:
    return rule.id.startswith("DNS")


def _sha256(path: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
                size += len(block)
    except OSError:
        return "", 0
    return digest.hexdigest(), size


def ruleset_version(rules: list[Rule]) -> str:
    """A hash of the rules used, so a report names the exact rule set."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(f"{rule.id}\x1f{rule.path}\x1e".encode())
        if rule.path and Path(rule.path).is_file():
            digest.update(Path(rule.path).read_bytes())
    return digest.hexdigest()[:16]


def build(
    result: CheckResult,
    rules: list[Rule],
    frameworks: list[Framework],
    paths: list[str],
    online: bool,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The report document."""
    now = now or datetime.now(UTC)
    by_rule = {r.id: r for r in rules}
    sets: list[dict[str, Any]] = []
    for analysis, config_set in zip(result.analyses, result.analysed_sets, strict=True):
        display = config_set.display
        files = {f.display for f in config_set.files}
        findings = [f for f in result.findings if f.span.path in files]
        unreadable = any(d.kind == "input-error" for d in analysis.diagnostics)
        sets.append(
            {
                "name": display,
                "mta": analysis.mta,
                "roles": list(analysis.facts.get("roles") or []),
                "files": sorted(files),
                "unreadable": unreadable,
                "counts": _counts(findings),
                "findings": [_finding(f, by_rule) for f in findings],
            }
        )
    report_frameworks = []
    for framework in frameworks:
        controls = []
        for control in framework.controls:
            deciding = [
                r
                for r in rules
                if not r.builtin
                and decides(r, framework, control)
                and any(_applicable(r, s) for s in sets)
            ]
            per_set = {s["name"]: _status(s, deciding, online) for s in sets}
            statuses = set(per_set.values())
            overall = next((s for s in STATUSES if s in statuses), "not applicable")
            controls.append(
                {
                    "id": control.id,
                    "title": control.title,
                    "url": control.url,
                    "status": overall,
                    "sets": per_set,
                    "rules": [r.id for r in deciding],
                    "findings": [
                        f
                        for s in sets
                        for f in s["findings"]
                        if f["rule"] in {r.id for r in deciding}
                    ],
                }
            )
        report_frameworks.append(
            {
                "id": framework.id,
                "title": framework.title,
                "version": framework.version,
                "url": framework.url,
                "note": framework.note,
                "controls": controls,
                "counts": dict(Counter(c["status"] for c in controls)),
            }
        )
    inputs = []
    for name in sorted(set(result.files)):
        digest, size = _sha256(name)
        inputs.append({"path": name, "sha256": digest, "bytes": size})
    return {
        "title": "Mail server configuration audit",
        "meta": {
            "tool": "mtalint",
            "version": __version__,
            "ruleset": ruleset_version(rules),
            "rules": len([r for r in rules if not r.builtin]),
            "generated": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "paths": list(paths),
            "online": online,
            "inputs": inputs,
        },
        "summary": {
            "counts": _counts(result.findings),
            "sets": len(sets),
            "files": len(inputs),
        },
        "sets": sets,
        "frameworks": report_frameworks,
    }


def _applicable(rule: Rule, config_set: dict[str, Any]) -> bool:
    return rule.applies(config_set["mta"]) and (
        not rule.roles or bool(set(rule.roles) & set(config_set["roles"]))
    )


def _status(config_set: dict[str, Any], deciding: list[Rule], online: bool) -> str:
    applicable = [r for r in deciding if _applicable(r, config_set)]
    if not applicable:
        return "not applicable"
    ids = {r.id for r in applicable}
    if any(f["rule"] in ids for f in config_set["findings"]):
        return "fail"
    if config_set["unreadable"]:
        return "not verified"
    if not online and all(is_dns_rule(r) for r in applicable):
        return "not verified"
    return "pass"


def _counts(findings: list[Any]) -> dict[str, int]:
    counts = Counter(f.severity for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def _finding(f: Any, by_rule: dict[str, Rule]) -> dict[str, Any]:
    rule = by_rule.get(f.rule)
    return {
        **f.to_dict(),
        "title": f.title or (rule.title if rule else ""),
        "references": list(rule.references) if rule else [],
    }
