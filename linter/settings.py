"""What a run was asked to do, read once from the command line into typed settings.

The CLI (:mod:`linter.cli`) declares the options; ``from_cli`` reads click's parameters
(a mapping of option name to the value click converted) into the settings below, grouped
by what they are about. :meth:`RunSettings.plan` then turns them, with the configuration
file, into what :func:`linter.check.check` takes: the rules, the selection and the
:class:`~linter.mta.Options`. A request that cannot be met raises :class:`CommandError`,
which the CLI prints as one line.

The MTAs' own options (``--postfix-version``, ``--define``) are read by their
:class:`~linter.mta.registry.CliFlag`: this module passes them on by the flag's field and
names no MTA.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from linter.output import say, shown

if TYPE_CHECKING:
    from datetime import datetime

    from linter.config import Config
    from linter.dns import DnsOptions
    from linter.engine.rules import Rule
    from linter.engine.runner import Selection
    from linter.limits import Limits
    from linter.mta import Options

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
# --max-file-size above this is refused: no configuration file is a gigabyte
MAX_FILE_SIZE_CAP = 1024 * 1024 * 1024


class CommandError(Exception):
    """The command stops here: the CLI prints ``mtalint: <message>`` on stderr and exits
    with ``code`` (2, a usage or input error, unless said otherwise)."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


T = TypeVar("T")


class CliParams:
    """click's parameters of one command, each read with the type it was declared with.

    An option the command does not declare reads as its default (``report`` has no
    ``--jobs``); a value of another type is a mistake in the declarations (TypeError)."""

    def __init__(self, params: Mapping[str, object]) -> None:
        self._params = params

    def _get(self, name: str, kind: type[T]) -> T | None:
        value = self._params.get(name)
        if value is None or isinstance(value, kind):
            return value
        raise TypeError(f"option {name}: {type(value).__name__}, expected {kind.__name__}")

    def flag(self, name: str) -> bool:
        return bool(self._get(name, bool))

    def switch(self, name: str) -> bool | None:
        """A --x/--no-x option: None when neither is given."""
        return self._get(name, bool)

    def text(self, name: str) -> str | None:
        return self._get(name, str)

    def path(self, name: str) -> Path | None:
        return self._get(name, Path)

    def number(self, name: str, default: float) -> float:
        value = self._get(name, float)
        return default if value is None else value

    def integer(self, name: str) -> int | None:
        return self._get(name, int)

    def texts(self, name: str) -> tuple[str, ...]:
        return tuple(str(v) for v in self._get(name, tuple) or ())

    def paths(self, name: str) -> tuple[Path, ...]:
        return tuple(Path(v) for v in self._get(name, tuple) or ())

    def argument(self, name: str) -> Path:
        """A required PATH argument (click refuses the command without it)."""
        value = self.path(name)
        if value is None:
            raise TypeError(f"argument {name} missing")
        return value

    def mta_flags(self) -> dict[str, str | tuple[str, ...]]:
        """The MTAs' own options given, by their CliFlag.field (those not given left out)."""
        from linter.mta.registry import cli_flags

        given: dict[str, str | tuple[str, ...]] = {}
        for flag in cli_flags():
            value = self.texts(flag.field) if flag.multiple else self.text(flag.field)
            if value is not None and value != ():
                given[flag.field] = value
        return given


