"""The facts document rules are judged against.

Facts are a JSON-like tree (``posture.listeners[0].tls``, ``postfix.param.relayhost``)
plus, for each fact that came from a line of configuration, its span. Some subtrees are
computed on demand by a resolver (every Postfix parameter's effective value, for one),
so a rule may name any parameter without the model evaluating all of them up front.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from linter.source import Span

Resolver = Callable[[str], tuple[Any, Span | None]]

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
MISSING = object()


@lru_cache(maxsize=4096)
def _split(path: str) -> tuple[str | int, ...]:
    return tuple(int(index) if index else name for name, index in _PART.findall(path))


def split_path(path: str) -> list[str | int]:
    """``a.b[2].c`` → ``["a", "b", 2, "c"]``."""
    return list(_split(path))


def join_path(parts: list[str | int]) -> str:
    """The inverse of :func:`split_path`."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


class Facts:
    """The facts document of one config set: the tree, the spans of its facts, and the
    resolvers that compute subtrees on demand."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = data if data is not None else {}
        self.spans: dict[str, Span] = {}
        self.resolvers: dict[str, Resolver] = {}
        self.default_span: Span | None = None

    def set(self, path: str, value: Any, span: Span | None = None) -> None:
        """Store ``value`` at ``path`` (creating the mappings above it) and its span."""
        parts = split_path(path)
        node: Any = self.data
        for p in parts[:-1]:
            node = node.setdefault(p, {}) if isinstance(node, dict) else node[p]
        node[parts[-1]] = value
        if span is not None:
            self.spans[path] = span

    def put(self, path: str, value: Any, span: Span | None) -> None:
        """Store a fact and where it came from together (None: from no line)."""
        self.set(path, value, span)

    def locate(self, path: str, span: Span) -> None:
        """Record where ``path`` came from, for a fact stored as part of a larger value."""
        self.spans[path] = span

    def add_resolver(self, prefix: str, resolver: Resolver) -> None:
        """``resolver(rest)`` answers every path under ``prefix.``."""
        self.resolvers[prefix] = resolver

    def _resolve(self, path: str) -> tuple[Any, Span | None] | None:
        # resolvers are keyed by the part of the path before the last dot
        prefix, dot, name = path.rpartition(".")
        if dot:
            resolver = self.resolvers.get(prefix)
            if resolver is not None:
                return resolver(name)
        return None

    def get(self, path: str) -> Any:
        """The fact at ``path``, from a resolver or the tree, or MISSING."""
        resolved = self._resolve(path)
        if resolved is not None:
            return resolved[0]
        return walk(self.data, _split(path))

    def located_span(self, path: str) -> Span | None:
        """Where ``path`` came from, or None when it came from no line of configuration.

        A computed fact (a parameter at its built-in default) has no place of its own;
        a fact in the document is located by it or its nearest ancestor with a span.
        """
        resolved = self._resolve(path)
        if resolved is not None:
            return resolved[1]
        span = self.span_of(path)
        return None if span is self.default_span else span

    def span_of(self, path: str) -> Span | None:
        """The span recorded for ``path`` or, failing that, for its nearest ancestor."""
        resolved = self._resolve(path)
        if resolved is not None and resolved[1] is not None:
            return resolved[1]
        parts = split_path(path)
        while parts:
            span = self.spans.get(join_path(parts))
            if span is not None:
                return span
            parts.pop()
        return self.default_span


def walk(node: Any, parts: tuple[str | int, ...]) -> Any:
    """The value at ``parts`` below ``node``, or MISSING."""
    for p in parts:
        if isinstance(p, int):
            if not isinstance(node, list) or p >= len(node):
                return MISSING
            node = node[p]
        elif isinstance(node, dict) and p in node:
            node = node[p]
        else:
            return MISSING
    return node
