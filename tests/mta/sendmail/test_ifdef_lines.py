"""Calls inside an ``ifdef``/``ifelse`` branch are found at their own lines.

OpenBSD's openbsd-proto.mc writes its DAEMON_OPTIONS inside ``ifdef(`LOCALHOST_ONLY',
`...', `...')``: m4 reads the chosen branch again as it was written, so a finding about a
daemon must point at that daemon's DAEMON_OPTIONS line, not at the ``ifdef``.
"""

from __future__ import annotations

from pathlib import Path

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

MC = """\
divert(0)dnl
OSTYPE(`openbsd')dnl
FEATURE(`no_default_msa')dnl
ifdef(`LOCALHOST_ONLY', `
DAEMON_OPTIONS(`Family=inet, Addr=127.0.0.1, Name=MTA')dnl
DAEMON_OPTIONS(`Family=inet, Addr=127.0.0.1, Port=587, Name=MSA, M=E')dnl
',`
DAEMON_OPTIONS(`Family=inet, Address=0.0.0.0, Name=MTA')dnl
DAEMON_OPTIONS(`Family=inet, Address=0.0.0.0, Port=587, Name=MSA, M=E')dnl
DAEMON_OPTIONS(`Family=inet6, Address=::, Port=587, Name=MSA6, M=O, M=E')dnl
')dnl
MAILER(`local')dnl
MAILER(`smtp')dnl
"""


def findings(tmp_path: Path, text: str, rule: str) -> list[int]:
    (tmp_path / "openbsd.mc").write_text(text)
    result = check([tmp_path], builtin_rules(), Selection(select=[rule]), Options())
    return sorted(f.span.line for f in result.findings)


def test_a_daemon_in_the_chosen_branch_is_found_at_its_line(tmp_path: Path) -> None:
    # MSA (line 9) and MSA6 (line 10) do not require AUTH; each line is where M=Ea goes
    assert findings(tmp_path, MC, "MTA003") == [9, 10]


def test_the_other_branch_when_its_macro_is_defined(tmp_path: Path) -> None:
    # with LOCALHOST_ONLY defined the loopback daemons apply: nothing is exposed
    text = MC.replace("divert(0)dnl\n", "divert(0)dnl\ndefine(`LOCALHOST_ONLY', `1')dnl\n")
    assert findings(tmp_path, text, "MTA003") == []
    assert findings(
        tmp_path, text.replace("Addr=127.0.0.1, Port=587", "Addr=0.0.0.0, Port=587"), "MTA003"
    ) == [7]
