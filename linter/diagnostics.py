"""What a parser or model has to say about a file, before any rule judges it.

Diagnostics are facts (``kind`` names the fact); rules in ``rules/`` decide which of them
become findings and with what severity, so a user can select or ignore them like any rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from linter.source import Span


@dataclass(slots=True)
class Diagnostic:
    kind: str
    message: str
    span: Span
    fatal: bool = False  # the MTA itself refuses the file
    data: dict[str, Any] = field(default_factory=dict)

    def to_fact(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "fatal": self.fatal, **self.data}
