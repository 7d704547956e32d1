"""What Postfix does with its main.cf and master.cf.

Effective values with provenance (an explicit line, a master.cf ``-o`` override, or a
built-in default and why), ``$name`` expansion, master.cf services with their fields
and overrides, and the warnings ``postconf`` itself would give.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.diagnostics import Diagnostic
from linter.limits import DEFAULT_LIMITS, Limits
from linter.mta.postfix import param_types, params
from linter.mta.postfix.expand import (
    Budget,
    Expansion,
    LimitReached,
    Lookup,
    Memo,
    expand,
    references,
)
from linter.mta.postfix.params import DEFAULT_VERSION
from linter.mta.postfix.parse import (
    Assignment,
    MainCf,
    MasterCf,
    MasterEntry,
    collapse_blanks,
)
from linter.source import Span

MAX_SUGGESTIONS = 100  # per config set

SERVICE_TYPES = ("inet", "unix", "unix-dgram", "fifo", "pass")


def parse_version(text: str) -> tuple[int, int, int]:
    return params.compat_level_tuple(text)


@dataclass(slots=True)
class Setting:
    """A parameter's effective raw value and where it came from."""

    name: str
    value: str
    span: Span | None  # None for a built-in default
    origin: str  # "main.cf", "master.cf", "default"
    why: str = ""  # for defaults: which rule chose the value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "origin": self.origin}
        if self.span is not None:
            out["line"] = self.span.line
            out["path"] = self.span.path
        if self.why:
            out["why"] = self.why
        return out


@dataclass(slots=True)
class Override:
    name: str
    value: str
    span: Span


@dataclass
class Service:
    service: str
    type: str
    private: str
    unprivileged: str
    chroot: str
    wakeup: str
    process_limit: str
    command: str  # normalised as ``postconf -F`` prints it
    daemon: str
    args: list[str]
    overrides: dict[str, Override]
    span: Span

    @property
    def key(self) -> str:
        return f"{self.service}/{self.type}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "type": self.type,
            "private": self.private,
            "unprivileged": self.unprivileged,
            "chroot": self.chroot,
            "wakeup": self.wakeup,
            "process_limit": self.process_limit,
            "command": self.command,
            # as postconf -P prints them: runs of whitespace shown as one space
            "overrides": {name: collapse_blanks(o.value) for name, o in self.overrides.items()},
            "line": self.span.line,
        }


