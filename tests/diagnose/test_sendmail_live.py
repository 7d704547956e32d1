"""mtalint diagnose on the log a real sendmail wrote while failing on loopback.

Debian's sendmail 8.17 (unpacked at /opt/sendmail, tests/mta/sendmail/daemon.py) runs in
namespaces of its own (``unshare --pid --fork -u -n -m``), with .cf files built by m4 +
cf.m4 from the .mc files below. sendmail logs only through syslog(3), so /dev/log is a
datagram socket of this test (on a private /dev) that writes each message down as
rsyslog's classic format does: ``Dec  5 17:19:31 mx sendmail[76]: ...`` (the host name
is the one field syslog adds; the message is sendmail's, unchanged).

* two receiving daemons on 10.0.0.25: ``rcv`` (port 2526, named other.example.test,
  relays for nobody: the client 192.0.2.7 is a stranger, and takes at most 4000
  bytes) and ``self`` (port 2527, with the sender's own host name);
* senders (``sendmail -odi``, from 192.0.2.7) with ``SMART_HOST`` relay:[10.0.0.25]
  on port 2599 (nothing listens), 2526 (relay refused; a 5 KB message too big) and
  2527 (the mail loops back to this host), and one without a smart host whose
  recipient's domain does not resolve.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.diagnose.catalogue import load_catalogue
from tests.mta.sendmail.daemon import MAKEMAP, SENDMAIL, missing

_missing = missing() or (None if shutil.which("m4") else "needs m4")
pytestmark = [pytest.mark.live, pytest.mark.skipif(_missing is not None, reason=_missing or "")]

CF_M4 = "/usr/share/sendmail/cf/m4/cf.m4"
HEAD = f"divert(-1)\ninclude(`{CF_M4}')\ndivert(0)dnl\nOSTYPE(`linux')dnl\n"
CLIENT = (
    HEAD
    + "{smart}"
    + "CLIENT_OPTIONS(`Family=inet, Addr=192.0.2.7')dnl\n"
    + "define(`confDONT_PROBE_INTERFACES', `true')dnl\nMAILER(`smtp')dnl\n"
)
SMART = (
    "define(`SMART_HOST', `relay:[10.0.0.25]')dnl\n"
    "define(`RELAY_MAILER_ARGS', `TCP $h {port}')dnl\n"
)
SERVER = (
    HEAD
    + "{name}"
    + "FEATURE(`accept_unresolvable_domains')dnl\nFEATURE(`no_default_msa')dnl\n"
    + "DAEMON_OPTIONS(`Port={port}, Addr=10.0.0.25, Name=MTA')dnl\n"
    + "define(`confMAX_MESSAGE_SIZE', `4000')dnl\n"
    + "define(`confDONT_PROBE_INTERFACES', `true')dnl\nMAILER(`smtp')dnl\n"
)
MC = {
    "closed": CLIENT.format(smart=SMART.format(port=2599)),
    "relay": CLIENT.format(smart=SMART.format(port=2526)),
    "loop": CLIENT.format(smart=SMART.format(port=2527)),
    # TLS required towards the smart host (an access map entry), which offers none
    "tls": CLIENT.format(
        smart=SMART.format(port=2526) + "FEATURE(`access_db', `hash -o @DIR@/access')dnl\n"
    ),
    "direct": CLIENT.format(smart=""),
    "rcv": SERVER.format(name="define(`confDOMAIN_NAME', `other.example.test')dnl\n", port=2526),
    "self": SERVER.format(name="", port=2527),
}

SYSLOGD = """\
import os, socket, sys, time
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[2], "w").close()
with open(sys.argv[1], "w") as out:
    while True:
        data = sock.recv(65536).decode("utf-8", "replace").rstrip("\\n")
        # "<PRI>Mmm dd hh:mm:ss tag[pid]: msg" -> "Mmm dd hh:mm:ss mx tag[pid]: msg"
        body = data.split(">", 1)[1] if data.startswith("<") else data
        out.write(body[:15] + " mx" + body[15:] + "\\n")
        out.flush()
