"""The Exim posture (relay verdict, STARTTLS and AUTH offered) against the real Exim's ``-bh``.

For every configuration and listener port, what mtalint says must be what an SMTP session
with Exim 4.96 shows (see oracle_bh.py):

* relay ``open`` exactly when a stranger gets a recipient in another domain accepted;
* ``networks``: a host from the trusted list does get one accepted, a stranger does not;
* ``authenticated``: a client that has authenticated does, a stranger does not;
* ``closed``: neither a stranger nor an authenticated client does;
* STARTTLS in the EHLO reply exactly when the listener's TLS is optional or required, and
  AUTH PLAIN before TLS exactly when the posture says plaintext AUTH comes before TLS.

An ``unknown`` verdict (it depends on an expansion) is not compared, and the test counts
them to keep them rare. Configurations are generated from seeds, so every run sees the
same ones; corpus files that Exim accepts are compared too.
"""

from __future__ import annotations

import ipaddress
import random
from pathlib import Path
from typing import Any

import pytest

from linter.mta.exim import read_model
from linter.mta.exim.posture import build_posture
from tests.mta.exim.oracle_bh import (
    STRANGER,
    bv_ok,
    delivers_locally,
    relay_attempt,
    relays,
    session,
)
from tests.mta.exim.oracle_bv import CORPUS_DIR, DEBIAN_TEMPLATE, UPSTREAM_EXAMPLE, exim_missing

pytestmark = pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or "")

SEEDS = range(160)
STRANGER6 = "2001:db8::200"  # the IPv6 stranger
PORTS = (25, 587)

RCPT_STATEMENTS = [
    "accept hosts = :",
    "accept hosts = +relay_from_hosts",
    "accept authenticated = *",
    "require message = relay not permitted\n    domains = +local_domains : +relay_to_domains",
    "deny !domains = +local_domains : +relay_to_domains",
    "accept domains = +local_domains",
    "accept domains = +relay_to_domains",
    "accept senders = good@example.com",
    "accept local_parts = postmaster",
    "accept verify = recipient",
    "require verify = recipient",
    "require verify = sender",
    "deny !verify = sender",
    "accept condition = ${if eq{$received_port}{587}}",
    "deny condition = ${if eq{$received_port}{587}}",
    "accept condition = ${if eq {$received_port}{25} {yes}{no}}",
    "accept hosts = *",
    "accept hosts = 0.0.0.0/0",
    "accept hosts = !203.0.113.0/24 : *",
    "deny hosts = 203.0.113.0/24",
    "accept !authenticated = *",
    "warn log_message = seen",
    "deny senders = :",
    "accept condition = yes",
    "accept condition = no",
    "accept domains = +local_domains\n    endpass\n    verify = recipient",
    "deny local_parts = ^[.] : ^.*[@%!/|]",
    "accept",
    "deny message = not here",
]
MAIL_STATEMENTS = [
    "accept",
    "deny hosts = 203.0.113.0/24",
    "require verify = sender",
    "deny condition = ${if eq{$received_port}{587}}",
    "accept hosts = +relay_from_hosts",
    "deny !authenticated = *",
]
RELAY_FROM = [
    "127.0.0.1",
    "192.0.2.0/24",
    "0.0.0.0/0",
    "*",
    "",
    "localhost : 192.0.2.5",
    "!10.0.0.0/8",  # a list ending in a negation matches everything else
    "0.0.0.0/1 : 128.0.0.0/1",
    "<; ::/0",  # IPv6 clients only
]
RELAY_TO = ["", "example.org", "*", "!example.org", "@mx_primary"]
TLS_ADVERTISE = ["*", "", "!*", "192.0.2.0/24"]
AUTH_ADVERTISE = ["*", "", "${if eq{$tls_in_cipher}{}{}{*}}"]
SERVER_ADVERTISE = [None, "${if def:tls_in_cipher }", "no"]


