"""Joining incidents with the configuration that caused them.

The configuration is analysed as ``mtalint check`` does (linter.check): the model gives
each setting's effective value and the line that set it, the rules give the findings
that already flag the cause. An incident then names the settings behind its cause, each
with its value and ``file:line`` (or that the MTA's default applies), and the findings
at those settings. Values are shown as the configuration writes them: a
``*_password_maps`` setting names a table, never what is in it; an authenticator is
named by its driver, never by what it sends.

Postfix's settings are the parameters the catalogue entry lists. For Exim, sendmail
and hMailServer (linter.diagnose.mtasettings) the entry's cause says which part of the
configuration it is about (:data:`CONCERNS`), and the MTA's model and posture say which
settings make that part, using the route the log names where it names one (Exim's
router and transport, sendmail's mailer).

The smarthost (Postfix's ``relayhost``) is named only when the failing host is the
smarthost, or the log says the mail went through it: a connection refused by some MX
says nothing about the relayhost that other mail uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linter.diagnose.configview import ConfigView, host_in, incident_hosts
from linter.diagnose.incidents import Incident
from linter.diagnose.mtasettings import settings_for

MAX_MENTIONS = 5  # settings named for a table or file a log line mentions

# what part of the configuration a cause is about, for the MTAs whose settings are
# found from their model and posture rather than listed in the catalogue:
# "route" the smarthost and port mail was sent to, "tls" the client's TLS policy,
# "auth" the client's login to the smarthost, "relay" who may relay through this server
CONCERNS: dict[str, tuple[str, ...]] = {
    "connect-refused": ("route",),
    "connect-timeout": ("route",),
    "tls-not-offered": ("tls", "route"),
    "tls-certificate": ("tls", "route"),
    "sasl-auth-failed": ("auth", "route"),
    "sasl-no-mechanism": ("auth", "tls"),
    "relay-denied": ("route", "auth"),
    "relay-denied-inbound": ("relay",),
}

JOINED_MTAS = ("postfix", "exim", "sendmail", "hmailserver")


def load_config(path: Path) -> ConfigView:
    """Analyse the configuration at PATH (a folder or a file of a supported MTA)."""
    from linter.check import check
    from linter.engine.rules import builtin_rules
    from linter.engine.runner import Selection
    from linter.mta import Options

    result = check([path], list(builtin_rules()), Selection(), Options())
    problems = list(result.problems) + list(result.internal_errors)
    for analysis, config_set in zip(result.analyses, result.analysed_sets, strict=False):
        if analysis.mta not in JOINED_MTAS:
            problems.append(
                f"{config_set.display}: joining incidents with {analysis.mta} configuration is "
                "not supported yet; the incidents name the settings without positions"
            )
            continue
        params: dict[str, Any] = {}
        shown = config_set.display
        if analysis.mta == "postfix":
            main = config_set.file("postfix-main")
            params = analysis.model.get("postfix", {}).get("main", {}).get("parameters", {})
            shown = main.display if main else str(path)
        return ConfigView(
            analysis.mta,
            shown,
            dict(params),
            result.findings,
            problems,
            analysis.facts,
            analysis.model,
        )
    if not result.analyses:
        problems.append(f"{path}: no Postfix, Exim, sendmail or hMailServer configuration found")
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


def _postfix_settings(incident: Incident, view: ConfigView) -> tuple[list[Any], list[Any]]:
    """(named, left out): the catalogue's parameters for the cause; the relayhost only
    when it is the failing host (or nothing says which host failed)."""
    names = list(incident.cause.settings.get("postfix", []))
    table = incident.details.get("table")
    if table:
        names += [n for n in _mentioning(view, table) if n not in names]
    settings = [_setting(view, name) for name in names]
    relayhost = view.parameters.get("relayhost")
    hosts = incident_hosts(incident)
    named, left_out = [], []
    for s in settings:
        if s["name"] == "relayhost" and relayhost is not None and hosts:
            value = str(relayhost.get("value", "")).strip()
            if host_in(value, hosts):
                s["failing"] = True
            elif value.startswith("["):
                left_out.append(s)
                continue
            # else: a relayhost without brackets is reached through its MX hosts, whose
            # names the log gives: whether it failed is not known
        named.append(s)
    return named, left_out


def join(incidents: list[Incident], view: ConfigView) -> None:
    """Fill each incident's ``config``: the settings and findings behind its cause."""
    for incident in incidents:
        cause = incident.cause
        if view.mta in ("postfix", ""):
            settings, left_out = _postfix_settings(incident, view)
        else:
            settings, left_out = settings_for(view, incident, CONCERNS.get(cause.id, ()))
        named_at = {(s.get("path"), s.get("line")) for s in settings if s.get("line")}
        away = {(s.get("path"), s.get("line")) for s in left_out if s.get("line")} - named_at
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
            if (f.span.path, f.span.line) not in away
            and (f.rule in cause.rules or (f.span.path, f.span.line) in named_at)
        ]
        incident.config = {"mta": view.mta, "settings": settings, "findings": findings}
