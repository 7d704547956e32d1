"""smtpd's access restriction lists, evaluated the way smtpd does for a RCPT TO.

A list is read left to right; the first restriction with a definite answer (PERMIT,
REJECT or DEFER) ends that list, and falling off its end means DUNNO (accept). A PERMIT
ends only its own list. With ``smtpd_delay_reject = yes`` (the default) smtpd evaluates
at RCPT TO the client, HELO and sender lists and then ``smtpd_relay_restrictions`` and
``smtpd_recipient_restrictions`` (smtpd_check_rcpt()); with ``no`` the first three run
earlier, at connect, HELO and MAIL, and still refuse the mail. A recipient is accepted
only when no list rejects (SMTPD_ACCESS_README; seen on a live smtpd: a guard in either
of the last two closes the relay, and ``permit_sasl_authenticated, reject`` in the client
list refuses every client that has not logged in).

``warn_if_reject`` turns a reject of the next restriction (with its argument) into a
logged warning; a PERMIT of that restriction still permits (smtpd_check.c: only
smtpd_check_reject() reads the flag).

We evaluate each list for a few kinds of client: a stranger, a client inside
``mynetworks``, and an authenticated client, each sending to a remote and to a local
domain. Restrictions whose answer depends on tables or DNS (``check_*_access``,
``reject_rbl_client``, ...) cannot be known statically: for the relay question a
stranger controls their inputs, so table permits count as "maybe" and table rejects
as no protection.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
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


# lists smtpd evaluates for a recipient, in its order; only the last two may permit relaying
STAGES = (
    "smtpd_client_restrictions",
    "smtpd_helo_restrictions",
    "smtpd_sender_restrictions",
    "smtpd_relay_restrictions",
    "smtpd_recipient_restrictions",
)
RELAY_STAGES = frozenset(STAGES[3:])
_BEFORE_AUTH = frozenset(STAGES[:2])

# where a bare "type:table" in a list is an implicit check_*_access (smtpd's def_acl)
_DEFAULT_ACL = {
    "smtpd_client_restrictions": "check_client_access",
    "smtpd_helo_restrictions": "check_helo_access",
    "smtpd_sender_restrictions": "check_sender_access",
    "smtpd_relay_restrictions": "check_recipient_access",
    "smtpd_recipient_restrictions": "check_recipient_access",
}

# addresses that stand for "a client from anywhere": documentation ranges, no trust
STRANGER_ADDRESSES = ("192.0.2.1", "203.0.113.5", "2001:db8::1")


@dataclass(frozen=True, slots=True)
class Client:
    in_mynetworks: bool
    authenticated: bool
    local_destination: bool
    # a client from anywhere (its address decides inline cidr tables)
    stranger: bool = False
    # mynetworks holds an entry smtpd cannot read before any that matches this client:
    # permit_mynetworks answers 451 4.3.0 (a lookup error) instead of "no match"
    mynetworks_broken: bool = False


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
    return _action(value.split(None, 1)[0]) if value else None


def _action(word: str) -> Outcome | None:
    """An access table's answer (access(5)), or None when it depends on more."""
    word = word.upper()
    if word == "OK" or word.isdecimal() and not word.startswith(("4", "5")):
        return "permit"
    if word == "REJECT" or word.startswith("5"):
        return "reject"
    if word.startswith("DEFER") or word.startswith("4"):
        return "defer"
    if word == "DUNNO":
        return "dunno"
    return None


def _inline_cidr(table: str) -> list[tuple[str, str]] | None:
    """``cidr:{ {net action}, ... }``: its entries, or None if it is not one."""
    if not table.lower().startswith("cidr:{"):
        return None
    body = table[len("cidr:") :].strip()
    if not (body.startswith("{") and body.endswith("}")):
        return None
    entries = []
    for m in re.finditer(r"\{([^{}]*)\}", body[1:-1]):
        words = m.group(1).split(None, 1)
        if len(words) == 2:
            entries.append((words[0], words[1].split(None, 1)[0]))
    return entries