def generate(seed: int) -> str:
    rng = random.Random(seed)
    lines = [
        "primary_hostname = mx.example.com",
        "domainlist local_domains = @ : example.com",
        f"domainlist relay_to_domains = {rng.choice(RELAY_TO)}",
        f"hostlist relay_from_hosts = {rng.choice(RELAY_FROM)}",
        "daemon_smtp_ports = 25 : 587",
        f"tls_advertise_hosts = {rng.choice(TLS_ADVERTISE)}",
    ]
    if rng.random() < 0.2:
        lines.append(f"hosts_require_helo = {rng.choice(['', '203.0.113.0/24', '*'])}")
    if rng.random() < 0.3:
        lines.append(f"auth_advertise_hosts = {rng.choice(AUTH_ADVERTISE)}")
    if rng.random() < 0.9:
        lines.append("acl_smtp_rcpt = acl_check_rcpt")
    mail = rng.random() < 0.3
    if mail:
        lines.append("acl_smtp_mail = acl_check_mail")
    lines += ["", "begin acl", "", "acl_check_rcpt:"]
    if rng.random() < 0.5:
        statements = rng.sample(RCPT_STATEMENTS, rng.randint(1, 6))
    else:
        # configure.default's relay check, with a few statements put in somewhere
        statements = RCPT_STATEMENTS[:4]
        for extra in rng.sample(RCPT_STATEMENTS[4:], rng.randint(0, 2)):
            statements.insert(rng.randint(0, len(statements)), extra)
    for statement in statements:
        lines.append("  " + statement)
    if mail:
        lines += ["", "acl_check_mail:"]
        for statement in rng.sample(MAIL_STATEMENTS, rng.randint(1, 2)):
            lines.append("  " + statement)
    lines += [
        "",
        "begin routers",
        "local:",
        "  driver = redirect",
        "  domains = +local_domains",
        "  data = :blackhole:",
        "smarthost:",
        "  driver = manualroute",
        "  domains = ! +local_domains",
        "  transport = remote_smtp",
        "  route_list = * 192.0.2.99",
        "",
        "begin transports",
        "remote_smtp:",
        "  driver = smtp",
    ]
    if rng.random() < 0.7:
        lines += [
            "",
            "begin authenticators",
            "plain:",
            "  driver = plaintext",
            "  public_name = PLAIN",
            "  server_condition = ${if eq{$auth2}{user}{yes}{no}}",
            "  server_prompts = :",
        ]
        condition = rng.choice(SERVER_ADVERTISE)
        if condition is not None:
            lines.append(f"  server_advertise_condition = {condition}")
    return "\n".join(lines) + "\n"


def posture_of(path: Path) -> Any:
    from linter.discover import discover
    from linter.mta import Options

    sets, _ = discover([path])
    model, diagnostics, _ = read_model(sets[0], Options())
    assert model is not None
    assert not [d for d in diagnostics if d.fatal], [d.message for d in diagnostics]
    return build_posture(model)[0]


def member_address(networks: list[str]) -> str | None:
    for item in networks:
        text = "127.0.0.1" if item == "localhost" else item
        try:
            net = ipaddress.ip_network(text, strict=False)
        except ValueError:
            continue
        if net.version == 4:
            return str(net.network_address + (1 if net.num_addresses > 1 else 0))
    return None


