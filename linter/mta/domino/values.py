"""One value of a Domino setting, as written, with where it was written.

Domino's One-Touch Setup replaces ``{{ SERVERSETUP_... }}`` from the environment
(templating.md of HCL's domino-one-touch-setup), container and shell wrappers use
``${VAR}``, and OTS itself reads ``@Prompt:...`` and ``@File:...`` values at setup time
(HCL's OTS JSON example). None of these is the value Domino ends up with, so such a
value is *unknown*: it never decides a verdict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linter.source import Span

_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|\$\{[^}]*\}|^@(?:Prompt|File|Base64):", re.IGNORECASE)


# names whose values are secrets: never printed (``mtalint parse``, findings)
_SECRET_NAME = re.compile(r"pass|pwd|secret|token|credential", re.IGNORECASE)


def is_secret(name: str) -> bool:
    return _SECRET_NAME.search(name) is not None


def shown(value: Value) -> str:
    """The value for a message: a secret's value is never printed."""
    return "<hidden>" if is_secret(value.name) else repr(value.text)


def is_placeholder(text: str) -> bool:
    return _PLACEHOLDER.search(text) is not None


@dataclass
class Value:
    name: str  # as written
    raw: Any  # the JSON value or the INI text
    span: Span
    unknown: bool = False  # a placeholder, or given twice with different values
    origins: list[Span] = field(default_factory=list)  # every place it was written

    @property
    def text(self) -> str:
        """The value as Domino's text items hold it ("1", "CN=a/O=b"); a list joined
        with commas, a number as written."""
        raw = self.raw
        if isinstance(raw, list):
            return ",".join(str(v) for v in raw)
        if isinstance(raw, bool):
            return "1" if raw else "0"
        return "" if raw is None else str(raw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": "<hidden>" if is_secret(self.name) else self.raw,
            "unknown": self.unknown,
            "line": self.span.line,
        }


def make_value(name: str, raw: Any, span: Span) -> Value:
    texts = raw if isinstance(raw, list) else [raw]
    unknown = any(isinstance(t, str) and is_placeholder(t) for t in texts)
    return Value(name, raw, span, unknown, [span])
