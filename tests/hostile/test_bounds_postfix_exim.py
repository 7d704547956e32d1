"""Bounds on the work a Postfix or Exim configuration may cause, and numbers too long to
read: each is a finding with a position (MTL005) or the MTA's own error, never a hang, an
unbounded allocation or an internal error.

The reference for each case is the MTA itself on the same input (figures measured with
postconf 3.7 and exim 4.96 are in the comments).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linter.limits import Limits
from linter.mta.postfix.expand import expand
from linter.mta.postfix.model import build_model
from linter.mta.postfix.parse import parse_main
from linter.source import SourceFile
from tests.paths import ROOT

TIME_LIMIT = 30


def check(folder: Path, *names: str) -> tuple[dict[str, Any], float]:
    """``mtalint check --format json`` on ``names`` in ``folder``: the document and seconds."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "check", *names, "--format", "json"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.monotonic() - start
    assert proc.returncode in (0, 1, 2), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return json.loads(proc.stdout), elapsed


def findings(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["rule"] == rule]


# ---------------------------------------------------------------- Postfix $name expansion


def postfix_bomb(levels: int = 8, copies: int = 10) -> str:
    """``a0 = x``, then each parameter ten copies of the one before: a_n is 10**n bytes."""
    lines = ["a0 = x"]
    lines += [f"a{i} = " + f"$a{i - 1}" * copies for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def model_of(text: str, limits: Limits | None = None):
    main = parse_main(SourceFile("main.cf", text))
    return build_model(main, None, limits=limits or Limits())


def test_postfix_expansion_bomb_is_a_finding_at_the_parameter_that_grows_too_big(tmp_path):
    # 295 bytes; postconf -nx prints a0..a7 (11 MB) in 3.4 s, 33 MB; mtalint ran past 60 s
    # at 160 MB before the bound
    (tmp_path / "main.cf").write_text(postfix_bomb())
    doc, elapsed = check(tmp_path, "main.cf")
    limit = findings(doc, "MTL005")
    assert [f["line"] for f in limit] == [8], limit  # a7 = 10 MB, over the 1 MB bound
    assert "$a7" in limit[0]["message"] and "postfix_expansion_size" in limit[0]["message"]
    assert elapsed < 15


def test_one_level_less_expands_fully_and_as_postconf_does():
    model = model_of(postfix_bomb(levels=6))
    assert model.value("a6") == "x" * 10**6
    assert not model.unknown("a6")
    assert not [d for d in model.diagnostics if d.kind == "limit-exceeded"]


def test_the_size_bound_is_configurable():
    model = model_of(postfix_bomb(levels=3), Limits(postfix_expansion_size=99))
    assert model.value("a1") == "x" * 10
    assert model.unknown("a2")  # 100 characters
    assert model.unknown("a3")  # uses a2
    [diag] = [d for d in model.diagnostics if d.kind == "limit-exceeded"]
    assert diag.span.line == 3 and diag.data["limit"] == "postfix_expansion_size"


def test_the_work_bound_stops_many_big_values():
    # twenty parameters of 100,000 characters each: within the size bound, not the work one
    text = "a0 = " + "x" * 100 + "\n"
    text += "a1 = " + "$a0" * 1000 + "\n"
    text += "".join(f"b{i} = $a1 {i}\n" for i in range(20))
    model = model_of(text, Limits(postfix_expansion_work=1_000_000))
    limits = [d for d in model.diagnostics if d.kind == "limit-exceeded"]
    assert len(limits) == 1 and limits[0].data["limit"] == "postfix_expansion_work"
    assert model.budget.spent <= 1_000_000 + 200_000


def test_a_value_that_is_long_text_is_not_an_expansion():
    model = model_of("myhostname = " + "a" * 2_000_000 + "\n")
    assert len(model.value("myhostname")) == 2_000_000
    assert not model.diagnostics


def test_expansion_results_are_the_same_with_a_memo():
    values = {"a": "$b$b", "b": "${c?{$d}:{no}}", "c": "1", "d": "$$x"}
    assert expand("$a-$b", values.get).value == "$x$x-$x"


def test_no_finding_is_built_on_a_value_that_is_not_known(tmp_path):
    # relay and TLS rest on a value past the bound: reported once, as a limit, and not as
    # "smtpd refuses to start" or "no TLS", which a truncated or raw value would suggest
    text = postfix_bomb(levels=7)
    text += "smtpd_relay_restrictions = $a7\nsmtpd_tls_security_level = $a7\n"
    (tmp_path / "main.cf").write_text(text)
    (tmp_path / "master.cf").write_text("submission inet n - n - - smtpd\n")
    doc, _ = check(tmp_path, "main.cf", "master.cf")
    assert [f["line"] for f in findings(doc, "MTL005")] == [8]
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert errors == []
    lines = {f["line"] for f in doc["findings"] if f["rule"] != "MTL005"}
    assert not lines & {9, 10}, doc["findings"]


def test_unknown_relay_verdict_in_the_model():
    model = model_of(postfix_bomb(levels=7) + "smtpd_relay_restrictions = $a7\n")
    assert model.unknown("smtpd_relay_restrictions")
    assert not model.unknown("smtpd_recipient_restrictions")


# ---------------------------------------------------------------- Postfix numbers


def test_huge_compatibility_level_is_postconfs_error(tmp_path):
    # postconf -n: 'warning: malformed compatibility level syntax: "333..."', then
    # 'fatal: macro processing error'
    (tmp_path / "main.cf").write_text("compatibility_level = " + "3" * 4301 + "\n")
    doc, _ = check(tmp_path, "main.cf")
    [rejected] = findings(doc, "MTA021")
    assert rejected["line"] == 1 and "malformed compatibility level" in rejected["message"]
    assert len(rejected["message"]) < 300


@pytest.mark.parametrize("digits", [20, 4301])
def test_huge_number_in_a_comparison_is_postconfs_error(digits):
    # postconf -x: "fatal: mac_exp_eval: bad conversion: 999..." for 20 digits and more
    number = "9" * digits
    result = expand(f"${{{{{number}}} == {{{number}}} ? {{eq}} : {{ne}}}}", {}.get)
    assert result.errors and "bad conversion" in result.errors[0]


def test_a_number_that_fits_is_compared_as_a_number():
    # postconf -x: ${{9223372036854775807} == {09223372036854775807} ? {eq} : {ne}} = eq
    text = "${{9223372036854775807} == {09223372036854775807} ? {eq} : {ne}}"
    assert expand(text, {}.get).value == "eq"


# ---------------------------------------------------------------- Exim reading


def exim_fan_out(folder: Path, copies: int = 50) -> None:
    """exim.conf includes f2 50 times, f2 includes f3 50 times, f3 includes f4 50 times:
    125,000 reads of f4 from 9 KB of files."""
    (folder / "f4.conf").write_text("# leaf\n")
    for outer, inner in (("f3", "f4"), ("f2", "f3")):
        (folder / f"{outer}.conf").write_text(f".include {folder}/{inner}.conf\n" * copies)
    (folder / "exim.conf").write_text(
        "primary_hostname = mx.example.com\n" + f".include {folder}/f2.conf\n" * copies
    )


def test_exim_include_fan_out_is_bounded(tmp_path):
    # exim -bV reads it all (5.7 s here); mtalint ran past 120 s before the bound
    exim_fan_out(tmp_path)
    doc, elapsed = check(tmp_path, "exim.conf")
    [limit] = findings(doc, "MTL005")
    assert "exim_includes" in limit["message"] and limit["path"] == "f2.conf"
    assert elapsed < 20


def test_exim_lines_read_bound(tmp_path):
    from linter.discover import discover
    from linter.mta import Options
    from linter.mta.exim import read_model

    (tmp_path / "part.conf").write_text("# line\n" * 60)
    (tmp_path / "exim.conf").write_text(
        "primary_hostname = mx.example.com\n" + ".include part.conf\n" * 3
    )
    [config_set], _ = discover([tmp_path / "exim.conf"])
    options = Options(limits=Limits(exim_lines_read=150))
    _, diagnostics, _ = read_model(config_set, options)
    [limit] = [d for d in diagnostics if d.kind == "limit-exceeded"]
    assert limit.span.line == 4 and limit.data["limit"] == "exim_lines_read"


def exim_macro_bomb(levels: int) -> str:
    """Each macro six copies of the one before; Exim expands a definition's value when
    it reads it, so A7 is 4.7 MB and A8 28 MB."""
    lines = ["A0 = xxxxxxxxxxxxxxxx"]
    lines += [f"A{i} = " + " ".join([f"A{i - 1}"] * 6) for i in range(1, levels + 1)]
    return "\n".join(lines) + f"\nprimary_hostname = A{levels}\n"


def test_exim_macro_bomb_is_bounded(tmp_path):
    # 228 bytes: exim -bV runs past 120 s; 205 bytes (A7): exim -bV accepts it in 2.5 s
    (tmp_path / "exim.conf").write_text(exim_macro_bomb(8))
    doc, elapsed = check(tmp_path, "exim.conf")
    [limit] = findings(doc, "MTL005")
    assert limit["line"] == 8 and "exim_macro_line_size" in limit["message"]
    assert elapsed < 15


def test_exim_macro_work_bound_stops_reading(tmp_path):
    from linter.discover import discover
    from linter.mta import Options
    from linter.mta.exim import read_model

    (tmp_path / "exim.conf").write_text(exim_macro_bomb(4) + ".ifdef A1\n")
    [config_set], _ = discover([tmp_path / "exim.conf"])
    _, diagnostics, _ = read_model(config_set, Options(limits=Limits(exim_macro_work=20_000)))
    [limit] = [d for d in diagnostics if d.kind == "limit-exceeded"]
    assert limit.data["limit"] == "exim_macro_work"
    # reading stopped there: no ".endif missing" about the .ifdef after it
    assert not [d for d in diagnostics if "endif" in d.message]


def test_exim_macro_substitution_is_unchanged_within_the_bounds():
    from linter.mta.exim.reader import Reader, SourceText, split_physical

    text = "AB = 1\nA = 2\nX = AB A _Z AAB\n"
    reader = Reader(
        SourceText(Path("exim.conf"), "exim.conf", split_physical(text)), lambda *_: None
    )
    line = reader.next_line()
    while line is not None and not line.text.startswith("X"):
        reader.read_macro_assignment(line)
        line = reader.next_line()
    assert line is not None and line.text == "X = 1 2 _Z 21"


# ---------------------------------------------------------------- Exim numbers


@pytest.mark.parametrize(
    ("condition", "relay"),
    [
        # acl.c ACLC_CONDITION: digits → Uatoi() != 0; atoi() saturates, so a huge number
        # is true, like "1"
        ("9" * 4301, "open"),
        ("0" * 4301, "closed"),
        # the port is out of range: never the client's port; Exim's "==" fails
        ("${if ={$received_port}{" + "9" * 4301 + "}{yes}{no}}", "unknown"),
    ],
)
def test_exim_huge_numbers_in_conditions(tmp_path, condition, relay):
    (tmp_path / "exim.conf").write_text(
        "primary_hostname = mx.example.com\nacl_smtp_rcpt = acl_check_rcpt\nbegin acl\n"
        f"acl_check_rcpt:\n  accept condition = {condition}\n  deny\n"
    )
    doc, _ = check(tmp_path, "exim.conf")
    assert not findings(doc, "MTL001")
    open_relay = findings(doc, "MTA001")
    assert bool(open_relay) == (relay == "open")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # an expanded string: exim -bV accepts it
        ("message_size_limit = " + "9" * 4301, None),
        # exim -bV: 'absolute value of integer "999..." is too large (overflow)'
        ("smtp_accept_max = " + "9" * 4301, "too large"),
        # readconf_readtime() wraps in a C int: "invalid time value" when negative
        ("callout_domain_negative_expire = " + "9" * 4301 + "s", "invalid time value"),
        ("callout_domain_negative_expire = 2147483648s", "invalid time value"),
        ("callout_domain_negative_expire = 99999999999s", None),  # wraps to 1215752191
        # exim -bV: 'integer "999..." is too large (overflow)'
        ("deliver_queue_load_max = " + "9" * 4301, "too large"),
    ],
)
def test_exim_huge_option_values(tmp_path, line, message):
    (tmp_path / "exim.conf").write_text(f"primary_hostname = mx.example.com\n{line}\n")
    doc, _ = check(tmp_path, "exim.conf")
    assert not findings(doc, "MTL001")
    rejected = findings(doc, "MTA021")
    if message:
        assert any(message in f["message"] for f in rejected)
    else:
        assert rejected == []
