"""linter/mta/postfix/defaults.py is exactly what scripts/gen_postfix_data.py writes from
the installed postconf (Debian 12's Postfix 3.7.11), so the table cannot drift by hand."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

pytestmark = pytest.mark.skipif(
    shutil.which("postconf") is None and not Path("/usr/sbin/postconf").exists(),
    reason="Postfix's postconf is not installed (Debian package: postfix)",
)


def test_generated_postfix_defaults_are_fresh() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_postfix_data.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_params_reads_the_generated_table() -> None:
    from linter.mta.postfix import defaults, params

    generated = set(defaults.BUILTIN_DEFAULTS)
    assert generated | params.HOST_DEPENDENT == set(params.BUILTIN_DEFAULTS)
    assert not generated & params.HOST_DEPENDENT
    for name, value in defaults.BUILTIN_DEFAULTS.items():
        assert params.BUILTIN_DEFAULTS[name] == value, name
