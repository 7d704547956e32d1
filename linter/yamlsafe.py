"""Loading YAML a user wrote (custom rule files, ``.mtalint.yaml``) without letting aliases
expand it beyond its size.

A few hundred bytes of ``&a [*b, *b, ...]`` levels ("billion laughs") stand for gigabytes
once anything walks the data (schema validation, the JSON rule cache). PyYAML shares an
aliased node instead of copying it, so the node graph is as small as the text: it is
measured before any Python object is built, and refused when it uses many aliases, when
its expansion is large, or when an alias refers to itself.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 100  # references to an anchor (hand-written files use a handful)
MAX_EXPANDED = 1_000_000  # nodes plus scalar characters, counting each alias's expansion


class YamlLimitError(yaml.YAMLError):
    """Aliases that would expand the document beyond the limits."""


def _loader() -> type[yaml.SafeLoader]:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """``yaml.safe_load(text)``, refusing documents whose aliases expand too far."""
    loader = _loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check(root: yaml.Node) -> None:
    """Count alias uses and the expanded size in one pass over the graph: each node's size
    is computed once and reused, so this is linear in the text's size. Iterative, as
    nesting may be deep."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    aliases = 0
    # (node, children seen): a node is sized once all its children are
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if not expanded:
            if key in sizes:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise YamlLimitError(f"more than {MAX_ALIASES} YAML alias uses (*name)")
                continue
            if key in open_nodes:
                raise YamlLimitError("a YAML alias refers to a node that contains it")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
            continue
        total = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
        total += sum(sizes[id(child)] for child in _children(node))
        if total > MAX_EXPANDED and aliases:
            raise YamlLimitError(
                f"YAML aliases expand the document beyond {MAX_EXPANDED:,} nodes and characters"
            )
        open_nodes.discard(key)
        sizes[key] = total


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
