"""The regular-expression fast path of the Postfix readers splits every line exactly as
the Lark grammar does.

main.cf and master.cf lines of the common shape (``name = value``; fields without
braces) are matched with expressions built from the grammars' terminals instead of
running the parser. Here hypothesis draws logical lines from an alphabet of the
characters that matter (separators, braces, Unicode whitespace, "=") and each line's
result must be the parser's: same rule, same name and value offsets, same fields.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linter.grammar import parser
from linter.mta.postfix import parse
from linter.mta.postfix.parse import LogicalLine

# Blanks Postfix folds on, Unicode whitespace that \s matches but Postfix does not fold
# on, "=" and braces, "#" (only a comment at the start of a physical line), and text.
ALPHABET = " \t\f\v\x1c\x85\xa0\u2003=={}}#$ab_1é"


def logical_lines() -> st.SearchStrategy[str]:
    """Lines as fold_lines() hands them on: no newline, no leading or trailing blank."""
    return (
        st.text(alphabet=ALPHABET, min_size=1, max_size=24)
        .map(lambda s: s.strip(" \t\f\v"))
        .filter(bool)
    )


def as_logical(text: str) -> LogicalLine:
    return LogicalLine(text, [(0, 1, 0)])


def lark_main(text: str) -> tuple[str, int, int, int]:
    tree = parser("postfix_main").parse(text + "\n").children[0]
    return parse._main_shape(tree, text)  # type: ignore[arg-type]


def lark_master(text: str) -> list[tuple[int, str, bool]]:
    tree = parser("postfix_master").parse(text + "\n").children[0]
    return parse._master_fields(tree)  # type: ignore[arg-type]


def test_the_grammars_accept_every_line_of_the_alphabet() -> None:
    # lark_main/lark_master raise on a line the grammar rejects, which would fail the
    # comparisons below; Postfix itself reads every logical line somehow.
    for char in ALPHABET:
        lark_main(f"a{char}b")
        lark_master(f"a{char}b")


@settings(max_examples=400, deadline=None)
@given(logical_lines())
def test_main_cf_lines_split_as_the_grammar_splits_them(text: str) -> None:
    assert parse._main_lines([as_logical(text)]) == [lark_main(text)]


@settings(max_examples=400, deadline=None)
@given(logical_lines())
def test_master_cf_lines_split_as_the_grammar_splits_them(text: str) -> None:
    assert parse._master_lines([as_logical(text)]) == [lark_master(text)]


@pytest.mark.parametrize(
    ("text", "shape"),
    [
        ("a = b", ("assignment", 1, 4, 5)),
        ("a=", ("assignment", 1, 2, 2)),
        ("name =  two words", ("assignment", 4, 8, 17)),
        ("a b = c", ("missing_equals", 0, 0, 0)),
        ("= c", ("missing_name", 0, 0, 0)),
    ],
)
def test_main_cf_shapes(text: str, shape: tuple[str, int, int, int]) -> None:
    # Offsets counted by hand from the grammar: NAME [^\s=]+, _WS? "=" _WS? VALUE?.
    assert parse._main_lines([as_logical(text)]) == [shape]
    assert lark_main(text) == shape


def test_lines_of_both_kinds_keep_their_order() -> None:
    lines = [as_logical(t) for t in ("a = 1", "oops", "b = 2", "= 3")]
    kinds = [shape[0] for shape in parse._main_lines(lines)]
    assert kinds == ["assignment", "missing_equals", "assignment", "missing_name"]
    fields = parse._master_lines([as_logical(t) for t in ("smtp inet n", "x {a b} y", "z")])
    assert fields == [
        [(0, "smtp", False), (5, "inet", False), (10, "n", False)],
        [(0, "x", False), (2, "{a b}", False), (8, "y", False)],
        [(0, "z", False)],
    ]


@pytest.mark.parametrize("char", ["\xa0", "\x1c", "\x85", "\u2003"])
def test_unicode_whitespace_is_part_of_a_name(char: str) -> None:
    # postconf 3.7 on "a<char> = b" warns "unused parameter: a?=b" (checked by hand; its
    # "?" hides the byte, so the differential test cannot compare names like this one).
    assert parse._main_lines([as_logical(f"a{char} = b")]) == [("assignment", 2, 5, 6)]


@pytest.mark.parametrize(
    "text",
    ["a" * 40 + "{", "a}" * 40 + "{", "x {" + "b c" * 40 + "{", "{" + "a " * 40 + "{}"],
)
def test_lines_that_miss_the_fast_path_fail_it_at_once(text: str) -> None:
    # With nested quantifiers and no atomic groups these take about 2**40 steps.
    entry, _ = parse._simple_entry()
    assert entry.fullmatch(text) is None
    assert parse._master_lines([as_logical(text)]) == [lark_master(text)]
