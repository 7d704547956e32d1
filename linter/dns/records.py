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


# RFC 7489 §6.4: dmarc-version = "v" *WSP "=" *WSP %x44.4d.41.52.43.31, first in the record:
# "DMARC1" is case-sensitive (only the quoted "v" is not), and nothing may precede the "v"
_DMARC_VERSION = re.compile(r"[vV][ \t]*=[ \t]*DMARC1[ \t]*(;|$)")
# what a record meant as DMARC looks like when the version is wrong (reported, not used)
_DMARC_LIKE = re.compile(r"\s*v\s*=\s*dmarc", re.IGNORECASE)
_POLICIES = ("none", "quarantine", "reject")
# a URI: scheme ":" something (RFC 3986 §3.1); RFC 7489 §6.2 asks every receiver for mailto
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


def dmarc(texts: tuple[str, ...]) -> dict[str, Any]:
    """A DMARC policy record as a receiver discovers it (RFC 7489 §6.6.3).

    Step 3: records that do not begin with ``v=DMARC1`` are discarded (``discarded``
    lists those that look meant as DMARC: ``v=dmarc1``, a leading space). Step 5: several
    records mean no DMARC. Step 6: a record without a valid ``p`` (or with an invalid
    ``sp``) makes receivers act as ``p=none`` (when ``rua`` holds a URI) or apply no DMARC:
    either way nothing is enforced, so the record is ``invalid`` with ``acts_as`` saying
    which. RFC 9989 (DMARCbis) treats a missing or invalid ``p`` as ``none`` as well: the
    verdict is the same under both.
    """
    found = [t for t in texts if _DMARC_VERSION.match(t)]
    discarded = [t for t in texts if _DMARC_LIKE.match(t) and t not in found]
    if not found:
        return {"status": "missing", "discarded": discarded}
    if len(found) > 1:
        return {"status": "invalid", "problem": f"{len(found)} DMARC records", "records": found}
    record = found[0]
    parsed = tags(record)
    if parsed is None:
        return {"status": "invalid", "problem": "malformed tag list", "record": record}
    rua = _uri_list(parsed.get("rua", ""))
    ruf = _uri_list(parsed.get("ruf", ""))
    bad_uris = [u for u in rua + ruf if not _URI.fullmatch(u.partition("!")[0])]
    policy = parsed.get("p", "").lower()
    sub = parsed.get("sp", policy).lower()
    problem = ""
    if "p" not in parsed:
        problem = "p= missing"
    elif policy not in _POLICIES:
        problem = f"p={parsed['p'][:40]} is not none, quarantine or reject"
    elif sub not in _POLICIES:
        problem = f"sp={parsed['sp'][:40]} is not none, quarantine or reject"
    if problem:
        acts_as = "p=none" if any(u not in bad_uris for u in rua) else "no DMARC"
        return {
            "status": "invalid",
            "problem": f"{problem}: receivers act as if it were {acts_as}",
            "acts_as": acts_as,
            "record": record,
        }
    pct = percentage(parsed.get("pct", "100"))
    return {
        "status": "ok",
        "pct_given": "pct" in parsed,
        "record": record,
        "policy": policy,
        "subdomain_policy": sub,
        # sp= weaker than p=: subdomains, real or made up, are less protected
        "sp_weaker": _POLICIES.index(sub) < _POLICIES.index(policy),
        "pct": pct,
        "rua": rua,
        "ruf": ruf,
        "bad_uris": bad_uris,
        "adkim": parsed.get("adkim", "r").lower(),
        "aspf": parsed.get("aspf", "r").lower(),
    }


def dmarc_version(text: str) -> bool:
    """Whether a TXT string begins with the DMARC version tag (RFC 7489 §6.4)."""
    return _DMARC_VERSION.match(text) is not None


def _uri_list(text: str) -> list[str]:
    return [u.strip() for u in text.split(",") if u.strip()]


