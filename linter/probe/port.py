"""Everything one port shows: greeting, EHLO, STARTTLS or implicit TLS, TLS versions,
cipher, certificate, AUTH before and after TLS, VRFY/EXPN, HELO, SIZE, and (asked for)
the relay test. The result is one ``probe.ports[]`` entry of the facts document.

Several short sessions are used (a failed TLS try leaves nothing to go on with); each is
bounded by the per-connection timeout and by the probe's overall deadline.
"""

from __future__ import annotations

import re
import ssl
import time
from dataclasses import dataclass
from typing import Any

from linter.probe import certs, relay, tls
from linter.probe.smtp import Reply, Session, SmtpError, Transcript, ehlo_extensions

IMPLICIT_TLS_PORTS = (465,)  # implicit TLS unless the target says otherwise (smtps://)
EHLO_NAME = "mtalint-probe.invalid"
PLAINTEXT_MECHANISMS = ("PLAIN", "LOGIN")
SUBMISSION_PORTS = (465, 587)
MAX_CIPHER_HANDSHAKES = 150  # per port: one per accepted suite, plus one per TLS version
CIPHER_BUDGET = 60.0  # seconds per port for the cipher enumeration


@dataclass(frozen=True)
class Endpoint:
    """Where one port's sessions go, and whether TLS starts at once (implicit TLS)."""

    address: str
    port: int
    implicit: bool


@dataclass
class PortOptions:
    timeout: float
    deadline: float
    relay_test: bool = False
    ca_file: str | None = None
    names: tuple[str, ...] = ()  # host names the certificate should carry


def probe_port(
    host: str, address: str, port: int, options: PortOptions, implicit: bool | None = None
) -> dict[str, Any]:
    """The facts of one port. ``host`` is the name the user gave, ``address`` the
    address connected to; ``implicit`` (TLS at once) defaults to port 465 only."""
    if implicit is None:
        implicit = port in IMPLICIT_TLS_PORTS
    where = Endpoint(address, port, implicit)
    facts: dict[str, Any] = {
        "name": f"{host}:{port}",
        "host": host,
        "address": address,
        "port": port,
        "implicit_tls": implicit,
        # submission (587, implicit TLS) vs relay (25, others): the README's severity policy
        "submission": implicit or port in SUBMISSION_PORTS,
        "reachable": False,
        "relay": {"tested": False},
    }
    transcript = Transcript()
    try:
        _main_session(facts, where, options, transcript)
    except SmtpError as exc:
        facts["error_kind"] = exc.kind
        facts["error"] = str(exc)
        # the connection was made unless connecting itself failed
        facts["reachable"] = exc.kind not in ("refused", "unreachable")
    finally:
        facts["transcript"] = transcript.lines
    if facts.get("greeting_code") != 220 or "error" in facts:
        return facts
    for step in (_helo_required, _tls_versions, _ciphers, _trust, _relay):
        try:
            step(facts, where, options)
        except SmtpError as exc:
            facts.setdefault("step_errors", []).append(f"{step.__name__[1:]}: {exc}")
            if exc.kind in ("timeout", "too-long", "too-many-lines") or "budget" in str(exc):
                break
    return facts


# --------------------------------------------------------------------------- sessions


