"""The ``mtalint`` command group: version, help and unknown commands."""

from __future__ import annotations

from tests.cli.common import mtalint


def test_version_and_help():
    from linter import __version__

    proc = mtalint("--version")
    assert proc.returncode == 0
    assert __version__ in proc.stdout
    for args in (["--help"], ["check", "--help"], ["parse", "-h"]):
        proc = mtalint(*args)
        assert proc.returncode == 0
        assert "Usage:" in proc.stdout


def test_unknown_command_exits_2():
    assert mtalint("lint", "examples/postfix").returncode == 2
