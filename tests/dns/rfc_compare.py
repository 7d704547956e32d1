"""Side by side on the zones of test_rfc.py: mtalint (this tree, and optionally an
older tree) and checkdmarc, each verdict compared with the answer the RFC clause gives.

Not a test (pytest does not collect it); run by hand:

    python tests/dns/rfc_compare.py [--checkdmarc PYTHON] [--before TREE]

``--checkdmarc`` names a Python with checkdmarc installed (kept out of mtalint's
dependencies: it pulls in httpx, publicsuffixlist and more); ``--before`` a checkout of an
earlier mtalint. mtalint is judged by the rules that fire (``check --online``), checkdmarc
by its ``valid`` flags and warnings. MTA-STS is left out: checkdmarc resolves mta-sts.DOMAIN
through the system's resolver, which cannot be pointed at the test server.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# run as a script: the checkout's root, so that the tests package imports
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.dns.server import nsd  # noqa: E402
from tests.dns.test_rfc import INBOUND, ZONES  # noqa: E402
from tests.paths import ROOT  # noqa: E402

# (domain, question, the RFC's answer, clause); a question is "does the tool report it"
CASES = [
    ("noall.test", "spf-open", True, "RFC 7208 §4.7"),
    ("redirplus.test", "spf-open", True, "RFC 7208 §6.1"),
    ("incplus.test", "spf-open", True, "RFC 7208 §5.2"),
    ("incminus.test", "spf-open", False, "RFC 7208 §5.2"),
    ("tenredir.test", "spf-open", False, "RFC 7208 §5.1"),
    ("hidden.test", "spf-error", True, "RFC 7208 §4.6, §5.6"),
    ("tenredir.test", "spf-error", False, "RFC 7208 §6.1, §4.6.4"),
    ("eleven.test", "spf-error", True, "RFC 7208 §4.6.4"),
    ("void2.test", "spf-error", False, "RFC 7208 §4.6.4"),
    ("void3.test", "spf-error", True, "RFC 7208 §4.6.4"),
    ("noall.test", "spf-error", False, "RFC 7208 §4.6"),
    ("ptr.test", "spf-ptr", True, "RFC 7208 §5.5"),
    ("noall.test", "spf-ptr", False, "RFC 7208 §5.5"),
    ("big.test", "spf-size", True, "RFC 7208 §3.4"),
    ("noall.test", "spf-size", False, "RFC 7208 §3.4"),
    ("dmarclower.test", "dmarc-not-enforced", True, "RFC 7489 §6.4"),
    ("dmarcspace.test", "dmarc-not-enforced", True, "RFC 7489 §6.6.3 step 3"),
    ("dmarcwsp.test", "dmarc-not-enforced", False, "RFC 7489 §6.4"),
    ("dmarcsp.test", "dmarc-not-enforced", True, "RFC 7489 §6.6.3 step 6"),
    ("dmarcnop.test", "dmarc-not-enforced", True, "RFC 7489 §6.6.3 step 6"),
    ("dmarcnoprua.test", "dmarc-not-enforced", True, "RFC 7489 §6.6.3 step 6"),
    ("dmarcweak.test", "dmarc-not-enforced", False, "RFC 7489 §6.3"),
    ("dmarcext.test", "dmarc-not-enforced", False, "RFC 7489 §6.3"),
    ("dmarcweak.test", "dmarc-sp-weaker", True, "RFC 7489 §6.3"),
    ("dmarcwsp.test", "dmarc-sp-weaker", False, "RFC 7489 §6.3"),
    ("dmarcuri.test", "dmarc-uri", True, "RFC 7489 §6.4"),
    ("dmarcext.test", "dmarc-uri", False, "RFC 7489 §6.4"),
    ("dmarcext.test", "dmarc-external", True, "RFC 7489 §7.1"),
    ("dmarcuri.test", "dmarc-external", False, "RFC 7489 §7.1"),
    ("mxip.test", "mx-ip", True, "RFC 5321 §5.1"),
    ("mxok.test", "mx-ip", False, "RFC 5321 §5.1"),
    ("mxcname.test", "mx-cname", True, "RFC 2181 §10.3"),
    ("mxok.test", "mx-cname", False, "RFC 2181 §10.3"),
    ("mxcname.test", "tlsrpt-uri", True, "RFC 8460 §3"),
    ("mxok.test", "tlsrpt-uri", False, "RFC 8460 §3"),
]

RULES = {
    "spf-open": {"DNS005", "DNS006"},
    "spf-error": {"DNS003", "DNS007", "DNS008"},
    "spf-ptr": {"DNS029"},
    "spf-size": {"DNS030"},
    "dmarc-not-enforced": {"DNS009", "DNS010", "DNS011"},
    "dmarc-sp-weaker": {"DNS031"},
    "dmarc-uri": {"DNS032"},
    "dmarc-external": {"DNS033"},
    "mx-ip": {"DNS035"},
    "mx-cname": {"DNS036"},
    "tlsrpt-uri": {"DNS037"},
}


def mtalint_rules(tree: Path, resolver: str, domain: str) -> set[str]:
    config = (
        f"myhostname = mx.{domain}\nmydomain = {domain}\nmyorigin = $mydomain\n"
        "mydestination = $myhostname, localhost, $mydomain\nsmtp_bind_address = 192.0.2.10\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "main.cf").write_text(config)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "linter",
                "check",
                tmp,
                "--online",
                "--resolver",
                resolver,
                "--select",
                "DNS",
                "--format",
                "json",
            ],  # fmt: skip
            capture_output=True,
            text=True,
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            timeout=120,
        ).stdout
    return {f["rule"] for f in json.loads(out)["findings"]}


def checkdmarc_flags(result: dict, question: str) -> bool:
    def text(part: str) -> str:
        return json.dumps(result.get(part) or {}).lower()

    spf, dmarc = result.get("spf") or {}, result.get("dmarc") or {}
    if question == "spf-open":
        return (spf.get("parsed") or {}).get("all") in ("pass", "neutral")
    if question == "spf-error":
        return spf.get("record") is not None and not spf.get("valid")
    if question == "spf-ptr":
        return "ptr" in " ".join(spf.get("warnings") or []).lower()
    if question == "spf-size":
        return "512" in " ".join(spf.get("warnings") or []) or "long" in text("spf")
    if question == "dmarc-not-enforced":
        p = ((dmarc.get("tags") or {}).get("p") or {}).get("value")
        return not dmarc.get("valid") or p not in ("quarantine", "reject")
    warnings = " ".join(dmarc.get("warnings") or []).lower() + str(dmarc.get("error", ""))
    if question == "dmarc-sp-weaker":
        return "sp" in warnings and ("weaker" in warnings or "less" in warnings)
    if question == "dmarc-uri":
        return "uri" in warnings.lower() or not dmarc.get("valid")
    if question == "dmarc-external":
        return "_report._dmarc" in warnings or "authoriz" in warnings or "accept" in warnings
    mx = " ".join((result.get("mx") or {}).get("warnings") or []).lower()
    if question == "mx-ip":
        return "ip address" in mx or "not a hostname" in mx
    if question == "mx-cname":
        return "cname" in mx or "alias" in mx
    if question == "tlsrpt-uri":
        return not (result.get("smtp_tls_reporting") or {}).get("valid", True)
    raise ValueError(question)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkdmarc", help="a Python with checkdmarc installed")
    parser.add_argument("--before", type=Path, help="an earlier mtalint tree")
    args = parser.parse_args()
    domains = sorted({d for d, *_ in CASES})
    tools: dict[str, dict[str, set[str]]] = {}
    seconds: dict[str, float] = {}
    checkdmarc: dict[str, dict] = {}
    with nsd({**ZONES, **INBOUND}) as resolver:
        trees = [("mtalint", ROOT)] + ([("mtalint-before", args.before)] if args.before else [])
        for name, tree in trees:
            start = time.monotonic()
            tools[name] = {d: mtalint_rules(tree, resolver, d) for d in domains}
            seconds[name] = time.monotonic() - start
        if args.checkdmarc:
            host, port = resolver.split(":")
            driver = Path(__file__).parent / "rfc_checkdmarc.py"
            start = time.monotonic()
            out = subprocess.run(
                [args.checkdmarc, str(driver), host, port, *domains],
                capture_output=True,
                text=True,
                timeout=600,
            )
            seconds["checkdmarc"] = time.monotonic() - start
            checkdmarc = json.loads(out.stdout)["results"]
    rows = []
    score = {name: 0 for name in [*tools, *(["checkdmarc"] if checkdmarc else [])]}
    for domain, question, expected, clause in CASES:
        row = {"domain": domain, "question": question, "rfc": expected, "clause": clause}
        for name, found in tools.items():
            row[name] = bool(found[domain] & RULES[question])
        if checkdmarc:
            row["checkdmarc"] = checkdmarc_flags(checkdmarc[domain], question)
        for name in score:
            score[name] += row[name] == expected
        rows.append(row)
    for row in rows:
        marks = " ".join(f"{n}={'ok' if row[n] == row['rfc'] else 'WRONG'}" for n in score)
        print(
            f"{row['domain']:18} {row['question']:20} rfc={row['rfc']!s:5} {marks}  {row['clause']}"
        )
    print(f"\n{len(CASES)} verdicts on {len(domains)} domains")
    for name in score:
        print(f"{name}: {score[name]}/{len(CASES)} agree with the RFC, {seconds[name]:.1f} s")


if __name__ == "__main__":
    main()