def _cidr_action(entries: list[tuple[str, str]], address: str) -> Outcome | None:
    """The first matching entry's answer for ``address`` (cidr_table(5): first match)."""
    ip = ipaddress.ip_address(address)
    for net_text, action in entries:
        try:
            net = ipaddress.ip_network(net_text.strip("[]"), strict=False)
        except ValueError:
            return None  # a pattern smtpd may read otherwise (or refuse): not known
        if net.version == ip.version and ip in net:
            return _action(action)
    return "dunno"


def table_answer(table: str, client: Client, acl: str) -> Outcome | Literal["maybe-permit"]:
    """What an access table whose contents are in the file answers for this client."""
    static = _static_action(table)
    if static is not None:
        return static
    entries = _inline_cidr(table) if acl.startswith("check_client") else None
    if entries is not None and client.stranger:
        ipv4 = [_cidr_action(entries, a) for a in STRANGER_ADDRESSES[:2]]
        if all(answer == "permit" for answer in ipv4):
            return "permit"  # every IPv4 client, whatever its address
        answers = {*ipv4, _cidr_action(entries, STRANGER_ADDRESSES[2])}
        if "permit" not in answers and None not in answers:
            # a reject for some strangers only protects nothing against the others
            return answers.pop() if len(answers) == 1 else "dunno"  # type: ignore[return-value]
    trusted = entries is not None and client.in_mynetworks and not client.stranger
    if trusted and any(_action(action) == "permit" for _net, action in entries or []):
        # the "trusted client" of the relay question: the networks this table answers OK
        # for are trusted networks, as mynetworks is
        return "permit"
    return "maybe-permit"


def evaluate_list(
    items: list[str],
    client: Client,
    classes: dict[str, list[str]],
    _depth: int = 0,
    default_acl: str = "",
) -> ListResult:
    maybe = ""
    warn = False  # warn_if_reject: the next restriction's reject only logs
    i = 0
    while i < len(items):
        name = items[i]
        base = name.split("{", 1)[0].strip().lower()
        i += 1
        if base == "warn_if_reject":
            warn = True
            continue
        soften, warn = warn, False
        argument = ""
        if ":" in name and base not in _TAKES_ARGUMENT and default_acl:
            base, argument = default_acl, name  # smtpd's implicit check_*_access
        elif base in _TAKES_ARGUMENT and "{" not in name:
            argument = items[i] if i < len(items) else ""
            i += 1
        if base in classes and _depth < 20:
            inner = evaluate_list(classes[base], client, classes, _depth + 1, default_acl)
            if inner.maybe_permit_by and not maybe:
                maybe = inner.maybe_permit_by
            if inner.outcome == "permit" or inner.outcome != "dunno" and not soften:
                return ListResult(inner.outcome, f"{base} → {inner.decided_by}", maybe)
            continue
        if base.startswith("check_") and base != "check_policy_service" and argument:
            answer = table_answer(argument, client, base)
            if answer == "maybe-permit":
                maybe = maybe or base
                continue
            if answer == "permit" or answer != "dunno" and not soften:
                return ListResult(answer, f"{base} {argument}", maybe)
            continue
        outcome = _single(base, client)
        if outcome == "maybe-permit":
            maybe = maybe or base
            continue
        if outcome == "permit" or outcome != "dunno" and not soften:
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
        if client.in_mynetworks:
            return "permit"
        return "defer" if client.mynetworks_broken else "dunno"
    if name == "permit_sasl_authenticated":
        return "permit" if client.authenticated else "dunno"
    if name in ("reject_unauth_destination", "check_relay_domains"):
        return "dunno" if client.local_destination else "reject"
    if name == "defer_unauth_destination":
        return "dunno" if client.local_destination else "defer"
    if name == "permit_naked_ip_address":
        # PERMIT for a HELO that is a bare IP address: any client can send one
        return "permit"
    if name == "permit_auth_destination":
        return "permit" if client.local_destination else "dunno"
    if name in TABLE_PERMITS:
        return "maybe-permit"
    return "dunno"


