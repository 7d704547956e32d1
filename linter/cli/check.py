"""``mtalint check`` and ``mtalint report``: the options of a run over configuration files.

Both build their settings with :mod:`linter.settings` and hand them over:
:func:`linter.check.check_and_report` checks, :mod:`linter.report.audit` writes the
compliance report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linter.cli.options import (
    KNOWN,
    LIMIT,
    MTA_FLAGS,
    ONLINE,
    RULES_METAVAR,
    SETUP,
    WRITE_HELP,
    output,
)
from linter.engine.rules import SEVERITIES
from linter.mta.registry import file_formats
from linter.report import CHECK_FORMATS, DOCUMENT_FORMATS
from linter.settings import MAX_FILE_SIZE_CAP, CheckSettings, ReportSettings

# the formats --as can name: a file's own format (Debian's split Exim is a folder)
FILE_FORMATS = file_formats()


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="Output format.",
)
@output(WRITE_HELP)
@click.option(
    "--select",
    multiple=True,
    metavar=RULES_METAVAR,
    help="Only these rules (comma-separated or repeated).",
)
@click.option(
    "--ignore",
    multiple=True,
    metavar=RULES_METAVAR,
    help="Skip these rules (comma-separated or repeated).",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit 1 when a finding has this severity or higher  [default: warning].",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@SETUP
@MTA_FLAGS
@click.option(
    "--max-file-size",
    type=click.IntRange(min=1, max=MAX_FILE_SIZE_CAP),
    default=None,
    help="Largest file read, in bytes (the limit max_file_size)  [default: 10485760].",
)
@LIMIT
@click.option(
    "--color/--no-color", default=None, help="Colour the text output  [default: when a terminal]."
)
@KNOWN
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
@ONLINE
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


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DOCUMENT_FORMATS),
    default="html",
    show_default=True,
    help="Report format: one self-contained HTML page, Markdown (pull-request comments), JSON.",
)
@output(WRITE_HELP)
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
@click.option("--select", multiple=True, metavar=RULES_METAVAR, help="As for check.")
@click.option("--ignore", multiple=True, metavar=RULES_METAVAR, help="As for check.")
@SETUP
@MTA_FLAGS
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, dir_okay=False),
    help="As for check: known findings are shown as suppressed, their controls not checked.",
)
@LIMIT
@click.option(
    "--diagnose",
    "diagnose_logs",
    multiple=True,
    metavar="LOG",
    help="Add a section of delivery incidents from these mail logs or bounces (as "
    "'mtalint diagnose'; joined with the configuration when one PATH is given).",
)
@ONLINE
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
