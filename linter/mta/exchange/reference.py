"""What Microsoft's cmdlet reference says about the properties mtalint reads.

Names, types and enum members come from the Exchange PowerShell reference
(``data/reference.json`` names the page for each property and the date it was read).
The exporter writes every enum by its name; Windows PowerShell's ``ConvertTo-Json``
writes the underlying number instead. The reference lists the members of the [Flags]
enums below in declaration order with ``None`` first, which for a .NET [Flags] enum
means ``None = 0`` and one bit per member in that order: that is how numbers are read
(``data/reference.json`` records that the numbers themselves are not printed on the
pages). An enum whose numbers cannot be derived that way is accepted by name only.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

# Set-ReceiveConnector -AuthMechanism <AuthMechanisms>
RECEIVE_AUTH = (
    "Tls",
    "Integrated",
    "BasicAuth",
    "BasicAuthRequireTLS",
    "ExchangeServer",
    "ExternalAuthoritative",
)
# Set-ReceiveConnector -PermissionGroups <PermissionGroups>
PERMISSION_GROUPS = (
    "AnonymousUsers",
    "ExchangeUsers",
    "ExchangeServers",
    "ExchangeLegacyServers",
    "Partners",
    "Custom",
)
# Set-SendConnector -SmartHostAuthMechanism: one value, not flags
SEND_AUTH = ("None", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer", "ExternalAuthoritative")
# Set-SendConnector -TlsAuthLevel (empty: not set)
TLS_AUTH_LEVELS = ("EncryptionOnly", "CertificateValidation", "DomainValidation")
# -ProtocolLoggingLevel <None | Verbose>
PROTOCOL_LOGGING = ("None", "Verbose")
# the TransportRole of a receive connector on a Mailbox server
TRANSPORT_ROLES = ("FrontendTransport", "HubTransport")


def flag_values(members: tuple[str, ...]) -> dict[str, int]:
    """None = 0, then one bit per member in declaration order."""
    return {name: 1 << i for i, name in enumerate(members)}


RECEIVE_AUTH_BITS = flag_values(RECEIVE_AUTH)
PERMISSION_GROUP_BITS = flag_values(PERMISSION_GROUPS)
# plain enums: the position in the reference's list is the number
PROTOCOL_LOGGING_NUMBERS = {0: "None", 1: "Verbose"}

# the extended rights that decide relaying and sender spoofing (Get-ADPermission)
ACCEPT_ANY_RECIPIENT = "ms-exch-smtp-accept-any-recipient"
SUBMIT = "ms-exch-smtp-submit"
AUTHORITATIVE_SENDER = "ms-exch-smtp-accept-authoritative-domain-sender"

# the security principals of the permission groups, and the rights each group grants
# (Microsoft: "Receive connector permission groups" / "Receive connector permissions")
ANONYMOUS_NAMES = (
    "nt authority\\anonymous logon",
    "nt-autorität\\anonymous-anmeldung",  # German Windows
    "s-1-5-7",
)
AUTHENTICATED_NAMES = ("nt authority\\authenticated users", "s-1-5-11")
GROUP_RIGHTS: dict[str, tuple[str, set[str]]] = {
    "AnonymousUsers": (
        "anonymous",
        {
            SUBMIT,
            "ms-exch-smtp-accept-any-sender",
            AUTHORITATIVE_SENDER,
            "ms-exch-accept-headers-routing",
        },
    ),
    "ExchangeUsers": (
        "authenticated",
        {
            SUBMIT,
            ACCEPT_ANY_RECIPIENT,
            "ms-exch-bypass-anti-spam",
            "ms-exch-accept-headers-routing",
        },
    ),
    "Partners": ("partner", {SUBMIT, "ms-exch-accept-headers-routing"}),
}


@cache
def citations() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    return data


@cache
def builds() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "builds.json").read_text(encoding="utf-8"))
    return data
