"""The ``mtalint`` command: its options, and which module does each command's work.

Exit codes: 0 no findings at or above ``--fail-on``; 1 findings at or above it; 2 usage,
configuration or input-path error; 3 internal error (a bug: please report it). No
traceback reaches the user: a :class:`~linter.settings.CommandError` is one line, any
other exception one line and exit 3.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from linter import __version__
from linter.engine.rules import SEVERITIES, SEVERITY_RANK
from linter.explain import LIST_FORMATS
from linter.mta.registry import file_formats
from linter.output import DATA_FORMATS, emit, say, stdout_closed
from linter.report import CHECK_FORMATS, DOCUMENT_FORMATS
from linter.settings import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_USAGE,
    KNOWN_OPTIONS,
    MAX_FILE_SIZE_CAP,
    ONLINE_OPTIONS,
    SETUP_OPTIONS,
    CheckSettings,
    CommandError,
    ReportSettings,
    split,
)
from linter.textsafe import printable

F = TypeVar("F", bound=Callable[..., object])
# the formats --as can name: a file's own format (Debian's split Exim is a folder)
FILE_FORMATS = file_formats()


class _Group(click.Group):
    """A CommandError as its one line and exit code; any unexpected exception as one
    line and exit code 3."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except CommandError as exc:
            click.echo(f"mtalint: {printable(str(exc))}", err=True)
            sys.exit(exc.code)
        except KeyboardInterrupt:
            click.echo("mtalint: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            stdout_closed()
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


def _output(help_text: str | None = None) -> Callable[[F], F]:
    kind = click.Path(path_type=Path, dir_okay=False)
    return click.option("-o", "--output", type=kind, help=help_text)


_WRITE = "Write the report to FILE (atomically) instead of stdout."
_RULES = "ID|PREFIX|TAG"
_DEFINE_HELP = "Define an Exim macro as exim -D does, overriding the file (repeatable)."
_LIMIT_HELP = "Set a limit on the work one input may cause (repeatable; see README)."
_define = click.option(
    "--define", "defines", multiple=True, metavar="NAME=VALUE", help=_DEFINE_HELP
)
_limit = click.option(
    "--limit", "limit_args", multiple=True, metavar="NAME=VALUE", help=_LIMIT_HELP
)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@_output(_WRITE)
@click.option(
    "--select",
    multiple=True,
    metavar=_RULES,
    help="Only these rules (comma-separated or repeated).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar=_RULES,
    help="Skip these rules (comma-separated or repeated).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit 1 when a finding has this severity or higher  [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@SETUP_OPTIONS
@click.option(
    "--postfix-version",
    default=None,
    metavar="X.Y",
    help="Postfix release whose defaults apply  [default: 3.7.11].",
)
@_define
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1, max=MAX_FILE_SIZE_CAP),
    default=None,
    help="Largest file read, in bytes (the limit max_file_size)  [default: 10485760].",
)
@_limit
@click.option(
    "--color/--no-color", default=None, help="Colour the text output  [default: when a terminal]."
)
@KNOWN_OPTIONS
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
    type=click.Choice(FILE_FORMATS),
    default=None,
    metavar="FORMAT",
    help="Read the files named (not folders) as this format: " + ", ".join(FILE_FORMATS) + ".",
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
@ONLINE_OPTIONS
def check(**params: object) -> None:
    """Check configuration files or folders and report findings.

    A folder is searched for configuration files; a Postfix main.cf and master.cf
    in one folder are checked together. A file named here whose name is not the MTA's
    own is recognised by its content, or read as --as says. '-' reads standard input
    (with --stdin-filename). Nothing is looked up on the network unless --online is
    given.
    """
    from linter.check import check_and_report

    sys.exit(check_and_report(CheckSettings.from_cli(params)))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DOCUMENT_FORMATS),
    default="html",
    show_default=True,
    help="Report format: one self-contained HTML page, Markdown (pull-request comments), JSON.",
)
@_output(_WRITE)
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
@click.option("--select", multiple=True, metavar=_RULES, help="As for check.")
@click.option("--ignore", multiple=True, metavar=_RULES, help="As for check.")
@SETUP_OPTIONS
@click.option("--postfix-version", default=None, metavar="X.Y", help="As for check.")
@_define
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="As for check: known findings are shown as suppressed, their controls not checked.",
)
@_limit
@click.option(
    "--diagnose",
    "diagnose_logs",
    multiple=True,
    metavar="LOG",
    help="Add a section of delivery incidents from these mail logs or bounces (as "
    "'mtalint diagnose'; joined with the configuration when one PATH is given).",
)
@ONLINE_OPTIONS
def report(**params: object) -> None:
    """Write a compliance report for auditors: findings mapped to framework controls.

    Each control of NIST SP 800-177, BSI TR-03108, PCI DSS 4.0, CIS, DISA STIG and the
    RFCs gets a status per host (fail; pass only when every rule deciding it ran and found
    nothing; not checked, with the reason; not applicable), with the evidence (file,
    line, effective value, DNS answers), the fix, a summary per host and severity, and
    the hash of every input file.
    Exit 0 when the report is written, whatever it finds; 2 when an input could not be
    read (its controls are "not checked").
    """
    from linter.report.audit import report as write_report

    sys.exit(write_report(ReportSettings.from_cli(params)))


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--format", "fmt", type=click.Choice(DATA_FORMATS), default="json", show_default=True)
@click.option(
    "--postfix-version",
    default=None,
    metavar="X.Y[.Z]",
    help="Postfix release whose defaults apply  [default: 3.7.11].",
)
@_define
@_output()
@_limit
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
    from linter.check import models
    from linter.output import serialise
    from linter.settings import model_options

    doc, read = models(path, lambda: model_options(postfix_version, defines, limit_args))
    emit(serialise(doc, fmt), output, protected=read)


