"""A throw-away Postfix instance on 127.0.0.1, for behaviour tests against the real smtpd.

The instance lives in a temporary directory (config, queue, data, log and SASL files) and
runs inside a private network namespace (``unshare -n``), so smtpd's reverse lookups of
client addresses never wait on the machine's resolver, and its port cannot clash with
anything on the host.

A small agent (this file run as a script) is started inside the namespace. It brings up
``lo``, starts Postfix and plays SMTP sessions on request: the test process writes one
JSON request per line on the agent's stdin and reads one JSON answer per line from its
stdout. Closing stdin stops Postfix. Every step has a time limit, and a master process
left behind is killed through its pid file.

Typical use::

    with PostfixServer({"smtpd_relay_restrictions": "reject_unauth_destination"}) as server:
        oracle = server.relay_oracle()
        assert oracle.verdict == "closed", oracle.describe()

The module uses only the standard library, so the agent runs under any Python 3.11+.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

POSTFIX = "/usr/sbin/postfix"
SASLPASSWD2 = "/usr/sbin/saslpasswd2"
DEFAULT_PORT = 2525

HOSTNAME = "mx.example.test"
SENDER = "a@sender.example"
EXTERNAL_RCPT = "victim@external.example"
LOCAL_RCPT = "postmaster@example.test"
SASL_USER = "relayuser"
SASL_PASSWORD = "correct horse battery staple"

# Addresses a probe claims through XCLIENT.
FOREIGN_CLIENTS = ("192.0.2.1", "203.0.113.5")  # TEST-NET-1, TEST-NET-3
PRIVATE_CLIENT = "10.1.2.3"
LOOPBACK_CLIENT = "127.0.0.1"  # the real peer address: no XCLIENT needed

# What every instance needs; a test's own settings come after these and win.
BASE_SETTINGS = {
    "myhostname": HOSTNAME,
    "mydestination": f"{HOSTNAME}, example.test",
    "alias_maps": "",
    "alias_database": "",
    "smtpd_authorized_xclient_hosts": "127.0.0.1",
}

# The unix services smtpd and the cleanup server behind it talk to. Every chroot column
# is "n": there is no jail to populate. postlog writes maillog_file (there is no syslog).
UNIX_SERVICES = """\
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

START_TIMEOUT = 15.0  # "postfix start", including its own integrity checks
PORT_TIMEOUT = 5.0  # from "postfix start" returning to the port accepting connections
GREETING_TIMEOUT = 5.0
REPLY_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0
FATAL_GRACE = 0.3  # wait this long for a greeting before looking for an smtpd fatal


class PostfixError(RuntimeError):
    """The instance could not be built or started; the message carries the reason."""


def smtpd_service(port: int = DEFAULT_PORT, options: Sequence[str] = ()) -> str:
    """A master.cf entry for smtpd on 127.0.0.1:PORT with ``-o name=value`` OPTIONS."""
    line = f"127.0.0.1:{port} inet n       -       n       -       -       smtpd"
    return "\n".join([line, *(f"  -o {option}" for option in options)])


def main_cf_text(settings: Mapping[str, str] | str) -> str:
    if isinstance(settings, str):
        return settings if not settings or settings.endswith("\n") else settings + "\n"
    return "".join(f"{name} = {value}\n" for name, value in settings.items())


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


# --------------------------------------------------------------------------- results


@dataclass
class Reply:
    command: str  # "(greeting)" for the greeting
    code: int | None  # None: connection closed or no answer in time
    text: str


