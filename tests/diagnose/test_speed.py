"""mtalint diagnose stays fast on large logs, and its shortcuts change no answer.

The shortcuts: all catalogue patterns searched as one RE2 set (linter.diagnose.catalogue
.Classifier) instead of one search per pattern, a bounded cache of recent answers, and
Postfix bookkeeping lines skipped before parsing (postfix_log.worth_reading). Each is
checked against the slow path on real lines: the catalogue's own test lines (Postfix
source strings and lines a live Postfix wrote) and the benchmark's generated traffic.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime

import pytest

from linter.diagnose.catalogue import Classifier, classify, load_catalogue
from linter.diagnose.events import INBOUND, LOCAL, OUTBOUND
from linter.diagnose.logformats import parse_envelope
from linter.diagnose.postfix_log import postfix_event, worth_reading
from tests.paths import ROOT

NOW = datetime(2026, 12, 31, 12, 0, 0)
CAUSES = load_catalogue()
sys.path.insert(0, str(ROOT / "benchmarks"))
from maillog import blocks  # noqa: E402


def catalogue_lines() -> list[str]:
    return [test["line"] for cause in CAUSES for test in cause.tests]


def generated_lines(count: int = 3000) -> list[str]:
    out: list[str] = []
    for block in blocks(seed=7):
        out.extend(block.splitlines())
        if len(out) >= count:
            return out
    return out


def test_classifier_agrees_with_the_one_pattern_at_a_time_reference():
    classifier = Classifier(CAUSES)
    texts = []
    for line in catalogue_lines() + generated_lines():
        envelope = parse_envelope(line, NOW)
        event = postfix_event(envelope, "t", 1, line) if envelope else None
        if event is not None and event.text:
            texts.append((event.text, event.kind))
    assert len(texts) > 100
    for kind in (OUTBOUND, INBOUND, LOCAL):  # every text under every kind, too
        texts += [(text, kind) for text, _ in texts[:200]]
    for _ in range(2):  # the second pass answers from the cache
        for text, kind in texts:
            want = classify(text, kind, CAUSES)
            got = classifier.classify(text, kind)
            assert (got and (got[0].id, got[1])) == (want and (want[0].id, want[1])), text


def test_a_cached_answer_cannot_be_changed_by_its_user():
    classifier = Classifier(CAUSES)
    text = "connect to a.example[192.0.2.1]:25: Connection timed out"
    first = classifier.classify(text, OUTBOUND)
    assert first is not None
    first[1]["host"] = "changed"
    again = classifier.classify(text, OUTBOUND)
    assert again is not None and again[1]["host"] == "a.example"


def test_skipped_postfix_lines_are_lines_without_an_event():
    lines = catalogue_lines() + generated_lines()
    skipped = 0
    for line in lines:
        if worth_reading(line):
            continue
        skipped += 1
        envelope = parse_envelope(line, NOW)
        assert envelope is None or postfix_event(envelope, "t", 1, line) is None, line
    assert skipped > len(lines) // 2  # the shortcut does skip most of a busy log


@pytest.mark.parametrize("distinct_hosts", [False, True], ids=["same-reason", "all-distinct"])
def test_ten_megabytes_of_failures_in_under_two_and_a_half_cpu_seconds(tmp_path, distinct_hosts):
    """Every line a failure to classify: 3.4 s of CPU (6 s wall) before the RE2 set."""
    line = (
        "Dec  5 10:00:01 mx postfix/smtp[2211]: 3F2A1B2C3D: to=<user@example.com>, relay=none, "
        "delay=30, delays=0.02/0.01/30/0, dsn=4.4.1, status=deferred (connect to "
        "smtp.provider.example[203.0.113.5]:25: Connection timed out)\n"
    )
    log = tmp_path / "big.log"
    with log.open("w") as out:
        for i in range(10 * 1024 * 1024 // len(line) + 1):
            text = line.replace("3F2A1B2C3D", f"{i:010X}")
            out.write(text.replace("smtp.provider", f"h{i:06d}") if distinct_hosts else text)
    script = (
        "import sys, time\n"
        "from linter.diagnose import diagnose\n"
        "start = time.process_time()\n"
        "r = diagnose([sys.argv[1]])\n"
        "print(r.incidents[0].failures, time.process_time() - start)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(log)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    failures, cpu = done.stdout.split()
    assert int(failures) > 40_000
    assert float(cpu) < 2.5, cpu
