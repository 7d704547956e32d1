"""``hMailServer.INI`` → entries with spans (``grammars/hmailserver_ini.lark``).

hMailServer reads its INI with Windows' GetPrivateProfileString: section and key
names are compared without case, blanks around names and values are dropped, one pair
of quotes around a value is dropped, and the first section and the first key of a name
are the ones found (a repeated section or key is never read). Lines Windows never
returns as a key (no ``=``, a key before any section) are reported, since whatever the
admin meant by them has no effect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linter.diagnostics import Diagnostic
from linter.grammar import parser
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


def parse_ini(path: str, text: str) -> tuple[IniFile, list[Diagnostic]]:
    from lark import Token, Tree
    from lark.exceptions import LarkError, UnexpectedInput

    ini = IniFile(path)
    diagnostics: list[Diagnostic] = []
    try:
        tree = parser("hmailserver_ini").parse(text)
    except UnexpectedInput as exc:
        span = Span(path, exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1)
        diagnostics.append(Diagnostic("input-error", "cannot read this INI line", span, True))
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
    for item in tree.children:
        if not isinstance(item, Tree):
            continue
        tokens = {tok.type: tok for tok in item.children if isinstance(tok, Token)}
        if item.data == "comment":
            tok = tokens["COMMENT"]
            ini.comments.append((tok.line or 1, str(tok)[1:].strip()))
        elif item.data == "section":
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
        elif item.data == "entry":
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
        elif item.data == "keyless":
            note(
                "ignored-line",
                "a line starting with '=' names no key: hMailServer never reads it",
                _span(path, tokens["EQUALS"]),
                "=",
            )
        elif item.data == "other":
            tok = tokens["KEY"]
            text_ = str(tok).strip()
            note(
                "ignored-line",
                f"line {text_!r} has no '=': Windows reads no key from it",
                _span(path, tok, text_),
                text_,
            )
    return ini, diagnostics
