"""Coverage-guided fuzzing of every reader, through the whole check pipeline (atheris).

    python fuzz/fuzz_formats.py FORMAT [atheris/libFuzzer options] [CORPUS_DIR ...]

FORMAT is one of postfix-main, postfix-master, exim, sendmail-mc, hmailserver-ini,
hmailserver-xml, hmailserver-json, notes-ini, domino-ots, exchange-json, exchange-fl. Each
input is written as that format's file and checked with every rule, read as that format
whatever its content (as a user's ``formats:`` mapping would have it): discovery alone
would skip most inputs, a .mc file without a sendmail macro call for one.

An input fails (libFuzzer stops and saves it as a crash file) when it

* makes mtalint report an internal error (MTL001: an unexpected exception, which mtalint
  turns into a finding instead of a traceback; here it is re-raised);
* takes longer than FUZZ_TIME_LIMIT seconds (default 10);
* allocates beyond FUZZ_MEMORY_MB (default 1024) above what the process held at the
  start: the address space is limited with setrlimit, so the allocation fails with
  MemoryError, which mtalint reports as an internal error;
* produces more than FUZZ_OUTPUT_LIMIT bytes of findings (their JSON; default 1,000,000;
  inputs are at most 64 KB).

Whatever the outcome, the slowest input, the one that raised the peak RSS most and the
one with the largest findings are kept in fuzz/results/ (slowest-FORMAT,
biggest-rss-FORMAT, largest-output-FORMAT), with the figures in stats-FORMAT.json
(libFuzzer ends the process with exit(), so the figures are written as they change).
fuzz/run.sh runs every target for a while and prints them.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import atheris

with atheris.instrument_imports():
    from linter.check import INTERNAL_ERROR, check
    from linter.engine.rules import builtin_rules
    from linter.engine.runner import Selection
    from linter.mta import Options

FILE_NAMES = {
    "postfix-main": "main.cf",
    "postfix-master": "master.cf",
    "exim": "exim.conf",
    "sendmail-mc": "sendmail.mc",
    "hmailserver-ini": "hMailServer.INI",
    "hmailserver-xml": "hMailServerBackup.xml",
    "hmailserver-json": "export.json",
    "notes-ini": "notes.ini",
    "domino-ots": "setup.json",
    "exchange-json": "ExchangeSettings.json",
    "exchange-fl": "ReceiveConnectors.txt",
}
TIME_LIMIT = float(os.environ.get("FUZZ_TIME_LIMIT", "10"))
MEMORY_MB = int(os.environ.get("FUZZ_MEMORY_MB", "1024"))
OUTPUT_LIMIT = int(os.environ.get("FUZZ_OUTPUT_LIMIT", "1000000"))
RESULTS = Path(__file__).resolve().parent / "results"  # not tracked (its .gitignore)


class InternalError(Exception):
    """mtalint reported an internal error for this input."""


class SlowInput(Exception):
    """One input took longer than FUZZ_TIME_LIMIT."""


class LargeOutput(Exception):
    """One input produced more than FUZZ_OUTPUT_LIMIT bytes of findings."""


def _vm_bytes() -> int:
    """The process's current address-space size (what RLIMIT_AS counts)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _limit_memory() -> None:
    budget = _vm_bytes() + MEMORY_MB * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        budget = min(budget, hard)
    resource.setrlimit(resource.RLIMIT_AS, (budget, hard))


@dataclass
class Records:
    """The slowest, most memory-hungry and most verbose inputs so far, kept on disk."""

    format: str
    inputs: int = 0
    slowest_seconds: float = 0.0
    slowest_input_bytes: int = 0
    largest_output_bytes: int = 0
    largest_output_findings: int = 0
    largest_output_input_bytes: int = 0
    biggest_rss_growth_mb: float = 0.0
    peak_rss_mb: float = 0.0
    limits: dict[str, float] = field(
        default_factory=lambda: {
            "seconds": TIME_LIMIT,
            "memory_mb": MEMORY_MB,
            "output_bytes": OUTPUT_LIMIT,
        }
    )

    def keep(self, kind: str, data: bytes) -> None:
        (RESULTS / f"{kind}-{self.format}").write_bytes(data)

    def note(self, data: bytes, seconds: float, output: int, findings: int, rss_kb: int) -> None:
        self.inputs += 1
        changed = self.inputs % 200 == 0
        if seconds > self.slowest_seconds:
            self.slowest_seconds, self.slowest_input_bytes = round(seconds, 3), len(data)
            self.keep("slowest", data)
            changed = True
        if output > self.largest_output_bytes:
            self.largest_output_bytes, self.largest_output_findings = output, findings
            self.largest_output_input_bytes = len(data)
            self.keep("largest-output", data)
            changed = True
        if rss_kb / 1024 > self.biggest_rss_growth_mb:
            self.biggest_rss_growth_mb = round(rss_kb / 1024, 1)
            self.keep("biggest-rss", data)
            changed = True
        self.peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if changed:
            (RESULTS / f"stats-{self.format}.json").write_text(json.dumps(asdict(self)) + "\n")


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in FILE_NAMES:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(FILE_NAMES)}}} [libFuzzer options]")
    fmt = sys.argv.pop(1)
    name = FILE_NAMES[fmt]
    mapping = {name: fmt}
    rules = list(builtin_rules())
    options = Options(max_file_size=256 * 1024)
    work = Path(tempfile.mkdtemp(prefix="mtalint-fuzz-"))
    target = work / name
    RESULTS.mkdir(exist_ok=True)
    records = Records(fmt)

    def run(data: bytes) -> tuple[list[Any], float]:
        target.write_bytes(data)
        start = time.perf_counter()
        result = check([target], rules, Selection(), options, mapping)
        return result.findings, time.perf_counter() - start

    # the first check pays for lazy imports and caches: not an input's cost
    run(b"")
    _limit_memory()

    def one_input(data: bytes) -> None:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        findings, seconds = run(data)
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        output = sum(len(json.dumps(f.to_dict(), ensure_ascii=False)) for f in findings)
        records.note(data, seconds, output, len(findings), growth)
        for finding in findings:
            if finding.rule == INTERNAL_ERROR:
                raise InternalError(finding.message)
        if seconds > TIME_LIMIT:
            raise SlowInput(f"{seconds:.2f}s for {len(data)} bytes (limit {TIME_LIMIT}s)")
        if output > OUTPUT_LIMIT:
            raise LargeOutput(f"{output} bytes of findings for {len(data)} bytes of input")

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
