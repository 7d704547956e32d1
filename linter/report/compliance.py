"""Compliance reports: findings mapped to the controls of frameworks, with evidence.

A rule decides a control of a framework (``rules/frameworks/*.yaml``) when one of its tags
is among the control's tags, when the control lists the rule's id, or when one of the
rule's references names the control: ``{type: control, framework: F, id: C}``, or a
reference of the framework's own kind (``stig``, ``pci``, ``rfc``, ...) whose id is the
control's id or starts with it (``RFC 8314 §3.3`` names ``RFC 8314``).

Per config set (host) a control is

* ``fail``: a rule that decides it has a finding;
* ``pass``: only when every rule that decides it and applies to this MTA and these roles
  was evaluated on this host and found nothing;
* ``not checked``, with the reasons: a deciding rule was switched off (``--ignore``,
  ``--select``, ``.mtalint.yaml``), a finding of one was suppressed (inline, baseline), a
  DNS rule on an offline run, a relay rule while some listener's relay verdict is
  ``unknown``, no rule of mtalint checks it on this MTA, or an input of the host could
  not be read;
* ``not applicable``: every rule that decides it is for roles this host does not have
  (the same for every MTA, so a Postfix and an Exim host with one role agree).

A report never says ``pass`` for something that was not looked at: an auditor reads
``pass`` as evidence.

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
# worst first
STATUSES = ("fail", "not checked", "pass", "not applicable")
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
    """A hash of the rules used, so a report names the exact rule set: each rule's id and
    the bytes of its file, never where it is installed (two venvs, one hash)."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(f"{rule.id}\x1e".encode())
        if rule.path and Path(rule.path).is_file():
            digest.update(Path(rule.path).read_bytes())
        digest.update(b"\x1d")
    return digest.hexdigest()[:16]