@dataclass
class PostfixModel:
    main: MainCf | None
    master: MasterCf | None
    version: tuple[int, int, int] = DEFAULT_VERSION
    explicit: dict[str, Assignment] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    # every master.cf entry's command per service name, replaced entries included
    # (postconf derives per-service parameter names from all of them)
    all_commands: dict[str, set[str]] = field(default_factory=dict)
    # entries a later one with the same service and type replaced (postconf still
    # checks their -o parameters)
    replaced_services: list[Service] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # bounds on $name expansion, shared by every expansion of this configuration
    budget: Budget = field(
        default_factory=lambda: Budget(
            DEFAULT_LIMITS.postfix_expansion_size, DEFAULT_LIMITS.postfix_expansion_work
        )
    )
    # expansions already made: per lookup context (None: main.cf; else id of a service)
    _memos: dict[int | None, Memo] = field(default_factory=dict, repr=False)
    _expansions: dict[tuple[str, int | None], Expansion] = field(default_factory=dict, repr=False)
    # limits already reported, so one cause gives one finding
    _limits_reported: set[tuple[str, str, int]] = field(default_factory=set, repr=False)
    limit_reached: bool = False
    _deriving_mydomain: bool = field(default=False, repr=False)

    # ------------------------------------------------------------ values
    @property
    def compatibility_level(self) -> str:
        assignment = self.explicit.get("compatibility_level")
        return assignment.value if assignment else "0"

    def setting(self, name: str, service: Service | None = None) -> Setting:
        if service is not None and name in service.overrides:
            o = service.overrides[name]
            return Setting(name, o.value, o.span, "master.cf")
        if name in self.explicit:
            a = self.explicit[name]
            return Setting(name, a.value, a.value_span, "main.cf")
        value, why = self.builtin_default(name, service)
        return Setting(name, value or "", None, "default", why)

    def builtin_default(self, name: str, service: Service | None = None) -> tuple[str | None, str]:
        """Postfix's default for ``name`` here, and why it is that value."""
        if name == "mydomain":
            return self._default_mydomain(service), "$myhostname minus its first label"
        value = params.default_for(name, self.compatibility_level, self.version)
        if value is None:
            value = params.service_default(name, self.all_commands, self.all_commands.keys())
            if value is not None:
                return value, "default of a per-service parameter"
            if name in params.LEGACY_PARAMETERS:
                return "", "legacy parameter that built-in defaults still refer to"
            return None, "unknown"
        version = ".".join(str(p) for p in self.version[:2])
        if name in params.COMPAT_DEPENDENT:
            return value, (
                f"built-in default of Postfix {version} at compatibility_level "
                f"{self.compatibility_level}"
            )
        return value, f"built-in default of Postfix {version}"

    def _default_mydomain(self, service: Service | None) -> str:
        """mail_params.c check_mydomainname(): what follows the first dot of myhostname,
        "localdomain" when it has none (postconf -x agrees, e.g. example.com for
        mx.example.com). A myhostname that refers back to $mydomain sees it empty."""
        if self._deriving_mydomain:
            return ""
        self._deriving_mydomain = True
        try:
            hostname = self.value("myhostname", service)
        finally:
            self._deriving_mydomain = False
        _host, dot, rest = hostname.strip().partition(".")
        return rest if dot else "localdomain"

    def raw(self, name: str, service: Service | None = None) -> str:
        return self.setting(name, service).value

    def lookup_for(self, service: Service | None) -> Lookup:
        def lookup(name: str) -> str | None:
            if service is not None:
                if name in service.overrides:
                    return service.overrides[name].value
                if name == "service_name":
                    return service.service
            if name in self.explicit:
                return self.explicit[name].value
            return self.builtin_default(name, service)[0]

        return lookup

    def memo(self, service: Service | None) -> Memo:
        """The expansions remembered for ``service``'s lookup context."""
        key = None if service is None else id(service)
        memo = self._memos.get(key)
        if memo is None:
            if service is None:
                memo = Memo()
            else:
                overridden = frozenset(service.overrides) | {"service_name"}
                memo = Memo(shared=self.memo(None), overridden=overridden)
            self._memos[key] = memo
        return memo

    def expand_text(self, text: str, service: Service | None = None) -> Expansion:
        return expand(text, self.lookup_for(service), self.budget, self.memo(service))

    def expansion(self, name: str, service: Service | None = None) -> Expansion:
        key = (name, None if service is None else id(service))
        result = self._expansions.get(key)
        if result is None:
            result = self.expand_text(self.raw(name, service), service)
            self._expansions[key] = result
            if result.limit is not None:
                self.report_limit(result.limit, name, service)
        return result

    def value(self, name: str, service: Service | None = None) -> str:
        """The fully expanded effective value, as ``postconf -x`` would print it.

        When the expansion reached a limit this is the unexpanded text: callers that
        judge the value check :meth:`unknown` first."""
        return self.expansion(name, service).value

    def unknown(self, name: str, service: Service | None = None) -> bool:
        """The value of ``name`` could not be worked out (an expansion limit)."""
        return self.expansion(name, service).limit is not None

    def has_unknown(self) -> bool:
        """Some expansion reached a limit, so some value is unknown."""
        return self.limit_reached

    def report_limit(self, limit: LimitReached, name: str, service: Service | None) -> None:
        """One limit-exceeded diagnostic per cause, at the setting that reached it (the
        innermost parameter when it is set in the files, else the one expanded)."""
        self.limit_reached = True
        culprit = limit.name or name
        span = self.setting(culprit, service).span or self.setting(name, service).span
        if span is None:
            span = self._first_span()
        if span is None:
            return
        key = (culprit if limit.limit == "postfix_expansion_size" else "", span.path, span.line)
        if key in self._limits_reported or (
            limit.limit == "postfix_expansion_work" and any(not k[0] for k in self._limits_reported)
        ):
            return
        self._limits_reported.add(key)
        if limit.limit == "postfix_expansion_size":
            message = (
                f"expanding ${culprit} gives more than {limit.amount} characters; its value "
                f"and every value that uses it are not checked (raise with --limit "
                f"{limit.limit}=N)"
            )
        else:
            message = (
                f"expanding parameters produced more than {limit.amount} characters in all "
                f"(reached at ${culprit}); values not yet expanded are not checked (raise "
                f"with --limit {limit.limit}=N)"
            )
        self.diagnostics.append(
            Diagnostic(
                "limit-exceeded",
                message,
                span,
                data={"limit": limit.limit, "parameter": culprit},
            )
        )

    def _first_span(self) -> Span | None:
        for a in self.explicit.values():
            return a.span
        for s in self.services:
            return s.span
        return None

    def is_yes(self, name: str, service: Service | None = None) -> bool:
        # Postfix booleans are "yes" or "no" in any case; anything else is fatal at start
        return self.value(name, service).strip().lower() == "yes"