def mailto_domains(uris: list[str]) -> list[str]:
    """The domains ``mailto:`` report URIs send to (``!size`` and ``?query`` dropped)."""
    out: list[str] = []
    for uri in uris:
        scheme, _, rest = uri.partition(":")
        if scheme.lower() != "mailto":
            continue
        address = rest.partition("!")[0].partition("?")[0]
        domain = address.rpartition("@")[2].strip().rstrip(".").lower()
        if "@" in address and domain and domain not in out:
            out.append(domain)
    return out


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
    if key_type not in ("rsa", "ed25519"):
        # RFC 6376 §3.6.1 (k=), RFC 8463: verifiers ignore keys of a type they do not know
        problem = f"unknown key type k={key_type[:20]}"
        return {"status": "invalid", "problem": problem, "record": record}
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
    rua = _uri_list(parsed["rua"])
    # RFC 8460 §3: each rua entry is a URI (mailto: or https:), with its scheme
    bad = [u for u in rua if not _URI.fullmatch(u)]
    return {"status": "ok", "record": found[0], "rua": parsed["rua"], "bad_uris": bad}


# BIMI (draft-brand-indicators-for-message-identification-10, the text read for this):
# §4.3 "v= ... MUST have the value of "BIMI1" ... MUST match precisely ... It MUST be the
# first tag"; receivers "MUST NOT attempt to fix syntactical or capitalization errors"
_BIMI_VERSION = re.compile(r"[vV][ \t]*=[ \t]*BIMI1[ \t]*(;|$)")
_BIMI_LIKE = re.compile(r"\s*v\s*=\s*bimi", re.IGNORECASE)
# §4.3.2: only SVG (and SVGZ) may be named by l=; another image suffix is a permanent error
_OTHER_IMAGE = re.compile(r"\.(png|jpe?g|gif|webp|bmp|ico|tiff?|avif|heic)$", re.IGNORECASE)
_HTTPS_URI = re.compile(r"https://(?P<host>[A-Za-z0-9.-]+)(:[0-9]{1,5})?(/\S*)?")


def _bimi_uri_problem(tag: str, value: str) -> str:
    """Why an ``l=``/``a=`` value is not the single HTTPS URI the draft requires ("")."""
    if "," in value:
        return f"{tag}= holds a comma: it must be a single URI, commas encoded (§4.3)"
    m = _HTTPS_URI.fullmatch(value)
    if not m:
        return f"{tag}={value[:80]} is not an https:// URI (§4.3)"
    labels = m.group("host").rstrip(".").split(".")
    # a= "MUST contain a fully qualified domain name" (§4.3): not an address literal
    if tag == "a" and (len(labels) < 2 or not re.search(r"[A-Za-z]", labels[-1])):
        return f"a={value[:80]} does not name a fully qualified domain name (§4.3)"
    if tag == "l" and _OTHER_IMAGE.search(value.partition("?")[0].partition("#")[0]):
        return f"l={value[:80]} names an image format other than SVG (§4.3.2)"
    return ""


def bimi(texts: tuple[str, ...]) -> dict[str, Any]:
    """A BIMI Assertion Record as a receiver discovers it (draft -10 §4.3, §7.2, §7.3).

    §7.2 steps 4 and 9: records not starting with ``v=BIMI1`` are discarded (``discarded``
    lists those meant as BIMI, e.g. ``v=bimi1``) and more than one record means no BIMI.
    §4.3: ``l=`` is required (empty, or one HTTPS URI), ``a=`` optional (empty, or one
    HTTPS URI); unknown tags are ignored. §4.3.1: ``l=`` and ``a=`` both empty is an
    explicit declination (``declined``)."""
    found = [t for t in texts if _BIMI_VERSION.match(t)]
    discarded = [t for t in texts if _BIMI_LIKE.match(t) and t not in found]
    if not found:
        if discarded:
            problem = "the record does not begin with v=BIMI1 exactly (§4.3, §7.2 step 4)"
            return {"status": "invalid", "problem": problem, "record": discarded[0]}
        return {"status": "missing"}
    if len(found) > 1:
        problem = f"{len(found)} BIMI records: receivers use none (§7.2 step 9)"
        return {"status": "invalid", "problem": problem, "record": found[0]}
    record = found[0]
    parsed = tags(record)
    if parsed is None:
        return {"status": "invalid", "problem": "malformed tag list (§4.3)", "record": record}
    if "l" not in parsed:
        return {"status": "invalid", "problem": "l= is missing (REQUIRED, §4.3)", "record": record}
    location, evidence = parsed["l"], parsed.get("a", "")
    if not location and not evidence:
        return {"status": "declined", "record": record}
    for tag, value in (("l", location), ("a", evidence)):
        problem = _bimi_uri_problem(tag, value) if value else ""
        if problem:
            return {"status": "invalid", "problem": problem, "record": record}
    if not location:
        # §7.3 step 1: without a valid l= Indicator Discovery has failed
        problem = "l= is empty: no Indicator to display (§7.3 step 1)"
        return {"status": "invalid", "problem": problem, "record": record}
    return {"status": "ok", "record": record, "location": location, "evidence": evidence}


