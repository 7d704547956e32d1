"""Exim's answers to the cross-MTA posture questions (provisional).

For now only the listeners come from the configuration (``daemon_smtp_ports``,
``tls_on_connect_ports``, ``local_interfaces``); what is not worked out yet (TLS offered,
AUTH, the relay verdict from the RCPT ACL, the smarthost) is filled with values that no
posture rule judges as a problem, and a note says so.
"""

from __future__ import annotations

import ipaddress

from linter.mta.exim.model import EximModel, list_items
from linter.posture import (
    Identity,
    Listener,
    Outbound,
    Posture,
    RelayPolicy,
    Role,
    TlsSettings,
)

PORTS = {"smtp": 25, "submission": 587, "submissions": 465, "smtps": 465, "ssmtp": 465}
WILDCARDS = {"0.0.0.0", "::0", "::", "0:0:0:0:0:0:0:0", "*"}  # noqa: S104 - addresses read, not bound


def port_number(text: str) -> int | None:
    text = text.strip()
    if text.isdigit():
        return int(text)
    return PORTS.get(text)


def _is_loopback(address: str) -> bool:
    host = address.split(".", 4)[:4] if address.count(".") > 3 else None
    candidate = ".".join(host) if host else address
    try:
        return ipaddress.ip_address(candidate.strip("[]")).is_loopback
    except ValueError:
        return candidate in ("localhost",)


def build_posture(model: EximModel) -> Posture:
    ports = [p for p in (port_number(i) for i in list_items(model.value("daemon_smtp_ports")))]
    tls_ports = {
        p for p in (port_number(i) for i in list_items(model.value("tls_on_connect_ports"))) if p
    }
    interfaces = list_items(model.value("local_interfaces"))
    addresses = [i for i in interfaces if i]
    everywhere = not addresses or any(a in WILDCARDS for a in addresses)
    public = everywhere or not all(_is_loopback(a) for a in addresses)
    address = "*" if everywhere else ", ".join(addresses)
    banner = model.value("smtp_banner")
    listeners: list[Listener] = []
    for port in [p for p in ports if p is not None] + sorted(tls_ports - set(ports)):
        implicit = port in tls_ports
        role = (
            "submissions"
            if implicit or port == 465
            else "submission"
            if port == 587
            else "smtp"
            if port == 25
            else "other"
        )
        listeners.append(
            Listener(
                name=f"{address}:{port}",
                address=address,
                port=port,
                role=role,  # type: ignore[arg-type]
                public=public,
                tls="implicit" if implicit else "optional",
                auth="required" if role in ("submission", "submissions") else "none",
                auth_before_tls=False,
                auth_plaintext_mechanisms=False,
                relay=RelayPolicy("unknown", reason="not evaluated yet for Exim"),
                tls_certificate=True,
                anonymous_tls=False,
                vrfy=False,
                helo_required=True,
                banner=banner,
                banner_expanded="",
            )
        )
    roles: list[Role] = []
    if any(li.public and li.port == 25 for li in listeners):
        roles.append("mx")
    if any(li.public and li.role in ("submission", "submissions") for li in listeners):
        roles.append("submission")
    if not roles:
        roles.append("null-client")
    modern = ["TLSv1.2", "TLSv1.3"]
    local_domains = model.lists["domainlist"].get("local_domains")
    return Posture(
        mta="exim",
        roles=roles,
        listeners=listeners,
        outbound=Outbound(None, "opportunistic", "", False, False, False),
        tls=TlsSettings(modern, modern, modern, modern, "", "", "", ""),
        identity=Identity(
            hostname=model.value("primary_hostname"),
            domain=model.value("qualify_domain"),
            origin=model.value("qualify_domain"),
            destinations=list_items(local_domains.value) if local_domains else [],
        ),
        notes=["Exim posture is provisional: TLS, AUTH, relay and outbound are not evaluated"],
    )
