"""``python -m linter`` runs the ``mtalint`` command."""

from linter.cli import main

main()
