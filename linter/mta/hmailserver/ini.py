"""``hMailServer.INI`` → entries with spans (``grammars/hmailserver_ini.lark``).

hMailServer reads its INI with Windows' GetPrivateProfileString: section and key
names are compared without case, blanks around names and values are dropped, one pair
of quotes around a value is dropped, and the first section and the first key of a name
are the ones found (a repeated section or key is never read). Lines Windows never
returns as a key (no ``=``, a key before any section) are reported, since whatever the
admin meant by them has no effect.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from linter.diagnostics import Diagnostic
from linter.grammar import parser, terminals
from linter.mta.hmailserver.model import IniEntry, IniFile
from linter.source import Span

if TYPE_CHECKING:
    from lark import Token


def _span(path: str, tok: Token, text: str | None = None) -> Span:
    """The span of ``tok``, narrowed to ``text`` (the token without surrounding blanks)."""
    raw = str(tok)
    line, column = tok.line or 1, tok.column or 1
    if text is None or not text:
        return Span(path, line, column, tok.end_line, tok.end_column)
    start = raw.find(text)
    return Span(path, line, column + start, line, column + start + len(text))


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


class _Token(str):
    """What parse_ini reads of a Lark token, for a line matched without the parser."""

    type: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def at(cls, kind: str, text: str, line: int, start: int) -> _Token:
        token = cls(text)
        token.type, token.line, token.column = kind, line, start + 1
        token.end_line, token.end_column = line, start + len(text) + 1
        return token


# (rule, tokens) of each item of the file, as the grammar's tree has them
_Items = list[tuple[str, list["Token"]]]


@cache
def _line_shapes() -> tuple[re.Pattern[str], ...]:
    """The grammar's common lines as regular expressions of its own terminals: a blank
    line, a comment, a closed [section] header, a Key=Value entry. Blanks are taken
    whole (atomic groups), as the lexer skips them before the next token.
    tests/mta/hmailserver/test_hmailserver.py checks these against the parser."""
    t = terminals("hmailserver_ini")
    blanks = f"(?>{t['__IGNORE_0']})?"
    return (
        re.compile(blanks),
        re.compile(f"{blanks}(?P<COMMENT>{t['COMMENT']})"),
        re.compile(
            f"{blanks}(?P<LSQB>{t['LSQB']}){blanks}(?P<SECTION>{t['SECTION']})?"
            f"(?P<RSQB>{t['RSQB']}){blanks}"
        ),
        re.compile(
            f"{blanks}(?P<KEY>{t['KEY']})(?P<EQUALS>{t['EQUALS']}){blanks}(?P<VALUE>{t['VALUE']})?"
        ),
    )


def _items_by_line(text: str) -> _Items | None:
    """The items of ``text`` when every line has one of the common shapes, else None."""
    blank, comment, section, entry = _line_shapes()
    items: _Items = []
    for number, line in enumerate(text.split("\n"), start=1):
        for rule, shape in (("entry", entry), ("section", section), ("comment", comment)):
            match = shape.fullmatch(line)
            if match is not None:
                tokens = [
                    _Token.at(kind, value, number, match.start(kind))
                    for kind, value in match.groupdict().items()
                    if value is not None
                ]
                items.append((rule, tokens))  # type: ignore[arg-type]
                break
        else:
            if blank.fullmatch(line) is None:
                return None
    return items


def _items_by_parser(text: str) -> _Items:
    """The items of ``text`` from the Lark parser (raises its errors)."""
    from lark import Token, Tree

    tree = parser("hmailserver_ini").parse(text)
    return [
        (str(item.data), [tok for tok in item.children if isinstance(tok, Token)])
        for item in tree.children
        if isinstance(item, Tree)
    ]


def parse_ini(path: str, text: str) -> tuple[IniFile, list[Diagnostic]]:
    ini = IniFile(path)
    diagnostics: list[Diagnostic] = []
    items = _items_by_line(text)
    if items is None:
        from lark.exceptions import LarkError, UnexpectedInput

        try:
            items = _items_by_parser(text)
        except UnexpectedInput as exc:
            line, column = exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1
            diagnostics.append(
                Diagnostic(
                    "input-error", "cannot read this INI line", Span(path, line, column), True
                )
            )
            return ini, diagnostics
        except LarkError as exc:  # pragma: no cover - the grammar accepts every line
            diagnostics.append(Diagnostic("input-error", str(exc), Span(path, 1, 1), True))
            return ini, diagnostics

    def note(kind: str, message: str, span: Span, parameter: str) -> None:
        diagnostics.append(Diagnostic(kind, message, span, False, {"parameter": parameter}))

    section: str | None = None  # the section entries go to; None: before any, or ignored
    skipping = False  # inside a repeated section, already reported
    seen_sections: dict[str, int] = {}
    seen_keys: dict[tuple[str, str], int] = {}
    for rule, found in items:
        tokens = {tok.type: tok for tok in found}
        if rule == "comment":
            tok = tokens["COMMENT"]
            ini.comments.append((tok.line or 1, str(tok)[1:].strip()))
        elif rule == "section":
            header = str(tokens["SECTION"]).strip() if "SECTION" in tokens else ""
            span = _span(path, tokens.get("SECTION", tokens["LSQB"]), header or None)
            if "RSQB" not in tokens:
                note(
                    "ignored-line",
                    f"section header [{header} has no closing ']': Windows does not start a "
                    "section here",
                    span,
                    f"[{header}",
                )
                continue
            first = seen_sections.get(header.lower())
            if first is not None:
                note(
                    "duplicate-key",
                    f"section [{header}] appears again (first on line {first}): hMailServer "
                    f"reads only the first [{header}] section, so the keys below are ignored",
                    span,
                    f"[{header}]",
                )
                section, skipping = None, True
                continue
            seen_sections[header.lower()] = span.line
            section, skipping = header, False
        elif rule == "entry":
            key_tok = tokens["KEY"]
            key = str(key_tok).strip()
            raw_value = str(tokens["VALUE"]).strip() if "VALUE" in tokens else ""
            key_span = _span(path, key_tok, key)
            value_span = (
                _span(path, tokens["VALUE"], raw_value)
                if raw_value
                else Span(path, key_span.line, tokens["EQUALS"].end_column or 1)
            )
            if section is None:
                if not skipping:
                    note(
                        "ignored-line",
                        f"{key} is outside any [Section]: hMailServer never reads it",
                        key_span,
                        key,
                    )
                continue
            ident = (section.lower(), key.lower())
            first = seen_keys.get(ident)
            if first is not None:
                note(
                    "duplicate-key",
                    f"[{section}] {key} is set again (first on line {first}): hMailServer "
                    "reads only the first one",
                    key_span,
                    f"{section}.{key}",
                )
                continue
            seen_keys[ident] = key_span.line
            ini.entries.append(IniEntry(section, key, unquote(raw_value), key_span, value_span))
        elif rule == "keyless":
            note(
                "ignored-line",
                "a line starting with '=' names no key: hMailServer never reads it",
                _span(path, tokens["EQUALS"]),
                "=",
            )
        elif rule == "other":
            tok = tokens["KEY"]
            text_ = str(tok).strip()
            note(
                "ignored-line",
                f"line {text_!r} has no '=': Windows reads no key from it",
                _span(path, tok, text_),
                text_,
            )
    return ini, diagnostics
