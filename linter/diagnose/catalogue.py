"""The catalogue of delivery-failure causes: YAML files in ``catalogue/``, one cause each.

An entry names the cause, says what it means, lists the ``match`` patterns that recognise
it in a log line's reason or a bounce's diagnostic (RE2: linear time whatever the text),
the configuration ``settings`` behind it per MTA, the ``rules`` that already flag it, the
``fix`` per MTA (:data:`FIX_KEYS`: one text per MTA whose fix differs, ``any`` for a fix
that is the same everywhere), and carries ``tests:`` of real lines that must and must not
be classified as it.

Entries are tried in ``order`` (lower first, then by id): a specific cause (a DNSBL
named in a 554 reply) must win over a general one (any 5.7.1 refusal).

:class:`Classifier` gives the same answer as :func:`classify` in one pass over the text:
every pattern of the catalogue is in one RE2 set, and only the winning pattern is run
again for its named groups. Trying each pattern in turn cost about 25 searches per
failure line and was most of the time of a large log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import re2

from linter.diagnose.events import INBOUND, LOCAL, OUTBOUND
from linter.yamlsafe import load_yaml

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
KINDS = (OUTBOUND, INBOUND, LOCAL)
REQUIRED = ("id", "title", "meaning", "match", "tests")
MAX_DETAIL = 200  # characters of a captured value kept (a list name, a host)
# the MTAs whose logs are read; a fix is written for one of them, or for "any"
FIX_MTAS = ("postfix", "exim", "sendmail", "hmailserver")
FIX_KEYS = ("any", *FIX_MTAS)


class CatalogueError(Exception):
    pass


@dataclass
class Cause:
    id: str
    title: str
    meaning: str
    patterns: list[Any]  # compiled RE2
    sources: list[str]  # the patterns as written
    events: tuple[str, ...] = (OUTBOUND,)
    order: int = 50
    settings: dict[str, list[str]] = field(default_factory=dict)
    rules: list[str] = field(default_factory=list)
    fix: dict[str, str] = field(default_factory=dict)
    group_by: list[str] = field(default_factory=list)  # named groups that split incidents
    tests: list[dict[str, Any]] = field(default_factory=list)
    path: str = ""

    def fixes_for(self, mtas: set[str]) -> dict[str, str]:
        """The fix texts to show for an incident seen in the logs of MTAS (or joined with
        their configuration): each MTA's own text, else the text for any MTA. With no MTA
        known (a bounce comes from some other server) every text is shown, each named."""
        known = sorted(m for m in mtas if m in FIX_MTAS)
        if not known:
            return dict(self.fix)
        shown: dict[str, str] = {}
        for mta in known:
            if mta in self.fix:
                shown[mta] = self.fix[mta]
            elif "any" in self.fix:
                shown["any"] = self.fix["any"]
        return shown

    def match(self, text: str) -> dict[str, str] | None:
        """The named groups of the first pattern that matches TEXT, or None."""
        for pattern in self.patterns:
            m = pattern.search(text)
            if m:
                return {k: v[:MAX_DETAIL] for k, v in m.groupdict().items() if v}
        return None


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False
    return options


def _compile(pattern: str, where: str) -> Any:
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        raise CatalogueError(f"{where}: pattern {pattern!r} is not RE2: {exc}") from None


def _strings(value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise CatalogueError(f"{where}: expected a string or a list of strings")


def load_entry(path: Path) -> Cause:
    data = load_yaml(path.read_text(encoding="utf-8"))
    where = str(path)
    if not isinstance(data, dict):
        raise CatalogueError(f"{where}: not a mapping")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise CatalogueError(f"{where}: missing {', '.join(missing)}")
    sources = _strings(data["match"], f"{where}: match")
    events = tuple(_strings(data.get("events", [OUTBOUND]), f"{where}: events"))
    if not set(events) <= set(KINDS):
        raise CatalogueError(f"{where}: events must be among {', '.join(KINDS)}")
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        raise CatalogueError(f"{where}: settings must map an MTA to setting names")
    fix = data.get("fix") or {}
    if isinstance(fix, str):
        fix = {"any": fix}
    if not isinstance(fix, dict) or not all(isinstance(v, str) for v in fix.values()):
        raise CatalogueError(f"{where}: fix must map an MTA to a text")
    unknown = sorted(str(k) for k in fix if k not in FIX_KEYS)
    if unknown:
        raise CatalogueError(
            f"{where}: fix for {', '.join(unknown)}: an MTA among {', '.join(FIX_KEYS)}"
        )
    return Cause(
        id=str(data["id"]),
        title=str(data["title"]),
        meaning=" ".join(str(data["meaning"]).split()),
        patterns=[_compile(p, where) for p in sources],
        sources=sources,
        events=events,
        order=int(data.get("order", 50)),
        settings={str(k): _strings(v, f"{where}: settings.{k}") for k, v in settings.items()},
        rules=_strings(data.get("rules", []), f"{where}: rules"),
        fix={str(k): " ".join(str(v).split()) for k, v in fix.items()},
        group_by=_strings(data.get("group_by", []), f"{where}: group_by"),
        tests=list(data["tests"]),
        path=where,
    )


def catalogue_files(folder: Path = CATALOGUE_DIR) -> list[Path]:
    return sorted(folder.glob("*.yaml"))


@cache
def load_catalogue(folder: Path = CATALOGUE_DIR) -> tuple[Cause, ...]:
    causes = [load_entry(p) for p in catalogue_files(folder)]
    seen: dict[str, str] = {}
    for cause in causes:
        if cause.id in seen:
            raise CatalogueError(f"cause {cause.id} in {cause.path} and {seen[cause.id]}")
        seen[cause.id] = cause.path
    return tuple(sorted(causes, key=lambda c: (c.order, c.id)))


def classify(
    text: str, kind: str, causes: tuple[Cause, ...]
) -> tuple[Cause, dict[str, str]] | None:
    """The first cause whose patterns match TEXT for an event of KIND (the reference
    :class:`Classifier` must agree with; one search per pattern)."""
    for cause in causes:
        if kind in cause.events:
            groups = cause.match(text)
            if groups is not None:
                return cause, groups
    return None


CACHE_SIZE = 2048  # distinct failure texts remembered (a deferred message repeats its reason)
CACHE_TEXT = 1024  # characters: longer texts are classified but not remembered


class Classifier:
    """:func:`classify` for many texts: one RE2 set search for all patterns, and a bounded
    cache of recent answers."""

    def __init__(self, causes: tuple[Cause, ...]) -> None:
        self._set = re2.Set.SearchSet(_options())
        # the set answers pattern numbers; this maps each to its cause and pattern, in the
        # order classify() tries them, so the lowest number that applies wins
        self._entries: list[tuple[Cause, Any]] = []
        for cause in causes:
            for pattern, source in zip(cause.patterns, cause.sources, strict=True):
                if self._set.Add(source) != len(self._entries):
                    raise CatalogueError(f"{cause.path}: pattern {source!r} not added")
                self._entries.append((cause, pattern))
        self._set.Compile()
        self._cache: dict[tuple[str, str], tuple[Cause, dict[str, str]] | None] = {}

    def classify(self, text: str, kind: str) -> tuple[Cause, dict[str, str]] | None:
        key = (text, kind)
        if key in self._cache:
            found = self._cache[key]
            return None if found is None else (found[0], dict(found[1]))
        found = self._classify(text, kind)
        if len(text) <= CACHE_TEXT:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()  # cheaper than LRU upkeep; reasons come in runs
            self._cache[key] = found
        return None if found is None else (found[0], dict(found[1]))

    def _classify(self, text: str, kind: str) -> tuple[Cause, dict[str, str]] | None:
        hits = self._set.Match(text)
        if not hits:
            return None
        for index in sorted(hits):
            cause, pattern = self._entries[index]
            if kind not in cause.events:
                continue
            m = pattern.search(text)
            if m:  # always, as the set said so; checked all the same
                return cause, {k: v[:MAX_DETAIL] for k, v in m.groupdict().items() if v}
        return None
