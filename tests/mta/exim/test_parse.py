"""Exim's line pre-pass and section readers, one behaviour at a time.

Each expectation here was checked against Exim 4.96 (``exim4 -C FILE -bV`` / ``-bP``);
tests/mta/exim/test_differential.py compares the two readers on many more files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.discover import discover
from linter.mta import Options
from linter.mta.exim import analyse
from linter.mta.exim.values import dequote, parse_expansion, printable


def model(
    tmp_path: Path,
    text: str | bytes,
    defines: dict[str, str] | None = None,
    name: str = "exim.conf",
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    for rel, content in (extra or {}).items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    sets, problems = discover([path])
    assert not problems
    return analyse(sets[0], Options(flags={"exim_defines": defines or {}})).model


def options(doc: dict[str, Any]) -> dict[str, str]:
    return {k: v["value"] for k, v in doc["exim"]["main"]["options"].items()}


def fatal(doc: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in doc["diagnostics"] if d["fatal"]), None)


# ---------------------------------------------------------------- macros


def test_macro_substitution_is_a_plain_substring_replacement(tmp_path: Path) -> None:
    doc = model(tmp_path, "AB = x\nsmtp_banner = fooABbar AB\n")
    assert options(doc)["smtp_banner"] == "fooxbar x"


def test_macros_apply_in_order_of_definition(tmp_path: Path) -> None:
    # X's value holds Y1, defined later: Y1 is replaced after X
    doc = model(tmp_path, "X = Y1\nY1 = z\nsmtp_banner = X\n")
    assert options(doc)["smtp_banner"] == "z"
    # a definition's value is substituted when it is read ...
    doc = model(tmp_path, "Y1 = z\nX = Y1\nsmtp_banner = X\n")
    assert options(doc)["smtp_banner"] == "z"
    # ... but -D values are not: with YY before XX, YY was looked for before XX brought it
    doc = model(tmp_path, "smtp_banner = XX\n", {"YY": "ZZ", "XX": "YY"})
    assert options(doc)["smtp_banner"] == "YY"
    doc = model(tmp_path, "smtp_banner = XX\n", {"XX": "YY", "YY": "ZZ"})
    assert options(doc)["smtp_banner"] == "ZZ"


def test_definition_name_is_not_substituted(tmp_path: Path) -> None:
    doc = model(tmp_path, "ABC = 1\nAB = 2\nsmtp_banner = ABC AB\n")
    assert fatal(doc) is None
    assert options(doc)["smtp_banner"] == "1 2"


def test_macro_containing_an_earlier_name_is_refused(tmp_path: Path) -> None:
    doc = model(tmp_path, "AB = 1\nABC = 2\n")
    assert fatal(doc)["message"] == (
        '"ABC" cannot be defined as a macro because previously defined macro "AB" is a substring'
    )


def test_redefinition_needs_double_equals(tmp_path: Path) -> None:
    doc = model(tmp_path, "A = 1\nA == 2\nsmtp_banner = A\n")
    assert options(doc)["smtp_banner"] == "2"
    doc = model(tmp_path, "A = 1\nA = 2\n")
    assert fatal(doc)["message"] == (
        'macro "A" is already defined (use "==" if you want to redefine it)'
    )
    doc = model(tmp_path, "B == 2\n")
    assert fatal(doc)["message"] == 'can\'t redefine an undefined macro "B"'


def test_command_line_define_overrides_the_file(tmp_path: Path) -> None:
    doc = model(tmp_path, "PORTS = 25\ndaemon_smtp_ports = PORTS\n", {"PORTS": "587"})
    assert options(doc)["daemon_smtp_ports"] == "587"
    assert doc["exim"]["macros"]["PORTS"] == "587"


def test_builtin_macros(tmp_path: Path) -> None:
    doc = model(tmp_path, ".ifdef _HAVE_TLS\nsmtp_banner = tls\n.endif\n")
    assert options(doc)["smtp_banner"] == "tls"
    doc = model(tmp_path, "X_HAVE_TLS = 1\n")
    assert "_HAVE_TLS" in fatal(doc)["message"]


def test_malformed_macro_definition(tmp_path: Path) -> None:
    doc = model(tmp_path, "primary_hostname = a\nAbc\n")
    assert fatal(doc)["message"] == "malformed macro definition"
    assert fatal(doc)["line"] == 2


# ---------------------------------------------------------------- conditionals


def test_conditionals_nest(tmp_path: Path) -> None:
    text = (
        "DEF = 1\n"
        ".ifdef DEF\n"
        "  .ifndef DEF\n  smtp_banner = no\n"
        "  .elifdef NOPE\n  smtp_banner = no\n"
        "  .else\n  smtp_banner = yes\n"
        "  .endif\n"
        ".else\nqueue_only\n.endif\n"
    )
    doc = model(tmp_path, text)
    assert options(doc) == {"smtp_banner": "yes"}


def test_missing_endif(tmp_path: Path) -> None:
    doc = model(tmp_path, "primary_hostname = a\n.ifdef FOO\nqueue_run_max = 3\n")
    d = fatal(doc)
    assert d["message"] == "Unexpected end of configuration file: .endif missing"
    assert d["exim_line"] == 3  # Exim names the last line of the file


def test_stray_endif(tmp_path: Path) -> None:
    doc = model(tmp_path, "primary_hostname = a\n.endif\n")
    assert fatal(doc)["message"] == ".endif without matching .ifdef"
    assert fatal(doc)["line"] == 2


def test_directive_followed_by_other_text_is_dropped(tmp_path: Path) -> None:
    # Exim accepts only a space (or end of line) after the word: ".ifdef<TAB>X" and
    # ".endif\r" are silently dropped lines
    doc = model(tmp_path, "primary_hostname = a\n.ifdef\tFOO\nqueue_run_max = 3\n.endif\n")
    assert fatal(doc)["message"] == ".endif without matching .ifdef"
    doc = model(tmp_path, b"primary_hostname = a\r\n.ifdef FOO\r\nqueue_run_max = 3\r\n.endif\r\n")
    assert fatal(doc)["message"] == "Unexpected end of configuration file: .endif missing"


def test_nesting_limit(tmp_path: Path) -> None:
    text = ".ifdef X\n" * 11 + ".endif\n" * 11
    assert fatal(model(tmp_path, text))["message"] == ".ifdef nested too deeply"


# ---------------------------------------------------------------- continuation, comments


def test_continuation(tmp_path: Path) -> None:
    doc = model(tmp_path, "smtp_banner = a \\\n     b\\\n  c\n")
    assert options(doc)["smtp_banner"] == "a bc"
    doc = model(tmp_path, "smtp_banner = a \\\n# comment\n  b\n")
    assert options(doc)["smtp_banner"] == "a b"
    doc = model(tmp_path, "smtp_banner = a \\\n\n  b\n")
    assert fatal(doc)["message"] == 'main option "b" unknown'
    doc = model(tmp_path, "smtp_banner = a \\")
    assert options(doc)["smtp_banner"] == "a "


def test_hash_inside_a_value_is_not_a_comment(tmp_path: Path) -> None:
    doc = model(tmp_path, "primary_hostname = a # c\n")
    assert options(doc)["primary_hostname"] == "a # c"


def test_quoted_strings(tmp_path: Path) -> None:
    doc = model(tmp_path, 'smtp_banner = "x\\ty\\\\z\\q\\101\\x41"\n')
    assert options(doc)["smtp_banner"] == "x\\ty\\zqAA"
    doc = model(tmp_path, 'smtp_banner = "x" # c\n')
    assert fatal(doc)["message"] == "extra characters follow string value for smtp_banner"
    assert dequote('"a\\"b"') == ('a"b', 6)
    assert printable("a\nb\x01") == "a\\nb\\001"


def test_bom_is_fatal(tmp_path: Path) -> None:
    doc = model(tmp_path, b"\xef\xbb\xbfprimary_hostname = a\n")
    assert fatal(doc)["message"] == "found unexpected BOM (Byte Order Mark)"


# ---------------------------------------------------------------- includes


def test_include_is_relative_to_the_including_file(tmp_path: Path) -> None:
    doc = model(
        tmp_path,
        "primary_hostname = a\n.include sub/a.conf\n",
        extra={"sub/a.conf": ".include b.conf\n", "sub/b.conf": "queue_run_max = 7\n"},
    )
    setting = doc["exim"]["main"]["options"]["queue_run_max"]
    assert setting["value"] == "7"
    assert setting["path"].endswith("sub/b.conf") and setting["line"] == 1


def test_include_errors(tmp_path: Path) -> None:
    doc = model(tmp_path, ".include_if_exists rel.conf\n")
    assert fatal(doc)["message"] == '.include specifies a non-absolute path "rel.conf"'
    doc = model(tmp_path, f".include_if_exists {tmp_path}/nope\nqueue_only\n")
    assert fatal(doc) is None
    doc = model(tmp_path, ".include nope.conf\n")
    assert fatal(doc)["message"].startswith("failed to open included configuration file ")


def test_include_cycle_is_reported_not_followed(tmp_path: Path) -> None:
    doc = model(tmp_path, ".include a.conf\n", extra={"a.conf": ".include exim.conf\n"})
    d = fatal(doc)
    assert d["kind"] == "include-cycle"
    assert d["message"].startswith("failed to open included configuration file")


def test_include_outside_the_tree_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret").write_text("queue_only\n")
    doc = model(tmp_path / "conf", ".include ../secret\n", extra={"conf/x": ""})
    assert options(doc) == {}
    d = doc["diagnostics"][0]
    assert d["kind"] == "include-not-read" and not d["fatal"]


# ---------------------------------------------------------------- sections and options


def test_sections(tmp_path: Path) -> None:
    doc = model(tmp_path, "begin router\nr:\n  driver = accept\n")
    assert doc["exim"]["routers"][0]["driver"] == "accept"
    doc = model(tmp_path, "begin foo\n")
    assert fatal(doc)["message"] == '"foo" is not a known configuration section name'
    doc = model(tmp_path, "begin routers\nbegin router\n")
    assert fatal(doc)["message"] == '"router" section is repeated in the configuration file'


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("foo = 1", 'main option "foo" unknown'),
        ("auto_thaw = 30", "invalid time value for auto_thaw"),
        ("queue_only = maybe", '"maybe" is not a valid value for the "queue_only" option'),
        ("no_smtp_banner", "negation prefix applied to a non-boolean option"),
        ("smtp_banner", "unexpected end of line (data missing) after smtp_banner"),
        ("queue_only = yes no", 'extra characters follow "yes" for boolean option queue_only'),
        ("domainlist d x", "missing '=' after \"d\""),
        ("1abc = x", "option setting expected: 1abc = x"),
        (
            "received_headers_max = 12x",
            "extra characters follow integer value for received_headers_max",
        ),
    ],
)
def test_option_errors(tmp_path: Path, line: str, message: str) -> None:
    doc = model(tmp_path, f"primary_hostname = a\n{line}\n")
    assert fatal(doc)["message"] == message
    assert fatal(doc)["exim_line"] == 2


def test_option_set_twice(tmp_path: Path) -> None:
    doc = model(tmp_path, "queue_run_max = 3\nqueue_run_max = 4\n")
    assert fatal(doc)["message"] == '"queue_run_max" option set for the second time'


def test_values_as_exim_prints_them(tmp_path: Path) -> None:
    doc = model(
        tmp_path,
        "check_log_space = 2048\nbounce_return_size_limit = 2048\nauto_thaw = 90m\n"
        "no_queue_only\nhide smtp_banner = x\n",
    )
    assert options(doc) == {
        "check_log_space": "2M",
        "bounce_return_size_limit": "2K",
        "auto_thaw": "1h30m",
        "queue_only": "false",
        "smtp_banner": "x",
    }
    assert doc["exim"]["main"]["options"]["smtp_banner"]["hidden"] is True


def test_drivers_and_acls(tmp_path: Path) -> None:
    doc = model(
        tmp_path,
        "acl_smtp_rcpt = check\nbegin acl\ncheck:\n  accept hosts = : +relay\n"
        "          !verify = recipient\n  deny\n"
        "begin routers\nr:\n  driver = dnslookup\n  no_more\nbegin transports\n"
        "t:\n  driver = smtp\n  port = 587\n",
    )
    acl = doc["exim"]["acls"]["check"]
    assert [s["verb"] for s in acl["statements"]] == ["accept", "deny"]
    cond = acl["statements"][0]["conditions"][1]
    assert cond == {"name": "verify", "value": "recipient", "line": 5, "negated": True}
    assert doc["exim"]["routers"][0]["options"]["more"]["value"] == "false"
    assert doc["exim"]["transports"][0]["options"]["port"]["value"] == "587"
    doc = model(tmp_path, "begin routers\nr:\n  driver = accept\nr:\n  driver = accept\n")
    assert fatal(doc)["message"] == 'there are two routers called "r"'
    doc = model(tmp_path, "begin acl\nfoo:\n  acept\n")
    assert fatal(doc)["message"] == 'error in ACL: unknown ACL verb "acept" in "acept"'


def test_heavy_only_driver_is_a_note(tmp_path: Path) -> None:
    doc = model(tmp_path, "begin authenticators\nd:\n  driver = dovecot\n  public_name = PLAIN\n")
    assert fatal(doc) is None
    assert any(d["kind"] == "build-dependent" for d in doc["diagnostics"])


def test_expansion_tree() -> None:
    exp = parse_expansion("${if def:tls_in_cipher {$sender_host_address}{${lookup{x}lsearch{/f}}}}")
    assert exp.tree is not None and "sender_host_address" in exp.variables
    assert {"if", "lookup"} <= set(exp.items)
    assert parse_expansion("${if {").error


# ---------------------------------------------------------------- discovery and CLI


def test_discovery(tmp_path: Path) -> None:
    (tmp_path / "configure").write_text("begin routers\n")
    (tmp_path / "other" / "configure").parent.mkdir()
    (tmp_path / "other" / "configure").write_text("CC=gcc\n")
    split = tmp_path / "etc" / "conf.d"
    (split / "main").mkdir(parents=True)
    (split / "main" / "01_main").write_text("queue_only\n")
    (split / "router").mkdir()
    (split / "router" / "10_r").write_text("begin routers\nr:\n  driver = accept\n")
    sets, _ = discover([tmp_path])
    formats = sorted(f.format for s in sets for f in s.files)
    assert formats == ["exim", "exim-split"]
    one_file, problems = discover([split / "router" / "10_r"])
    assert not problems and one_file[0].files[0].format == "exim-split"
    split_set = next(s for s in sets if s.files[0].format == "exim-split")
    doc = analyse(split_set, Options()).model
    assert options(doc) == {"queue_only": "true"}
    assert doc["exim"]["routers"][0]["name"] == "r"


def test_cli_define(tmp_path: Path) -> None:
    path = tmp_path / "exim.conf"
    path.write_text("PORTS = 25\ndaemon_smtp_ports = PORTS\n")
    result = CliRunner().invoke(main, ["parse", str(path), "--define", "PORTS=2525"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["exim"]["main"]["options"]["daemon_smtp_ports"]["value"] == "2525"
    result = CliRunner().invoke(main, ["check", str(path), "--define", "bad"])
    assert result.exit_code == 2


def test_repeatable_driver_options(tmp_path: Path) -> None:
    doc = model(
        tmp_path,
        "begin routers\nr:\n  driver = accept\n  transport = t\n  condition = a\n"
        "  condition = b\n  headers_add = X-A: 1\n  headers_add = X-B: 2\n"
        "  headers_remove = a : b\n  headers_remove = c\n"
        "begin transports\nt:\n  driver = pipe\n  headers_remove = a :: b : c\n",
    )
    router = {k: v["value"] for k, v in doc["exim"]["routers"][0]["options"].items()}
    assert router["condition"] == "${if and{{bool_lax{a}}{bool_lax{b}}}}"
    assert router["headers_add"] == "X-A: 1\\nX-B: 2"
    assert router["headers_remove"] == "a:b:c"
    transport = doc["exim"]["transports"][0]["options"]
    assert transport["headers_remove"]["value"] == "a :: b:c"
