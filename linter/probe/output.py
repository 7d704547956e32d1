"""The probe's report: text (what each port showed, then the findings), JSON (findings
and the facts, transcripts included) or SARIF (findings, as ``check`` writes them)."""

from __future__ import annotations

import json
from typing import Any

from linter import __version__
from linter.findings import Finding
from linter.probe.findings import probe_rules
from linter.probe.run import ProbeResult
from linter.textsafe import encodable_json, printable


def render(fmt: str, result: ProbeResult, findings: list[Finding], colour: bool) -> str:
    if fmt == "json":
        doc = {
            "version": __version__,
            "findings": [f.to_dict() for f in findings],
            "probe": result.facts.get("probe"),
            "problems": result.problems,
        }
        return encodable_json(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    from linter.check import CheckResult
    from linter.report import render as render_result

    check_result = CheckResult(findings=findings, files=[p["name"] for p in result.ports])
    check_result.problems = list(result.problems)
    report = render_result(fmt, check_result, probe_rules(), colour, "warning")
    if fmt != "text":
        return report
    return "".join(_port_summary(p) for p in result.ports) + report


def _port_summary(port: dict[str, Any]) -> str:
    lines = [f"{port['name']} ({port['address']})"]
    if not port.get("reachable"):
        lines.append(f"  not answering: {port.get('error', '')}")
        return "\n".join(printable(x) for x in lines) + "\n\n"
    lines.append(f"  greeting: {port.get('greeting_code')} {port.get('greeting', '')}")
    if "error" in port:
        lines.append(f"  stopped: {port['error']}")
    if "extensions" in port:
        lines.append(f"  EHLO: {' '.join(port['extensions']) or '(none)'}")
    if port.get("tls_handshake"):
        how = "implicit TLS" if port.get("implicit_tls") else "STARTTLS"
        lines.append(
            f"  {how}: {port.get('tls_version')} {port.get('cipher', '')} "
            f"({port.get('cipher_bits')} bits)"
        )
    versions = port.get("tls_versions")
    if versions:
        lines.append("  TLS versions: " + ", ".join(f"{v} {r}" for v, r in versions.items()))
    suites = port.get("ciphers_accepted")
    if suites is not None:
        counts = ", ".join(f"{v} {len(names)}" for v, names in suites.items())
        weak = port.get("weak_cipher_summary") or "none"
        lines.append(
            f"  suites accepted: {counts} ({port.get('cipher_enumeration')}); weak: {weak}; "
            f"not offerable here: {', '.join(port.get('cipher_classes_untestable') or [])}"
        )
    cert = port.get("certificate") or {}
    if cert.get("parsed"):
        lines.append(
            f"  certificate: {', '.join(cert.get('names', []))}; {cert.get('key_type')} "
            f"{cert.get('key_bits')} bits; until {cert.get('not_after')}; "
            f"trusted: {cert.get('trusted', 'not checked')}"
        )
    lines.append(
        f"  AUTH before TLS: {' '.join(port.get('auth_before_tls') or []) or '(none)'}; "
        f"after TLS: {' '.join(port.get('auth_after_tls') or []) or '(none)'}"
    )
    for key in ("vrfy", "expn"):
        answer = port.get(key)
        if answer:
            lines.append(f"  {key.upper()}: {answer['code']} {answer['text']}")
    if "helo_required" in port:
        lines.append(f"  HELO required: {'yes' if port['helo_required'] else 'no'}")
    if "size_advertised" in port:
        lines.append(f"  SIZE: {port.get('size') if port['size_advertised'] else 'not advertised'}")
    dane = port.get("dane") or {}
    if dane.get("checked"):
        verdict = "matches" if dane["matched"] else dane.get("reason", "") or "nothing checkable"
        lines.append(
            f"  DANE: {dane['query']} {dane['status']}, DNSSEC "
            f"{'validated' if dane['dnssec'] else 'not validated'}"
            + (f": {verdict}" if dane["records"] else "")
        )
    elif dane.get("query"):  # looked up, but the session gave nothing to compare with
        lines.append(f"  DANE: {dane['query']} not checked: {dane.get('reason', '')}")
    sts = port.get("mta_sts") or {}
    if sts.get("checked"):
        lines.append(
            f"  MTA-STS: {sts['domain']} mode {sts['mode']}, mx {' '.join(sts['mx'])}: "
            + (sts["reason"] if sts["mismatch"] else "host and certificate match")
        )
    elif sts:
        lines.append(f"  MTA-STS: not checked, {sts.get('reason', '')}")
    relay = port.get("relay") or {}
    if relay.get("tested"):
        accepted = relay["direct_accepted"] + relay["tricks_accepted"]
        lines.append(
            f"  relay test: {len(relay['attempts'])} attempts, accepted: "
            f"{', '.join(accepted) or 'none'}"
        )
    return "\n".join(printable(x) for x in lines) + "\n\n"
