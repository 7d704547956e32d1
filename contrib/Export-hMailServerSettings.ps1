<#
.SYNOPSIS
    Writes the hMailServer settings that mtalint checks to a JSON file, through hMailServer's COM API.

.DESCRIPTION
    hMailServer keeps its TCP/IP ports, IP ranges, relay, TLS and delivery settings in its
    database. This script reads them with the COM object hMailServer.Application (run it on the
    mail server, as an administrator) and writes one JSON object whose keys are the COM property
    names: Settings, TCPIPPorts, SecurityRanges, SSLCertificates, Routes, IncomingRelays, plus
    Version and the names of the Domains. Check the result with:

        mtalint check hmailserver-settings.json

    No password leaves the server: the COM API gives no way to read the SMTP relayer's or the
    routes' passwords, and the administrator password is only used to log on.

.PARAMETER Path
    The JSON file to write (UTF-8, without byte-order mark). Default: hmailserver-settings.json
    in the current folder.

.PARAMETER AdminUser
    The hMailServer administrator account. Default: Administrator.

.PARAMETER Password
    The administrator password as a SecureString. Asked for when not given.

.EXAMPLE
    .\Export-hMailServerSettings.ps1 -Path C:\config\hmailserver\hmailserver-settings.json
#>
[CmdletBinding()]
param(
    [string]$Path = "hmailserver-settings.json",
    [string]$AdminUser = "Administrator",
    [System.Security.SecureString]$Password
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = "Stop"

# Scalar properties of IInterfaceSettings (hMailServer.idl) that mtalint reads; a property the
# installed version lacks is left out of the file.
$SettingNames = @(
    "ServiceSMTP", "ServicePOP3", "ServiceIMAP", "HostName", "DefaultDomain",
    "WelcomeSMTP", "WelcomePOP3", "WelcomeIMAP",
    "MaxMessageSize", "MaxSMTPConnections", "MaxPOP3Connections", "MaxIMAPConnections",
    "MaxSMTPRecipientsInBatch", "MaxNumberOfInvalidCommands", "DisconnectInvalidClients",
    "AllowSMTPAuthPlain", "DenyMailFromNull", "AllowIncorrectLineEndings",
    "SMTPRelayer", "SMTPRelayerPort", "SMTPRelayerRequiresAuthentication", "SMTPRelayerUsername",
    "SMTPRelayerConnectionSecurity", "SMTPConnectionSecurity", "SMTPDeliveryBindToIP",
    "SMTPNoOfTries", "SMTPMinutesBetweenTry", "MaxNumberOfMXHosts",
    "VerifyRemoteSslCertificate", "SslCipherList",
    "TlsVersion10Enabled", "TlsVersion11Enabled", "TlsVersion12Enabled", "TlsVersion13Enabled",
    "AutoBanOnLogonFailure", "MaxInvalidLogonAttempts", "MaxInvalidLogonAttemptsWithin",
    "AutoBanMinutes"
)
$PortNames = @("ID", "Protocol", "PortNumber", "Address", "ConnectionSecurity", "SSLCertificateID")
$RangeNames = @(
    "ID", "Name", "LowerIP", "UpperIP", "Priority", "Expires",
    "AllowSMTPConnections", "AllowPOP3Connections", "AllowIMAPConnections",
    "AllowDeliveryFromLocalToLocal", "AllowDeliveryFromLocalToRemote",
    "AllowDeliveryFromRemoteToLocal", "AllowDeliveryFromRemoteToRemote",
    "RequireSMTPAuthLocalToLocal", "RequireSMTPAuthLocalToExternal",
    "RequireSMTPAuthExternalToLocal", "RequireSMTPAuthExternalToExternal",
    "RequireSSLTLSForAuth", "EnableSpamProtection", "EnableAntiVirus", "IsForwardingRelay"
)
$CertificateNames = @("ID", "Name", "CertificateFile", "PrivateKeyFile")
$RouteNames = @(
    "ID", "DomainName", "Description", "TargetSMTPHost", "TargetSMTPPort", "NumberOfTries",
    "MinutesBetweenTry", "AllAddresses", "RelayerRequiresAuth", "RelayerAuthUsername",
    "ConnectionSecurity", "TreatRecipientAsLocalDomain", "TreatSenderAsLocalDomain"
)
$RelayNames = @("ID", "Name", "LowerIP", "UpperIP")

function Get-Properties {
    param($Object, [string[]]$Names)
    $values = [ordered]@{}
    foreach ($name in $Names) {
        try {
            $value = $Object.$name
        }
        catch {
            continue  # not a property of this hMailServer version
        }
        if ($value -is [datetime]) {
            $value = $value.ToString("yyyy-MM-ddTHH:mm:ss")
        }
        $values[$name] = $value
    }
    return $values
}

function Get-Collection {
    param($Collection, [string[]]$Names)
    # a list even with one or no item, so ConvertTo-Json writes [...] every time
    $items = New-Object System.Collections.ArrayList
    for ($i = 0; $i -lt $Collection.Count; $i++) {
        [void]$items.Add((Get-Properties $Collection.Item($i) $Names))
    }
    return , $items
}

if (-not $Password) {
    $Password = Read-Host -AsSecureString "Password of the hMailServer account $AdminUser"
}
$credential = New-Object System.Management.Automation.PSCredential($AdminUser, $Password)

$application = New-Object -ComObject hMailServer.Application
$account = $application.Authenticate($AdminUser, $credential.GetNetworkCredential().Password)
if ($null -eq $account) {
    throw "hMailServer refused the logon of $AdminUser"
}
$settings = $application.Settings

$domains = New-Object System.Collections.ArrayList
for ($i = 0; $i -lt $application.Domains.Count; $i++) {
    [void]$domains.Add($application.Domains.Item($i).Name)
}

$export = [ordered]@{
    Version         = $application.Version
    Settings        = Get-Properties $settings $SettingNames
    TCPIPPorts      = Get-Collection $settings.TCPIPPorts $PortNames
    SecurityRanges  = Get-Collection $settings.SecurityRanges $RangeNames
    SSLCertificates = Get-Collection $settings.SSLCertificates $CertificateNames
    Routes          = Get-Collection $settings.Routes $RouteNames
    IncomingRelays  = Get-Collection $settings.IncomingRelays $RelayNames
    Domains         = $domains
}

$json = $export | ConvertTo-Json -Depth 5
$target = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
# UTF-8 without byte-order mark: Windows PowerShell's Out-File would write UTF-16
[System.IO.File]::WriteAllText($target, $json + "`n", (New-Object System.Text.UTF8Encoding($false)))
Write-Verbose "wrote $target"
