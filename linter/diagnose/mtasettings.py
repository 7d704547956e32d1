"""The settings behind an incident in an Exim, sendmail or hMailServer configuration.

Each MTA's analysis (linter/mta/<name>/) already knows its settings: Exim's routers,
transports and authenticators with their lines (the model), sendmail's SMART_HOST and
the mailer arguments that give its port, hMailServer's relayer settings (the posture and
the spans of its facts). This module only picks, per concern of a cause (see
:data:`linter.diagnose.configjoin.CONCERNS`), the ones that apply to the incident:

* ``route``: where the mail went. Exim names the router and transport of each
  delivery (``R=closed T=closed_smtp``): the manualroute router's ``route_list`` or
  ``route_data``, and the transport's ``port`` and ``hosts``. sendmail names its mailer
  (``mailer=relay``: the SMART_HOST's); hMailServer only the address it talked to.
  The smarthost is named when the failing mail went through it; a smarthost that
  carried none of the failures is left out (the caller drops the findings at it).
* ``tls``, ``auth``: the client's TLS policy and its login, on the transport used
  (Exim) or where the posture found them. An authenticator is named by its driver at
  its line: what it sends (the password) is never shown.
* ``relay``: who may relay through this server (inbound refusals).

Every setting is a dict ``{name, value, path, line, origin[, scope][, failing]}``, as
the Postfix join gives.
"""

from __future__ import annotations

from typing import Any

from linter.diagnose.configview import ConfigView, host_in, incident_hosts, split_relay
from linter.diagnose.incidents import Incident

Settings = tuple[list[dict[str, Any]], list[dict[str, Any]]]  # (named, left out)
MAX_ROUTES = 5  # routes of one incident whose settings are named
HIDDEN = "(hidden)"  # the value of an Exim option marked "hide"


def settings_for(view: ConfigView, incident: Incident, concerns: tuple[str, ...]) -> Settings:
    named: list[dict[str, Any]] = []
    left_out: list[dict[str, Any]] = []
    finder = {"exim": _exim, "sendmail": _sendmail, "hmailserver": _hmailserver}[view.mta]
    for concern in concerns:
        found, away = finder(view, incident, concern)
        named += [s for s in found if s not in named]
        left_out += away
    return named, left_out


def _located(view: ConfigView, fact: str, name: str, value: Any, **extra: Any) -> dict[str, Any]:
    """A setting placed where the posture fact FACT came from (or the MTA's default)."""
    span = view.facts.located_span(f"posture.{fact}") if view.facts is not None else None
    if span is None:
        return {"name": name, "value": None, "origin": "default", **extra}
    return {
        "name": name,
        "value": value,
        "path": span.path,
        "line": span.line,
        "origin": view.mta,
        **extra,
    }


def _posture(view: ConfigView, path: str) -> Any:
    value = view.facts.get(f"posture.{path}") if view.facts is not None else None
    return value if isinstance(value, dict | list | str | int | bool) else None


def _involvement(view: ConfigView, incident: Incident, via_mailers: set[str]) -> bool | None:
    """Whether the posture's smarthost carried the incident's failures: True (a failing
    host is it, or the log's mailer is the smarthost's), False (other hosts failed),
    None (the log says nothing of hosts)."""
    relayhost = _posture(view, "outbound.relayhost")
    if not isinstance(relayhost, dict):
        return False
    if via_mailers and any(t in via_mailers for _r, t in incident.routes):
        return True
    hosts = incident_hosts(incident)
    if not hosts:
        return None
    if host_in(f"[{relayhost.get('host', '')}]", hosts):
        return True
    # a smarthost reached through its MX hosts: the log names those, not it
    return None if relayhost.get("mx_lookup") else False


# ---------------------------------------------------------------- Exim


def _drivers(view: ConfigView, kind: str) -> dict[str, dict[str, Any]]:
    exim = view.model.get("exim", {}) if isinstance(view.model, dict) else {}
    return {d.get("name", ""): d for d in exim.get(kind, []) if isinstance(d, dict)}


def _exim_option(driver: dict[str, Any], option: str, scope: str) -> dict[str, Any] | None:
    setting = driver.get("options", {}).get(option)
    if not isinstance(setting, dict) or setting.get("origin", "config") != "config":
        return None
    return {
        "name": option,
        "value": HIDDEN if setting.get("hidden") else setting.get("value"),
        "path": setting.get("path"),
        "line": setting.get("line"),
        "origin": "exim",
        "scope": scope,
    }


