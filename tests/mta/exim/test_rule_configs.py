"""Every Exim configuration in a rule's tests is one the real Exim accepts (``exim4 -bV``).

A rule proven on a configuration Exim would refuse to start with proves nothing about a
real server. The exceptions are the cases of rules about rejected configurations, which
must be rejected by Exim as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.mta.exim.oracle_bh import bv_ok
from tests.mta.exim.oracle_bv import exim_missing
from tests.paths import ROOT

pytestmark = pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or "")

RULES = ROOT / "rules"
# rules whose trigger cases are configurations Exim refuses: MTA021 (what exim -bV
# rejects) and EX034 (an option Debian's exim4-daemon-light, the Exim run here, lacks)
REJECTION_RULES = {"MTA021", "EX034"}


def exim_cases() -> list[tuple[str, str, bool, str]]:
    cases = []
    for path in sorted(RULES.glob("*/*.yaml")):
        rule = yaml.safe_load(path.read_text())
        for test in rule.get("tests", []):
            text = (test.get("files") or {}).get("exim.conf")
            if text is None:
                continue
            rejected = rule["id"] in REJECTION_RULES and test["expect"] == "trigger"
            cases.append((rule["id"], test["name"], not rejected, text))
    return cases


CASES = exim_cases()


@pytest.mark.parametrize(
    ("rule", "name", "accepted", "text"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES]
)
def test_exim_verdict(rule: str, name: str, accepted: bool, text: str, tmp_path: Path) -> None:
    config = tmp_path / "exim.conf"
    config.write_text(text)
    assert bv_ok(config) == accepted, f"exim -bV {'rejects' if accepted else 'accepts'} it"


EXAMPLES = sorted((RULES.parent / "examples").glob("exim/*.conf")) + sorted(
    (RULES.parent / "tests" / "fixtures").glob("exim/**/*.conf")
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name + "/" + p.name)
def test_example_configs_are_accepted_by_exim(path: Path, tmp_path: Path) -> None:
    config = tmp_path / "exim.conf"
    config.write_text(path.read_text())
    assert bv_ok(config), f"exim -bV rejects {path}"


def test_there_are_exim_cases() -> None:
    assert len(CASES) >= 40
