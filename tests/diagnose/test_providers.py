"""The large mailbox providers' refusals, as their own pages word them, are classified by
the right catalogue cause, in every form they reach mtalint diagnose.

The replies are in tests/diagnose/fixtures/providers/*.yaml, each naming the page it was
taken from (URL and date read). A reply reaches diagnose inside a Postfix delivery line
(smtp_proto.c "host %s said: %s (in reply to %s command)", log_adhoc.c), an Exim
deliver.c bounce or deferral line, a sendmail delivery line (reply= and stat=), and an
RFC 3464 bounce's Diagnostic-Code; each form must give the fixture's cause.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from linter.diagnose.bounces import bounce_events
from linter.diagnose.catalogue import classify, load_catalogue
from linter.diagnose.logformats import parse_envelope
from linter.diagnose.readers import Readers
from linter.yamlsafe import load_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "providers"
NOW = datetime(2026, 12, 31, 12, 0, 0)
READ = date(2026, 12, 5)  # when the pages were read for these fixtures
CAUSES = load_catalogue()
CAUSE_IDS = {c.id for c in CAUSES}


def fixture_files() -> list[Path]:
    return sorted(FIXTURES.glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    data = load_yaml(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


REPLIES = [
    (path.stem, n, reply, load(path))
    for path in fixture_files()
    for n, reply in enumerate(load(path).get("replies") or [])
]
IDS = [f"{stem}-{n}-{reply['cause']}" for stem, n, reply, _ in REPLIES]


def reply_text(reply: dict[str, Any]) -> str:
    """The reply as the receiver sends it: the page's code(s), then its text; or the whole
    reply where the page shows one (a multi-line reply, its lines joined by a space)."""
    if "reply" in reply:
        return str(reply["reply"])
    return f"{reply['code']} {reply['text']}".strip()


def enhanced(reply: dict[str, Any]) -> str:
    m = re.search(r"\b[245]\.\d{1,3}\.\d{1,3}\b", reply_text(reply))
    return m.group() if m else f"{reply_text(reply)[0]}.0.0"


def temporary(reply: dict[str, Any]) -> bool:
    return reply_text(reply).startswith("4")


def postfix_line(reply: dict[str, Any], mx: str) -> str:
    status = "deferred" if temporary(reply) else "bounced"
    return (
        f"Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<user@example.net>, "
        f"relay={mx}[192.0.2.27]:25, delay=1.1, delays=0.01/0.01/0.5/0.6, "
        f"dsn={enhanced(reply)}, status={status} (host {mx}[192.0.2.27] said: "
        f"{reply_text(reply)} (in reply to end of DATA command))"
    )


def exim_line(reply: dict[str, Any], mx: str) -> str:
    # deliver.c: "** addr R= T= H=host [ip]: SMTP error from remote mail server after
    # end of data: reply"; a deferral "== addr R= T= defer (errno) H=...: ..."
    flag, defer = ("==", " defer (-46)") if temporary(reply) else ("**", "")
    return (
        f"2026-12-05 10:00:01 1xZtMx-0006c0-2d {flag} user@example.net R=dnslookup "
        f"T=remote_smtp{defer} H={mx} [192.0.2.27]: SMTP error from remote mail server "
        f"after end of data: {reply_text(reply)}"
    )


def sendmail_line(reply: dict[str, Any], mx: str) -> str:
    # deliver.c logdelivery(): "to=, ctladdr=, delay=, xdelay=, mailer=, pri=, relay=,
    # dsn=, [reply=, ]stat="; a deferral's stat is "Deferred: " and the reply
    tail = (
        f"stat=Deferred: {reply_text(reply)}"
        if temporary(reply)
        else f"reply={reply_text(reply)}, stat=Service unavailable"
    )
    return (
        f"Dec  5 10:00:01 mx sendmail[46]: 6B5HKP6p000046: to=<user@example.net>, "
        f"ctladdr=<a@sender.example> (0/0), delay=00:00:01, xdelay=00:00:01, mailer=esmtp, "
        f"pri=120452, relay={mx}. [192.0.2.27], dsn={enhanced(reply)}, {tail}"
    )


def classify_line(line: str) -> tuple[str | None, str]:
    envelope = parse_envelope(line, NOW)
    assert envelope is not None, line
    reader = Readers().reader_for(envelope.program)
    assert reader is not None, line
    event = reader(envelope, "test", 1, line)
    assert event is not None and event.failed, line
    found = classify(event.text, event.kind, CAUSES)
    return (found[0].id if found else None), event.text


def dsn_bounce(reply: dict[str, Any], mx: str) -> bytes:
    """An RFC 3464 bounce (multipart/report) whose Diagnostic-Code is the reply, shaped
    as Postfix's bounce(8) writes one."""
    action = "delayed" if temporary(reply) else "failed"
    return (
        "From: MAILER-DAEMON@mx.example.org\n"
        "To: a@sender.example\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Date: Sat, 5 Dec 2026 10:00:02 +0000\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\n'
        "\n--B1\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.org.\n"
        "\n--B1\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.org\n\n"
        "Final-Recipient: rfc822; user@example.net\n"
        f"Action: {action}\nStatus: {enhanced(reply)}\nRemote-MTA: dns; {mx}\n"
        f"Diagnostic-Code: smtp; {reply_text(reply)}\n"
        "\n--B1--\n"
    ).encode()


