"""Online checks: what DNS says about the names and addresses a configuration uses.

Off by default (``mtalint check --online`` turns them on): a pre-commit hook must not touch
the network, and dnspython is imported only here. The pipeline is

* :mod:`.inputs`: the domains, host name, relay and source addresses of one config set,
  read from its posture (every MTA fills :class:`linter.posture.Identity`);
* :mod:`.resolver`: lookups with one time budget, a cache and bounded concurrency, where
  every timeout, SERVFAIL or refusal is an answer, never an exception;
* :mod:`.records`, :mod:`.spf`: reading SPF, DMARC, DKIM, MTA-STS and TLS-RPT records;
* :mod:`.checks`: the ``dns`` facts the rules in ``rules/dns/`` judge, each with the DNS
  answers it rests on as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DnsOptions:
    resolver: str = ""  # "IP" or "IP:PORT" (IPv6: "[IP]:PORT"); empty: the system's
    budget: float = 10.0  # seconds for all lookups of a run
    public_ips: list[str] = field(default_factory=list)  # source addresses not in the config
    dkim_selectors: list[str] = field(default_factory=list)
    dnsbl_zones: list[str] = field(default_factory=list)


def parse_resolver(text: str) -> tuple[str, int]:
    """``IP``, ``IP:PORT`` or ``[IPv6]:PORT`` → (address, port); ValueError when invalid."""
    import ipaddress

    text = text.strip()
    port = 53
    if text.startswith("["):
        address, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":") or not rest[1:].isdecimal():
                raise ValueError(f"invalid resolver {text!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        address, _, port_text = text.partition(":")
        if not port_text.isdecimal():
            raise ValueError(f"invalid resolver port in {text!r}")
        port = int(port_text)
    else:
        address = text
    ipaddress.ip_address(address)  # raises ValueError
    if not 0 < port < 65536:
        raise ValueError(f"invalid resolver port in {text!r}")
    return address, port
