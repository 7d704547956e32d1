"""The ``mtalint`` command.

Exit codes: 0 no findings at or above ``--fail-on``; 1 findings at or above it; 2 usage,
configuration or input-path error; 3 internal error (a bug: please report it). No
traceback reaches the user.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from linter import __version__
from linter.mta import FORMATS
from linter.output import OutputError, encode, shown, write_atomically
from linter.textsafe import printable

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
SEVERITY_RANK = {"note": 0, "warning": 1, "error": 2}


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    click.echo(f"mtalint: {printable(message)}", err=True)
    sys.exit(code)


def _split(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _rule_tokens(tokens: list[str], rules: Any) -> list[str]:
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


def _colour_wanted(option: bool | None, to_file: bool) -> bool:
    """--color/--no-color first, then NO_COLOR and FORCE_COLOR (no-color.org,
    force-color.org: set and not empty), then whether stdout is a terminal."""
    if option is not None:
        return option
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return not to_file
    return not to_file and sys.stdout.isatty()


def _stdout_closed() -> NoReturn:
    """The reader of our output went away (``mtalint rules | head -1``): stop quietly,
    with the status of a process ended by SIGPIPE. Output still buffered would raise
    again when Python flushes stdout at exit: it goes to /dev/null instead."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    sys.exit(128 + 13)


def _emit(
    text: str,
    output: Path | None,
    colour: bool | None = None,
    protected: tuple[Path, ...] = (),
    announce: bool = True,
) -> None:
    """The report to stdout, or to ``output`` (see linter.output), saying so on stderr."""
    if output is None:
        # bytes: a non-UTF-8 file name in the report is escaped, never an encoding error
        click.echo(encode(text), nl=False, color=colour)
        return
    try:
        written = write_atomically(output, text, protected)
    except OutputError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {shown(output)}: {exc.strerror or exc}")
    if announce:
        if output.is_symlink() and written != output:
            click.echo(
                f"mtalint: wrote {shown(written)} (through the link {shown(output)})", err=True
            )
        else:
            click.echo(f"mtalint: wrote {shown(output)}", err=True)