@dataclass
class Session:
    """One SMTP session: the greeting and one reply per command sent."""

    greeting: Reply | None
    replies: list[Reply] = field(default_factory=list)
    error: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Session:
        def reply(item: Sequence[Any]) -> Reply:
            command, code, text = item
            return Reply(str(command), None if code is None else int(code), str(text))

        greeting = data.get("greeting")
        return cls(
            greeting=reply(greeting) if greeting else None,
            replies=[reply(item) for item in data.get("replies", [])],
            error=str(data.get("error", "")),
        )

    @property
    def answered(self) -> bool:
        return self.greeting is not None and self.greeting.code == 220

    def reply_to(self, prefix: str) -> Reply | None:
        """The reply to the last command that starts with PREFIX (any case)."""
        for reply in reversed(self.replies):
            if reply.command.upper().startswith(prefix.upper()):
                return reply
        return None

    def accepted(self, rcpt: str) -> bool | None:
        """True if ``RCPT TO:<rcpt>`` got 250, False if refused, None if never answered."""
        reply = self.reply_to(f"RCPT TO:<{rcpt}>")
        if reply is None or reply.code is None:
            return None
        return reply.code == 250

    def describe(self) -> str:
        lines = [f"  greeting: {self.greeting.text if self.greeting else '(none)'}"]
        lines += [f"  {r.command} -> {r.text if r.code else f'({r.text})'}" for r in self.replies]
        if self.error:
            lines.append(f"  error: {self.error}")
        return "\n".join(lines)


@dataclass
class RelayProbe:
    """One transaction: who the client claimed to be, and what smtpd said."""

    client: str
    auth_user: str | None
    session: Session

    @property
    def authenticated(self) -> bool:
        reply = self.session.reply_to("AUTH ")
        return reply is not None and reply.code == 235

    def accepted(self, rcpt: str) -> bool | None:
        return self.session.accepted(rcpt)

    def describe(self) -> str:
        who = f"client {self.client}"
        if self.auth_user is not None:
            who += f" with AUTH as {self.auth_user}"
        return f"{who}:\n{self.session.describe()}"


@dataclass
class RelayOracle:
    """The relay verdict of a live smtpd, from probes with and without trust.

    ``verdict`` is one of open, networks, authenticated, closed, refused (smtpd gave no
    greeting, for example because it exits at start-up for want of a relay guard), or
    error (a session broke off; see :meth:`describe`).
    """

    verdict: str
    probes: list[RelayProbe]
    log: str
    main_cf: str
    master_cf: str

    def relayed_from(self) -> list[str]:
        """Client addresses that relayed without authenticating."""
        return [
            p.client
            for p in self.probes
            if p.auth_user is None and p.accepted(EXTERNAL_RCPT) is True
        ]

    def refused_from(self) -> list[str]:
        """Client addresses refused relaying without authenticating."""
        return [
            p.client
            for p in self.probes
            if p.auth_user is None and p.accepted(EXTERNAL_RCPT) is False
        ]

    def smtpd_fatal(self) -> str:
        return "\n".join(line for line in self.log.splitlines() if ": fatal: " in line)

    def describe(self) -> str:
        parts = [f"live verdict: {self.verdict}", "main.cf:", self.main_cf, "master.cf:"]
        parts += [self.master_cf, *(probe.describe() for probe in self.probes)]
        parts.append("Postfix log (tail):\n" + tail(self.log))
        return "\n".join(parts)


# --------------------------------------------------------------------------- instance


