"""What a configuration, a DNS answer or a file name contributes reaches no output raw.

A CI job prints mtalint's output to a log that a terminal or a CI runner interprets: an
escape sequence retitles or clears the terminal, a carriage return or newline forges a
``file:1:1: MTA001 error:`` line, a line starting with ``::`` is a GitHub workflow command
(``::stop-commands::``), a Markdown report posted as a pull-request comment notifies
``@people`` and links ``#issues``. And a file name that is not UTF-8 (Python holds its
bytes as lone surrogates) must not crash a format (exit 3) nor leave an un-encodable
character in it.

The CLI runs in a subprocess with real bytes in its arguments and output, as in CI.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urljoin, urlsplit

import pytest

from linter.check import CheckResult
from linter.findings import Finding
from linter.report import github_format, sarif_format, text_format
from linter.source import Span
from linter.textsafe import display_path, printable, uri_path
from tests.paths import ROOT

MTALINT = [
    sys.executable,
    "-c",
    "import sys; from linter.cli import main; sys.exit(main(prog_name='mtalint'))",
]

# anything a terminal, a CI log or a bidi-aware viewer acts on (newline allowed: it ends
# the lines mtalint itself writes)
RAW_CONTROL = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufeff\ud800-\udfff]"
)
# a GitHub Actions workflow command: "::" at the start of a line, after blanks
WORKFLOW_COMMAND = re.compile(r"^\s*::", re.MULTILINE)

# ESC ] 0 ; (OSC: set the terminal title) ... BEL, ESC [ 2 J (clear the screen), a
# right-to-left override, C1 NEL and CSI, the Unicode line separator, and a mention,
# a team mention, an issue reference and links for the Markdown tests
BANNER = (
    "$myhostnam \x1b]0;pwned\x07\x1b[2J \u202eevil \x85 \u2028 \x9b"
    " @octocat @org/team #12 GH-3 https://evil.example/x www.evil.example a@b.example"
)
BANNER_MAIN = f"myhostname = mx.example.com\nsmtpd_banner = {BANNER}\n"


def mtalint(*args: str | bytes | Path, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [*MTALINT, *args], cwd=cwd, capture_output=True, timeout=120, env=env, check=False
    )
    assert b"internal error" not in proc.stderr, proc.stderr
    assert b"Traceback" not in proc.stderr, proc.stderr
    return proc


def utf8(data: bytes) -> str:
    """Output as text; it must be valid UTF-8 (no byte of a non-UTF-8 name left raw)."""
    return data.decode("utf-8")


def _strings(value: object) -> list[str]:
    """Every string in a JSON document."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.fixture
def banner_set(tmp_path: Path) -> Path:
    folder = tmp_path / "inj"
    folder.mkdir()
    (folder / "main.cf").write_text(BANNER_MAIN, encoding="utf-8")
    return tmp_path


def finding(message: str, path: str = "h/main.cf", fix: str = "") -> Finding:
    return Finding("PF035", "error", message, Span(path, 2, 1), title="A title", fix=fix)


# ---------------------------------------------------------------- the escaping itself


def test_printable_escapes_what_a_terminal_acts_on() -> None:
    assert printable("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert printable("\x1b]0;t\x07") == "\\x1b]0;t\\x07"
    assert printable("x\ry\nz\t") == "x\\x0dy\\x0az\\x09"
    assert printable("\x7f\x85\x9b") == "\\x7f\\x85\\x9b"
    assert printable("\u202eabc\u2066\u2028\u2029") == "\\u202eabc\\u2066\\u2028\\u2029"
    # the surrogate escape of byte 0xff (os.fsdecode(b"\xff")) shows as that byte
    assert printable(os.fsdecode(b"bad\xff")) == "bad\\xff"
    assert printable("\ud800") == "\\ud800"
    # ordinary text, non-ASCII letters and symbols included, is left alone
    for text in ("smtpd_banner = $myhostname ESMTP", "Grüße, 中文, ✅ — “q”", "C:\\x"):
        assert printable(text) == text
    printable("".join(map(chr, range(0x20))) + "\udcff").encode("utf-8")


