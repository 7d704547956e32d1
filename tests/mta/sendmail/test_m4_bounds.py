"""The bounded m4 interpreter against inputs that make GNU m4 (or a naive reader) run
away: exponential regular expressions, output of gigabytes from one line, numbers of
thousands of digits.

Figures measured with GNU m4 1.4.19 on this machine (the tests do not rerun the slow
ones): ``patsubst(S, `', S)`` with S of 40,000 characters ran 120 s and grew to 4.4 GB
before it was stopped; ``format(`%1500000000s')`` wrote 1,500,000,001 bytes in 112 s
(2.9 GB resident); ``eval(1,10,1500000000)`` had written 1.48 GB after 120 s. The
regexp below takes GNU m4 0.03 s (answer 41), and ``incr`` of 4,301 nines prints
"numeric overflow detected in builtin `incr'" and 0.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from linter.limits import Limits
from linter.mta.sendmail.m4 import M4, OutputLimit, Source

HEAD = "divert(-1)dnl\ninclude(`/usr/share/sendmail/cf/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\n"
TAIL = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n"


class _TookTooLong(Exception):
    pass


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging when the code under test does not end (Python's re is
    interruptible by a signal)."""

    def ring(signum: int, frame: object) -> None:
        raise _TookTooLong(f"did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _m4(text: str, limits: Limits | None = None) -> M4:
    m = M4(limits=limits) if limits is not None else M4()
    m.run(Source("in.m4", text))
    return m


def _model(text: str, tmp_path: Path):  # noqa: ANN202 - a SendmailModel
    from linter.mta.sendmail.model import build_model

    mc = tmp_path / "config.mc"
    mc.write_text(HEAD + "divert(0)dnl\n" + text + TAIL, encoding="utf-8")
    return build_model(Source(str(mc), mc.read_text(encoding="utf-8"), "user"), tmp_path, 10**7)


def _limits(model) -> list[tuple[int, str, bool]]:  # noqa: ANN001
    return [
        (d.span.line, d.data.get("limit", ""), d.fatal)
        for d in model.diagnostics
        if d.kind == "limit-exceeded"
    ]


# ---------------------------------------------------------------- regular expressions


def test_exponential_pattern_runs_in_linear_time() -> None:
    text = "regexp(`" + "a" * 40 + "!', `\\(a*\\)*$')\n"
    started = time.monotonic()
    with _deadline(10):
        m = _m4(text)
    assert m.output() == "41\n"  # GNU m4 1.4.19
    assert time.monotonic() - started < 2
    assert not m.messages


def test_exponential_pattern_in_a_mc_file(tmp_path: Path) -> None:
    line = "regexp(`" + "a" * 40 + "!', `\\(a*\\)*$')dnl\n"
    with _deadline(20):
        model = _model(line, tmp_path)
    assert model.evaluated
    assert _limits(model) == []


def test_back_reference_runs_under_the_time_budget() -> None:
    # RE2 has no back-references: Python's re runs it, stopped at m4_regex_ms
    text = "regexp(`" + "a" * 40 + "!', `\\(\\(a*\\)*\\)\\1$')\n"
    started = time.monotonic()
    m = _m4(text, Limits(m4_regex_ms=200))
    assert time.monotonic() - started < 3
    limit = [x for x in m.messages if x.kind == "limit"]
    assert [x.limit for x in limit] == ["m4_regex_ms"]
    assert "raise with --limit m4_regex_ms=N" in limit[0].text


def test_regex_time_limit_is_a_finding_at_its_line(tmp_path: Path) -> None:
    from linter.mta.sendmail import model as model_module

    line = "regexp(`" + "a" * 40 + "!', `\\(\\(a*\\)*\\)\\1$')dnl\n"
    original = model_module.M4

    class Quick(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, limits=Limits(m4_regex_ms=200))  # type: ignore[arg-type]

    model_module.M4 = Quick  # type: ignore[misc]
    try:
        model = _model(line, tmp_path)
    finally:
        model_module.M4 = original  # type: ignore[misc]
    assert _limits(model) == [(5, "m4_regex_ms", False)]
    assert model.evaluated


def test_empty_pattern_matches_at_every_position() -> None:
    # GNU m4 1.4.19: -a-b-c-
    assert _m4("patsubst(`abc', `', `-')\n").output() == "-a-b-c-\n"


def test_patsubst_of_gigabytes_is_a_limit(tmp_path: Path) -> None:
    s = "x" * 40_000
    started = time.monotonic()
    with _deadline(30):
        model = _model(f"define(`S', `{s}')dnl\npatsubst(S, `', S)dnl\n", tmp_path)
    assert time.monotonic() - started < 10
    assert _limits(model) == [(6, "m4_output_size", False)]
    assert not model.evaluated  # no options from a half-evaluated file


# ---------------------------------------------------------------- output size


def test_format_width_is_bounded(tmp_path: Path) -> None:
    with _deadline(30):
        model = _model("format(`%1500000000s')dnl\n", tmp_path)
    assert _limits(model) == [(5, "m4_field_width", False)]
    assert model.evaluated


def test_eval_width_is_bounded(tmp_path: Path) -> None:
    with _deadline(30):
        model = _model("eval(1,10,1500000000)dnl\neval(2147483647,1)dnl\n", tmp_path)
    assert _limits(model) == [(5, "m4_field_width", False), (6, "m4_field_width", False)]


def test_format_width_of_many_digits_wraps_as_a_c_int() -> None:
    # GNU m4 reads the width into an int that wraps; 4,301 digits are no exception here
    m = _m4("format(`%" + "9" * 4301 + "d|', 5)\n")
    assert all(x.kind == "limit" for x in m.messages)


def test_total_output_is_bounded(tmp_path: Path) -> None:
    text = "define(`b', `format(`%1000000s', `')')dnl\n" + "b\n" * 70
    with _deadline(60):
        model = _model(text, tmp_path)
    assert [(limit, fatal) for _, limit, fatal in _limits(model)] == [("m4_output_size", False)]
    assert not model.evaluated
    assert not [d for d in model.diagnostics if d.fatal]


def test_output_limit_is_raised_by_the_interpreter() -> None:
    with pytest.raises(OutputLimit):
        _m4("define(`b', `xxxxxxxxxx')dnl\nb b b b b b b b b b\n", Limits(m4_output_size=50))


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("call", "output", "message"),
    [
        # GNU m4 1.4.19 on this machine: strtol saturates, the long becomes an int
        ("incr(" + "9" * 4301 + ")", "0", "m4: numeric overflow detected in builtin `incr'"),
        ("decr(" + "9" * 4301 + ")", "-2", "m4: numeric overflow detected in builtin `decr'"),
        (
            "substr(`abc', " + "9" * 4301 + ")",
            "",
            "m4: numeric overflow detected in builtin `substr'",
        ),
        ("eval(" + "9" * 4301 + ")", str(((10**4301 - 1) % 2**32) - 2**32), None),
        ("index(`" + "9" * 4301 + "', `9')", "0", None),
    ],
)
def test_huge_numbers_are_read_as_c_longs(call: str, output: str, message: str | None) -> None:
    m = _m4(call + "\n")
    assert m.output() == output + "\n"
    assert [x.text for x in m.messages] == ([message] if message else [])
