"""docs/rules/ is generated from the rule YAML (`mtalint docs`) and must be current.

When a rule changes, run `mtalint docs` from the repository root and commit docs/rules.
The pages are also read back with a CommonMark parser (markdown-it-py): the rule's prose,
message, fixes and example files must come out exactly as the YAML has them, so escaping
mistakes (``<LF>`` eaten as HTML, ``*`` turned into emphasis, m4's `quotes') show here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.docs import FAMILIES, code, generate, md
from linter.engine.rules import builtin_rules
from tests.paths import ROOT

DOCS = ROOT / "docs" / "rules"


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return generate()


def docs(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, ["docs", *args])


def test_committed_rule_pages_are_current() -> None:
    result = docs("--check", "-o", str(DOCS))
    assert result.exit_code == 0, result.output + "\nrun 'mtalint docs' and commit docs/rules"


def test_check_fails_after_a_page_is_modified(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(DOCS, copy)
    assert docs("--check", "-o", str(copy)).exit_code == 0
    page = copy / "MTA001.md"
    page.write_text(page.read_text() + "edited by hand\n")
    result = docs("--check", "-o", str(copy))
    assert result.exit_code == 1
    assert "MTA001.md" in result.output


def test_check_fails_on_a_missing_or_extra_page(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(DOCS, copy)
    (copy / "PF001.md").unlink()
    (copy / "XX999.md").write_text("a rule that no longer exists\n")
    result = docs("--check", "-o", str(copy))
    assert result.exit_code == 1
    assert "PF001.md" in result.output and "XX999.md" in result.output
    # writing repairs the folder
    assert docs("-o", str(copy)).exit_code == 0
    assert not (copy / "XX999.md").exists()
    assert docs("--check", "-o", str(copy)).exit_code == 0


def test_one_page_per_rule_linked_from_the_index(pages: dict[str, str]) -> None:
    rules = [r for r in builtin_rules(with_tests=True) if not r.builtin]
    assert set(pages) == {f"{r.id}.md" for r in rules} | {"README.md"}
    index = pages["README.md"]
    for r in rules:
        assert index.count(f"[{r.id}]({r.id}.md)") == 1, r.id
        text = pages[f"{r.id}.md"]
        assert text.startswith(f"# {r.id}: ")
        for heading in ("## Why", "## Fix", "## References", "## Triggers"):
            assert heading in text, (r.id, heading)
        if any(c["expect"] == "pass" for c in r.tests):
            assert "## Does not trigger" in text, r.id
    # grouped by family, in the documented order
    positions = [index.find(f"## {title} ({prefix})") for prefix, title, _ in FAMILIES[:6]]
    assert all(p > 0 for p in positions) and positions == sorted(positions)


def test_generation_is_deterministic(pages: dict[str, str], tmp_path: Path) -> None:
    assert generate() == pages
    # another process, another hash seed, another working directory
    script = "import json; from linter.docs import generate; print(json.dumps(generate()))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == pages


# ---------------------------------------------------------------- read back as CommonMark


def _parser():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _text(inline) -> str:  # type: ignore[no-untyped-def]
    """What a reader sees of an inline token: text and code, not raw HTML or markup."""
    out = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)


def _pictures(text: str) -> str:
    """Control characters as the pages show them (Unicode control pictures)."""
    return "".join(
        chr(0x2400 + ord(ch)) if ord(ch) < 0x20 and ch not in "\t\n" else ch for ch in text
    ).replace("\x7f", "\u2421")


def _norm(text: str) -> str:
    return " ".join(str(text).split())


@pytest.mark.parametrize(
    "prose",
    [
        "<LF>.<LF> and <sha256 of the key>",
        "_25._tcp.mx and smtpd_tls_auth_only and _x_",
        "define(`confAUTH_OPTIONS', `A p')dnl",
        "hosts = * : !*.example.net",
        "a | b [link](x) ![img](y) ~~gone~~",
        "1. not a list",
        "- not a list",
        "# not a heading",
        "&amp; stays &amp; and AT&T",
        "${if eq{$received_port}{587}} \\d+",
    ],
)
def test_escaping_round_trips(prose: str) -> None:
    parser = _parser()
    tokens = parser.parse(md(prose))
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 1 and tokens[0].type == "paragraph_open"
    assert _text(inline[0]) == prose
    for span in (prose, "`x'", "``a`` b", "`"):
        tokens = parser.parse(code(span))
        children = [t for t in tokens if t.type == "inline"][0].children
        assert [c.type for c in children] == ["code_inline"] and children[0].content == span


def test_pages_read_back_as_the_rules_say(pages: dict[str, str]) -> None:
    parser = _parser()
    for rule in (r for r in builtin_rules(with_tests=True) if not r.builtin):
        tokens = parser.parse(pages[f"{rule.id}.md"])
        inline = [t for t in tokens if t.type == "inline"]
        texts = [_text(t) for t in inline]
        assert texts[0] == f"{rule.id}: {_norm(rule.title)}", rule.id
        assert f"Message template: {_norm(rule.message)}" in texts, rule.id
        if rule.rationale:
            assert _norm(rule.rationale) in texts, rule.id
        for mta, fix in rule.fix.items():
            label = "any MTA" if mta == "any" else mta
            assert f"{label}: {_norm(fix)}" in texts, (rule.id, mta)
        links = [
            c.attrs.get("href") for t in inline for c in t.children or [] if c.type == "link_open"
        ]
        source = Path(rule.path).resolve().relative_to(ROOT / "rules").as_posix()
        assert links[0] == f"../../rules/{source}", rule.id
        assert (DOCS / links[0]).resolve() == Path(rule.path).resolve()
        assert links[1:] == [ref["url"] for ref in rule.references if ref.get("url")], rule.id
        # every example file and zone, verbatim and in order
        blocks = [t.content for t in tokens if t.type == "fence"]
        expected = [
            text if text.endswith("\n") else text + "\n"
            for case in sorted(rule.tests, key=lambda c: c["expect"] != "trigger")
            for text in [
                *case["files"].values(),
                *((case.get("dns") or {}).get("zones") or {}).values(),
            ]
        ]
        assert blocks == [_pictures(b.rstrip("\n")) + "\n" for b in expected], rule.id


def test_index_table_reads_back(pages: dict[str, str]) -> None:
    parser = _parser()
    tokens = parser.parse(pages["README.md"])
    titles = {}
    cells = [t for t in tokens if t.type == "inline"]
    for i, t in enumerate(cells):
        hrefs = [c.attrs.get("href") for c in t.children or [] if c.type == "link_open"]
        if hrefs:
            titles[str(hrefs[0])] = _text(cells[i + 2])
    rules = [r for r in builtin_rules(with_tests=True) if not r.builtin]
    assert titles == {f"{r.id}.md": _norm(r.title) for r in rules}
