"""The resolver one online run shares: set up once from ``--online``'s options.

One :class:`~linter.dns.resolver.Resolver` serves every config set of the run, so that
its cache and its time budget (``--dns-timeout``) are the run's, not each set's.
"""

from __future__ import annotations

from linter.dns import DnsOptions, parse_resolver
from linter.dns.resolver import Resolver, ResolverSettings


def open_resolver(options: DnsOptions) -> Resolver:
    """The resolver ``options`` name (IP, IP:PORT), else the system's, with the budget."""
    address, port = ("", 53)
    if options.resolver:
        address, port = parse_resolver(options.resolver)
    return Resolver(ResolverSettings(address, port, budget=options.budget))
