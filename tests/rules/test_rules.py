"""Every rule file is valid, and every rule's own tests pass (must / must not trigger)."""

from __future__ import annotations

import pytest

from linter.check import check
from linter.engine.rules import builtin_rules, read_rule_file, rule_files, validate
from linter.engine.selftest import run_case
from linter.resources import rules_dir
from tests.dns.server import nsd, nsd_missing, servfail, silent

CONCEPT_TAGS = {
    "open-relay",
    "submission-auth",
    "submission-tls",
    "auth-before-tls",
    "weak-tls-protocol",
    "weak-tls-cipher",
    "no-tls",
    "banner-disclosure",
    "vrfy-enabled",
    "relayhost-port",
    "relayhost-tls",
    "relayhost-auth",
    "outbound-tls",
    "deprecated-option",
    "unknown-option",
    "syntax-error",
    "undefined-reference",
    "duplicate-entry",
    "helo-required",
    "message-size",
    "exposed-listener",
    # credentials kept in a form that gives them away (hMailServer.INI's MD5, Blowfish)
    "weak-credential-storage",
    # DNS (mtalint check --online)
    "spf-missing",
    "spf-mismatch",
    "spf-permissive",
    "spf-lookup-limit",
    "dmarc-missing",
    "dmarc-weak",
    "dkim-missing",
    "dkim-weak-key",
    "mx-mismatch",
    "rdns-mismatch",
    "mta-sts-missing",
    "tlsrpt-missing",
    "dane-missing",
    "blocklisted",
    # a DNS blocklist that has closed is still queried
    "dead-blocklist",
    "dns-unverified",
}

RULES = [r for r in builtin_rules(with_tests=True) if not r.builtin]
CASES = [(rule, i) for rule in RULES for i in range(len(rule.tests))]


@pytest.mark.parametrize("path", rule_files(rules_dir()), ids=lambda p: p.stem)
def test_rule_file_matches_schema(path):
    assert validate(read_rule_file(path), str(path)) == []


def test_rule_ids_are_unique_and_match_file_names():
    seen = {}
    for rule in builtin_rules():
        assert rule.id not in seen, f"{rule.id} in {rule.path} and {seen[rule.id]}"
        seen[rule.id] = rule.path
        assert rule.path.endswith(f"/{rule.id}.yaml"), rule.path


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_proven_both_ways(rule):
    verdicts = {case.get("expect") for case in rule.tests}
    assert {"trigger", "pass"} <= verdicts, f"{rule.id} needs tests that must and must not trigger"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_a_concept_tag_or_says_why_not(rule):
    assert set(rule.tags) & CONCEPT_TAGS or "no-concept" in rule.tags, (
        f"{rule.id}: tags {rule.tags} hold none of the shared concept tags"
    )


@pytest.mark.parametrize(
    ("rule", "index"), CASES, ids=lambda x: x.id if hasattr(x, "id") else str(x)
)
def test_rule_case(rule, index):
    case = rule.tests[index]
    if "dns" in case and nsd_missing():
        pytest.skip(nsd_missing())
    result = run_case(rule, case, list(builtin_rules()), index, check, dns_server)
    assert not result.skipped, result.detail
    assert result.passed, f"{rule.id} [{result.expect}] {result.name}: {result.detail}"


def dns_server(kind, zones):
    """The real DNS server a rule's ``dns:`` case asks for (see tests/dns/server.py)."""
    if kind == "silent":
        return silent()
    if kind == "servfail":
        return servfail()
    return nsd(zones)


def test_there_are_enough_postfix_and_posture_rules():
    relevant = [r for r in RULES if "postfix" in r.applies_to or "any" in r.applies_to]
    assert len(relevant) >= 35