# ---------------------------------------------------------------- building


def build_model(
    main: MainCf | None,
    master: MasterCf | None,
    version: tuple[int, int, int] = DEFAULT_VERSION,
    limits: Limits = DEFAULT_LIMITS,
) -> PostfixModel:
    model = PostfixModel(main, master, version)
    model.budget = Budget(limits.postfix_expansion_size, limits.postfix_expansion_work)
    if main is not None:
        model.diagnostics.extend(main.diagnostics)
        _collect_explicit(model, main)
    if master is not None:
        model.diagnostics.extend(master.diagnostics)
        _collect_services(model, master)
    _check_names(model)
    return model


def _collect_explicit(model: PostfixModel, main: MainCf) -> None:
    for a in main.assignments:
        earlier = model.explicit.get(a.name)
        if earlier is not None and earlier.value != a.value:
            model.diagnostics.append(
                Diagnostic(
                    "duplicate-entry",
                    f"overriding earlier entry: {a.name}={earlier.value} "
                    f"(line {earlier.line}) with {a.name}={a.value}",
                    a.span,
                    data={"parameter": a.name, "earlier_line": earlier.line},
                )
            )
        elif earlier is not None:
            # postconf is silent here (the value does not change), but the earlier line
            # is dead text: `check --fix` deletes it (linter.mta.postfix.fixes)
            model.diagnostics.append(
                Diagnostic(
                    "duplicate-entry",
                    f"{a.name} is set to the same value on line {earlier.line}; "
                    "that earlier entry has no effect",
                    a.span,
                    data={
                        "parameter": a.name,
                        "earlier_line": earlier.line,
                        "earlier_end_line": earlier.span.end_line or earlier.line,
                        "same_value": True,
                    },
                )
            )
        model.explicit[a.name] = a
        hash_at = _comment_after_value(a.value)
        if hash_at is not None:
            model.diagnostics.append(
                Diagnostic(
                    "comment-after-value",
                    f"'#' after the value of {a.name} is not a comment: Postfix keeps "
                    f'"{a.value[hash_at:]}" as part of the value',
                    a.value_span,
                    data={"parameter": a.name, "text": a.value[hash_at:]},
                )
            )


_HASH_COMMENT = re.compile(r"\s#")


def _comment_after_value(value: str) -> int | None:
    """Offset of a ``#`` that looks like an intended comment after a value."""
    m = _HASH_COMMENT.search(value)
    return m.start() + 1 if m else None


# ---------------------------------------------------------------- master.cf


