"""The configuration beside the log is joined without --config; the output says which
one and that it was found beside the log; --config names another; nothing outside the
log's folder and its parent's configuration folders is read, and no link is followed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from linter.diagnose.beside import config_beside
from tests.diagnose.test_diagnose import MAIN_CF, TIMEOUT, run

LOG = f"Dec  5 10:00:01 mx postfix/smtp[2211]: {TIMEOUT}\n"


def case(tmp_path: Path, log: str, config: str | None) -> Path:
    """A folder as copied off a server: the log at LOG, main.cf at CONFIG (relative)."""
    path = tmp_path / "case" / log
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOG)
    if config is not None:
        main = tmp_path / "case" / config
        main.parent.mkdir(parents=True, exist_ok=True)
        main.write_text(MAIN_CF)
    return path


@pytest.mark.parametrize(
    ("log", "config", "found"),
    [
        ("mail.log", "main.cf", "main.cf"),
        ("mail.log", "postfix/main.cf", "postfix"),
        ("mail.log", "etc/postfix/main.cf", "etc/postfix"),
        ("logs/mail.log", "postfix/main.cf", "postfix"),
        ("logs/mail.log", "etc/postfix/main.cf", "etc/postfix"),
    ],
)
def test_configuration_beside_the_log_is_found(tmp_path, log, config, found):
    path = case(tmp_path, log, config)
    assert config_beside(["-", str(path)]) == (tmp_path / "case" / found).absolute()


def test_incidents_joined_with_the_main_cf_beside_the_log(tmp_path):
    log = case(tmp_path, "mail.log", "main.cf")
    code, out = run("diagnose", str(log), "--format", "json")
    assert code == 1, out
    document = json.loads(out)
    main = str(tmp_path / "case" / "main.cf")
    assert document["configuration"] == {"path": main, "mta": "postfix", "beside": True}
    (incident,) = document["incidents"]
    relayhost = next(s for s in incident["configuration"]["settings"] if s["name"] == "relayhost")
    assert (relayhost["path"], relayhost["line"]) == (main, 2)
    code, text = run("diagnose", str(log))
    assert f"setting: {main}:2: relayhost = [smtp.provider.example]:25" in text
    assert (
        f"configuration joined: {main} (postfix), found beside the log "
        "(--config names another)" in text
    )
    for fmt in ("md", "html"):
        code, page = run("diagnose", str(log), "--format", fmt)
        assert "found beside the log" in page


def test_config_option_names_another_configuration(tmp_path):
    log = case(tmp_path, "mail.log", "main.cf")
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.cf").write_text("# the other server\n\n\n" + MAIN_CF)
    code, out = run("diagnose", str(log), "--config", str(other), "--format", "json")
    document = json.loads(out)
    assert document["configuration"]["beside"] is False
    assert document["configuration"]["path"] == str(other)
    (incident,) = document["incidents"]
    relayhost = next(s for s in incident["configuration"]["settings"] if s["name"] == "relayhost")
    assert (relayhost["path"], relayhost["line"]) == (str(other / "main.cf"), 5)


def test_nothing_beside_the_log_joins_nothing(tmp_path):
    log = case(tmp_path, "logs/mail.log", None)
    (tmp_path / "case" / "notes").mkdir()
    (tmp_path / "case" / "notes" / "main.cf").write_text(MAIN_CF)  # not a config tree name
    assert config_beside([str(log)]) is None
    code, out = run("diagnose", str(log), "--format", "json")
    document = json.loads(out)
    assert "configuration" not in document
    assert "configuration" not in document["incidents"][0]
    assert config_beside(["-"]) is None


def test_links_beside_the_log_are_not_followed(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "main.cf").write_text(MAIN_CF)
    log = case(tmp_path, "logs/mail.log", None)
    os.symlink(secret / "main.cf", log.parent / "main.cf")
    os.symlink(secret, tmp_path / "case" / "postfix")
    (tmp_path / "case" / "etc").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere" / "postfix").mkdir(parents=True)
    (tmp_path / "elsewhere" / "postfix" / "main.cf").write_text(MAIN_CF)
    assert config_beside([str(log)]) is None


def test_exim_configuration_beside_the_log(tmp_path):
    log = tmp_path / "mainlog"
    log.write_text(
        "2026-12-05 10:00:01 1xZtMx-0006c0-2d == user@example.com R=smarthost "
        "T=remote_smtp defer (110): Connection timed out\n"
    )
    conf = tmp_path / "exim4" / "exim4.conf"
    conf.parent.mkdir()
    conf.write_text("primary_hostname = mx.example.test\nbegin routers\n")
    assert config_beside([str(log)]) == conf.parent
    code, out = run("diagnose", str(log), "--format", "json")
    document = json.loads(out)
    assert document["configuration"]["mta"] == "exim"
    assert document["incidents"][0]["fix"].keys() == {"exim"}


def test_sendmail_mc_in_etc_mail_but_no_mailbox_folder_is_read(tmp_path):
    log = case(tmp_path, "logs/maillog", None)
    spool = tmp_path / "case" / "mail"  # as /var/mail: mailboxes, never opened
    spool.mkdir()
    (spool / "sendmail.mc").write_text("divert(0)dnl\nOSTYPE(`linux')dnl\nMAILER(`smtp')dnl\n")
    assert config_beside([str(log)]) is None
    etc_mail = tmp_path / "case" / "etc" / "mail"
    etc_mail.mkdir(parents=True)
    (spool / "sendmail.mc").rename(etc_mail / "sendmail.mc")
    assert config_beside([str(log)]) == etc_mail
