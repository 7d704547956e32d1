"""A bounded SMTP client session: every read has a deadline, a reply is capped in size
and in lines, and what was said is kept as a printable transcript.

A server that talks forever, answers with a megabyte or never answers costs at most one
timeout and raises :class:`SmtpError` naming what happened.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass, field

from linter.textsafe import printable

MAX_REPLY_BYTES = 1024 * 1024  # the most read for one reply
MAX_REPLY_LINES = 100  # the most lines of one reply (greeting, EHLO)
MAX_TRANSCRIPT_LINES = 400
MAX_SHOWN_LINE = 200  # characters of one line kept in the transcript


class SmtpError(Exception):
    """The session could not go on. ``kind``: refused, unreachable, timeout, closed,
    too-long, too-many-lines, malformed, tls, greeting (a later session not greeted
    with 220)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Reply:
    code: int
    lines: list[str]  # the text of each line, without the code

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400


@dataclass
class Transcript:
    lines: list[str] = field(default_factory=list)

    def add(self, direction: str, text: str) -> None:
        if len(self.lines) < MAX_TRANSCRIPT_LINES:
            shown = printable(text[:MAX_SHOWN_LINE])
            if len(text) > MAX_SHOWN_LINE:
                shown += f"... ({len(text)} characters)"
            self.lines.append(f"{direction} {shown}")
        elif len(self.lines) == MAX_TRANSCRIPT_LINES:
            self.lines.append("... (transcript cut)")


class Session:
    """One connection. ``timeout`` bounds each read and each write; ``deadline`` (a
    ``time.monotonic()`` value) bounds the whole session."""

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float,
        deadline: float,
        transcript: Transcript | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.deadline = deadline
        self.transcript = transcript if transcript is not None else Transcript()
        self.sock: socket.socket | ssl.SSLSocket | None = None
        self._buffer = b""
        self._reply_deadline = 0.0

    # connection -------------------------------------------------------------
    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), self._left())
        except ConnectionRefusedError:
            raise SmtpError("refused", "connection refused (nothing listens there)") from None
        except TimeoutError:
            raise SmtpError(
                "unreachable", f"no answer to the connection within {self.timeout:g}s (filtered?)"
            ) from None
        except OSError as exc:
            raise SmtpError("unreachable", f"cannot connect: {exc.strerror or exc}") from None

    def wrap_tls(self, context: ssl.SSLContext, server_hostname: str | None) -> ssl.SSLSocket:
        """TLS on the connection (after STARTTLS, or at once for implicit TLS)."""
        if self.sock is None:
            raise SmtpError("closed", "not connected")
        if self._buffer:
            # bytes sent before the handshake would be read as TLS: a STARTTLS injection
            raise SmtpError("malformed", "the server sent data after its STARTTLS reply")
        self.sock.settimeout(self._left())
        try:
            tls = context.wrap_socket(self.sock, server_hostname=server_hostname)
        except ssl.SSLCertVerificationError:
            raise
        except (ssl.SSLError, OSError) as exc:
            self.close()
            if isinstance(exc, TimeoutError):
                raise SmtpError("timeout", "no TLS handshake within the timeout") from None
            raise SmtpError("tls", f"TLS handshake failed: {_ssl_reason(exc)}") from None
        self.sock = tls
        return tls

    def close(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # talking ------------------------------------------------------------------
    def send(self, command: str) -> None:
        if self.sock is None:
            raise SmtpError("closed", "not connected")
        self.transcript.add(">", command)
        try:
            self.sock.settimeout(self._left())
            self.sock.sendall(command.encode("ascii", "replace") + b"\r\n")
        except TimeoutError:
            raise SmtpError("timeout", f"could not send {command.split()[0]} in time") from None
        except OSError as exc:
            raise SmtpError(
                "closed", f"connection lost sending {command.split()[0]}: {exc}"
            ) from None

    def command(self, command: str) -> Reply:
        self.send(command)
        return self.reply(command.split()[0].upper() if command else "")

    def reply(self, what: str = "greeting") -> Reply:
        """One reply, all its lines; raises :class:`SmtpError` when there is none."""
        lines: list[str] = []
        received = 0
        code = ""
        # the whole reply within one timeout: a server dripping a byte at a time never
        # trips the timeout of a single read
        self._reply_deadline = time.monotonic() + self.timeout
        while True:
            raw = self._line(what, received)
            received += len(raw) + 2
            text = raw.decode("utf-8", "replace")
            self.transcript.add("<", text)
            if len(text) < 3 or not text[:3].isdigit() or (len(text) > 3 and text[3] not in " -"):
                raise SmtpError(
                    "malformed", f"reply to {what} is not SMTP: {printable(text[:80])!r}"
                )
            if code and text[:3] != code:
                raise SmtpError("malformed", f"reply to {what} changes code mid-reply")
            code = text[:3]
            lines.append(text[4:])
            if len(text) == 3 or text[3] == " ":
                return Reply(int(code), lines)
            if len(lines) >= MAX_REPLY_LINES:
                raise SmtpError(
                    "too-many-lines", f"reply to {what} runs past {MAX_REPLY_LINES} lines"
                )

    def _line(self, what: str, received: int) -> bytes:
        while b"\n" not in self._buffer:
            if received + len(self._buffer) > MAX_REPLY_BYTES:
                raise SmtpError(
                    "too-long", f"reply to {what} is longer than {MAX_REPLY_BYTES} bytes"
                )
            if self.sock is None:
                raise SmtpError("closed", "not connected")
            left = min(self._left(), self._reply_deadline - time.monotonic())
            if left <= 0:
                raise SmtpError("timeout", f"reply to {what} not complete within {self.timeout:g}s")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                raise SmtpError("timeout", f"no reply to {what} within {self.timeout:g}s") from None
            except OSError as exc:
                raise SmtpError("closed", f"connection lost waiting for {what}: {exc}") from None
            if not chunk:
                raise SmtpError("closed", f"the server closed the connection (waiting for {what})")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\n", 1)
        if received + len(raw) > MAX_REPLY_BYTES:
            raise SmtpError("too-long", f"reply to {what} is longer than {MAX_REPLY_BYTES} bytes")
        return raw.rstrip(b"\r")

    def _left(self) -> float:
        left = min(self.timeout, self.deadline - time.monotonic())
        if left <= 0:
            raise SmtpError("timeout", "the time budget of the probe ran out")
        return left

    def quit(self) -> None:
        """QUIT, without caring about the answer (the server may just close)."""
        with contextlib.suppress(SmtpError):
            self.command("QUIT")
        self.close()


def ehlo_extensions(reply: Reply) -> dict[str, str]:
    """EHLO keywords (upper case) and their parameters; the first line is the greeting."""
    out: dict[str, str] = {}
    for line in reply.lines[1:]:
        keyword, _, params = line.strip().partition(" ")
        if keyword:
            out.setdefault(keyword.upper(), params.strip())
    return out


def _ssl_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return printable(str(reason or exc))[:200]
