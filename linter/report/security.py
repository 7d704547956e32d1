"""What a rule's finding means for security, from the rule's concept tags: one table.

Code scanning ranks alerts by ``security-severity`` (0.0-10.0: 9.0 and above "critical",
7.0 "high", 4.0 "medium", below that "low") and lists only rules tagged ``security`` as
security alerts. A rule's score is the highest of its tags' scores below; a rule with no
tag in the table (a misspelt parameter, a duplicate entry, a size limit, syntax) is not a
security rule: it gets neither the ``security`` tag nor a score, and code scanning shows it
by its level (error, warning, note) as a quality alert.

Scores follow what an attacker gains: anyone may send mail through the host (open relay)
or read the credentials (AUTH before TLS) is critical; forged senders, smuggling and
missing TLS are high; weak TLS and missing DNS authentication records are medium;
disclosure and missing reporting are low.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linter.engine.rules import Rule

SECURITY_SEVERITY: dict[str, float] = {
    # critical: mail or credentials of others in the attacker's hands
    "open-relay": 9.5,
    "auth-before-tls": 9.0,
    # high
    "relay-guard": 8.0,
    "smtp-smuggling": 8.0,
    "submission-auth": 8.0,
    "weak-credential-storage": 7.5,
    "sender-forgery": 7.0,
    "sender-spoofing": 7.0,
    "no-tls": 7.0,
    "submission-tls": 7.0,
    "relayhost-auth": 7.0,
    # medium
    "weak-tls-protocol": 6.5,
    "exposed-listener": 6.0,
    "weak-tls-cipher": 6.0,
    "relayhost-tls": 6.0,
    "outbound-tls": 5.5,
    "tls-certificate": 5.0,
    "spf-missing": 5.0,
    "spf-permissive": 5.0,
    "dmarc-missing": 5.0,
    "dkim-weak-key": 5.0,
    "backscatter": 5.0,
    "blocklisted": 5.0,
    "dmarc-weak": 4.0,
    "dkim-missing": 4.0,
    "vrfy-enabled": 4.0,
    "protocol-hardening": 4.0,
    # low
    "dane-missing": 3.0,
    "mta-sts-missing": 3.0,
    "banner-disclosure": 3.0,
    "helo-required": 3.0,
    "auto-ban": 3.0,
    "tlsrpt-missing": 2.0,
}


def security_severity(rule: Rule) -> float | None:
    """The rule's score, or None when it is not a security rule."""
    scores = [SECURITY_SEVERITY[t] for t in rule.tags if t in SECURITY_SEVERITY]
    return max(scores) if scores else None
