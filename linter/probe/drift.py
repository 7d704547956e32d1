"""Differences between a configuration's posture and what its ports show.

The configuration is read exactly as ``mtalint check`` reads it; each listener of the
posture is paired with the probed port of the same number. Each difference becomes a
``probe.drift[]`` entry located at the configuration line that decides it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linter.facts import Facts
from linter.source import Span


@dataclass
class ConfigPosture:
    """The listeners of the configuration, with the facts that locate them."""

    listeners: list[dict[str, Any]] = field(default_factory=list)
    facts: list[tuple[Facts, int]] = field(default_factory=list)  # (facts, index) per listener
    names: list[str] = field(default_factory=list)  # host names the server calls itself
    file_span: Span | None = None  # where a listener the config lacks would go
    problems: list[str] = field(default_factory=list)


def load_posture(path: Path) -> ConfigPosture:
    from linter.check import analyse_set
    from linter.discover import discover
    from linter.mta import Options

    result = ConfigPosture()
    sets, problems = discover([path])
    result.problems.extend(problems)
    if not sets and not problems:
        result.problems.append(f"{path}: no mail-server configuration found")
    for config_set in sets:
        analysis = analyse_set(config_set, Options())
        posture = analysis.facts.get("posture")
        if not isinstance(posture, dict):
            continue
        for i, listener in enumerate(posture.get("listeners") or []):
            result.listeners.append(listener)
            result.facts.append((analysis.facts, i))
        identity = posture.get("identity") or {}
        for name in (identity.get("hostname"),):
            if isinstance(name, str) and name and "$" not in name and name not in result.names:
                result.names.append(name)
        if result.file_span is None and config_set.files:
            master = [f for f in config_set.files if f.format.endswith("master")]
            result.file_span = Span((master or config_set.files)[0].display, 1)
    return result


def drift(config: ConfigPosture, ports: list[dict[str, Any]]) -> list[tuple[dict[str, Any], Span]]:
    """(drift entry, configuration span) for every difference found."""
    out: list[tuple[dict[str, Any], Span]] = []
    for port in ports:
        index = next(
            (i for i, lst in enumerate(config.listeners) if lst.get("port") == port["port"]), None
        )
        if index is None:
            if port.get("reachable") and config.file_span is not None:
                entry = _entry(
                    port,
                    "unexpected",
                    "no listener",
                    "answers",
                    f"port {port['port']} answers, but the configuration has no listener on it",
                )
                out.append((entry, config.file_span))
            continue
        listener = config.listeners[index]
        facts, i = config.facts[index]

        def span(field_name: str, facts: Facts = facts, i: int = i) -> Span:
            base = f"posture.listeners[{i}]"
            found = facts.located_span(f"{base}.{field_name}") or facts.span_of(base)
            return found or config.file_span or Span("(configuration)", 1)

        if not port.get("reachable"):
            entry = _entry(
                port,
                "missing",
                "listener",
                port.get("error_kind", "not answering"),
                f"the configuration has listener {listener.get('name')} on port "
                f"{port['port']}, but the port does not answer: {port.get('error', '')}",
            )
            out.append((entry, span("port")))
            continue
        if port.get("greeting_code") != 220 or "error" in port:
            continue
        for aspect, field_name, want, got, message in _compare(listener, port):
            entry = _entry(port, aspect, want, got, message)
            entry["listener"] = listener.get("name", "")
            out.append((entry, span(field_name)))
    return out


def _entry(
    port: dict[str, Any], aspect: str, config: str, observed: str, message: str
) -> dict[str, Any]:
    return {
        "name": f"{port['name']}:{aspect}",
        "port": port["port"],
        "aspect": aspect,
        "config": config,
        "observed": observed,
        "message": message,
    }


def _compare(
    listener: dict[str, Any], port: dict[str, Any]
) -> list[tuple[str, str, str, str, str]]:
    """(aspect, posture field, configured, observed, message) for each difference."""
    name = listener.get("name", "?")
    diffs: list[tuple[str, str, str, str, str]] = []
    tls_mode = listener.get("tls")
    starttls = bool(port.get("starttls"))
    implicit = bool(port.get("implicit_tls")) and bool(port.get("tls_handshake"))
    if tls_mode == "implicit" and port.get("implicit_tls") and not implicit:
        diffs.append(
            (
                "tls",
                "tls",
                "implicit",
                "no TLS handshake",
                f"{name} is configured for implicit TLS, "
                "but the port does not complete a TLS handshake",
            )
        )
    elif tls_mode != "implicit" and implicit:
        # located at the listener itself: that is where implicit TLS would be set (the
        # "tls" field of a STARTTLS listener points at its certificate settings)
        diffs.append(
            (
                "tls",
                "port",
                str(tls_mode),
                "implicit",
                f"{name} is configured with tls={tls_mode}, but the port speaks TLS at once",
            )
        )
    elif tls_mode in ("optional", "required") and not starttls and not implicit:
        diffs.append(
            (
                "tls",
                "tls",
                str(tls_mode),
                "no STARTTLS",
                f"{name} is configured with tls={tls_mode}, but the port does not offer STARTTLS",
            )
        )
    elif tls_mode == "required" and starttls and port.get("tls_required") is False:
        diffs.append(
            (
                "tls",
                "tls",
                "required",
                "optional",
                f"{name} is configured to require TLS, but the port accepts MAIL FROM "
                f"before STARTTLS ({port.get('mail_before_tls', '')})",
            )
        )
    elif tls_mode == "optional" and port.get("tls_required"):
        diffs.append(
            (
                "tls",
                "tls",
                "optional",
                "required",
                f"{name} is configured with optional TLS, "
                "but the port refuses MAIL FROM before STARTTLS",
            )
        )
    elif tls_mode == "none" and (starttls or implicit):
        diffs.append(
            (
                "tls",
                "tls",
                "none",
                "offered",
                f"{name} is configured without TLS, but the port offers it",
            )
        )
    before = port.get("auth_before_tls") or []
    after = port.get("auth_after_tls") or []
    if not implicit:
        if not listener.get("auth_before_tls") and before:
            diffs.append(
                (
                    "auth-before-tls",
                    "auth_before_tls",
                    "no",
                    " ".join(before),
                    f"{name} is configured to offer AUTH only under TLS, but the port offers "
                    f"AUTH {' '.join(before)} before STARTTLS",
                )
            )
        elif listener.get("auth_before_tls") and not before and after:
            diffs.append(
                (
                    "auth-before-tls",
                    "auth_before_tls",
                    "yes",
                    "none",
                    f"{name} is configured to offer AUTH before TLS, "
                    "but the port offers it only after STARTTLS",
                )
            )
    auth_mode = listener.get("auth")
    if auth_mode == "none" and (before or after):
        diffs.append(
            (
                "auth",
                "auth",
                "none",
                " ".join(sorted(set(before + after))),
                f"{name} is configured without AUTH, "
                f"but the port offers AUTH {' '.join(sorted(set(before + after)))}",
            )
        )
    elif (
        auth_mode in ("offered", "required") and not (before or after) and "auth_after_tls" in port
    ):
        diffs.append(
            (
                "auth",
                "auth",
                str(auth_mode),
                "none",
                f"{name} is configured to offer AUTH, but the port offers none",
            )
        )
    vrfy = port.get("vrfy") or {}
    served = vrfy.get("enabled", vrfy.get("answers"))
    if served is not None and bool(listener.get("vrfy")) != bool(served):
        said = f"{vrfy.get('code')} {vrfy.get('text', '')}"[:120]
        diffs.append(
            (
                "vrfy",
                "vrfy",
                "enabled" if listener.get("vrfy") else "disabled",
                "enabled" if served else "disabled",
                f"{name} is configured with VRFY "
                f"{'enabled' if listener.get('vrfy') else 'disabled'}, "
                f'but the port answers VRFY with "{said}"',
            )
        )
    helo = port.get("helo_required")
    if helo is not None and bool(listener.get("helo_required")) != helo:
        diffs.append(
            (
                "helo",
                "helo_required",
                "yes" if listener.get("helo_required") else "no",
                "yes" if helo else "no",
                f"{name} is configured with HELO "
                f"{'required' if listener.get('helo_required') else 'optional'}, "
                f"but the port {'requires' if helo else 'does not require'} it",
            )
        )
    banner = " ".join(str(listener.get("banner_expanded") or "").split())
    greeting = " ".join(str(port.get("greeting") or "").split())
    if banner and "$" not in banner and greeting and banner != greeting:
        diffs.append(
            (
                "banner",
                "banner",
                banner,
                greeting,
                f'{name} is configured to greet with "{banner}", '
                f'but the port greets with "{greeting}"',
            )
        )
    relay = port.get("relay") or {}
    verdict = (listener.get("relay") or {}).get("verdict")
    if relay.get("tested"):
        if verdict in ("closed", "authenticated") and relay.get("direct_accepted"):
            diffs.append(
                (
                    "relay",
                    "relay",
                    str(verdict),
                    "open",
                    f"{name} is configured to relay for {verdict} clients only, but the port "
                    "accepted an external recipient from this client",
                )
            )
        elif verdict == "open" and not relay.get("direct_accepted") and not relay.get("stopped"):
            diffs.append(
                (
                    "relay",
                    "relay",
                    "open",
                    "closed",
                    f"the configuration makes {name} an open relay, but the port refused every "
                    "external recipient",
                )
            )
    return diffs