def _collect_services(model: PostfixModel, master: MasterCf) -> None:
    by_key: dict[str, Service] = {}
    for entry in master.entries:
        service = _service(model, entry)
        if service is None:
            continue
        earlier = by_key.get(service.key)
        model.all_commands.setdefault(service.service, set()).add(service.daemon)
        if earlier is not None:
            model.replaced_services.append(earlier)
            model.diagnostics.append(
                Diagnostic(
                    "duplicate-entry",
                    f"service {service.key} is defined again on line {service.span.line}; "
                    "Postfix uses only the last definition",
                    earlier.span,
                    data={"service": service.key, "later_line": service.span.line},
                )
            )
        by_key[service.key] = service
    model.services = list(by_key.values())


def _fatal(model: PostfixModel, entry: MasterEntry, message: str, span: Span | None = None) -> None:
    model.diagnostics.append(Diagnostic("syntax-error", message, span or entry.span, fatal=True))


def _service(model: PostfixModel, entry: MasterEntry) -> Service | None:
    words = entry.words
    for w in words:
        if w.unclosed_brace:
            model.diagnostics.append(
                Diagnostic("syntax-error", f"missing '}}' in \"{w.text}\"", w.span)
            )
    if len(words) < 8:
        _fatal(model, entry, f"line {entry.line}: bad field count")
        return None
    name, stype, private, unpriv, chroot, wakeup, maxproc = (w.text for w in words[:7])
    checks = (
        ("type", stype, lambda v: v in SERVICE_TYPES, 1),
        ("private", private, lambda v: v in ("y", "n", "-"), 2),
        ("unprivileged", unpriv, lambda v: v in ("y", "n", "-"), 3),
        ("chroot", chroot, lambda v: v in ("y", "n", "-"), 4),
        ("wakeup", wakeup, lambda v: v == "-" or re.fullmatch(r"\d*\??", v) is not None, 5),
        ("process_limit", maxproc, lambda v: v == "-" or v.isdecimal(), 6),
    )
    for label, value, ok, index in checks:
        if not ok(value):
            _fatal(
                model,
                entry,
                f'invalid {label} field "{value}" in "{entry.text}"',
                words[index].span,
            )
            return None
    args = [w.text for w in words[7:]]
    command, overrides = _normalise_command(model, args, words[7:])
    return Service(
        service=name,
        type=stype,
        private=private,
        unprivileged=unpriv,
        chroot=chroot,
        wakeup=wakeup,
        process_limit=maxproc,
        command=" ".join(command),
        daemon=args[0],
        args=command[1:],
        overrides=overrides,
        span=entry.span,
    )


def _strip_group(text: str) -> str:
    """``{ text }`` → ``text`` (Postfix 3.0 grouping); other text unchanged."""
    if text.startswith("{"):
        inner = text[1:-1] if text.endswith("}") else text[1:]
        return inner.strip(" \t\f\v")
    return text


def _group_if_needed(text: str) -> str:
    # postconf -F puts braces back around arguments that need them
    if not text or any(c in text for c in " \t\f\v"):
        return "{" + text + "}"
    return text