class PostfixServer:
    """A Postfix instance in a temporary directory, serving inside ``unshare -n``.

    SETTINGS is main.cf as a mapping or as text, written after the base settings so that
    it wins (Postfix keeps the last definition). SERVICE is the smtpd entry of master.cf
    (``smtpd_service()`` builds one); the unix services smtpd needs are added to it.
    SASL_USERS go into a Cyrus sasldb; AUTH works once main.cf sets
    ``smtpd_sasl_auth_enable = yes``.
    """

    def __init__(
        self,
        settings: Mapping[str, str] | str = "",
        service: str | None = None,
        *,
        port: int = DEFAULT_PORT,
        sasl_users: Mapping[str, str] | None = None,
        keep: bool = False,
    ) -> None:
        self.settings = settings
        self.port = port
        self.service = service if service is not None else smtpd_service(port)
        self.sasl_users = dict(sasl_users if sasl_users is not None else {SASL_USER: SASL_PASSWORD})
        self.keep = keep
        self.root: Path | None = None
        self._agent: subprocess.Popen[bytes] | None = None
        self._buffer = b""

    @property
    def config_dir(self) -> Path:
        """main.cf, master.cf and sasl/smtpd.conf: point linters here."""
        return self._root / "etc"

    @property
    def queue_dir(self) -> Path:
        return self._root / "spool"

    @property
    def maillog(self) -> Path:
        return self._root / "log" / "maillog"

    @property
    def _root(self) -> Path:
        if self.root is None:
            raise PostfixError("the instance has not been built")
        return self.root

    def log(self) -> str:
        try:
            return self.maillog.read_text(errors="replace")
        except (OSError, PostfixError):
            return ""

    # lifecycle ---------------------------------------------------------------
    def __enter__(self) -> PostfixServer:
        try:
            self.build()
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def build(self) -> Path:
        """Write the instance and check it with ``postfix check``."""
        root = new_root()
        self.root = root
        for sub in ("etc", "etc/sasl", "sasl", "spool", "data", "log"):
            (root / sub).mkdir(mode=0o755)
        shutil.chown(root / "data", user="postfix")
        internal = {
            "queue_directory": str(self.queue_dir),
            "data_directory": str(root / "data"),
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(root),  # the default allows only /var and stdout
            # Debian's smtpd reads $config_directory/sasl/smtpd.conf whatever this says;
            # upstream Postfix needs it.
            "cyrus_sasl_config_path": str(self.config_dir / "sasl"),
        }
        text = main_cf_text({**internal, **BASE_SETTINGS}) + main_cf_text(self.settings)
        (self.config_dir / "main.cf").write_text(text)
        (self.config_dir / "master.cf").write_text(self.service.rstrip("\n") + "\n" + UNIX_SERVICES)
        self._write_sasl(self.config_dir / "sasl")
        # Postfix re-reads a main.cf changed within the last second until it is two
        # seconds old (it might still be being written): backdate the new files.
        past = time.time() - 60
        for name in ("main.cf", "master.cf"):
            os.utime(self.config_dir / name, (past, past))
        check = run([POSTFIX, "-c", str(self.config_dir), "check"], timeout=START_TIMEOUT)
        if check.returncode != 0:
            raise PostfixError(f"postfix check failed (rc {check.returncode}):\n{check.stderr}")
        # "postfix start" repeats these checks unless it finds this file, which
        # postfix-script's own quick-stop leaves behind for the same reason
        (self.queue_dir / "quick-start").touch()
        return root

    def _write_sasl(self, conf_dir: Path) -> None:
        # the database stays out of the config directory, where postfix check wants
        # every file owned by root, and smtpd reads it as the postfix user
        db = self._root / "sasl" / "sasldb2"
        (conf_dir / "smtpd.conf").write_text(
            "pwcheck_method: auxprop\n"
            "auxprop_plugin: sasldb\n"
            "mech_list: PLAIN LOGIN\n"
            f"sasldb_path: {db}\n"
        )
        if not self.sasl_users:
            return
        if not Path(SASLPASSWD2).exists():
            raise PostfixError(f"{SASLPASSWD2} is missing (Debian package sasl2-bin)")
        for user, password in self.sasl_users.items():
            # smtpd passes myhostname to Cyrus SASL as the realm of unqualified users
            argv = [SASLPASSWD2, "-c", "-p", "-f", str(db), "-u", HOSTNAME, user]
            done = run(argv, input_text=password, timeout=10)
            if done.returncode != 0:
                raise PostfixError(f"saslpasswd2 failed: {done.stderr}")
        shutil.chown(db, user="postfix")

    def start(self) -> None:
        argv = ["unshare", "-n", sys.executable, __file__, "serve", str(self._root), str(self.port)]
        self._agent = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        ready = self._read(START_TIMEOUT + PORT_TIMEOUT + 5)
        if not ready.get("ready"):
            raise PostfixError(
                f"Postfix did not start: {ready.get('error', 'no answer from the agent')}\n"
                f"log (tail):\n{tail(self.log())}"
            )

    def close(self) -> None:
        """Stop Postfix and remove the instance; safe to call more than once."""
        self._stop_agent()
        if self.root is not None and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    def _stop_agent(self) -> None:
        agent, self._agent = self._agent, None
        if agent is not None:
            with contextlib.suppress(OSError):
                if agent.stdin is not None:
                    agent.stdin.close()  # the agent stops Postfix when its input ends
            try:
                agent.wait(timeout=STOP_TIMEOUT + 5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(agent.pid, signal.SIGKILL)
                agent.wait(timeout=5)
            for stream in (agent.stdout, agent.stderr):
                if stream is not None:
                    stream.close()
        if self.root is not None:
            kill_master(self.queue_dir)

    # talking to the agent ----------------------------------------------------
    def _read(self, timeout: float) -> dict[str, object]:
        agent = self._agent
        if agent is None or agent.stdout is None:
            return {"error": "the server is not running"}
        deadline = time.monotonic() + timeout
        fd = agent.stdout.fileno()
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return {"error": f"the agent gave no answer within {timeout:.0f}s"}
                chunk = os.read(fd, 65536)
                if not chunk:
                    agent.wait(timeout=5)
                    err = agent.stderr.read().decode(errors="replace") if agent.stderr else ""
                    return {"error": f"the agent exited ({agent.returncode}): {err.strip()}"}
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, object] = json.loads(line)
        return answer

    def session(
        self, commands: Sequence[str], *, greeting_timeout: float = GREETING_TIMEOUT
    ) -> Session:
        """Connect to the smtpd port, read the greeting and send COMMANDS one by one.

        A 4xx/5xx reply does not end the session; a closed connection or a missing
        greeting does. ``XCLIENT`` is answered with a new 220 greeting, as Postfix does.
        """
        agent = self._agent
        if agent is None or agent.stdin is None:
            raise PostfixError("the server is not running")
        request = {"commands": list(commands), "greeting_timeout": greeting_timeout}
        agent.stdin.write(json.dumps(request).encode() + b"\n")
        agent.stdin.flush()
        answer = self._read(greeting_timeout + REPLY_TIMEOUT * (len(commands) + 1))
        if "replies" not in answer:
            # the agent is stuck or gone, and a late answer would pair with the next
            # request: stop it (the instance directory and its log stay until close())
            self._stop_agent()
            return Session(greeting=None, error=str(answer.get("error", "no answer")))
        return Session.from_json(answer)

    def relay_probe(
        self,
        client: str = FOREIGN_CLIENTS[0],
        *,
        auth: tuple[str, str] | None = None,
        recipients: Sequence[str] = (EXTERNAL_RCPT, LOCAL_RCPT),
    ) -> RelayProbe:
        """One transaction from CLIENT (claimed with XCLIENT unless it is 127.0.0.1)."""
        commands = ["EHLO client.example"]
        if client != LOOPBACK_CLIENT:
            # NAME=[UNAVAILABLE]: a client without reverse DNS rather than "localhost"
            commands += [f"XCLIENT NAME=[UNAVAILABLE] ADDR={client}", "EHLO client.example"]
        if auth is not None:
            user, password = auth
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
            commands.append(f"AUTH PLAIN {token}")
        commands.append(f"MAIL FROM:<{SENDER}>")
        commands += [f"RCPT TO:<{rcpt}>" for rcpt in recipients]
        commands += ["RSET", "QUIT"]
        return RelayProbe(client, auth[0] if auth else None, self.session(commands))

    def relay_oracle(
        self, trusted_clients: Sequence[str] = (PRIVATE_CLIENT, LOOPBACK_CLIENT)
    ) -> RelayOracle:
        """Probe from foreign, trusted and authenticated clients, and name the verdict.

        open: a foreign client may relay; networks: only (some of) TRUSTED_CLIENTS may;
        authenticated: only after AUTH; closed: nobody; refused: no greeting; error: a
        session broke off (the probes stop there, so a stuck smtpd costs one timeout).
        """
        plan: list[tuple[str, tuple[str, str] | None]] = [(c, None) for c in FOREIGN_CLIENTS]
        plan += [(client, None) for client in trusted_clients]
        plan += [(FOREIGN_CLIENTS[0], login) for login in list(self.sasl_users.items())[:1]]
        probes: list[RelayProbe] = []
        for client, login in plan:
            probes.append(self.relay_probe(client, auth=login))
            session = probes[-1].session
            if session.greeting is not None and not session.answered:
                return self._oracle("refused", probes)
            if session.error or session.greeting is None:
                return self._oracle("error", probes)
        auth_probes = [p for p in probes if p.auth_user is not None]

        def relays(probe: RelayProbe) -> bool:
            return probe.accepted(EXTERNAL_RCPT) is True

        if any(relays(p) for p in probes if p.client in FOREIGN_CLIENTS and not p.auth_user):
            verdict = "open"
        elif any(relays(p) for p in probes if not p.auth_user):
            verdict = "networks"
        elif any(relays(p) and p.authenticated for p in auth_probes):
            verdict = "authenticated"
        else:
            verdict = "closed"
        return self._oracle(verdict, probes)

    def _oracle(self, verdict: str, probes: list[RelayProbe]) -> RelayOracle:
        return RelayOracle(
            verdict,
            probes,
            self.log(),
            (self.config_dir / "main.cf").read_text(),
            (self.config_dir / "master.cf").read_text(),
        )