def split(values: tuple[str, ...]) -> list[str]:
    """Option values given repeated or comma-separated, as one list."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def rule_tokens(tokens: list[str], rules: list[Rule] | tuple[Rule, ...]) -> list[str]:
    """Selection words with rule ids in any case: ``pf010`` and ``mta0`` mean PF010 and
    MTA0; a tag or a rule name, and a word matching nothing, are kept as written."""
    exact = {"ALL", *(t for r in rules for t in r.tags), *(r.name for r in rules if r.name)}
    out = []
    for word in tokens:
        if word not in exact:
            upper = word.upper()
            same = next((r.id for r in rules if r.id.upper().startswith(upper)), None)
            if same is not None:
                word = same[: len(word)]
            elif upper == "ALL":
                word = "ALL"
        out.append(word)
    return out


@dataclass(frozen=True)
class OnlineSettings:
    """--online and the options that only make sense with it."""

    enabled: bool = False
    resolver: str = ""
    budget: float = 10.0
    public_ips: tuple[str, ...] = ()
    dkim_selectors: tuple[str, ...] = ()
    dnsbl_zones: tuple[str, ...] = ()

    @classmethod
    def from_cli(cls, params: CliParams) -> OnlineSettings:
        return cls(
            enabled=params.flag("online"),
            resolver=params.text("resolver") or "",
            budget=params.number("dns_timeout", 10.0),
            public_ips=params.texts("public_ips"),
            dkim_selectors=params.texts("dkim_selectors"),
            dnsbl_zones=params.texts("dnsbl_zones"),
        )

    def dns_options(self) -> DnsOptions | None:
        """The DNS checks' options (None: offline), each value checked."""
        if not self.enabled:
            if self.resolver or self.public_ips or self.dkim_selectors or self.dnsbl_zones:
                raise CommandError(
                    "--resolver, --public-ip, --dkim-selector and --dnsbl need --online"
                )
            return None
        import ipaddress
        import re

        from linter.dns import DnsOptions, parse_resolver

        if self.resolver:
            try:
                parse_resolver(self.resolver)
            except ValueError:
                raise CommandError(
                    f"invalid --resolver {self.resolver!r}: use IP, IP:PORT or [IPv6]:PORT"
                ) from None
        for ip in self.public_ips:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise CommandError(
                    f"invalid --public-ip {ip!r}: use an IPv4 or IPv6 address"
                ) from None
        label = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
        for selector in self.dkim_selectors:
            if not re.fullmatch(rf"{label}(\.{label})*", selector):
                raise CommandError(f"invalid --dkim-selector {selector!r}")
        for zone in self.dnsbl_zones:
            if not re.fullmatch(rf"({label}\.)+{label}\.?", zone):
                raise CommandError(f"invalid --dnsbl zone {zone!r}")
        return DnsOptions(
            resolver=self.resolver,
            budget=self.budget,
            public_ips=list(self.public_ips),
            dkim_selectors=list(self.dkim_selectors),
            dnsbl_zones=list(self.dnsbl_zones),
        )


@dataclass
class Plan:
    """What the settings and the configuration file make of a run, ready to check."""

    config: Config
    rules: list[Rule]
    selection: Selection
    options: Options
    role_map: dict[str, list[str]]
    # the rules the configuration switches off (reports carry the list)
    disabled: list[str]


