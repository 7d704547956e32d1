"""The MTA registry (linter/mta/registry.py): one package per MTA, named in one list.

Adding an MTA must mean adding ``linter/mta/<name>/`` and its name to ``PACKAGES``: no
other module may name an MTA, except the few allow-listed below for a stated reason.
"""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from linter.mta.registry import PACKAGES, file_formats, formats, names, registry
from tests.paths import ROOT

LINTER = ROOT / "linter"

# Modules outside linter/mta/<name>/ that still name an MTA in code (identifiers and
# string literals; comments and docstrings are prose and may), and why.
ALLOWED = {
    "linter/mta/registry.py": "PACKAGES, the one list of MTA packages",
    "linter/explain.py": (
        "explain lists the Domino items no public source establishes (an MtaSpec hook "
        "for such notes would remove it)"
    ),
    "linter/docs.py": "a rule test case's postfix_version (rules/schema.json), shown as a flag",
    "linter/limits.py": "the limits are one flat namespace users set (exim_includes, ...)",
}
# folders whose every module may name an MTA, and why
ALLOWED_FOLDERS = {
    "linter/diagnose/": (
        "diagnose reads each MTA's logs (a log format is no configuration format; its "
        "readers could join the registry later)"
    ),
}


def _allowed(rel: str) -> bool:
    return rel in ALLOWED or any(rel.startswith(folder) for folder in ALLOWED_FOLDERS)


def _mentions(path: Path, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """Identifiers and string literals (not docstrings, not comments) matching ``pattern``."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline))
    found = []
    previous = None
    statement_start = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL)
    for token in tokens:
        docstring = token.type == tokenize.STRING and (
            previous is None or previous.type in statement_start
        )
        named = token.type in (tokenize.NAME, tokenize.STRING) and not docstring
        if named and pattern.search(token.string):
            found.append((token.start[0], token.string))
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token
    return found


def _outside_packages() -> list[Path]:
    return sorted(
        p
        for p in LINTER.rglob("*.py")
        if not (p.relative_to(LINTER).parts[0] == "mta" and len(p.relative_to(LINTER).parts) > 2)
    )


def test_no_module_outside_its_package_names_an_mta() -> None:
    pattern = re.compile("|".join(names()), re.IGNORECASE)
    offenders = {}
    for path in _outside_packages():
        rel = path.relative_to(ROOT).as_posix()
        hits = _mentions(path, pattern)
        if hits and not _allowed(rel):
            offenders[rel] = hits[:5]
    assert offenders == {}, "move this MTA knowledge into linter/mta/<name>/ (or allow-list it)"


def test_the_allow_list_is_not_stale() -> None:
    pattern = re.compile("|".join(names()), re.IGNORECASE)
    stale = [rel for rel in ALLOWED if not _mentions(ROOT / rel, pattern)]
    stale += [
        folder
        for folder in ALLOWED_FOLDERS
        if not any(_mentions(p, pattern) for p in (ROOT / folder).rglob("*.py"))
    ]
    assert stale == []


def test_every_package_is_registered_under_its_own_name() -> None:
    assert [s.name for s in registry()] == list(PACKAGES)
    on_disk = sorted(p.name for p in (LINTER / "mta").iterdir() if (p / "__init__.py").is_file())
    assert on_disk == sorted(PACKAGES)


def test_formats_belong_to_one_mta() -> None:
    seen: list[str] = []
    for spec in registry():
        seen.extend(spec.formats)
        assert set(spec.file_names.values()) <= set(spec.formats)
        assert spec.standalone <= set(spec.formats)
        assert spec.folder_formats <= set(spec.formats)
        assert spec.option_format in ("", *spec.formats)
    assert len(seen) == len(set(seen)) == len(formats())
    assert "exim-split" in formats() and "exim-split" not in file_formats()


def test_rule_schema_names_the_registered_mtas() -> None:
    from linter.engine.rules import schema, validate

    assert schema()["$defs"]["mta"]["enum"] == ["any", *PACKAGES]
    rule = {
        "id": "XX001",
        "title": "a rule for no MTA",
        "severity": "note",
        "applies_to": ["qmail"],
        "tags": [],
        "message": "message",
        "rationale": "twenty characters or more",
        "fix": {"qmail": "do something"},
        "references": [{"type": "other", "id": "x"}],
    }
    errors = validate(rule, "XX001.yaml")
    assert any("applies_to/0" in e for e in errors)
    assert any("'qmail' is not one of" in e and "fix" in e for e in errors)
    fixed = validate({**rule, "applies_to": ["exim"], "fix": {"exim": "do it"}}, "x")
    assert not any("qmail" in e or "applies_to" in e or "fix" in e for e in fixed), fixed


def test_every_builtin_rule_applies_to_registered_mtas() -> None:
    from linter.engine.rules import builtin_rules

    known = {"any", *names()}
    for rule in builtin_rules():
        assert set(rule.applies_to) <= known, rule.id
        assert set(rule.fix) <= known, rule.id


def test_docs_index_has_a_family_per_mta() -> None:
    from linter.docs import FAMILIES

    prefixes = [prefix for prefix, _, _ in FAMILIES]
    assert prefixes[: len(PACKAGES)] == [s.rule_prefix for s in registry()]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--postfix-version", "3.x", "invalid Postfix version '3.x'"),
        ("--define", "lower=1", "invalid --define 'lower=1'"),
    ],
)
def test_cli_flags_are_parsed_by_their_mta(flag: str, value: str, message: str) -> None:
    from linter.mta.registry import cli_flags

    parse = next(f.parse for f in cli_flags() if f.flag == flag)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse((value,) if flag == "--define" else value)


def test_cli_flags_keep_working(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from linter.cli import main

    (tmp_path / "exim.conf").write_text("primary_hostname = MYHOST\n")
    runner = CliRunner()
    good = runner.invoke(
        main,
        ["parse", "--define", "MYHOST=mail.example", "--postfix-version", "3.9", str(tmp_path)],
    )
    assert good.exit_code == 0, good.output
    assert "mail.example" in good.output
    bad = runner.invoke(main, ["check", "--no-config", "--define", "x", str(tmp_path)])
    assert bad.exit_code == 2
    assert "invalid --define 'x'" in bad.output
    bad = runner.invoke(main, ["check", "--no-config", "--postfix-version", "x", str(tmp_path)])
    assert bad.exit_code == 2
    assert "invalid Postfix version 'x'" in bad.output


def test_one_default_postfix_version() -> None:
    from linter.mta import Options
    from linter.mta.postfix.detect import version_in
    from linter.mta.postfix.params import DEFAULT_VERSION
    from linter.mta.registry import cli_flags

    assert version_in(Options()) == DEFAULT_VERSION
    flag = next(f for f in cli_flags() if f.flag == "--postfix-version")
    assert flag.parse(None) == DEFAULT_VERSION
    # the help states it without importing the parameter tables at start-up
    assert f"[default: {'.'.join(map(str, DEFAULT_VERSION))}]" in flag.help
