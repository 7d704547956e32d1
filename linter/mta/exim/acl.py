"""What an Exim ACL decides for a kind of client, worked out without running Exim.

The relay question is "may a client I do not know get ``RCPT TO:<x@elsewhere>``
accepted?". Exim answers it by running the ACLs statement by statement (spec, "Access
control lists"): the first ``accept`` whose conditions all hold accepts, a ``deny`` whose
conditions all hold refuses, a ``require`` with a failing condition refuses, and falling
off the end refuses. A condition is judged from the client's side:

* *forced*: the client cannot change it (its address against ``hosts``, whether it has
  authenticated, the recipient domain against ``domains``);
* *chosen*: the client decides it (the sender address, TLS or not, a recipient that exists,
  a HELO name) so it holds or fails as suits the client;
* *unknown*: an expansion (``condition = ${...}``), a nested ACL, a DNS list, a rate limit;
  the verdict then says what it depends on instead of guessing.

Each condition gives two answers, "can it hold?" and "can it fail?", each yes / no /
unknown; ``!`` swaps them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from linter.limits import decimal
from linter.mta.exim.model import (
    VERBS,
    Acl,
    AclCondition,
    AclStatement,
    EximModel,
    atoi,
    list_items,
)
from linter.source import Span

Answer = Literal["yes", "no", "unknown"]
Outcome = Literal["accept", "deny", "unknown"]

# addresses that mean "every host" in a host list
_EVERY_NETWORK = {"0.0.0.0/0", "0/0", "::/0", "::0/0", "0:0:0:0:0:0:0:0/0"}
# verify = ... tests the client can pass or fail as it likes
_CHOSEN_VERIFY = {
    "sender",
    "helo",
    "header_syntax",
    "header_sender",
    "header_names_ascii",
    "reverse_host_lookup",
    "not_blind",
    "arc",
}
# a literal condition = value Exim reads as true / false (expand_check_condition)
_TRUE_WORDS = {"yes", "true"}
_FALSE_WORDS = {"", "no", "false", "0"}
_HELO_GIVEN = re.compile(r"^\$\{if\s*!?\s*def:\s*\$?sender_helo_name\s*(?:\{[^{}]*\}\s*)*\}$")
_PORT_TEST = re.compile(
    r"^\$\{if\s*(?P<neg>!?)\s*(?:eq|==?)\s*\{\s*\$(?:received_port|interface_port)\s*\}"
    r"\s*\{\s*(?P<port>\d+)\s*\}\s*(?:\{\s*(?P<yes>[^{}]*)\}\s*(?:\{\s*(?P<no>[^{}]*)\}\s*)?)?\}$"
)


@dataclass(frozen=True)
class Client:
    """The SMTP client (and recipient) an ACL is judged for."""

    # None: a stranger from anywhere; else the text of the host list it belongs to
    member_of: str | None = None
    authenticated: bool = False
    tls: bool | None = None  # None: the client chooses
    port: int | None = None  # the listener's port, for $received_port tests
    # None: a domain elsewhere; else the name of the domain list it is in (local_domains)
    domain_in: str | None = None
    remote_routable: bool = True  # some router sends mail for other domains away


@dataclass
class Decision:
    outcome: Outcome
    # the statement that decided (accept or deny), or None for the implicit deny
    statement: AclStatement | None = None
    acl: str = ""
    # what an "unknown" outcome depends on
    depends_on: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.statement is None:
            return f"the end of ACL {self.acl} (implicit deny)" if self.acl else "no ACL"
        conditions = " ".join(
            f"{'!' if c.negated else ''}{c.name} = {c.value}"
            for c in self.statement.conditions
            if not c.modifier
        )
        where = f"line {self.statement.span.line}"
        text = f"{self.statement.verb} {conditions}".strip()
        return f'"{text}" in ACL {self.acl} ({where})'


def _swap(pair: tuple[Answer, Answer], negated: bool) -> tuple[Answer, Answer]:
    return (pair[1], pair[0]) if negated else pair


FORCED_TRUE: tuple[Answer, Answer] = ("yes", "no")
FORCED_FALSE: tuple[Answer, Answer] = ("no", "yes")
CHOSEN: tuple[Answer, Answer] = ("yes", "yes")
UNKNOWN: tuple[Answer, Answer] = ("unknown", "unknown")


class AclEvaluator:
    """Judges the ACLs of one model for clients (see :class:`Client`)."""

    def __init__(self, model: EximModel) -> None:
        self.model = model

    # ------------------------------------------------------------ lists

    def _named(self, kind: str, name: str) -> str | None:
        named = self.model.lists.get(kind, {}).get(name)
        return named.value if named is not None else None

    def _first_match(
        self,
        kind: str,
        value: str,
        depth: int,
        judge: Callable[[str], Answer],
        recurse: Callable[[str, int], Answer],
        own_list: str | None = None,
    ) -> Answer:
        """Exim's list matching: the first item that matches decides, ``!`` inverts it.

        ``judge`` answers for a plain item, ``recurse`` for the value of a named list
        (``+name``); ``own_list`` names the list the client is known to be in.
        """
        if "${" in value or depth > 20:
            return "unknown"
        for raw in list_items(value):
            negated = raw.startswith("!")
            item = raw[1:].strip() if negated else raw
            hit: Answer
            if item.startswith("+"):
                if own_list is not None and item[1:] == own_list:
                    hit = "yes"
                else:
                    inner = self._named(kind, item[1:])
                    if inner is None:
                        return "unknown"
                    hit = recurse(inner, depth + 1)
            else:
                hit = judge(item)
            if hit == "unknown":
                return "unknown"
            if hit == "yes":
                return "no" if negated else "yes"
        return "no"

    def host_list(self, value: str, client: Client, depth: int = 0) -> Answer:
        """Does the client's address match the host list? (first match wins)."""
        if client.member_of is not None and value.strip() == client.member_of.strip():
            return "yes"
        return self._first_match(
            "hostlist",
            value,
            depth,
            _host_item,
            lambda inner, d: self.host_list(inner, client, d),
        )

    def domain_list(self, value: str, client: Client, depth: int = 0) -> Answer:
        """Does the recipient domain match the domain list? (first match wins)."""
        return self._first_match(
            "domainlist",
            value,
            depth,
            lambda item: _domain_item(item, client),
            lambda inner, d: self.domain_list(inner, client, d),
            client.domain_in,
        )

    # ------------------------------------------------------------ conditions

    def condition(self, c: AclCondition, client: Client) -> tuple[Answer, Answer]:
        """(can it hold?, can it fail?) for the client."""
        value = (c.value or "").strip()
        name = c.name
        pair: tuple[Answer, Answer]
        if name == "hosts":
            hit = self.host_list(value, client)
            pair = UNKNOWN if hit == "unknown" else FORCED_TRUE if hit == "yes" else FORCED_FALSE
        elif name == "domains":
            hit = self.domain_list(value, client)
            pair = UNKNOWN if hit == "unknown" else FORCED_TRUE if hit == "yes" else FORCED_FALSE
        elif name == "authenticated":
            if "${" in value:
                pair = UNKNOWN
            elif not client.authenticated:
                pair = FORCED_FALSE
            else:
                pair = FORCED_TRUE if value == "*" else UNKNOWN
        elif name == "encrypted":
            if client.tls is None:
                pair = CHOSEN
            elif not client.tls:
                pair = FORCED_FALSE
            else:
                pair = FORCED_TRUE if value == "*" else UNKNOWN
        elif name == "verify":
            what = value.split("/", 1)[0].strip().lower()
            if what == "recipient":
                if client.domain_in is not None or client.remote_routable:
                    pair = CHOSEN
                else:
                    pair = FORCED_FALSE
            elif what == "certificate":
                pair = FORCED_FALSE if not client.authenticated else UNKNOWN
            elif what in _CHOSEN_VERIFY:
                pair = CHOSEN
            else:
                pair = UNKNOWN
        elif name in ("senders", "sender_domains", "local_parts"):
            # the client writes the sender address and picks the local part
            pair = CHOSEN if value and "${" not in value else UNKNOWN
        elif name == "condition":
            pair = self._literal_condition(value, client)
        elif name == "dnslists":
            # an address can always be found that a DNS list does not hold
            pair = ("unknown", "yes")
        else:
            pair = UNKNOWN
        return _swap(pair, c.negated)

    def _literal_condition(self, value: str, client: Client) -> tuple[Answer, Answer]:
        if _HELO_GIVEN.match(value):
            return CHOSEN  # the client decides whether to say HELO/EHLO
        if value.lower() in _TRUE_WORDS or (value.isdecimal() and atoi(value) not in (None, 0)):
            return FORCED_TRUE
        if value.lower() in _FALSE_WORDS:
            return FORCED_FALSE
        m = _PORT_TEST.match(value)
        port = decimal(m.group("port")) if m else None
        if m and port is None:
            return UNKNOWN  # out of range: Exim's expansion fails (== ) or never matches
        if m and client.port is not None:
            equal = port == client.port
            if m.group("neg"):
                equal = not equal
            result = m.group("yes") if equal else m.group("no")
            if m.group("yes") is None:
                result = "true" if equal else ""
            text = (result or "").strip().lower()
            if text in _TRUE_WORDS or (text.isdecimal() and atoi(text) not in (None, 0)):
                return FORCED_TRUE
            if text in _FALSE_WORDS:
                return FORCED_FALSE
        return UNKNOWN

    # ------------------------------------------------------------ ACLs

    def resolve(self, option: str) -> tuple[Acl | None, str]:
        """The ACL an ``acl_smtp_*`` option names, and a problem ("" when none)."""
        value = self.model.value(option).strip()
        if not value:
            return None, "unset"
        if "${" in value or "$" in value:
            return None, "expanded"
        acl = self.model.acl(value)
        if acl is not None:
            return acl, ""
        if value.startswith("/"):
            return None, "file"
        # a value that names no ACL is ACL text itself ("acl_smtp_rcpt = accept")
        if value in VERBS:
            return Acl(value, Span("", 0, 0), [AclStatement(value, Span("", 0, 0))]), "inline"
        # anything else is text Exim cannot run: a temporary error for every recipient
        return None, "undefined"

    def run(self, acl: Acl, client: Client) -> Decision:
        """The outcome of one ACL for the client."""
        maybe_accepted: list[str] = []  # accept statements that may have fired
        maybe_denied: list[str] = []  # deny / require statements that may have fired
        for st in acl.statements:
            if st.verb == "warn":
                continue
            before, after = _split_endpass(st)
            answers = [self.condition(c, client) for c in before]
            can_all_hold = _all_hold(answers)
            where = Decision("unknown", st, acl.name).describe()
            if st.verb == "accept":
                if can_all_hold == "no":
                    continue
                post = _all_hold([self.condition(c, client) for c in after])
                if can_all_hold == "yes" and post == "yes":
                    if maybe_denied:
                        return Decision("unknown", st, acl.name, maybe_denied)
                    return Decision("accept", st, acl.name)
                if can_all_hold == "yes" and post == "no":
                    # endpass: the conditions after it failing refuse the recipient
                    if maybe_accepted:
                        return Decision("unknown", st, acl.name, maybe_accepted)
                    return Decision("deny", st, acl.name)
                maybe_accepted.append(where)
                continue
            if st.verb == "require":
                fires = {"yes": "no", "no": "yes"}.get(can_all_hold, "unknown")
            else:
                # deny, drop, defer; discard answers 250 but throws the recipient away
                fires = {"yes": "no", "no": "yes"}.get(_one_fails(answers), "unknown")
            if fires == "yes":
                if maybe_accepted:
                    return Decision("unknown", st, acl.name, maybe_accepted)
                return Decision("deny", st, acl.name)
            if fires == "unknown":
                maybe_denied.append(where)
        if maybe_accepted:
            return Decision("unknown", None, acl.name, maybe_accepted)
        return Decision("deny", None, acl.name)


