"""Everything one port shows: greeting, EHLO, STARTTLS or implicit TLS, TLS versions,
cipher, certificate, AUTH before and after TLS, VRFY/EXPN, HELO, SIZE, and (asked for)
the relay test. The result is one ``probe.ports[]`` entry of the facts document.

Several short sessions are used (a failed TLS try leaves nothing to go on with); each is
bounded by the per-connection timeout and by the probe's overall deadline.
"""

from __future__ import annotations

import contextlib
import re
import ssl
from dataclasses import dataclass
from typing import Any

from linter.probe import certs, relay, tls
from linter.probe.smtp import Reply, Session, SmtpError, Transcript, ehlo_extensions

IMPLICIT_TLS_PORTS = (465,)
EHLO_NAME = "mtalint-probe.invalid"
PLAINTEXT_MECHANISMS = ("PLAIN", "LOGIN")


@dataclass
class PortOptions:
    timeout: float
    deadline: float
    relay_test: bool = False
    ca_file: str | None = None
    names: tuple[str, ...] = ()  # host names the certificate should carry


def probe_port(host: str, address: str, port: int, options: PortOptions) -> dict[str, Any]:
    """The facts of one port. ``host`` is the name the user gave, ``address`` the
    address connected to."""
    facts: dict[str, Any] = {
        "name": f"{host}:{port}",
        "host": host,
        "address": address,
        "port": port,
        "implicit_tls": port in IMPLICIT_TLS_PORTS,
        "reachable": False,
        "relay": {"tested": False},
    }
    transcript = Transcript()
    try:
        _main_session(facts, address, port, options, transcript)
    except SmtpError as exc:
        facts["error_kind"] = exc.kind
        facts["error"] = str(exc)
        # the connection was made unless connecting itself failed
        facts["reachable"] = exc.kind not in ("refused", "unreachable")
    finally:
        facts["transcript"] = transcript.lines
    if facts.get("greeting_code") != 220 or "error" in facts:
        return facts
    for step in (_helo_required, _tls_versions, _trust, _relay):
        try:
            step(facts, address, port, options)
        except SmtpError as exc:
            facts.setdefault("step_errors", []).append(f"{step.__name__[1:]}: {exc}")
            if exc.kind in ("timeout", "too-long", "too-many-lines") or "budget" in str(exc):
                break
    return facts


# --------------------------------------------------------------------------- sessions


def _open(
    address: str,
    port: int,
    options: PortOptions,
    transcript: Transcript | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> tuple[Session, Reply]:
    """A connected session (under TLS at once on an implicit-TLS port) and its greeting."""
    session = Session(address, port, options.timeout, options.deadline, transcript)
    try:
        session.connect()
        if port in IMPLICIT_TLS_PORTS:
            session.wrap_tls(context or tls.client_context(), None)
        return session, session.reply("greeting")
    except BaseException:
        session.close()
        raise


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
    facts: dict[str, Any], address: str, port: int, options: PortOptions, transcript: Transcript
) -> None:
    session, greeting = _open(address, port, options, transcript)
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
        implicit = port in IMPLICIT_TLS_PORTS
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
    """The server's answer to VRFY/EXPN, and whether it gives addresses away: 250/251,
    or 252 echoing an address rather than saying it cannot verify."""
    reply = session.command(command)
    text = reply.text
    refuses = re.search(r"(?i)cannot|can't|not (allowed|permitted|supported|implemented)", text)
    answers = reply.code in (250, 251) or (reply.code == 252 and not refuses)
    return {"code": reply.code, "text": text[:200], "answers": answers}


def _helo_required(facts: dict[str, Any], address: str, port: int, options: PortOptions) -> None:
    session, greeting = _open(address, port, options)
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


def _tls_versions(facts: dict[str, Any], address: str, port: int, options: PortOptions) -> None:
    if not (facts.get("starttls") or facts.get("implicit_tls")):
        return
    results: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for version in tls.VERSIONS:
        why = tls.local_support(version)
        if why:
            results[version], reasons[version] = "untestable", why
            continue
        results[version], reasons[version] = _try_version(address, port, options, version)
    facts["tls_versions"] = results
    facts["tls_version_notes"] = reasons
    facts["tls_accepted"] = [v for v, r in results.items() if r == "accepted"]
    facts["weak_tls_accepted"] = [v for v in tls.WEAK_VERSIONS if results.get(v) == "accepted"]
    facts["tls_untestable"] = [v for v, r in results.items() if r == "untestable"]


def _try_version(address: str, port: int, options: PortOptions, version: str) -> tuple[str, str]:
    context = tls.client_context(version)
    try:
        if port in IMPLICIT_TLS_PORTS:
            session, _ = _open(address, port, options, context=context)
        else:
            session, greeting = _open(address, port, options)
            if greeting.code != 220:
                session.close()
                return "error", f"greeting {greeting.code}"
            try:
                _ehlo(session)
                _starttls(session, context)
            except BaseException:
                session.close()
                raise
    except SmtpError as exc:
        if exc.kind == "tls" and "STARTTLS refused" not in str(exc):
            return "refused", str(exc)
        if exc.kind == "closed":
            return "refused", str(exc)  # some servers just hang up on a version they refuse
        raise
    with session:
        sock = session.sock
        got = sock.version() if isinstance(sock, ssl.SSLSocket) else None
        with contextlib.suppress(SmtpError):
            session.quit()
    return ("accepted", "") if got == version else ("refused", f"negotiated {got}")


def _trust(facts: dict[str, Any], address: str, port: int, options: PortOptions) -> None:
    cert = facts.get("certificate")
    if not cert or not cert.get("present"):
        return
    context = certs.verify_context(options.ca_file)
    try:
        if port in IMPLICIT_TLS_PORTS:
            session, _ = _open(address, port, options, context=context)
        else:
            session, _ = _open(address, port, options)
            try:
                _ehlo(session)
                _starttls(session, context)
            except BaseException:
                session.close()
                raise
    except ssl.SSLCertVerificationError as exc:
        cert["trusted"] = False
        cert["trust_error"] = str(exc.verify_message or exc.reason or exc)[:200]
        return
    cert["trusted"] = True
    cert["trust_error"] = ""
    session.quit()


def _relay(facts: dict[str, Any], address: str, port: int, options: PortOptions) -> None:
    if not options.relay_test:
        return
    session, greeting = _open(address, port, options, Transcript())
    with session:
        _ehlo(session)
        server_name = (facts.get("greeting") or facts["host"]).split(" ", 1)[0] or facts["host"]
        result = relay.run_relay_test(session, _safe_domain(server_name, facts["host"]), address)
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
