"""MTA-STS (RFC 8461) for the probed ports, with ``--online --domain DOMAIN``: the mail
domain's policy against each host probed and the certificate its port presents.

A sender that honours an ``enforce`` policy delivers only to an MX host that an ``mx:``
pattern matches (§4.1), over TLS, with a certificate that chains to a trusted root and is
valid for that MX host name (§4.2); in ``testing`` mode it delivers anyway and reports.
The policy is looked up as senders do: the ``_mta-sts`` TXT record first (§3.1), then the
policy over HTTPS (§3.3, :func:`linter.dns.mtasts.fetch`: bounded, certificate verified).
No record, no policy, or mode ``none``: nothing is checked and nothing claimed.

Only MX delivery is governed, so submission ports (465, 587, implicit TLS) are left out,
and so is a host probed by address: no MX host name to match.
"""

from __future__ import annotations

import re
from typing import Any

from linter.dns import mtasts, records
from linter.dns.resolver import Resolver
from linter.probe.certs import name_matches

_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _clean(text: str, limit: int = 253) -> str:
    """Text from the network (policy lines, certificate names) fit for a message."""
    return _CONTROL.sub("?", text)[:limit]


def valid_domain(text: str) -> str | None:
    """``text`` as a lower-case domain name without the final dot, or None."""
    name = text.strip().lower().rstrip(".")
    if not name or len(name) > 253 or "." not in name:
        return None
    if not all(_LABEL.fullmatch(label) for label in name.split(".")):
        return None
    return name


def policy(resolver: Resolver, domain: str) -> dict[str, Any]:
    """The domain's record and policy: ``status`` ``ok`` (with mode and mx), or why
    there is none to apply (``no-record``, ``invalid-record``, ``unfetchable``, ...)."""
    answer = resolver.lookup(f"_mta-sts.{domain}", "TXT")
    if answer.unverified:
        return {"domain": domain, "status": "unverified", "problem": answer.status}
    record = records.mta_sts(answer.texts if answer.ok else ())
    if record["status"] != "ok":
        # §3.1/§5: without a valid record senders do not look for a policy
        status = "no-record" if record["status"] == "missing" else "invalid-record"
        return {"domain": domain, "status": status, "problem": record.get("problem", "")}
    fetched = mtasts.fetch(resolver, domain)
    return {"domain": domain, **fetched}


def check(found: dict[str, Any], port: dict[str, Any]) -> dict[str, Any]:
    """The ``mta_sts`` facts of one probed port under the policy ``found``."""
    if found.get("status") != "ok" or found.get("mode") not in ("enforce", "testing"):
        why = ": ".join(str(x) for x in (found.get("status"), found.get("problem")) if x)
        return {"checked": False, "reason": f"no policy to apply ({why})"}
    if port.get("submission"):
        return {"checked": False, "reason": "a submission port: MTA-STS governs MX delivery"}
    host = port["host"].lower().rstrip(".")
    # a pattern with control characters matches no host name either way
    patterns = [_clean(p) for p in found["mx"]]
    facts: dict[str, Any] = {
        "checked": True,
        "domain": found["domain"],
        "mode": found["mode"],
        "mx": list(patterns),
        "host_matched": any(mtasts.matches(p, host) for p in patterns),
        "mismatch": False,
        "reason": "",
    }
    reasons = []
    if not facts["host_matched"]:
        reasons.append(f"no mx: pattern of the policy matches {host}")
    cert = port.get("certificate") or {}
    if not port.get("tls_handshake") and port.get("error"):
        # a timeout or a dropped session is not "no TLS": nothing is claimed
        facts["checked"] = False
        facts["reason"] = f"the session ended before TLS: {_clean(str(port['error']), 200)}"
        return facts
    if not port.get("tls_handshake"):
        reasons.append("the port completes no TLS handshake")
    elif cert.get("parsed"):
        names = [_clean(str(n)) for n in cert.get("names") or []]
        facts["certificate_names"] = list(names)
        facts["certificate_matched"] = any(name_matches(n, host) for n in names)
        if not facts["certificate_matched"]:
            reasons.append(f"the certificate is not valid for {host} (names: {', '.join(names)})")
        if cert.get("trusted") is False:
            # None: the trust step did not run (time budget): nothing claimed
            reasons.append(f"the certificate is not trusted ({cert.get('trust_error', '')})")
    if reasons:
        facts["mismatch"] = True
        facts["reason"] = "; ".join(reasons)
    return facts