def test_display_path_never_starts_a_workflow_command() -> None:
    assert display_path("::stop-commands::x/main.cf") == "\\x3a:stop-commands::x/main.cf"
    assert display_path("  ::error::x") == "  \\x3a:error::x"
    assert display_path("a::b/main.cf") == "a::b/main.cf"
    assert display_path("x\n::warning::y") == "x\\x0a::warning::y"


def test_uri_path_is_percent_encoded_and_decodes_back() -> None:
    path = "a b#c%d?e/main.cf"
    uri = uri_path(path)
    assert uri == "a%20b%23c%25d%3Fe/main.cf"
    parts = urlsplit(uri)
    assert (parts.scheme, parts.query, parts.fragment) == ("", "", "")
    assert unquote(parts.path) == path
    weird = os.fsdecode(b"\xff\xfe x/\xc3\xa9t\xc3\xa9/main.cf")
    assert unquote_to_bytes(uri_path(weird)) == os.fsencode(weird)
    assert uri_path("dir\\sub\\main.cf") == "dir/sub/main.cf"


# ---------------------------------------------------------------- the renderers


@pytest.mark.parametrize("render", [text_format.render, github_format.render])
def test_human_formats_escape_messages_fixes_and_paths(render) -> None:  # type: ignore[no-untyped-def]
    message = "banner \x1b]0;t\x07 x\rfake/main.cf:1:1: MTA001 error: forged\n::stop-commands::p"
    result = CheckResult(
        findings=[
            finding(message, fix="set\x1b[2J it\nthen\u202e reload"),
            finding("ok", path=os.fsdecode(b"bad\xff/x\n::error::y/main.cf")),
        ],
        files=["h/main.cf"],
    )
    out = render(result, [], False)
    out.encode("utf-8")
    assert not RAW_CONTROL.search(out), out
    assert "\\x1b]0;t\\x07" in out and "\\x0dfake/main.cf:1:1" in out
    assert "bad\\xff/x\\x0a" in out
    assert "\\u202e" in out
    if render is text_format.render:
        assert not WORKFLOW_COMMAND.search(out), out
        # the fix too is one line: it quotes configuration values
        assert "    fix: set\\x1b[2J it\\x0athen\\u202e reload\n" in out
    else:
        # one workflow command per finding, nothing else at the start of a line
        assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::error"] * 2
        assert "%0Afix: set\\x1b[2J it\\x0athen\\u202e reload" in out


def test_text_colour_codes_are_still_mtalint_own() -> None:
    result = CheckResult(findings=[finding("\x1b[2J")], files=["h/main.cf"])
    out = text_format.render(result, [], True)
    assert "\x1b[31merror\x1b[0m" in out
    assert out.count("\x1b") == 2 and "\\x1b[2J" in out


