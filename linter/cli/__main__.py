"""``python -m linter.cli``: the same as the ``mtalint`` command."""

from linter.cli import main

main()
