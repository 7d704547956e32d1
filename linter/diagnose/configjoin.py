"""Joining incidents with the configuration that caused them.

The configuration is analysed as ``mtalint check`` does (linter.check): the model gives
each setting's effective value and the line that set it, the rules give the findings
that already flag the cause. An incident then names, for each setting its catalogue
entry points at, the value and ``file:line`` (or that it is Postfix's default), and the
findings of the entry's rules. Values are shown as the configuration writes them: a
``*_password_maps`` setting names a table, never what is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.diagnose.incidents import Incident

MAX_MENTIONS = 5  # settings named for a table or file a log line mentions


@dataclass
class ConfigView:
    mta: str
    main_path: str  # main.cf as shown, for "file:line"
    parameters: dict[str, dict[str, Any]]  # name -> {value, raw, line}
    findings: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_config(path: Path) -> ConfigView:
    """Analyse the configuration at PATH (a Postfix folder or main.cf) with the rules."""
    from linter.check import check
    from linter.engine.rules import builtin_rules
    from linter.engine.runner import Selection
    from linter.mta import Options

    result = check([path], list(builtin_rules()), Selection(), Options())
    problems = list(result.problems) + list(result.internal_errors)
    for analysis, config_set in zip(result.analyses, result.analysed_sets, strict=False):
        if analysis.mta != "postfix":
            problems.append(
                f"{config_set.display}: joining incidents with {analysis.mta} configuration is "
                "not supported yet; the incidents name the settings without positions"
            )
            continue
        main = config_set.file("postfix-main")
        params = analysis.model.get("postfix", {}).get("main", {}).get("parameters", {})
        return ConfigView(
            "postfix", main.display if main else str(path), dict(params), result.findings, problems
        )
    if not result.analyses:
        problems.append(f"{path}: no Postfix configuration found")
    return ConfigView("", str(path), {}, result.findings, problems)


def _setting(view: ConfigView, name: str) -> dict[str, Any]:
    param = view.parameters.get(name)
    if param is None:
        return {"name": name, "value": None, "origin": "default"}
    return {
        "name": name,
        "value": param.get("raw", param.get("value")),
        "path": view.main_path,
        "line": param.get("line"),
        "origin": "main.cf",
    }


def _mentioning(view: ConfigView, needle: str) -> list[str]:
    """Parameters whose value names NEEDLE (a table such as hash:/etc/postfix/x)."""
    stem = needle.split(":", 1)[-1]
    for suffix in (".db", ".lmdb", ".cdb"):
        stem = stem.removesuffix(suffix)
    if not stem:
        return []
    found = [n for n, p in view.parameters.items() if stem in str(p.get("raw", p.get("value")))]
    return sorted(found)[:MAX_MENTIONS]


def join(incidents: list[Incident], view: ConfigView) -> None:
    """Fill each incident's ``config``: the settings and findings behind its cause."""
    for incident in incidents:
        cause = incident.cause
        names = list(cause.settings.get(view.mta or "postfix", []))
        table = incident.details.get("table")
        if table:
            names += [n for n in _mentioning(view, table) if n not in names]
        settings = [_setting(view, name) for name in names]
        relayhost = view.parameters.get("relayhost")
        hosts = {_host(r) for r in incident.relays} | {incident.details.get("host", "").lower()}
        for s in settings:
            if s["name"] == "relayhost" and relayhost is not None:
                s["failing"] = _host(str(relayhost.get("value", ""))) in hosts
        findings = [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "path": f.span.path,
                "line": f.span.line,
                "column": f.span.column,
            }
            for f in view.findings
            if f.rule in cause.rules
        ]
        incident.config = {"settings": settings, "findings": findings}


def _host(relay: str) -> str:
    """``smtp.example[192.0.2.1]:25`` or ``[smtp.example]:587`` -> ``smtp.example``."""
    text = relay.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    return text.split("[", 1)[0].rsplit(":", 1)[0] if "[" in text else text.rsplit(":", 1)[0]
