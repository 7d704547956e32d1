"""What HCL's public documentation establishes about the Domino items mtalint reads
(``data/reference.json``), for ``mtalint explain``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"


@cache
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
    return data


def concerns_domino(applies_to: list[str], fix: dict[str, str]) -> bool:
    """A rule that can judge a Domino server: Domino's own, or one with a Domino fix."""
    return "domino" in applies_to or "domino" in fix


def not_established() -> list[str]:
    """One line per item the public record does not establish (left out of verdicts)."""
    data = reference()
    lines = []
    for group in ("server_document", "configuration_settings", "smtp_inbound_site", "notes_ini"):
        for name, entry in data.get(group, {}).items():
            if not entry.get("established", False):
                searched = f" (searched: {entry['searched']})" if entry.get("searched") else ""
                lines.append(f"{name}: {entry['meaning']}{searched}")
    return lines