"""

SCRIPT = """\
set -e
D={dir}
hostname mx.example.test
ip link set lo up
ip addr add 10.0.0.25/32 dev lo
ip addr add 192.0.2.7/32 dev lo
# a private /dev (this mount namespace only) to hold the /dev/log socket
mkdir $D/olddev
mount --bind /dev $D/olddev
mount -t tmpfs tmpfs /dev
for n in null zero random urandom; do touch /dev/$n; mount --bind $D/olddev/$n /dev/$n; done
printf '127.0.0.1 localhost\\n10.0.0.25 other.example.test\\n' > $D/hosts
printf '192.0.2.7 client.outside.example\\n' >> $D/hosts
mount --bind $D/hosts /etc/hosts
printf 'hosts: files\\n' > $D/nsswitch.conf
mount --bind $D/nsswitch.conf /etc/nsswitch.conf
printf 'nameserver 127.0.0.1\\noptions timeout:1 attempts:1\\n' > $D/resolv.conf
mount --bind $D/resolv.conf /etc/resolv.conf
printf 'hosts files\\naliases files\\n' > $D/service.switch
: > $D/aliases
{python} $D/syslogd.py $D/maillog $D/syslog.ready &
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e $D/syslog.ready ] && break; sleep 0.2; done
SM={sendmail}
opts() {{
  q=$D/q-$1; mkdir -p $q; chmod 700 $q
  echo "-C $D/$1.cf -O QueueDirectory=$q -O PidFile=$D/$1.pid -O StatusFile=$D/st" \\
       "-O AliasFile=$D/aliases -O ServiceSwitchFile=$D/service.switch" \\
       "-O DontBlameSendmail=TrustStickyBit -O Timeout.ident=0" \\
       "-O Timeout.resolver.retrans=1s -O Timeout.resolver.retry=1"
}}
printf 'TLS_Srv:10.0.0.25\\tENCR:112\\n' | {makemap} -C $D/tls.cf hash $D/access
$SM -bD $(opts rcv) &
r1=$!
$SM -bD $(opts self) &
r2=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
  grep -c "starting daemon" $D/maillog 2>/dev/null | grep -q 2 && break; sleep 0.3
done
send() {{ cf=$1; shift; $SM $(opts $cf) -odi -f a@sender.example "$@" || true; }}
printf 'Subject: t\\n\\nhello\\n' | send closed user@closed.example
printf 'Subject: t\\n\\nhello\\n' | send relay victim@external.example
head -c 5000 /dev/zero | tr '\\0' 'x' | fold -w 70 | (printf 'Subject: big\\n\\n'; cat) \\
  | send relay big@external.example