def _exim_routes(view: ConfigView, incident: Incident) -> list[tuple[dict, dict | None]]:
    routers, transports = _drivers(view, "routers"), _drivers(view, "transports")
    out = []
    for (router, transport), _n in incident.routes.most_common(MAX_ROUTES):
        if router in routers:
            out.append((routers[router], transports.get(transport)))
    return out


def _exim(view: ConfigView, incident: Incident, concern: str) -> Settings:
    routes = _exim_routes(view, incident)
    named: list[dict[str, Any]] = []
    if concern == "relay":
        main = view.model.get("exim", {}).get("main", {})
        acl = main.get("options", {}).get("acl_smtp_rcpt")
        if isinstance(acl, dict) and acl.get("line"):
            named.append(
                {
                    "name": "acl_smtp_rcpt",
                    "value": acl.get("value"),
                    "path": acl.get("path"),
                    "line": acl.get("line"),
                    "origin": "exim",
                }
            )
        listed = main.get("lists", {}).get("hostlist", {}).get("relay_from_hosts")
        if isinstance(listed, dict):
            named.append(
                {
                    "name": "hostlist relay_from_hosts",
                    "value": HIDDEN if listed.get("hidden") else listed.get("value"),
                    "path": listed.get("path"),
                    "line": listed.get("line"),
                    "origin": "exim",
                }
            )
        return named, []
    if not routes:
        return _exim_from_posture(view, incident, concern)
    for router, transport in routes:
        rscope = f"router {router.get('name')}"
        tscope = f"transport {transport.get('name')}" if transport else ""
        options: list[tuple[dict[str, Any] | None, str, str]] = []
        if concern == "route":
            if router.get("driver") == "manualroute":
                options += [(router, "route_list", rscope), (router, "route_data", rscope)]
            options += [(transport, "hosts", tscope), (transport, "port", tscope)]
        elif concern == "tls":
            options += [
                (transport, o, tscope)
                for o in (
                    "hosts_require_tls",
                    "tls_verify_hosts",
                    "hosts_require_dane",
                    "tls_verify_cert_hostnames",
                    "protocol",
                )
            ]
        elif concern == "auth":
            options += [(transport, "hosts_require_auth", tscope)]
            options += [(transport, "hosts_try_auth", tscope)]
        for driver, option, scope in options:
            if driver is None:
                continue
            found = _exim_option(driver, option, scope)
            if found is not None:
                if concern == "route" and option in ("route_list", "route_data"):
                    found["failing"] = True
                named.append(found)
    if concern == "auth" and named:
        # the transport logs in to these hosts: with the client authenticators
        named += _exim_authenticators(view)
    # the posture's smarthost, when the failing routes are other routers
    away = [] if concern != "route" else _exim_smarthost_away(view, named)
    return named, away


def _exim_authenticators(view: ConfigView) -> list[dict[str, Any]]:
    """The client authenticators, by name and driver at their line (never client_send)."""
    out = []
    for name, auth in _drivers(view, "authenticators").items():
        options = auth.get("options", {})
        if not any(o.startswith("client_") for o in options):
            continue
        out.append(
            {
                "name": "driver",
                "value": auth.get("driver"),
                "path": auth.get("path"),
                "line": auth.get("line"),
                "origin": "exim",
                "scope": f"authenticator {name}",
            }
        )
    return out


def _exim_smarthost_away(view: ConfigView, named: list[dict[str, Any]]) -> list[dict[str, Any]]:
    smarthost = _located(view, "outbound.relayhost", "smarthost", None)
    if not smarthost.get("line"):
        return []
    if any((s.get("path"), s.get("line")) == (smarthost["path"], smarthost["line"]) for s in named):
        return []
    return [smarthost]


