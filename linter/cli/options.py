"""The options more than one command declares, each declared once here.

The names click passes (``config_file``, ``public_ips``, ...) are the keys
:mod:`linter.settings` reads. The MTAs' own options (``--postfix-version``, ``--define``)
come from the registry: each MTA package declares its flags (:class:`CliFlag`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, get_args

import click

from linter.mta.registry import cli_flags
from linter.posture import Role

F = TypeVar("F", bound=Callable[..., object])

RULES_METAVAR = "ID|PREFIX|TAG"


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several options as one decorator, in the order given (as --help lists them)."""

    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def output(help_text: str | None = None) -> Callable[[F], F]:
    """-o/--output FILE."""
    kind = click.Path(path_type=Path, dir_okay=False)
    return click.option("-o", "--output", type=kind, help=help_text)


WRITE_HELP = "Write the report to FILE (atomically) instead of stdout."

# --limit NAME=VALUE (RunSettings.limits): check, report and parse
LIMIT = click.option(
    "--limit",
    "limit_args",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a limit on the work one input may cause (repeatable; see README).",
)

# each MTA's own options (RunSettings.flags), named by their CliFlag.field
MTA_FLAGS = options(
    *(
        click.option(
            flag.flag,
            flag.field,
            default=None,
            multiple=flag.multiple,
            metavar=flag.metavar,
            help=flag.help,
        )
        for flag in cli_flags()
    )
)

# --config, --no-config, --rules, --role (RunSettings): check and report
SETUP = options(
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
        type=click.Choice(get_args(Role)),
        help="Set the host's role(s) instead of inferring them.",
    ),
)

# --online and its options (OnlineSettings): check and report
ONLINE = options(
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
)

# --write-baseline, --baseline, --diff-base, --show-stale (KnownSettings): check
KNOWN = options(
    click.option(
        "--write-baseline",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Record today's findings in FILE (by fingerprint) and exit 0.",
    ),
    click.option(
        "--baseline",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Report only findings not in this baseline file; list entries no longer seen.",
    ),
    click.option(
        "--diff-base",
        metavar="GIT_REF",
        help="Report only findings that the files did not have at this git commit.",
    ),
    click.option(
        "--show-stale",
        is_flag=True,
        help="With --baseline: list the entries that no longer occur (else only counted).",
    ),
)
