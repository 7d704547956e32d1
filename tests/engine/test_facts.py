"""The facts document (linter/facts.py): paths, values, spans and on-demand resolvers."""

from __future__ import annotations

from typing import Any

import pytest

from linter.facts import MISSING, Facts, join_path, split_path, walk
from linter.source import Span


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("posture", ["posture"]),
        ("posture.listeners[0].tls", ["posture", "listeners", 0, "tls"]),
        ("a.b[2][3].c", ["a", "b", 2, 3, "c"]),
        (
            "postfix.param.smtpd_tls_security_level",
            ["postfix", "param", "smtpd_tls_security_level"],
        ),
    ],
)
def test_paths_split_and_join_back(path: str, parts: list[str | int]) -> None:
    assert split_path(path) == parts
    assert join_path(parts) == path


def test_walk() -> None:
    tree = {"a": {"b": [{"c": 0}, {"c": ""}]}}
    assert walk(tree, ("a", "b", 1, "c")) == ""  # a false value is still there
    assert walk(tree, ("a", "b", 0, "c")) == 0
    assert walk(tree, ("a", "b", 2, "c")) is MISSING  # past the end
    assert walk(tree, ("a", 0)) is MISSING  # an index into a mapping
    assert walk(tree, ("a", "b", "c")) is MISSING  # a name into a list
    assert walk(tree, ("x",)) is MISSING


def test_set_builds_the_tree_and_get_reads_it() -> None:
    facts = Facts()
    facts.set("posture.outbound.tls", "opportunistic")
    facts.set("posture.outbound.auth", False)
    facts.set("posture.listeners", [{"port": 25, "tls": "optional"}])
    assert facts.data == {
        "posture": {
            "outbound": {"tls": "opportunistic", "auth": False},
            "listeners": [{"port": 25, "tls": "optional"}],
        }
    }
    assert facts.get("posture.outbound.auth") is False
    assert facts.get("posture.listeners[0].port") == 25
    assert facts.get("posture.listeners[1].port") is MISSING
    assert facts.get("posture.inbound") is MISSING
    # set() reaches into an existing list element
    facts.set("posture.listeners[0].tls", "required")
    assert facts.get("posture.listeners[0].tls") == "required"
    assert facts.spans == {}  # no span given, none recorded


def test_a_span_is_found_on_the_fact_or_its_nearest_ancestor() -> None:
    main = Span("main.cf", 3, 1)
    master = Span("master.cf", 12, 1)
    default = Span("main.cf", 1, 1)
    facts = Facts()
    facts.default_span = default
    facts.set("posture.listeners", [{"port": 587, "tls": "required"}], master)
    facts.set("posture.outbound.tls", "none", main)

    assert facts.span_of("posture.listeners") == master
    assert facts.span_of("posture.listeners[0].tls") == master  # from the ancestor
    assert facts.span_of("posture.outbound.tls") == main
    assert facts.span_of("posture.outbound.auth") == default  # nothing above has one
    # located_span: a fact at the default place has no place of its own
    assert facts.located_span("posture.listeners[0].tls") == master
    assert facts.located_span("posture.outbound.auth") is None


def test_a_resolver_answers_every_name_under_its_prefix() -> None:
    asked: list[str] = []
    line = Span("main.cf", 7, 1)

    def param(name: str) -> tuple[Any, Span | None]:
        asked.append(name)
        if name == "relayhost":
            return "[smtp.example.net]:587", line
        return "", None  # a built-in default: no line of configuration

    facts = Facts({"postfix": {"param": {}, "version": "3.7"}})
    facts.default_span = Span("main.cf", 1, 1)
    facts.add_resolver("postfix.param", param)

    assert facts.get("postfix.param.relayhost") == "[smtp.example.net]:587"
    assert facts.located_span("postfix.param.relayhost") == line
    assert facts.get("postfix.param.relay_domains") == ""
    assert facts.located_span("postfix.param.relay_domains") is None
    # span_of falls back to the document when the resolver gives no span
    assert facts.span_of("postfix.param.relay_domains") == facts.default_span
    assert asked == ["relayhost", "relayhost", "relay_domains", "relay_domains", "relay_domains"]
    # the prefix itself and paths outside it come from the tree
    assert facts.get("postfix.param") == {}
    assert facts.get("postfix.version") == "3.7"
    assert asked[-1] == "relay_domains"
