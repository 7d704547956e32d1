"""One package per MTA; this module knows which formats belong to which MTA.

Each MTA package exposes ``analyse(config_set, options) -> Analysis``; it is imported
only when a run meets one of its files.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linter.diagnostics import Diagnostic
    from linter.discover import ConfigSet
    from linter.dns import DnsOptions
    from linter.facts import Facts

from linter.limits import DEFAULT_LIMITS, Limits

# format name → MTA
FORMATS: dict[str, str] = {
    "postfix-main": "postfix",
    "postfix-master": "postfix",
    "sendmail-mc": "sendmail",
    "exim": "exim",
    "exim-split": "exim",  # Debian's conf.d folder, read as update-exim4.conf joins it
    "hmailserver-ini": "hmailserver",
    "hmailserver-xml": "hmailserver",  # hMailServerBackup.xml
    "hmailserver-7z": "hmailserver",  # HMBackup*.7z holding hMailServerBackup.xml
    "hmailserver-json": "hmailserver",  # COM export (contrib/Export-hMailServerSettings.ps1)
    "exchange-json": "exchange",  # contrib/Export-ExchangeSettings.ps1
    "exchange-fl": "exchange",  # Get-ReceiveConnector | fl, Get-SendConnector | fl
    "notes-ini": "domino",  # HCL Domino notes.ini
    "domino-ots": "domino",  # Domino 12+ One-Touch Setup JSON
}


@dataclass
class Options:
    # the Postfix release whose defaults apply: Debian 12's, the one the data was read off
    postfix_version: tuple[int, int, int] = (3, 7, 11)
    roles: list[str] | None = None  # overrides the inferred roles
    max_file_size: int = 10 * 1024 * 1024
    # Exim macros given on the command line (exim -D NAME=VALUE): they override the file's
    exim_defines: dict[str, str] = field(default_factory=dict)
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


def analyser(mta: str) -> Callable[[ConfigSet, Options], Analysis]:
    module = importlib.import_module(f"linter.mta.{mta}")
    return module.analyse