class _Group(click.Group):
    """Turns any unexpected exception into one line and exit code 3."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("mtalint: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            _stdout_closed()
        except Exception as exc:  # noqa: BLE001 - the promise: never a traceback
            click.echo(
                f"mtalint: internal error: {type(exc).__name__}: {printable(exc)}\n"
                "This is a bug in mtalint; please report it with the command you ran.",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mtalint")
def main() -> None:
    """Lint and audit mail-server (MTA) configuration.

    mtalint reads Postfix main.cf/master.cf, Exim configurations (exim.conf, Debian's
    conf.d), sendmail .mc files and hMailServer exports the way each MTA does, works out
    what the server will do (who may relay, which listener demands TLS, where mail goes
    out) and judges that with declarative rules; --online adds DNS checks (SPF, DKIM,
    DMARC, MX, reverse DNS, MTA-STS, TLS-RPT, DANE).

    \b
    Examples:
      mtalint check /etc/postfix
      mtalint check /etc/exim4/exim4.conf.template
      mtalint check --format sarif -o mtalint.sarif configs/
      mtalint check /etc/postfix --online --public-ip 192.0.2.10
      mtalint explain PF010
    """


def _load_setup(
    paths: list[Path], config_file: Path | None, no_config: bool, quiet: bool = False
) -> Any:
    from linter.config import Config, ConfigError, find_config, load_config

    if no_config:
        return Config()
    path = config_file or (find_config(paths[0]) if paths else find_config(Path.cwd()))
    if path is None:
        return Config()
    try:
        config = load_config(path)
    except ConfigError as exc:
        _fail(str(exc))
    # a configuration can switch rules off: never unseen (the rules it disables are said
    # even with --quiet, see _disabled_by_config)
    if not quiet:
        click.echo(f"mtalint: using configuration {shown(path)}", err=True)
    if config.rule_folders:
        folders = ", ".join(shown(p) for p in config.rule_folders)
        click.echo(f"mtalint: configuration {shown(path)} adds rules from {folders}", err=True)
    return config


# --max-file-size above this is refused: no configuration file is a gigabyte
MAX_FILE_SIZE_CAP = 1024 * 1024 * 1024


def _limits(
    config_limits: dict[str, int], max_file_size: int | None, given: tuple[str, ...]
) -> Any:
    """The limits in force: the defaults, then the configuration's ``limits:``, then
    --max-file-size, then each --limit NAME=VALUE."""
    from linter.limits import DEFAULT_LIMITS, LimitError

    overrides: dict[str, object] = dict(config_limits)
    if max_file_size is not None:
        overrides["max_file_size"] = max_file_size
    for item in given:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            _fail(f"invalid --limit {item!r}: use NAME=VALUE")
        overrides[name.strip().replace("-", "_")] = value.strip()
    try:
        limits = DEFAULT_LIMITS.with_overrides(overrides)
    except LimitError as exc:
        _fail(str(exc))
    if limits.max_file_size > MAX_FILE_SIZE_CAP:
        _fail(f"limit max_file_size must be at most {MAX_FILE_SIZE_CAP} (1 GiB)")
    return limits


_LIMIT_HELP = "Set a limit on the work one input may cause (repeatable; see README)."


def _defines(values: tuple[str, ...]) -> dict[str, str]:
    """``--define NAME=VALUE`` (Exim's ``-D``): NAME alone defines an empty macro."""
    out: dict[str, str] = {}
    for item in values:
        name, _, value = item.partition("=")
        name = name.strip()
        if not name or not ("A" <= name[0] <= "Z") or not name.replace("_", "").isalnum():
            _fail(
                f"invalid --define {item!r}: use NAME=VALUE, NAME starting with an "
                "upper-case letter (letters, digits, underscores)"
            )
        out[name] = value.strip()
    return out


_DEFINE_HELP = "Define an Exim macro as exim -D does, overriding the file (repeatable)."


def _dns_options(
    resolver: str,
    budget: float,
    public_ips: tuple[str, ...],
    selectors: tuple[str, ...],
    zones: tuple[str, ...],
) -> Any:
    import ipaddress
    import re

    from linter.dns import DnsOptions, parse_resolver

    if resolver:
        try:
            parse_resolver(resolver)
        except ValueError:
            _fail(f"invalid --resolver {resolver!r}: use IP, IP:PORT or [IPv6]:PORT")
    for ip in public_ips:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            _fail(f"invalid --public-ip {ip!r}: use an IPv4 or IPv6 address")
    label = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?"
    for selector in selectors:
        if not re.fullmatch(rf"{label}(\.{label})*", selector):
            _fail(f"invalid --dkim-selector {selector!r}")
    for zone in zones:
        if not re.fullmatch(rf"({label}\.)+{label}\.?", zone):
            _fail(f"invalid --dnsbl zone {zone!r}")
    return DnsOptions(
        resolver=resolver,
        budget=budget,
        public_ips=list(public_ips),
        dkim_selectors=list(selectors),
        dnsbl_zones=list(zones),
    )


def _version(text: str | None) -> tuple[int, int, int]:
    from linter.mta.postfix import params

    if text is None:
        return params.DATA_VERSION
    if not text or not text.replace(".", "").isdecimal() or not params.valid_compat_level(text):
        _fail(f"invalid Postfix version {text!r}: use a release number such as 3.7.11 or 3.9")
    return params.compat_level_tuple(text)


def _run(
    path_list: list[Path],
    config_file: Path | None,
    no_config: bool,
    rule_dirs: tuple[Path, ...],
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    roles: tuple[str, ...],
    postfix_version: str | None,
    defines: tuple[str, ...],
    max_file_size: int | None,
    online_args: tuple[bool, str, float, tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    jobs: int = 1,
    limit_args: tuple[str, ...] = (),
    named: dict[str, str] | None = None,
    stdin_file: Path | None = None,
    quiet: bool = False,
    aliases: dict[str, str] | None = None,
) -> tuple[Any, Any, Any, Any]:
    """Load configuration and rules, check the paths.

    ``named``: formats of named files (--as); ``stdin_file``: where standard input is
    copied, within the file-size limit, before the check (``-``); ``aliases``: the
    names messages show for such files.

    Returns (result, rules, configuration, rerun), rerun(paths) checking other paths the
    same way (for --diff-base)."""
    from linter.check import check as run_check
    from linter.engine.rules import RuleError, load_rules
    from linter.engine.runner import Selection
    from linter.mta import Options

    config = _load_setup(path_list, config_file, no_config, quiet)
    try:
        rules = load_rules([*config.rule_folders, *rule_dirs])
    except RuleError as exc:
        _fail(str(exc))
    selection = Selection(
        select=_rule_tokens(_split(select) or list(config.select), rules),
        ignore=_rule_tokens(list(config.ignore) + _split(ignore), rules),
        severity=dict(config.severity),
    )
    unknown = selection.unknown_tokens(rules)
    if unknown:
        # a typo in --select would otherwise select nothing and pass every check
        _fail(
            f"no rule id, id prefix or tag matches: {', '.join(unknown)} "
            "('mtalint rules' lists them)"
        )
    disabled = _disabled_by_config(config, rules, selection, select, ignore)
    version = _version(postfix_version if postfix_version is not None else config.postfix_version)
    limits = _limits(config.limits, max_file_size, limit_args)
    if stdin_file is not None:
        _copy_stdin(stdin_file, limits.max_file_size)
    options = Options(
        postfix_version=version,
        roles=list(roles) or None,
        max_file_size=limits.max_file_size,
        exim_defines=_defines(defines),
        limits=limits,
    )
    online, resolver, dns_timeout, public_ips, dkim_selectors, dnsbl_zones = online_args
    if online:
        options.online = _dns_options(
            resolver, dns_timeout, public_ips, dkim_selectors, dnsbl_zones
        )
    elif resolver or public_ips or dkim_selectors or dnsbl_zones:
        _fail("--resolver, --public-ip, --dkim-selector and --dnsbl need --online")
    role_map = {} if roles else dict(config.roles)

    def rerun(paths: list[Path]) -> Any:
        return run_check(
            paths,
            rules,
            selection,
            options,
            config.formats or None,
            role_map=role_map,
            jobs=jobs,
            named=named,
        )

    result = rerun(path_list)
    if config.path is not None:
        result.configuration = {"file": shown(config.path), "disabled_rules": disabled}

    def said(message: str) -> str:
        for staged, name in (aliases or {}).items():
            message = message.replace(staged, name)
        return printable(message)

    for note in [] if quiet else result.notes:
        click.echo(f"mtalint: {said(note)}", err=True)
    for problem in result.problems:
        click.echo(f"mtalint: {said(problem)}", err=True)
    if not result.files:
        if not result.problems and all(_generic_script(p) for p in path_list):
            # pre-commit named only autoconf's "configure" (a name Exim uses too)
            click.echo("mtalint: nothing to check", err=True)
            sys.exit(EXIT_CLEAN)
        _fail("no configuration files found in " + ", ".join(str(p) for p in path_list))
    return result, rules, config, rerun


def _copy_stdin(target: Path, limit: int) -> None:
    """Standard input into ``target``: at most ``limit`` + 1 bytes, so a larger input is
    reported by the reader as over the limit (a finding) and nothing waits for its end."""
    source = sys.stdin.buffer
    total = 0
    with open(target, "wb") as out:
        while total <= limit:
            chunk = source.read(min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            out.write(chunk)
            total += len(chunk)


def _generic_script(path: Path) -> bool:
    """A file named on the command line whose name Exim shares with other software."""
    from linter.discover import GENERIC_NAMES

    return path.name in GENERIC_NAMES and path.is_file()


def _disabled_by_config(
    config: Any, rules: Any, selection: Any, select: tuple[str, ...], ignore: tuple[str, ...]
) -> list[str]:
    """The rules the command line alone would run that the configuration switches off,
    said on stderr (reports carry the list too)."""
    from linter.engine.runner import Selection

    if config.path is None:
        return []
    alone = Selection(select=_split(select), ignore=_split(ignore))
    off = [r.id for r in rules if alone.wants(r) and not selection.wants(r)]
    if off:
        listed = ", ".join(off[:20]) + (f" and {len(off) - 20} more" if len(off) > 20 else "")
        click.echo(
            f"mtalint: configuration {shown(config.path)} disables {len(off)} rule(s): {listed}",
            err=True,
        )
    return off


def _protected(result: Any, paths: list[Path], config: Any) -> tuple[Path, ...]:
    """Files an output must not replace: every file checked and the configuration."""
    files = [f.path for s in result.config_sets for f in s.files]
    named = [p for p in paths if p.is_file()]
    return tuple([*files, *named, *([config.path] if config.path else [])])


def _internal_errors(result: Any) -> None:
    """After the report: an internal error means findings may be missing; exit 3."""
    if not result.internal_errors:
        return
    for message in result.internal_errors:
        click.echo(f"mtalint: {message}", err=True)
    click.echo(
        "mtalint: the sets above were not checked; this is a bug in mtalint, please report it",
        err=True,
    )
    sys.exit(EXIT_INTERNAL)


def project_root(given: Path | None) -> Path:
    """The folder machine-readable paths and baselines are relative to: --project-root,
    else the git work tree holding the current folder, else the current folder."""
    if given is not None:
        return Path(os.path.abspath(given))
    here = Path(os.getcwd())
    for folder in (here, *here.parents):
        if os.path.lexists(folder / ".git"):
            return folder
    return here


def root_relative(display: str, root: str, here: str) -> str:
    """A path as shown (relative to ``here``, or absolute) made relative to ``root``
    with forward slashes; a file outside ``root`` keeps its absolute path."""
    absolute = os.path.normpath(os.path.join(here, display))
    try:
        relative = os.path.relpath(absolute, root)
    except ValueError:  # another drive on Windows
        return absolute
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return absolute
    return Path(relative).as_posix()


def _relocate(result: Any, where: Callable[[str], str]) -> None:
    """Every path of the findings (their evidence too) and files checked through
    ``where``."""
    from dataclasses import replace

    from linter.findings import Finding

    def moved(f: Any) -> Any:
        evidence = [
            {**e, "path": where(e["path"])} if isinstance(e.get("path"), str) else e
            for e in f.evidence
        ]
        return replace(f, span=replace(f.span, path=where(f.span.path)), evidence=evidence)

    result.findings = sorted((moved(f) for f in result.findings), key=Finding.sort_key)
    result.suppressed_findings = [moved(f) for f in result.suppressed_findings]
    result.files = [where(p) for p in result.files]


def _filter_known(
    result: Any,
    baseline: Path | None,
    diff_base: str | None,
    path_list: list[Path],
    rerun: Any,
    root: Path,
    show_stale: bool = False,
    quiet: bool = False,
) -> None:
    """Keep the findings that are neither in the baseline nor at the git base."""
    from linter.baseline import BaselineError, base_fingerprints, load_baseline, new_findings

    known: set[str] = set()
    entries = []
    try:
        if baseline is not None:
            entries = load_baseline(baseline)
            known |= {e.fingerprint for e in entries}
        if diff_base is not None:
            known |= base_fingerprints(diff_base, path_list, rerun)
    except BaselineError as exc:
        _fail(str(exc))
    total = len(result.findings)
    before = result.findings
    result.findings, still = new_findings(result.findings, known)
    base_prints = known - {e.fingerprint for e in entries}
    kept = {id(f) for f in result.findings}
    for f in before:
        if id(f) not in kept:
            # reports show what the baseline hides (SARIF: an "external" suppression)
            source = (
                f"in baseline {baseline}"
                if f.fingerprint not in base_prints
                else f"present at git {diff_base}"
            )
            f.suppression = {"kind": "external", "justification": f"known finding ({source})"}
            result.suppressed_findings.append(f)
    # stale: the file was checked and the finding is gone, or the file is gone; an entry
    # of a file this run did not check (pre-commit names the changed files) is neither
    checked = set(result.files)
    stale = [
        e
        for e in entries
        if e.fingerprint not in still
        and (e.path in checked or not os.path.lexists(os.path.join(root, e.path)))
    ]
    result.stale_baseline = [e.to_dict() for e in stale]
    if show_stale:
        for e in stale:
            click.echo(
                printable(
                    f"mtalint: baseline entry no longer occurs: {e.rule} {e.path}: {e.message}"
                ),
                err=True,
            )
    elif stale and not quiet:
        entry = "entry no longer occurs" if len(stale) == 1 else "entries no longer occur"
        click.echo(
            f"mtalint: {len(stale)} baseline {entry} (fixed, or the file is gone): "
            "--show-stale lists them; --write-baseline refreshes the file",
            err=True,
        )
    known_count = total - len(result.findings)
    if known_count and not quiet:
        click.echo(f"mtalint: {known_count} known finding(s) not reported", err=True)


def _setup_options(command: Any) -> Any:
    """--config, --no-config, --rules, --role: shared by check and report."""
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help="Configuration file (.mtalint.yaml or pyproject.toml).",
        ),
        click.option("--no-config", is_flag=True, help="Ignore configuration files."),
        click.option(
            "--rules",
            "rule_dirs",
            multiple=True,
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            help="Extra rule folder (repeatable).",
        ),
        click.option(
            "--role",
            "roles",
            multiple=True,
            type=click.Choice(["null-client", "mx", "submission", "relay"]),
            help="Set the host's role(s) instead of inferring them.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _online_options(command: Any) -> Any:
    """The --online options, shared by check and report."""
    options = [
        click.option(
            "--online",
            is_flag=True,
            help="Also check DNS: SPF, DKIM, DMARC, MX, reverse DNS, MTA-STS, TLS-RPT, DANE.",
        ),
        click.option(
            "--resolver",
            metavar="IP[:PORT]",
            default="",
            help="DNS server to ask (with --online)  [default: the system's resolvers].",
        ),
        click.option(
            "--dns-timeout",
            type=click.FloatRange(min=0.1, max=600),
            default=10.0,
            show_default=True,
            metavar="SECONDS",
            help="Time budget for all DNS lookups of the run.",
        ),
        click.option(
            "--public-ip",
            "public_ips",
            multiple=True,
            metavar="IP",
            help="An address mail leaves from, when the configuration does not say (repeatable).",
        ),
        click.option(
            "--dkim-selector",
            "dkim_selectors",
            multiple=True,
            metavar="NAME",
            help="A DKIM selector the signer uses (repeatable).",
        ),
        click.option(
            "--dnsbl",
            "dnsbl_zones",
            multiple=True,
            metavar="ZONE",
            help="A DNS blocklist zone to look sending addresses up in (repeatable).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github", "gitlab", "junit"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to FILE (atomically) instead of stdout.",
)
@click.option(
    "--select",
    multiple=True,
    metavar="ID|PREFIX|TAG",
    help="Only these rules (comma-separated or repeated).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar="ID|PREFIX|TAG",
    help="Skip these rules (comma-separated or repeated).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    default=None,
    help="Exit 1 when a finding has this severity or higher  [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@_setup_options
@click.option(
    "--postfix-version",
    default=None,
    metavar="X.Y",
    help="Postfix release whose defaults apply  [default: 3.7.11].",
)
@click.option(
    "--define",
    "defines",
    multiple=True,
    metavar="NAME=VALUE",
    help=_DEFINE_HELP,
)
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1, max=MAX_FILE_SIZE_CAP),
    default=None,
    help="Largest file read, in bytes (the limit max_file_size)  [default: 10485760].",
)
@click.option("--limit", "limit_args", multiple=True, metavar="NAME=VALUE", help=_LIMIT_HELP)
@click.option(
    "--color/--no-color", default=None, help="Colour the text output  [default: when a terminal]."
)
@click.option(
    "--write-baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Record today's findings in FILE (by fingerprint) and exit 0.",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Report only findings not in this baseline file; list entries no longer seen.",
)
@click.option(
    "--diff-base",
    metavar="GIT_REF",
    help="Report only findings that the files did not have at this git commit.",
)
@click.option(
    "--show-stale",
    is_flag=True,
    help="With --baseline: list the entries that no longer occur (else only counted).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1, max=256),
    default=1,
    show_default=True,
    help="Check config sets in this many processes (same result as one).",
)
@click.option(
    "--as",
    "as_format",
    type=click.Choice(sorted(f for f in FORMATS if f != "exim-split")),
    default=None,
    metavar="FORMAT",
    help="Read the files named (not folders) as this format: "
    + ", ".join(sorted(f for f in FORMATS if f != "exim-split"))
    + ".",
)
@click.option(
    "--stdin-filename",
    metavar="NAME",
    default=None,
    help="With '-' as the path: read the configuration from standard input and show it "
    "as NAME (its format from NAME, --as or its content).",
)
@click.option(
    "--project-root",
    "project_root_option",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Folder the paths of JSON, SARIF, GitLab, JUnit, GitHub output and baselines are "
    "relative to  [default: the git work tree, else the current folder].",
)
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead.")
@click.option(
    "-q", "--quiet", is_flag=True, help="Only the findings: no fix lines, summary or notes."
)
@click.option("--no-fix", is_flag=True, help="Do not print the fix under each finding.")
@click.option(
    "--fix",
    is_flag=True,
    help="Apply the mechanical fixes (certain and local) and report what remains.",
)
@click.option(
    "--diff",
    "show_diff",
    is_flag=True,
    help="Print the mechanical fixes as a unified diff; write nothing (exit 1 if any).",
)
@_online_options
def check(
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    config_file: Path | None,
    no_config: bool,
    rule_dirs: tuple[Path, ...],
    roles: tuple[str, ...],
    postfix_version: str | None,
    defines: tuple[str, ...],
    max_file_size: int | None,
    limit_args: tuple[str, ...],
    color: bool | None,
    online: bool,
    resolver: str,
    dns_timeout: float,
    public_ips: tuple[str, ...],
    dkim_selectors: tuple[str, ...],
    dnsbl_zones: tuple[str, ...],
    write_baseline: Path | None,
    baseline: Path | None,
    diff_base: str | None,
    show_stale: bool,
    jobs: int,
    fix: bool,
    show_diff: bool,
    as_format: str | None,
    stdin_filename: str | None,
    project_root_option: Path | None,
    statistics: bool,
    quiet: bool,
    no_fix: bool,
) -> None:
    """Check configuration files or folders and report findings.

    A folder is searched for configuration files; a Postfix main.cf and master.cf
    in one folder are checked together. A file named here whose name is not the MTA's
    own is recognised by its content, or read as --as says. '-' reads standard input
    (with --stdin-filename). Nothing is looked up on the network unless --online is
    given.
    """
    import tempfile

    from linter.source import shown as display_of

    path_list = list(paths)
    if write_baseline and (baseline or diff_base):
        _fail(
            "--write-baseline records every finding: do not combine it with --baseline/--diff-base"
        )
    if write_baseline and (fix or show_diff):
        _fail("--write-baseline records the findings as they are: do not combine it with --fix")
    if statistics and fmt != "text":
        _fail("--statistics prints text: do not combine it with --format")
    if (Path("-") in path_list) != (stdin_filename is not None):
        _fail("read standard input with '-' and --stdin-filename NAME together")
    if stdin_filename is not None and (len(path_list) > 1 or diff_base):
        _fail("'-' is checked alone, and not with --diff-base (standard input is in no commit)")
    if as_format is not None:
        folders = [p for p in path_list if p != Path("-") and p.is_dir()]
        if folders:
            _fail(f"--as applies to files, not to the folder {shown(folders[0])}")
    root = project_root(project_root_option)
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="mtalint-stdin-") as staging:
        # the name shown for a file: the one given for standard input, else its own
        aliases: dict[str, str] = {}
        stdin_file = None
        if stdin_filename is not None:
            name = Path(stdin_filename).name
            if name in ("", ".", ".."):
                _fail(f"--stdin-filename {stdin_filename!r} names no file")
            stdin_file = Path(staging) / name
            path_list = [stdin_file]
            aliases[display_of(stdin_file)] = stdin_filename
        named = {os.path.abspath(p): as_format for p in path_list} if as_format else None
        result, rules, config, rerun = _run(
            path_list,
            config_file,
            no_config,
            rule_dirs,
            select,
            ignore,
            roles,
            postfix_version,
            defines,
            max_file_size,
            (online, resolver, dns_timeout, public_ips, dkim_selectors, dnsbl_zones),
            jobs,
            limit_args,
            named=named,
            stdin_file=stdin_file,
            quiet=quiet,
            aliases=aliases,
        )
    protected = _protected(result, path_list, config) + ((baseline,) if baseline else ())
    # machine formats and baselines: paths relative to the project root, wherever the
    # command runs; text keeps the paths as shown (relative to the current folder)
    as_shown: dict[str, str] = {}

    def to_root(display: str) -> str:
        named_as = aliases.get(display, display)
        path = root_relative(named_as, str(root), here)
        as_shown[path] = named_as
        return path

    _relocate(result, to_root)
    result.project_root = str(root)
    if write_baseline is not None:
        from linter.baseline import NEVER_KNOWN, baseline_text

        _emit(baseline_text(result.findings), write_baseline, protected=protected, announce=False)
        recorded = {f.fingerprint for f in result.findings if f.rule not in NEVER_KNOWN}
        click.echo(
            f"mtalint: wrote {len(recorded)} finding(s) to {shown(write_baseline)}", err=True
        )
        _internal_errors(result)
        sys.exit(EXIT_CLEAN)
    if fix or show_diff:
        from linter.fix import run as run_fixes

        result, changed = run_fixes(
            result,
            rerun,
            path_list,
            diff_only=show_diff,
            max_bytes=MAX_FILE_SIZE_CAP,
            echo=lambda message: click.echo(message, err=True),
        )
        if show_diff:
            _internal_errors(result)
            sys.exit(EXIT_FINDINGS if changed else EXIT_CLEAN)
    if baseline is not None or diff_base is not None:
        offset = os.path.relpath(root, here)

        def rerun_at_root(paths: list[Path]) -> Any:
            # run from the same place in the tree at the base commit: its root is as far
            # from the current folder there as the project root is from here
            base = rerun(paths)
            there = os.getcwd()
            base_root = os.path.normpath(os.path.join(there, offset))
            _relocate(base, lambda p: root_relative(p, base_root, there))
            return base

        _filter_known(
            result, baseline, diff_base, path_list, rerun_at_root, root, show_stale, quiet
        )
    fail_level = fail_on or config.fail_on or "warning"
    threshold = SEVERITY_RANK[fail_level]
    failing = any(SEVERITY_RANK[f.severity] >= threshold for f in result.findings)
    colour = _colour_wanted(color, output is not None)
    _emit(
        _render(result, rules, fmt, colour, fail_level, statistics, quiet, no_fix, as_shown),
        output,
        colour,
        protected,
    )
    _internal_errors(result)
    if result.problems and not exit_zero:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _render(
    result: Any,
    rules: Any,
    fmt: str,
    colour: bool,
    fail_level: str,
    statistics: bool,
    quiet: bool,
    no_fix: bool,
    as_shown: dict[str, str],
) -> str:
    """The report: a machine format as it is; text with the paths as shown, without
    fix lines (--no-fix, --quiet) or summary (--quiet), or the counts per rule."""
    from dataclasses import replace

    from linter.report import render, renderer

    if fmt != "text":
        return render(fmt, result, rules, colour, fail_level)
    if statistics:
        return _statistics(result.findings, rules)
    _relocate(result, lambda p: as_shown.get(p, p))
    if quiet or no_fix:
        result.findings = [replace(f, fix="") for f in result.findings]
    text = renderer("text")(result, rules, colour)
    if quiet:
        # the summary is the last line, after a blank one when there are findings
        body = text.rstrip("\n").rpartition("\n")[0]
        text = body.rstrip("\n") + "\n" if body.strip() else ""
    return text


def _statistics(findings: list[Any], rules: Any) -> str:
    """One line per rule, the most frequent first: count, id, severity, title."""
    from collections import Counter

    from linter.textsafe import printable as safe

    titles = {r.id: r.title for r in rules}
    counts = Counter((f.rule, f.severity) for f in findings)
    if not counts:
        return ""
    width = max(len(str(n)) for n in counts.values())
    id_width = max(len(rule) for rule, _ in counts)
    lines = [
        f"{n:>{width}}  {safe(rule):<{id_width}}  {severity:<7}  {safe(titles.get(rule, ''))}"
        for (rule, severity), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "json"]),
    default="html",
    show_default=True,
    help="Report format: one self-contained HTML page, Markdown (pull-request comments), JSON.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to FILE (atomically) instead of stdout.",
)
@click.option(
    "--framework",
    "framework_ids",
    multiple=True,
    metavar="NAME",
    help="Only this framework's controls (repeatable; 'mtalint report --list-frameworks').",
)
@click.option("--list-frameworks", is_flag=True, help="List the frameworks and exit.")
@click.option(
    "--summary",
    is_flag=True,
    help="Markdown: only the summary (hosts × frameworks), short enough for a PR comment.",
)
@click.option("--select", multiple=True, metavar="ID|PREFIX|TAG", help="As for check.")
@click.option("--ignore", multiple=True, metavar="ID|PREFIX|TAG", help="As for check.")
@_setup_options
@click.option("--postfix-version", default=None, metavar="X.Y", help="As for check.")
@click.option("--define", "defines", multiple=True, metavar="NAME=VALUE", help=_DEFINE_HELP)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="As for check: known findings are shown as suppressed, their controls not checked.",
)
@click.option("--limit", "limit_args", multiple=True, metavar="NAME=VALUE", help=_LIMIT_HELP)
@click.option(
    "--diagnose",
    "diagnose_logs",
    multiple=True,
    metavar="LOG",
    help="Add a section of delivery incidents from these mail logs or bounces (as "
    "'mtalint diagnose'; joined with the configuration when one PATH is given).",
)
@_online_options
def report(
    paths: tuple[Path, ...],
    fmt: str,
    output: Path | None,
    framework_ids: tuple[str, ...],
    list_frameworks: bool,
    summary: bool,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    config_file: Path | None,
    no_config: bool,
    rule_dirs: tuple[Path, ...],
    roles: tuple[str, ...],
    postfix_version: str | None,
    defines: tuple[str, ...],
    baseline: Path | None,
    limit_args: tuple[str, ...],
    diagnose_logs: tuple[str, ...],
    online: bool,
    resolver: str,
    dns_timeout: float,
    public_ips: tuple[str, ...],
    dkim_selectors: tuple[str, ...],
    dnsbl_zones: tuple[str, ...],
) -> None:
    """Write a compliance report for auditors: findings mapped to framework controls.

    Each control of NIST SP 800-177, BSI TR-03108, PCI DSS 4.0, CIS, DISA STIG and the
    RFCs gets a status per host (fail; pass only when every rule deciding it ran and found
    nothing; not checked, with the reason; not applicable), with the evidence (file,
    line, effective value, DNS answers), the fix, a summary per host and severity, and
    the hash of every input file.
    Exit 0 when the report is written, whatever it finds; 2 when an input could not be
    read (its controls are "not checked").
    """
    from linter.report.compliance import FrameworkError, build, load_frameworks
    from linter.report.document import render

    try:
        frameworks = load_frameworks()
    except FrameworkError as exc:
        _fail(str(exc))
    if list_frameworks:
        for fw in frameworks:
            click.echo(f"{fw.id:20} {fw.title} ({len(fw.controls)} controls)")
        return
    if not paths:
        _fail("give the configuration files or folders to report on (mtalint report --help)")
    known = {fw.id for fw in frameworks}
    unknown = [f for f in framework_ids if f not in known]
    if unknown:
        _fail(f"unknown framework(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    if framework_ids:
        frameworks = [fw for fw in frameworks if fw.id in framework_ids]
    path_list = list(paths)
    result, rules, config, rerun = _run(
        path_list,
        config_file,
        no_config,
        rule_dirs,
        select,
        ignore,
        roles,
        postfix_version,
        defines,
        None,
        (online, resolver, dns_timeout, public_ips, dkim_selectors, dnsbl_zones),
        limit_args=limit_args,
    )
    # paths relative to the project root, as in check's machine formats: a baseline
    # written by check matches wherever the report is made
    root, here = project_root(None), os.getcwd()
    _relocate(result, lambda p: root_relative(p, str(root), here))
    if baseline is not None:
        _filter_known(result, baseline, None, path_list, rerun, root)
    document = build(
        result,
        rules,
        frameworks,
        [str(p) for p in path_list],
        online,
        configuration={
            "file": str(config.path) if config.path else "",
            "select": _split(select) or list(config.select),
            "ignore": list(config.ignore) + _split(ignore),
            "baseline": str(baseline) if baseline else "",
        },
    )
    if diagnose_logs:
        from linter.diagnose import attach_config
        from linter.diagnose import diagnose as run_diagnosis
        from linter.diagnose.render import to_document

        diagnosis = run_diagnosis(list(diagnose_logs))
        if len(path_list) == 1:
            attach_config(diagnosis, path_list[0])
        document["diagnosis"] = to_document(diagnosis)
        if diagnosis.problems:  # a log that could not be read: the report is incomplete
            document["incomplete"] = True
            document["problems"] = list(document.get("problems", [])) + diagnosis.problems
    protected = _protected(result, path_list, config) + ((baseline,) if baseline else ())
    protected += tuple(Path(name) for name in diagnose_logs if name != "-")
    _emit(render(document, fmt, summary_only=summary), output, protected=protected)
    _internal_errors(result)
    # an input that could not be read leaves its controls unchecked: not a clean run
    if document["incomplete"]:
        sys.exit(EXIT_USAGE)


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "yaml"]), default="json", show_default=True
)
@click.option(
    "--postfix-version",
    default=None,
    metavar="X.Y[.Z]",
    help="Postfix release whose defaults apply  [default: 3.7.11].",
)
@click.option("--define", "defines", multiple=True, metavar="NAME=VALUE", help=_DEFINE_HELP)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--limit", "limit_args", multiple=True, metavar="NAME=VALUE", help=_LIMIT_HELP)
def parse(
    path: Path,
    fmt: str,
    postfix_version: str | None,
    defines: tuple[str, ...],
    output: Path | None,
    limit_args: tuple[str, ...],
) -> None:
    """Print the model mtalint builds for PATH: effective settings, services, posture.

    PATH is a configuration file or a folder holding one config set. When the folder
    holds several sets, a list is printed.
    """
    import json

    from linter.check import analyse_set
    from linter.discover import discover
    from linter.mta import Options

    sets, problems = discover([path])
    for problem in problems:
        click.echo(f"mtalint: {printable(problem)}", err=True)
    if not sets:
        _fail(f"no configuration files found in {path}")
    limits = _limits({}, None, limit_args)
    options = Options(
        postfix_version=_version(postfix_version),
        exim_defines=_defines(defines),
        max_file_size=limits.max_file_size,
        limits=limits,
    )
    models = [analyse_set(s, options).model for s in sets]
    doc: Any = models[0] if len(models) == 1 else models
    from linter.textsafe import encodable_json, encodable_values, has_bidi

    if fmt == "json":
        text = encodable_json(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    else:
        import yaml

        doc = encodable_values(doc)
        text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
        # YAML escapes control characters but writes bidi controls as they are: then
        # every non-ASCII character as an escape
        if has_bidi(text):
            text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=False)
    _emit(text, output, protected=tuple(f.path for s in sets for f in s.files) + (path,))


