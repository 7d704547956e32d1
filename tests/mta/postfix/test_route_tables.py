"""Postfix relay and transport tables kept in files (linter/mta/postfix/tables, routes).

The source text of a ``hash:``/``texthash:`` table is read as ``postmap`` reads it: the
entries are compared with what the real ``postmap -s`` prints for the same file, and
single keys with ``postmap -q``. The routes read from the file reach the relay provider
rules at their own lines; a table that cannot be read is reported once (PF049), and
nothing outside the checked folder is read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from linter.check import analyse_set, check
from linter.discover import discover
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.postfix.tables import parse_table, source_name, split_spec

POSTMAP = shutil.which("postmap") or "/usr/sbin/postmap"
needs_postmap = pytest.mark.skipif(not Path(POSTMAP).exists(), reason="postmap not installed")

# each case is a table source file with a trap postmap resolves one way
TRICKY = {
    "comments and blank lines": "# c\n\nexample.com smtp:[a.example]:587\n   \n  # c2\n",
    "continuation joined as written": "a.test smtp:[a.example]:587\n   continued here\n",
    "comment inside a continuation": "b.test smtp:[b.example]\n# x\n  more\n",
    "blank line inside a continuation": "d.test smtp:[d.example]\n\n  after.blank\n",
    "value on the continuation": "c.test    \n  smtp:[c.example]\n",
    "leading whitespace first": "   lead.test smtp:[x.example]\nok.test smtp:[ok.example]\n",
    "key without value": "novalue.test\nz.test smtp:[z.example]\n",
    "hash inside a value": "foo.test smtp:[b.example]:25 # not a comment\n",
    "duplicate key, first wins": "Dup.test smtp:[first.example]\ndup.test smtp:[second.example]\n",
    "upper-case key folded": "Example.ORG\tsmtp:[tab.example]:2525  \t \n",
    "CRLF line ends": "a.test smtp:[a.example]:587\r\nb.test relay:[b.example]\r\n",
    "quoted key kept as written": '"spaced key" smtp:[q.example]\n',
    "quotes and escapes in keys": 'a"b c"d v1\nx\\"y z v2\n"a\\"b c" v3\n',
    "unbalanced quote ignored": '"unclosed k v2\nok.test smtp:[ok.example]\n',
    "backslash at the end": "k\\\nnext v\n",
    "wildcard and dotted keys": "* smtp:[all.example]\n.sub.test relay:[e.example]\n",
    "empty file": "",
}


def _postmap(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    (folder / "main.cf").touch()
    return subprocess.run(
        [POSTMAP, "-c", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


# hash: builds a database first (slow on a busy disk): a few cases show it reads alike
HASH_TOO = ["duplicate key, first wins", "upper-case key folded", "CRLF line ends"]
CASES = [(n, "texthash") for n in sorted(TRICKY)] + [(n, "hash") for n in HASH_TOO]


@needs_postmap
@pytest.mark.parametrize(("name", "kind"), CASES)
def test_table_files_read_as_postmap_reads_them(name: str, kind: str, tmp_path: Path) -> None:
    text = TRICKY[name]
    (tmp_path / "table").write_text(text, newline="")
    table = tmp_path / "table"
    if kind == "hash":
        assert _postmap([f"hash:{table}"], tmp_path).returncode == 0
    done = _postmap(["-s", f"{kind}:{table}"], tmp_path)
    assert done.returncode == 0, done.stderr
    theirs = sorted(tuple(line.split("\t", 1)) for line in done.stdout.splitlines())
    entries, over = parse_table(text, 100)
    assert not over
    assert sorted((e.key, e.value) for e in entries) == theirs


@needs_postmap
def test_single_keys_answer_as_postmap_q_does(tmp_path: Path) -> None:
    text = "".join(TRICKY.values())
    (tmp_path / "table").write_text(text, newline="")
    table = tmp_path / "table"
    ours = {e.key: e.value for e in parse_table(text, 1000)[0]}
    for key in ["dup.test", "DUP.TEST", "example.org", "a.test", "c.test", "lead.test", "*"]:
        done = _postmap(["-q", key, f"texthash:{table}"], tmp_path)
        expected = done.stdout.rstrip("\n") if done.returncode == 0 else None
        assert ours.get(key.lower()) == expected, key


def test_entries_carry_their_line_and_the_value_column() -> None:
    text = "# head\nexample.com   smtp:[a.example]:465\nc.test\n  relay:[c.example]\n"
    entries, _ = parse_table(text, 10)
    assert [(e.key, e.line, e.column) for e in entries] == [
        ("example.com", 2, 15),
        ("c.test", 3, 1),
    ]


def test_the_number_of_entries_is_bounded() -> None:
    text = "".join(f"k{i}.test smtp:[r.example]\n" for i in range(50))
    entries, over = parse_table(text, 10)
    assert (len(entries), over) == (10, True)
    assert parse_table(text, 50) == (parse_table(text, 50)[0], False)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("hash:/etc/postfix/transport", ("hash", "/etc/postfix/transport")),
        ("proxy:lmdb:/etc/postfix/sender_relay", ("lmdb", "/etc/postfix/sender_relay")),
        ("texthash:/etc/postfix/t", ("texthash", "/etc/postfix/t")),
        ("/etc/postfix/transport", None),
        ("proxy:", None),
    ],
)
def test_table_specs(spec: str, parsed: tuple[str, str] | None) -> None:
    assert split_spec(spec) == parsed


@pytest.mark.parametrize(
    ("name", "config_directory", "rel"),
    [
        ("/etc/postfix/transport", "/etc/postfix", "transport"),
        ("/etc/postfix/maps/transport", "/etc/postfix", "maps/transport"),
        ("/usr/local/etc/postfix/transport", "/usr/local/etc/postfix", "transport"),
        ("/etc/postfix/../shadow", "/etc/postfix", None),
        ("/etc/shadow", "/etc/postfix", None),
        ("/etc/postfixtransport", "/etc/postfix", None),
        ("transport", "/etc/postfix", None),
        ("/etc/postfix", "/etc/postfix", None),
    ],
)
def test_only_files_under_the_configuration_directory_are_looked_for(
    name: str, config_directory: str, rel: str | None
) -> None:
    assert source_name(name, config_directory) == rel


# ------------------------------------------------------------------ routes and findings


def _analyse(folder: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    facts = analyse_set(discover([folder])[0][0], Options()).facts
    notes = [d for d in facts.get("diagnostics") if d["kind"] == "route-table-not-read"]
    return facts.get("posture.outbound.routes"), notes


def _findings(folder: Path, select: list[str]) -> list[tuple[str, str, int, int]]:
    result = check([folder], builtin_rules(), Selection(select=select), Options())
    return sorted(
        (f.rule, Path(f.span.path).name, f.span.line, f.span.column) for f in result.findings
    )


def test_routes_in_the_transport_file_are_judged_at_their_lines(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        "relayhost = [relay.example.net]:587\n"
        "smtp_tls_security_level = encrypt\n"
        "transport_maps = hash:/etc/postfix/transport\n"
    )
    (tmp_path / "transport").write_text(
        "# relay services\n"
        "example.com   smtp:[smtp.gmail.com]:465\n"
        "example.org   smtp:[smtp.sendgrid.net]:2465\n"
        "example.net   local:\n"
    )
    routes, notes = _analyse(tmp_path)
    assert [(r["key"], r["raw"]) for r in routes] == [
        ("example.com", "[smtp.gmail.com]:465"),
        ("example.org", "[smtp.sendgrid.net]:2465"),
    ]
    assert notes == []
    assert _findings(tmp_path, ["MTA025", "MTA026"]) == [
        ("MTA025", "transport", 3, 15),
        ("MTA026", "transport", 2, 15),
    ]


def test_sender_dependent_routes_in_a_texthash_file(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        "sender_dependent_relayhost_maps = texthash:/etc/postfix/sender_relay\n"
        "smtp_sasl_auth_enable = no\n"
    )
    (tmp_path / "sender_relay").write_text(
        "@example.com [smtp-relay.brevo.com]:587\n@example.org DUNNO\n"
    )
    assert _findings(tmp_path, ["MTA027"]) == [("MTA027", "sender_relay", 1, 14)]


def test_a_table_file_that_is_absent_is_said_once_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(
        "transport_maps = hash:/etc/postfix/transport, regexp:/etc/postfix/transport.re,\n"
        "  inline:{ example.com=smtp:[relay.example.net]:587 }\n"
        "sender_dependent_relayhost_maps = hash:/etc/postfix/sender_relay\n"
    )
    routes, notes = _analyse(tmp_path)
    assert [r["key"] for r in routes] == ["example.com"]
    messages = sorted(n["message"] for n in notes)
    assert len(messages) == 2
    assert messages[0].startswith(
        "sender_dependent_relayhost_maps: the next hops in hash:/etc/postfix/sender_relay ("
    )
    assert messages[1].startswith("transport_maps: the next hops in hash:/etc/postfix/transport (")
    assert "/transport is not in the checked folder); regexp:" in messages[1]
    assert "were not read; the relay provider checks do not cover them" in messages[1]
    found = _findings(tmp_path, ["PF049"])
    assert [(f[0], f[1], f[2]) for f in found] == [("PF049", "main.cf", 1), ("PF049", "main.cf", 3)]


def test_a_table_outside_the_configuration_directory_is_not_looked_for(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("transport_maps = hash:/etc/transport\n")
    (tmp_path / "transport").write_text("example.com smtp:[smtp.gmail.com]:465\n")
    routes, notes = _analyse(tmp_path)
    assert routes == []
    assert "/etc/transport is not a file in /etc/postfix" in notes[0]["message"]


def test_a_link_out_of_the_checked_folder_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "transport").write_text("example.com smtp:[smtp.gmail.com]:465\n")
    checked = tmp_path / "checked"
    checked.mkdir()
    (checked / "main.cf").write_text("transport_maps = hash:/etc/postfix/transport\n")
    os.symlink(outside / "transport", checked / "transport")
    routes, notes = _analyse(checked)
    assert routes == []
    assert len(notes) == 1 and "were not read" in notes[0]["message"]


def test_an_unreadable_table_file_is_a_note_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("transport_maps = hash:/etc/postfix/transport\n")
    (tmp_path / "transport").write_bytes(b"example.com smtp:[a\x00b]\n\xff\xfe\n")
    routes, notes = _analyse(tmp_path)
    assert routes == [] and len(notes) == 1


def test_the_routes_of_a_large_table_are_bounded(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text("transport_maps = hash:/etc/postfix/transport\n")
    (tmp_path / "transport").write_text(
        "".join(f"d{i}.example smtp:[smtp.sendgrid.net]:587\n" for i in range(500))
    )
    facts = analyse_set(discover([tmp_path])[0][0], Options()).facts
    limits = [d for d in facts.get("diagnostics") if d["kind"] == "limit-exceeded"]
    assert [(d["limit"], d["bound"]) for d in limits] == [("postfix_routes", 200)]
    assert len(facts.get("posture.outbound.routes")) == 200


def test_a_suppression_in_the_table_file_hides_the_finding_below_it(tmp_path: Path) -> None:
    # as in main.cf: a "# mtalint: ignore[...]" comment line silences the entry after it
    (tmp_path / "main.cf").write_text(
        "smtp_tls_security_level = encrypt\ntransport_maps = hash:/etc/postfix/transport\n"
    )
    (tmp_path / "transport").write_text(
        "# mtalint: ignore[MTA026] the relay wraps TLS itself\n"
        "example.com   smtp:[smtp.gmail.com]:465\n"
        "example.org   smtp:[smtp.sendgrid.net]:2465\n"
    )
    result = check([tmp_path], builtin_rules(), Selection(select=["MTA025", "MTA026"]), Options())
    assert [(f.rule, Path(f.span.path).name, f.span.line) for f in result.findings] == [
        ("MTA025", "transport", 3)
    ]
    assert [(f.rule, f.span.line) for f in result.suppressed_findings] == [("MTA026", 2)]
    assert result.suppressed_findings[0].suppression["line"] == 1


def test_the_text_summary_counts_the_table_file_its_findings_sit_in(tmp_path: Path) -> None:
    from linter.report import text_format

    (tmp_path / "main.cf").write_text(
        "smtp_tls_security_level = encrypt\ntransport_maps = hash:/etc/postfix/transport\n"
    )
    (tmp_path / "transport").write_text("example.com   smtp:[smtp.gmail.com]:465\n")
    result = check([tmp_path], builtin_rules(), Selection(select=["MTA026"]), Options())
    assert [Path(f.span.path).name for f in result.findings] == ["transport"]
    summary = text_format.render(result, builtin_rules()).splitlines()[-1]
    assert summary.endswith(" in 2 files"), summary