@dataclass(frozen=True)
class RunSettings:
    """What to check, with which configuration, rules, limits and DNS checks (the
    settings ``check`` and ``report`` share)."""

    paths: tuple[Path, ...]
    config_file: Path | None = None
    no_config: bool = False
    rule_dirs: tuple[Path, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    # each MTA's own options as given (CliFlag.field → the text, or texts when repeatable)
    flags: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    max_file_size: int | None = None
    limits: tuple[str, ...] = ()
    online: OnlineSettings = OnlineSettings()
    jobs: int = 1
    quiet: bool = False
    # --as: the format of the files named (not of folders)
    as_format: str | None = None
    # '-': standard input is copied here (within the file-size limit) before the check,
    # and messages show the names in ``aliases`` for such staged files
    stdin_file: Path | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_cli(cls, params: CliParams) -> RunSettings:
        return cls(
            paths=params.paths("paths"),
            config_file=params.path("config_file"),
            no_config=params.flag("no_config"),
            rule_dirs=params.paths("rule_dirs"),
            select=params.texts("select"),
            ignore=params.texts("ignore"),
            roles=params.texts("roles"),
            flags=params.mta_flags(),
            max_file_size=params.integer("max_file_size"),
            limits=params.texts("limit_args"),
            online=OnlineSettings.from_cli(params),
            jobs=params.integer("jobs") or 1,
            quiet=params.flag("quiet"),
            as_format=params.text("as_format"),
        )

    def named(self) -> dict[str, str] | None:
        """The format of each file named, by absolute path (--as)."""
        if self.as_format is None:
            return None
        return {os.path.abspath(p): self.as_format for p in self.paths}

    def plan(self) -> Plan:
        """The configuration file, the rules and the options of the run (said on stderr
        as it goes); CommandError for what cannot be used."""
        from linter.engine.rules import RuleError, load_rules
        from linter.engine.runner import Selection
        from linter.mta import Options

        config = load_configuration(list(self.paths), self.config_file, self.no_config, self.quiet)
        try:
            rules = load_rules([*config.rule_folders, *self.rule_dirs])
        except RuleError as exc:
            raise CommandError(str(exc)) from None
        selection = Selection(
            select=rule_tokens(split(self.select) or list(config.select), rules),
            ignore=rule_tokens(list(config.ignore) + split(self.ignore), rules),
            severity=dict(config.severity),
        )
        unknown = selection.unknown_tokens(rules)
        if unknown:
            # a typo in --select would otherwise select nothing and pass every check
            raise CommandError(
                f"no rule id, id prefix or tag matches: {', '.join(unknown)} "
                "('mtalint rules' lists them)"
            )
        disabled = disabled_by_config(config, rules, selection, self.select, self.ignore)
        flags = mta_flags(self.flags, config.flags)
        limits = limits_in_force(config.limits, self.max_file_size, self.limits)
        options = Options(
            roles=list(self.roles) or None,
            max_file_size=limits.max_file_size,
            flags=flags,
            limits=limits,
        )
        options.online = self.online.dns_options()
        role_map = {} if self.roles else dict(config.roles)
        return Plan(config, rules, selection, options, role_map, disabled)


def load_configuration(
    paths: list[Path], config_file: Path | None, no_config: bool, quiet: bool = False
) -> Config:
    """The configuration file given, else the one found above the first path."""
    from linter.config import Config, ConfigError, find_config, load_config

    if no_config:
        return Config()
    path = config_file or (find_config(paths[0]) if paths else find_config(Path.cwd()))
    if path is None:
        return Config()
    try:
        config = load_config(path)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    # a configuration can switch rules off: never unseen (the rules it disables are said
    # even with --quiet, see disabled_by_config)
    if not quiet:
        say(f"mtalint: using configuration {shown(path)}")
    if config.rule_folders:
        folders = ", ".join(shown(p) for p in config.rule_folders)
        say(f"mtalint: configuration {shown(path)} adds rules from {folders}")
    return config


def disabled_by_config(
    config: Config,
    rules: list[Rule],
    selection: Selection,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> list[str]:
    """The rules the command line alone would run that the configuration switches off,
    said on stderr (reports carry the list too)."""
    from linter.engine.runner import Selection

    if config.path is None:
        return []
    alone = Selection(select=split(select), ignore=split(ignore))
    off = [r.id for r in rules if alone.wants(r) and not selection.wants(r)]
    if off:
        listed = ", ".join(off[:20]) + (f" and {len(off) - 20} more" if len(off) > 20 else "")
        say(f"mtalint: configuration {shown(config.path)} disables {len(off)} rule(s): {listed}")
    return off


def limits_in_force(
    config_limits: dict[str, int], max_file_size: int | None, given: tuple[str, ...]
) -> Limits:
    """The limits in force: the defaults, then the configuration's ``limits:``, then
    --max-file-size, then each --limit NAME=VALUE."""
    from linter.limits import DEFAULT_LIMITS, LimitError

    overrides: dict[str, object] = dict(config_limits)
    if max_file_size is not None:
        overrides["max_file_size"] = max_file_size
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"invalid --limit {item!r}: use NAME=VALUE")
        overrides[name.strip().replace("-", "_")] = value.strip()
    try:
        limits = DEFAULT_LIMITS.with_overrides(overrides)
    except LimitError as exc:
        raise CommandError(str(exc)) from None
    if limits.max_file_size > MAX_FILE_SIZE_CAP:
        raise CommandError(f"limit max_file_size must be at most {MAX_FILE_SIZE_CAP} (1 GiB)")
    return limits


def mta_flags(
    given: Mapping[str, str | tuple[str, ...]], configured: Mapping[str, str]
) -> dict[str, object]:
    """Each MTA's options for :class:`~linter.mta.Options`: the value given on the command
    line, else the configuration file's key of that name, parsed by the MTA that declares
    the flag (its default when neither says)."""
    from linter.mta.registry import cli_flags

    values: dict[str, object] = {}
    for flag in cli_flags():
        value = given.get(flag.field)
        if value is None:
            value = configured.get(flag.field)
        if value is None:
            value = () if flag.multiple else None
        try:
            values[flag.field] = flag.parse(value)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
    return values


@dataclass(frozen=True)
class OutputSettings:
    """How ``check`` reports: format, destination, and when it fails."""

    fmt: str = "text"
    output: Path | None = None
    fail_on: str | None = None
    exit_zero: bool = False
    color: bool | None = None
    statistics: bool = False
    quiet: bool = False
    no_fix: bool = False

    @classmethod
    def from_cli(cls, params: CliParams) -> OutputSettings:
        return cls(
            fmt=params.text("fmt") or "text",
            output=params.path("output"),
            fail_on=params.text("fail_on"),
            exit_zero=params.flag("exit_zero"),
            color=params.switch("color"),
            statistics=params.flag("statistics"),
            quiet=params.flag("quiet"),
            no_fix=params.flag("no_fix"),
        )


@dataclass(frozen=True)
class KnownSettings:
    """Findings known before this run: a baseline to write or to read, a git base."""

    write_baseline: Path | None = None
    baseline: Path | None = None
    diff_base: str | None = None
    show_stale: bool = False

    @classmethod
    def from_cli(cls, params: CliParams) -> KnownSettings:
        return cls(
            write_baseline=params.path("write_baseline"),
            baseline=params.path("baseline"),
            diff_base=params.text("diff_base"),
            show_stale=params.flag("show_stale"),
        )


@dataclass(frozen=True)
class CheckSettings:
    """Everything ``mtalint check`` was asked to do."""

    run: RunSettings
    output: OutputSettings
    known: KnownSettings
    fix: bool = False
    show_diff: bool = False
    stdin_filename: str | None = None
    project_root: Path | None = None

    @classmethod
    def from_cli(cls, values: Mapping[str, object]) -> CheckSettings:
        """The settings, with the combinations of options that cannot go together refused."""
        params = CliParams(values)
        settings = cls(
            run=RunSettings.from_cli(params),
            output=OutputSettings.from_cli(params),
            known=KnownSettings.from_cli(params),
            fix=params.flag("fix"),
            show_diff=params.flag("show_diff"),
            stdin_filename=params.text("stdin_filename"),
            project_root=params.path("project_root_option"),
        )
        settings._refuse_conflicts()
        return settings

    def staged(self, folder: Path) -> RunSettings:
        """The run's settings, reading standard input (``-``) from a copy in ``folder``
        under the name --stdin-filename gives, shown by that name."""
        if self.stdin_filename is None:
            return self.run
        from linter.source import shown as display_of

        name = Path(self.stdin_filename).name
        if name in ("", ".", ".."):
            raise CommandError(f"--stdin-filename {self.stdin_filename!r} names no file")
        stdin_file = folder / name
        aliases = {display_of(stdin_file): self.stdin_filename}
        return replace(self.run, paths=(stdin_file,), stdin_file=stdin_file, aliases=aliases)

    def _refuse_conflicts(self) -> None:
        known, paths = self.known, self.run.paths
        if known.write_baseline and (known.baseline or known.diff_base):
            raise CommandError(
                "--write-baseline records every finding: do not combine it with "
                "--baseline/--diff-base"
            )
        if known.write_baseline and (self.fix or self.show_diff):
            raise CommandError(
                "--write-baseline records the findings as they are: do not combine it with --fix"
            )
        if self.output.statistics and self.output.fmt != "text":
            raise CommandError("--statistics prints text: do not combine it with --format")
        if (Path("-") in paths) != (self.stdin_filename is not None):
            raise CommandError("read standard input with '-' and --stdin-filename NAME together")
        if self.stdin_filename is not None and (len(paths) > 1 or known.diff_base):
            raise CommandError(
                "'-' is checked alone, and not with --diff-base (standard input is in no commit)"
            )
        if self.run.as_format is not None:
            folders = [p for p in paths if p != Path("-") and p.is_dir()]
            if folders:
                raise CommandError(f"--as applies to files, not to the folder {shown(folders[0])}")


@dataclass(frozen=True)
class ReportSettings:
    """Everything ``mtalint report`` was asked to do."""

    run: RunSettings
    fmt: str = "html"
    output: Path | None = None
    frameworks: tuple[str, ...] = ()
    list_frameworks: bool = False
    summary: bool = False
    baseline: Path | None = None
    # --diagnose: mail logs or bounces whose delivery incidents the report adds
    diagnose_logs: tuple[str, ...] = ()

    @classmethod
    def from_cli(cls, values: Mapping[str, object]) -> ReportSettings:
        params = CliParams(values)
        return cls(
            run=RunSettings.from_cli(params),
            fmt=params.text("fmt") or "html",
            output=params.path("output"),
            frameworks=params.texts("framework_ids"),
            list_frameworks=params.flag("list_frameworks"),
            summary=params.flag("summary"),
            baseline=params.path("baseline"),
            diagnose_logs=params.texts("diagnose_logs"),
        )


@dataclass(frozen=True)
class ParseSettings:
    """Everything ``mtalint parse`` was asked to do (no configuration file, no roles,
    offline)."""

    path: Path
    fmt: str = "json"
    output: Path | None = None
    flags: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    limits: tuple[str, ...] = ()

    @classmethod
    def from_cli(cls, values: Mapping[str, object]) -> ParseSettings:
        params = CliParams(values)
        return cls(
            path=params.argument("path"),
            fmt=params.text("fmt") or "json",
            output=params.path("output"),
            flags=params.mta_flags(),
            limits=params.texts("limit_args"),
        )

    def options(self) -> Options:
        """The options of the model's reading; CommandError for a value that cannot be used."""
        from linter.mta import Options

        in_force = limits_in_force({}, None, self.limits)
        return Options(
            flags=mta_flags(self.flags, {}),
            max_file_size=in_force.max_file_size,
            limits=in_force,
        )


def iso_time(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 date or time for --since/--until; a time without a zone is UTC."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CommandError(
            f"{option} {value!r}: expected an ISO 8601 date or time (2026-12-05T14:00)"
        ) from None
    return when.astimezone(UTC) if when.tzinfo else when
