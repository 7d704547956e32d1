"""JSON: ``{"findings": [...], "files": [...]}``, stable keys and order."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from linter import __version__

if TYPE_CHECKING:
    from linter.check import CheckResult
    from linter.engine.rules import Rule


def render(result: CheckResult, rules: list[Rule], colour: bool = False) -> str:
    doc = {
        "version": __version__,
        "findings": [f.to_dict() for f in result.findings],
        "files": result.files,
        "summary": {
            s: sum(1 for f in result.findings if f.severity == s)
            for s in ("error", "warning", "note")
        },
        "suppressed": result.suppressed,
    }
    if result.stale_baseline is not None:
        doc["stale_baseline"] = result.stale_baseline
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
