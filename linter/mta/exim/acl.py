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
# ${if >{$rcpt_count}{N}...}: false for a client that sends few recipients; alone the
# client decides it, as the first term of and{} it can at least fail
_RCPT_COUNT = re.compile(
    r"^\$\{if\s*(?P<and>and\s*\{\s*\{)?\s*(?P<op>>=?)\s*\{\s*\$rcpt_count\s*\}"
    r"\s*\{\s*(?P<n>\d+)\s*\}\s*(?P<rest>.*)$",
    re.DOTALL,
)
_PORT_TEST = re.compile(
    r"^\$\{if\s*(?P<neg>!?)\s*(?:eq|==?)\s*\{\s*\$(?:received_port|interface_port)\s*\}"
    r"\s*\{\s*(?P<port>\d+)\s*\}\s*(?:\{(?P<yes>[^{}$]*)\}\s*(?:\{(?P<no>[^{}$]*)\}\s*)?)?\}$"
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
    # the address family a stranger connects with: 4, 6 or None (either: a dual-stack
    # listener); a member of a host list is judged as a stranger in every other list
    family: int | None = None


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
        # named lists refer to each other: each (list, client) is worked out once, so
        # lists that name the next one many times cost linear, not exponential, time
        self._host_memo: dict[tuple[str, str | None, int], tuple[_Ranges, _Ranges] | None] = {}
        self._domain_memo: dict[tuple[str, str | None], Answer] = {}

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
        return _end_of_list(value)

    def host_list(self, value: str, client: Client, depth: int = 0) -> Answer:
        """Does the client's address match the host list? (first match wins).

        For a stranger of either family (a dual-stack listener) "yes" when strangers of
        one family match: some client from anywhere does.
        """
        answers = [self.host_list_family(value, client, f) for f in _families(client)]
        if "unknown" in answers:
            return "unknown"
        return "yes" if "yes" in answers else "no"

    def host_list_family(self, value: str, client: Client, family: int) -> Answer:
        """Does a client of this address family match the host list?

        A member of a list matches it. A stranger is an address no narrow item names (a
        network narrower than half the address space): the list is worked out as the set
        of addresses it matches (first match wins, ``!`` inverts, a list whose last item
        is negated ends with an implicit ``*``: spec, "Negated items in lists"), and the
        stranger matches when every such address is in it, so ``0.0.0.0/1 : 128.0.0.0/1``
        and ``!10.0.0.0/8`` match strangers, ``10.0.0.0/8`` does not.
        """
        if client.member_of is not None and value.strip() == client.member_of.strip():
            return "yes"
        found = self._coverage(value, client, family, 0)
        if found is None:
            return "unknown"
        matched, narrow = found
        everything = [(0, _FAMILY_SIZE[family])]
        strangers = _subtract(everything, narrow) or everything
        return "yes" if not _subtract(strangers, matched) else "no"

    def _coverage(
        self, value: str, client: Client, family: int, depth: int
    ) -> tuple[_Ranges, _Ranges] | None:
        """(addresses the host list matches, addresses narrow items name), or None when
        an expansion or an undefined named list makes it unknown."""
        key = (value, client.member_of, family)
        if key not in self._host_memo:
            self._host_memo[key] = self._coverage_of(value, client, family, depth)
        return self._host_memo[key]

    def _coverage_of(
        self, value: str, client: Client, family: int, depth: int
    ) -> tuple[_Ranges, _Ranges] | None:
        if "${" in value or depth > 20:
            return None
        undecided: _Ranges = [(0, _FAMILY_SIZE[family])]
        matched: _Ranges = []
        narrow: _Ranges = []
        for raw in list_items(value):
            negated = raw.startswith("!")
            item = raw[1:].strip() if negated else raw
            covers: _Ranges
            if item.startswith("+"):
                inner = self._named("hostlist", item[1:])
                member = client.member_of is not None and client.member_of.strip() in (
                    item,
                    (inner or "").strip(),
                )
                if member:
                    covers = [(0, _FAMILY_SIZE[family])]
                elif inner is None:
                    return None
                else:
                    found = self._coverage(inner, client, family, depth + 1)
                    if found is None:
                        return None
                    covers, inner_narrow = found
                    narrow = _union(narrow, inner_narrow)
            elif item == "*":
                covers = [(0, _FAMILY_SIZE[family])]
            else:
                net = network_of(item) if "/" in item or _is_address(item) else None
                if net is None or net.version != family:
                    covers = []  # a name, a lookup, the other family: not a stranger
                else:
                    start = int(net.network_address)
                    covers = [(start, start + net.num_addresses)]
                    if net.prefixlen >= 2:
                        narrow = _union(narrow, covers)
            if not negated:
                matched = _union(matched, _intersect(undecided, covers))
            undecided = _subtract(undecided, covers)
        if _end_of_list(value) == "yes":
            matched = _union(matched, undecided)
        return matched, narrow

    def domain_list(self, value: str, client: Client, depth: int = 0) -> Answer:
        """Does the recipient domain match the domain list? (first match wins)."""
        key = (value, client.domain_in)
        if key not in self._domain_memo:
            self._domain_memo[key] = self._first_match(
                "domainlist",
                value,
                depth,
                lambda item: _domain_item(item, client),
                lambda inner, d: self.domain_list(inner, client, d),
                client.domain_in,
            )
        return self._domain_memo[key]

    # ------------------------------------------------------------ conditions

    def condition(self, c: AclCondition, client: Client) -> tuple[Answer, Answer]:
        """(can it hold?, can it fail?) for the client."""
        value = (c.value or "").strip()
        name = c.name
        pair: tuple[Answer, Answer]
        if name == "hosts":
            hits = {self.host_list_family(value, client, f) for f in _families(client)}
            if "unknown" in hits:
                pair = UNKNOWN
            elif len(hits) > 1:
                pair = CHOSEN  # the client's address family decides
            else:
                pair = FORCED_TRUE if "yes" in hits else FORCED_FALSE
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
        count = _RCPT_COUNT.match(value)
        threshold = decimal(count.group("n")) if count is not None else None
        if count is not None and (
            threshold is None or threshold >= (1 if count.group("op") == ">" else 2)
        ):
            if count.group("and"):
                return ("unknown", "yes")
            if re.fullmatch(
                r"\}|\{\s*(?:yes|true)\s*\}\s*(?:\{\s*(?:no|false)?\s*\}\s*)?\}",
                count.group("rest").strip(),
            ):
                return CHOSEN
        result = expand_for_port(value, client.port)
        if result is not None and result != value:
            text = result.strip().lower()
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
            # the statement is the option's own line: that is where a fix goes
            setting = self.model.main.get(option)
            span = setting.span if setting is not None and setting.span else Span("", 0, 0)
            return Acl(value, span, [AclStatement(value, span)]), "inline"
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


_Ranges = list[tuple[int, int]]  # sorted, disjoint [start, end) address ranges
_FAMILY_SIZE = {4: 2**32, 6: 2**128}


def _families(client: Client) -> tuple[int, ...]:
    return (client.family,) if client.family is not None else (4, 6)


def _is_address(item: str) -> bool:
    try:
        ipaddress.ip_address(item.strip("[]"))
    except ValueError:
        return False
    return True


def _end_of_list(value: str) -> Answer:
    """What a list answers when no item matched: a list whose last item is negated ends
    with an implicit ``*`` (match.c: "if the last item was negated yield OK")."""
    items = list_items(value)
    return "yes" if items and items[-1].startswith("!") else "no"


def _union(a: _Ranges, b: _Ranges) -> _Ranges:
    out: _Ranges = []
    for start, end in sorted(a + b):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _intersect(a: _Ranges, b: _Ranges) -> _Ranges:
    out: _Ranges = []
    for s1, e1 in a:
        for s2, e2 in b:
            start, end = max(s1, s2), min(e1, e2)
            if start < end:
                out.append((start, end))
    return _union(out, [])


def _subtract(a: _Ranges, b: _Ranges) -> _Ranges:
    out = list(a)
    for s2, e2 in b:
        rest: _Ranges = []
        for s1, e1 in out:
            if e2 <= s1 or e1 <= s2:
                rest.append((s1, e1))
                continue
            if s1 < s2:
                rest.append((s1, s2))
            if e2 < e1:
                rest.append((e2, e1))
        out = rest
    return out


def _domain_item(item: str, client: Client) -> Answer:
    if item == "*":
        return "yes"
    if item in ("@mx_any", "@mx_primary", "@mx_secondary"):
        # a domain whose MX points here: mail for it comes here or goes to a host its
        # owner chose, never to a domain elsewhere of a stranger's choosing
        return "no"
    if item.startswith(("^", "\\N^")):
        # a regular expression, possibly protected from expansion with \N...\N
        pattern = item.removeprefix("\\N").removesuffix("\\N")
        everything = ("^", "^.*", "^.*$", "^.+", "^.+$", "^.")
        return "yes" if pattern in everything else "unknown"
    return "no"


def expand_for_port(value: str, port: int | None) -> str | None:
    """The value of an option for a listener's port, or None when that is not known.

    A value without ``$`` is itself; ``${if eq{$received_port}{587}{A}{B}}`` (also
    ``==``, ``=``, ``!``, ``$interface_port``; ``{A}{B}`` plain text or left out, when
    the result is "true" or empty) is worked out for the port; any other expansion is
    not evaluated.
    """
    if "$" not in value:
        return value
    m = _PORT_TEST.match(value.strip())
    if m is None or port is None:
        return None
    wanted = decimal(m.group("port"))
    if wanted is None:
        return None  # out of range: Exim's expansion fails (==) or never matches
    equal = wanted == port
    if m.group("neg"):
        equal = not equal
    if m.group("yes") is None:
        return "true" if equal else ""
    return (m.group("yes") if equal else m.group("no") or "").strip()


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