def compare(path: Path) -> tuple[list[str], int]:
    """Differences between mtalint's posture and Exim's sessions; unknown verdicts seen."""
    problems: list[str] = []
    unknown = 0
    posture = posture_of(path)
    for listener in posture.listeners:
        port = listener.port
        verdict = listener.relay.verdict
        where = f"port {port}"
        if verdict == "unknown":
            unknown += 1
            continue
        stranger_relays, needed_dns = relay_attempt(path, STRANGER, port)
        if not stranger_relays and verdict == "open" and listener.address == "*":
            # a dual-stack listener: a list may open it to IPv6 clients only (<; ::/0)
            stranger_relays = relays(path, STRANGER6, port)
        if verdict == "open" and not stranger_relays and needed_dns:
            # routing the recipient needs DNS, which the sandbox has not: Exim defers, and
            # would accept it where DNS answers (a real route for the domain)
            pass
        elif (verdict == "open") != stranger_relays:
            problems.append(
                f"{where}: mtalint says {verdict}, a stranger relays: {stranger_relays}"
            )
        ehlo = session(path, STRANGER, port, []).ehlo
        starttls = "STARTTLS" in ehlo
        if starttls != (listener.tls in ("optional", "required")):
            problems.append(f"{where}: tls {listener.tls}, EHLO offers STARTTLS: {starttls}")
        plain_before_tls = "PLAIN" in " ".join(k for k in ehlo if k.startswith("AUTH"))
        if plain_before_tls != listener.auth_before_tls:
            problems.append(
                f"{where}: auth_before_tls {listener.auth_before_tls}, "
                f"EHLO offers AUTH PLAIN: {plain_before_tls}"
            )
        helo = session(path, STRANGER, port, ["MAIL FROM:<a@client.example.net>"], ehlo=False)
        refused = bool(helo.replies) and helo.replies[0][1] == "503"
        if helo.replies and refused != listener.helo_required:
            problems.append(
                f"{where}: helo_required {listener.helo_required}, "
                f"MAIL without HELO: {helo.replies[0]}"
            )
        if verdict == "networks":
            member = member_address(listener.relay.networks)
            if member is not None and not relays(path, member, port):
                problems.append(
                    f"{where}: networks {listener.relay.networks}, {member} cannot relay"
                )
        if plain_before_tls:
            # the client can authenticate without TLS, so the authenticated path can be tried
            authenticated_relays = relays(path, STRANGER, port, authenticate=True)
            if verdict == "authenticated" and not authenticated_relays:
                problems.append(f"{where}: authenticated, but an authenticated client cannot relay")
            if verdict == "closed" and authenticated_relays:
                problems.append(f"{where}: closed, but an authenticated client relays")
        if listener.auth == "required" and delivers_locally(path, STRANGER, port):
            problems.append(f"{where}: AUTH required, but a stranger delivers locally")
    return problems, unknown


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[list[str], int]]:
    root = tmp_path_factory.mktemp("exim-relay")
    out: dict[int, tuple[list[str], int]] = {}
    for seed in SEEDS:
        folder = root / f"case{seed}"
        folder.mkdir()
        path = folder / "exim.conf"
        path.write_text(generate(seed))
        if not bv_ok(path):
            raise AssertionError(
                f"generated case {seed} is rejected by exim -bV:\n{generate(seed)}"
            )
        out[seed] = compare(path)
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_config_matches_exim(
    generated: dict[int, tuple[list[str], int]], seed: int
) -> None:
    problems, _ = generated[seed]
    assert not problems, "\n".join(problems) + "\n\n" + generate(seed)


def test_generated_configs_cover_every_verdict(generated: dict[int, Any], tmp_path: Path) -> None:
    verdicts: set[str] = set()
    unknown = 0
    for seed in SEEDS:
        path = tmp_path / f"c{seed}" / "exim.conf"
        path.parent.mkdir()
        path.write_text(generate(seed))
        for listener in posture_of(path).listeners:
            verdicts.add(listener.relay.verdict)
        unknown += generated[seed][1]
    assert {"open", "networks", "authenticated", "closed"} <= verdicts
    # every generated ACL is decidable except through deliberately opaque conditions
    assert unknown == 0


CORPUS = sorted((CORPUS_DIR / "exim").glob("*")) if (CORPUS_DIR / "exim").is_dir() else []
CORPUS += [p for p in (DEBIAN_TEMPLATE, UPSTREAM_EXAMPLE) if p.is_file()]


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_config_matches_exim(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "exim.conf"
    text = path.read_text(errors="replace")
    if "primary_hostname" not in text:
        text = "primary_hostname = mx.example.com\n" + text
    target.write_text(text)
    if not bv_ok(target):
        pytest.skip("exim -bV rejects this file on this machine (see test_differential)")
    problems, _ = compare(target)
    assert not problems, "\n".join(problems)
