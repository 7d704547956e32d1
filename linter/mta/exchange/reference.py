"""What Microsoft's cmdlet reference says about the properties mtalint reads.

Names, types and enum members come from the Exchange PowerShell reference
(``data/reference.json`` names the page for each property and the date it was read).
The exporter writes every enum by its name; Windows PowerShell's ``ConvertTo-Json``
writes the underlying number instead. The reference pages do not print those numbers;
they are read from Exchange's own enum definitions as published in decompiled form in
two public repositories (``data/reference.json``, ``enum_numbers``, names each file and
commit). A number that is no member (or, for a [Flags] enum, no combination of members)
is a diagnostic and is not used.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

# Set-ReceiveConnector -AuthMechanism <AuthMechanisms> ([Flags];
# Microsoft.Exchange.Data.Directory.SystemConfiguration.AuthMechanisms)
RECEIVE_AUTH_BITS = {
    "Tls": 1,
    "Integrated": 2,
    "BasicAuth": 4,
    "BasicAuthRequireTLS": 8,
    "ExchangeServer": 16,
    "ExternalAuthoritative": 32,
}
RECEIVE_AUTH = tuple(RECEIVE_AUTH_BITS)
# Set-ReceiveConnector -PermissionGroups <PermissionGroups> ([Flags];
# Microsoft.Exchange.Data.PermissionGroups)
PERMISSION_GROUP_BITS = {
    "AnonymousUsers": 1,
    "ExchangeUsers": 2,
    "ExchangeServers": 4,
    "ExchangeLegacyServers": 8,
    "Partners": 16,
    "Custom": 32,
}
PERMISSION_GROUPS = tuple(PERMISSION_GROUP_BITS)
# Set-SendConnector -SmartHostAuthMechanism: one value, not flags
# (SmtpSendConnectorConfig.AuthMechanisms, a different enum from the receive side's)
SEND_AUTH_NUMBERS = {
    0: "None",
    2: "BasicAuth",
    4: "BasicAuthRequireTLS",
    8: "ExchangeServer",
    16: "ExternalAuthoritative",
}
SEND_AUTH = tuple(SEND_AUTH_NUMBERS.values())
# Set-SendConnector -TlsAuthLevel (Microsoft.Exchange.Data.TlsAuthLevel; null: not set).
# DomainValidation is 4, not 3: the transport's internal RequiredTlsAuthLevel numbers 1-3
# are a different enum
TLS_AUTH_LEVEL_NUMBERS = {1: "EncryptionOnly", 2: "CertificateValidation", 4: "DomainValidation"}
TLS_AUTH_LEVELS = tuple(TLS_AUTH_LEVEL_NUMBERS.values())
# -ProtocolLoggingLevel (Microsoft.Exchange.Data.ProtocolLoggingLevel)
PROTOCOL_LOGGING_NUMBERS = {0: "None", 1: "Verbose"}
PROTOCOL_LOGGING = tuple(PROTOCOL_LOGGING_NUMBERS.values())
# a receive connector's TransportRole is a ServerRole
# (Microsoft.Exchange.Data.Directory.SystemConfiguration.ServerRole, [Flags]); a receive
# connector on a Mailbox server holds one of these two
TRANSPORT_ROLE_NUMBERS = {16384: "FrontendTransport", 32: "HubTransport"}
TRANSPORT_ROLES = tuple(TRANSPORT_ROLE_NUMBERS.values())

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
