"""A real sendmail daemon as the oracle for relay, STARTTLS and AUTH (tests only).

The .mc is turned into a sendmail.cf by m4 + sendmail-cf (oracle.run_m4), and
Debian's sendmail 8.17 binary, unpacked under /opt/sendmail by .ci/run (it cannot be
installed next to Postfix), runs it with ``sendmail -bD -C FILE.cf`` (-bD: the daemon stays
in the foreground, so its pid is the daemon's).

Nothing system-wide is used or left behind. The daemon runs in namespaces of its own
(``unshare --pid --fork -u -n -m``): its host name is mx.example.test (without a dot in it
sendmail waits 60 s), its network has only a loopback interface holding the daemon's address
10.0.0.25 and the client's 192.0.2.7, and /etc/hosts, /etc/nsswitch.conf and
/etc/resolv.conf are replaced by private copies that answer from files only, so no lookup
ever waits on DNS. The .cf's /etc/mail/ files are moved into the run's folder, and the
queue, pid and status files are set there with ``-O``. When the runner (pid 1 of the pid
namespace) exits, the kernel kills whatever is left in it.

The runner is this file itself (``python daemon.py --inside FOLDER``): inside the
namespaces it starts the daemon, speaks SMTP to every listener from the foreign address and
from 127.0.0.1 (EHLO, MAIL FROM, RCPT TO an outside domain, RSET, QUIT; never DATA),
stops the daemon by its pid, and prints what it saw as JSON.

sendmail relays for any client address that is one of its own interfaces (class {w}),
so the daemon is run with DontProbeInterfaces: 192.0.2.7 on its loopback is then a
stranger, as a remote client would be.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

SENDMAIL = Path(os.environ.get("SENDMAIL_ROOT", "/opt/sendmail")) / "usr/libexec/sendmail/sendmail"
MAKEMAP = SENDMAIL.with_name("makemap")
# K lines of Berkeley DB maps: type and file (the last word)
DB_MAP = re.compile(r"^K\w+\s+(hash|btree)\s.*?(\S+)$", re.MULTILINE)
HOSTNAME = "mx.example.test"
SERVER_ADDR = "10.0.0.25"
FOREIGN_ADDR = "192.0.2.7"
FOREIGN_NAME = "client.outside.example"
LOOPBACK_ADDR = "127.0.0.1"
OUTSIDE_RCPT = "victim@outside.example"
# what the daemon sees: sender <> skips the sender-domain check (which would need DNS);
# a local sender is what FEATURE(`relay_local_from') trusts, and anyone can forge it
SENDERS = ("", f"postmaster@{HOSTNAME}")
HOSTS = """\
127.0.0.1 localhost
{server} {hostname} mx
{client} {client_name}
"""
TIMEOUT = 10.0
SASL_USER = ("probe", "probe-secret")


def missing() -> str | None:
    """None when the daemon can run here, else why not."""
    from tests.mta.sendmail.oracle import available

    if os.geteuid() != 0:
        return "the sendmail daemon runs as root in namespaces of its own"
    if not SENDMAIL.is_file():
        return f"{SENDMAIL} is missing (.ci/run unpacks sendmail-bin into /opt/sendmail)"
    for tool in ("unshare", "ip", "mount"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return available()


# ---------------------------------------------------------------- results


@dataclass
class Reply:
    code: int
    lines: list[str]

    @property
    def text(self) -> str:
        return " / ".join(self.lines)


@dataclass
class Session:
    """One SMTP conversation with one listener from one client address."""

    client: str
    sender: str
    login: str = ""  # the SASL user this session logged in as (AUTH PLAIN), if any
    error: str = ""
    tls: bool = False  # the connection was TLS from the start (M=s)
    banner: Reply | None = None
    ehlo: Reply | None = None
    auth: Reply | None = None
    mail: Reply | None = None
    rcpt: Reply | None = None

    @property
    def keywords(self) -> dict[str, str]:
        """EHLO keywords (upper case) → their parameters."""
        found: dict[str, str] = {}
        for line in (self.ehlo.lines if self.ehlo else [])[1:]:
            word, _, rest = line.partition(" ")
            found[word.upper()] = rest
        return found

    @property
    def authenticated(self) -> bool:
        return bool(self.auth and self.auth.code == 235)

    @property
    def relayed(self) -> bool:
        return bool(self.rcpt and self.rcpt.code // 100 == 2)

    def describe(self) -> str:
        parts = [f"{self.client}{' AUTH ' + self.login if self.login else ''}"]
        parts[0] += f" MAIL FROM:<{self.sender}>"
        if self.error:
            parts.append(f"error: {self.error}")
        for name in ("banner", "auth", "mail", "rcpt"):
            reply = getattr(self, name)
            if reply is not None:
                parts.append(f"{name}: {reply.text}")
        return "; ".join(parts)


@dataclass
class Port:
    port: int
    address: str
    implicit_tls: bool
    sessions: list[Session] = field(default_factory=list)

    def from_client(self, client: str) -> list[Session]:
        return [s for s in self.sessions if s.client == client]

    def first(self) -> Session | None:
        return next((s for s in self.sessions if s.ehlo is not None), None)

    @property
    def starttls(self) -> bool:
        first = self.first()
        return first is not None and "STARTTLS" in first.keywords

    @property
    def auth_mechanisms(self) -> list[str] | None:
        """The mechanisms AUTH advertises, None when there is no AUTH."""
        first = self.first()
        if first is None or "AUTH" not in first.keywords:
            return None
        return first.keywords["AUTH"].upper().split()

    def relays_for(self, client: str) -> bool:
        """A client that has not logged in got an outside recipient accepted."""
        return any(s.relayed for s in self.from_client(client) if not s.login)

    def relays_after_login(self) -> bool | None:
        """None when no session logged in."""
        logged = [s for s in self.sessions if s.authenticated]
        return any(s.relayed for s in logged) if logged else None

    def describe(self) -> str:
        head = f"port {self.port} ({self.address}{', TLS' if self.implicit_tls else ''})"
        first = self.first()
        if first is not None and first.ehlo is not None:
            head += f" EHLO: {', '.join(first.ehlo.lines[1:])}"
        return "\n  ".join([head, *(s.describe() for s in self.sessions)])


@dataclass
class Report:
    ports: list[Port]
    stderr: str = ""

    def port(self, number: int) -> Port:
        return next(p for p in self.ports if p.port == number)

    def describe(self) -> str:
        return "\n".join([*(p.describe() for p in self.ports), self.stderr[-1500:]])


# ---------------------------------------------------------------- outside: build and run


def build_cf(mc: Path, folder: Path) -> str:
    """The .cf m4 + cf.m4 build from the .mc, with /etc/mail/ moved into folder (and
    written there as sendmail.cf)."""
    from tests.mta.sendmail.oracle import run_m4

    built = run_m4(mc)
    if built.returncode != 0:
        raise RuntimeError(f"m4 failed ({built.returncode}): {built.stderr[:500]}")
    etc = folder / "etc-mail"
    etc.mkdir(exist_ok=True)
    (etc / "local-host-names").write_text("")
    cf = built.cf.replace("/etc/mail/", f"{etc}/")
    (folder / "sendmail.cf").write_text(cf)
    for match in DB_MAP.finditer(cf):
        kind, path = match.group(1), Path(match.group(2))
        if path.is_relative_to(etc) and not path.with_suffix(".db").exists():
            # a deployment builds its maps (access.db, ...) with makemap: an empty one
            # here, so that the map opens and lists nobody
            subprocess.run(
                [str(MAKEMAP), "-C", str(folder / "sendmail.cf"), "-s", kind, str(path)],
                input=b"",
                check=True,
                capture_output=True,
            )
    return cf


def listeners(cf: str) -> list[tuple[int, str, bool]]:
    """(port, address, implicit TLS) of each TCP DaemonPortOptions line of the .cf."""
    from tests.mta.sendmail.oracle import cf_options

    found = []
    for text in cf_options(cf).get("DaemonPortOptions", []) or [None]:  # type: ignore[union-attr]
        # daemon.c knows a key by its first letter, A F M P in either case
        fields: dict[str, str] = {}
        for part in (text or "").split(","):
            key, eq, value = part.strip().partition("=")
            if eq and key.strip()[:1].upper() in ("A", "F", "M", "P"):
                fields[key.strip()[:1].upper()] = value.strip()
        if fields.get("F", "inet").lower() in ("local", "unix"):
            continue
        port_text = fields.get("P", "smtp") or "smtp"
        port = int(port_text) if port_text.isdigit() else socket.getservbyname(port_text, "tcp")
        address = fields.get("A", "") or SERVER_ADDR
        if address in ("0.0.0.0", "::", "INADDR_ANY"):
            address = SERVER_ADDR
        found.append((port, address, "s" in fields.get("M", "")))
    return found


def run(
    mc: Path,
    folder: Path,
    extra_options: tuple[str, ...] = (),
    sasl_users: bool = False,
    client_name: str = FOREIGN_NAME,
) -> Report:
    """Build the .cf of mc in folder, run the daemon on it, probe every listener.

    Cyrus SASL sees a private Sendmail.conf whose password database is in folder: empty
    unless sasl_users, then it holds SASL_USER (so AUTH has someone to log in).
    client_name is what the foreign address resolves to (and back) in the daemon's
    /etc/hosts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    _sasl(folder, sasl_users)
    cf = build_cf(mc, folder)
    plan = {
        "listeners": listeners(cf),
        "options": list(extra_options),
        "login": sasl_users,
        "client_name": client_name,
    }
    (folder / "plan.json").write_text(json.dumps(plan))
    argv = [
        "unshare",
        "--pid",
        "--fork",
        "--kill-child",
        "-u",
        "-n",
        "-m",
        "--propagation",
        "private",
        sys.executable,
        str(Path(__file__).resolve()),
        "--inside",
        str(folder),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"runner failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(done.stdout)
    ports = []
    for item in data["ports"]:
        sessions = [
            Session(
                **{
                    **s,
                    **{
                        k: Reply(**s[k]) if s[k] else None
                        for k in ("banner", "ehlo", "auth", "mail", "rcpt")
                    },
                }
            )
            for s in item.pop("sessions")
        ]
        ports.append(Port(**item, sessions=sessions))
    return Report(ports, data["stderr"])


def listening(mc: Path, folder: Path) -> list[tuple[str, int]]:
    """(address, port) of each TCP socket the daemon listens on for mc's .cf, as the
    kernel reports them (``ss -ltn`` in the daemon's network namespace)."""
    folder.mkdir(parents=True, exist_ok=True)
    _sasl(folder, False)
    build_cf(mc, folder)
    argv = ["unshare", "--pid", "--fork", "--kill-child", "-u", "-n", "-m"]
    argv += ["--propagation", "private", sys.executable, str(Path(__file__).resolve())]
    argv += ["--listening", str(folder)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"runner failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return [(address, port) for address, port in json.loads(done.stdout)]


def _sockets() -> list[tuple[str, int]]:
    shown = subprocess.run(["ss", "-Hltn"], capture_output=True, text=True, check=True)
    found = []
    for line in shown.stdout.splitlines():
        address, _, port = line.split()[3].rpartition(":")  # State Recv-Q Send-Q Local Peer
        found.append((address.strip("[]"), int(port)))
    return found


def listening_inside(folder: Path) -> None:
    _network()
    _private_etc(folder, FOREIGN_NAME)
    log = (folder / "daemon.log").open("w")
    daemon = subprocess.Popen(_daemon_argv(folder, []), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and not _sockets():
            time.sleep(0.1)
        time.sleep(0.5)  # the daemon opens all its sockets together: let the last one come
        sockets = _sockets()
    finally:
        stop_daemon(daemon, log)
    print(json.dumps(sorted(sockets)))


def _sasl(folder: Path, users: bool) -> None:
    conf = folder / "sasl2"
    conf.mkdir(exist_ok=True)
    sasldb = folder / "sasldb2"
    (conf / "Sendmail.conf").write_text(
        f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: {sasldb}\n"
    )
    if users:
        user, password = SASL_USER
        subprocess.run(
            ["saslpasswd2", "-f", str(sasldb), "-p", "-c", "-u", HOSTNAME, user],
            input=password,
            text=True,
            check=True,
            capture_output=True,
        )


# ---------------------------------------------------------------- inside the namespaces


def _sh(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def _private_etc(folder: Path, client_name: str) -> None:
    """Files-only name service: no lookup can wait on a resolver."""
    hosts = HOSTS.format(
        server=SERVER_ADDR, hostname=HOSTNAME, client=FOREIGN_ADDR, client_name=client_name
    )
    for name, text in (
        ("hosts", hosts),
        ("nsswitch.conf", "hosts: files\n"),
        ("resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"),
    ):
        private = folder / name
        private.write_text(text)
        _sh("mount", "--bind", str(private), f"/etc/{name}")
    (folder / "service.switch").write_text("hosts files\naliases files\n")
    # Cyrus SASL reads <app>.conf from /etc/sasl2:/etc/sasl:.../usr/lib/sasl2 (sendmail
    # clears the environment, so SASL_CONF_PATH cannot point elsewhere)
    for system in ("/etc/sasl2", "/etc/sasl", "/usr/lib/sasl2"):
        if Path(system).is_dir():
            _sh("mount", "--bind", str(folder / "sasl2"), system)


def _network() -> None:
    _sh("hostname", HOSTNAME)
    _sh("ip", "link", "set", "lo", "up")
    for address in (SERVER_ADDR, FOREIGN_ADDR):
        _sh("ip", "addr", "add", f"{address}/32", "dev", "lo")


def _daemon_argv(folder: Path, extra: list[str]) -> list[str]:
    queue = folder / "queue"
    queue.mkdir(mode=0o700, exist_ok=True)
    options = {
        "QueueDirectory": str(queue),
        "PidFile": str(folder / "sendmail.pid"),
        "StatusFile": str(folder / "statistics"),
        "AliasFile": str(folder / "aliases"),
        "HelpFile": str(folder / "helpfile"),
        "ServiceSwitchFile": str(folder / "service.switch"),
        "DontProbeInterfaces": "true",
        # the run folder is under /tmp (sticky, world-writable)
        "DontBlameSendmail": "TrustStickyBit",
        "Timeout.ident": "0",
        "Timeout.resolver.retrans": "1s",
        "Timeout.resolver.retry": "1",
    }
    (folder / "aliases").write_text("")
    argv = [str(SENDMAIL), "-bD", "-C", str(folder / "sendmail.cf")]
    for name, value in options.items():
        argv += ["-O", f"{name}={value}"]
    for option in extra:
        argv += ["-O", option]
    return argv


class _Smtp:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.file = sock.makefile("rb")

    def read(self) -> Reply:
        lines: list[str] = []
        while True:
            raw = self.file.readline(4096)
            if not raw:
                raise ConnectionError("connection closed")
            line = raw.decode("latin-1").rstrip("\r\n")
            lines.append(line[4:])
            if line[3:4] != "-":
                return Reply(int(line[:3]), lines)

    def command(self, text: str) -> Reply:
        self.sock.sendall(text.encode("ascii") + b"\r\n")
        return self.read()


def _session(
    port: int, address: str, implicit: bool, client: str, sender: str, login: bool = False
) -> Session:
    session = Session(client=client, sender=sender, tls=implicit)
    try:
        sock = socket.create_connection(
            (address, port), timeout=TIMEOUT, source_address=(client, 0)
        )
        if implicit:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock)
        with sock:
            smtp = _Smtp(sock)
            session.banner = smtp.read()
            session.ehlo = smtp.command("EHLO probe.outside.example")
            if login:
                user, password = SASL_USER
                token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
                session.login = user
                session.auth = smtp.command(f"AUTH PLAIN {token}")
            session.mail = smtp.command(f"MAIL FROM:<{sender}>")
            if session.mail.code // 100 == 2:
                session.rcpt = smtp.command(f"RCPT TO:<{OUTSIDE_RCPT}>")
            smtp.command("RSET")
            smtp.command("QUIT")
    except (OSError, ConnectionError, ValueError) as exc:
        session.error = f"{type(exc).__name__}: {exc}"
    return session


def stop_daemon(daemon: subprocess.Popen[bytes], log: IO[str]) -> None:
    """Stop a daemon started here (TERM, then KILL after 5 s) and close its log."""
    daemon.terminate()
    try:
        daemon.wait(5)
    except subprocess.TimeoutExpired:
        daemon.kill()
        daemon.wait()
    log.close()


def _wait_listening(address: str, port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            socket.create_connection((address, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)


def inside(folder: Path) -> None:
    plan = json.loads((folder / "plan.json").read_text())
    _network()
    _private_etc(folder, plan["client_name"])
    log = (folder / "daemon.log").open("w")
    daemon = subprocess.Popen(
        _daemon_argv(folder, plan["options"]), stdout=log, stderr=subprocess.STDOUT
    )
    ports = []
    try:
        deadline = time.monotonic() + TIMEOUT
        for port, address, implicit in plan["listeners"]:
            _wait_listening(address, port, deadline)
        for port, address, implicit in plan["listeners"]:
            sessions = [_session(port, address, implicit, FOREIGN_ADDR, s) for s in SENDERS]
            sessions.append(_session(port, address, implicit, LOOPBACK_ADDR, SENDERS[0]))
            if plan["login"]:
                sessions.append(_session(port, address, implicit, FOREIGN_ADDR, "", login=True))
            ports.append(
                {
                    "port": port,
                    "address": address,
                    "implicit_tls": implicit,
                    "sessions": [asdict(s) for s in sessions],
                }
            )
    finally:
        stop_daemon(daemon, log)
    stderr = (folder / "daemon.log").read_text(errors="replace")
    print(json.dumps({"ports": ports, "stderr": stderr}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--inside":
        inside(Path(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "--listening":
        listening_inside(Path(sys.argv[2]))
    else:
        sys.exit("usage: daemon.py --inside|--listening FOLDER (run by daemon.run, listening)")
