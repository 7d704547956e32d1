"""The commands about the model and the rules: ``parse``, ``rules``, ``explain``,
``test-rules`` and ``docs``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from linter.cli.options import LIMIT, MTA_FLAGS, RULES_METAVAR, output
from linter.explain import LIST_FORMATS
from linter.output import DATA_FORMATS, emit
from linter.settings import EXIT_FINDINGS, ParseSettings
from linter.textsafe import printable


@click.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option("--format", "fmt", type=click.Choice(DATA_FORMATS), default="json", show_default=True)
@MTA_FLAGS
@output()
@LIMIT
def parse(**params: object) -> None:
    """Print the model mtalint builds for PATH: effective settings, services, posture.

    PATH is a configuration file or a folder holding one config set. When the folder
    holds several sets, a list is printed.
    """
    from linter.check import models
    from linter.output import serialise

    settings = ParseSettings.from_cli(params)
    doc, read = models(settings.path, settings.options)
    emit(serialise(doc, settings.fmt), settings.output, protected=read)


@click.command(name="rules")
@click.option(
    "--check",
    "check_dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Validate the rule files in DIR against the schema and exit.",
)
@click.option("--format", "fmt", type=click.Choice(LIST_FORMATS), default="text", show_default=True)
@click.option("--select", multiple=True, metavar=RULES_METAVAR, help="Only list these rules.")
def rules_command(check_dir: Path | None, fmt: str, select: tuple[str, ...]) -> None:
    """List the rules, or validate a folder of custom rules (--check DIR)."""
    from linter.explain import check_rule_folder, rule_list

    if check_dir is not None:
        click.echo(check_rule_folder(check_dir))
    else:
        click.echo(rule_list(select, fmt), nl=False)


@click.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Explain a rule: why it matters, how to fix it, references and examples."""
    from linter.explain import explain as explanation

    click.echo(explanation(rule_id))


@click.command(name="test-rules")
@click.argument(
    "folder", type=click.Path(path_type=Path, file_okay=False, exists=True), required=False
)
@click.option("-v", "--verbose", is_flag=True, help="List every test case.")
def test_rules(folder: Path | None, verbose: bool) -> None:
    """Run the tests carried by each rule (the built-in rules, or those in FOLDER)."""
    from linter.check import check
    from linter.engine.selftest import test_rules as run_tests

    sys.exit(run_tests(folder, verbose, check))


@click.command()
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
