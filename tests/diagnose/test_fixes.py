"""An incident shows the fix for the MTA its log came from (or whose configuration was
joined with --config), in every output format; a bounce, which does not say which MTA
sent the message, shows every MTA's fix, each named."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from linter.diagnose.catalogue import load_catalogue
from tests.diagnose.test_diagnose import FIXTURES, MAIN_CF, TIMEOUT, hmail, run

FIX = {c.id: c.fix for c in load_catalogue()}

EXIM_TIMEOUT = (
    "2026-12-05 10:00:01 1xZtMx-0006c0-2d == user@example.com R=smarthost T=remote_smtp "
    "defer (110): Connection timed out\n"
)
SENDMAIL_REFUSED = (
    "Dec  5 17:20:25 mx sendmail[40]: 6B5HKOxs000040: to=user@closed.example, "
    "ctladdr=a@sender.example (0/0), delay=00:00:01, xdelay=00:00:00, mailer=relay, "
    "pri=30018, relay=[10.0.0.25] [10.0.0.25], dsn=4.4.1, "
    "stat=Deferred: Connection refused by [10.0.0.25]\n"
)
HMAIL_RELAY = hmail("SMTPC", 15, "203.0.113.5", "SENT: RCPT TO:<victim@external.example>") + hmail(
    "SMTPC", 15, "203.0.113.5", "RECEIVED: 550 5.7.1 Relaying denied", 1
)
POSTFIX_TIMEOUT = f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}\n"
CASES = [
    ("postfix", "mail.log", POSTFIX_TIMEOUT, "connect-timeout"),
    ("exim", "mainlog", EXIM_TIMEOUT, "connect-timeout"),
    ("sendmail", "maillog", SENDMAIL_REFUSED, "connect-refused"),
    ("hmailserver", "hmailserver_2026-12-05.log", HMAIL_RELAY, "relay-denied"),
]


def _fragment(text: str, others: list[str]) -> str:
    """The longest piece of a fix that no output format escapes and no other MTA's fix
    holds."""
    runs = sorted(re.findall(r"[A-Za-z0-9 ,]{12,}", text), key=len, reverse=True)
    return next(r.strip() for r in runs if not any(r.strip() in o for o in others))


@pytest.mark.parametrize(("mta", "name", "log", "cause"), CASES, ids=[c[0] for c in CASES])
def test_fix_shown_is_the_logs_mtas(tmp_path, mta, name, log, cause):
    path = tmp_path / name
    path.write_text(log)
    own = FIX[cause][mta]
    others = {m: t for m, t in FIX[cause].items() if m != mta}
    assert len(others) == 3  # every MTA has its own text for this cause

    code, out = run("diagnose", str(path), "--format", "json")
    assert code == 1, out
    (incident,) = json.loads(out)["incidents"]
    assert (incident["cause"], incident["mtas"], incident["fix"]) == (cause, [mta], {mta: own})

    code, text = run("diagnose", str(path))
    fixes = [line.strip() for line in text.splitlines() if line.strip().startswith("fix")]
    assert fixes == [f"fix ({mta}): {own}"], text

    for fmt in ("md", "html"):
        code, page = run("diagnose", str(path), "--format", fmt)
        assert _fragment(own, list(others.values())) in page, (fmt, page)
        for other_mta, other in others.items():
            rest = [t for m, t in FIX[cause].items() if m != other_mta]
            assert _fragment(other, rest) not in page, (fmt, other_mta)


def test_bounce_shows_every_mtas_fix_and_the_joined_configurations_alone(tmp_path):
    bounce = str(FIXTURES / "bounce-relay-denied.eml")
    code, out = run("diagnose", bounce, "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    assert incident["mtas"] == ["bounce"]
    assert incident["fix"] == FIX["relay-denied"]  # all four, named
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(MAIN_CF)
    code, out = run("diagnose", bounce, "--config", str(config), "--format", "json")
    (incident,) = json.loads(out)["incidents"]
    assert incident["configuration"]["mta"] == "postfix"
    assert incident["fix"] == {"postfix": FIX["relay-denied"]["postfix"]}


def test_a_fix_for_any_mta_is_shown_once_unnamed(tmp_path):
    from linter.diagnose.catalogue import load_catalogue as causes

    ptr = next(c for c in causes() if c.id == "ptr-rejection")
    assert set(ptr.fix) == {"any"}
    assert ptr.fixes_for({"exim", "postfix"}) == {"any": ptr.fix["any"]}
    assert ptr.fixes_for(set()) == {"any": ptr.fix["any"]}


def test_catalogue_refuses_a_fix_for_an_mta_it_does_not_know(tmp_path):
    from linter.diagnose.catalogue import CatalogueError, load_entry

    entry = tmp_path / "x.yaml"
    entry.write_text(
        "id: x\ntitle: t\nmeaning: m\nmatch: ['x']\ntests: []\nfix:\n  qmail: do something\n"
    )
    with pytest.raises(CatalogueError, match="qmail"):
        load_entry(entry)


# --- the fixes' settings as the MTAs read them ---------------------------------------

EXIM = Path("/opt/exim/usr/sbin/exim4")
CF_M4 = Path("/usr/share/sendmail/cf/m4/cf.m4")


def _all_fixes(mta: str) -> str:
    return " ".join(c.fix.get(mta, "") for c in load_catalogue())


EXIM_CONF = """\
primary_hostname = mx.example.test
daemon_smtp_ports = 25 : 587
domainlist local_domains = @
hostlist relay_from_hosts = localhost
begin acl
acl_check_rcpt:
  accept authenticated = *
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_list = * smtp.provider.example::587
begin transports
remote_smtp:
  driver = smtp
  port = 587
  hosts_require_tls = *
  hosts_require_auth = *
  tls_verify_certificates = system