@contextlib.contextmanager
def postfix_server(
    settings: Mapping[str, str] | str = "",
    service: str | None = None,
    *,
    port: int = DEFAULT_PORT,
    sasl_users: Mapping[str, str] | None = None,
) -> Iterator[PostfixServer]:
    """``with postfix_server({...}) as server:`` — a started instance, stopped on exit."""
    with PostfixServer(settings, service, port=port, sasl_users=sasl_users) as server:
        yield server


def missing_requirements() -> str | None:
    """Why a live Postfix cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return "live Postfix tests need root (postfix start, unshare -n)"
    if not Path(POSTFIX).exists():
        return f"live Postfix tests need {POSTFIX} (Debian package postfix)"
    for tool, package in (("unshare", "util-linux"), ("ip", "iproute2")):
        if shutil.which(tool) is None:
            return f"live Postfix tests need {tool} (Debian package {package})"
    try:
        probe = subprocess.run(
            ["unshare", "-n", "true"], capture_output=True, text=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        return "unshare -n did not finish within 10s"
    if probe.returncode != 0:
        return f"live Postfix tests need a private network namespace: {probe.stderr.strip()}"
    return None


def new_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="mtalint-postfix-"))
    root.chmod(0o755)  # daemons run as postfix and must reach the SASL and log files
    return root


def run(
    argv: Sequence[str], *, timeout: float, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            argv, input=input_text, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise PostfixError(f"{' '.join(argv)} did not finish within {timeout:.0f}s") from exc


def master_pid(queue_dir: Path) -> int | None:
    """The pid in QUEUE_DIR/pid/master.pid, if that process is a live Postfix master."""
    try:
        pid = int((queue_dir / "pid" / "master.pid").read_text().split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    return pid if cmdline.split(b"\0", 1)[0].endswith(b"master") else None


def kill_master(queue_dir: Path) -> None:
    """Kill this instance's master if it outlived ``postfix stop``; it takes its children."""
    pid = master_pid(queue_dir)
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- the agent
# Everything below runs inside the private network namespace.