def _exim_from_posture(view: ConfigView, incident: Incident, concern: str) -> Settings:
    """No route in the log (a bounce, a line without R=): the posture's smarthost."""
    relayhost = _posture(view, "outbound.relayhost")
    raw = relayhost.get("raw") if isinstance(relayhost, dict) else None
    if concern == "route":
        setting = _located(view, "outbound.relayhost", "smarthost (route_list/route_data)", raw)
        involved = _involvement(view, incident, set())
        if involved is False:
            return [], [setting] if setting.get("line") else []
        if involved:
            setting["failing"] = True
        return ([setting] if relayhost else []), []
    if concern == "tls":
        tls = _posture(view, "outbound.tls")
        return [_located(view, "outbound.tls", "TLS policy of the smtp transport", tls)], []
    if concern == "auth":
        named = []
        if _posture(view, "outbound.auth"):
            named.append(_located(view, "outbound.auth", "hosts_require_auth/hosts_try_auth", True))
        return named + _exim_authenticators(view), []
    return [], []


# ---------------------------------------------------------------- sendmail


def _m4_unquote(text: str) -> str:
    text = text.strip()
    while text.startswith("`") and text.endswith("'"):
        text = text[1:-1]
    return text


def _sendmail_define(view: ConfigView, macro: str) -> dict[str, Any] | None:
    """The last ``define(`MACRO', `value')`` of the .mc at its line."""
    sendmail = view.model.get("sendmail", {}) if isinstance(view.model, dict) else {}
    found = None
    for call in sendmail.get("calls", []):
        args = call.get("args") or []
        if call.get("name") == "define" and args and _m4_unquote(args[0]) == macro:
            found = {
                "name": macro,
                "value": _m4_unquote(args[1]) if len(args) > 1 else "",
                "path": view.main_path,
                "line": call.get("line"),
                "origin": "sendmail",
            }
    return found


def _sendmail_feature(view: ConfigView, name: str) -> dict[str, Any] | None:
    sendmail = view.model.get("sendmail", {}) if isinstance(view.model, dict) else {}
    for feature in sendmail.get("features", []):
        if feature.get("name") == name and feature.get("line") and not feature.get("via"):
            args = ", ".join(f"`{a}'" for a in feature.get("args", []))
            return {
                "name": f"FEATURE({name})",
                "value": f"FEATURE(`{name}'{', ' + args if args else ''})",
                "path": view.main_path,
                "line": feature.get("line"),
                "origin": "sendmail",
            }
    return None


ARGS_MACRO = {
    "relay": "RELAY_MAILER_ARGS",
    "esmtp": "ESMTP_MAILER_ARGS",
    "smtp": "SMTP_MAILER_ARGS",
}


def _sendmail(view: ConfigView, incident: Incident, concern: str) -> Settings:
    sendmail = view.model.get("sendmail", {}) if isinstance(view.model, dict) else {}
    smart = sendmail.get("smart_host") or {}
    found: list[dict[str, Any] | None] = []
    if concern == "route" and smart:
        macro = str(smart.get("macro") or "SMART_HOST")
        mailer = str(smart.get("mailer") or "relay")
        found = [
            _sendmail_define(view, macro),
            _sendmail_define(view, ARGS_MACRO.get(mailer.lower(), "RELAY_MAILER_ARGS")),
        ]
        settings = [s for s in found if s is not None]
        involved = _involvement(view, incident, {mailer})
        if involved is False:
            return [], settings
        for s in settings:
            if involved:
                s["failing"] = True
        return settings, []
    if concern == "tls":
        # TLS_Srv:/Try_TLS: entries of the access map, and the client's port options
        found = [_sendmail_feature(view, "access_db")]
        options = _located(view, "outbound.tls", "CLIENT_OPTIONS", None)
        # the client's port options matter to TLS when they turn STARTTLS off (M=S)
        if options.get("line") and _posture(view, "outbound.tls") == "none":
            options["value"] = ", ".join(
                sendmail.get("options", {}).get("ClientPortOptions", []) or []
            )
            found.append(options)
    elif concern == "auth":
        found = [
            _sendmail_feature(view, "authinfo"),
            _sendmail_define(view, "confDEF_AUTH_INFO"),
        ]
    elif concern == "relay":
        found = [
            _sendmail_feature(view, name)
            for name in (
                "access_db",
                "relay_entire_domain",
                "relay_hosts_only",
                "relay_based_on_MX",
                "relay_local_from",
                "promiscuous_relay",
            )
        ]
        found += [_sendmail_define(view, "confCR_FILE")]
        for call in sendmail.get("calls", []):
            if call.get("name") in ("RELAY_DOMAIN", "RELAY_DOMAIN_FILE") and call.get("line"):
                found.append(
                    {
                        "name": call["name"],
                        "value": ", ".join(_m4_unquote(a) for a in call.get("args", [])),
                        "path": view.main_path,
                        "line": call["line"],
                        "origin": "sendmail",
                    }
                )
        if not any(found):
            # nothing in the .mc: sendmail relays for the hosts of its relay-domains file
            found = [{"name": "confCR_FILE", "value": None, "origin": "default"}]
    return [s for s in found if s is not None], []


