"""``mtalint report``: compliance reports in HTML, Markdown and JSON.

The HTML must parse without a single error under html5lib's strict parser, render its
summary in a real browser (headless Chromium), and show configuration values as text,
never as markup.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.report.compliance import STATUSES, load_frameworks
from tests.paths import ROOT

EXAMPLES = ROOT / "examples"
CORPUS = ROOT.parent / "shared" / "corpus"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

INJECTION = """\
myhostname = mx.example.com
smtpd_banner = <script>alert(1)</script> ESMTP
mynetworks = 0.0.0.0/0
"""


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def report(paths: list[Path], fmt: str, *extra: str) -> str:
    # the report alone: stderr may carry notes (files a folder walk skipped)
    result = CliRunner().invoke(main, ["report", *map(str, paths), "--format", fmt, *extra])
    assert result.exit_code == 0, result.output
    return result.stdout


def parse_html(text: str) -> None:
    import html5lib

    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)


@pytest.fixture(scope="module")
def example_document() -> dict:
    return json.loads(report([EXAMPLES], "json"))


def test_frameworks_are_valid_and_cover_the_issue() -> None:
    ids = {fw.id for fw in load_frameworks()}
    assert {"nist-sp-800-177r1", "bsi-tr-03108", "cis", "disa-stig", "pci-dss-4.0", "rfc"} <= ids


def test_every_shared_concept_maps_to_some_control() -> None:
    from linter.engine.rules import builtin_rules
    from linter.report.compliance import decides

    frameworks = load_frameworks()
    unmapped = [
        r.id
        for r in builtin_rules()
        if not r.builtin
        and not any(decides(r, fw, c) for fw in frameworks for c in fw.controls)
        and {"open-relay", "no-tls", "auth-before-tls", "spf-missing"} & set(r.tags)
    ]
    assert unmapped == []


def test_json_document(example_document: dict) -> None:
    meta = example_document["meta"]
    assert meta["online"] is False and meta["rules"] > 100 and len(meta["ruleset"]) == 16
    for item in meta["inputs"]:
        data = (ROOT / item["path"]).read_bytes() if not Path(item["path"]).is_absolute() else b""
        if data:
            assert item["sha256"] == hashlib.sha256(data).hexdigest()
    names = {s["name"] for s in example_document["sets"]}
    assert {"examples/postfix", "examples/exim/exim.conf"} <= {n.rstrip("/") for n in names}
    for fw in example_document["frameworks"]:
        for control in fw["controls"]:
            assert control["status"] in STATUSES
            assert set(control["sets"].values()) <= set(STATUSES)


def test_statuses_follow_the_findings(example_document: dict) -> None:
    controls = {
        (fw["id"], c["id"]): c for fw in example_document["frameworks"] for c in fw["controls"]
    }
    # both examples are open relays
    assert controls[("disa-stig", "RHEL-09-252050")]["status"] == "fail"
    assert controls[("disa-stig", "RHEL-09-252050")]["findings"]
    # no DNS without --online
    assert controls[("rfc", "RFC 7208")]["status"] == "not checked"


def test_a_clean_config_passes(tmp_path: Path) -> None:
    hardened = ROOT / "tests" / "fixtures" / "postfix" / "hardened"
    doc = json.loads(report([hardened], "json", "--framework", "disa-stig"))
    assert [fw["id"] for fw in doc["frameworks"]] == ["disa-stig"]
    assert doc["frameworks"][0]["controls"][0]["status"] == "pass"


def test_html_is_well_formed_and_self_contained() -> None:
    html = report([EXAMPLES], "html")
    parse_html(html)
    assert "<svg" in html and "Contents" in html
    # nothing fetched from elsewhere: no scripts, stylesheets or images by URL
    for needle in ("<script", "<link", "src=", "@import"):
        assert needle not in html


def test_markdown_renders() -> None:
    md = report([EXAMPLES], "md")
    assert md.startswith("# Mail server configuration audit")
    assert "| Control | Status | Hosts: fail / not checked / pass / n.a. |" in md


def test_configuration_values_are_text_not_markup(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(INJECTION)
    html = report([tmp_path], "html")
    parse_html(html)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = report([tmp_path], "md")
    # inside `code spans` Markdown shows HTML as text; anywhere else it must be escaped
    prose = re.sub(r"`[^`]*`", "", md)
    assert "<script" not in prose and "&lt;script&gt;" in md


def test_unknown_framework_is_a_usage_error() -> None:
    code, out = run(["report", str(EXAMPLES), "--framework", "iso-27001"])
    assert code == 2 and "unknown framework" in out


def test_report_written_atomically_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "audit.html"
    code, out = run(["report", str(EXAMPLES), "-o", str(target)])
    assert code == 0, out
    parse_html(target.read_text())


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_corpus_report_renders(fmt: str) -> None:
    out = report([CORPUS], fmt)
    if fmt == "html":
        parse_html(out)
    elif fmt == "json":
        assert json.loads(out)["summary"]["sets"] > 10


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def _artefacts(tmp_path: Path) -> Path:
    """Where screenshots go: $MTALINT_TEST_ARTEFACTS, else the test's tmp dir."""
    import os

    folder = Path(os.environ.get("MTALINT_TEST_ARTEFACTS") or tmp_path / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_headless_chromium_renders_the_summary(tmp_path: Path) -> None:
    target = tmp_path / "audit.html"
    code, out = run(["report", str(EXAMPLES), "-o", str(target)])
    assert code == 0, out
    proc = _chromium(tmp_path, "--dump-dom", target.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert 'id="summary-text"' in dom
    assert "configuration sets" in dom and "errors" in dom
    assert "<svg" in dom
    # the hosts x frameworks summary and the configuration used are on the page
    assert 'id="hosts-by-framework"' in dom and 'id="configuration"' in dom


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_fleet_report_screenshots(tmp_path: Path) -> None:
    """A 60-host report as a browser draws it: the first screen is the summary, and the
    page is no wider than the window (no table with a column per host)."""
    from tests.report.test_compliance_trust import fleet

    target = tmp_path / "fleet.html"
    code, out = run(
        ["report", str(fleet(tmp_path / "fleet", 60)), "--no-config", "-o", str(target)]
    )
    assert code == 0, out
    shots = _artefacts(tmp_path)
    for name, path in (("examples", EXAMPLES), ("fleet", None)):
        page = target
        if path is not None:
            page = tmp_path / f"{name}.html"
            assert run(["report", str(path), "-o", str(page)])[0] == 0
        shot = shots / f"report-{name}.png"
        proc = _chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the page's width as laid out: the document scrolls no wider than the window
    probe = tmp_path / "probe.html"
    probe.write_text(
        target.read_text().replace(
            "</body>",
            "<script>document.title = 'W' + document.documentElement.scrollWidth;</script></body>",
        )
    )
    proc = _chromium(tmp_path, "--window-size=1280,1600", "--dump-dom", probe.as_uri())
    width = int(re.search(r"<title>W(\d+)</title>", proc.stdout).group(1))  # type: ignore[union-attr]
    assert width <= 1280, width
