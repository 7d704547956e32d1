"""The server certificate: chain trust, host names, expiry, key size, self-signed.

Trust is decided by OpenSSL itself (a second handshake that verifies against the system
store or ``--ca-file``); the other facts are read from the leaf certificate with the
``cryptography`` package (the ``probe`` extra). Without it, those facts are reported as
not checked rather than guessed.
"""

from __future__ import annotations

import ipaddress
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from linter.posture import is_ip_address

MIN_RSA_BITS = 2048
MIN_EC_BITS = 224


def verify_context(ca_file: str | None) -> Any:
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False  # names are matched below, against every name asked for
    ctx.verify_mode = ssl.CERT_REQUIRED
    if ca_file:
        ctx.load_verify_locations(cafile=ca_file)
    else:
        ctx.load_default_certs()
    return ctx


def certificate_facts(
    der: bytes | None, names: list[str], now: datetime | None = None
) -> dict[str, Any]:
    """What the leaf certificate says, against the host ``names`` it should carry."""
    facts: dict[str, Any] = {"present": der is not None}
    if der is None:
        return facts
    try:
        from cryptography import x509
    except ImportError:
        facts["parsed"] = False
        facts["parse_error"] = (
            "the cryptography package is not installed (pip install mtalint[probe])"
        )
        return facts
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        facts["parsed"] = False
        facts["parse_error"] = f"the certificate cannot be read: {exc}"
        return facts
    facts["parsed"] = True
    with _quiet_dsa():
        facts.update(_read(der, cert, names, now or datetime.now(UTC)))
    return facts


# reading a DSA key (to judge it) makes cryptography warn that DSA is deprecated, on
# stderr, once per certificate: a message about the library, not about the server.
# warnings.catch_warnings() swaps a process-wide filter list, so the probe's threads take
# turns here, or one thread could put back the list another has just changed.
_WARNINGS_LOCK = threading.Lock()


@contextmanager
def _quiet_dsa() -> Iterator[None]:
    from cryptography.utils import CryptographyDeprecationWarning

    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
        )
        yield


def _read(der: bytes, cert: Any, names: list[str], now: datetime) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    facts: dict[str, Any] = {}
    not_after = cert.not_valid_after_utc
    facts["subject"] = cert.subject.rfc4514_string()[:300]
    facts["issuer"] = cert.issuer.rfc4514_string()[:300]
    facts["not_before"] = cert.not_valid_before_utc.isoformat()
    facts["not_after"] = not_after.isoformat()
    facts["expired"] = not_after < now
    facts["not_yet_valid"] = cert.not_valid_before_utc > now
    facts["days_left"] = (not_after - now).days
    facts["self_signed"] = cert.issuer == cert.subject and _signed_by_itself(cert)
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        facts["key_type"], bits, minimum = "RSA", key.key_size, MIN_RSA_BITS
    elif isinstance(key, dsa.DSAPublicKey):
        facts["key_type"], bits, minimum = "DSA", key.key_size, MIN_RSA_BITS
    elif isinstance(key, ec.EllipticCurvePublicKey):
        facts["key_type"], bits, minimum = f"EC {key.curve.name}", key.key_size, MIN_EC_BITS
    elif isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)):
        facts["key_type"], bits, minimum = type(key).__name__.replace("PublicKey", ""), 256, 0
    else:
        facts["key_type"], bits, minimum = type(key).__name__, 0, 0
    facts["key_bits"] = bits
    facts["weak_key"] = bool(minimum) and bits < minimum
    cert_names = _names(cert, x509)
    facts["names"] = cert_names[:50]
    facts["names_checked"] = list(names)
    facts["names_unmatched"] = [n for n in names if not any(_match(p, n) for p in cert_names)]
    facts["dane_digests"] = _dane_digests(der, cert)
    return facts


def _dane_digests(der: bytes, cert: Any) -> dict[str, str]:
    """The leaf's TLSA association data (RFC 6698 §2.1), "SELECTOR MATCHING" → hex, for
    the digests (matching types 1 and 2) of the certificate (0) and of its key (1)."""
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    try:
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001 - a key cryptography cannot re-encode: no digests
        return {}
    return {
        f"{selector} {matching}": getattr(hashlib, algorithm)(data).hexdigest()
        for selector, data in ((0, der), (1, spki))
        for matching, algorithm in ((1, "sha256"), (2, "sha512"))
    }


def _signed_by_itself(cert: Any) -> bool:
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure means "not self-signed"
        return False
    return True


def _names(cert: Any, x509: Any) -> list[str]:
    """subjectAltName DNS names and addresses; the common name only without them
    (RFC 6125 §6.4.4)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        san = None
    if san is not None:
        dns = [str(n) for n in san.get_values_for_type(x509.DNSName)]
        ips = [str(a) for a in san.get_values_for_type(x509.IPAddress)]
        return dns + ips
    return [str(a.value) for a in cert.subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)]


def name_matches(pattern: str, name: str) -> bool:
    """Whether a certificate name ``pattern`` covers host ``name`` (RFC 6125)."""
    return _match(pattern, name)


def _match(pattern: str, name: str) -> bool:
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole left-most label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if is_ip_address(name):
        return is_ip_address(pattern) and ipaddress.ip_address(pattern) == ipaddress.ip_address(
            name
        )
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == name