def bimi_dmarc_problem(policies: list[dict[str, Any]]) -> str:
    """Why the DMARC records that apply (the Author Domain's and its Organizational
    Domain's) rule BIMI out (draft -10 §7.1 steps 7-9, §1), or "" when they allow it."""
    if not policies:
        return "no DMARC record applies: BIMI needs DMARC at enforcement (§7.1 step 4)"
    for d in policies:
        where = d.get("from") or d.get("domain") or ""
        if d.get("status") != "ok":
            return f"the DMARC record of {where} is not valid: BIMI needs DMARC (§7.1 step 4)"
        if d.get("policy") == "none":
            return f"the DMARC record of {where} has p=none (§7.1 step 7)"
        given = tags(str(d.get("record", ""))) or {}
        if given.get("sp", "").lower() == "none":
            return f"the DMARC record of {where} has sp=none (§7.1 step 8)"
        if d.get("policy") == "quarantine" and d.get("pct_given") and d.get("pct") != 100:
            pct = d.get("pct")
            return f"the DMARC record of {where} has p=quarantine with pct={pct} (§7.1 step 9)"
    return ""


# RFC 6698 §2.1.1-§2.1.3: certificate usage 0-3, selector 0 (full certificate) or 1
# (SubjectPublicKeyInfo), matching type 0 (exact), 1 (SHA-256) or 2 (SHA-512); a digest
# has the length of its hash's output (RFC 6234: 32 and 64 octets)
_TLSA_DIGEST_OCTETS = {1: 32, 2: 64}


def tlsa_problem(text: str) -> str:
    """Why one TLSA record (as ``usage selector mtype hex``) can match no certificate, or
    "" when it can."""
    fields = text.split()
    if len(fields) < 4 or not all(f.isdigit() for f in fields[:3]):
        return f"{text[:60]!r} is not a TLSA record"
    usage, selector, mtype = (int(f) if len(f) <= 3 else -1 for f in fields[:3])
    data = "".join(fields[3:])
    if usage not in (0, 1, 2, 3):
        return f"certificate usage {fields[0][:5]} is not 0-3 (RFC 6698 §2.1.1)"
    if selector not in (0, 1):
        return f"selector {fields[1][:5]} is not 0 or 1 (RFC 6698 §2.1.2)"
    if mtype not in (0, 1, 2):
        return f"matching type {fields[2][:5]} is not 0, 1 or 2 (RFC 6698 §2.1.3)"
    if len(data) % 2 or re.fullmatch(r"[0-9A-Fa-f]*", data) is None:
        return "the certificate association data is not hexadecimal"
    want = _TLSA_DIGEST_OCTETS.get(mtype)
    if want is not None and len(data) // 2 != want:
        algo = "SHA-256" if mtype == 1 else "SHA-512"
        return f"a {algo} digest has {want} octets, this one {len(data) // 2}"
    if not data:
        return "the certificate association data is empty"
    return ""
