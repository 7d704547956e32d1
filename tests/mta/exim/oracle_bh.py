"""The real Exim's SMTP answers (``exim4 -C FILE -bh IP``) as the oracle for the Exim posture.

``-bh`` runs a whole SMTP session as if from the given address, ACLs included, without
delivering anything; ``-oMi ADDRESS.PORT`` sets the interface and port the client is
supposed to have reached, so ``$received_port`` tests work. Runs go inside ``unshare -n``
(no network): nothing can leave, and DNS lookups fail at once (a ``verify = recipient``
that needs DNS then defers, which is why the generated configs route other domains with
``manualroute`` to an address literal). The client cannot start TLS under -bh.

The client plays an attacker: it tries several senders and recipients, and any ``250``
for a recipient in another domain means the relay is open to it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.mta.exim.oracle_bv import run_exim

STRANGER = "198.51.100.200"  # never listed in a generated host list, except by "match all"
EXTERNAL_RECIPIENTS = ("victim@external.example.org", "postmaster@external.example.org")
SENDERS = ("someone@client.example.net", "good@example.com", "")
LOCAL_RECIPIENT = "postmaster@example.com"


@dataclass
class Session:
    ehlo: list[str] = field(default_factory=list)  # EHLO keywords (STARTTLS, AUTH PLAIN, ...)
    replies: list[tuple[str, str]] = field(default_factory=list)  # (command, reply code)
    raw: str = ""

    def accepted(self, recipient: str) -> bool:
        return any(cmd == f"RCPT TO:<{recipient}>" and code == "250" for cmd, code in self.replies)

    def auth_mechanisms(self) -> list[str]:
        for keyword in self.ehlo:
            if keyword.upper().startswith("AUTH "):
                return keyword.split()[1:]
        return []


def session(
    config: Path,
    client: str,
    port: int,
    commands: list[str],
    authenticate: bool = False,
    ehlo: bool = True,
) -> Session:
    """One SMTP session; ``authenticate`` sends AUTH PLAIN user/secret after EHLO."""
    lines = ["EHLO client.example.net"] if ehlo else []
    if authenticate:
        token = base64.b64encode(b"\0user\0secret").decode()
        lines.append(f"AUTH PLAIN {token}")
    lines += commands + ["QUIT"]
    script = "".join(f"{line}\r\n" for line in lines)
    rc, out, err = _run(config, client, port, script)
    result = Session(raw=out + err)
    replies = [ln for ln in out.splitlines() if re.match(r"^\d{3}[ -]", ln)]
    # the first reply is the greeting; then EHLO's multi-line reply; then one per command
    pending = lines[:]
    current: list[str] = []
    for reply in replies[1:]:
        current.append(reply)
        if reply[3] == " ":
            command = pending.pop(0) if pending else ""
            if command.startswith("EHLO"):
                result.ehlo = [r[4:] for r in current[1:]]
            else:
                result.replies.append((command, current[-1][:3]))
            current = []
    return result


def _run(config: Path, client: str, port: int, script: str) -> tuple[int, str, str]:
    import os
    import subprocess

    from tests.mta.exim.oracle_bv import EXIM, TIMEOUT, _sandbox

    os.chmod(config, 0o644)
    cmd = [*_sandbox(), str(EXIM), "-C", str(config), "-bh", client, "-oMi", f"192.0.2.10.{port}"]
    proc = subprocess.run(
        cmd,
        input=script,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"},
    )
    return proc.returncode, proc.stdout, proc.stderr


def relays(config: Path, client: str, port: int, authenticate: bool = False) -> bool:
    """Does any sender get a recipient in another domain accepted?"""
    return relay_attempt(config, client, port, authenticate)[0]


def relay_attempt(
    config: Path, client: str, port: int, authenticate: bool = False
) -> tuple[bool, bool]:
    """(relayed, a recipient was deferred only because routing needed DNS)."""
    needed_dns = False
    for sender in SENDERS:
        commands = [f"MAIL FROM:<{sender}>"] + [f"RCPT TO:<{r}>" for r in EXTERNAL_RECIPIENTS]
        s = session(config, client, port, commands, authenticate)
        if any(s.accepted(r) for r in EXTERNAL_RECIPIENTS):
            return True, False
        deferred = any(code.startswith("4") for cmd, code in s.replies if cmd.startswith("RCPT"))
        # the dnslookup router, or a list item that needs DNS (@mx_primary), deferred
        if deferred and re.search(
            r'dnslookup router: defer for|DNS lookup of "[^"]*" deferred', s.raw
        ):
            needed_dns = True
    return False, needed_dns


def delivers_locally(config: Path, client: str, port: int, authenticate: bool = False) -> bool:
    for sender in SENDERS:
        s = session(
            config,
            client,
            port,
            [f"MAIL FROM:<{sender}>", f"RCPT TO:<{LOCAL_RECIPIENT}>"],
            authenticate,
        )
        if s.accepted(LOCAL_RECIPIENT):
            return True
    return False


def bv_ok(config: Path) -> bool:
    rc, _, _ = run_exim(config, "-bV")
    return rc == 0
