"""Running the ``tests:`` a rule carries: snippets that must and must not trigger it.

The project's own test suite runs every built-in rule through this, and
``mtalint test-rules DIR`` (:func:`test_rules`) runs it for a user's rules. Each case is
checked by the whole pipeline, which the caller hands in (:func:`linter.check.check`):
the engine does not import the pipeline built on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from linter.engine.rules import Rule
from linter.engine.runner import Selection
from linter.findings import Finding
from linter.mta import Options


@dataclass
class CaseResult:
    """The outcome of one ``tests:`` case of a rule (``detail`` says why it failed)."""

    rule: str
    name: str
    expect: str
    passed: bool
    detail: str
    skipped: bool = False


# A DNS server for cases with a ``dns:`` block: (kind, zones) → a context manager that
# yields "IP:PORT". kind is "nsd" (authoritative for the zones), "silent" or "servfail".
DnsServer = Callable[[str, dict[str, str]], AbstractContextManager[str]]


class CheckOutcome(Protocol):
    """What a case needs of a check's result."""

    @property
    def findings(self) -> Sequence[Finding]: ...


# the whole pipeline: paths, all rules, the selection, the options → the findings
Check = Callable[[list[Path], list[Rule], Selection, Options], CheckOutcome]


def _safe_name(name: str) -> PurePosixPath:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or not p.parts:
        raise ValueError(f"test file name {name!r} must be a relative path inside the test folder")
    return p


def run_case(
    rule: Rule,
    case: dict[str, object],
    all_rules: list[Rule],
    index: int,
    check: Check,
    dns_server: DnsServer | None = None,
) -> CaseResult:
    """Run case ``index`` of ``rule``: check the case's files, written to a temporary
    folder, with only ``rule`` selected, and compare its findings with what the case
    expects."""
    name = str(case.get("name", f"case {index + 1}"))
    expect = str(case.get("expect", "trigger"))
    files = case.get("files")
    if not isinstance(files, dict) or not files:
        return CaseResult(rule.id, name, expect, False, "test case has no 'files'")
    dns = case.get("dns")
    server: AbstractContextManager[str | None] = nullcontext(None)
    if isinstance(dns, dict):
        if dns_server is None:
            return CaseResult(
                rule.id, name, expect, True, "needs a DNS server (the test suite runs it)", True
            )
        zones = dns.get("zones") or {}
        server = dns_server(
            str(dns.get("server", "nsd")), {str(k): str(v) for k, v in zones.items()}
        )
    with tempfile.TemporaryDirectory(prefix="mtalint-rule-") as tmp:
        root = Path(tmp)
        try:
            for fname, content in files.items():
                target = root / _safe_name(str(fname))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(str(content), encoding="utf-8")
        except ValueError as exc:
            return CaseResult(rule.id, name, expect, False, str(exc))
        roles = case.get("roles")
        options = Options(roles=list(roles) if isinstance(roles, list) else None)
        try:
            options.flags = case_flags(case)
        except ValueError as exc:
            return CaseResult(rule.id, name, expect, False, str(exc))
        with server as address:
            if isinstance(dns, dict) and address is not None:
                from linter.dns import DnsOptions

                options.online = DnsOptions(
                    resolver=address,
                    budget=float(dns.get("timeout", 5)),
                    public_ips=[str(a) for a in dns.get("public_ip") or []],
                    dkim_selectors=[str(a) for a in dns.get("dkim_selector") or []],
                    dnsbl_zones=[str(a) for a in dns.get("dnsbl") or []],
                )
            result = check([root], all_rules, Selection(select=[rule.id]), options)
    hits = [f for f in result.findings if f.rule == rule.id]
    others = [f for f in result.findings if f.rule != rule.id and f.rule.startswith("MTL001")]
    if others:
        return CaseResult(rule.id, name, expect, False, others[0].message)
    if expect == "trigger":
        count = case.get("count")
        if count is not None and len(hits) != count:
            return CaseResult(
                rule.id, name, expect, False, f"expected {count} findings, got {len(hits)}"
            )
        line = case.get("line")
        if line is not None and not any(f.span.line == line for f in hits):
            got = ", ".join(str(f.span.line) for f in hits) or "none"
            return CaseResult(
                rule.id, name, expect, False, f"expected a finding on line {line}, got lines {got}"
            )
        ok = bool(hits)
        return CaseResult(rule.id, name, expect, ok, "" if ok else "rule did not trigger")
    ok = not hits
    detail = (
        "" if ok else f"rule triggered: {hits[0].span.path}:{hits[0].span.line}: {hits[0].message}"
    )
    return CaseResult(rule.id, name, expect, ok, detail)


def case_flags(case: dict[str, object]) -> dict[str, object]:
    """The MTA options a case sets under a flag's field (``postfix_version: "3.9"``),
    parsed by the MTA that declares the flag; ValueError for a value it refuses."""
    from linter.mta.registry import cli_flags

    flags: dict[str, object] = {}
    for flag in cli_flags():
        value = case.get(flag.field)
        if value:
            given = tuple(map(str, value)) if isinstance(value, list) else str(value)
            flags[flag.field] = flag.parse(given)
    return flags


def run_rule_tests(
    rule: Rule, all_rules: list[Rule], check: Check, dns_server: DnsServer | None = None
) -> list[CaseResult]:
    """Every ``tests:`` case of ``rule``, in order."""
    return [
        run_case(rule, case, all_rules, i, check, dns_server) for i, case in enumerate(rule.tests)
    ]


def test_rules(folder: Path | None, verbose: bool, check: Check) -> int:
    """``mtalint test-rules``: run the tests of the built-in rules, or of the rules in
    ``folder`` with ``check``, printing each failure (each case with ``verbose``) and a
    summary line; the exit status (1 when a case failed)."""
    import click

    from linter.engine.rules import RuleError, builtin_rules, load_folder
    from linter.settings import EXIT_CLEAN, EXIT_FINDINGS, CommandError
    from linter.textsafe import printable

    try:
        chosen = (
            load_folder(folder, check_schema=True)
            if folder
            else list(builtin_rules(with_tests=True))
        )
    except RuleError as exc:
        raise CommandError(str(exc)) from None
    all_rules = list(builtin_rules()) + ([r for r in chosen] if folder else [])
    failed = 0
    total = 0
    skipped = 0
    for rule in chosen:
        if rule.builtin:
            continue
        if not rule.tests:
            click.echo(printable(f"FAIL {rule.id}: rule has no tests"))
            failed += 1
            continue
        for case in run_rule_tests(rule, all_rules, check):
            total += 1
            if case.skipped:
                skipped += 1
                if verbose:
                    click.echo(
                        printable(f"skip {case.rule} [{case.expect}] {case.name}: {case.detail}")
                    )
                continue
            if not case.passed:
                failed += 1
                click.echo(
                    printable(f"FAIL {case.rule} [{case.expect}] {case.name}: {case.detail}")
                )
            elif verbose:
                click.echo(printable(f"ok   {case.rule} [{case.expect}] {case.name}"))
    summary = f"{total - failed - skipped} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped (they need a DNS server; the test suite runs them)"
    click.echo(summary)
    return EXIT_FINDINGS if failed else EXIT_CLEAN
