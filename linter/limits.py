"""Bounds on the work one input may cause, in one place.

Every limit here has a default that real configurations stay far below, can be changed
in ``.mtalint.yaml`` (``limits: {NAME: VALUE}``) or with ``--limit NAME=VALUE``, and, when
an input reaches it, is reported as a finding at the position that reached it (never a
hang, an unbounded allocation or an internal error). Where the MTA itself has a limit,
the default follows the MTA.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


class LimitError(ValueError):
    """A limit name or value given by the user is not valid."""


@dataclass(frozen=True)
class Limits:
    """The bounds in force for one run (all counts are positive integers)."""

    # Largest file read, in bytes (also --max-file-size)
    max_file_size: int = 10 * 1024 * 1024
    # Characters one Postfix $name expansion may produce (beyond its own text). Postfix
    # has no bound (postconf -x builds 10 MB values from a 300-byte main.cf); real values
    # are at most a few kilobytes, a long mynetworks tens of kilobytes.
    postfix_expansion_size: int = 1_000_000
    # Characters all $name expansions of one Postfix configuration may produce together,
    # which bounds both time (about a second) and memory (expansions are remembered).
    postfix_expansion_work: int = 50_000_000

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_overrides(self, overrides: dict[str, object]) -> Limits:
        """A copy with ``overrides`` applied; names and values are checked."""
        changes: dict[str, int] = {}
        known = self.names()
        for name, value in overrides.items():
            key = str(name).replace("-", "_")
            if key not in known:
                raise LimitError(f"unknown limit {name!r}; known: {', '.join(known)}")
            text = str(value).replace("_", "")
            if isinstance(value, bool) or not text.isdecimal() or len(text) > 18:
                raise LimitError(f"limit {name} must be a positive whole number, not {value!r}")
            number = int(text)
            if number < 1:
                raise LimitError(f"limit {name} must be at least 1")
            changes[key] = number
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