def _normalise_command(
    model: PostfixModel, args: list[str], words: list[Any]
) -> tuple[list[str], dict[str, Override]]:
    """Postfix's normalisation of daemon arguments, and the ``-o`` options it finds.

    Follows postconf's ``pcf_normalize_daemon_args()``: while arguments start with
    ``-`` (and are not ``--``), a cluster is split before an ``o`` that is not its first
    letter (``-vo a=b`` → ``-v -o a=b``), ``-oname=value`` becomes ``-o name=value``, and a
    braced ``-o { name = value }`` becomes ``-o name=value``. Every later argument loses
    its outer braces (``{ -x }`` → ``-x``). The ``-o`` settings are then read from the
    normalised arguments up to the first one that is not an option.
    """
    argv = list(args)
    spans = [w.span for w in words]
    field = 1
    while field < len(argv):
        arg = argv[field]
        if not arg.startswith("-") or arg == "--":
            break
        split_at = arg.find("o", 2)
        if split_at > 0:
            argv[field : field + 1] = [arg[:split_at], "-" + arg[split_at:]]
            spans.insert(field + 1, spans[field])
            arg = argv[field]
        if len(arg) < 2 or arg[1] != "o":
            field += 1
            continue
        if len(arg) > 2:
            argv[field : field + 1] = ["-o", arg[2:]]
            spans.insert(field + 1, spans[field])
            field += 1
        elif field + 1 < len(argv):
            field += 1
        else:
            field += 1
            continue
        if argv[field].startswith("{"):
            name, eq, value = _strip_group(argv[field]).partition("=")
            argv[field] = f"{name.strip(_BLANKS)}{eq}{value.strip(_BLANKS)}" if eq else name
        field += 1
    for rest in range(field, len(argv)):
        if argv[rest].startswith("{"):
            argv[rest] = _strip_group(argv[rest])

    overrides: dict[str, Override] = {}
    i = 1
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        if argv[i] == "-o" and i + 1 < len(argv):
            setting = argv[i + 1]
            name, eq, value = setting.partition("=")
            name, value = name.strip(_BLANKS), value.strip(_BLANKS)
            if eq:
                overrides[name] = Override(name, value, spans[i + 1])
            else:
                model.diagnostics.append(
                    Diagnostic(
                        "syntax-error",
                        f"missing '=' after attribute name: \"{setting}\"",
                        spans[i + 1],
                    )
                )
            i += 2
            continue
        i += 1
    return [argv[0], *(_group_if_needed(a) for a in argv[1:])], overrides


_BLANKS = " \t\f\v"


# ---------------------------------------------------------------- names


# Debian's stock master.cf (postfix 3.7, /usr/share/postfix/master.cf.dist): service
# name and command, which decide the per-service parameter names postconf accepts
STOCK_MASTER_SERVICES = (
    ("smtp", "smtpd"),
    ("pickup", "pickup"),
    ("cleanup", "cleanup"),
    ("qmgr", "qmgr"),
    ("tlsmgr", "tlsmgr"),
    ("rewrite", "trivial-rewrite"),
    ("bounce", "bounce"),
    ("defer", "bounce"),
    ("trace", "bounce"),
    ("verify", "verify"),
    ("flush", "flush"),
    ("proxymap", "proxymap"),
    ("proxywrite", "proxymap"),
    ("smtp", "smtp"),
    ("relay", "smtp"),
    ("showq", "showq"),
    ("error", "error"),
    ("retry", "error"),
    ("discard", "discard"),
    ("local", "local"),
    ("virtual", "virtual"),
    ("lmtp", "lmtp"),
    ("anvil", "anvil"),
    ("scache", "scache"),
    ("postlog", "postlogd"),
    ("maildrop", "pipe"),
    ("uucp", "pipe"),
    ("ifmail", "pipe"),
    ("bsmtp", "pipe"),
    ("scalemail-backend", "pipe"),
    ("mailman", "pipe"),
)

# parameters whose value names a transport (a master.cf service), as "service:nexthop"
_TRANSPORT_PARAMETERS = frozenset(
    {
        "content_filter",
        "default_transport",
        "fallback_transport",
        "local_transport",
        "mailbox_transport",
        "relay_transport",
        "virtual_transport",
        "address_verify_default_transport",
        "address_verify_local_transport",
        "address_verify_relay_transport",
        "address_verify_virtual_transport",
        "defer_transports",
    }
)


def _named_transports(model: PostfixModel) -> set[str]:
    """Services that main.cf (or a -o option) names as transports: ``virtual_transport
    = dovecot``, ``content_filter = smtp-amavis:[127.0.0.1]:10024``."""
    values = [a.value for name, a in model.explicit.items() if name in _TRANSPORT_PARAMETERS]
    for s in model.services:
        values.extend(o.value for n, o in s.overrides.items() if n in _TRANSPORT_PARAMETERS)
    names = set()
    for value in values:
        for word in re.split(r"[\s,]+", value):
            service = word.split(":", 1)[0]
            if service and "$" not in service and re.fullmatch(r"[\w.-]+", service):
                names.add(service)
    return names


