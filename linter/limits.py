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
    # Next hops of main.cf's in-line relay/transport tables judged as outbound routes
    # (inline:{...} tables are written by hand: a handful of entries).
    postfix_routes: int = 200
    # Physical lines an Exim configuration may read, an included file counted each time
    # it is read. Exim has no bound (four files including the next 50 times read 125,000
    # files); Debian's split configuration is about 3,000 lines.
    exim_lines_read: int = 100_000
    # Files an Exim configuration may read by .include, a file counted each time it is
    # read (Exim has no bound; Debian's split configuration includes about 60).
    exim_includes: int = 5_000
    # Characters one Exim configuration line may hold after macro substitution (Exim has
    # no bound); real lines are at most a few kilobytes.
    exim_macro_line_size: int = 1_000_000
    # Characters Exim macro substitution may scan and produce over the configuration:
    # Exim's algorithm rescans each line once per macro, so this bounds its time.
    exim_macro_work: int = 200_000_000
    # sendmail .mc: characters of text the m4 interpreter may produce (output and macro
    # arguments together). GNU m4 has no bound; with cf.m4 the 44 real and upstream .mc
    # files tried produce at most 101,305, so 64 Mi leaves a margin of 600 and stops a
    # one-line `patsubst' or a doubling definition before it fills the memory.
    m4_output_size: int = 64 * 1024 * 1024
    # sendmail .mc: the widest field one m4 call may pad to (format's width and
    # precision, eval's width, eval's radix-1 digits). GNU m4 takes any C int (2 Gi);
    # real files pad to a few columns.
    m4_field_width: int = 1_000_000
    # sendmail .mc: milliseconds all regexp/patsubst of one file may take. Patterns run
    # in linear time (RE2) except back-references; real files use no regexp at all.
    m4_regex_ms: int = 5_000

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

# More digits than any 64-bit number has (leading zeros aside). Python's int() refuses
# text of over 4,300 digits (ValueError), so numbers from a file are length-checked first.
MAX_DIGITS = 20
# What an over-long number reads as where the MTA saturates (strtol() gives LONG_MAX):
# larger than every bound it is checked against.
HUGE = 2**64


def decimal(text: str) -> int | None:
    """``text`` as a whole number when it is ASCII decimal digits only and at most
    :data:`MAX_DIGITS` long (leading zeros aside); else None."""
    if not text or not text.isascii() or not text.isdigit():
        return None
    digits = text.lstrip("0")
    if len(digits) > MAX_DIGITS:
        return None
    return int(digits or "0")


def saturated(digits: str, base: int = 10) -> int:
    """Digits already checked to be valid in ``base``, read with C strtol()'s saturation:
    a number too long to be meaningful reads as :data:`HUGE`."""
    significant = digits.lstrip("0")
    if len(significant) > MAX_DIGITS * (4 if base == 8 else 1):
        return HUGE
    return min(int(significant or "0", base), HUGE)