def test_sarif_uri_is_percent_encoded(tmp_path: Path) -> None:
    from tests.report.schemas import sarif_schema, validator

    path = "a b#c%d?e/main.cf"
    doc = sarif_format.build(CheckResult(findings=[finding("m", path=path)], files=[path]), [])
    [run] = doc["runs"]
    uris = [run["artifacts"][0]["location"]["uri"]]
    uris.append(run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
    for uri in uris:
        assert uri == "a%20b%23c%25d%3Fe/main.cf"
        assert unquote(urlsplit(uri).path) == path
    assert list(validator(sarif_schema()).iter_errors(doc)) == []


# ---------------------------------------------------------------- through the CLI


def test_sarif_uris_name_the_files_checked(tmp_path: Path) -> None:
    from tests.report.schemas import sarif_schema, validator

    folder = tmp_path / "a b#c%d?e"
    folder.mkdir()
    (folder / "main.cf").write_text("myhostname = mx.example.com\nmynetworks = 0.0.0.0/0\n")
    proc = mtalint("check", "--no-config", "--format", "sarif", folder.name, cwd=tmp_path)
    doc = json.loads(utf8(proc.stdout))
    assert list(validator(sarif_schema()).iter_errors(doc)) == []
    [run] = doc["runs"]
    uris = {a["location"]["uri"] for a in run["artifacts"]}
    uris |= {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
        for loc in result["locations"]
    }
    assert uris == {"a%20b%23c%25d%3Fe/main.cf"}
    # read back as a URI reference against the checkout: the file that was checked
    resolved = urlsplit(urljoin(tmp_path.as_uri() + "/", uris.pop()))
    assert (resolved.query, resolved.fragment) == ("", "")
    assert Path(unquote(resolved.path)) == folder / "main.cf"


@pytest.mark.parametrize("colour", ["--color", "--no-color"])
def test_text_output_shows_a_hostile_banner_as_escapes(banner_set: Path, colour: str) -> None:
    proc = mtalint("check", "--no-config", colour, "inj", cwd=banner_set)
    out = utf8(proc.stdout)
    pf035 = [line for line in out.splitlines() if " PF035 " in line]
    assert pf035, out
    assert "\\x1b]0;pwned\\x07\\x1b[2J \\u202eevil \\x85 \\u2028 \\x9b" in pf035[0]
    shown = out.replace("\x1b[31m", "").replace("\x1b[33m", "").replace("\x1b[36m", "")
    assert not RAW_CONTROL.search(shown.replace("\x1b[0m", "")), out


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_an_hmailserver_name_with_encoded_newlines_forges_nothing(tmp_path: Path, fmt: str) -> None:
    """JSON decodes ``\\n`` and ``\\u001b`` in an IP range's name to real characters."""
    source = ROOT / "tests" / "fixtures" / "hmailserver" / "fresh-install-json"
    doc = json.loads((source / "hmailserver-settings.json").read_text(encoding="utf-8"))
    forged = "x\nexport.json:1:1: MTA001 error: forged\r\n::stop-commands::pwned\x1b]0;t\x07"
    doc["SecurityRanges"][0]["Name"] = forged
    doc["SecurityRanges"][0]["RequireSMTPAuthExternalToExternal"] = False
    (tmp_path / "hm").mkdir()
    (tmp_path / "hm" / "export.json").write_text(json.dumps(doc), encoding="utf-8")
    proc = mtalint("check", "--no-config", "--format", fmt, "hm", cwd=tmp_path)
    out = utf8(proc.stdout)
    assert "x\\x0aexport.json:1:1: MTA001 error: forged\\x0d\\x0a::stop-commands::pwned" in out
    assert not RAW_CONTROL.search(out), out
    if fmt == "text":
        assert not WORKFLOW_COMMAND.search(out)
        assert all(
            line.startswith(("hm/export.json:", "    fix: ")) for line in out.splitlines()[:-2]
        )
    else:
        assert all(
            line.startswith(("::error ", "::warning ", "::notice ")) for line in out.splitlines()
        )


def test_github_stderr_never_carries_a_workflow_command(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "main.cf").write_text("myhostname = mx.example.com\n")
    proc = mtalint(
        "check", "--no-config", "--format", "github", "h", "x\n::stop-commands::pwned", cwd=tmp_path
    )
    err = utf8(proc.stderr)
    assert "x\\x0a::stop-commands::pwned" in err
    assert not WORKFLOW_COMMAND.search(err), err
    assert not RAW_CONTROL.search(err), err


def test_a_file_name_cannot_start_a_workflow_command(tmp_path: Path) -> None:
    folder = tmp_path / "::warning file=a::pwned"
    folder.mkdir()
    (folder / "main.cf").write_text("myhostname = mx.example.com\nmynetworks = 0.0.0.0/0\n")
    proc = mtalint("check", "--no-config", folder.name, cwd=tmp_path)
    out = utf8(proc.stdout)
    assert "\\x3a:warning file=a::pwned/main.cf:" in out
    assert not WORKFLOW_COMMAND.search(out), out


def test_stale_baseline_entries_are_escaped(tmp_path: Path) -> None:
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "main.cf").write_text("myhostname = mx.example.com\n")
    entry = {
        "fingerprint": "0" * 32,
        "rule": "PF\x1b[2J",
        "path": "h/main.cf\n::stop-commands::x",
        "message": "gone\r\x1b]0;t\x07\u202e",
    }
    baseline = {"tool": "mtalint", "version": "0", "format": 1, "findings": [entry]}
    (tmp_path / "b.json").write_text(json.dumps(baseline))
    proc = mtalint(
        "check", "--no-config", "--baseline", "b.json", "--show-stale", "h", cwd=tmp_path
    )
    err = utf8(proc.stderr)
    assert "no longer occurs: PF\\x1b[2J h/main.cf\\x0a::stop-commands::x: gone\\x0d" in err
    assert not RAW_CONTROL.search(err) and not WORKFLOW_COMMAND.search(err), err


