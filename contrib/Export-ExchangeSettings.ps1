<#
.SYNOPSIS
    Writes the Exchange transport settings that mtalint checks to a JSON file.

.DESCRIPTION
    Run in the Exchange Management Shell (Exchange 2013, 2016, 2019 or Subscription Edition).
    Reads Get-ReceiveConnector (with the relay-relevant Get-ADPermission entries of each
    connector), Get-SendConnector, Get-TransportConfig, Get-TransportService,
    Get-AcceptedDomain and Get-ExchangeServer, and writes one JSON object:

        { "ReceiveConnectors": [...], "SendConnectors": [...], "TransportConfig": {...},
          "TransportServices": [...], "AcceptedDomains": [...], "ExchangeServers": [...] }

    Every enum is written by its name ("Tls, BasicAuth"), every list as a JSON array of
    strings, so the output does not depend on how Windows PowerShell's ConvertTo-Json
    writes enums (as numbers). Check the result with:

        mtalint check exchange-settings.json

    No secret is exported: send connector credentials (AuthenticationCredential) are left out.

.PARAMETER Path
    The JSON file to write (UTF-8). Default: exchange-settings.json in the current folder.

.PARAMETER Server
    Export the connectors of this server only. Default: every server.

.EXAMPLE
    .\Export-ExchangeSettings.ps1 -Path C:\config\exchange\exchange-settings.json
#>
[CmdletBinding()]
param(
    [string]$Path = (Join-Path (Get-Location) 'exchange-settings.json'),
    [string]$Server = ''
)
$ErrorActionPreference = 'Stop'

# the extended rights that decide relaying and sender spoofing
$RelayRights = @(
    'ms-Exch-SMTP-Accept-Any-Recipient',
    'ms-Exch-SMTP-Submit',
    'ms-Exch-SMTP-Accept-Any-Sender',
    'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender',
    'ms-Exch-SMTP-Accept-Authoritative-Domain',
    'ms-Exch-Bypass-Anti-Spam',
    'ms-Exch-Accept-Headers-Routing'
)

function Text($value) {
    if ($null -eq $value) { return $null }
    return [string]$value
}

function Items($value) {
    if ($null -eq $value) { return @() }
    return @($value | ForEach-Object { [string]$_ })
}

function Receive-Connector($c) {
    $permissions = @(
        Get-ADPermission -Identity $c.Identity |
            Where-Object { $_.ExtendedRights } |
            ForEach-Object {
                $rights = @($_.ExtendedRights | ForEach-Object { [string]$_ } |
                    Where-Object { $RelayRights -contains $_ })
                if ($rights.Count -gt 0) {
                    [ordered]@{
                        User           = [string]$_.User
                        ExtendedRights = $rights
                        Deny           = [bool]$_.Deny
                        IsInherited    = [bool]$_.IsInherited
                    }
                }
            }
    )
    [ordered]@{
        Identity             = [string]$c.Identity
        Name                 = [string]$c.Name
        Server               = [string]$c.Server
        TransportRole        = Text $c.TransportRole
        Enabled              = [bool]$c.Enabled
        Bindings             = Items $c.Bindings
        RemoteIPRanges       = Items $c.RemoteIPRanges
        AuthMechanism        = Text $c.AuthMechanism
        PermissionGroups     = Text $c.PermissionGroups
        RequireTLS           = [bool]$c.RequireTLS
        Banner               = Text $c.Banner
        Fqdn                 = Text $c.Fqdn
        MaxMessageSize       = Text $c.MaxMessageSize
        ProtocolLoggingLevel = Text $c.ProtocolLoggingLevel
        ADPermissions        = $permissions
    }
}

function Send-Connector($s) {
    [ordered]@{
        Identity               = [string]$s.Identity
        Name                   = [string]$s.Name
        Enabled                = [bool]$s.Enabled
        AddressSpaces          = Items $s.AddressSpaces
        SmartHosts             = Items $s.SmartHosts
        DNSRoutingEnabled      = [bool]$s.DNSRoutingEnabled
        Port                   = [int]$s.Port
        RequireTLS             = [bool]$s.RequireTLS
        TlsAuthLevel           = Text $s.TlsAuthLevel
        SmartHostAuthMechanism = Text $s.SmartHostAuthMechanism
        IgnoreSTARTTLS         = [bool]$s.IgnoreSTARTTLS
        Fqdn                   = Text $s.Fqdn
        MaxMessageSize         = Text $s.MaxMessageSize
        ProtocolLoggingLevel   = Text $s.ProtocolLoggingLevel
    }
}

$receive = if ($Server) { Get-ReceiveConnector -Server $Server } else { Get-ReceiveConnector }
$transportConfig = Get-TransportConfig
$export = [ordered]@{
    ExportedBy        = 'Export-ExchangeSettings.ps1'
    ReceiveConnectors = @($receive | ForEach-Object { Receive-Connector $_ })
    SendConnectors    = @(Get-SendConnector | ForEach-Object { Send-Connector $_ })
    TransportConfig   = [ordered]@{
        MaxReceiveSize = Text $transportConfig.MaxReceiveSize
        MaxSendSize    = Text $transportConfig.MaxSendSize
        TLSReceiveDomainSecureList = Items $transportConfig.TLSReceiveDomainSecureList
        TLSSendDomainSecureList    = Items $transportConfig.TLSSendDomainSecureList
    }
    TransportServices = @(Get-TransportService | ForEach-Object {
        [ordered]@{
            Name                             = [string]$_.Name
            ReceiveProtocolLogPath           = Text $_.ReceiveProtocolLogPath
            SendProtocolLogPath              = Text $_.SendProtocolLogPath
            IntraOrgConnectorProtocolLoggingLevel = Text $_.IntraOrgConnectorProtocolLoggingLevel
        }
    })
    AcceptedDomains   = @(Get-AcceptedDomain | ForEach-Object {
        [ordered]@{
            Name       = [string]$_.Name
            DomainName = [string]$_.DomainName
            DomainType = Text $_.DomainType
            Default    = [bool]$_.Default
        }
    })
    ExchangeServers   = @(Get-ExchangeServer | ForEach-Object {
        [ordered]@{
            Name                = [string]$_.Name
            AdminDisplayVersion = Text $_.AdminDisplayVersion
            ServerRole          = Text $_.ServerRole
            Edition             = Text $_.Edition
        }
    })
}

$json = $export | ConvertTo-Json -Depth 8
[System.IO.File]::WriteAllText($Path, $json, (New-Object System.Text.UTF8Encoding $false))
Write-Host "Wrote $Path"
