"""TLS versions a port accepts, tried one by one with Python's ssl module.

Each try pins the context's minimum and maximum to one version and lowers OpenSSL's
security level to 0 (``@SECLEVEL=0``), which distributions raise to refuse TLS 1.0 and
1.1 (and their SHA-1 signatures) by default: the probe must be able to *offer* an old
version to learn whether the server accepts it. A version the local OpenSSL cannot offer
even then (compiled out, or forbidden by policy) is reported as not testable here,
never as refused.
"""

from __future__ import annotations

import contextlib
import ssl
from functools import cache

VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
WEAK_VERSIONS = ("TLSv1", "TLSv1.1")
# names of ciphers (OpenSSL spelling) that give no real protection
WEAK_CIPHER_MARKS = ("NULL", "EXP", "RC4", "DES-CBC-", "ADH", "AECDH", "anon", "MD5")


def client_context(version: str | None = None) -> ssl.SSLContext:
    """A context that verifies nothing (the certificate is judged separately), pinned
    to ``version`` when given, at security level 0 so that old versions can be offered."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    if version is not None:
        ctx.minimum_version = VERSIONS[version]
        ctx.maximum_version = VERSIONS[version]
    else:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    return ctx


@cache
def local_support(version: str) -> str:
    """ "" when this machine's OpenSSL can offer ``version``, else why not.

    Decided without the network: a client handshake on memory buffers either writes a
    ClientHello or fails with OpenSSL's reason ("no protocols available")."""
    flag = {"TLSv1": "HAS_TLSv1", "TLSv1.1": "HAS_TLSv1_1", "TLSv1.2": "HAS_TLSv1_2"}.get(
        version, "HAS_TLSv1_3"
    )
    if not getattr(ssl, flag, False):
        return f"this Python's OpenSSL ({ssl.OPENSSL_VERSION}) is built without {version}"
    try:
        ctx = client_context(version)
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(incoming, outgoing, server_side=False)
        # SSLWantReadError: the ClientHello is written and the answer awaited: it can offer
        with contextlib.suppress(ssl.SSLWantReadError):
            obj.do_handshake()
        if not outgoing.pending:
            return f"the local OpenSSL ({ssl.OPENSSL_VERSION}) writes no {version} ClientHello"
    except (ssl.SSLError, ValueError) as exc:
        return f"the local OpenSSL ({ssl.OPENSSL_VERSION}) refuses to offer {version}: {exc}"
    return ""


def weak_cipher(name: str, bits: int | None) -> bool:
    return any(mark in name for mark in WEAK_CIPHER_MARKS) or (bits is not None and bits < 128)