def test_explain_escapes_rule_text(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from click.testing import CliRunner

    from linter.cli import main
    from linter.engine import rules as rules_module

    real = rules_module.builtin_rules

    def hostile(with_tests: bool = False):  # type: ignore[no-untyped-def]
        out = list(real(with_tests=with_tests))
        out[0] = dataclasses.replace(out[0], title="t\x1b]0;x\x07", rationale="why\u202e\x1b[2J")
        return out

    monkeypatch.setattr(rules_module, "builtin_rules", hostile)
    first = real()[0].id
    result = CliRunner().invoke(main, ["explain", first])
    assert result.exit_code == 0, result.output
    assert "t\\x1b]0;x\\x07" in result.output and "why\\u202e\\x1b[2J" in result.output
    assert not RAW_CONTROL.search(result.output)


def test_test_rules_escapes_a_custom_rule(tmp_path: Path) -> None:
    from tests.cli.common import rule_folder

    def hostile(data):  # type: ignore[no-untyped-def]
        for case in data["tests"]:
            case["name"] = "case \x1b]0;x\x07\u202e\n::error::forged"
            case["expect"] = "pass" if case["expect"] == "trigger" else "trigger"

    folder = rule_folder(tmp_path, hostile)
    proc = mtalint("test-rules", folder, cwd=tmp_path)
    out = utf8(proc.stdout)
    assert "FAIL ORG001 [" in out and "case \\x1b]0;x\\x07\\u202e\\x0a::error::forged" in out
    assert not RAW_CONTROL.search(out) and not WORKFLOW_COMMAND.search(out), out


# ---------------------------------------------------------------- names that are not UTF-8

FORMATS = ["text", "json", "sarif", "gitlab", "junit", "github"]


@pytest.fixture
def non_utf8_set(tmp_path: Path) -> Path:
    folder = Path(os.fsdecode(bytes(tmp_path) + b"/bad\xff"))
    folder.mkdir()
    (folder / "main.cf").write_text("myhostname = mx.example.com\nmynetworks = 0.0.0.0/0\n")
    return tmp_path


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_check_format_renders_a_non_utf8_name(non_utf8_set: Path, fmt: str) -> None:
    proc = mtalint("check", "--no-config", "--format", fmt, b"bad\xff", cwd=non_utf8_set)
    assert proc.returncode == 1, proc.stderr
    out = utf8(proc.stdout)
    assert not RAW_CONTROL.search(out)
    if fmt in ("json", "sarif", "gitlab"):
        doc = json.loads(out)
        if fmt == "sarif":
            from tests.report.schemas import sarif_schema, validator

            assert list(validator(sarif_schema()).iter_errors(doc)) == []
            uris = {r["location"]["uri"] for r in doc["runs"][0]["artifacts"]}
            assert uris == {"bad%FF/main.cf"}
        else:
            assert any("bad\\xff/main.cf" in s for s in _strings(doc)), out
    else:
        assert "bad\\xff/main.cf" in out, out


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_every_report_format_renders_a_non_utf8_name(non_utf8_set: Path, fmt: str) -> None:
    proc = mtalint("report", "--no-config", "--format", fmt, b"bad\xff", cwd=non_utf8_set)
    assert proc.returncode == 0, proc.stderr
    out = utf8(proc.stdout)
    if fmt == "json":
        assert any("bad\\xff/main.cf" in s for s in _strings(json.loads(out)))
    else:
        assert "bad\\xff/main.cf" in out
    if fmt == "html":
        import html5lib

        html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(out)


def test_parse_renders_a_non_utf8_name(non_utf8_set: Path) -> None:
    import yaml

    for fmt, load in (("json", json.loads), ("yaml", yaml.safe_load)):
        proc = mtalint("parse", "--format", fmt, b"bad\xff", cwd=non_utf8_set)
        assert proc.returncode == 0, proc.stderr
        assert "bad\\xff/main.cf" in _strings(load(utf8(proc.stdout))), fmt


def test_parse_yaml_shows_bidi_controls_as_escapes(banner_set: Path) -> None:
    import yaml

    shown = utf8(mtalint("parse", "--format", "yaml", "inj", cwd=banner_set).stdout)
    assert not RAW_CONTROL.search(shown)
    as_json = json.loads(utf8(mtalint("parse", "inj", cwd=banner_set).stdout))
    assert yaml.safe_load(shown) == as_json  # the same values, only written differently
    assert any(BANNER in s for s in _strings(as_json))


# ---------------------------------------------------------------- reports


def test_html_report_shows_control_characters_as_escapes(banner_set: Path) -> None:
    import html5lib

    proc = mtalint("report", "--no-config", "--format", "html", "inj", cwd=banner_set)
    out = utf8(proc.stdout)
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(out)
    assert "\\x1b]0;pwned\\x07\\x1b[2J \\u202eevil" in out
    assert not RAW_CONTROL.search(out)


def test_markdown_report_neither_mentions_nor_links(banner_set: Path) -> None:
    """Rendered as GitHub does, the text outside code spans holds no ``@name``, no
    ``#number``, ``GH-number``, URL or ``www.`` that GitHub would turn into a mention or a
    link; the code spans (where GitHub links nothing) keep the value as written."""
    from markdown_it import MarkdownIt

    proc = mtalint("report", "--no-config", "--format", "md", "inj", cwd=banner_set)
    md = utf8(proc.stdout)
    assert not RAW_CONTROL.search(md)
    html = MarkdownIt("commonmark").enable("table").render(md)
    prose = re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)
    text = re.sub(r"<[^>]+>", "", prose)
    assert "octocat" in text and "evil.example" in text  # the message is there ...
    for autolinked in (r"@\w", r"#\d", r"\bGH-\d", r"https?://", r"\bwww\.", r"\w@\w"):
        assert not re.search(autolinked, text), (autolinked, text)  # ... but inert
    assert "<a " not in prose
    # in a code span the value is exact, escapes aside
    assert "@octocat @org/team #12 GH-3 https://evil.example/x" in md


