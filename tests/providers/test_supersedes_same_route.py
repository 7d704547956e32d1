"""A provider finding supersedes the generic relayhost finding only for the same route.

MTA026 (TLS mode against the provider's port) supersedes MTA009 (port 465 without
implicit TLS) and MTA028 supersedes MTA010, because for the relayhost they speak of one
cause. A provider finding on a transport or sender-dependent route is about another next
hop: the relayhost's own MTA009/MTA010 must still be reported.
"""

from __future__ import annotations

from pathlib import Path

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

RULES = builtin_rules()


def _fired(tmp_path: Path, text: str, select: list[str]) -> list[tuple[str, int]]:
    (tmp_path / "main.cf").write_text(text)
    result = check([tmp_path], RULES, Selection(select=select), Options(roles=["relay"]))
    return sorted((f.rule, f.span.line) for f in result.findings)


def test_a_provider_route_does_not_hide_the_relayhosts_465_finding(tmp_path: Path) -> None:
    text = (
        "relayhost = [relay.example.net]:465\n"
        "smtp_sasl_auth_enable = yes\n"
        "smtp_tls_security_level = encrypt\n"
        "transport_maps = inline:{ example.com=smtp:[smtp.gmail.com]:465 }\n"
    )
    assert _fired(tmp_path, text, ["MTA009", "MTA026"]) == [("MTA009", 1), ("MTA026", 4)]


def test_a_provider_route_does_not_hide_the_relayhosts_587_finding(tmp_path: Path) -> None:
    text = (
        "relayhost = [relay.example.net]:587\n"
        "smtp_sasl_auth_enable = yes\n"
        "smtp_tls_security_level = may\n"
        "sender_dependent_relayhost_maps = inline:{ a@example.com=[smtp.sendgrid.net]:587 }\n"
    )
    # MTA010 is placed at the TLS level it asks to change
    assert _fired(tmp_path, text, ["MTA010", "MTA028"]) == [("MTA010", 3), ("MTA028", 4)]


def test_the_provider_finding_on_the_relayhost_supersedes_its_587_finding(tmp_path: Path) -> None:
    text = (
        "relayhost = [smtp.sendgrid.net]:587\n"
        "smtp_sasl_auth_enable = yes\n"
        "smtp_tls_security_level = may\n"
    )
    assert _fired(tmp_path, text, ["MTA010"]) == [("MTA010", 3)]
    assert _fired(tmp_path, text, ["MTA010", "MTA028"]) == [("MTA028", 1)]


def test_the_provider_finding_on_the_relayhost_still_speaks_alone(tmp_path: Path) -> None:
    text = (
        "relayhost = [smtp.gmail.com]:465\n"
        "smtp_sasl_auth_enable = yes\n"
        "smtp_tls_security_level = encrypt\n"
    )
    assert _fired(tmp_path, text, ["MTA009"]) == [("MTA009", 1)]
    assert _fired(tmp_path, text, ["MTA009", "MTA026"]) == [("MTA026", 1)]


def test_both_the_relayhost_and_a_route_to_a_provider(tmp_path: Path) -> None:
    # the relayhost's cause is spoken for by its own MTA026; the route's by another
    text = (
        "relayhost = [smtp.gmail.com]:465\n"
        "smtp_sasl_auth_enable = yes\n"
        "smtp_tls_security_level = encrypt\n"
        "transport_maps = inline:{ example.com=smtp:[smtp.sendgrid.net]:465 }\n"
    )
    assert _fired(tmp_path, text, ["MTA009", "MTA026"]) == [("MTA026", 1), ("MTA026", 4)]