class ReplyReader:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def reply(
        self, timeout: float, give_up: Callable[[], str | None] | None = None
    ) -> tuple[int | None, str]:
        """One SMTP reply, all its lines joined; (None, why) when there is none.

        GIVE_UP is asked now and then while waiting; a reason from it ends the wait.
        """
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        waited_from = time.monotonic()
        while True:
            while b"\n" not in self.buffer:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None, " | ".join(["timeout", *lines])
                if give_up is not None and time.monotonic() - waited_from >= FATAL_GRACE:
                    reason = give_up()
                    if reason:
                        return None, reason
                self.sock.settimeout(min(left, 0.1))
                try:
                    chunk = self.sock.recv(65536)
                except TimeoutError:
                    continue
                except OSError as exc:
                    return None, f"connection error: {exc}"
                if not chunk:
                    return None, " | ".join(["connection closed", *lines])
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode(errors="replace")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        code = int(lines[-1][:3]) if lines[-1][:3].isdigit() else None
        return code, " | ".join(lines)


def smtpd_fatal(maillog: Path, offset: int) -> str | None:
    """The first smtpd fatal logged after OFFSET, if any."""
    try:
        with maillog.open("rb") as log:
            log.seek(offset)
            text = log.read().decode(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if "/smtpd[" in line and ": fatal: " in line:
            return "smtpd exited: " + line.split(": fatal: ", 1)[1]
    return None


def play(
    port: int, commands: Sequence[str], greeting_timeout: float, give_up: Callable[[], str | None]
) -> dict[str, object]:
    replies: list[list[object]] = []
    result: dict[str, object] = {"greeting": None, "replies": replies}
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=REPLY_TIMEOUT)
    except OSError as exc:
        result["error"] = f"connect: {exc}"
        return result
    with sock:
        reader = ReplyReader(sock)
        code, text = reader.reply(greeting_timeout, give_up)
        result["greeting"] = ["(greeting)", code, text]
        if code != 220:
            result["error"] = f"no greeting: {text}"
            return result
        for command in commands:
            try:
                sock.sendall(command.encode() + b"\r\n")
            except OSError as exc:
                result["error"] = f"send {command!r}: {exc}"
                break
            code, text = reader.reply(REPLY_TIMEOUT)
            replies.append([command, code, text])
            if code is None:
                result["error"] = f"no reply to {command!r}: {text}"
                break
            if command.upper() == "QUIT":
                break
    return result


