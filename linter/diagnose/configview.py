"""What the diagnosis knows of a configuration, and how it names the hosts of an incident.

Shared by the join (linter.diagnose.configjoin) and the per-MTA settings finder
(linter.diagnose.mtasettings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linter.diagnose.incidents import Incident


@dataclass
class ConfigView:
    mta: str
    main_path: str  # Postfix: main.cf as shown, for "file:line"; others: the set's file
    parameters: dict[str, dict[str, Any]]  # Postfix: name -> {value, raw, line}
    findings: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    facts: Any = None  # linter.facts.Facts of the analysis (posture, spans)
    model: dict[str, Any] = field(default_factory=dict)  # what ``mtalint parse`` prints


def incident_hosts(incident: Incident) -> set[str]:
    """The names and addresses of the hosts an incident's failures were with."""
    hosts: set[str] = set()
    for relay in [*incident.relays, incident.details.get("host", "")]:
        name, address = split_relay(relay)
        hosts.update(h for h in (name, address) if h)
    if incident.details.get("address"):
        hosts.add(incident.details["address"].lower())
    return hosts


def split_relay(relay: str) -> tuple[str, str]:
    """``smtp.example[192.0.2.1]:25`` -> (``smtp.example``, ``192.0.2.1``);
    ``[smtp.example]:587`` -> (``smtp.example``, ""); ``192.0.2.1`` -> (``192.0.2.1``, "")."""
    text = relay.strip().lower()
    if text.startswith("["):
        return text[1:].split("]", 1)[0], ""
    if "[" in text:
        name, _, rest = text.partition("[")
        return name.strip(), rest.split("]", 1)[0].strip()
    if text.count(":") == 1:  # host:port (an IPv6 address has more colons)
        text = text.rsplit(":", 1)[0]
    return text.split()[0] if text.split() else "", ""


def host_in(relayhost: str, hosts: set[str]) -> bool:
    """Whether the smarthost written as RELAYHOST (``[host]:port``, ``host``) is one of
    HOSTS (names and addresses)."""
    return split_relay(relayhost)[0] in hosts
