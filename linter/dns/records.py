"""Reading the TXT records mail policy lives in: DMARC, DKIM keys, MTA-STS, TLS-RPT.

Each parser takes the TXT strings found at the name and returns what the rules need; a
record that is not there or cannot be read says so in ``status`` instead of raising.
A record is whatever a DNS server sends (up to 64 KB): every parser here works in time
linear in its length (string methods, and regexes only where no backtracking can occur),
and numbers are length-checked before ``int()``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def tags(text: str) -> dict[str, str] | None:
    r"""``k=v; k=v`` tag lists (RFC 6376 §3.2, RFC 7489 §6.4); None when malformed.

    Split and strip rather than one regex per tag: ``\s*=\s*(.*?)\s*$`` backtracks
    quadratically over a long run of spaces before a line break (30,000 spaces: seconds).
    """
    out: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or _TAG_NAME.fullmatch(name) is None:
            return None
        name = name.lower()
        if name in out:
            return None  # a tag twice makes the record invalid
        out[name] = value.strip()
    return out


def percentage(text: str, default: int = 100) -> int:
    """A DMARC ``pct=`` value: 0 to 100, else the default (RFC 7489 §6.3, §6.6.3: a value
    in error is ignored). A length check comes first: ``int()`` of thousands of digits
    raises (Python's digit limit) and costs quadratic time below it."""
    digits = text.strip()
    if not (digits.isascii() and digits.isdigit()):
        return default
    digits = digits.lstrip("0") or "0"
    if len(digits) > 3:
        return default
    value = int(digits)
    return value if value <= 100 else default


def records_with(texts: tuple[str, ...], version: str) -> list[str]:
    """The TXT strings that start with ``version`` (e.g. ``v=DMARC1``)."""
    pattern = re.compile(rf"^\s*{re.escape(version)}\s*(;|$)", re.IGNORECASE)
    return [t for t in texts if pattern.match(t)]


def dmarc(texts: tuple[str, ...]) -> dict[str, Any]:
    found = records_with(texts, "v=DMARC1")
    if not found:
        return {"status": "missing"}
    if len(found) > 1:
        return {"status": "invalid", "problem": f"{len(found)} DMARC records", "records": found}
    record = found[0]
    parsed = tags(record)
    if parsed is None or parsed.get("p", "").lower() not in ("none", "quarantine", "reject"):
        problem = (
            "malformed tag list" if parsed is None else "p= missing or not none/quarantine/reject"
        )
        return {"status": "invalid", "problem": problem, "record": record}
    pct = percentage(parsed.get("pct", "100"))
    return {
        "status": "ok",
        "record": record,
        "policy": parsed["p"].lower(),
        "subdomain_policy": parsed.get("sp", parsed["p"]).lower(),
        "pct": pct,
        "rua": [u.strip() for u in parsed.get("rua", "").split(",") if u.strip()],
        "adkim": parsed.get("adkim", "r").lower(),
        "aspf": parsed.get("aspf", "r").lower(),
    }


def dkim(texts: tuple[str, ...]) -> dict[str, Any]:
    """A DKIM key record (RFC 6376 §3.6.1): key type and size."""
    candidates = [t for t in texts if "p=" in t.replace(" ", "")]
    if not candidates:
        return {"status": "missing"}
    record = candidates[0]
    parsed = tags(record)
    if parsed is None or "p" not in parsed:
        return {"status": "invalid", "problem": "malformed tag list", "record": record}
    if parsed.get("v", "DKIM1") != "DKIM1":
        return {"status": "invalid", "problem": "v= is not DKIM1", "record": record}
    key_type = parsed.get("k", "rsa").lower()
    data = re.sub(r"\s+", "", parsed["p"])
    if not data:
        return {"status": "revoked", "record": record, "key_type": key_type}
    try:
        der = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return {"status": "invalid", "problem": "p= is not base64", "record": record}
    if key_type == "ed25519":
        bits = 256 if len(der) == 32 else None
    elif key_type == "rsa":
        bits = rsa_key_bits(der)
    else:
        bits = None
    if bits is None:
        return {"status": "invalid", "problem": f"cannot read the {key_type} key", "record": record}
    return {"status": "ok", "record": record, "key_type": key_type, "key_bits": bits}


def rsa_key_bits(der: bytes) -> int | None:
    """The modulus size of an RSA key: SubjectPublicKeyInfo or a bare RSAPublicKey."""
    try:
        tag, body, _ = _der(der, 0)
        if tag != 0x30:
            return None
        tag, first, end = _der(body, 0)
        if tag == 0x30:  # SubjectPublicKeyInfo: AlgorithmIdentifier, BIT STRING
            tag, bits, _ = _der(body, end)
            if tag != 0x03 or not bits:
                return None
            tag, key, _ = _der(bits[1:], 0)  # skip the unused-bits byte
            if tag != 0x30:
                return None
            tag, modulus, _ = _der(key, 0)
        else:  # RSAPublicKey: the modulus comes first
            modulus = first
        if tag != 0x02:
            return None
        modulus = modulus.lstrip(b"\0")
        return (len(modulus) - 1) * 8 + modulus[0].bit_length() if modulus else None
    except IndexError:
        return None


def _der(data: bytes, at: int) -> tuple[int, bytes, int]:
    """One DER element at ``at``: (tag, contents, offset after it)."""
    tag = data[at]
    length = data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4:
            raise IndexError("unsupported DER length")
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    if at + length > len(data):
        raise IndexError("truncated DER")
    return tag, data[at : at + length], at + length


def mta_sts(texts: tuple[str, ...]) -> dict[str, Any]:
    """``_mta-sts`` TXT (RFC 8461 §3.1): v=STSv1 and an id."""
    found = records_with(texts, "v=STSv1")
    if not found:
        return {"status": "missing"}
    if len(found) > 1:
        return {"status": "invalid", "problem": "more than one STSv1 record", "records": found}
    parsed = tags(found[0]) or {}
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", parsed.get("id", "")):
        return {"status": "invalid", "problem": "id= missing or malformed", "record": found[0]}
    return {"status": "ok", "record": found[0], "id": parsed["id"]}


def tlsrpt(texts: tuple[str, ...]) -> dict[str, Any]:
    """``_smtp._tls`` TXT (RFC 8460 §3): v=TLSRPTv1 with rua."""
    found = records_with(texts, "v=TLSRPTv1")
    if not found:
        return {"status": "missing"}
    if len(found) > 1:
        return {"status": "invalid", "problem": "more than one TLSRPTv1 record", "records": found}
    parsed = tags(found[0]) or {}
    if not parsed.get("rua"):
        return {"status": "invalid", "problem": "rua= missing", "record": found[0]}
    return {"status": "ok", "record": found[0], "rua": parsed["rua"]}
