"""Unit tests of the Postfix reader, expander and evaluators.

Expected values come from Postfix's own documentation and source (readllines() unit
tests, postconf(5), master(5)) as quoted in the reference notes, not from mtalint.
"""

from __future__ import annotations

import pytest

from linter.mta.postfix.expand import expand, references
from linter.mta.postfix.parse import fold_lines, parse_main, parse_master
from linter.mta.postfix.posture import host_port, parse_relayhost, protocols
from linter.mta.postfix.restrictions import evaluate_relay, tokens
from linter.source import SourceFile


def _lists(relay: str, recipient: str) -> dict[str, str]:
    return {"smtpd_relay_restrictions": relay, "smtpd_recipient_restrictions": recipient}


def logical(text: str) -> list[str]:
    return [line.text for line in fold_lines(SourceFile("main.cf", text)).lines]


# readllines() unit tests (src/util/readlline.c)
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("abc\n def\n", ["abc def"]),
        ("abc\n#def\n ghi", ["abc ghi"]),
        ("abc\n\n ghi", ["abc ghi"]),
        ("abc\n #def\n ghi", ["abc ghi"]),
        ("abc\ndef\n", ["abc", "def"]),
        ("abc  \n", ["abc"]),
    ],
)
def test_logical_lines_follow_readllines(text, expected):
    assert logical(text) == expected


def test_leading_whitespace_line_is_reported_and_ignored():
    fold = fold_lines(SourceFile("main.cf", "  orphan = 1\nname = v\n"))
    assert [line.text for line in fold.lines] == ["name = v"]
    assert fold.diagnostics[0].kind == "leading-whitespace"
    assert (
        'logical line must not start with whitespace: "orphan = 1"' in fold.diagnostics[0].message
    )


def test_spans_follow_continuation_lines():
    main = parse_main(
        SourceFile("main.cf", "# c\nmynetworks = 127.0.0.0/8,\n    # inner\n    10.0.0.0/8\n")
    )
    a = main.assignments[0]
    assert a.value == "127.0.0.0/8,    10.0.0.0/8"
    assert (a.span.line, a.span.end_line) == (2, 4)
    assert (a.value_span.line, a.value_span.column) == (2, 14)
    assert (a.value_span.end_line, a.value_span.end_column) == (4, 15)


def test_hash_after_value_is_part_of_the_value():
    main = parse_main(SourceFile("main.cf", "mynetworks = 127.0.0.0/8 # lan\n"))
    assert main.assignments[0].value == "127.0.0.0/8 # lan"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("stray\n", "missing '=' after attribute name: \"stray\""),
        ("= value\n", "missing attribute name"),
    ],
)
def test_main_cf_fatal_errors(line, message):
    main = parse_main(SourceFile("main.cf", line))
    assert main.diagnostics[0].fatal
    assert message in main.diagnostics[0].message


def test_empty_value_is_legal():
    main = parse_main(SourceFile("main.cf", "relayhost =\n"))
    assert main.assignments[0].value == ""
    assert not main.diagnostics


def test_master_groups_keep_whitespace():
    master = parse_master(
        SourceFile("master.cf", "x unix - n n - - pipe argv=/bin/sh -c { sleep 1 }\n")
    )
    words = [w.text for w in master.entries[0].words]
    assert words[-1] == "{ sleep 1 }"
    assert words[:7] == ["x", "unix", "-", "n", "n", "-", "-"]


# postconf(5) expansion examples
@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("$a b", {"a": "x"}, "x b"),
        ("${a}b", {"a": "x"}, "xb"),
        ("$(a)b", {"a": "x"}, "xb"),
        ("$$a", {"a": "x"}, "$a"),
        ("${a?yes}", {"a": "x"}, "yes"),
        ("${a?yes}", {"a": ""}, ""),
        ("${a:no}", {"a": ""}, "no"),
        ("${a:no}", {}, "no"),
        ("${a?{ set }:{ unset }}", {"a": "1"}, "set"),
        ("${a?{ set }:{ unset }}", {}, "unset"),
        ("${{$a} == {3} ? {three} : {other}}", {"a": "3"}, "three"),
        ("${{$a} < {10} ? {less} : {more}}", {"a": "9"}, "less"),
        ("${{$a} < {10} ? {less} : {more}}", {"a": "b"}, "more"),
    ],
)
def test_expansion(text, values, expected):
    assert expand(text, values.get).value == expected


def test_undefined_names_expand_to_empty_and_are_reported():
    result = expand("a $nosuch b", {}.get)
    assert result.value == "a  b"
    assert result.undefined == {"nosuch"}


def test_truncated_reference_is_an_error():
    result = expand("${myhostname", {"myhostname": "h"}.get)
    assert result.errors and "truncated macro reference" in result.errors[0]