def _open(
    where: Endpoint,
    options: PortOptions,
    transcript: Transcript | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> tuple[Session, Reply]:
    """A connected session (under TLS at once on an implicit-TLS port) and its greeting."""
    session = Session(where.address, where.port, options.timeout, options.deadline, transcript)
    try:
        session.connect()
        if where.implicit:
            session.wrap_tls(context or tls.client_context(), None)
        return session, session.reply("greeting")
    except BaseException:
        session.close()
        raise


def _open_tls(where: Endpoint, options: PortOptions, context: ssl.SSLContext) -> Session:
    """A session under TLS made with ``context``: at once on an implicit-TLS port, else
    after EHLO and STARTTLS. Handshake failures raise (SmtpError kind "tls", or
    ssl.SSLCertVerificationError for a verifying context)."""
    session, greeting = _open(where, options, context=context)
    if where.implicit:
        return session
    try:
        if greeting.code != 220:
            raise SmtpError("greeting", f"greeting {greeting.code}")
        _ehlo(session)
        _starttls(session, context)
    except BaseException:
        session.close()
        raise
    return session


def _ehlo(session: Session) -> tuple[Reply, dict[str, str]]:
    reply = session.command(f"EHLO {EHLO_NAME}")
    if reply.code != 250:
        return reply, {}
    return reply, ehlo_extensions(reply)


def _starttls(session: Session, context: ssl.SSLContext) -> ssl.SSLSocket:
    reply = session.command("STARTTLS")
    if reply.code != 220:
        raise SmtpError("tls", f"STARTTLS refused: {reply.code} {reply.text[:100]}")
    return session.wrap_tls(context, None)


def _main_session(
    facts: dict[str, Any], where: Endpoint, options: PortOptions, transcript: Transcript
) -> None:
    session, greeting = _open(where, options, transcript)
    with session:
        facts["reachable"] = True
        facts["greeting_code"] = greeting.code
        facts["greeting"] = greeting.text[:500]
        facts["greeting_lines"] = len(greeting.lines)
        if greeting.code != 220:
            return
        ehlo, ext = _ehlo(session)
        facts["ehlo_code"] = ehlo.code
        facts["extensions"] = sorted(ext)[:50]
        facts["starttls"] = "STARTTLS" in ext
        _size(facts, ext)
        implicit = where.implicit
        if implicit and isinstance(session.sock, ssl.SSLSocket):
            _record_tls(facts, session.sock, options)
            facts["auth_before_tls"] = []
            facts["auth_after_tls"] = _mechanisms(ext)
        else:
            facts["auth_before_tls"] = _mechanisms(ext)
        facts["auth_plaintext_before_tls"] = any(
            m in PLAINTEXT_MECHANISMS for m in facts["auth_before_tls"]
        )
        facts["vrfy"] = _answer(session, "VRFY postmaster")
        facts["expn"] = _answer(session, "EXPN postmaster")
        if not implicit and facts["starttls"]:
            # does the server let a transaction start without TLS? (RSET ends it at once)
            mail = session.command("MAIL FROM:<>")
            facts["mail_before_tls"] = f"{mail.code} {mail.text}"[:200]
            facts["tls_required"] = mail.code == 530 or (
                mail.code >= 400 and "STARTTLS" in mail.text.upper()
            )
            session.command("RSET")
            sock = _starttls(session, tls.client_context())
            _record_tls(facts, sock, options)
            _, ext_tls = _ehlo(session)
            facts["auth_after_tls"] = _mechanisms(ext_tls)
        elif not implicit:
            facts["tls_required"] = False
            facts["auth_after_tls"] = []
        session.quit()


def _record_tls(facts: dict[str, Any], sock: ssl.SSLSocket, options: PortOptions) -> None:
    cipher = sock.cipher()
    facts["tls_handshake"] = True
    facts["tls_version"] = sock.version()
    if cipher:
        facts["cipher"] = cipher[0]
        facts["cipher_bits"] = cipher[2]
        facts["weak_cipher"] = tls.weak_cipher(cipher[0], cipher[2])
    facts["certificate"] = certs.certificate_facts(
        sock.getpeercert(binary_form=True),
        # an address probed is not a name clients verify (they verify the MX host name)
        list(dict.fromkeys(n for n in (facts["host"], *options.names) if n and not _literal(n))),
    )


def _mechanisms(ext: dict[str, str]) -> list[str]:
    words = (ext.get("AUTH", "") + " " + ext.get("AUTH=", "")).upper().split()
    return sorted(set(words))[:30]


def _size(facts: dict[str, Any], ext: dict[str, str]) -> None:
    facts["size_advertised"] = "SIZE" in ext
    value = ext.get("SIZE", "")
    facts["size"] = int(value) if value.isdigit() and len(value) < 20 else None


def _answer(session: Session, command: str) -> dict[str, Any]:
    """The server's answer to VRFY/EXPN.

    ``answers``: it gives addresses away (250/251, or 252 echoing an address rather than
    saying it cannot verify). ``enabled``: the command is served at all: a refusal of the
    command itself (500-504, "disabled", "administrative prohibition", "cannot VRFY") says
    no; a verdict on the address, even 550 "unrouteable address", says yes."""
    reply = session.command(command)
    text = reply.text
    refuses = _REFUSAL.search(text)
    answers = reply.code in (250, 251) or (reply.code == 252 and not refuses)
    enabled = answers or (reply.code in (550, 551, 553) and not refuses)
    return {"code": reply.code, "text": text[:200], "answers": answers, "enabled": enabled}


# a refusal of the command (not a verdict on the address)
_REFUSAL = re.compile(
    r"(?i)cannot|can't|not (allowed|permitted|supported|implemented|available)"
    r"|disabled|prohibit|denied|refused|unrecogni[sz]ed"
)


def _helo_required(facts: dict[str, Any], where: Endpoint, options: PortOptions) -> None:
    session, greeting = _open(where, options)
    with session:
        if greeting.code != 220:
            return
        reply = session.command("MAIL FROM:<>")
        facts["mail_without_helo"] = f"{reply.code} {reply.text}"[:200]
        # 503: "send HELO first"; any other refusal (530 "STARTTLS first") decides nothing
        if reply.code == 503 or reply.ok:
            facts["helo_required"] = reply.code == 503
        session.command("RSET")
        session.quit()


def _tls_versions(facts: dict[str, Any], where: Endpoint, options: PortOptions) -> None:
    if not (facts.get("starttls") or facts.get("implicit_tls")):
        return
    results: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for version in tls.VERSIONS:
        why = tls.local_support(version)
        if why:
            results[version], reasons[version] = "untestable", why
            continue
        results[version], reasons[version] = _try_version(where, options, version)
    facts["tls_versions"] = results
    facts["tls_version_notes"] = reasons
    facts["tls_accepted"] = [v for v, r in results.items() if r == "accepted"]
    facts["weak_tls_accepted"] = [v for v in tls.WEAK_VERSIONS if results.get(v) == "accepted"]
    facts["tls_untestable"] = [v for v, r in results.items() if r == "untestable"]


def _try_version(where: Endpoint, options: PortOptions, version: str) -> tuple[str, str]:
    try:
        session = _open_tls(where, options, tls.client_context(version))
    except SmtpError as exc:
        if exc.kind == "greeting":
            return "error", str(exc)
        if exc.kind == "tls" and "STARTTLS refused" not in str(exc):
            return "refused", str(exc)
        if exc.kind == "closed":
            return "refused", str(exc)  # some servers just hang up on a version they refuse
        raise
    with session:
        sock = session.sock
        got = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        session.quit()
    return ("accepted", "") if got == version else ("refused", f"negotiated {got}")


def _ciphers(facts: dict[str, Any], where: Endpoint, options: PortOptions) -> None:
    """Which TLS 1.0-1.2 suites the port accepts, per version, by elimination: offer every
    suite the local OpenSSL has, note the one the server picks, offer the rest again, until
    the handshake fails. That costs one handshake per accepted suite plus one per version,
    bounded by MAX_CIPHER_HANDSHAKES and by CIPHER_BUDGET seconds or half the time left."""
    versions = [v for v in facts.get("tls_accepted", []) if tls.cipher_candidates(v)]
    if not versions:
        return
    accepted: dict[str, list[str]] = {}
    weak: list[str] = []
    handshakes = 0
    stopped = ""
    # at most half the time the probe has left, so the steps after this one still run
    now = time.monotonic()
    budget = min(CIPHER_BUDGET, (options.deadline - now) / 2)
    deadline = now + budget
    for version in versions:
        left = list(tls.cipher_candidates(version))
        found: list[str] = []
        while left and not stopped:
            if handshakes >= MAX_CIPHER_HANDSHAKES:
                stopped = f"stopped after {MAX_CIPHER_HANDSHAKES} handshakes"
            elif time.monotonic() > deadline:
                stopped = f"stopped after {budget:.1f} s"
            if stopped:
                break
            handshakes += 1
            picked = _picked_cipher(where, options, version, left)
            if picked is None or picked not in left:
                break  # refused (or a suite not offered: nothing more to learn)
            found.append(picked)
            left.remove(picked)
        accepted[version] = found
        weak.extend(name for name in found if tls.cipher_classes(name))
    facts["ciphers_accepted"] = accepted
    facts["weak_ciphers_accepted"] = list(dict.fromkeys(weak))
    facts["weak_cipher_classes"] = sorted({c for n in weak for c in tls.cipher_classes(n)})
    facts["weak_cipher_summary"] = _weak_summary(accepted, facts["weak_ciphers_accepted"])
    facts["cipher_classes_untestable"] = tls.untestable_classes()
    facts["cipher_handshakes"] = handshakes
    facts["cipher_enumeration"] = stopped or "complete"


def _weak_summary(accepted: dict[str, list[str]], weak: list[str]) -> str:
    """One line for the rules' messages: classes, count, the first names, the versions."""
    if not weak:
        return ""
    classes = sorted({c for n in weak for c in tls.cipher_classes(n)})
    versions = [v for v, names in accepted.items() if set(names) & set(weak)]
    shown = ", ".join(weak[:4]) + (f" and {len(weak) - 4} more" if len(weak) > 4 else "")
    return f"{len(weak)} {'/'.join(classes)} suites ({shown}) in {', '.join(versions)}"


def _picked_cipher(
    where: Endpoint, options: PortOptions, version: str, suites: list[str]
) -> str | None:
    """The suite the server picks among ``suites`` offered alone in ``version``; None when
    the handshake fails."""
    try:
        session = _open_tls(where, options, tls.cipher_context(version, suites))
    except SmtpError as exc:
        if exc.kind in ("tls", "closed"):
            return None
        raise
    with session:
        sock = session.sock
        cipher = sock.cipher() if isinstance(sock, ssl.SSLSocket) else None
        got = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        session.quit()
    return cipher[0] if cipher and got == version else None


def _trust(facts: dict[str, Any], where: Endpoint, options: PortOptions) -> None:
    cert = facts.get("certificate")
    if not cert or not cert.get("present"):
        return
    try:
        session = _open_tls(where, options, certs.verify_context(options.ca_file))
    except ssl.SSLCertVerificationError as exc:
        cert["trusted"] = False
        cert["trust_error"] = str(exc.verify_message or exc.reason or exc)[:200]
        return
    cert["trusted"] = True
    cert["trust_error"] = ""
    session.quit()


def _relay(facts: dict[str, Any], where: Endpoint, options: PortOptions) -> None:
    if not options.relay_test:
        return
    session, greeting = _open(where, options, Transcript())
    with session:
        _ehlo(session)
        server_name = (facts.get("greeting") or facts["host"]).split(" ", 1)[0] or facts["host"]
        result = relay.run_relay_test(
            session, _safe_domain(server_name, facts["host"]), where.address
        )
        result["transcript"] = session.transcript.lines
        facts["relay"] = result
        session.quit()


def _safe_domain(name: str, fallback: str) -> str:
    """The server's own name from its greeting, when it looks like a domain."""
    return name if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,250})", name) else fallback


def _literal(name: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True
