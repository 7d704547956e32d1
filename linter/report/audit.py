"""``mtalint report``: check, then the compliance document for auditors, rendered."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from linter.output import emit
from linter.settings import EXIT_CLEAN, EXIT_USAGE, CommandError, ReportSettings, split


def report(settings: ReportSettings) -> int:
    """Write the report ``settings`` ask for (or list the frameworks); the exit status:
    2 when an input could not be read (its controls are "not checked"), else 0."""
    import click

    from linter.baseline import filter_known
    from linter.check import run, stop_on_internal_errors
    from linter.report.compliance import FrameworkError, build, load_frameworks
    from linter.report.document import render
    from linter.report.paths import project_root, root_relative

    try:
        frameworks = load_frameworks()
    except FrameworkError as exc:
        raise CommandError(str(exc)) from None
    if settings.list_frameworks:
        for fw in frameworks:
            click.echo(f"{fw.id:20} {fw.title} ({len(fw.controls)} controls)")
        return EXIT_CLEAN
    if not settings.run.paths:
        raise CommandError(
            "give the configuration files or folders to report on (mtalint report --help)"
        )
    known = {fw.id for fw in frameworks}
    unknown = [f for f in settings.frameworks if f not in known]
    if unknown:
        raise CommandError(
            f"unknown framework(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if settings.frameworks:
        frameworks = [fw for fw in frameworks if fw.id in settings.frameworks]
    checked = run(settings.run)
    result, config, baseline = checked.result, checked.config, settings.baseline
    # paths relative to the project root, as in check's machine formats: a baseline
    # written by check matches wherever the report is made
    root, here = project_root(None), os.getcwd()
    result.relocate(lambda p: root_relative(p, str(root), here))
    if baseline is not None:
        result = filter_known(result, baseline, None, checked.paths, checked.recheck, root)
    document = build(
        result,
        checked.rules,
        frameworks,
        [str(p) for p in checked.paths],
        settings.run.online.enabled,
        configuration={
            "file": str(config.path) if config.path else "",
            "select": split(settings.run.select) or list(config.select),
            "ignore": list(config.ignore) + split(settings.run.ignore),
            "baseline": str(baseline) if baseline else "",
        },
    )
    if settings.diagnose_logs:
        _add_diagnosis(document, settings.diagnose_logs, checked.paths)
    protected = checked.protected() + ((baseline,) if baseline else ())
    protected += tuple(Path(name) for name in settings.diagnose_logs if name != "-")
    text = render(document, settings.fmt, summary_only=settings.summary)
    emit(text, settings.output, None, protected)
    stop_on_internal_errors(result)
    # an input that could not be read leaves its controls unchecked: not a clean run
    return EXIT_USAGE if document["incomplete"] else EXIT_CLEAN


def _add_diagnosis(document: dict[str, Any], logs: tuple[str, ...], paths: list[Path]) -> None:
    """--diagnose: the delivery incidents of ``logs`` as a section of the report, joined
    with the configuration when one path is reported on."""
    from linter.diagnose import attach_config, diagnose
    from linter.diagnose.render import to_document

    diagnosis = diagnose(list(logs))
    if len(paths) == 1:
        attach_config(diagnosis, paths[0])
    document["diagnosis"] = to_document(diagnosis)
    if diagnosis.problems:  # a log that could not be read: the report is incomplete
        document["incomplete"] = True
        document["problems"] = list(document.get("problems", [])) + diagnosis.problems
