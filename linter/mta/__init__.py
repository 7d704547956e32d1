"""One package per MTA (``linter/mta/<name>/``), listed in :mod:`.registry`.

This module holds what every MTA's analysis shares: the options of a run and the
:class:`Analysis` it returns. ``FORMATS`` (format name → MTA) is derived from the
registry on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linter.diagnostics import Diagnostic
    from linter.discover import ConfigSet
    from linter.dns import DnsOptions
    from linter.facts import Facts
    from linter.posture import Posture

from linter.limits import DEFAULT_LIMITS, Limits


@dataclass
class Options:
    """What a run asks of every MTA's analysis."""

    roles: list[str] | None = None  # overrides the inferred roles
    max_file_size: int = 10 * 1024 * 1024
    # each MTA's own options (its registry entry's CliFlag.field → the value the flag's
    # ``parse`` made): the MTA reads its own, and its default applies to one not here
    flags: dict[str, object] = field(default_factory=dict)
    # --online: DNS checks with these settings; None keeps mtalint off the network
    online: DnsOptions | None = None
    # bounds on the work one input may cause (linter/limits.py)
    limits: Limits = DEFAULT_LIMITS


@dataclass
class Comment:
    path: str
    line: int
    text: str


@dataclass
class Analysis:
    mta: str
    facts: Facts
    model: dict[str, Any]  # what ``mtalint parse`` prints
    diagnostics: list[Diagnostic] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    # the typed posture the facts' ``posture`` was flattened from (the DNS stage reads it)
    posture: Posture | None = None


def analyser(mta: str) -> Callable[[ConfigSet, Options], Analysis]:
    """The ``analyse`` of one MTA (its package is imported on first use)."""
    from linter.mta.registry import spec

    return spec(mta).analyse


def __getattr__(name: str) -> Any:
    if name == "FORMATS":
        from linter.mta.registry import formats

        return formats()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
