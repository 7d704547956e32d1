"""The settings a command builds from its arguments (linter/settings.py), and the
typed hand-offs of the check's pipeline that are not seen from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from linter.baseline import baseline_text, filter_known
from linter.check import CheckResult
from linter.findings import Finding
from linter.settings import (
    CheckSettings,
    CliParams,
    CommandError,
    OnlineSettings,
    RunSettings,
)
from linter.source import Span
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "postfix"


def test_run_settings_read_every_group_from_the_cli_parameters() -> None:
    params = CliParams(
        {
            "paths": (EXAMPLE,),
            "no_config": True,
            "select": ("pf010,PF011",),
            "roles": ("mx",),
            "postfix_version": "3.9",
            "exim_defines": ("FOO=1",),
            "limit_args": ("max_file_size=1000",),
            "online": True,
            "resolver": "192.0.2.53:5353",
            "dns_timeout": 2.5,
            "public_ips": ("192.0.2.10",),
            "jobs": 2,
        }
    )
    settings = RunSettings.from_cli(params)
    assert settings.paths == (EXAMPLE,)
    assert settings.no_config is True and settings.config_file is None
    assert settings.select == ("pf010,PF011",)
    assert settings.roles == ("mx",)
    assert settings.jobs == 2
    # each MTA's flag by its field, as given (its MTA parses it in plan())
    assert settings.flags == {"postfix_version": "3.9", "exim_defines": ("FOO=1",)}
    assert settings.online == OnlineSettings(
        enabled=True, resolver="192.0.2.53:5353", budget=2.5, public_ips=("192.0.2.10",)
    )
    # an option the command does not declare reads as its default (report: no --jobs)
    assert RunSettings.from_cli(CliParams({"paths": ()})).jobs == 1


def test_a_parameter_of_another_type_is_a_mistake_in_the_declarations() -> None:
    with pytest.raises(TypeError, match="option jobs"):
        CliParams({"jobs": "2"}).integer("jobs")


def test_plan_turns_the_settings_into_selection_and_options() -> None:
    plan = RunSettings(
        paths=(EXAMPLE,),
        no_config=True,
        select=("pf010",),
        flags={"postfix_version": "3.9", "exim_defines": ("FOO=1",)},
        limits=("max_file_size=1000",),
    ).plan()
    assert plan.selection.select == ["PF010"]  # an id in any case
    assert plan.options.flags == {"postfix_version": (3, 9, 0), "exim_defines": {"FOO": "1"}}
    assert plan.options.max_file_size == 1000 == plan.options.limits.max_file_size
    assert plan.options.online is None
    assert plan.disabled == []


def test_an_mta_option_comes_from_the_configuration_unless_given(tmp_path: Path) -> None:
    config = tmp_path / ".mtalint.yaml"
    config.write_text('postfix_version: "3.6"\n', encoding="utf-8")
    from_file = RunSettings(paths=(EXAMPLE,), config_file=config, quiet=True).plan()
    assert from_file.options.flags["postfix_version"] == (3, 6, 0)
    given = RunSettings(
        paths=(EXAMPLE,), config_file=config, quiet=True, flags={"postfix_version": "3.9"}
    ).plan()
    assert given.options.flags["postfix_version"] == (3, 9, 0)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (RunSettings(paths=(EXAMPLE,), no_config=True, select=("NOPE",)), "no rule id"),
        (
            RunSettings(paths=(EXAMPLE,), no_config=True, flags={"postfix_version": "x"}),
            "Postfix version",
        ),
        (RunSettings(paths=(EXAMPLE,), no_config=True, limits=("foo",)), "invalid --limit"),
        (
            RunSettings(paths=(EXAMPLE,), no_config=True, flags={"exim_defines": ("foo=1",)}),
            "invalid --define",
        ),
        (
            RunSettings(
                paths=(EXAMPLE,), no_config=True, online=OnlineSettings(resolver="192.0.2.1")
            ),
            "need --online",
        ),
        (
            RunSettings(
                paths=(EXAMPLE,), no_config=True, online=OnlineSettings(True, resolver="nope")
            ),
            "invalid --resolver",
        ),
    ],
)
def test_plan_refuses_what_cannot_be_used(settings: RunSettings, message: str) -> None:
    with pytest.raises(CommandError, match=message) as caught:
        settings.plan()
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"write_baseline": Path("b.json"), "baseline": Path("b.json")}, "--write-baseline"),
        ({"write_baseline": Path("b.json"), "fix": True}, "--fix"),
        ({"statistics": True, "fmt": "json"}, "--statistics"),
        ({"paths": (Path("-"),)}, "standard input"),
        ({"as_format": "postfix-main"}, "--as applies to files"),
    ],
)
def test_check_settings_refuse_options_that_do_not_go_together(
    extra: dict[str, object], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        CheckSettings.from_cli({"paths": (EXAMPLE,), **extra})


def test_standard_input_is_staged_under_the_name_given(tmp_path: Path) -> None:
    settings = CheckSettings.from_cli({"paths": (Path("-"),), "stdin_filename": "x/main.cf"})
    run = settings.staged(tmp_path)
    assert run.paths == (tmp_path / "main.cf",) and run.stdin_file == tmp_path / "main.cf"
    assert list(run.aliases.values()) == ["x/main.cf"]
    with pytest.raises(CommandError, match="names no file"):
        CheckSettings.from_cli({"paths": (Path("-"),), "stdin_filename": ".."}).staged(tmp_path)


def _finding(rule: str, line: int, key: str) -> Finding:
    return Finding(rule, "warning", f"{rule} here", Span("main.cf", line, 1), key=key)


def test_filter_known_returns_a_new_result_and_leaves_the_given_one(tmp_path: Path) -> None:
    known, new = _finding("PF010", 3, "a"), _finding("PF011", 5, "b")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(baseline_text([known]), encoding="utf-8")
    result = CheckResult(findings=[known, new], files=["main.cf"])

    def recheck(paths: list[Path]) -> CheckResult:
        raise AssertionError("a baseline alone checks nothing again")

    filtered = filter_known(result, baseline, None, [tmp_path], recheck, tmp_path)
    assert filtered is not result
    assert [f.rule for f in filtered.findings] == ["PF011"]
    [hidden] = filtered.suppressed_findings
    assert hidden.rule == "PF010" and hidden.suppression is not None
    assert hidden.suppression["kind"] == "external"
    assert filtered.stale_baseline == []
    # the result given is as it was: both findings, neither marked
    assert result.findings == [known, new] and result.suppressed_findings == []
    assert known.suppression is None and result.stale_baseline is None
