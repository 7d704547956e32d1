"""mtalint diagnose on the logs a real Exim wrote while failing on loopback.

Two Exim 4.96 processes (Debian's build, unpacked at /opt/exim) run in a network
namespace of their own (``unshare -n``), each with its own spool and ``log_file_path``:

* a *receiver* daemon on 127.0.0.1:2526 with Exim's default relay refusal (``deny
  message = relay not permitted``), no STARTTLS (``tls_advertise_hosts =``), a 2 KB
  ``message_size_limit`` and a plaintext authenticator that refuses everyone;
* a *sender* (``exim -odi``: deliver at once, no daemon) routing each test domain with
  ``manualroute`` to 127.0.0.1: ``closed.example`` to a port where nothing listens,
  ``tls.example`` with ``hosts_require_tls``, ``auth.example`` with
  ``hosts_require_auth`` and wrong credentials, ``external.example`` to the refusing
  receiver, and ``nx.example`` through ``dnslookup`` (no resolver in the namespace). A
  5 KB message goes first (refused for its size); a second message to closed.example
  is not tried at all ("retry time not reached").

Both mainlogs are diagnosed: each failure must be named by its cause, and the
catalogue's Exim test lines must be what this Exim writes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.diagnose.catalogue import load_catalogue
from tests.mta.exim.oracle_bv import EXIM, exim_missing

pytestmark = [
    pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or ""),
    pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the daemons run as root in a namespace"),
    pytest.mark.live,
]

RECEIVER = """\
exim_path = {exim}
keep_environment =
primary_hostname = other.example.test
spool_directory = {dir}
log_file_path = {dir}/%slog
daemon_smtp_ports = 2526
local_interfaces = 127.0.0.1
domainlist local_domains = other.example.test
acl_smtp_rcpt = acl_check_rcpt
message_size_limit = 2K
tls_advertise_hosts =
begin acl
acl_check_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = no
"""

SENDER = """\
exim_path = {exim}
keep_environment =
primary_hostname = mx.example.test
spool_directory = {dir}
log_file_path = {dir}/%slog
begin routers
nx:
  driver = dnslookup
  domains = nx.example
  transport = open_smtp
closed:
  driver = manualroute
  domains = closed.example
  route_list = * 127.0.0.1
  transport = closed_smtp
  self = send
tls:
  driver = manualroute
  domains = tls.example
  route_list = * 127.0.0.1
  transport = tls_smtp
  self = send
auth:
  driver = manualroute
  domains = auth.example
  route_list = * 127.0.0.1
  transport = auth_smtp
  self = send
other:
  driver = manualroute
  domains = *
  route_list = * 127.0.0.1
  transport = open_smtp
  self = send
begin transports
closed_smtp:
  driver = smtp
  port = 2599
tls_smtp:
  driver = smtp
  port = 2526
  hosts_require_tls = *
auth_smtp:
  driver = smtp
  port = 2526
  hosts_require_auth = *
open_smtp:
  driver = smtp
  port = 2526
  allow_localhost
begin retry
* * F,2h,15m; G,16h,1h,1.5
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  client_send = ^user^wrong-secret
"""

SCRIPT = """\
ip link set lo up
E={exim}
# -bdf: the daemon stays in the foreground, so the kill below stops it
$E -C {dir}/rcv/exim.conf -bdf -oX 2526 &
d=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
  grep -q "daemon started" {dir}/rcv/mainlog 2>/dev/null && break
  sleep 0.3
done
send() {{ $E -C {dir}/snd/exim.conf -odi -f a@sender.example "$@"; }}
head -c 5000 /dev/zero | tr '\\0' 'x' | fold -w 70 | (printf 'Subject: big\\n\\n'; cat) \\
  | send big@other.example.test
printf 'Subject: t\\n\\nhello\\n' | send user@closed.example victim@external.example \\
  u@tls.example u@auth.example u@nx.example
