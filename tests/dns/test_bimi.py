"""BIMI Assertion Records (linter.dns.records.bimi) read as the BIMI draft says.

The text read is draft-brand-indicators-for-message-identification-10 (September 2025);
each case names its section. The rules DNS041 and DNS042 prove the findings both ways
against a real NSD in their own YAML tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from linter.dns.records import bimi, bimi_dmarc_problem, dmarc

LOGO = "https://brand.example.com/logo.svg"


@pytest.mark.parametrize(
    ("texts", "status", "clause"),
    [
        ((f"v=BIMI1; l={LOGO}",), "ok", "§4.3: l= alone; a= is optional"),
        ((f"v = BIMI1 ; l = {LOGO} ; a = https://brand.example.com/vmc.pem",), "ok", "*WSP"),
        ((f"V=BIMI1; l={LOGO}",), "ok", "the tag name v, as DKIM tag names, in any case"),
        (("v=BIMI1; l=; a=;",), "declined", "§4.3.1 declination"),
        (("v=BIMI1; l=; a=; lps=true;",), "declined", "§4.3.1 with local-part selectors"),
        ((), "missing", "no record: BIMI is opt-in (§4)"),
        (("v=spf1 -all",), "missing", "§7.2 step 4: other records are discarded"),
        ((f"v=bimi1; l={LOGO}",), "invalid", "§4.3: BIMI1 must match precisely"),
        ((f" v=BIMI1; l={LOGO}",), "invalid", "§4.3: v= must be the first tag"),
        ((f"l={LOGO}; v=BIMI1",), "missing", "§7.2 step 4: does not start with v="),
        (("v=BIMI1; a=https://brand.example.com/vmc.pem",), "invalid", "§4.3: l= REQUIRED"),
        (("v=BIMI1; l=; a=https://brand.example.com/vmc.pem",), "invalid", "§7.3 step 1"),
        (("v=BIMI1; l=http://brand.example.com/logo.svg",), "invalid", "§4.3: HTTPS only"),
        ((f"v=BIMI1; l={LOGO}; a=https://192.0.2.1/vmc.pem",), "invalid", "§4.3: a= FQDN"),
        (("v=BIMI1; l=https://192.0.2.1/logo.svg",), "ok", "§4.3 asks l= for HTTPS only"),
        ((f"v=BIMI1; l={LOGO},{LOGO}",), "invalid", "§4.3: a single URI, commas encoded"),
        (("v=BIMI1; l=https://brand.example.com/logo.PNG",), "invalid", "§4.3.2: SVG only"),
        ((f"v=BIMI1; l={LOGO}; a=ftp://x.example/vmc",), "invalid", "§4.3: a= HTTPS only"),
        ((f"v=BIMI1; l={LOGO}; l={LOGO}",), "invalid", "a tag twice (DKIM tag lists)"),
        ((f"v=BIMI1; l={LOGO}", f"v=BIMI1; l={LOGO}"), "invalid", "§7.2 step 9: two"),
        ((f"v=BIMI1; l={LOGO}; avp=personal; x=y",), "ok", "§4.3: unknown tags ignored"),
    ],
)
def test_assertion_records(texts: tuple[str, ...], status: str, clause: str) -> None:
    assert bimi(texts)["status"] == status, clause


def _dmarc(text: str, domain: str = "example.com") -> dict[str, Any]:
    return {"domain": domain, **dmarc((text,))}


@pytest.mark.parametrize(
    ("records", "step"),
    [
        (["v=DMARC1; p=none"], "step 7"),
        (["v=DMARC1; p=reject", "v=DMARC1; p=none"], "step 7"),  # the organisation's
        (["v=DMARC1; p=reject; sp=none"], "step 8"),
        (["v=DMARC1; p=quarantine; pct=99"], "step 9"),
        ([], "step 4"),
        (["v=DMARC1; p=block"], "step 4"),
    ],
)
def test_dmarc_that_rules_bimi_out(records: list[str], step: str) -> None:
    assert step in bimi_dmarc_problem([_dmarc(r) for r in records])


@pytest.mark.parametrize(
    "records",
    [
        ["v=DMARC1; p=reject"],
        ["v=DMARC1; p=reject; pct=10"],  # §1: "reject" (with any percentage value)
        ["v=DMARC1; p=quarantine"],  # §1: an effective percentage of 100%
        ["v=DMARC1; p=quarantine; pct=100"],
        ["v=DMARC1; p=reject; sp=quarantine"],
    ],
)
def test_dmarc_at_enforcement_allows_bimi(records: list[str]) -> None:
    assert bimi_dmarc_problem([_dmarc(r) for r in records]) == ""