printf 'Subject: t\\n\\nhello\\n' | send loop u@loop.example
printf 'Subject: t\\n\\nhello\\n' | send tls u@tls.example
printf 'Subject: t\\n\\nhello\\n' | send direct u@nx.example
sleep 0.5
kill $r1 $r2
wait $r1 $r2 || true
"""


@pytest.fixture(scope="module")
def sendmail_log() -> str:
    import sys

    with tempfile.TemporaryDirectory(prefix="mtalint-diagnose-sendmail-", dir="/tmp") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        for name, mc in MC.items():
            mc = mc.replace("@DIR@", str(folder))
            built = subprocess.run(["m4"], input=mc, capture_output=True, text=True, check=False)
            assert built.returncode == 0, built.stderr
            (folder / f"{name}.cf").write_text(built.stdout)
        (folder / "syslogd.py").write_text(SYSLOGD)
        script = folder / "run.sh"
        script.write_text(
            SCRIPT.format(dir=folder, python=sys.executable, sendmail=SENDMAIL, makemap=MAKEMAP)
        )
        proc = subprocess.run(
            [
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "-u",
                "-n",
                "-m",
                "--propagation",
                "private",
                "sh",
                str(script),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        log = folder / "maillog"
        text = log.read_text(errors="replace") if log.exists() else ""
        assert "Relaying denied" in text, proc.stdout + proc.stderr + text
        return text


def diagnose_json(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "maillog"
    path.write_text(text)
    result = CliRunner().invoke(main, ["diagnose", str(path), "--format", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def test_sendmail_log_causes(sendmail_log, tmp_path):
    doc = diagnose_json(tmp_path, sendmail_log)
    incidents = {i["cause"]: i for i in doc["incidents"]}
    assert {
        "connect-refused",
        "relay-denied",
        "relay-denied-inbound",
        "message-too-big",
        "mail-loop",
        "dns-not-found",
    } <= set(incidents), f"{sorted(incidents)}\n{sendmail_log}"
    refused = incidents["connect-refused"]
    assert refused["destinations"] == {"closed.example": 1}
    assert refused["relays"] == {"[10.0.0.25]": 1}
    assert refused["outcomes"] == {"deferred": 1}
    assert incidents["relay-denied"]["destinations"]["external.example"] == 1
    inbound = incidents["relay-denied-inbound"]
    assert inbound["destinations"]["external.example"] == 1
    assert "client.outside.example [192.0.2.7]" in inbound["relays"]
    assert incidents["dns-not-found"]["details"]["host"] == "nx.example"
    # syserr() lines are faults of this host, not message outcomes
    assert set(doc["outcomes"]) <= {"sent", "deferred", "bounced"}, doc["outcomes"]


def _shape(line: str) -> str:
    """A log line without its time, pid, queue ids and the message's own sizes."""
    line = re.sub(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d mx sendmail\[\d+\]: ", "", line)
    line = re.sub(r"\b[0-9A-Za-z]{14}\b", "QID", line)
    line = re.sub(r"\b(x?delay)=[\d:+]+", r"\1=T", line)
    return re.sub(r"\bpri=\d+", "pri=N", line)


def test_catalogue_sendmail_lines_are_what_sendmail_writes(sendmail_log):
    written = {_shape(line) for line in sendmail_log.splitlines()}
    cited = [
        test["line"]
        for cause in load_catalogue()
        for test in cause.tests
        if "tests/diagnose/test_sendmail_live.py" in test.get("source", "")
    ]
    assert len(cited) >= 5
    for line in cited:
        assert _shape(line) in written, line


def diagnose_joined(tmp_path: Path, log: str, mc: str) -> tuple[dict, str]:
    (tmp_path / "maillog").write_text(log)
    (tmp_path / "sendmail.mc").write_text(mc)
    args = ["diagnose", str(tmp_path / "maillog"), "--config", str(tmp_path / "sendmail.mc")]
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    return json.loads(result.output), CliRunner().invoke(main, args).output


def _line(mc: str, start: str) -> int:
    return next(n for n, line in enumerate(mc.splitlines(), 1) if line.startswith(start))


def test_refused_smart_host_names_its_define_and_port(sendmail_log, tmp_path):
    mc = MC["closed"]
    doc, text = diagnose_joined(tmp_path, sendmail_log, mc)
    incidents = {i["cause"]: i["configuration"] for i in doc["incidents"]}
    settings = {s["name"]: s for s in incidents["connect-refused"]["settings"]}
    assert set(settings) == {"SMART_HOST", "RELAY_MAILER_ARGS"}, settings
    smart, args = settings["SMART_HOST"], settings["RELAY_MAILER_ARGS"]
    path = str(tmp_path / "sendmail.mc")
    assert (smart["path"], smart["line"], smart["value"]) == (
        path,
        _line(mc, "define(`SMART_HOST'"),
        "relay:[10.0.0.25]",
    )
    assert (args["line"], args["value"]) == (_line(mc, "define(`RELAY_MAILER_ARGS'"), "TCP $h 2599")
    assert smart["failing"] is True and args["failing"] is True
    line = _line(mc, "define(`SMART_HOST'")
    assert f"setting: {path}:{line}: SMART_HOST = relay:[10.0.0.25]" in text
    # the relay refusal came through the smart host too
    assert {s["name"] for s in incidents["relay-denied"]["settings"]} >= {"SMART_HOST"}


def test_without_smart_host_a_refused_connection_names_no_smart_host(sendmail_log, tmp_path):
    doc, _text = diagnose_joined(tmp_path, sendmail_log, MC["direct"])
    (refused,) = [i for i in doc["incidents"] if i["cause"] == "connect-refused"]
    assert refused["configuration"]["settings"] == []


def test_tls_required_by_the_access_map_names_it(sendmail_log, tmp_path):
    # TLS_Srv:10.0.0.25 ENCR:112 in the access map; the smart host offers no STARTTLS
    mc = MC["tls"].replace("@DIR@", str(tmp_path))
    doc, text = diagnose_joined(tmp_path, sendmail_log, mc)
    (incident,) = [i for i in doc["incidents"] if i["cause"] == "tls-not-offered"]
    assert incident["destinations"] == {"tls.example": 1}
    settings = {s["name"]: s for s in incident["configuration"]["settings"]}
    access = settings["FEATURE(access_db)"]
    assert access["line"] == _line(mc, "FEATURE(`access_db'")
    assert access["value"] == f"FEATURE(`access_db', `hash -o {tmp_path}/access')"
    assert settings["SMART_HOST"]["failing"] is True


def test_relay_refused_to_a_client_names_the_default_relay_list(sendmail_log, tmp_path):
    # the receiver's .mc says nothing of relaying: its relay-domains file decides
    doc, text = diagnose_joined(tmp_path, sendmail_log, MC["rcv"])
    (incident,) = [i for i in doc["incidents"] if i["cause"] == "relay-denied-inbound"]
    assert incident["configuration"]["settings"] == [
        {"name": "confCR_FILE", "value": None, "origin": "default"}
    ]
    assert "setting: confCR_FILE (not set: the default applies)" in text
