"""The whole pipeline for ``mtalint check``: discover → analyse → rules → suppressions."""

from __future__ import annotations

import contextlib
import fnmatch
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from linter.discover import ConfigSet, discover
from linter.engine.rules import Rule
from linter.engine.runner import Selection, run_rules
from linter.findings import Finding, Suppression, parse_suppression
from linter.mta import Analysis, Options, analyser
from linter.source import Span

# Findings the core emits itself (documented as rules with ``builtin: true``).
INTERNAL_ERROR = "MTL001"
UNUSED_SUPPRESSION = "MTL002"
SUPPRESSION_WITHOUT_REASON = "MTL003"
EXPIRED_SUPPRESSION = "MTL004"


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


def analyse_set(config_set: ConfigSet, options: Options) -> Analysis:
    from linter.providers import put_facts

    analysis = analyser(config_set.mta)(config_set, options)
    put_facts(analysis.facts)  # posture.outbound.provider, the same for every MTA
    return analysis


def _builtin(rules: list[Rule], rule_id: str) -> Rule | None:
    return next((r for r in rules if r.id == rule_id), None)


def _meta_finding(
    rules: list[Rule], selection: Selection, rule_id: str, message: str, span: Span, key: str
) -> Finding | None:
    rule = _builtin(rules, rule_id)
    if rule is None or not selection.wants(rule):
        return None
    return Finding(
        rule=rule.id,
        severity=selection.severity_of(rule),
        message=message,
        span=span,
        tags=list(rule.tags),
        fix=rule.fix_for("any"),
        title=rule.title,
        key=key,
    )


def apply_suppressions(
    findings: list[Finding],
    suppressions: list[Suppression],
    rules: list[Rule],
    selection: Selection,
    today: date,
) -> tuple[list[Finding], list[Finding]]:
    """The findings kept, and those suppressed (each with its ``suppression`` record)."""
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    for f in findings:
        active = [s for s in suppressions if s.covers(f) and not (s.until and s.until < today)]
        if active:
            for s in active:
                s.used = True
            f.suppression = active[0].record()
            suppressed.append(f)
        else:
            kept.append(f)
    for s in suppressions:
        span = s.span()
        meta: list[tuple[str, str]] = []
        if s.until and s.until < today:
            meta.append(
                (
                    EXPIRED_SUPPRESSION,
                    f"suppression of {', '.join(s.targets)} expired on {s.until.isoformat()}",
                )
            )
        elif not s.used:
            meta.append(
                (
                    UNUSED_SUPPRESSION,
                    f"unused suppression: no finding of {', '.join(s.targets)} here",
                )
            )
        if not s.reason:
            meta.append(
                (
                    SUPPRESSION_WITHOUT_REASON,
                    f"suppression of {', '.join(s.targets)} gives no reason",
                )
            )
        if s.bad_until:
            meta.append(
                (SUPPRESSION_WITHOUT_REASON, f"invalid date until={s.bad_until} (use YYYY-MM-DD)")
            )
        for rule_id, message in meta:
            finding = _meta_finding(
                rules, selection, rule_id, message, span, f"suppression:{','.join(s.targets)}"
            )
            if finding is not None:
                kept.append(finding)
    return kept, suppressed


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
        from linter.dns.resolver import Resolver, ResolverSettings

        address, port = ("", 53)
        if options.online.resolver:
            from linter.dns import parse_resolver

            address, port = parse_resolver(options.online.resolver)
        resolver = Resolver(ResolverSettings(address, port, budget=options.online.budget))
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
    finding = _meta_finding(
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
    resolver: Any = None,
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
        from linter.dns.checks import dns_facts

        posture = analysis.facts.get("posture") or {}
        analysis.facts.set("dns", dns_facts(posture, options.online, resolver))
    roles = list(analysis.facts.get("roles") or [])
    usable = rules
    if any(d.kind == "input-error" for d in analysis.diagnostics):
        # a file of the set could not be read: judging the rest as if it were empty
        # would only produce findings about defaults, so report the file alone
        usable = [r for r in rules if r.for_each == "diagnostics"]
    findings = run_rules(analysis.mta, analysis.facts, usable, selection, roles)
    if any(d.kind in NOT_READ_KINDS for d in analysis.diagnostics):
        findings = _drop_claims_about_defaults(findings, usable)
    suppressions = [
        s for c in analysis.comments if (s := parse_suppression(c.path, c.line, c.text)) is not None
    ]
    kept, suppressed = apply_suppressions(findings, suppressions, rules, selection, today)
    return SetResult(files, kept, len(suppressed), analysis, suppressed)


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