def _host_item(item: str) -> Answer:
    if item == "*" or item.replace(" ", "") in _EVERY_NETWORK:
        return "yes"
    # a specific host, network, name pattern or lookup: strangers are not in it
    return "no"


def _domain_item(item: str, client: Client) -> Answer:
    if item == "*":
        return "yes"
    if item in ("@mx_any", "@mx_primary", "@mx_secondary"):
        # a domain whose MX points here: anyone can publish such a domain
        return "yes" if client.domain_in is None else "no"
    if item.startswith(("^", "\\N^")):
        # a regular expression, possibly protected from expansion with \N...\N
        pattern = item.removeprefix("\\N").removesuffix("\\N")
        everything = ("^", "^.*", "^.*$", "^.+", "^.+$", "^.")
        return "yes" if pattern in everything else "unknown"
    return "no"


def _split_endpass(st: AclStatement) -> tuple[list[AclCondition], list[AclCondition]]:
    conditions = [c for c in st.conditions if not c.modifier or c.name == "endpass"]
    for i, c in enumerate(conditions):
        if c.name == "endpass":
            return conditions[:i], conditions[i + 1 :]
    return conditions, []


def _all_hold(answers: list[tuple[Answer, Answer]]) -> Answer:
    holds = [a for a, _ in answers]
    if "no" in holds:
        return "no"
    return "unknown" if "unknown" in holds else "yes"


def _one_fails(answers: list[tuple[Answer, Answer]]) -> Answer:
    fails = [b for _, b in answers]
    if "yes" in fails:
        return "yes"
    return "unknown" if "unknown" in fails else "no"


def network_of(item: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A host list item as a network, or None (names, lookups, patterns)."""
    text = item.strip().strip("[]")
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
