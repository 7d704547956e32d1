"""DNS answers built to hurt: a server can send any TXT record up to 64 KB. Reading them
must neither end the run (exit 3) nor take longer than the --dns-timeout budget allows.
Served by a real NSD (tests/dns/server.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from linter.dns.records import dkim, dmarc, mta_sts, percentage, tags, tlsrpt
from tests.dns.server import nsd, nsd_missing
from tests.paths import ROOT

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")

DOMAINS = [f"d{i}.example" for i in range(6)]
# a long run of blanks before a line break: the old per-tag regex backtracked over it
# quadratically (about 6 s per record of this size)
BLANKS = "x" + " " * 30_000 + "\\010x"


def txt(text: str) -> str:
    """Zone-file TXT data: strings of at most 255 characters (escapes kept whole)."""
    parts, i = [], 0
    while i < len(text):
        end = min(i + 250, len(text))
        if "\\" in text[end - 3 : end]:
            end = text.index("\\", end - 3)
        parts.append('"' + text[i:end] + '"')
        i = end
    return " ".join(parts)


def check_online(tmp_path: Path, zone: str, timeout: float = 2.0) -> tuple[int, str, float]:
    (tmp_path / "main.cf").write_text(
        "myhostname = mx.d0.example\nmyorigin = d0.example\n"
        f"masquerade_domains = {' '.join(DOMAINS[1:])}\n"
        f"mydestination = {', '.join(DOMAINS)}\nsmtp_bind_address = 192.0.2.10\n"
    )
    with nsd(dict.fromkeys(DOMAINS, zone)) as address:
        start = time.monotonic()
        try:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "linter",
                    "check",
                    str(tmp_path / "main.cf"),
                    "--no-config",
                    "--online",
                    "--resolver",
                    address,
                    "--dns-timeout",
                    str(timeout),
                    "--dkim-selector",
                    "s1",
                    "--select",
                    "DNS",
                    "--format",
                    "json",
                ],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=timeout + 20,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {timeout + 20:.0f}s after start (--dns-timeout {timeout})")
        elapsed = time.monotonic() - start
    return out.returncode, out.stdout + out.stderr, elapsed


def test_a_dmarc_pct_of_4400_digits_is_ignored_not_a_crash(tmp_path: Path) -> None:
    zone = f"_dmarc IN TXT {txt('v=DMARC1; p=quarantine; pct=' + '1' * 4400)}\n"
    code, out, _ = check_online(tmp_path, zone)
    assert code == 1, out
    findings = json.loads(out)["findings"]
    # the record is read (no "no DMARC record" finding), pct in error counts as 100
    assert "DNS009" not in {f["rule"] for f in findings}, out
    assert not any("internal error" in f["message"] for f in findings), out


def test_long_blank_runs_in_every_record_stay_within_the_budget(tmp_path: Path) -> None:
    zone = "\n".join(
        [
            "@ IN MX 10 mx.d0.example.",
            f"@ IN TXT {txt('v=spf1 ip4:192.0.2.10 ' + BLANKS + ' -all')}",
            f"_dmarc IN TXT {txt('v=DMARC1; p=reject; rua=' + BLANKS)}",
            f"_mta-sts IN TXT {txt('v=STSv1; id=' + BLANKS)}",
            f"_smtp._tls IN TXT {txt('v=TLSRPTv1; rua=' + BLANKS)}",
            f"s1._domainkey IN TXT {txt('v=DKIM1; k=rsa; p=' + BLANKS)}",
            "",
        ]
    )
    code, out, elapsed = check_online(tmp_path, zone)
    assert code == 1, out
    # 6 domains x 5 records: the old parser took 30-50 s here
    assert elapsed < 8, f"{elapsed:.1f}s with --dns-timeout 2"
    assert not any("internal error" in f["message"] for f in json.loads(out)["findings"])


# ---------------------------------------------------------------- the parsers alone


def test_tag_lists_read_as_before() -> None:
    assert tags(" v = DMARC1 ;p=reject;  rua = mailto:a@b.example?x=y ; ") == {
        "v": "DMARC1",
        "p": "reject",
        "rua": "mailto:a@b.example?x=y",
    }
    assert tags("v=DKIM1; p=MIIB\n AQAB==") == {"v": "DKIM1", "p": "MIIB\n AQAB=="}
    assert tags("v=DMARC1; reject") is None  # no '='
    assert tags("v=DMARC1; 1p=reject") is None  # a tag name starts with a letter
    assert tags("v=DMARC1; p r=reject") is None


def test_tag_lists_in_linear_time() -> None:
    record = "v=DMARC1; p=reject; rua=x" + " " * 200_000 + "\nx"
    start = time.perf_counter()
    parsed = tags(record)
    assert time.perf_counter() - start < 0.5
    assert parsed is not None and parsed["rua"].endswith("\nx")
    for parse in (dmarc, mta_sts, tlsrpt, dkim):
        start = time.perf_counter()
        parse((record.replace("DMARC1", "STSv1"),))
        assert time.perf_counter() - start < 0.5, parse.__name__


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50", 50),
        ("0", 0),
        ("0050", 50),
        ("100", 100),
        ("101", 100),  # out of range: ignored (RFC 7489 §6.6.3)
        ("1" * 4400, 100),
        ("0" * 5000 + "7", 7),
        ("-5", 100),
        ("５", 100),  # not an ASCII digit
        ("", 100),
    ],
)
def test_dmarc_percentage(text: str, expected: int) -> None:
    assert percentage(text) == expected
