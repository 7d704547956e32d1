"""hMailServer's server settings: COM property names, database names, built-in defaults.

The COM API (``hMailServer.Application.Settings``, src ``COM/InterfaceSettings.h``)
and the backup XML (``<Properties>``, one element per ``hm_settings`` row, src
``Application/Constants.h``) name the same setting differently; the model keys every
setting by its COM name. Defaults are the rows ``DBScripts/CreateTablesMYSQL.sql``
inserts on a fresh installation (hMailServer 5.7): what the server does when an
export leaves a setting out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["bool", "int", "str"]

# CreateTablesMYSQL.sql's SslCipherList: it still lists RC4 suites, un-negated
DEFAULT_CIPHER_LIST = (
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-DSS-AES128-GCM-SHA256:"
    "kEDH+AESGCM:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384:"
    "ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA:"
    "DHE-DSS-AES128-SHA256:DHE-RSA-AES256-SHA256:DHE-DSS-AES256-SHA:DHE-RSA-AES256-SHA:"
    "AES128-GCM-SHA256:AES256-GCM-SHA384:ECDHE-RSA-RC4-SHA:ECDHE-ECDSA-RC4-SHA:AES128:AES256:"
    "RC4-SHA:HIGH:!aNULL:!eNULL:!EXPORT:!DES:!3DES:!MD5:!PSK;"
)

# SslVersions bits (TCPIP/SocketConstants.h); bit 1 was SSLv3 in 5.6.x only
SSL_VERSION_BITS = {
    "TlsVersion10Enabled": 2,
    "TlsVersion11Enabled": 4,
    "TlsVersion12Enabled": 8,
    "TlsVersion13Enabled": 16,
}
SSL3_BIT = 1
DEFAULT_SSL_VERSIONS = 14


@dataclass(frozen=True)
class SettingDef:
    com: str  # COM property name, the model's key
    db: str  # hm_settings.settingname, the backup XML element name
    kind: Kind
    default: Any
    inverted: bool = False  # the database stores the opposite (allowmailfromnull)
    choices: tuple[int, ...] = ()  # an enum's values (eConnectionSecurity)


SETTINGS: tuple[SettingDef, ...] = (
    SettingDef("ServiceSMTP", "protocolsmtp", "bool", True),
    SettingDef("ServicePOP3", "protocolpop3", "bool", True),
    SettingDef("ServiceIMAP", "protocolimap", "bool", True),
    SettingDef("HostName", "hostname", "str", ""),
    SettingDef("DefaultDomain", "defaultdomain", "str", ""),
    SettingDef("WelcomeSMTP", "welcomesmtp", "str", ""),
    SettingDef("WelcomePOP3", "welcomepop3", "str", ""),
    SettingDef("WelcomeIMAP", "welcomeimap", "str", ""),
    SettingDef("MaxMessageSize", "maxmessagesize", "int", 20480),
    SettingDef("MaxSMTPConnections", "maxsmtpconnections", "int", 0),
    SettingDef("MaxPOP3Connections", "maxpop3connections", "int", 0),
    SettingDef("MaxIMAPConnections", "maximapconnections", "int", 0),
    SettingDef("MaxSMTPRecipientsInBatch", "maxsmtprecipientsinbatch", "int", 100),
    SettingDef("MaxNumberOfInvalidCommands", "maximumincorrectcommands", "int", 100),
    SettingDef("DisconnectInvalidClients", "disconnectinvalidclients", "bool", False),
    SettingDef("AllowSMTPAuthPlain", "authallowplaintext", "bool", False),
    SettingDef("DenyMailFromNull", "allowmailfromnull", "bool", False, inverted=True),
    SettingDef("AllowIncorrectLineEndings", "smtpallowincorrectlineendings", "bool", True),
    SettingDef("SMTPRelayer", "smtprelayer", "str", ""),
    SettingDef("SMTPRelayerPort", "smtprelayerport", "int", 25),
    SettingDef("SMTPRelayerRequiresAuthentication", "usesmtprelayerauthentication", "bool", False),
    SettingDef("SMTPRelayerUsername", "smtprelayerusername", "str", ""),
    SettingDef(
        "SMTPRelayerConnectionSecurity",
        "smtprelayerconnectionsecurity",
        "int",
        0,
        choices=(0, 1, 2, 3),
    ),
    SettingDef(
        "SMTPConnectionSecurity", "SmtpDeliveryConnectionSecurity", "int", 2, choices=(0, 1, 2, 3)
    ),
    SettingDef("SMTPDeliveryBindToIP", "smtpdeliverybindtoip", "str", ""),
    SettingDef("SMTPNoOfTries", "smtpnoofretries", "int", 4),
    SettingDef("SMTPMinutesBetweenTry", "smtpminutesbetweenretries", "int", 60),
    SettingDef("VerifyRemoteSslCertificate", "VerifyRemoteSslCertificate", "bool", True),
    SettingDef("SslCipherList", "SslCipherList", "str", DEFAULT_CIPHER_LIST),
    SettingDef("AutoBanOnLogonFailure", "AutoBanOnLogonFailureEnabled", "bool", True),
    SettingDef("MaxInvalidLogonAttempts", "MaxInvalidLogonAttempts", "int", 3),
    SettingDef("MaxInvalidLogonAttemptsWithin", "LogonAttemptsWithinMinutes", "int", 30),
    SettingDef("AutoBanMinutes", "AutoBanMinutes", "int", 60),
    SettingDef("MaxNumberOfMXHosts", "MaxNumberOfMXHosts", "int", 15),
) + tuple(
    # stored together as the SslVersions bitmask
    SettingDef(name, "SslVersions", "bool", bool(DEFAULT_SSL_VERSIONS & bit))
    for name, bit in SSL_VERSION_BITS.items()
)

BY_COM = {s.com.lower(): s for s in SETTINGS}
BY_DB = {s.db.lower(): s for s in SETTINGS if s.db != "SslVersions"}

# every scalar property of IInterfaceSettings: a name outside this list in a JSON export
# is a typo or a property no hMailServer version has
KNOWN_COM_PROPERTIES = frozenset(
    name.lower()
    for name in (
        *(s.com for s in SETTINGS),
        "SendStatistics",
        "UserInterfaceLanguage",
        "MirrorEMailAddress",
        "MaxDeliveryThreads",
        "RuleLoopLimit",
        "IMAPPublicFolderName",
        "IMAPSortEnabled",
        "IMAPQuotaEnabled",
        "IMAPIdleEnabled",
        "IMAPACLEnabled",
        "IMAPHierarchyDelimiter",
        "IMAPMasterUser",
        "IMAPSASLPlainEnabled",
        "IMAPSASLInitialResponseEnabled",
        "WorkerThreadPriority",
        "TCPIPThreads",
        "SMTPRelayerUseSSL",
        "AddDeliveredToHeader",
        "PublicFolderDiskName",
        "MaxAsynchronousThreads",
        "TlsOptionPreferServerCiphersEnabled",
        "TlsOptionPrioritizeChaChaEnabled",
        "CrashSimulationMode",
        "VerifyRemoteServerSslCertificate",
    )
)

# eConnectionSecurity (hMailServer.idl): TCPIPPort, Route and relayer connection security
CONNECTION_SECURITY = {0: "none", 1: "implicit", 2: "optional", 3: "required"}
CONNECTION_SECURITY_TEXT = {
    0: "0 (none)",
    1: "1 (SSL/TLS)",
    2: "2 (STARTTLS optional)",
    3: "3 (STARTTLS required)",
}
# eSessionType: TCPIPPort.Protocol
PROTOCOLS = {1: "smtp", 3: "pop3", 5: "imap"}

# SecurityRange Options bits (Common/BO/SecurityRange.h) and their COM property names
RANGE_BITS: tuple[tuple[str, str, int], ...] = (
    ("allow_smtp", "AllowSMTPConnections", 1),
    ("allow_pop3", "AllowPOP3Connections", 2),
    ("allow_imap", "AllowIMAPConnections", 8),
    ("relay_local_to_local", "AllowDeliveryFromLocalToLocal", 64),
    ("relay_local_to_remote", "AllowDeliveryFromLocalToRemote", 128),
    ("relay_remote_to_local", "AllowDeliveryFromRemoteToLocal", 256),
    ("relay_remote_to_remote", "AllowDeliveryFromRemoteToRemote", 512),
    ("spam_protection", "EnableSpamProtection", 1024),
    ("virus_protection", "EnableAntiVirus", 4096),
    ("auth_local_to_local", "RequireSMTPAuthLocalToLocal", 8192),
    ("auth_local_to_external", "RequireSMTPAuthLocalToExternal", 16384),
    ("auth_external_to_local", "RequireSMTPAuthExternalToLocal", 32768),
    ("auth_external_to_external", "RequireSMTPAuthExternalToExternal", 65536),
    ("require_tls_for_auth", "RequireSSLTLSForAuth", 131072),
)


def coerce(kind: Kind, value: Any) -> Any:
    """A JSON or XML value as the setting's type, or None when it cannot be one.

    COM booleans arrive as true/false (ConvertTo-Json) or 0/1 and "True"/"False";
    enums and longs as numbers or numeric strings.
    """
    if kind == "str":
        if value is None:
            return ""
        return value if isinstance(value, str) else None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1", "-1"):
            return value.strip().lower() in ("true", "1", "-1")
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isascii() and text.lstrip("-").isdecimal() and len(text) < 20:
            return int(text)
    return None
