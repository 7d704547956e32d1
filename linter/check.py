"""The whole pipeline for ``mtalint check``.

:func:`check_and_report` (the command): :func:`run` → paths relative to the project
root → --write-baseline, or --fix/--diff (:mod:`linter.fix`) → known findings set aside
(:func:`linter.baseline.filter_known`, a new result) → the report
(:func:`linter.report.render_check`) → the exit status.

:func:`run` (what the command line asks): settings → configuration file, rules and
options (:meth:`linter.settings.RunSettings.plan`) → :func:`check`.

:func:`check` (every config set under the paths): discover → per set, in
:func:`check_set`: analyse (the MTA's model, posture and facts) → DNS facts (``--online``;
one resolver for the run, :mod:`linter.dns.session`) → rules (:func:`_judge`) →
suppressions (:func:`linter.findings.apply_suppressions`); then merged, sorted and
deduplicated.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from linter.discover import ConfigSet, discover
from linter.engine.rules import Rule
from linter.engine.runner import Selection, run_rules
from linter.findings import Finding, apply_suppressions, builtin_finding, suppressions_in
from linter.mta import Analysis, Options, analyser
from linter.source import Span

if TYPE_CHECKING:
    from linter.config import Config
    from linter.dns.resolver import Resolver
    from linter.settings import CheckSettings, RunSettings

# The finding the core emits for a set it could not check (a rule with ``builtin: true``).
INTERNAL_ERROR = "MTL001"


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    config_sets: list[ConfigSet] = field(default_factory=list)
    analyses: list[Analysis] = field(default_factory=list)
    analysed_sets: list[ConfigSet] = field(default_factory=list)  # the set of each analysis
    # --baseline: entries of the baseline that no longer occur
    stale_baseline: list[dict[str, str]] | None = None
    problems: list[str] = field(default_factory=list)
    suppressed: int = 0
    # the findings suppressed inline or by a baseline, each with its ``suppression``
    suppressed_findings: list[Finding] = field(default_factory=list)
    # the rule selection the run used (reports: which rules were switched off)
    selection: Selection | None = None
    # what went wrong inside mtalint, one line per config set: the run exits 3
    internal_errors: list[str] = field(default_factory=list)
    # the configuration file used and the rules it switched off (shown in reports)
    configuration: dict[str, Any] | None = None
    # what discovery noticed that is no problem (a file recognised by its content)
    notes: list[str] = field(default_factory=list)
    # the folder the machine-readable paths are relative to (SARIF's SRCROOT)
    project_root: str | None = None

    def relocate(self, where: Callable[[str], str]) -> None:
        """Every path of the findings (their evidence too) and files checked through
        ``where``."""

        def moved(f: Finding) -> Finding:
            evidence = [
                {**e, "path": where(e["path"])} if isinstance(e.get("path"), str) else e
                for e in f.evidence
            ]
            return replace(f, span=replace(f.span, path=where(f.span.path)), evidence=evidence)

        self.findings = sorted((moved(f) for f in self.findings), key=Finding.sort_key)
        self.suppressed_findings = [moved(f) for f in self.suppressed_findings]
        self.files = [where(p) for p in self.files]


def analyse_set(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.providers import put_facts

    analysis = analyser(config_set.mta)(config_set, options)
    put_facts(analysis.facts)  # posture.outbound.provider, the same for every MTA
    return analysis


@dataclass
class SetResult:
    """What checking one config set gives."""

    files: list[str]
    findings: list[Finding]
    suppressed: int = 0
    analysis: Analysis | None = None
    suppressed_findings: list[Finding] = field(default_factory=list)
    internal_error: str | None = None


def check(
    paths: list[Path],
    rules: list[Rule],
    selection: Selection,
    options: Options,
    mapping: dict[str, str] | None = None,
    today: date | None = None,
    role_map: dict[str, list[str]] | None = None,
    jobs: int = 1,
    named: dict[str, str] | None = None,
) -> CheckResult:
    """Check every config set under ``paths``.

    With ``jobs`` > 1 the sets are checked in that many worker processes (not with DNS
    checks, which share one resolver); the result is the same as a serial run, without
    the per-set analyses. ``named``: the format of files named in ``paths`` (``--as``).
    """
    result = CheckResult(selection=selection)
    sets, problems = discover(paths, mapping, named, result.notes)
    result.config_sets = sets
    result.problems = problems
    today = today or date.today()
    resolver = None
    if options.online is not None:
        from linter.dns.session import open_resolver

        resolver = open_resolver(options.online)
    if jobs > 1 and len(sets) > 1 and resolver is None:
        outcomes = _check_in_workers(sets, jobs, (rules, selection, options, role_map, today))
    else:
        outcomes = [
            check_set(s, rules, selection, options, role_map, today, resolver) for s in sets
        ]
    for config_set, outcome in zip(sets, outcomes, strict=True):
        result.files.extend(outcome.files)
        result.findings.extend(outcome.findings)
        result.suppressed += outcome.suppressed
        result.suppressed_findings.extend(outcome.suppressed_findings)
        if outcome.internal_error is not None:
            result.internal_errors.append(outcome.internal_error)
        if outcome.analysis is not None:
            result.analyses.append(outcome.analysis)
            result.analysed_sets.append(config_set)
    result.findings = _dedupe(sorted(result.findings, key=Finding.sort_key))
    return result


_WORKER: tuple[Any, ...] = ()
_STARTED: Any = None  # per set index: 0 not started, 1 being checked, 2 checked

_RUNNING, _DONE = 1, 2


def _init_worker(started: Any, *args: Any) -> None:
    global _WORKER, _STARTED
    _STARTED = started
    _WORKER = args


def _check_set_in_worker(index: int, config_set: ConfigSet) -> SetResult:
    _STARTED[index] = _RUNNING
    outcome = check_set(config_set, *_WORKER)
    outcome.analysis = None  # facts hold resolvers (closures): they stay in the worker
    _STARTED[index] = _DONE
    return outcome


def _check_in_workers(sets: list[ConfigSet], jobs: int, setup: tuple[Any, ...]) -> list[SetResult]:
    """Check ``sets`` in ``jobs`` processes; the outcomes in the order of ``sets``.

    A worker that dies (killed by a signal, out of memory) breaks the whole pool, which
    does not say what the worker was doing. Each worker marks the set it is on, so the
    sets being checked when the pool broke are checked again one at a time, each in a
    process of its own: the set that kills its process is named (an internal error),
    and the sets not reached are checked in a new pool, keeping their findings.
    """
    import multiprocessing

    rules, selection = setup[0], setup[1]
    outcomes: list[SetResult | None] = [None] * len(sets)
    todo = list(range(len(sets)))
    while todo:
        started = multiprocessing.RawArray("b", len(sets))
        _run_pool(sets, todo, min(jobs, len(todo)), (started, *setup), outcomes)
        left = [i for i in todo if outcomes[i] is None]
        # the sets in the hands of a worker when the pool broke; if none was (a worker
        # died between sets), each set left is a suspect: the loop always ends
        suspects = [i for i in left if started[i] == _RUNNING] or left
        for i in suspects:
            _run_pool(sets, [i], 1, (multiprocessing.RawArray("b", len(sets)), *setup), outcomes)
            if outcomes[i] is None:
                outcomes[i] = _internal_error(
                    sets[i], rules, selection, "the worker process checking it died"
                )
        todo = [i for i in left if outcomes[i] is None]
    return [o for o in outcomes if o is not None]


def _run_pool(
    sets: list[ConfigSet],
    indexes: list[int],
    workers: int,
    initargs: tuple[Any, ...],
    outcomes: list[SetResult | None],
) -> None:
    """Check the sets at ``indexes`` in a pool of ``workers`` processes, filling
    ``outcomes``; the sets of a pool that broke are left at None."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # the rules and options go to each worker once, not with every config set
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=initargs
    ) as pool:
        futures = [(i, pool.submit(_check_set_in_worker, i, sets[i])) for i in indexes]
        for i, future in futures:
            with contextlib.suppress(BrokenProcessPool):
                outcomes[i] = future.result()


