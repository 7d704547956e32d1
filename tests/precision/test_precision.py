"""mtalint on every real-world configuration gives exactly the findings a person judged.

See README.md beside this file for the format of the expected-findings files.
"""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest
import yaml

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent.parent / "shared" / "corpus"
# the name each MTA reads a lone corpus file under
NAMES = {"postfix-main": "main.cf", "postfix-master": "master.cf", "exim": "exim.conf"}

ENTRIES = (
    sorted(
        f"{fmt.name}/{entry.name}"
        for fmt in CORPUS.iterdir()
        if fmt.is_dir()
        for entry in fmt.iterdir()
    )
    if CORPUS.is_dir()
    else []
)


def findings_of(entry: str, tmp_path: Path) -> list[tuple[str, str, int, str]]:
    """(rule, file name, line, severity) of each finding on the corpus entry, checked as
    the MTA would read it."""
    fmt = entry.split("/", 1)[0]
    source = CORPUS / entry
    target = tmp_path / "host"
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        target.mkdir()
        shutil.copy(source, target / NAMES.get(fmt, source.name))
    result = check([target], builtin_rules(), Selection(), Options())
    return [(f.rule, Path(f.span.path).name, f.span.line, f.severity) for f in result.findings]


def expected_of(entry: str) -> list[dict[str, object]] | None:
    path = HERE / f"{entry}.yaml"
    if not path.is_file():
        return None
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert doc.get("corpus") == entry, f"{path}: 'corpus' must be {entry!r}"
    return list(doc.get("findings") or [])


@pytest.mark.skipif(not ENTRIES, reason="../shared/corpus is not there")
@pytest.mark.parametrize("entry", ENTRIES)
def test_findings_are_the_judged_ones(entry: str, tmp_path: Path) -> None:
    expected = expected_of(entry)
    if expected is None:
        pytest.skip(f"no expected-findings file for {entry} yet")
    for item in expected:
        assert item.get("verdict") in (True, False), f"{entry}: {item}: verdict must be true/false"
        assert str(item.get("why", "")).strip(), f"{entry}: {item}: say why"
    want = collections.Counter(
        (str(i["rule"]), str(i["file"]), int(str(i["line"]))) for i in expected
    )
    found = findings_of(entry, tmp_path)
    got = collections.Counter((rule, file, line) for rule, file, line, _ in found)
    missing = sorted((want - got).elements())
    added = sorted((got - want).elements())
    assert not missing and not added, (
        f"{entry}: findings changed.\n  no longer given: {missing}\n  new: {added}\n"
        f"Judge each by reading the configuration and update tests/precision/{entry}.yaml"
    )
    # a false error is the worst finding there is: none may be left knowingly
    errors = {(rule, file, line) for rule, file, line, severity in found if severity == "error"}
    false_errors = [
        i
        for i in expected
        if i.get("verdict") is False
        and (str(i["rule"]), str(i["file"]), int(str(i["line"]))) in errors
    ]
    assert not false_errors, f"{entry}: findings judged false at severity error: {false_errors}"
