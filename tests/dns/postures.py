"""Postures for the DNS stage's tests: the identity (and outbound TLS) a test asks about,
every other field at a value that says nothing."""

from __future__ import annotations

from typing import Any

from linter.posture import Identity, Outbound, Posture, TlsSettings


def posture(identity: dict[str, Any], outbound_tls: str = "none") -> Posture:
    """A posture whose identity holds ``identity``'s fields (hostname, destinations...)."""
    fields: dict[str, Any] = {"hostname": "", "domain": "", "origin": "", "destinations": []}
    return Posture(
        mta="postfix",
        roles=[],
        listeners=[],
        outbound=Outbound(None, outbound_tls, outbound_tls, False, False, False),  # type: ignore[arg-type]
        tls=TlsSettings([], [], [], [], "", "", "", ""),
        identity=Identity(**{**fields, **identity}),
    )