def build(
    result: CheckResult,
    rules: list[Rule],
    frameworks: list[Framework],
    paths: list[str],
    online: bool,
    now: datetime | None = None,
    configuration: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The report document."""
    from linter.engine.runner import Selection

    now = now or datetime.now(UTC)
    selection = result.selection or Selection()
    by_rule = {r.id: r for r in rules}
    problems = [_problem(p) for p in result.problems]
    sets: list[dict[str, Any]] = []
    for analysis, config_set in zip(result.analyses, result.analysed_sets, strict=True):
        display = config_set.display
        files = {f.display for f in config_set.files}
        findings = [f for f in result.findings if f.span.path in files]
        hidden = [f for f in result.suppressed_findings if f.span.path in files]
        unread = [
            f"{d.span.path}: {d.message}" for d in analysis.diagnostics if d.kind == "input-error"
        ]
        unread += [text for path, text in problems if _inside(path, display)]
        posture = _plain(analysis.facts.get("posture")) or {}
        sets.append(
            {
                "name": display,
                "host": _host_name(posture, display),
                "mta": analysis.mta,
                "roles": list(analysis.facts.get("roles") or []),
                "files": sorted(files),
                "unreadable": bool(unread),
                "unread": unread,
                "counts": _counts(findings),
                "findings": [_finding(f, by_rule) for f in findings],
                "suppressed": [_finding(f, by_rule) for f in hidden],
                "unknown_relay": _unknown_relay(posture),
            }
        )
    claimed = {text for s in sets for text in s["unread"]}
    for path, text in problems:
        if text not in claimed:
            # nothing of this input was read: a host of its own, with nothing checked
            sets.append(_unread_set(path, text))
    report_frameworks = []
    for framework in frameworks:
        controls = []
        for control in framework.controls:
            deciding = [r for r in rules if not r.builtin and decides(r, framework, control)]
            per_set: dict[str, str] = {}
            reasons: dict[str, list[str]] = {}
            for s in sets:
                status, why = _judge(s, deciding, online, selection)
                per_set[s["name"]] = status
                if why:
                    reasons[s["name"]] = why
                s.setdefault("controls", []).append(
                    {
                        "framework": framework.id,
                        "id": control.id,
                        "title": control.title,
                        "status": status,
                        "reasons": why,
                    }
                )
            statuses = set(per_set.values())
            overall = next((s for s in STATUSES if s in statuses), "not applicable")
            ids = {r.id for r in deciding}
            controls.append(
                {
                    "id": control.id,
                    "title": control.title,
                    "url": control.url,
                    "status": overall,
                    "sets": per_set,
                    "reasons": reasons,
                    "counts": {st: sum(1 for v in per_set.values() if v == st) for st in STATUSES},
                    "rules": [r.id for r in deciding],
                    "failing_hosts": [s["host"] for s in sets if per_set[s["name"]] == "fail"],
                    "findings": [f for s in sets for f in s["findings"] if f["rule"] in ids],
                    "suppressed": [f for s in sets for f in s["suppressed"] if f["rule"] in ids],
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
    for s in sets:
        s["frameworks"] = {
            fw.id: {
                st: sum(1 for c in s["controls"] if c["framework"] == fw.id and c["status"] == st)
                for st in STATUSES
            }
            for fw in frameworks
        }
    # the summary and the per-host sections: worst host first
    hosts = sorted(
        sets,
        key=lambda s: (
            -sum(c["status"] == "fail" for c in s["controls"]),
            -sum(c["status"] == "not checked" for c in s["controls"]),
            -s["counts"]["error"],
            s["host"],
            s["name"],
        ),
    )
    inputs = []
    for name in sorted(set(result.files)):
        digest, size = _sha256(name)
        inputs.append({"path": name, "sha256": digest, "bytes": size})
    config = dict(configuration or {})
    config["disabled_rules"] = [r.id for r in rules if not r.builtin and not selection.wants(r)]
    if result.configuration is not None:
        # of those, the rules the configuration file alone switched off
        config["disabled_by_configuration"] = list(result.configuration["disabled_rules"])
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
            "configuration": config,
            "inputs": inputs,
        },
        "summary": {
            "counts": _counts(result.findings),
            "suppressed": len(result.suppressed_findings),
            "sets": len(sets),
            "files": len(inputs),
        },
        # an input was not read: the report is not complete (mtalint report exits 2)
        "incomplete": bool(result.problems) or any(s["unreadable"] for s in sets),
        "problems": list(result.problems),
        "sets": hosts,
        "frameworks": report_frameworks,
    }


def _applicable(rule: Rule, config_set: dict[str, Any]) -> bool:
    return rule.applies(config_set["mta"]) and (
        not rule.roles or bool(set(rule.roles) & set(config_set["roles"]))
    )


def _judge(
    config_set: dict[str, Any], deciding: list[Rule], online: bool, selection: Any
) -> tuple[str, list[str]]:
    """The status of one control on one host, and why it is not ``pass``."""
    if deciding and all(r.roles for r in deciding):
        wanted = sorted({role for r in deciding for role in r.roles})
        if not set(wanted) & set(config_set["roles"]):
            has = ", ".join(config_set["roles"]) or "none"
            return "not applicable", [
                f"only for hosts with role {' or '.join(wanted)}; roles here: {has}"
            ]
    applicable = [r for r in deciding if _applicable(r, config_set)]
    ids = {r.id for r in applicable}
    failing = [f for f in config_set["findings"] if f["rule"] in ids]
    if failing:
        return "fail", [f"{f['rule']} at {f['path']}:{f['line']}" for f in failing]
    if config_set["unreadable"]:
        return "not checked", [f"input not read: {text}" for text in config_set["unread"]]
    if not applicable:
        if not deciding:
            return "not checked", ["no mtalint rule checks this control"]
        return "not checked", [f"no mtalint rule checks this on {config_set['mta']}"]
    reasons = []
    off = [r.id for r in applicable if not selection.wants(r)]
    if off:
        where = "the rule selection (--select/--ignore, configuration)"
        reasons.append(f"switched off by {where}: {', '.join(off)}")
    offline = [r.id for r in applicable if is_dns_rule(r) and not online and selection.wants(r)]
    if offline:
        reasons.append(f"DNS checks not run (offline, no --online): {', '.join(offline)}")
    for f in config_set["suppressed"]:
        if f["rule"] in ids:
            reasons.append(_suppressed_reason(f))
    if config_set["unknown_relay"] and any("open-relay" in r.tags for r in applicable):
        reasons += [f"relay verdict unknown: {text}" for text in config_set["unknown_relay"]]
    return ("not checked", reasons) if reasons else ("pass", [])


def _suppressed_reason(f: dict[str, Any]) -> str:
    s = f["suppression"]
    where = f" at {s['path']}:{s['line']}" if s.get("path") else ""
    until = f", until {s['until']}" if s.get("until") else ""
    how = "inline" if s["kind"] == "inSource" else "externally"
    reason = s.get("justification") or "no reason given"
    return (
        f"finding of {f['rule']} ({f['path']}:{f['line']}) suppressed {how}{where}: {reason}{until}"
    )


def _plain(value: Any) -> Any:
    """Facts may hold dataclasses; reports read plain dicts."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def _host_name(posture: dict[str, Any], display: str) -> str:
    """What the host calls itself (myhostname, primary_hostname, ...), else its folder."""
    identity = posture.get("identity") or {}
    name = str(identity.get("hostname") or "").strip() if isinstance(identity, dict) else ""
    return name or display.rstrip("/") or display


def _unknown_relay(posture: dict[str, Any]) -> list[str]:
    out = []
    for listener in posture.get("listeners") or []:
        relay = listener.get("relay") or {} if isinstance(listener, dict) else {}
        if isinstance(relay, dict) and relay.get("verdict") == "unknown":
            detail = relay.get("reason") or "the configuration does not say"
            out.append(f"listener {listener.get('name', '?')}: {detail}")
    return out


def _problem(text: str) -> tuple[str, str]:
    """A discovery problem ("PATH: what went wrong") as (PATH, text)."""
    path = text.split(": ", 1)[0] if ": " in text else text
    return path.rstrip("/"), text


def _inside(path: str, display: str) -> bool:
    """Whether an input at ``path`` belongs to the set shown as ``display``."""
    top = display.rstrip("/")
    folder = top if display.endswith("/") else top.rsplit("/", 1)[0] if "/" in top else ""
    return (
        path == top
        or (bool(folder) and path.startswith(folder + "/"))
        or top.startswith(path + "/")
    )


def _unread_set(path: str, text: str) -> dict[str, Any]:
    return {
        "name": path,
        "host": path,
        "mta": "unknown",
        "roles": [],
        "files": [],
        "unreadable": True,
        "unread": [text],
        "counts": _counts([]),
        "findings": [],
        "suppressed": [],
        "unknown_relay": [],
    }


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
