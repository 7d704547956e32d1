"""``mtalint diagnose``: delivery incidents in mail logs and bounces (:mod:`linter.diagnose`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linter.cli.options import output
from linter.output import emit, say
from linter.settings import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, CommandError
from linter.textsafe import printable


@click.command()
@click.argument("inputs", nargs=-1, required=True, metavar="LOG_OR_BOUNCE...")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, exists=True),
    help="The configuration (a folder or file of any supported MTA): name the settings behind "
    "each incident. Default: one found beside the log.",
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
@output()
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