@main.command(name="rules")
@click.option(
    "--check",
    "check_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Validate the rule files in DIR against the schema and exit.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--select", multiple=True, metavar="ID|PREFIX|TAG", help="Only list these rules.")
def rules_command(check_dir: Path | None, fmt: str, select: tuple[str, ...]) -> None:
    """List the rules, or validate a folder of custom rules (--check DIR)."""
    import json

    from linter.engine.rules import RuleError, builtin_rules, load_folder
    from linter.engine.runner import Selection

    if check_dir is not None:
        try:
            checked = load_folder(check_dir, check_schema=True)
        except RuleError as exc:
            _fail(str(exc), EXIT_FINDINGS)
        ids = [r.id for r in checked]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            _fail(f"{check_dir}: duplicate rule id(s): {', '.join(dupes)}", EXIT_FINDINGS)
        click.echo(f"{len(checked)} rule file(s) in {printable(check_dir)} are valid")
        return
    every = builtin_rules()
    selection = Selection(select=_rule_tokens(_split(select), every))
    chosen = [r for r in every if selection.wants(r)]
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "severity": r.severity,
                        "applies_to": r.applies_to,
                        "roles": r.roles,
                        "tags": r.tags,
                        "title": r.title,
                    }
                    for r in chosen
                ],
                indent=2,
            )
        )
        return
    width = max((len(r.id) for r in chosen), default=4)
    for r in chosen:
        applies = ",".join(r.applies_to)
        tags = ", ".join(r.tags)
        click.echo(f"{r.id:<{width}}  {r.severity:<7}  {applies:<8}  {r.title}  [{tags}]")


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain a rule: why it matters, how to fix it, references and examples."""
    from linter.engine.rules import builtin_rules

    rules = builtin_rules(with_tests=True)
    rule = next((r for r in rules if r.id.lower() == rule_id.lower() or r.name == rule_id), None)
    if rule is None:
        import difflib

        close = difflib.get_close_matches(rule_id.upper(), [r.id for r in rules], n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        _fail(f"no rule {rule_id}{hint}; 'mtalint rules' lists them")
    out = [f"{rule.id}  {rule.title}", ""]
    out.append(f"severity: {rule.severity}    applies to: {', '.join(rule.applies_to)}")
    if rule.roles:
        out.append(f"roles: {', '.join(rule.roles)}")
    if rule.tags:
        out.append(f"tags: {', '.join(rule.tags)}")
    if rule.rationale:
        out += ["", "Why:", *("  " + line for line in rule.rationale.splitlines())]
    if rule.fix:
        out += ["", "Fix:"]
        for mta, text in rule.fix.items():
            lines = text.splitlines() or [""]
            out.append(f"  [{mta}] {lines[0]}")
            out += ["    " + line for line in lines[1:]]
    if rule.references:
        out += ["", "References:"]
        for ref in rule.references:
            label = ref.get("id") or ref.get("title", "")
            url = f"  <{ref['url']}>" if ref.get("url") else ""
            out.append(f"  - {ref.get('type', 'doc')}: {label}{url}")
    from linter.providers import describe, reads_provider

    if reads_provider(rule):
        out += ["", "Relay providers (posture.outbound.provider):"]
        out += ["  - " + line for line in describe()]
    from linter.mta.domino.reference import concerns_domino, not_established

    if concerns_domino(list(rule.applies_to), dict(rule.fix or {})):
        out += ["", "Domino items no public source establishes (not checked):"]
        out += ["  - " + line for line in not_established()]
    examples = [t for t in rule.tests if isinstance(t, dict)]
    for verdict, heading in (("trigger", "Triggers on:"), ("pass", "Does not trigger on:")):
        case = next((t for t in examples if t.get("expect", "trigger") == verdict), None)
        if case and isinstance(case.get("files"), dict):
            out += ["", heading]
            for fname, content in case["files"].items():
                out.append(f"  # {fname}")
                out += ["  " + line for line in str(content).rstrip().splitlines()]
    # rule text is ours, but a test file may hold any byte (MTA021's binary main.cf)
    click.echo("\n".join(printable(line) for line in "\n".join(out).split("\n")))


@main.command(name="test-rules")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False, exists=True), required=False
)
@click.option("-v", "--verbose", is_flag=True, help="List every test case.")
def test_rules(folder: Path | None, verbose: bool) -> None:
    """Run the tests carried by each rule (the built-in rules, or those in FOLDER)."""
    from linter.engine.rules import RuleError, builtin_rules, load_folder
    from linter.engine.selftest import run_rule_tests

    try:
        chosen = (
            load_folder(folder, check_schema=True)
            if folder
            else list(builtin_rules(with_tests=True))
        )
    except RuleError as exc:
        _fail(str(exc))
    all_rules = list(builtin_rules()) + ([r for r in chosen] if folder else [])
    failed = 0
    total = 0
    skipped = 0
    for rule in chosen:
        if rule.builtin:
            continue
        if not rule.tests:
            click.echo(printable(f"FAIL {rule.id}: rule has no tests"))
            failed += 1
            continue
        for case in run_rule_tests(rule, all_rules):
            total += 1
            if case.skipped:
                skipped += 1
                if verbose:
                    click.echo(
                        printable(f"skip {case.rule} [{case.expect}] {case.name}: {case.detail}")
                    )
                continue
            if not case.passed:
                failed += 1
                click.echo(
                    printable(f"FAIL {case.rule} [{case.expect}] {case.name}: {case.detail}")
                )
            elif verbose:
                click.echo(printable(f"ok   {case.rule} [{case.expect}] {case.name}"))
    summary = f"{total - failed - skipped} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped (they need a DNS server; the test suite runs them)"
    click.echo(summary)
    sys.exit(EXIT_FINDINGS if failed else EXIT_CLEAN)


@main.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("docs/rules"),
    show_default=True,
    help="Folder for the rule pages.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing; exit 1 when the folder is not what would be generated.",
)
def docs(out_dir: Path, check_only: bool) -> None:
    """Generate docs/rules/ID.md for every built-in rule, and an index, from the rule YAML."""
    from linter.docs import generate

    pages = generate()
    if check_only:
        stale = [
            name
            for name, text in pages.items()
            if not (out_dir / name).is_file()
            or (out_dir / name).read_text(encoding="utf-8") != text
        ]
        extra = (
            sorted(p.name for p in out_dir.glob("*.md") if p.name not in pages)
            if out_dir.is_dir()
            else []
        )
        if stale or extra:
            for name in stale:
                click.echo(f"out of date: {printable(out_dir / name)}")
            for name in extra:
                click.echo(f"no such rule any more: {printable(out_dir / name)}")
            click.echo("run 'mtalint docs' to regenerate")
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{len(pages)} pages up to date in {printable(out_dir)}")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        write_atomically(out_dir / name, text)
    for stale_page in out_dir.glob("*.md"):
        if stale_page.name not in pages:
            stale_page.unlink()
    click.echo(f"wrote {len(pages)} pages to {printable(out_dir)}")


def _when(value: str | None, option: str) -> Any:
    """An ISO 8601 date or time for --since/--until; a time without a zone is UTC."""
    if value is None:
        return None
    from datetime import UTC, datetime

    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"{option} {value!r}: expected an ISO 8601 date or time (2026-12-05T14:00)")
    return when.astimezone(UTC) if when.tzinfo else when


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="LOG_OR_BOUNCE...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True),
    help="The configuration (a Postfix folder or main.cf): name the settings behind each incident.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--since", metavar="TIME", help="Only events at or after this ISO 8601 time.")
@click.option("--until", metavar="TIME", help="Only events at or before this ISO 8601 time.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--online",
    is_flag=True,
    help="Ask DNS now about DNS-side causes (is the address still on the blocklist?).",
)
@click.option(
    "--resolver",
    default="",
    metavar="IP[:PORT]",
    help="DNS server to ask with --online  [default: the system's resolvers].",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Read one growing log (or '-') from its end and print each incident as it opens "
    "(json: one object per line); rotation is followed; stop with Ctrl-C.",
)
def diagnose(
    inputs: tuple[str, ...],
    config_path: Path | None,
    fmt: str,
    since: str | None,
    until: str | None,
    output: Path | None,
    online: bool,
    resolver: str,
    follow: bool,
) -> None:
    """Group the delivery failures in mail logs and bounces into incidents, and name the
    configuration setting behind each.

    LOG_OR_BOUNCE: Postfix, Exim, sendmail and hMailServer logs (syslog, RFC 5424,
    journalctl -o short-iso, container prefixes, Exim's mainlog, hMailServer's log files;
    rotated .gz files are read as they are) and bounce messages (.eml with an RFC 3464
    delivery-status part); "-" reads standard input.

    Exit codes: 0 no incident, 1 incidents found, 2 an input could not be read.
    """
    from linter.diagnose import Window, attach_config
    from linter.diagnose import diagnose as run_diagnosis
    from linter.diagnose.render import to_json, to_text

    window = Window(_when(since, "--since"), _when(until, "--until"))
    if follow:
        from linter.diagnose.follow import FollowError, run_follow

        if len(inputs) != 1 or output is not None or config_path is not None:
            _fail("--follow reads one log and writes to standard output (no -o, no --config)")
        try:
            result = run_follow(inputs[0], window, fmt, sys.stdout)
        except FollowError as exc:
            _fail(str(exc))
        click.echo(
            printable(f"{len(result.incidents)} incidents; {result.event_lines} events read"),
            err=True,
        )
        sys.exit(EXIT_FINDINGS if result.incidents else EXIT_CLEAN)
    result = run_diagnosis(list(inputs), window)
    for problem in result.problems:
        click.echo(f"mtalint: {printable(problem)}", err=True)
    if config_path is not None:
        attach_config(result, config_path)
    if online:
        from linter.diagnose.online import recheck
        from linter.dns import parse_resolver
        from linter.dns.resolver import Resolver, ResolverSettings

        try:
            host, port = parse_resolver(resolver) if resolver else ("", 53)
        except ValueError as exc:
            _fail(str(exc))
        recheck(result.incidents, Resolver(ResolverSettings(host, port)))
    _emit(to_json(result) if fmt == "json" else to_text(result), output)
    if result.problems:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if result.incidents else EXIT_CLEAN)


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
@click.argument("targets", nargs=-1, required=True, metavar="HOST[:PORT]...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True),
    help="The server's configuration: each listener is compared with what its port shows.",
)
@click.option(
    "--ports",
    default="25,465,587",
    show_default=True,
    help="Ports to probe on a HOST given without one (465: implicit TLS).",
)
@click.option(
    "--relay-test",
    is_flag=True,
    help="Try to relay (MAIL FROM and RCPT TO only, never DATA). Only on your own servers.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 300),
    default=10.0,
    show_default=True,
    help="Seconds to wait for each connection, reply or handshake.",
)
@click.option(
    "--budget",
    type=click.FloatRange(1, 3600),
    default=120.0,
    show_default=True,
    help="Seconds for the whole probe.",
)
@click.option("--concurrency", type=click.IntRange(1, 16), default=4, show_default=True)
@click.option(
    "--ca-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Trust these CA certificates instead of the system store.",
)
@click.option("--online", is_flag=True, help="Also check DANE: TLSA records of each host name.")
@click.option("--resolver", default="", help="DNS server for --online (IP, IP:PORT).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "note"]),
    default="warning",
    show_default=True,
)
@click.option("--select", multiple=True, metavar="ID|PREFIX|TAG", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="ID|PREFIX|TAG", help="Skip these rules.")
def probe(
    targets: tuple[str, ...],
    config_path: Path | None,
    ports: str,
    relay_test: bool,
    timeout: float,
    budget: float,
    concurrency: int,
    ca_file: str | None,
    online: bool,
    resolver: str,
    fmt: str,
    output: Path | None,
    fail_on: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
) -> None:
    """Check running SMTP servers (and compare them with --config).

    Contacts only the hosts named, on the ports named: greeting, EHLO, STARTTLS or
    implicit TLS, TLS versions, certificate, AUTH, VRFY/EXPN, HELO, SIZE.
    """
    from linter.engine.runner import Selection
    from linter.probe.findings import judge
    from linter.probe.output import render as render_probe
    from linter.probe.run import ProbeRequest, ProbeUsageError
    from linter.probe.run import probe as run_probe

    try:
        port_list = tuple(dict.fromkeys(int(p) for p in _split((ports,))))
    except ValueError:
        _fail(f"--ports takes port numbers separated by commas, not {ports!r}")
    if not port_list or not all(0 < p < 65536 for p in port_list):
        _fail(f"--ports takes port numbers from 1 to 65535, not {ports!r}")
    request = ProbeRequest(
        list(targets), port_list, config_path, relay_test, timeout, budget, concurrency, ca_file
    )
    request.online, request.resolver = online, resolver
    try:
        result = run_probe(request)
    except ProbeUsageError as exc:
        _fail(str(exc))
    findings = judge(result.facts, Selection(_split(select), _split(ignore)))
    colour = output is None and sys.stdout.isatty()
    _emit(render_probe(fmt, result, findings, colour), output)
    for problem in result.problems:
        click.echo(f"mtalint: {printable(problem)}", err=True)
    if result.problems:
        sys.exit(EXIT_USAGE)
    failing = any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in findings)
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)