# ---------------------------------------------------------------- hMailServer


def _hmailserver(view: ConfigView, incident: Incident, concern: str) -> Settings:
    relayhost = _posture(view, "outbound.relayhost")
    if concern == "route":
        if not isinstance(relayhost, dict):
            return [], []
        settings = [
            _located(view, "outbound.relayhost", "SMTPRelayer", relayhost.get("host")),
            _located(view, "outbound.relayhost.port", "SMTPRelayerPort", relayhost.get("port")),
        ]
        settings = [s for s in settings if s.get("line")]
        involved = _involvement(view, incident, set())
        if involved is False and _is_address(str(relayhost.get("host", ""))):
            return [], settings
        for s in settings:
            if involved:
                s["failing"] = True
        return settings, []
    if concern == "tls":
        level = _posture(view, "outbound.tls_level")
        name = "SMTPRelayerConnectionSecurity" if relayhost else "SMTPConnectionSecurity"
        return [_located(view, "outbound.tls", name, level)], []
    if concern == "auth":
        # hMailServer logs in to its relayer only
        if not isinstance(relayhost, dict) or _involvement(view, incident, set()) is False:
            return [], []
        auth = _posture(view, "outbound.auth")
        # the user name and password beside it are not shown
        return [_located(view, "outbound.auth", "SMTPRelayerRequiresAuthentication", auth)], []
    if concern == "relay":
        covering = _hmailserver_ranges(view, incident)
        if covering:
            return covering, []
        out: list[dict[str, Any]] = []
        listeners = _posture(view, "listeners") or []
        for i, listener in enumerate(listeners):
            if not isinstance(listener, dict) or listener.get("role") == "other":
                continue
            relay = listener.get("relay") or {}
            setting = _located(
                view,
                f"listeners[{i}].relay",
                f"relay policy of {listener.get('name')} (IP ranges)",
                relay.get("verdict"),
            )
            same = [o for o in out if (o["path"], o["line"]) == (setting["path"], setting["line"])]
            if same:  # one range decides for several ports: one setting naming them
                same[0]["name"] = same[0]["name"].replace(" (IP ranges)", "") + (
                    f", {listener.get('name')} (IP ranges)"
                )
            elif setting.get("line"):
                out.append(setting)
        return out, []
    return [], []


def _hmailserver_ranges(view: ConfigView, incident: Incident) -> list[dict[str, Any]]:
    """The IP range that decides for each refused client: of the ranges holding its
    address, the one of highest priority (hMailServer's own choice)."""
    import ipaddress

    hmail = view.model.get("hmailserver", {}) if isinstance(view.model, dict) else {}
    ranges = [r for r in hmail.get("ranges", []) if isinstance(r, dict) and r.get("line")]
    path = hmail.get("database_file") or view.main_path
    out: list[dict[str, Any]] = []
    for client in incident.relays:
        try:
            address = ipaddress.ip_address(client.strip("[] "))
            holding = [r for r in ranges if _within(address, r["lower_ip"], r["upper_ip"])]
        except (ValueError, TypeError, KeyError):
            continue  # not an address, or a range of another family
        if not holding:
            continue
        best = max(holding, key=_priority)
        setting = {
            "name": f"IP range {best.get('name')}",
            "value": f"{best.get('lower_ip')} - {best.get('upper_ip')} "
            f"(priority {best.get('priority')})",
            "path": path,
            "line": best["line"],
            "origin": "hmailserver",
        }
        if setting not in out:
            out.append(setting)
    return out


def _priority(ip_range: dict[str, Any]) -> int:
    value = ip_range.get("priority")
    return value if isinstance(value, int) else 0


def _within(address: Any, lower: str, upper: str) -> bool:
    import ipaddress

    low, high = ipaddress.ip_address(lower), ipaddress.ip_address(upper)
    if not low.version == high.version == address.version:
        return False
    return int(low) <= int(address) <= int(high)


def _is_address(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(split_relay(host)[0])
    except ValueError:
        return False
    return True
