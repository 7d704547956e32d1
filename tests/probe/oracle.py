"""What an SMTP port really does, asked with Python's smtplib and ``openssl s_client``:
the oracle the probe's verdicts are compared with (tests only, standard library only).

Run inside the daemon's network namespace as
``python oracle.py ADDRESS PORT[/tls] [--suites PORT NAME,NAME,...]`` (``/tls``:
implicit TLS on that port); prints one JSON object, port → facts. Nothing here shares
code with linter/probe: a bug there cannot hide here.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import subprocess
import sys
from typing import Any

TIMEOUT = 10
PINS = {"TLSv1": "-tls1", "TLSv1.1": "-tls1_1", "TLSv1.2": "-tls1_2", "TLSv1.3": "-tls1_3"}


def _context() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _connect(address: str, port: int, implicit: bool) -> tuple[smtplib.SMTP, int, str]:
    smtp: smtplib.SMTP
    if implicit:
        smtp = smtplib.SMTP_SSL(timeout=TIMEOUT, context=_context())
    else:
        smtp = smtplib.SMTP(timeout=TIMEOUT)
    # the name TLS is started with (connect() leaves it unset; nothing is verified)
    smtp._host = address
    code, text = smtp.connect(address, port)
    return smtp, code, text.decode("latin-1")


def _mechanisms(smtp: smtplib.SMTP) -> list[str]:
    return sorted(set(smtp.esmtp_features.get("auth", "").upper().split()))


def smtp_facts(address: str, port: int, implicit: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    smtp, code, text = _connect(address, port, implicit)
    out["greeting"] = [code, text]
    smtp.ehlo("oracle.invalid")
    out["starttls"] = smtp.has_extn("starttls")
    out["auth_plain_session"] = _mechanisms(smtp)  # before TLS, or under implicit TLS
    out["vrfy"] = list(smtp.docmd("VRFY", "postmaster"))
    out["vrfy"][1] = out["vrfy"][1].decode("latin-1")
    out["mail_before_tls"] = smtp.docmd("MAIL", "FROM:<>")[0]
    smtp.rset()
    if out["starttls"] and not implicit:
        smtp.starttls(context=_context())
        smtp.ehlo("oracle.invalid")
        out["auth_after_starttls"] = _mechanisms(smtp)
    smtp.quit()
    smtp, _, _ = _connect(address, port, implicit)
    out["mail_without_helo"] = smtp.docmd("MAIL", "FROM:<>")[0]
    smtp.close()
    return out


def s_client(address: str, port: int, implicit: bool, *extra: str) -> dict[str, str]:
    argv = ["openssl", "s_client", "-connect", f"{address}:{port}", "-brief", *extra]
    if not implicit:
        argv += ["-starttls", "smtp"]
    done = subprocess.run(argv, input="QUIT\n", capture_output=True, text=True, timeout=30)
    found: dict[str, str] = {}
    for line in done.stderr.splitlines():
        key, _, value = line.partition(":")
        found[key.strip()] = value.strip()
    return found


def tls_facts(address: str, port: int, implicit: bool, suites: list[str]) -> dict[str, Any]:
    plain = s_client(address, port, implicit)
    out: dict[str, Any] = {
        "version": plain.get("Protocol version"),
        "cipher": plain.get("Ciphersuite"),
        "versions": {},
    }
    for version, flag in PINS.items():
        got = s_client(address, port, implicit, flag, "-cipher", "ALL:@SECLEVEL=0")
        out["versions"][version] = got.get("Protocol version") == version
    if suites:
        # each suite offered alone in TLS 1.2: accepted when the handshake names it
        out["suites_tls12"] = [
            name
            for name in suites
            if s_client(address, port, implicit, "-tls1_2", "-cipher", f"{name}:@SECLEVEL=0").get(
                "Ciphersuite"
            )
            == name
        ]
    return out


def main(argv: list[str]) -> None:
    address, rest = argv[0], argv[1:]
    suites: dict[int, list[str]] = {}
    if "--suites" in rest:
        i = rest.index("--suites")
        suites[int(rest[i + 1])] = rest[i + 2].split(",")
        rest = rest[:i] + rest[i + 3 :]
    result: dict[str, Any] = {}
    for spec in rest:
        number, _, mode = spec.partition("/")
        port, implicit = int(number), mode == "tls"
        facts = smtp_facts(address, port, implicit)
        if implicit or facts["starttls"]:
            facts["tls"] = tls_facts(address, port, implicit, suites.get(port, []))
        result[number] = facts
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