def _internal_error(
    config_set: ConfigSet, rules: list[Rule], selection: Selection, what: str
) -> SetResult:
    """A set whose check failed inside mtalint: MTL001 at its first file, and the
    message that makes the run exit 3."""
    names = ", ".join(f.display for f in config_set.files)
    message = f"internal error while checking {names}: {what}"
    outcome = _unchecked(config_set, rules, selection, message)
    outcome.internal_error = message
    return outcome


def _unchecked(
    config_set: ConfigSet, rules: list[Rule], selection: Selection, message: str
) -> SetResult:
    """A set that could not be checked: one MTL001 finding (never in a baseline)."""
    finding = builtin_finding(
        rules,
        selection,
        INTERNAL_ERROR,
        message,
        Span(config_set.files[0].display, 1, 1),
        "internal",
    )
    files = [f.display for f in config_set.files]
    return SetResult(files, [finding] if finding else [])


# diagnostics that say part of the configuration was not read (an include outside the
# tree, missing, or past a limit): what that part sets is not known
NOT_READ_KINDS = frozenset(
    {"include-not-read", "include-not-followed", "include-missing", "split-part-alone"}
)


def _drop_claims_about_defaults(findings: list[Finding], rules: list[Rule]) -> list[Finding]:
    """Findings that rest only on defaults (no fact they matched came from a line of the
    files read) are not claims the input backs when a part of it was not read: the
    unread part may set what the finding says is missing. The note about the unread part
    says so once; findings about lines that were read stay."""
    about_diagnostics = {r.id for r in rules if r.for_each == "diagnostics"}
    return [
        f
        for f in findings
        if f.rule in about_diagnostics
        or (f.span.line, f.span.column) != (1, 1)
        or any("line" in e for e in f.evidence if isinstance(e, dict) and "fact" in e)
    ]