smtps:
  driver = smtp
  protocol = smtps
begin authenticators
login:
  driver = plaintext
  public_name = LOGIN
  client_send = : user : secret
"""


@pytest.mark.skipif(not EXIM.is_file(), reason="needs Exim unpacked at /opt/exim (.ci/run)")
def test_exim_fixes_are_settings_exim_accepts(tmp_path):
    fixes = _all_fixes("exim")
    for snippet in (
        "route_list = * smtp.provider.example::587",
        "port = 587",
        "protocol = smtps",
        "tls_verify_certificates = system",
        "daemon_smtp_ports = 25 : 587",
        "authenticated = *",
        "driver = plaintext",
        "hosts_require_tls",
        "hosts_require_auth",
    ):
        assert snippet in fixes and snippet in EXIM_CONF, snippet
    conf = tmp_path / "exim.conf"
    conf.write_text(EXIM_CONF)
    base = ["unshare", "-n"] if os.geteuid() == 0 else []
    check = subprocess.run(
        [*base, str(EXIM), "-C", str(conf), "-bV"], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    shown = subprocess.run(
        [*base, str(EXIM), "-C", str(conf), "-bP", "transport", "remote_smtp"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "port = 587" in shown.splitlines(), shown


@pytest.mark.skipif(
    not CF_M4.is_file() or shutil.which("m4") is None, reason="needs m4 and sendmail-cf"
)
def test_sendmail_fixes_build_the_sendmail_cf_they_promise(tmp_path):
    fixes = _all_fixes("sendmail")
    snippets = {
        "define(`SMART_HOST', `[smtp.provider.example]')": "DS[smtp.provider.example]",
        "define(`RELAY_MAILER_ARGS', `TCP $h 587')": "A=TCP $h 587",
        "FEATURE(`authinfo')": "Kauthinfo hash /etc/mail/authinfo",
        "FEATURE(`use_cw_file')": "Fw/etc/mail/local-host-names",
        "FEATURE(`no_default_msa')": "",
        "DAEMON_OPTIONS(`Port=smtp, Name=MTA')": "O DaemonPortOptions=Port=smtp, Name=MTA",
        "DAEMON_OPTIONS(`Port=submission, Name=MSA, M=Ea')": (
            "O DaemonPortOptions=Port=submission, Name=MSA, M=Ea"
        ),
    }
    for snippet in snippets:
        assert snippet in fixes, snippet
    mc = tmp_path / "fix.mc"
    mc.write_text(
        "divert(0)dnl\nOSTYPE(`linux')dnl\n"
        + "".join(f"{s}dnl\n" for s in snippets)
        + "MAILER(`local')dnl\nMAILER(`smtp')dnl\n"
    )
    built = subprocess.run(["m4", str(CF_M4), str(mc)], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0 and not built.stderr, built.stderr
    cf = built.stdout
    for expected in snippets.values():
        assert expected in cf, expected
    relay = cf[cf.index("\nMrelay,") :].split("\n\n", 1)[0]
    assert "A=TCP $h 587" in relay, relay
    # the port-25 listener is kept and the default MSA (without M=a) is gone
    assert "Name=MSA, M=E\n" not in cf
