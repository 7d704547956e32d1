"""``mtalint probe``: check running SMTP servers (:mod:`linter.probe`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linter.cli.options import RULES_METAVAR, output
from linter.engine.rules import SEVERITIES, SEVERITY_RANK
from linter.output import emit, say
from linter.settings import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, CommandError, split
from linter.textsafe import printable


@click.command()
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
@output()
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default="warning",
    show_default=True,
)
@click.option("--select", multiple=True, metavar=RULES_METAVAR, help="Only these rules.")
@click.option("--ignore", multiple=True, metavar=RULES_METAVAR, help="Skip these rules.")
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
