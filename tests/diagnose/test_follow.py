"""mtalint diagnose --follow: a growing log read as it is written, rotation followed,
bounded memory, a clean stop on SIGINT (and at the end of standard input)."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from linter.diagnose import incidents as incidents_module
from linter.diagnose import sources
from linter.diagnose.catalogue import load_catalogue
from linter.diagnose.events import DEFERRED, OUTBOUND, Event
from linter.diagnose.follow import follow_lines
from linter.diagnose.incidents import Grouper
from tests.paths import ROOT

MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]


def delivery(qid: str, reason: str, status: str = "deferred", dsn: str = "4.4.1") -> str:
    return (
        f"Dec  5 10:00:01 mx postfix/smtp[2211]: {qid}: to=<user@example.com>, relay=none, "
        f"delay=30, delays=0.02/0.01/30/0, dsn={dsn}, status={status} ({reason})\n"
    )


TIMEOUT = "connect to smtp.provider.example[203.0.113.5]:25: Connection timed out"
REFUSED = "connect to mx.example.com[192.0.2.25]:25: Connection refused"
SASL = (
    "SASL authentication failed; server smtp.provider.example[203.0.113.5] said: 535 5.7.8 "
    "Error: authentication failed: authentication failure"
)


class Follower:
    """mtalint diagnose --follow in a subprocess, its stdout read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [*MTALINT, "diagnose", "--follow", *args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def next_line(self, timeout: float = 10) -> str | None:
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline() if ready else None

    def stop(self) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, err


def append(path: Path, text: str) -> None:
    with path.open("a") as log:
        log.write(text)


def test_follow_prints_incidents_as_they_open_and_follows_rotation(tmp_path):
    log = tmp_path / "mail.log"
    log.write_text(delivery("1A2B3C4D5E", REFUSED))  # the past: not reported
    follower = Follower("--format", "json", str(log))
    try:
        time.sleep(1.5)  # let it start and reach the end of the file
        append(log, delivery("2A2B3C4D5E", TIMEOUT))
        first = follower.next_line()
        assert first is not None and json.loads(first)["cause"] == "connect-timeout"
        # the same cause again opens nothing; a line written in two parts is one line
        append(log, delivery("3A2B3C4D5E", TIMEOUT))
        half = delivery("4A2B3C4D5E", SASL, "bounced", "5.7.8")
        append(log, half[:60])
        time.sleep(1.2)
        append(log, half[60:])
        second = follower.next_line()
        assert second is not None and json.loads(second)["cause"] == "sasl-auth-failed"
        # logrotate: the file is moved away and a new one created
        log.rename(tmp_path / "mail.log.1")
        log.write_text("")
        time.sleep(1.2)
        append(log, delivery("5A2B3C4D5E", REFUSED))
        third = follower.next_line()
        assert third is not None and json.loads(third)["cause"] == "connect-refused"
        # copytruncate: the same file emptied and written again
        log.write_text("")
        time.sleep(1.2)
        append(
            log,
            delivery(
                "6A2B3C4D5E",
                "host mx.example.com[192.0.2.25] said: 554 5.7.1 <u@example.com>: Relay "
                "access denied (in reply to RCPT TO command)",
                "bounced",
                "5.7.1",
            ),
        )
        fourth = follower.next_line()
        assert fourth is not None and json.loads(fourth)["cause"] == "relay-denied"
    finally:
        code, out, err = follower.stop()
    assert code == 1, err
    assert out == "", out  # nothing after the four incidents
    assert "4 incidents" in err and "Traceback" not in err, err


def test_follow_standard_input_ends_at_its_end():
    proc = subprocess.run(
        [*MTALINT, "diagnose", "--follow", "-"],
        cwd=ROOT,
        input=delivery("1A2B3C4D5E", TIMEOUT) + delivery("2A2B3C4D5E", REFUSED),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr
    assert "incident 1: connect-timeout" in proc.stdout
    assert "incident 2: connect-refused" in proc.stdout
    assert "2 incidents" in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["a.log", "b.log"], "one log"),
        (["mail.log", "-o", "out.json"], "one log"),
        (["mail.log.gz"], "compressed"),
        (["missing.log"], "cannot open"),
    ],
)
def test_follow_refuses_what_it_cannot_follow(tmp_path, args, message):
    for name in ("a.log", "b.log", "mail.log"):
        (tmp_path / name).write_text("")
    (tmp_path / "mail.log.gz").write_bytes(b"\x1f\x8b\x08\x00")
    proc = subprocess.run(
        [*MTALINT, "diagnose", "--follow", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr


def test_a_line_that_never_ends_is_held_only_up_to_the_line_limit(tmp_path):
    """4 MB written without a newline: the follower keeps at most MAX_LINE bytes of it,
    and the line after it is read as usual."""
    log = tmp_path / "mail.log"
    log.write_text("")
    stats = sources.InputStats("mail.log")
    stop = threading.Event()
    got: list[sources.Line] = []

    def reader() -> None:
        for line in follow_lines(str(log), stats, stop.is_set, poll=0.05):
            got.append(line)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        time.sleep(0.3)
        with log.open("a") as out:
            for _ in range(64):
                out.write("x" * 65536)
                out.flush()
            out.write("\n" + delivery("1A2B3C4D5E", TIMEOUT))
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert len(got) == 2, [g.text[:80] for g in got]
    assert got[0].truncated and len(got[0].text) == sources.MAX_LINE
    assert "Connection timed out" in got[1].text and not got[1].truncated
    assert stats.truncated_lines == 1


def test_incidents_are_bounded_when_every_line_names_a_new_host(monkeypatch):
    monkeypatch.setattr(incidents_module, "MAX_INCIDENTS", 50)
    (retry,) = [c for c in load_catalogue() if c.id == "retry-wait"]
    grouper = Grouper()
    for n in range(500):
        event = Event(OUTBOUND, DEFERRED, "retry", "log", n, "line", queue_id=f"id{n}")
        grouper.add(event, retry, {"host": f"h{n}.example"})
    assert len(grouper.incidents) == 51
    others = grouper.incidents[("retry-wait", "(others)")]
    assert others.failures == 450
