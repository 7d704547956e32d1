"""What the MTA packages share lives outside them (linter/mta/text.py, jsontext.py,
assemble.py, linter/posture.py): no package imports another's."""

from __future__ import annotations

import ast
from pathlib import Path

from linter.mta.registry import PACKAGES

MTA = Path(__file__).resolve().parents[2] / "linter" / "mta"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_no_mta_package_imports_another() -> None:
    borrowed = []
    for name in PACKAGES:
        for path in sorted((MTA / name).rglob("*.py")):
            for line, module in _imports(path):
                parts = module.split(".")
                other = parts[2] if parts[:2] == ["linter", "mta"] and len(parts) > 2 else None
                if other in PACKAGES and other != name:
                    borrowed.append(f"{path.relative_to(MTA)}:{line}: {module}")
    assert borrowed == [], "move what is shared into linter/mta/ (text.py, jsontext.py)"
