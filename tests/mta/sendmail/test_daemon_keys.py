"""Which address and port a DAEMON_OPTIONS line makes sendmail listen on, against the
real daemon (daemon.py: Debian's sendmail 8.17 in namespaces of its own, ``ss -ltn``).

sendmail's daemon.c reads each DaemonPortOptions key by its first letter, and (built
without _FFR_DPO_CS) takes the lower-case letter of Addr, Family, Port, Name, Modifier
too. OpenBSD's LOCALHOST_ONLY writes ``address=127.0.0.1``: that daemon listens on
loopback only, and mtalint's posture must say so (a listener taken for "every address"
would be judged as public).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.discover import discover
from linter.mta import Options
from linter.mta.sendmail import analyse
from linter.mta.sendmail.model import daemon_fields
from tests.mta.sendmail.daemon import listening, missing, run

HEAD = "divert(0)dnl\nOSTYPE(`linux')dnl\nDOMAIN(`generic')dnl\nFEATURE(`no_default_msa')dnl\n"
TAIL = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n"
DAEMONS = {
    # OpenBSD's LOCALHOST_ONLY
    "address= in lower case": "Family=inet, address=127.0.0.1, Name=MTA",
    "every key in lower case": "family=inet, address=127.0.0.1, port=2526, name=MTA",
    "Addr= as op.me writes it": "Family=inet, Addr=127.0.0.1, Port=2527, Name=MTA",
}


def _posture_listeners(mc: Path) -> list[tuple[str, int | None, str]]:
    config_set = discover([mc])[0][0]
    posture = analyse(config_set, Options()).facts.get("posture")
    return [(li["address"], li["port"], li["exposure"]) for li in posture["listeners"]]


def test_lower_case_keys_are_read_as_sendmail_reads_them():
    assert daemon_fields("Family=inet, address=127.0.0.1, Name=MTA") == {
        "Family": "inet",
        "Addr": "127.0.0.1",
        "Name": "MTA",
    }
    assert daemon_fields("port=587, m=Ea, name=MSA") == {
        "Port": "587",
        "Modifier": "Ea",
        "Name": "MSA",
    }
    # c, d, q and r are keys of their own, not children/Addr in another case
    assert daemon_fields("c=10, d=8, q=12, r=20") == {
        "children": "10",
        "delayLA": "8",
        "queueLA": "12",
        "refuseLA": "20",
    }


@pytest.mark.live
@pytest.mark.skipif(missing() is not None, reason=missing() or "")
@pytest.mark.parametrize("name", list(DAEMONS))
def test_posture_listens_where_the_daemon_listens(name: str, tmp_path: Path):
    mc = tmp_path / "sendmail.mc"
    mc.write_text(HEAD + f"DAEMON_OPTIONS(`{DAEMONS[name]}')dnl\n" + TAIL)
    sockets = listening(mc, tmp_path / "run")
    assert len(sockets) == 1, sockets
    address, port = sockets[0]
    assert address == "127.0.0.1", f"{name}: the daemon listens on {sockets}"
    assert _posture_listeners(mc) == [(address, port, "loopback")]


@pytest.mark.live
@pytest.mark.skipif(missing() is not None, reason=missing() or "")
def test_lower_case_modifier_key_is_the_daemon_s_modifier(tmp_path: Path):
    # m=a: the daemon demands AUTH before MAIL ("530 5.7.0 Authentication required")
    mc = tmp_path / "sendmail.mc"
    mc.write_text(HEAD + "DAEMON_OPTIONS(`port=2528, name=MSA, m=a')dnl\n" + TAIL)
    report = run(mc, tmp_path / "run")
    first = report.port(2528).first()
    assert first is not None and first.mail is not None, report.describe()
    assert first.mail.code == 530, report.describe()
    config_set = discover([mc])[0][0]
    posture = analyse(config_set, Options()).facts.get("posture")
    assert [(li["port"], li["auth"]) for li in posture["listeners"]] == [(2528, "required")]