@main.command(name="rules")
@click.option(
    "--check",
    "check_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Validate the rule files in DIR against the schema and exit.",
)
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.option("--select", multiple=True, metavar=_RULES, help="Only list these rules.")
def rules_command(check_dir: Path | None, fmt: str, select: tuple[str, ...]) -> None:
    """List the rules, or validate a folder of custom rules (--check DIR)."""
    from linter.explain import check_rule_folder, rule_list

    if check_dir is not None:
        click.echo(check_rule_folder(check_dir))
    else:
        click.echo(rule_list(select, fmt), nl=False)


@main.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain a rule: why it matters, how to fix it, references and examples."""
    from linter.explain import explain as explanation

    click.echo(explanation(rule_id))


@main.command(name="test-rules")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False, exists=True), required=False
)
@click.option("-v", "--verbose", is_flag=True, help="List every test case.")
def test_rules(folder: Path | None, verbose: bool) -> None:
    """Run the tests carried by each rule (the built-in rules, or those in FOLDER)."""
    from linter.engine.selftest import test_rules as run_tests

    sys.exit(run_tests(folder, verbose))


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
    from linter.docs import generate, stale_pages, write_pages

    pages = generate()
    if not check_only:
        write_pages(out_dir, pages)
        click.echo(f"wrote {len(pages)} pages to {printable(out_dir)}")
        return
    stale = stale_pages(out_dir, pages)
    for line in stale:
        click.echo(line)
    if stale:
        click.echo("run 'mtalint docs' to regenerate")
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{len(pages)} pages up to date in {printable(out_dir)}")


@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="LOG_OR_BOUNCE...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True),
    help="The configuration (a Postfix folder or main.cf): name the settings behind each incident.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "md", "html"]),
    default="text",
    show_default=True,
    help="md and html: the section of 'mtalint report --diagnose' as a page of its own.",
)
@click.option("--since", metavar="TIME", help="Only events at or after this ISO 8601 time.")
@click.option("--until", metavar="TIME", help="Only events at or before this ISO 8601 time.")
@_output()
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
    from linter.diagnose.render import to_json, to_page, to_text
    from linter.settings import iso_time

    window = Window(iso_time(since, "--since"), iso_time(until, "--until"))
    if follow:
        from linter.diagnose.follow import FollowError, run_follow

        if len(inputs) != 1 or output is not None or config_path is not None:
            raise CommandError(
                "--follow reads one log and writes to standard output (no -o, no --config)"
            )
        if fmt not in ("text", "json"):
            raise CommandError("--follow writes text or json (one incident a line)")
        try:
            followed = run_follow(inputs[0], window, fmt, sys.stdout)
        except FollowError as exc:
            raise CommandError(str(exc)) from None
        n = len(followed.incidents)
        say(printable(f"{n} incidents; {followed.event_lines} events read"))
        sys.exit(EXIT_FINDINGS if n else EXIT_CLEAN)
    result = run_diagnosis(list(inputs), window)
    for problem in result.problems:
        say(f"mtalint: {printable(problem)}")
    if config_path is not None:
        attach_config(result, config_path)
    if online:
        from linter.diagnose.online import recheck
        from linter.dns import parse_resolver
        from linter.dns.resolver import Resolver, ResolverSettings

        try:
            host, port = parse_resolver(resolver) if resolver else ("", 53)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        recheck(result.incidents, Resolver(ResolverSettings(host, port)))
    if fmt in ("md", "html"):
        text = to_page(result, fmt)
    else:
        text = to_json(result) if fmt == "json" else to_text(result)
    emit(text, output)
    if result.problems:
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_FINDINGS if result.incidents else EXIT_CLEAN)


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
@click.option(
    "--online",
    is_flag=True,
    help="Also check DANE (TLSA records of each host name) and, with --domain, MTA-STS.",
)
@click.option("--resolver", default="", help="DNS server for --online (IP, IP:PORT).")
@click.option(
    "--domain",
    default="",
    metavar="DOMAIN",
    help="The mail domain: --online checks each host and its certificate against its "
    "MTA-STS policy.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif"]),
    default="text",
    show_default=True,
)
@_output()
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="warning",
    show_default=True,
)
@click.option("--select", multiple=True, metavar=_RULES, help="Only these rules.")
@click.option("--ignore", multiple=True, metavar=_RULES, help="Skip these rules.")
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
    domain: str,
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
        port_list = tuple(dict.fromkeys(int(p) for p in split((ports,))))
    except ValueError:
        raise CommandError(
            f"--ports takes port numbers separated by commas, not {ports!r}"
        ) from None
    if not port_list or not all(0 < p < 65536 for p in port_list):
        raise CommandError(f"--ports takes port numbers from 1 to 65535, not {ports!r}")
    request = ProbeRequest(
        list(targets), port_list, config_path, relay_test, timeout, budget, concurrency, ca_file
    )
    request.online, request.resolver, request.domain = online, resolver, domain
    try:
        result = run_probe(request)
    except ProbeUsageError as exc:
        raise CommandError(str(exc)) from None
    findings = judge(result.facts, Selection(split(select), split(ignore)))
    colour = output is None and sys.stdout.isatty()
    emit(render_probe(fmt, result, findings, colour), output)
    for problem in result.problems:
        say(f"mtalint: {printable(problem)}")
    if result.problems:
        sys.exit(EXIT_USAGE)
    failing = any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_on] for f in findings)
    sys.exit(EXIT_FINDINGS if failing else EXIT_CLEAN)


if __name__ == "__main__":  # pragma: no cover
    main()