printf 'Subject: t2\\n\\nhello\\n' | send second@closed.example
kill $d
wait $d
"""


@pytest.fixture(scope="module")
def exim_logs() -> tuple[str, str]:
    # Exim gives up root for deliveries: its folders must be reachable by its user,
    # which pytest's private temporary folders are not
    with tempfile.TemporaryDirectory(prefix="mtalint-diagnose-exim-", dir="/tmp") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        for name, template in (("rcv", RECEIVER), ("snd", SENDER)):
            (folder / name).mkdir()
            (folder / name).chmod(0o777)
            config = folder / name / "exim.conf"
            config.write_text(template.format(exim=EXIM, dir=folder / name))
            config.chmod(0o644)
        script = folder / "run.sh"
        script.write_text(SCRIPT.format(exim=EXIM, dir=folder))
        proc = subprocess.run(
            ["unshare", "-n", "sh", str(script)], capture_output=True, text=True, timeout=120
        )
        logs = []
        for name in ("snd", "rcv"):
            mainlog = folder / name / "mainlog"
            logs.append(mainlog.read_text(errors="replace") if mainlog.exists() else "")
        assert "relay not permitted" in logs[1], proc.stdout + proc.stderr + "\n".join(logs)
        return logs[0], logs[1]


def diagnose_json(tmp_path: Path, *texts: str) -> dict:
    names = []
    for n, text in enumerate(texts):
        path = tmp_path / f"mainlog-{n}"
        path.write_text(text)
        names.append(str(path))
    result = CliRunner().invoke(main, ["diagnose", *names, "--format", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def test_sender_log_causes(exim_logs, tmp_path):
    sender, _ = exim_logs
    doc = diagnose_json(tmp_path, sender)
    incidents = {i["cause"]: i for i in doc["incidents"]}
    assert {
        "connect-refused",
        "relay-denied",
        "tls-not-offered",
        "sasl-auth-failed",
        "message-too-big",
        "dns-not-found",
        "retry-wait",
    } <= set(incidents), f"{sorted(incidents)}\n{sender}"
    refused = incidents["connect-refused"]
    assert refused["destinations"] == {"closed.example": 1}
    # the "==" line names no host: it comes from the attempt's line just before
    assert refused["relays"] == {"127.0.0.1[127.0.0.1]": 1}, sender
    assert incidents["relay-denied"]["outcomes"] == {"bounced": 1}
    # one incident per host waited for: the second message to closed.example, and the
    # bounce to sender.example (the receiver's host failed just before)
    waits = {i["details"]["host"] for i in doc["incidents"] if i["cause"] == "retry-wait"}
    assert "closed.example" in waits, waits
    # the bounce message refused for its size too is a second message of that incident
    assert incidents["message-too-big"]["messages"] == 2
    assert "unclassified" not in incidents, incidents.get("unclassified")
    # "Completed" took the big message out of the queue
    assert doc["outcomes"]["bounced"] >= 1 and doc["outcomes"]["deferred"] >= 2


def test_receiver_log_causes(exim_logs, tmp_path):
    _, receiver = exim_logs
    doc = diagnose_json(tmp_path, receiver)
    incidents = {i["cause"]: i for i in doc["incidents"]}
    assert set(incidents) == {"relay-denied-inbound", "message-too-big", "client-auth-failed"}, (
        receiver
    )
    assert incidents["relay-denied-inbound"]["destinations"] == {"external.example": 1}
    assert incidents["relay-denied-inbound"]["relays"] == {"(mx.example.test) [127.0.0.1]": 1}


def _shape(line: str) -> str:
    """A log line without its time and message id (they differ from run to run)."""
    line = re.sub(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", "", line)
    return re.sub(r"\b[0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}\b", "ID", line)


def test_catalogue_exim_lines_are_what_exim_writes(exim_logs):
    written = {_shape(line) for log in exim_logs for line in log.splitlines()}
    cited = [
        test["line"]
        for cause in load_catalogue()
        for test in cause.tests
        if "tests/diagnose/test_exim_live.py" in test.get("source", "")
        or (test["expect"] == "no-match" and re.match(r"^\d{4}-\d\d-\d\d ", test["line"]))
    ]
    hand_written = [line for line in cited if "(110)" in line]  # cited from deliver.c
    assert len(cited) > 10
    for line in cited:
        if line not in hand_written:
            assert _shape(line) in written, line


def _line_of(config: str, block: str, option: str) -> int:
    """The line number of OPTION in the driver BLOCK ("closed:") of CONFIG."""
    lines = config.splitlines()
    start = lines.index(block)
    return next(
        n for n, line in enumerate(lines[start:], start + 1) if line.strip().startswith(option)
    )


def diagnose_joined(tmp_path: Path, log: str, config: str) -> tuple[dict, str]:
    (tmp_path / "mainlog").write_text(log)
    (tmp_path / "exim.conf").write_text(config)
    args = ["diagnose", str(tmp_path / "mainlog"), "--config", str(tmp_path / "exim.conf")]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    text = CliRunner().invoke(main, args).output
    return json.loads(result.output), text


def test_sender_incidents_name_the_exim_settings_of_their_route(exim_logs, tmp_path):
    sender, _ = exim_logs
    config = SENDER.format(exim=EXIM, dir=tmp_path)
    doc, text = diagnose_joined(tmp_path, sender, config)
    incidents = {i["cause"]: i["configuration"] for i in doc["incidents"]}

    def settings(cause: str) -> dict:
        return {(s["name"], s.get("scope")): s for s in incidents[cause]["settings"]}

    path = str(tmp_path / "exim.conf")
    # the connection refused on port 2599: the closed router's route_list and the port
    # of its transport, not the routes of the other domains
    refused = settings("connect-refused")
    assert set(refused) == {("route_list", "router closed"), ("port", "transport closed_smtp")}
    route = refused[("route_list", "router closed")]
    assert (route["path"], route["line"], route["value"]) == (
        path,
        _line_of(config, "closed:", "route_list"),
        "* 127.0.0.1",
    )
    assert route["failing"] is True
    port = refused[("port", "transport closed_smtp")]
    assert (port["line"], port["value"]) == (_line_of(config, "closed_smtp:", "port"), "2599")
    line = _line_of(config, "closed_smtp:", "port")
    assert f"setting: {path}:{line}: port (transport closed_smtp) = 2599" in text
    # TLS required but not offered: the transport's hosts_require_tls, and the rule
    # that flags it (no certificate verification either)
    tls = settings("tls-not-offered")
    require = tls[("hosts_require_tls", "transport tls_smtp")]
    assert require["line"] == _line_of(config, "tls_smtp:", "hosts_require_tls")
    assert ("EX013", require["line"]) in {
        (f["rule"], f["line"]) for f in incidents["tls-not-offered"]["findings"]
    }, incidents["tls-not-offered"]
    # AUTH refused: hosts_require_auth and the client authenticator by its driver;
    # never what it sends
    auth = settings("sasl-auth-failed")
    assert auth[("hosts_require_auth", "transport auth_smtp")]["line"] == _line_of(
        config, "auth_smtp:", "hosts_require_auth"
    )
    plain = auth[("driver", "authenticator plain")]
    assert (plain["line"], plain["value"]) == (
        config.splitlines().index("plain:") + 1,
        "plaintext",
    )
    assert "wrong-secret" not in json.dumps(doc) and "wrong-secret" not in text
    # relay refused by the receiver: the route the mail took; no authenticator (the
    # transport does not log in)
    relay = settings("relay-denied")
    assert set(relay) == {("route_list", "router other"), ("port", "transport open_smtp")}, relay


def test_receiver_relay_refusal_names_the_rcpt_acl(exim_logs, tmp_path):
    _, receiver = exim_logs
    config = RECEIVER.format(exim=EXIM, dir=tmp_path)
    doc, _text = diagnose_joined(tmp_path, receiver, config)
    (incident,) = [i for i in doc["incidents"] if i["cause"] == "relay-denied-inbound"]
    (acl,) = incident["configuration"]["settings"]
    assert (acl["name"], acl["value"], acl["line"]) == (
        "acl_smtp_rcpt",
        "acl_check_rcpt",
        config.splitlines().index("acl_smtp_rcpt = acl_check_rcpt") + 1,
    )
