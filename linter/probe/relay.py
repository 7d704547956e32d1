"""The relay test (``--relay-test``), after nmap's smtp-open-relay script.

Each attempt is MAIL FROM and one RCPT TO, followed by RSET; the session ends with QUIT.
DATA is never sent, so no message can leave, whatever the server answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from linter.probe.smtp import Session, SmtpError

EXTERNAL_DOMAIN = "example.net"  # RFC 2606: a destination that is never the server's own
EXTERNAL_SENDER = "relaytest@example.org"
USER = "relaytest"


@dataclass(frozen=True)
class Attempt:
    name: str  # what the attempt tries, e.g. "percent hack"
    sender: str
    recipient: str
    direct: bool  # the recipient is plainly external (no address trick)


def attempts(server_name: str, address: str) -> list[Attempt]:
    """The attempts for a server that calls itself ``server_name`` and was reached at
    ``address`` (used as an address literal)."""
    ext, literal = EXTERNAL_DOMAIN, f"[{address}]" if ":" not in address else f"[IPv6:{address}]"
    local = f"postmaster@{server_name}"
    target = f"{USER}@{ext}"
    plan = [
        Attempt("external recipient, null sender", "", target, True),
        Attempt("external recipient, local sender", local, target, True),
        Attempt("external recipient, external sender", EXTERNAL_SENDER, target, True),
        Attempt("percent hack", local, f"{USER}%{ext}@{server_name}", False),
        Attempt("percent hack to the address literal", local, f"{USER}%{ext}@{literal}", False),
        Attempt("quoted local part", local, f'"{USER}@{ext}"', False),
        Attempt("quoted local part with percent", local, f'"{USER}%{ext}"', False),
        Attempt("quoted local part at the server", local, f'"{USER}@{ext}"@{server_name}', False),
        Attempt("two at signs", local, f"{USER}@{ext}@{server_name}", False),
        Attempt("source route", local, f"@{server_name}:{USER}@{ext}", False),
        Attempt("source route through the address literal", local, f"@{literal}:{target}", False),
        Attempt("bang path", local, f"{ext}!{USER}", False),
        Attempt("bang path at the server", local, f"{ext}!{USER}@{server_name}", False),
    ]
    return plan


def run_relay_test(session: Session, server_name: str, address: str) -> dict[str, Any]:
    """Play the attempts on an open session (after EHLO); the facts of the test."""
    results: list[dict[str, Any]] = []
    stopped = ""
    for attempt in attempts(server_name, address):
        entry: dict[str, Any] = {
            "name": attempt.name,
            "sender": attempt.sender,
            "recipient": attempt.recipient,
            "direct": attempt.direct,
            "accepted": False,
        }
        try:
            mail = session.command(f"MAIL FROM:<{attempt.sender}>")
            entry["mail"] = f"{mail.code} {mail.text}"[:200]
            if mail.ok:
                rcpt = session.command(f"RCPT TO:<{attempt.recipient}>")
                entry["rcpt"] = f"{rcpt.code} {rcpt.text}"[:200]
                entry["accepted"] = rcpt.code in (250, 251)
            session.command("RSET")
        except SmtpError as exc:
            entry["error"] = str(exc)
            results.append(entry)
            stopped = str(exc)
            break
        results.append(entry)
        if mail.code == 421:
            stopped = "the server ended the session (421)"
            break
    accepted = [r for r in results if r["accepted"]]
    return {
        "tested": True,
        "attempts": results,
        "stopped": stopped,
        "direct_accepted": [r["name"] for r in accepted if r["direct"]],
        "tricks_accepted": [r["name"] for r in accepted if not r["direct"]],
        "evidence": "; ".join(
            f"MAIL FROM:<{r['sender']}> RCPT TO:<{r['recipient']}> -> {r.get('rcpt', '')}"
            for r in accepted
        )[:1000],
    }