def test_json_formats_keep_exact_values(banner_set: Path) -> None:
    exact = BANNER.replace("$myhostnam ", "")
    for fmt in ("json", "sarif", "gitlab"):
        proc = mtalint("check", "--no-config", "--format", fmt, "inj", cwd=banner_set)
        strings = _strings(json.loads(utf8(proc.stdout)))
        # GitLab's description is one line: whitespace (U+2028 and NEL too) joined by spaces
        want = exact if fmt != "gitlab" else " ".join(exact.split())
        assert any(want in s for s in strings), fmt


# ---------------------------------------------------------------- DNS answers


def test_a_txt_record_with_an_escape_sequence_shows_as_escapes(tmp_path: Path) -> None:
    from tests.dns.server import nsd, nsd_missing

    if nsd_missing():
        pytest.skip(nsd_missing() or "")
    (tmp_path / "main.cf").write_text(
        "myhostname = mx.example.com\nmydomain = example.com\nmyorigin = $mydomain\n"
    )
    # zone-file escapes: \027 is ESC, \007 BEL, \010 a newline
    spf = '"v=spf1 +all \\027]0;pwned\\007\\010::stop-commands::x"'
    zone = f"@ IN MX 10 mx.example.com.\nmx IN A 192.0.2.10\n@ IN TXT {spf}\n"
    with nsd({"example.com": zone}) as address:
        online = ("--online", "--resolver", address, "--public-ip", "192.0.2.10")
        proc = mtalint("check", "--no-config", *online, "--select", "DNS", ".", cwd=tmp_path)
    out = utf8(proc.stdout)
    [dns003] = [line for line in out.splitlines() if " DNS003 " in line]
    assert "\\x1b]0;pwned\\x07" in dns003
    assert not RAW_CONTROL.search(out) and not WORKFLOW_COMMAND.search(out), out
