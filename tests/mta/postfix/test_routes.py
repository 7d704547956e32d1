"""Postfix outbound routes written into main.cf as in-line tables (linter/mta/postfix/routes).

The reading of ``inline:{...}`` and ``static:`` tables is checked against Postfix's own
``postmap -s`` (which prints every entry of a table); the routes reach the relay
provider rules, whose YAML tests prove the findings both ways.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from linter.check import analyse_set, check
from linter.discover import discover
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.mta.postfix.routes import inline_entries, static_value

POSTMAP = shutil.which("postmap") or "/usr/sbin/postmap"
needs_postmap = pytest.mark.skipif(not Path(POSTMAP).exists(), reason="postmap not installed")

INLINE_TABLES = [
    "inline:{a.example=smtp:[smtp.sendgrid.net]:587}",
    "inline:{ a.example=smtp:[smtp.sendgrid.net]:587, b.example=relay:[smtp.mailgun.org] }",
    "inline:{ { b.example = smtp:[smtp.mailgun.org]:2525 }, {c = x y, z}}",
    "inline:{,a=b,,c=d,}",
    "inline:{\ta=b\t{ d = e }}",
    "inline:{ {a = b}x }",  # postmap: syntax error after '}'
    "inline:{ a }",  # postmap: missing '='
]


def postmap_entries(spec: str, config_dir: Path) -> list[tuple[str, str]] | None:
    (config_dir / "main.cf").touch()
    done = subprocess.run(
        [POSTMAP, "-c", str(config_dir), "-s", spec],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        return None
    return sorted(tuple(line.split("\t", 1)) for line in done.stdout.splitlines())  # type: ignore[misc]


@needs_postmap
@pytest.mark.parametrize("spec", INLINE_TABLES)
def test_inline_tables_read_as_postmap_reads_them(spec: str, tmp_path: Path) -> None:
    ours = inline_entries(spec)
    theirs = postmap_entries(spec, tmp_path)
    assert (sorted(ours) if ours is not None else None) == theirs


@needs_postmap
@pytest.mark.parametrize(
    "spec", ["static:smtp:[smtp.sendgrid.net]:587", "static:{ relay:[smtp.sendgrid.net]:465 }"]
)
def test_static_tables_answer_as_postmap_does(spec: str, tmp_path: Path) -> None:
    (tmp_path / "main.cf").touch()
    done = subprocess.run(
        [POSTMAP, "-c", str(tmp_path), "-q", "any.example", spec],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert static_value(spec) == done.stdout.strip()


def routes(tmp_path: Path, main_cf: str, master_cf: str | None = None) -> list[dict[str, Any]]:
    (tmp_path / "main.cf").write_text(main_cf)
    if master_cf is not None:
        (tmp_path / "master.cf").write_text(master_cf)
    facts = analyse_set(discover([tmp_path])[0][0], Options()).facts
    got = facts.get("posture.outbound.routes")
    return list(got) if isinstance(got, list) else []


def test_every_inline_route_with_its_key_and_client_settings(tmp_path: Path) -> None:
    got = routes(
        tmp_path,
        "smtp_tls_security_level = encrypt\n"
        "transport_maps = hash:/etc/postfix/transport,\n"
        "  inline:{ a.example=smtp:[smtp.office365.com]:587, { b.example = relay: } }\n"
        "sender_dependent_relayhost_maps = static:[smtp.postmarkapp.com]:2525\n",
    )
    assert [(r["via"], r["key"], r["host"], r["port"], r["tls"]) for r in got] == [
        ("sender_dependent_relayhost_maps", "*", "smtp.postmarkapp.com", 2525, "required"),
        ("transport_maps", "a.example", "smtp.office365.com", 587, "required"),
    ]  # b.example's empty next hop is the recipient domain's MX: not a relay route


def test_a_master_cf_service_brings_its_own_settings(tmp_path: Path) -> None:
    got = routes(
        tmp_path,
        "transport_maps = inline:{ a.example=sg465:[smtp.sendgrid.net]:465 }\n",
        "sg465 unix - - y - - smtp\n  -o smtp_tls_wrappermode=yes\n"
        "  -o smtp_tls_security_level=encrypt\n  -o smtp_sasl_auth_enable=yes\n",
    )
    assert [(r["transport"], r["wrappermode"], r["tls"], r["auth"]) for r in got] == [
        ("sg465", True, "required", True)
    ]


@pytest.mark.parametrize(
    "main_cf",
    [
        "transport_maps = hash:/etc/postfix/transport\n",  # a file: not read
        "transport_maps = inline:{ a.example=lmtp:[127.0.0.1]:24 }\n",  # not smtp(8)
        "transport_maps = inline:{ a.example=error:no mail here }\n",
        "transport_maps = inline:{ a.example=smtp:$relay_host }\n",  # not expanded here
        "transport_maps = inline:{ a }\n",  # malformed: Postfix refuses the table
        "sender_dependent_relayhost_maps = inline:{ a@example.com=DUNNO }\n",
    ],
)
def test_what_is_not_a_known_smtp_route(tmp_path: Path, main_cf: str) -> None:
    assert routes(tmp_path, main_cf) == []


def test_an_unknown_transport_with_a_master_cf_that_lacks_it(tmp_path: Path) -> None:
    got = routes(
        tmp_path,
        "transport_maps = inline:{ a.example=custom:[smtp.sendgrid.net]:465 }\n",
        "smtp inet n - y - - smtpd\n",
    )
    assert got == []


def test_the_number_of_routes_is_bounded_and_the_bound_is_a_finding(tmp_path: Path) -> None:
    table = ", ".join(f"d{i}.example=smtp:[smtp.sendgrid.net]:2465" for i in range(500))
    (tmp_path / "main.cf").write_text(
        f"myhostname = mx.example.com\ntransport_maps = inline:{{ {table} }}\n"
    )
    analysis = analyse_set(discover([tmp_path])[0][0], Options())
    assert len(analysis.facts.get("posture.outbound.routes")) == 200
    limits = [d for d in analysis.facts.get("diagnostics") if d["kind"] == "limit-exceeded"]
    assert [(d["limit"], d["bound"]) for d in limits] == [("postfix_routes", 200)]
    result = check([tmp_path], builtin_rules(), Selection(), Options())
    assert [(f.rule, f.span.line) for f in result.findings if f.rule == "MTL005"] == [("MTL005", 2)]
