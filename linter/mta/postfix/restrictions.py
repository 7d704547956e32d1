"""smtpd's access restriction lists, evaluated the way smtpd does for a RCPT TO.

A list is read left to right; the first restriction with a definite answer (PERMIT,
REJECT or DEFER) ends that list, and falling off its end means DUNNO (accept). For RCPT
TO, smtpd evaluates ``smtpd_relay_restrictions`` and ``smtpd_recipient_restrictions``
and the recipient is accepted only when neither rejects (SMTPD_ACCESS_README; seen on
a live smtpd: a guard in either list closes the relay).

We evaluate each list for a few kinds of client: a stranger, a client inside
``mynetworks``, and an authenticated client, each sending to a remote and to a local
domain. Restrictions whose answer depends on tables or DNS (``check_*_access``,
``reject_rbl_client``, ...) cannot be known statically: for the relay question a
stranger controls their inputs, so table permits count as "maybe" and table rejects
as no protection.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["permit", "reject", "defer", "dunno"]

RELAY_GUARDS = frozenset(
    {
        "reject_unauth_destination",
        "defer_unauth_destination",
        "reject",
        "defer",
        "defer_if_permit",
        "check_relay_domains",
    }
)

# restrictions that answer PERMIT from a lookup whose result a client may influence
TABLE_PERMITS = frozenset(
    {
        "check_client_access",
        "check_client_a_access",
        "check_client_mx_access",
        "check_client_ns_access",
        "check_reverse_client_hostname_access",
        "check_reverse_client_hostname_a_access",
        "check_reverse_client_hostname_mx_access",
        "check_reverse_client_hostname_ns_access",
        "check_helo_access",
        "check_helo_a_access",
        "check_helo_mx_access",
        "check_helo_ns_access",
        "check_sender_access",
        "check_sender_a_access",
        "check_sender_mx_access",
        "check_sender_ns_access",
        "check_recipient_access",
        "check_recipient_a_access",
        "check_recipient_mx_access",
        "check_recipient_ns_access",
        "check_ccert_access",
        "check_sasl_access",
        "check_policy_service",
        "permit_dnswl_client",
        "permit_rhswl_client",
        "permit_tls_all_clientcerts",
        "permit_tls_clientcerts",
        "permit_mx_backup",
    }
)

# restrictions that take the next list element as their argument
_TAKES_ARGUMENT = frozenset(
    {name for name in TABLE_PERMITS if name.startswith("check_")}
    | {
        "reject_rbl_client",
        "reject_rhsbl_client",
        "reject_rhsbl_sender",
        "reject_rhsbl_helo",
        "reject_rhsbl_recipient",
        "reject_rhsbl_reverse_client",
        "permit_dnswl_client",
        "permit_rhswl_client",
        "warn_if_reject",
        "sleep",
    }
)


@dataclass(frozen=True, slots=True)
class Client:
    in_mynetworks: bool
    authenticated: bool
    local_destination: bool


@dataclass
class ListResult:
    outcome: Outcome
    decided_by: str = ""  # the restriction that decided
    # a table or policy lookup before the decision could have permitted
    maybe_permit_by: str = ""


@dataclass
class RelayEvaluation:
    stranger_remote: bool  # accepted?
    mynetworks_remote: bool
    authenticated_remote: bool
    stranger_local: bool
    has_guard: bool
    maybe_permit_by: str = ""
    decided_by: dict[str, str] = field(default_factory=dict)


_SPLIT = re.compile(r"[\s,]+")


def tokens(value: str) -> list[str]:
    """Split a restriction list: whitespace/commas, with ``{ ... }`` kept whole."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c in " \t\f\v\n,":
            i += 1
            continue
        start = i
        depth = 0
        while i < n:
            c = value[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth = max(depth - 1, 0)
            elif depth == 0 and c in " \t\f\v\n,":
                break
            i += 1
        out.append(value[start:i])
    return out


def _static_action(table: str) -> Outcome | None:
    """The answer of a ``static:`` access table, which is the same for every client."""
    if not table.lower().startswith("static:"):
        return None
    value = table[len("static:") :].strip()
    if value.startswith("{") and value.endswith("}"):
        value = value[1:-1].strip()
    word = value.split(None, 1)[0].upper() if value else ""
    if word == "OK" or word.isdecimal() and not word.startswith(("4", "5")):
        return "permit"
    if word == "REJECT" or word.startswith("5"):
        return "reject"
    if word.startswith("DEFER") or word.startswith("4"):
        return "defer"
    if word == "DUNNO":
        return "dunno"
    return None


def evaluate_list(
    items: list[str],
    client: Client,
    classes: dict[str, list[str]],
    _depth: int = 0,
) -> ListResult:
    maybe = ""
    i = 0
    while i < len(items):
        name = items[i]
        base = name.split("{", 1)[0].strip().lower()
        i += 1
        argument = ""
        if base in _TAKES_ARGUMENT and "{" not in name:
            if base == "warn_if_reject":
                # the next restriction's reject becomes a warning: skip it
                i += 1
                continue
            argument = items[i] if i < len(items) else ""
            i += 1
        if base in classes and _depth < 20:
            inner = evaluate_list(classes[base], client, classes, _depth + 1)
            if inner.maybe_permit_by and not maybe:
                maybe = inner.maybe_permit_by
            if inner.outcome != "dunno":
                return ListResult(inner.outcome, f"{base} → {inner.decided_by}", maybe)
            continue
        static = _static_action(argument) if base.startswith("check_") else None
        if static is not None:
            if static != "dunno":
                return ListResult(static, f"{base} {argument}", maybe)
            continue
        outcome = _single(base, client)
        if outcome == "maybe-permit":
            maybe = maybe or base
            continue
        if outcome != "dunno":
            return ListResult(outcome, base, maybe)
    return ListResult("dunno", "", maybe)


def has_guard(items: list[str], classes: dict[str, list[str]], _depth: int = 0) -> bool:
    """smtpd's ``has_required()``: does this list hold a working relay guard?

    The scan skips the restriction after ``warn_if_reject``, stops at a bare ``permit``
    (smtpd warns that what follows is ignored) and descends into restriction classes.
    """
    i = 0
    while i < len(items):
        name = items[i].lower()
        if name == "warn_if_reject" and i + 1 < len(items):
            i += 2
            continue
        if name == "permit":
            return False
        if name in RELAY_GUARDS:
            return True
        if name in classes and _depth < 20 and has_guard(classes[name], classes, _depth + 1):
            return True
        i += 1
    return False


def _single(name: str, client: Client) -> Outcome | Literal["maybe-permit"]:
    if name == "permit":
        return "permit"
    if name in ("reject", "defer", "defer_if_permit"):
        return "reject" if name == "reject" else "defer"
    if name == "permit_mynetworks":
        return "permit" if client.in_mynetworks else "dunno"
    if name == "permit_sasl_authenticated":
        return "permit" if client.authenticated else "dunno"
    if name in ("reject_unauth_destination", "check_relay_domains"):
        return "dunno" if client.local_destination else "reject"
    if name == "defer_unauth_destination":
        return "dunno" if client.local_destination else "defer"
    if name == "permit_auth_destination":
        return "permit" if client.local_destination else "dunno"
    if name in TABLE_PERMITS:
        return "maybe-permit"
    return "dunno"


def evaluate_relay(
    relay_list: str,
    recipient_list: str,
    classes: dict[str, list[str]],
    sasl_enabled: bool,
    mynetworks_covers_everyone: bool = False,
) -> RelayEvaluation:
    relay_items = tokens(relay_list)
    recipient_items = tokens(recipient_list)

    guarded = has_guard(relay_items, classes) or has_guard(recipient_items, classes)
    decided: dict[str, str] = {}
    maybe = ""

    def accepted(label: str, client: Client) -> bool:
        nonlocal maybe
        ok = True
        for list_name, items in (
            ("smtpd_relay_restrictions", relay_items),
            ("smtpd_recipient_restrictions", recipient_items),
        ):
            result = evaluate_list(items, client, classes)
            # only a lookup a stranger reaches on the way to a remote destination can
            # open the relay; one that matters only for local mail cannot
            lookup = result.maybe_permit_by if result.outcome != "permit" else ""
            if label == "stranger" and lookup and not maybe:
                maybe = f"{lookup} in {list_name}"
            if result.outcome in ("reject", "defer"):
                decided[label] = f"{result.decided_by} in {list_name}"
                ok = False
                break
            if result.outcome == "permit":
                decided.setdefault(label, f"{result.decided_by} in {list_name}")
        return ok

    return RelayEvaluation(
        # a mynetworks of 0.0.0.0/0 makes every client a trusted one
        stranger_remote=accepted("stranger", Client(mynetworks_covers_everyone, False, False)),
        mynetworks_remote=accepted("mynetworks", Client(True, False, False)),
        authenticated_remote=sasl_enabled and accepted("authenticated", Client(False, True, False)),
        stranger_local=accepted("stranger-local", Client(mynetworks_covers_everyone, False, True)),
        has_guard=guarded,
        maybe_permit_by=maybe,
        decided_by=decided,
    )


def restriction_classes(names: list[str], value_of: Callable[[str], str]) -> dict[str, list[str]]:
    return {name: tokens(value_of(name)) for name in names}
