"""The DNS blocklists an Exim configuration queries (``dnslists`` in its ACLs)."""

from __future__ import annotations

from linter.blocklists import BlocklistUse, zone_of
from linter.mta.exim.model import EximModel


def blocklists(model: EximModel) -> list[BlocklistUse]:
    """Zones of every ``dnslists`` condition, in ACL order."""
    found: list[BlocklistUse] = []
    for acl in model.acls.values():
        for statement in acl.statements:
            for condition in statement.conditions:
                if condition.name != "dnslists" or not condition.value:
                    continue
                setting = f"dnslists in ACL {acl.name}"
                for item in _list_items(condition.value):
                    if "$" in item.split("/", 1)[0]:
                        continue  # a zone chosen by an expansion
                    found.append(BlocklistUse(zone_of(item), setting, condition.span))
    return found


def _list_items(value: str) -> list[str]:
    """Items of an Exim list: ``:`` separated (``::`` is a literal colon), or another
    separator chosen with a leading ``<X``."""
    text = value.strip()
    separator = ":"
    if text.startswith("<") and len(text) > 1 and not text[1].isspace():
        separator, text = text[1], text[2:]
    if separator == ":":
        parts = text.replace("::", "\x00").split(":")
        items = [p.replace("\x00", ":") for p in parts]
    else:
        items = text.split(separator)
    return [i.strip() for i in items if i.strip()]
