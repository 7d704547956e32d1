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
import warnings
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
        with warnings.catch_warnings():
            # pinning TLS 1.0/1.1 is the point here, not an accident Python should flag
            warnings.simplefilter("ignore", DeprecationWarning)
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


# --------------------------------------------------------------------- cipher suites

# weak classes of cipher suites, each recognised by a mark in the OpenSSL name
WEAK_CLASSES: dict[str, tuple[str, ...]] = {
    "NULL": ("NULL",),
    "EXPORT": ("EXP",),
    "RC4": ("RC4",),
    "3DES": ("DES-CBC3", "3DES"),
    "DES": ("DES-CBC-",),
    "anon": ("ADH-", "AECDH-", "anon"),
}
# suites no server picks without a pre-shared key or SRP password: offering them wastes
# a handshake
_NEEDS_SECRET = ("PSK", "SRP")


def cipher_classes(name: str) -> list[str]:
    """The weak classes an OpenSSL cipher suite name belongs to (none for a sound one)."""
    return [c for c, marks in WEAK_CLASSES.items() if any(m in name for m in marks)]


@cache
def cipher_candidates(version: str) -> tuple[str, ...]:
    """The TLS 1.0-1.2 suites the local OpenSSL can offer pinned to ``version``, weak
    ones included (``ALL:COMPLEMENTOFALL`` at security level 0). TLS 1.3 suites are not
    chosen through ``set_ciphers`` and are all AEAD: none is listed."""
    if version == "TLSv1.3" or local_support(version):
        return ()
    ctx = client_context(version)
    try:
        ctx.set_ciphers("ALL:COMPLEMENTOFALL:@SECLEVEL=0")
    except ssl.SSLError:
        return ()
    # a suite's "protocol" is the oldest version it works in (SSLv3, TLSv1.0, TLSv1.2,
    # TLSv1.3): TLS 1.2's AEAD and SHA-2 suites cannot be used in 1.0 or 1.1
    unusable = ("TLSv1.3",) if version == "TLSv1.2" else ("TLSv1.2", "TLSv1.3")
    return tuple(
        c["name"]
        for c in ctx.get_ciphers()
        if c["protocol"] not in unusable and not any(s in c["name"] for s in _NEEDS_SECRET)
    )


def untestable_classes() -> list[str]:
    """Weak classes the local OpenSSL cannot offer in any version (compiled out, or in
    its legacy provider): a server accepting them would go unseen."""
    offered = {c for v in VERSIONS for name in cipher_candidates(v) for c in cipher_classes(name)}
    return [c for c in WEAK_CLASSES if c not in offered]


def cipher_context(version: str, suites: list[str]) -> ssl.SSLContext:
    """A context pinned to ``version`` that offers exactly ``suites``."""
    ctx = client_context(version)
    ctx.set_ciphers(":".join(suites) + ":@SECLEVEL=0")
    return ctx