# ---------------------------------------------------------------- every fixture is sourced


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_every_fixture_names_its_sources_and_when_they_were_read(path):
    data = load(path)
    assert data.get("provider") and data.get("mx"), path
    sources = data.get("sources")
    assert isinstance(sources, dict) and sources, f"{path}: no sources"
    for name, source in sources.items():
        assert re.match(r"https?://[^\s/]+\.[a-z]{2,}/", source.get("url", "")), (name, source)
        assert source.get("title"), (path, name)
        assert date.fromisoformat(str(source.get("read"))) == READ, (path, name)
    replies = data.get("replies")
    assert replies, f"{path}: no replies"
    for reply in replies:
        assert reply.get("source") in sources, (path, reply)
        assert reply.get("cause") in CAUSE_IDS, (path, reply)
        assert re.match(r"[45]\d\d\b", str(reply.get("code", ""))), (path, reply)
        assert "text" in reply or str(reply.get("reply", "")).startswith(reply["code"]), reply


def test_the_fixtures_cover_the_large_providers_and_the_causes_of_receiver_policy():
    assert {p.stem for p in fixture_files()} >= {"gmail", "microsoft", "yahoo", "comcast"}
    causes = {reply["cause"] for _, _, reply, _ in REPLIES}
    assert causes >= {
        "dnsbl-rejection",
        "reputation-rejection",
        "spf-rejection",
        "dkim-rejection",
        "dmarc-rejection",
        "ptr-rejection",
        "rate-limited",
        "auth-level-policy",
    }


# ---------------------------------------------------------------- in each form, the cause


@pytest.mark.parametrize(("stem", "n", "reply", "data"), REPLIES, ids=IDS)
@pytest.mark.parametrize("form", [postfix_line, exim_line, sendmail_line], ids=lambda f: f.__name__)
def test_reply_in_a_log_line_is_classified_as_its_cause(form, stem, n, reply, data):
    got, text = classify_line(form(reply, data["mx"]))
    assert reply_text(reply) in text, text  # the reader kept the whole reply
    assert got == reply["cause"], f"{stem} #{n}: {reply_text(reply)!r} classified as {got}"


@pytest.mark.parametrize(("stem", "n", "reply", "data"), REPLIES, ids=IDS)
def test_reply_in_a_delivery_status_notification_is_classified_as_its_cause(stem, n, reply, data):
    (event,) = bounce_events(dsn_bounce(reply, data["mx"]), "bounce.eml")
    assert event.text == reply_text(reply)
    found = classify(event.text, event.kind, CAUSES)
    assert found is not None and found[0].id == reply["cause"], (stem, n, found and found[0].id)