def _table_names(model: PostfixModel) -> dict[str, str]:
    """``ldap:name``-style tables referenced anywhere: name → type."""
    tables: dict[str, str] = {}
    pattern = re.compile(r"\b(ldap|mysql|pgsql|sqlite|memcache|mongodb|socketmap):([^\s,{}]+)")
    values = [a.value for a in model.explicit.values()]
    for s in model.services:
        values.extend(o.value for o in s.overrides.values())
    for value in values:
        for kind, name in pattern.findall(value):
            if "/" not in name:
                tables[name] = kind
    return tables


def _check_names(model: PostfixModel) -> None:
    """postconf's warnings about names: unused, undefined, deprecated."""
    service_commands: dict[str, set[str]] = {k: set(v) for k, v in model.all_commands.items()}
    if model.master is None:
        # no master.cf beside main.cf: the distribution's stock one is what Postfix runs
        for name, command in STOCK_MASTER_SERVICES:
            service_commands.setdefault(name, set()).add(command)
    service_names = set(service_commands)
    if model.master is None:
        # transports main.cf names are services of the master.cf we have not seen; with
        # master.cf at hand, postconf's own view holds
        service_names |= _named_transports(model)
    tables = _table_names(model)
    restriction_classes = set(
        re.split(r"[\s,]+", model.raw("smtpd_restriction_classes").strip())
    ) - {""}

    # every $name referenced in any value, and where
    referenced: dict[str, Span] = {}
    sources: list[tuple[str, str, Span, Service | None]] = [
        (name, a.value, a.value_span, None) for name, a in model.explicit.items()
    ]
    for s in model.services + model.replaced_services:
        sources.extend((name, o.value, o.span, s) for name, o in s.overrides.items())
    for name, value, span, _svc in sources:
        # "$name" in some values (mailbox_command, forward_path, ...) is expanded by the
        # delivery agent, not by main.cf: it does not make a parameter used
        if name in params.RAW_PARAMETERS:
            continue
        for ref in references(value):
            referenced.setdefault(ref, span)

    suggestions = 0

    def suggest(name: str) -> str | None:
        # a "did you mean" costs a fuzzy search over 800 names: plenty for a typo or
        # a hundred, not for a generated file full of custom names
        nonlocal suggestions
        suggestions += 1
        return params.suggest(name) if suggestions <= MAX_SUGGESTIONS else None

    def known(name: str) -> bool:
        kind = params.classify(name, service_names, service_commands, tables)
        return kind is not None or name in referenced or name in restriction_classes

    settings: list[tuple[str, str, Span, dict[str, str]]] = [
        (name, a.value, a.name_span, {"file": "main.cf"}) for name, a in model.explicit.items()
    ]
    for s in model.services + model.replaced_services:
        settings.extend(
            (name, o.value, o.span, {"service": s.key}) for name, o in s.overrides.items()
        )
    for name, _value, span, where in settings:
        if known(name):
            continue
        # a <service>_<param> name for a service we know is no typo of a built-in name
        of_service = any(name.startswith(f"{svc}_") for svc in service_names)
        hint = None if of_service else suggest(name)
        # the name only: the value of a parameter Postfix does not use may be anything,
        # a credential pasted into the wrong file included, and the name fixes a typo
        message = f"unused parameter: {name}"
        if "service" in where:
            message += f" in service {where['service']}"
        if hint:
            message += f" (did you mean {hint}?)"
        model.diagnostics.append(
            Diagnostic(
                "unused-parameter",
                message,
                span,
                data={"parameter": name, "suggestion": hint, **where},
            )
        )

    # undefined $name references: evaluated the way postconf does, per value
    for name, value, span, svc in sources:
        if name in params.RAW_PARAMETERS:
            continue
        result = model.expand_text(value, svc)
        if result.limit is not None:
            model.report_limit(result.limit, name, svc)
        for missing in sorted(result.undefined):
            if _pipe_macro(missing, svc):
                continue
            model.diagnostics.append(
                Diagnostic(
                    "undefined-parameter",
                    f"undefined parameter: {missing}",
                    span,
                    data={"parameter": missing},
                )
            )
        # the type comes from Postfix's own tables, never from a default that reads "no"
        boolean = name in param_types.BOOLEAN and "$" not in value
        if boolean and value.strip().lower() not in ("yes", "no"):
            # the daemons (not postconf) refuse this at start-up
            model.diagnostics.append(
                Diagnostic(
                    "invalid-value",
                    f"bad boolean configuration: {name} = {value} (use yes or no)",
                    span,
                    fatal=True,
                    # postconf accepts it; smtpd and friends exit at start-up
                    data={"parameter": name, "checked_by": "daemon"},
                )
            )
        for error in result.errors:
            # postconf stops ("macro processing error") on a broken $ expression in a
            # parameter it uses, and only warns about one in an unused parameter
            model.diagnostics.append(Diagnostic("syntax-error", error, span, fatal=known(name)))

    # postconf (and every daemon) compares compatibility_level with the built-in
    # defaults' "<level" operators, and stops on a level it cannot read
    level = model.explicit.get("compatibility_level")
    if level is not None:
        expanded = model.expansion("compatibility_level")
        if not expanded.errors and expanded.limit is None:
            text = expanded.value
            if not params.valid_compat_level(text):
                shown = text if len(text) <= 100 else text[:100] + "..."
                model.diagnostics.append(
                    Diagnostic(
                        "syntax-error",
                        f'malformed compatibility level syntax: "{shown}"',
                        level.value_span,
                        fatal=True,
                        data={"parameter": "compatibility_level"},
                    )
                )

    # postconf treats each smtpd_restriction_classes name as a reference
    classes_setting = model.setting("smtpd_restriction_classes")
    for class_name in sorted(restriction_classes):
        if model.lookup_for(None)(class_name) is None and classes_setting.span is not None:
            model.diagnostics.append(
                Diagnostic(
                    "undefined-parameter",
                    f"undefined parameter: {class_name}",
                    classes_setting.span,
                    data={"parameter": class_name},
                )
            )

    # deprecated restriction names inside restriction lists and classes
    from linter.mta.postfix.restrictions import DEPRECATED_RESTRICTIONS

    lists = {n for n in params.BUILTIN_DEFAULTS if n.endswith("_restrictions")}
    lists |= restriction_classes
    for name, value, span, where in settings:
        if name not in lists:
            continue
        seen: set[str] = set()
        for word in re.split(r"[\s,]+", value):
            old = word.lower()
            if old in DEPRECATED_RESTRICTIONS and old not in seen:
                seen.add(old)
                model.diagnostics.append(
                    Diagnostic(
                        "deprecated-restriction",
                        f"restriction {word} in {name} is deprecated: use "
                        f"{DEPRECATED_RESTRICTIONS[old]}",
                        span,
                        data={"restriction": old, "parameter": name, **where},
                    )
                )

    # deprecated names, with Postfix 3.9's own wording
    for name, _value, span, where in settings:
        deprecation = params.deprecation_message(name)
        if deprecation:
            model.diagnostics.append(
                Diagnostic(
                    "deprecated-parameter",
                    deprecation,
                    span,
                    data={"parameter": name, "where": where.get("service", "main.cf")},
                )
            )


_PIPE_MACROS = {
    "client_address",
    "client_helo",
    "client_hostname",
    "client_port",
    "client_protocol",
    "domain",
    "extension",
    "mailbox",
    "nexthop",
    "original_recipient",
    "queue_id",
    "recipient",
    "sasl_method",
    "sasl_sender",
    "sasl_username",
    "sender",
    "size",
    "user",
}


def _pipe_macro(name: str, service: Service | None) -> bool:
    return service is not None and service.daemon in ("pipe", "spawn") and name in _PIPE_MACROS