def test_self_reference_does_not_loop():
    result = expand("$a", {"a": "$a"}.get)
    assert result.errors and "nesting" in result.errors[0]


def test_references_without_evaluation():
    assert references("${a?{$b}:{$c}} $d $$e") == {"a", "b", "c", "d"}


def test_restriction_list_tokens_keep_braces():
    value = "permit_mynetworks,\n check_policy_service { inet:127.0.0.1:1, default_action=DUNNO }"
    assert tokens(value + ", reject") == [
        "permit_mynetworks",
        "check_policy_service",
        "{ inet:127.0.0.1:1, default_action=DUNNO }",
        "reject",
    ]


@pytest.mark.parametrize(
    ("relay", "recipient", "expected"),
    [
        (
            "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
            "",
            (False, True, True),
        ),
        ("permit, reject_unauth_destination", "", (True, True, True)),
        ("", "permit_mynetworks, reject_unauth_destination", (False, True, False)),
        ("reject_unauth_destination", "", (False, False, False)),
        # a guard in either list closes the relay
        ("permit", "reject_unauth_destination", (False, False, False)),
    ],
)
def test_relay_evaluation(relay, recipient, expected):
    ev = evaluate_relay(_lists(relay, recipient), {}, sasl_enabled=True)
    assert (ev.stranger_remote, ev.mynetworks_remote, ev.authenticated_remote) == expected


def test_missing_relay_guard_is_detected():
    assert not evaluate_relay(
        _lists("permit_mynetworks", "permit_sasl_authenticated"), {}, True
    ).has_guard


# master(5) service names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("smtp", ("", "smtp")),
        ("127.0.0.1:10025", ("127.0.0.1", "10025")),
        ("[::1]:587", ("::1", "587")),
    ],
)
def test_host_port(name, expected):
    assert host_port(name) == expected


@pytest.mark.parametrize(
    ("raw", "host", "port", "mx"),
    [
        ("[smtp.example.com]:587", "smtp.example.com", 587, False),
        ("smtp.example.com", "smtp.example.com", None, True),
        ("[mail.isp.example]:submission", "mail.isp.example", 587, False),
        ("smtp.example.com:25", "smtp.example.com", 25, True),
    ],
)
def test_relayhost(raw, host, port, mx):
    r = parse_relayhost(raw)
    assert r is not None and (r.host, r.port, r.mx_lookup) == (host, port, mx)


# postconf(5) *_tls_protocols syntaxes
@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        (">=TLSv1.2", ["TLSv1.2", "TLSv1.3"]),
        ("!SSLv2, !SSLv3", ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        ("!SSLv2", ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        # a hole disables everything above it
        ("!SSLv2, !SSLv3, !TLSv1.1", ["TLSv1"]),
        (">=TLSv1 <=TLSv1.2", ["TLSv1", "TLSv1.1", "TLSv1.2"]),
        (">=0x0303", ["TLSv1.2", "TLSv1.3"]),
        ("", ["SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
    ],
)
def test_protocols(spec, allowed):
    assert protocols(spec) == allowed


# the built-in defaults of Postfix 3.6+ use these (postconf -d smtpd_relay_restrictions)
@pytest.mark.parametrize(
    ("level", "expected"),
    [("0", ""), ("1", "permit_mynetworks"), ("3.10", "permit_mynetworks"), ("0.9", "")],
)
def test_level_comparison(level, expected):
    text = "${{$compatibility_level} <level {1} ? {} : {permit_mynetworks}}"
    assert expand(text, {"compatibility_level": level}.get).value == expected


def test_level_comparison_is_not_lexicographic():
    text = "${{$compatibility_level} <level {3.9} ? {old} : {new}}"
    assert expand(text, {"compatibility_level": "3.10"}.get).value == "new"


# smtpd_check.c has_required(): the scan stops at a bare "permit"
@pytest.mark.parametrize(
    ("relay", "guarded"),
    [
        ("permit, reject_unauth_destination", False),
        ("permit_mynetworks, reject_unauth_destination", True),
        ("warn_if_reject reject_unauth_destination", False),
        ("myclass", True),
    ],
)
def test_guard_scan_follows_has_required(relay, guarded):
    from linter.mta.postfix.restrictions import has_guard

    classes = {"myclass": ["permit_mynetworks", "reject_unauth_destination"]}
    assert has_guard(tokens(relay), classes) is guarded


def test_static_access_table_answers_for_everyone():
    ev = evaluate_relay(
        _lists("check_client_access static:OK, reject_unauth_destination", ""), {}, False
    )
    assert ev.stranger_remote
    ev = evaluate_relay(_lists("check_client_access static:REJECT, permit", ""), {}, False)
    assert not ev.stranger_remote
