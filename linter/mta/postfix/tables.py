"""Postfix lookup tables kept in files: the source text postmap(1) builds them from.

``transport_maps = hash:/etc/postfix/transport`` names a table built by ``postmap`` from
the text file ``/etc/postfix/transport`` (``texthash:`` reads that text file directly).
When the checked folder holds that text file beside main.cf, its entries are read here
the way postmap(1) reads them, so the routes in it can be judged at their own lines.

The input format (postmap(1), INPUT FILE FORMAT), checked against postmap 3.7:

- a logical line starts with non-whitespace text; a line that starts with whitespace
  continues it (joined as written, without the line break); a continuation before the
  first logical line is dropped (postmap warns);
- empty and whitespace-only lines, and lines whose first non-whitespace character is
  ``#``, are skipped without ending the logical line they fall in;
- an entry is ``key whitespace value``; surrounding whitespace is stripped, ``#`` later
  in a line is part of the value, and a line with no value is skipped (postmap warns);
- a key ends at whitespace outside double quotes (quotes and backslash escapes stay in
  it; an unbalanced quote makes postmap ignore the line);
- keys are folded to lower case; of two entries with one key the first is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

# tables postmap builds from (or, for texthash, reads as) the text format above
FILE_TYPES = frozenset({"hash", "btree", "lmdb", "cdb", "dbm", "sdbm", "texthash"})
_BLANKS = " \t\r\n\f\v"


@dataclass(frozen=True)
class TableEntry:
    key: str
    value: str
    line: int  # the first line of the entry's logical line
    column: int  # where the value starts, on that first line (1 when on a continuation)


def split_spec(spec: str) -> tuple[str, str] | None:
    """(type, name) of a table spec such as ``hash:/etc/postfix/transport`` (a
    ``proxy:`` prefix left off), or None when it has no type."""
    kind, sep, name = spec.partition(":")
    if kind == "proxy":
        kind, sep, name = name.partition(":")
    if not sep or not kind or not name:
        return None
    return kind.lower(), name


def source_name(name: str, config_directory: str) -> str | None:
    """The path, relative to the folder of main.cf, of the text file a table built in
    ``config_directory`` comes from; None for a file elsewhere (not in the checked tree's
    image of the configuration directory) or a name that climbs out of it."""
    path = PurePosixPath(name)
    base = PurePosixPath(config_directory or "/etc/postfix")
    if not path.is_absolute() or not base.is_absolute():
        return None  # a relative name is relative to the daemon's working directory
    try:
        rel = path.relative_to(base)
    except ValueError:
        return None
    if not rel.parts or any(p in ("..", ".") for p in rel.parts):
        return None
    return str(rel)


def parse_table(text: str, limit: int) -> tuple[list[TableEntry], bool]:
    """The entries of a table's source text as postmap reads them (the first of each
    key), at most ``limit``; True as well when more entries were left out."""
    entries: list[TableEntry] = []
    seen: set[str] = set()
    over = False
    start = 0
    parts: list[str] = []

    def finish() -> bool:
        """Add the logical line collected so far; False once the limit is passed."""
        nonlocal over
        if not parts:
            return True
        first = len(parts[0])
        logical = "".join(parts).rstrip(_BLANKS)
        parts.clear()
        key, value, column = _split(logical, first)
        if not key or not value or key in seen:
            return True
        if len(entries) >= limit:
            over = True
            return False
        seen.add(key)
        entries.append(TableEntry(key, value, start, column))
        return True

    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(_BLANKS)
        if not stripped or stripped.startswith("#"):
            continue
        if line[0] in _BLANKS:
            if parts:
                parts.append(line)
            continue
        if not finish():
            return entries, over
        start = number
        parts.append(line)
    finish()
    return entries, over


def comment_lines(text: str) -> list[tuple[int, str]]:
    """(line number, text) of each line postmap skips as a comment: its first
    non-whitespace character is ``#`` (a ``#`` later in a line is part of the value)."""
    out = []
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.strip(_BLANKS)
        if stripped.startswith("#"):
            out.append((number, stripped))
    return out


def _split(logical: str, first: int) -> tuple[str, str, int]:
    """(lower-case key, value, column of the value on the first line, ``first``
    characters long); an empty key for a line postmap ignores. The key ends at the
    first whitespace outside double quotes; a backslash escapes the next character;
    quotes and backslashes stay in the key (postmap 3.2+)."""
    end = 0
    quoted = False
    while end < len(logical):
        c = logical[end]
        if c == "\\":
            end += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c in _BLANKS and not quoted:
            break
        end += 1
    if quoted:
        return "", "", 1  # "unbalanced '\"'": postmap ignores the line
    end = min(end, len(logical))
    key = logical[:end].lower()
    rest = logical[end:]
    value = rest.lstrip(_BLANKS)
    offset = end + len(rest) - len(value)
    column = offset + 1 if offset < first else 1
    return key, value, column
