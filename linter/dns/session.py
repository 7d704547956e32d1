"""The DNS stage of a check: one resolver for the run, the ``dns`` facts of each set.

One :class:`~linter.dns.resolver.Resolver` serves every config set of the run, so that
its cache and its time budget (``--dns-timeout``) are the run's, not each set's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.dns import DnsOptions, parse_resolver
from linter.dns.resolver import Resolver, ResolverSettings

if TYPE_CHECKING:
    from linter.facts import Facts
    from linter.posture import Posture


def open_resolver(options: DnsOptions) -> Resolver:
    """The resolver ``options`` name (IP, IP:PORT), else the system's, with the budget."""
    address, port = ("", 53)
    if options.resolver:
        address, port = parse_resolver(options.resolver)
    return Resolver(ResolverSettings(address, port, budget=options.budget))


def add_dns_facts(facts: Facts, posture: Posture, options: DnsOptions, resolver: Resolver) -> None:
    """The ``dns`` facts of one config set, asked about the names and addresses of the
    posture its MTA built (the typed posture ``posture`` in ``facts`` was flattened from)."""
    from linter.dns.checks import dns_facts

    facts.set("dns", dns_facts(posture, options, resolver, facts))