def evaluate_relay(
    lists: Mapping[str, str],
    classes: dict[str, list[str]],
    sasl_enabled: bool,
    mynetworks_covers_everyone: bool = False,
    every_destination_local: bool = False,
    mynetworks_broken: bool = False,
    mynetworks_usable: bool = True,
    delay_reject: bool = True,
) -> RelayEvaluation:
    """Who may send to a remote and to a local recipient, by the lists in ``lists``
    (keyed by parameter name; a missing list is empty).

    ``every_destination_local``: a domain list (relay_domains = static:all, ...) matches
    every domain, so reject_unauth_destination never rejects.
    """
    items = {name: tokens(lists.get(name, "")) for name in STAGES}
    guarded = has_guard(items["smtpd_relay_restrictions"], classes) or has_guard(
        items["smtpd_recipient_restrictions"], classes
    )
    decided: dict[str, str] = {}
    maybe = ""

    def accepted(label: str, client: Client) -> bool:
        nonlocal maybe
        for list_name in STAGES:
            seen = client
            if not delay_reject and list_name in _BEFORE_AUTH:
                # smtpd_delay_reject = no: this list runs at CONNECT or HELO, before any
                # AUTH, and before a recipient exists (recipient checks answer nothing)
                seen = replace(client, authenticated=False, local_destination=True)
            result = evaluate_list(
                items[list_name], seen, classes, default_acl=_DEFAULT_ACL[list_name]
            )
            # only a lookup a stranger reaches on the way to a remote destination, in a
            # list whose PERMIT allows relaying, can open the relay
            lookup = result.maybe_permit_by if result.outcome != "permit" else ""
            if label == "stranger" and lookup and not maybe and list_name in RELAY_STAGES:
                maybe = f"{lookup} in {list_name}"
            if result.outcome in ("reject", "defer"):
                decided[label] = f"{result.decided_by} in {list_name}"
                return False
            if result.outcome == "permit" and list_name in RELAY_STAGES:
                decided.setdefault(label, f"{result.decided_by} in {list_name}")
        return True

    local = every_destination_local
    everyone = mynetworks_covers_everyone
    broken = mynetworks_broken
    return RelayEvaluation(
        # a mynetworks of 0.0.0.0/0 makes every client a trusted one
        stranger_remote=accepted("stranger", Client(everyone, False, local, True, broken)),
        # with mynetworks unreadable from its first entry, no client is in it
        mynetworks_remote=accepted(
            "mynetworks", Client(mynetworks_usable, False, local, False, broken)
        ),
        authenticated_remote=sasl_enabled
        and accepted("authenticated", Client(False, True, local, False, broken)),
        stranger_local=accepted("stranger-local", Client(everyone, False, True, True, broken)),
        has_guard=guarded,
        maybe_permit_by=maybe,
        decided_by=decided,
    )


# names smtpd still accepts but warns about, and what replaced them (smtpd_check.c,
# postconf(5), COMPATIBILITY_README)
DEPRECATED_RESTRICTIONS = {
    "reject_invalid_hostname": "reject_invalid_helo_hostname",
    "reject_unknown_hostname": "reject_unknown_helo_hostname",
    "reject_non_fqdn_hostname": "reject_non_fqdn_helo_hostname",
    "reject_unknown_client": "reject_unknown_client_hostname",
    "check_relay_domains": "reject_unauth_destination (with permit_auth_destination)",
    "reject_maps_rbl": "reject_rbl_client domain-name",
    "permit_naked_ip_address": "permit_mynetworks or permit_sasl_authenticated",
}


def restriction_classes(names: list[str], value_of: Callable[[str], str]) -> dict[str, list[str]]:
    return {name: tokens(value_of(name)) for name in names}
