"""JSON: ``{"findings": [...], "files": [...]}``, stable keys and order.

Indented two spaces, with each finding on one line of its own: easy to read and to grep,
and written by the json module's C encoder (``indent`` would switch to its pure-Python
one, which takes longer than the whole check on a file with thousands of findings).
Values are exact, except that a file name that is not UTF-8 is written with escapes
(``bad\\xff``, see :mod:`linter.textsafe`): UTF-8 cannot carry it as it is.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from linter import __version__
from linter.textsafe import encodable_json

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
    if result.configuration is not None:
        doc["configuration"] = result.configuration
    return _dumps(doc)


def _dumps(doc: dict[str, Any]) -> str:
    members = []
    for key, value in doc.items():
        name = json.dumps(key)
        if key == "findings" and value:
            rows = ",\n".join("    " + json.dumps(f, ensure_ascii=False) for f in value)
            members.append(f"  {name}: [\n{rows}\n  ]")
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
            members.append(f"  {name}: {text}")
    return encodable_json("{\n" + ",\n".join(members) + "\n}\n")
