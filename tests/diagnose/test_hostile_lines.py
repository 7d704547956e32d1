"""Lines and bounces written to make a pattern backtrack cost linear time, every one.

The inputs are built from the patterns themselves: each literal run of every pattern
(the catalogue's RE2 patterns and the Python patterns of the log readers, envelopes and
redaction), repeated with and without a separator, and each punctuation or letter
repeated alone, placed after each envelope the readers branch on and before what some
patterns look for last. A pattern that backtracks over such text costs time quadratic in
its length; the tests bound the time of every line, and of lines four times longer than
any file gives (where quadratic cost shows): the Postfix reader with its `to=<...>`
pattern loosened to `to=<(.*)>` fails them.

Measured here (2 shared CPUs): the slowest 8 KiB line through the whole reader 2.8 ms;
the slowest 1 MB text through the catalogue 0.09 s. No pattern had to change.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import time

import pytest

from linter.diagnose import Diagnoser, sources
from linter.diagnose.bounces import bounce_events
from linter.diagnose.catalogue import Classifier, classify, load_catalogue
from linter.diagnose.events import OUTBOUND
from linter.diagnose.redact import redact_credentials

CAUSES = load_catalogue()
LINE = sources.MAX_LINE  # what a reader ever sees of one line
READER_MODULES = ("logformats", "postfix_log", "exim_log", "sendmail_log", "hmailserver_log")
PER_LINE_SECONDS = 0.05  # an 8 KiB line: 2.8 ms measured at worst
CHARS = " ,;:[]<>=()\"'\t|-_.@/\\{}xHAUTHSPFrelay0"
# the envelopes and message starts each reader branches on; the payload follows
PREFIXES = (
    "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<u@example.com>, "
    "relay=h.example[192.0.2.1]:25, dsn=5.7.1, status=bounced (",
    "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: ",
    "Dec  5 10:00:01 mx postfix/smtpd[2211]: NOQUEUE: reject: RCPT from ",
    "Dec  5 10:00:01 mx postfix/smtpd[2211]: warning: ",
    "Dec  5 10:00:01 mx ",
    "2026-12-05 10:00:01 1xZtMx-0006c0-2d ** u@example.com ",
    "2026-12-05 10:00:01 1xZtMx-0006c0-2d ",
    "2026-12-05 10:00:01 ",
    "2026-12-05 10:00:01 H=",
    "Dec  5 10:00:01 mx sendmail[46]: 6B5HKP6p000046: to=",
    "Dec  5 10:00:01 mx sendmail[46]: 6B5HKP6p000046: to=u@example.com, ",
    "Dec  5 10:00:01 mx sendmail[46]: NOQUEUE: ruleset=check_rcpt, arg1=",
    '"SMTPC"\t1\t2\t"2026-12-05 10:00:01.000"\t"192.0.2.1"\t"RECEIVED: 550 ',
    "<22>1 2026-12-05T10:00:01Z mx postfix/smtp 1 - ",
    "2026-12-05T10:00:01.000000+00:00 ",
    "mail-1  | ",
    '{"log":"',
    "",
)
# and what some patterns look for after the payload (Postfix's status is the last field)
SUFFIXES = ("", ", status=bounced (x)", "]: x", ">: x", ", stat=Deferred")


def compose(prefix: str, payload: str, suffix: str, size: int) -> str:
    return prefix + payload[: max(0, size - len(prefix) - len(suffix))] + suffix


def literal_runs(pattern: str) -> set[str]:
    """The runs of letters and punctuation a pattern spells out ("blocked using ",
    ", relay=", "rejected RCPT <"): text made of them walks the pattern furthest."""
    return set(re.findall(r"[A-Za-z][A-Za-z ,=:<>\[\]().-]{1,30}", pattern.replace("\\", "")))


def hostile(
    runs: set[str], size: int, seps: tuple[str, ...] = ("", " ", "x", "[", ":", ", ", "(")
) -> list[str]:
    out = [c * size for c in CHARS]
    for run in sorted(runs):
        for sep in seps:
            unit = run + sep
            out.append((unit * (size // len(unit) + 1))[:size])
    return out


def reader_pattern_runs() -> set[str]:
    runs: set[str] = set()
    for name in (*READER_MODULES, "redact"):
        module = importlib.import_module(f"linter.diagnose.{name}")
        for value in vars(module).values():
            if isinstance(value, re.Pattern):
                runs |= literal_runs(value.pattern)
    return runs


def catalogue_runs() -> set[str]:
    return {run for cause in CAUSES for source in cause.sources for run in literal_runs(source)}


def cpu(fn, *args) -> float:  # type: ignore[no-untyped-def]
    start = time.process_time()
    fn(*args)
    return time.process_time() - start


# ---------------------------------------------------------------- lines through the readers


@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda p: p[:28].strip() or "bare")
def test_no_hostile_line_costs_more_than_a_bounded_time(prefix):
    payloads = hostile(reader_pattern_runs() | catalogue_runs(), LINE, ("", ", "))
    diagnoser = Diagnoser()
    stats = sources.InputStats("hostile")
    stats.known = 1  # read as a log already recognised (the Postfix shortcut applies)
    slowest = (0.0, "")
    for payload in payloads:
        for suffix in SUFFIXES:
            line = sources.Line("hostile", 1, compose(prefix, payload, suffix, LINE))
            spent = cpu(diagnoser.read_line, line, stats)
            slowest = max(slowest, (spent, payload[:40] + "..." + suffix))
    assert len(payloads) > 500
    assert slowest[0] < PER_LINE_SECONDS, slowest


def test_reader_patterns_stay_linear_on_lines_four_times_longer():
    """At 32 KiB a linear pattern costs 4 times its 8 KiB time (about 12 ms at worst),
    one that backtracks 16 times: a `to=<(.*)>` searched over "to=<" repeated takes 43 ms
    at 8 KiB and 0.7 s at 32 KiB, and fails this test. The readers also get lines longer
    than sources.MAX_LINE from callers other than sources.read_lines."""
    size = 32 * 1024
    payloads = hostile(reader_pattern_runs(), size, (", ",))
    diagnoser = Diagnoser()
    stats = sources.InputStats("hostile")
    stats.known = 1
    slowest = (0.0, "")
    for prefix in PREFIXES:
        for payload in payloads:
            for suffix in SUFFIXES:
                line = sources.Line("h", 1, compose(prefix, payload, suffix, size))
                spent = cpu(diagnoser.read_line, line, stats)
                slowest = max(slowest, (spent, prefix[:30] + payload[:30] + "..." + suffix))
    assert slowest[0] < 0.15, slowest


# ---------------------------------------------------------------- the catalogue (RE2)


def test_catalogue_patterns_are_linear_on_100k_hostile_texts():
    classifier = Classifier(CAUSES)
    texts = hostile(catalogue_runs(), 100_000)
    slowest = max((cpu(classifier.classify, t, OUTBOUND), t[:40]) for t in texts)
    assert slowest[0] < 0.1, slowest
    # and one pattern at a time (the reference classify), on the worst of them
    for text in texts[::11]:
        assert cpu(classify, text, OUTBOUND, CAUSES) < 0.2


def test_catalogue_time_grows_linearly_with_the_text():
    classifier = Classifier(CAUSES)
    small, big = hostile(catalogue_runs(), 100_000)[::5], hostile(catalogue_runs(), 1_000_000)[::5]
    t_small = sum(cpu(classifier.classify, t + "!", OUTBOUND) for t in small)
    t_big = sum(cpu(classifier.classify, t + "?", OUTBOUND) for t in big)
    assert t_big < 30 * max(t_small, 0.01), (t_small, t_big)


# ---------------------------------------------------------------- redaction and bounces


@pytest.mark.parametrize(
    "text",
    [
        "AUTH " + " " * 1_000_000,
        "AUTH PLAIN " * 100_000,
        ("AUTH\t" + "A" * 20 + "\t") * 40_000,
        "auth " * 200_000,
    ],
    ids=["spaces", "repeated-command", "tabs", "lower-case"],
)
def test_redaction_is_linear(text):
    assert cpu(redact_credentials, text) < 0.5


def notice(body: str) -> bytes:
    return (
        "From: MAILER-DAEMON@x.example\nSubject: failure notice\nTo: a@b.example\n\n" + body
    ).encode()


@pytest.mark.parametrize(
    "body",
    [
        ":" * 250_000,
        "<a@b.example>: " * 20_000,
        "a@b.example\n" * 25_000,
        "Remote host said: " * 14_000,
        "Hi. This is the qmail-send program at x.\n<" + "a" * 250_000,
    ],
    ids=["colons", "addresses", "address-lines", "qmail-said", "qmail-open"],
)
def test_hostile_notices_are_read_in_bounded_time(body):
    """Bounces without a delivery-status part go through flufl.bounce's detectors (their
    own regular expressions) and the reason finder, on the first 256 KiB."""
    assert cpu(bounce_events, notice(body), "hostile.eml") < 2.0


def test_a_ten_megabyte_diagnostic_code_is_classified_in_bounded_time():
    dsn = (
        "From: MAILER-DAEMON@x\nContent-Type: multipart/report; report-type=delivery-status; "
        'boundary="B"\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n'
        "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.0.0\n"
        "Diagnostic-Code: smtp; " + "550 5.7.1 DMARC (" * 600_000 + "\n\n--B--\n"
    ).encode()
    classifier = Classifier(CAUSES)

    def run() -> None:
        for event in bounce_events(dsn, "big.eml"):
            classifier.classify(event.text, event.kind)

    assert cpu(run) < 3.0


# ---------------------------------------------------------------- whole program, stdin


def test_over_long_and_binary_lines_from_stdin_end_in_notes_not_a_crash():
    """A 20 MB line, a line of NULs and a valid line after them, through `mtalint
    diagnose -`: the long line is cut (a note), the binary one skipped (a note), the
    valid line still read."""
    valid = (
        "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<u@example.com>, relay=none, "
        "delay=30, delays=0.02/0.01/30/0, dsn=4.4.1, status=deferred (connect to "
        "smtp.provider.example[203.0.113.5]:25: Connection timed out)\n"
    )
    data = b"Dec  5 10:00:01 mx postfix/smtp[1]: " + b"(" * 20_000_000 + b"\n"
    data += b"\0" * 100_000 + b"\n" + valid.encode()
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "linter", "diagnose", "--format", "json", "-"],
        input=data,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # 1: incidents found
    assert time.monotonic() - start < 60
    out = done.stdout.decode()
    assert '"connect-timeout"' in out
    assert "2 lines longer than 8192 bytes were cut" in out  # the NULs too
    assert "1 binary lines skipped" in out