def wait_for_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return True
        time.sleep(0.05)
    return False


def emit(message: Mapping[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def serve(root: Path, port: int) -> int:
    """Start Postfix in ROOT, answer session requests from stdin, stop at end of input."""
    config = str(root / "etc")
    maillog = root / "log" / "maillog"
    offset = maillog.stat().st_size if maillog.exists() else 0
    started = False
    try:
        lo = subprocess.run(
            ["ip", "link", "set", "lo", "up"], capture_output=True, text=True, timeout=5
        )
        if lo.returncode != 0:
            emit({"ready": False, "error": f"ip link set lo up: {lo.stderr.strip()}"})
            return 1
        started = True
        start = subprocess.run(
            [POSTFIX, "-c", config, "start"], capture_output=True, text=True, timeout=START_TIMEOUT
        )
        if start.returncode != 0:
            emit({"ready": False, "error": f"postfix start: {start.stderr}{start.stdout}"})
            return 1
        if not wait_for_port(port, PORT_TIMEOUT):
            emit({"ready": False, "error": f"nothing listens on 127.0.0.1:{port}"})
            return 1
        emit({"ready": True})
        for line in sys.stdin:
            if line.strip():
                request = json.loads(line)
                timeout = float(request["greeting_timeout"])
                emit(play(port, request["commands"], timeout, lambda: smtpd_fatal(maillog, offset)))
        return 0
    except subprocess.TimeoutExpired as exc:
        emit({"ready": False, "error": f"{' '.join(map(str, exc.cmd))} timed out"})
        return 1
    finally:
        if started:
            stop(config, root / "spool")


def stop(config: str, queue_dir: Path) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run([POSTFIX, "-c", config, "stop"], capture_output=True, timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while master_pid(queue_dir) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    kill_master(queue_dir)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        sys.exit(serve(Path(sys.argv[2]), int(sys.argv[3])))
    sys.exit(f"usage: {sys.argv[0]} serve ROOT PORT")
