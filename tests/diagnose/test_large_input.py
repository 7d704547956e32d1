"""mtalint diagnose reads a log of any size in flat memory and linear time.

No log is written to disk: a generator process (benchmarks/maillog.py, a busy relay's
traffic in Postfix's own formats) writes into a pipe that `mtalint diagnose -` reads,
and the peak resident memory of the diagnose process alone is taken from os.wait4.

A 160 MB log must peak within a few MB of a 20 MB one, at comparable CPU seconds per
message. The 2 GB run is in benchmarks/ (`bash benchmarks/run --only diagnose
--stream-gb 2`): 69 CPU seconds, too long for the test suite. Measured here (2 shared
CPUs): 20 MB and 128 MB both peak at 25.9 MB; 2 GB at 25 MB (pflogsumm: 495 MB).

A log whose deferred messages never leave the queue (a cut from a server whose queue
only grows) fills the message tracker up to its bound (tracking.MAX_TRACKED) and stays
flat beyond it; the second test lowers the bound to show that in seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from linter.diagnose import tracking
from linter.diagnose.events import DEFERRED, OUTBOUND, Event
from tests.paths import ROOT

MB = 1024 * 1024
# writes SIZE bytes of log to stdout, then its message count to stderr
GENERATOR = """
import sys
sys.path.insert(0, sys.argv[3])
from maillog import blocks
target, leave = int(sys.argv[1]), sys.argv[2] == "leave"
size = messages = 0
out = sys.stdout
for block in blocks(seed=3, leave_queue=leave):
    out.write(block)
    size += len(block)
    messages += 1
    if size >= target:
        break
out.flush()
print(messages, file=sys.stderr)
"""
# mtalint diagnose, optionally with a lower bound on the messages it follows
DIAGNOSE = """
import sys
from linter.diagnose import tracking
if sys.argv[1] != "default":
    tracking.MAX_TRACKED = int(sys.argv[1])
sys.argv = ["mtalint", "diagnose", "--format", "json", "-"]
from linter.cli import main
main()
"""


@dataclass
class Run:
    peak_kb: int  # resident set size of diagnose, at its peak
    cpu_seconds: float  # of diagnose
    messages: int  # the generator wrote
    report: dict


def diagnose_stream(size: int, leave_queue: bool = True, max_tracked: str = "default") -> Run:
    generator = subprocess.Popen(
        [
            sys.executable,
            "-c",
            GENERATOR,
            str(size),
            "leave" if leave_queue else "stay",
            str(ROOT / "benchmarks"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    diagnose = subprocess.Popen(
        [sys.executable, "-c", DIAGNOSE, max_tracked],
        stdin=generator.stdout,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    assert generator.stdout is not None and diagnose.stdout is not None
    generator.stdout.close()  # diagnose holds the only reading end
    out = diagnose.stdout.read()
    diagnose.stdout.close()
    # the diagnose process's own resources: wait4 on its pid, not all children's
    _, status, usage = os.wait4(diagnose.pid, 0)
    diagnose.returncode = os.waitstatus_to_exitcode(status)
    messages = int(generator.communicate(timeout=60)[1].decode().split()[-1])
    assert diagnose.returncode == 1, out[-2000:]  # 1: incidents found
    return Run(usage.ru_maxrss, usage.ru_utime + usage.ru_stime, messages, json.loads(out))


def read_every_message(run: Run) -> None:
    """The report counts the messages the generator wrote: the whole stream was read."""
    assert sum(run.report["outcomes"].values()) == run.messages, (
        run.report["outcomes"],
        run.messages,
    )


def test_memory_is_flat_and_time_linear_from_20_to_160_megabytes():
    small = diagnose_stream(20 * MB)
    large = diagnose_stream(160 * MB)
    read_every_message(small)
    read_every_message(large)
    assert large.messages > 7 * small.messages
    growth_mb = (large.peak_kb - small.peak_kb) / 1024
    assert growth_mb < 4, (small.peak_kb, large.peak_kb)
    # linear: CPU per message about the same (start-up weighs on the small run only)
    per_small = small.cpu_seconds / small.messages
    per_large = large.cpu_seconds / large.messages
    assert per_large < 1.5 * per_small, (small.cpu_seconds, large.cpu_seconds)


def test_a_queue_that_only_grows_fills_the_tracker_bound_and_memory_then_stays_flat():
    """Deferred messages never leave: the tracker follows at most MAX_TRACKED (lowered
    here to 2,000) and counts the others with their last outcome."""
    small = diagnose_stream(20 * MB, leave_queue=False, max_tracked="2000")
    large = diagnose_stream(80 * MB, leave_queue=False, max_tracked="2000")
    for run in (small, large):
        read_every_message(run)
        assert any("were forgotten to bound memory" in n for n in run.report["notes"])
    assert (large.peak_kb - small.peak_kb) / 1024 < 4, (small.peak_kb, large.peak_kb)


def test_forgotten_messages_keep_their_outcome(monkeypatch):
    monkeypatch.setattr(tracking, "MAX_TRACKED", 3)
    tracker = tracking.Tracker()
    for n in range(5):
        event = Event(OUTBOUND, DEFERRED, "x", "t", n, "x", None, queue_id=f"Q{n}")
        tracker.record(event, None)
    assert tracker.forgotten == 2
    assert tracker.final_outcomes()[DEFERRED] == 5
