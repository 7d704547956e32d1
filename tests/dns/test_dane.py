"""The positive DANE path: TLSA records in a DNSSEC-signed zone, read through a
validating resolver (tests/dns/validating.py: the zone signed with ldns-signzone, served
by NSD, validated by Unbound with the zone's own key as trust anchor).

RFC 7672 §2.2: senders use TLSA records only when DNSSEC validates them; mtalint reads
that from the resolver's AD bit (DNS040 fires without it). With the AD bit set, a TLSA
record that can match a certificate gives no DANE finding, and one that cannot
(RFC 6698 §2.1: usage 0-3, selector 0-1, matching type 0-2) is DNS043.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.dns.records import tlsa_problem
from tests.dns.server import nsd_missing
from tests.dns.validating import validated, validator_missing

needs_servers = pytest.mark.skipif(
    bool(nsd_missing() or validator_missing()),
    reason=nsd_missing() or validator_missing() or "",
)

POSTFIX = """myhostname = mx.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
smtp_bind_address = 192.0.2.10
smtp_dns_support_level = dnssec
smtp_tls_security_level = dane
"""
ZONE = """@ IN MX 10 mx.example.com.
@ IN TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
mx IN A 192.0.2.10
_mta-sts IN TXT "v=STSv1; id=20260101"
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls@example.com"
"""
REVERSE = {"2.0.192.in-addr.arpa": "10 IN PTR mx.example.com.\n"}
SPKI_SHA256 = "ab" * 32
DANE_RULES = {"DNS026", "DNS040", "DNS043"}


def check_online(tmp_path: Path, resolver: str) -> dict[str, Any]:
    (tmp_path / "main.cf").write_text(POSTFIX)
    result = CliRunner().invoke(
        main,
        ["check", str(tmp_path), "--online", "--resolver", resolver, "--format", "json"],
    )
    assert result.exit_code in (0, 1), result.output
    return dict(json.loads(result.output))


def dane_findings(report: dict[str, Any]) -> dict[str, str]:
    return {f["rule"]: f["message"] for f in report["findings"] if f["rule"] in DANE_RULES}


@needs_servers
def test_a_usable_tlsa_record_in_a_signed_zone_passes(tmp_path: Path) -> None:
    body = ZONE + f"_25._tcp.mx IN TLSA 3 1 1 {SPKI_SHA256}\n"
    with validated("example.com", body, REVERSE) as resolver:
        report = check_online(tmp_path, resolver)
    assert dane_findings(report) == {}
    # and the same record without validation is DNS040's case (the control)
    from tests.dns.server import nsd

    with nsd({"example.com": body, **REVERSE}) as plain:
        unvalidated = check_online(tmp_path, plain)
    assert set(dane_findings(unvalidated)) == {"DNS040"}


@needs_servers
@pytest.mark.parametrize(
    "record",
    [f"3 2 1 {SPKI_SHA256}", f"4 1 1 {SPKI_SHA256}", f"3 1 7 {SPKI_SHA256}"],
)
def test_a_tlsa_record_that_can_match_nothing_fails_with_the_ad_bit_set(
    tmp_path: Path, record: str
) -> None:
    body = ZONE + f"_25._tcp.mx IN TLSA {record}\n"
    with validated("example.com", body, REVERSE) as resolver:
        report = check_online(tmp_path, resolver)
    found = dane_findings(report)
    assert set(found) == {"DNS043"}  # validated (no DNS040), but unusable
    assert "mx.example.com" in found["DNS043"]


@needs_servers
def test_a_signed_zone_without_tlsa_is_dns026(tmp_path: Path) -> None:
    with validated("example.com", ZONE, REVERSE) as resolver:
        report = check_online(tmp_path, resolver)
    assert set(dane_findings(report)) == {"DNS026"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (f"3 1 1 {SPKI_SHA256}", ""),
        (f"2 0 2 {'cd' * 64}", ""),
        (f"3 1 0 {'30' * 91}", ""),  # an exact SubjectPublicKeyInfo: any length
        (f"3 1 1 {'ab' * 16} {'ab' * 16}", ""),  # presentation split in chunks
        (f"3 1 1 {'ab' * 31}", "32 octets"),  # RFC 6234: SHA-256 gives 32 octets
        (f"3 1 2 {SPKI_SHA256}", "64 octets"),
        (f"4 1 1 {SPKI_SHA256}", "§2.1.1"),
        (f"3 2 1 {SPKI_SHA256}", "§2.1.2"),
        (f"3 1 3 {SPKI_SHA256}", "§2.1.3"),
        ("3 1 1 xyz", "hexadecimal"),
        ("3 1", "not a TLSA record"),
        (f"{'9' * 5000} 1 1 ab", "§2.1.1"),
    ],
)
def test_tlsa_fields_per_rfc_6698(text: str, problem: str) -> None:
    got = tlsa_problem(text)
    assert (problem in got) if problem else got == ""
