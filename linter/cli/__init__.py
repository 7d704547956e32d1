"""The ``mtalint`` command: the group, and which module declares each command.

Exit codes: 0 no findings at or above ``--fail-on``; 1 findings at or above it; 2 usage,
configuration or input-path error; 3 internal error (a bug: please report it). No
traceback reaches the user: a :class:`~linter.settings.CommandError` is one line, any
other exception one line and exit 3.

Each command module declares its options (the shared ones are in :mod:`.options`),
builds its settings with :mod:`linter.settings` and hands them to the module that does
the work, imported when the command runs.
"""

from __future__ import annotations

import sys

import click

from linter import __version__
from linter.cli.check import check, report
from linter.cli.diagnose import diagnose
from linter.cli.probe import probe
from linter.cli.rules import docs, explain, parse, rules_command, test_rules
from linter.output import stdout_closed
from linter.settings import EXIT_INTERNAL, CommandError
from linter.textsafe import printable


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


# in the order --help lists them (click sorts them by name)
for _command in (check, report, parse, rules_command, explain, test_rules, docs, diagnose, probe):
    main.add_command(_command)