def check_set(
    config_set: ConfigSet,
    rules: list[Rule],
    selection: Selection,
    options: Options,
    role_map: dict[str, list[str]] | None,
    today: date,
    resolver: Resolver | None = None,
) -> SetResult:
    """Analyse one config set and run the rules on it."""
    files = [f.display for f in config_set.files]
    set_options = options
    configured_roles = role_for(config_set.display, role_map or {})
    if configured_roles and not options.roles:
        set_options = replace(options, roles=configured_roles)
    try:
        analysis = analyse_set(config_set, set_options)
    except RecursionError:
        # input deeper than a reader's recursion: the set is reported unchecked (MTL001,
        # an error no baseline hides) without failing the run as a crash would
        return _unchecked(config_set, rules, selection, "input nests too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - reported as a finding naming the file
        return _internal_error(config_set, rules, selection, f"{type(exc).__name__}: {exc}")
    if resolver is not None and options.online is not None:
        from linter.dns.session import add_dns_facts

        if analysis.posture is None:  # every MTA's analysis carries its posture
            raise TypeError(f"the {analysis.mta} analysis carries no posture")
        add_dns_facts(analysis.facts, analysis.posture, options.online, resolver)
    findings = _judge(analysis, rules, selection)
    suppressions = suppressions_in(analysis.comments)
    kept, suppressed = apply_suppressions(findings, suppressions, rules, selection, today)
    return SetResult(files, kept, len(suppressed), analysis, suppressed)


def _judge(analysis: Analysis, rules: list[Rule], selection: Selection) -> list[Finding]:
    """The rules' findings on one analysed set (the rules stage)."""
    roles = list(analysis.facts.get("roles") or [])
    usable = rules
    if any(d.kind == "input-error" for d in analysis.diagnostics):
        # a file of the set could not be read: judging the rest as if it were empty
        # would only produce findings about defaults, so report the file alone
        usable = [r for r in rules if r.for_each == "diagnostics"]
    findings = run_rules(analysis.mta, analysis.facts, usable, selection, roles)
    if any(d.kind in NOT_READ_KINDS for d in analysis.diagnostics):
        findings = _drop_claims_about_defaults(findings, usable)
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for f in findings:
        key = (f.rule, f.span, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def role_for(display: str, role_map: dict[str, list[str]]) -> list[str] | None:
    """Roles configured for a config set (``roles:`` maps path globs to roles)."""
    for glob, roles in role_map.items():
        if fnmatch.fnmatch(display, glob) or fnmatch.fnmatch(display.rstrip("/") + "/", glob):
            return roles
    return None


def models(path: Path, options_for: Callable[[], Options]) -> tuple[object, tuple[Path, ...]]:
    """``mtalint parse``: the model of the config set at ``path`` (a list when it holds
    several), and the files read (which an output must not replace). The options are
    made once files were found (their errors come after discovery's)."""
    from linter.output import say
    from linter.settings import CommandError
    from linter.textsafe import printable

    sets, problems = discover([path])
    for problem in problems:
        say(f"mtalint: {printable(problem)}")
    if not sets:
        raise CommandError(f"no configuration files found in {path}")
    options = options_for()
    found = [analyse_set(s, options).model for s in sets]
    read = tuple(f.path for s in sets for f in s.files) + (path,)
    return (found[0] if len(found) == 1 else found), read


@dataclass
class Run:
    """One check as the command line asked for it, and what it was made with."""

    result: CheckResult
    rules: list[Rule]
    config: Config
    paths: list[Path]
    # checks other paths the same way (--diff-base, and again after --fix)
    recheck: Callable[[list[Path]], CheckResult]

    def protected(self) -> tuple[Path, ...]:
        """Files an output must not replace: every file checked and the configuration."""
        files = [f.path for s in self.result.config_sets for f in s.files]
        named = [p for p in self.paths if p.is_file()]
        return tuple([*files, *named, *([self.config.path] if self.config.path else [])])


def run(settings: RunSettings) -> Run:
    """Check what ``settings`` name: load the configuration file and the rules, check,
    and say the notes and problems on stderr. CommandError when nothing can be checked."""
    from linter.output import say
    from linter.settings import EXIT_CLEAN, CommandError
    from linter.textsafe import printable

    plan = settings.plan()
    if settings.stdin_file is not None:
        _copy_stdin(settings.stdin_file, plan.options.max_file_size)
    named = settings.named()

    def recheck(paths: list[Path]) -> CheckResult:
        return check(
            paths,
            plan.rules,
            plan.selection,
            plan.options,
            plan.config.formats or None,
            role_map=plan.role_map,
            jobs=settings.jobs,
            named=named,
        )

    paths = list(settings.paths)
    result = recheck(paths)
    if plan.config.path is not None:
        from linter.output import shown

        result.configuration = {"file": shown(plan.config.path), "disabled_rules": plan.disabled}

    def said(message: str) -> str:
        for staged, name in settings.aliases.items():
            message = message.replace(staged, name)
        return printable(message)

    for note in [] if settings.quiet else result.notes:
        say(f"mtalint: {said(note)}")
    for problem in result.problems:
        say(f"mtalint: {said(problem)}")
    if not result.files:
        if not result.problems and all(_generic_script(p) for p in paths):
            # pre-commit named only autoconf's "configure" (a name Exim uses too)
            raise CommandError("nothing to check", EXIT_CLEAN)
        raise CommandError("no configuration files found in " + ", ".join(str(p) for p in paths))
    return Run(result, plan.rules, plan.config, paths, recheck)


def check_and_report(settings: CheckSettings) -> int:
    """``mtalint check``: check, record the findings (--write-baseline) or fix them
    (--fix, --diff), set the known ones aside (--baseline, --diff-base), and write the
    report; the exit status (0 clean, 1 findings at or above --fail-on, 2 a problem
    with an input)."""
    import tempfile

    from linter.engine.rules import SEVERITY_RANK
    from linter.output import colour_wanted, emit, say
    from linter.report import render_check
    from linter.report.paths import project_root, root_relative
    from linter.settings import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, MAX_FILE_SIZE_CAP

    root, here = project_root(settings.project_root), os.getcwd()
    with tempfile.TemporaryDirectory(prefix="mtalint-stdin-") as staging:
        run_settings = settings.staged(Path(staging))
        checked = run(run_settings)
    result, known, out = checked.result, settings.known, settings.output
    protected = checked.protected() + ((known.baseline,) if known.baseline else ())
    # machine formats and baselines: paths relative to the project root, wherever the
    # command runs; text keeps the paths as shown (relative to the current folder)
    as_shown: dict[str, str] = {}

    def to_root(display: str) -> str:
        named_as = run_settings.aliases.get(display, display)
        path = root_relative(named_as, str(root), here)
        as_shown[path] = named_as
        return path

    result.relocate(to_root)
    result.project_root = str(root)
    if known.write_baseline is not None:
        from linter.baseline import write_baseline  # git and tar only when a baseline is used

        write_baseline(result, known.write_baseline, protected)
        stop_on_internal_errors(result)
        return EXIT_CLEAN
    if settings.fix or settings.show_diff:
        from linter.fix import run as run_fixes

        result, changed = run_fixes(
            result, checked.recheck, checked.paths, settings.show_diff, MAX_FILE_SIZE_CAP, say
        )
        if settings.show_diff:
            stop_on_internal_errors(result)
            return EXIT_FINDINGS if changed else EXIT_CLEAN
    if known.baseline is not None or known.diff_base is not None:
        from linter.baseline import filter_known, recheck_at_root

        recheck = recheck_at_root(checked.recheck, root, here)
        result = filter_known(
            result,
            known.baseline,
            known.diff_base,
            checked.paths,
            recheck,
            root,
            known.show_stale,
            out.quiet,
        )
    fail_level = out.fail_on or checked.config.fail_on or "warning"
    failing = any(SEVERITY_RANK[f.severity] >= SEVERITY_RANK[fail_level] for f in result.findings)
    colour = colour_wanted(out.color, out.output is not None)
    text = render_check(result, checked.rules, out, colour, fail_level, as_shown)
    emit(text, out.output, colour, protected)
    stop_on_internal_errors(result)
    if result.problems and not out.exit_zero:
        return EXIT_USAGE
    return EXIT_FINDINGS if failing and not out.exit_zero else EXIT_CLEAN


def stop_on_internal_errors(result: CheckResult) -> None:
    """After the report: an internal error means findings may be missing (exit 3)."""
    if not result.internal_errors:
        return
    from linter.output import say
    from linter.settings import EXIT_INTERNAL, CommandError

    for message in result.internal_errors:
        say(f"mtalint: {message}")
    raise CommandError(
        "the sets above were not checked; this is a bug in mtalint, please report it",
        EXIT_INTERNAL,
    )


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
    from linter.discover import generic_name

    return generic_name(path.name) is not None and path.is_file()
