"""Enums written as numbers (Windows PowerShell's ConvertTo-Json) are read by Exchange's
own numbers, and a number Exchange does not have is reported, never guessed.

The numbers come from Exchange's enum definitions as two public repositories publish them
decompiled (linter/mta/exchange/data/reference.json, ``enum_numbers``, names file and
commit): AuthMechanisms Tls 1, Integrated 2, BasicAuth 4, BasicAuthRequireTLS 8,
ExchangeServer 16, ExternalAuthoritative 32; PermissionGroups AnonymousUsers 1,
ExchangeUsers 2, ExchangeServers 4, ExchangeLegacyServers 8, Partners 16, Custom 32;
ServerRole HubTransport 32, FrontendTransport 16384; TlsAuthLevel EncryptionOnly 1,
CertificateValidation 2, DomainValidation 4; the send connector's AuthMechanisms None 0,
BasicAuth 2, BasicAuthRequireTLS 4, ExchangeServer 8, ExternalAuthoritative 16;
ProtocolLoggingLevel None 0, Verbose 1. The connectors below are the defaults Microsoft
documents ("Receive connectors": Client Frontend TLS, BasicAuth, BasicAuthRequireTLS,
Integrated / ExchangeUsers; Default Frontend adds ExchangeServer / AnonymousUsers,
ExchangeLegacyServers, ExchangeServers), their numbers summed by hand.
"""

from __future__ import annotations

import json

import pytest

from linter.mta.exchange import reference
from linter.mta.exchange.model import build_model
from linter.mta.exchange.records import read_json

CLIENT = {"Name": "Client Frontend EX01", "Bindings": ["0.0.0.0:587"]}


def receive(**values):
    text = json.dumps({"ReceiveConnectors": [{**CLIENT, **values}]})
    model = build_model(read_json("x.json", text))
    return model.receive[0], [d.kind for d in model.diagnostics]


def send(**values):
    item = {"Name": "Out", "AddressSpaces": ["SMTP:*;1"], **values}
    model = build_model(read_json("x.json", json.dumps({"SendConnectors": [item]})))
    return model.send[0], [d.kind for d in model.diagnostics]


def test_client_frontend_defaults_by_number():
    # 1 + 2 + 4 + 8 = 15; ExchangeUsers = 2; FrontendTransport = 16384
    c, problems = receive(AuthMechanism=15, PermissionGroups=2, TransportRole=16384)
    assert c.auth == {"Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS"}
    assert c.groups == {"ExchangeUsers"}
    assert c.role == "FrontendTransport" and problems == []


def test_default_frontend_defaults_by_number():
    # 1 + 2 + 4 + 8 + 16 = 31; AnonymousUsers 1 + ExchangeServers 4 + ExchangeLegacyServers 8
    c, problems = receive(AuthMechanism=31, PermissionGroups=13, ProtocolLoggingLevel=1)
    assert c.auth == {"Tls", "Integrated", "BasicAuth", "BasicAuthRequireTLS", "ExchangeServer"}
    assert c.groups == {"AnonymousUsers", "ExchangeServers", "ExchangeLegacyServers"}
    assert c.protocol_logging == "Verbose" and problems == []


@pytest.mark.parametrize(("number", "role"), [(32, "HubTransport"), (16384, "FrontendTransport")])
def test_transport_role_by_number(number, role):
    c, problems = receive(TransportRole=number)
    assert c.role == role and problems == []


def test_a_server_role_that_is_no_transport_role_is_reported():
    c, problems = receive(TransportRole=2)  # ServerRole.Mailbox
    assert c.role == "" and problems == ["invalid-value"]


@pytest.mark.parametrize(
    ("number", "level"),
    [(1, "EncryptionOnly"), (2, "CertificateValidation"), (4, "DomainValidation")],
)
def test_tls_auth_level_by_number(number, level):
    s, problems = send(TlsAuthLevel=number, RequireTLS=True)
    assert s.tls_auth_level == level and problems == []


def test_tls_auth_level_3_is_no_member():
    # 3 is DomainValidation only in the transport's internal RequiredTlsAuthLevel
    s, problems = send(TlsAuthLevel=3)
    assert s.tls_auth_level == "" and problems == ["invalid-value"]


@pytest.mark.parametrize(
    ("number", "mechanism"),
    [
        (0, "None"),
        (2, "BasicAuth"),
        (4, "BasicAuthRequireTLS"),
        (8, "ExchangeServer"),
        (16, "ExternalAuthoritative"),
    ],
)
def test_smart_host_auth_mechanism_by_number(number, mechanism):
    s, problems = send(SmartHostAuthMechanism=number)
    assert s.smart_host_auth == mechanism and problems == []


def test_smart_host_auth_mechanism_1_is_no_member():
    # counting the members in the order the reference lists them would have made it BasicAuth
    s, problems = send(SmartHostAuthMechanism=1)
    assert s.smart_host_auth == "None" and problems == ["invalid-value"]


def test_the_code_uses_the_numbers_the_data_file_cites():
    cited = reference.citations()["enum_numbers"]
    assert {k: v for k, v in cited["AuthMechanisms"]["numbers"].items() if v} == (
        reference.RECEIVE_AUTH_BITS
    )
    assert {k: v for k, v in cited["PermissionGroups"]["numbers"].items() if v} == (
        reference.PERMISSION_GROUP_BITS
    )
    pairs = {
        "ServerRole": reference.TRANSPORT_ROLE_NUMBERS,
        "ProtocolLoggingLevel": reference.PROTOCOL_LOGGING_NUMBERS,
        "TlsAuthLevel": reference.TLS_AUTH_LEVEL_NUMBERS,
        "SmtpSendConnectorConfig.AuthMechanisms": reference.SEND_AUTH_NUMBERS,
    }
    for name, numbers in pairs.items():
        assert {v: k for k, v in cited[name]["numbers"].items()} == numbers, name
    for entry in cited.values():
        if isinstance(entry, dict):
            assert len(entry["sources"]) >= 2
            assert all(len(s["commit"]) == 40 and s["path"] for s in entry["sources"])
