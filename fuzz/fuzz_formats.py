"""Coverage-guided fuzzing of every reader, through the whole check pipeline (atheris).

    python fuzz/fuzz_formats.py FORMAT [atheris/libFuzzer options] [CORPUS_DIR ...]

FORMAT is one of postfix-main, postfix-master, exim, sendmail-mc, hmailserver-ini,
hmailserver-xml, hmailserver-json. Each input is written as that format's file and
checked with every rule, read as that format whatever its content (as a user's
``formats:`` mapping would have it): discovery alone would skip most inputs, a .mc file
without a sendmail macro call for one. mtalint turns an unexpected exception into an internal-error
finding (MTL001) instead of a traceback; here that finding is the crash, re-raised so
libFuzzer stops and saves the input. fuzz/run.sh runs every target for a while and
prints how many inputs each ran.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

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
}


class InternalError(Exception):
    """mtalint reported an internal error for this input."""


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

    def one_input(data: bytes) -> None:
        target.write_bytes(data)
        result = check([target], rules, Selection(), options, mapping)
        for finding in result.findings:
            if finding.rule == INTERNAL_ERROR:
                raise InternalError(finding.message)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
