"""Posture facts that rest on a value mtalint could not work out.

A parameter whose ``$name`` expansion reached a limit has no known value. Every posture
fact computed from it is then forgotten (:meth:`linter.posture.Posture.forget`: left out of
the facts, so rules see it as absent and stay silent, and of the DNS stage's inputs), or,
for a relay verdict, made ``unknown``: unknown over wrong.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

from linter.posture import RelayPolicy

if TYPE_CHECKING:
    from linter.mta.postfix.model import PostfixModel, Service
    from linter.posture import Posture

_TLS = (
    "smtpd_tls_wrappermode",
    "smtpd_tls_security_level",
    "smtpd_enforce_tls",
    "smtpd_use_tls",
)
_AUTH = ("smtpd_sasl_auth_enable", "smtpd_tls_auth_only", "smtpd_sasl_security_options", *_TLS)
_CERTIFICATE = (
    "smtpd_tls_chain_files",
    "smtpd_tls_cert_file",
    "smtpd_tls_eccert_file",
    "smtpd_tls_dcert_file",
)
_RELAY = (
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
    "smtpd_restriction_classes",
    "mynetworks",
    "mynetworks_style",
    "smtpd_sasl_auth_enable",
)

# listener fact → the parameters (of the listener's service) it is computed from
LISTENER_INPUTS: dict[str, tuple[str, ...]] = {
    "tls": _TLS,
    "auth": _AUTH,
    "auth_before_tls": _AUTH,
    "auth_plaintext_mechanisms": _AUTH,
    "relay": _RELAY,
    "tls_certificate": _CERTIFICATE,
    "anonymous_tls": _CERTIFICATE,
    "vrfy": ("disable_vrfy_command",),
    "helo_required": ("smtpd_helo_required",),
    "banner_expanded": ("smtpd_banner",),
}

# other posture facts (main.cf context) → their parameters
POSTURE_INPUTS: dict[str, tuple[str, ...]] = {
    "outbound.relayhost": ("relayhost",),
    "outbound.tls": ("smtp_tls_security_level", "smtp_enforce_tls", "smtp_use_tls"),
    "outbound.tls_level": ("smtp_tls_security_level",),
    "outbound.wrappermode": ("smtp_tls_wrappermode",),
    "outbound.auth": ("smtp_sasl_auth_enable",),
    "outbound.auth_plaintext_without_tls": (
        "smtp_sasl_auth_enable",
        "smtp_sasl_security_options",
        "smtp_tls_security_level",
        "smtp_enforce_tls",
        "smtp_use_tls",
    ),
    "tls.server_protocols": ("smtpd_tls_protocols",),
    "tls.server_mandatory_protocols": ("smtpd_tls_mandatory_protocols",),
    "tls.client_protocols": ("smtp_tls_protocols",),
    "tls.client_mandatory_protocols": ("smtp_tls_mandatory_protocols",),
    "tls.weak_server_protocols": ("smtpd_tls_protocols", "smtpd_tls_mandatory_protocols"),
    "tls.weak_client_protocols": ("smtp_tls_protocols", "smtp_tls_mandatory_protocols"),
    "tls.server_ciphers": ("smtpd_tls_ciphers",),
    "tls.server_mandatory_ciphers": ("smtpd_tls_mandatory_ciphers",),
    "tls.client_ciphers": ("smtp_tls_ciphers",),
    "tls.client_mandatory_ciphers": ("smtp_tls_mandatory_ciphers",),
    "identity.hostname": ("myhostname",),
    "identity.domain": ("mydomain",),
    "identity.origin": ("myorigin",),
    "identity.destinations": ("mydestination",),
    "identity.sending_domains": ("myorigin", "masquerade_domains"),
    "identity.outbound_addresses": ("smtp_bind_address", "smtp_bind_address6"),
    "identity.dkim_signing": ("smtpd_milters", "non_smtpd_milters"),
}


def mask_unknown(model: PostfixModel, posture: Posture, services: list[Service | None]) -> None:
    """Forget in ``posture`` what rests on an unknown value (a relay verdict becomes
    ``unknown``); ``services[i]`` is the service whose settings listener ``i`` uses."""
    if not model.has_unknown():
        return
    for i, (listener, service) in enumerate(zip(posture.listeners, services, strict=False)):
        for fact, names in LISTENER_INPUTS.items():
            unknown = next((n for n in names if model.unknown(n, service)), None)
            if unknown is None:
                continue
            if fact == "relay":
                listener.relay = RelayPolicy(
                    "unknown", reason=f"the value of {unknown} is not known (an expansion limit)"
                )
                # the verdict and its reason are all that is said about it
                for name in _RELAY_DETAILS:
                    posture.forget(f"listeners[{i}].relay.{name}")
            else:
                posture.forget(f"listeners[{i}].{fact}")
    for path, names in POSTURE_INPUTS.items():
        if any(model.unknown(n) for n in names):
            posture.forget(path)


_RELAY_DETAILS = tuple(f.name for f in fields(RelayPolicy) if f.name not in ("verdict", "reason"))
