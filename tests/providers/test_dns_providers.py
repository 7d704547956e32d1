"""The receiver's view of a relay provider (issue 21, --online): against NSD.

Behind a relay provider, mail leaves from the provider's own addresses, not from this
host's and not from the SMTP endpoint the relayhost names; the provider's documented SPF
include is what the sending domain's record must reach (DNS044, whose YAML cases prove
it both ways). Here: the endpoint's address is no longer held against the SPF record
(DNS004 is an error, and was a false one behind a provider).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linter.cli import main
from tests.dns.server import nsd, nsd_missing

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")

MAIN_CF = """myhostname = mx.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
relayhost = {relay}
smtp_sasl_auth_enable = yes
smtp_tls_security_level = encrypt
"""
ZONES = {
    "example.com": "@ IN MX 10 mx.example.com.\nmx IN A 192.0.2.10\n"
    '@ IN TXT "v=spf1 include:mailgun.org -all"\n'
    '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"\n',
    # Mailgun's include lists its sending pool; the SMTP endpoint's address is elsewhere
    "mailgun.org": '@ IN TXT "v=spf1 ip4:198.51.100.0/24 -all"\nsmtp IN A 203.0.113.25\n',
    "example.net": "relay IN A 203.0.113.25\n",
}


def findings(tmp_path: Path, relay: str) -> dict[str, Any]:
    (tmp_path / "main.cf").write_text(MAIN_CF.format(relay=relay))
    with nsd(ZONES) as resolver:
        result = CliRunner().invoke(
            main,
            ["check", str(tmp_path), "--online", "--resolver", resolver, "--format", "json"],
        )
    assert result.exit_code in (0, 1), result.output
    return {f["rule"]: f for f in json.loads(result.output)["findings"]}


def test_the_providers_smtp_endpoint_is_not_held_against_spf(tmp_path: Path) -> None:
    found = findings(tmp_path, "[smtp.mailgun.org]:587")
    assert "DNS004" not in found
    assert "DNS044" not in found  # the include is there


def test_a_relay_that_is_no_provider_is_still_checked_by_its_address(tmp_path: Path) -> None:
    found = findings(tmp_path, "[relay.example.net]:587")
    assert "203.0.113.25" in found["DNS004"]["message"]
