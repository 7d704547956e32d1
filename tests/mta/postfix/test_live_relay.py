"""mtalint's relay verdict against a real Postfix smtpd on 127.0.0.1.

Each variant is a main.cf (and optionally ``-o`` overrides on the smtpd service). A live
Postfix 3.7 runs it in a private network namespace, and probes tell what it does:
``XCLIENT`` makes smtpd treat the session as coming from a foreign address (192.0.2.1,
203.0.113.5), a private one (10.1.2.3) or the loopback itself, and a Cyrus SASL login
covers authenticated clients. The verdict that follows (open, networks, authenticated,
closed, or refused when smtpd will not even greet) is checked twice: against what
Postfix's documentation and source say it must be (hard-coded per variant, so that the
oracle cannot drift unnoticed), and against the posture ``mtalint parse`` reports for
the listener.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.mta.postfix.server import (
    DEFAULT_PORT,
    EXTERNAL_RCPT,
    FOREIGN_CLIENTS,
    LOCAL_RCPT,
    SASL_USER,
    PostfixServer,
    RelayOracle,
    missing_requirements,
    smtpd_service,
)

_missing = missing_requirements()
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(_missing is not None, reason=_missing or ""),
]

GUARD_FATAL = (
    "in parameter smtpd_relay_restrictions or smtpd_recipient_restrictions, "
    "specify at least one working instance of"
)


@dataclass(frozen=True)
class Variant:
    id: str
    settings: dict[str, str]
    # the verdict Postfix must reach, by its documentation and source (smtpd_check.c)
    expected: str
    why: str
    smtpd_options: tuple[str, ...] = field(default=())


VARIANTS = [
    Variant(
        "default-3.6",
        {"compatibility_level": "3.6"},
        "networks",
        "smtpd_relay_restrictions defaults to permit_mynetworks, permit_sasl_authenticated, "
        "defer_unauth_destination and mynetworks_style to host: only the host itself relays",
    ),
    Variant(
        "open-restriction-class",
        {
            "compatibility_level": "3.6",
            "smtpd_restriction_classes": "everyone",
            "everyone": "permit",
            "smtpd_relay_restrictions": "everyone, reject_unauth_destination",
        },
        "open",
        "the class permits every client before the guard is reached; smtpd starts because "
        "the guard is listed",
    ),
    Variant(
        "open-static-access",
        {
            "compatibility_level": "3.6",
            "smtpd_relay_restrictions": "check_client_access static:OK, reject_unauth_destination",
        },
        "open",
        "a static:OK access table answers OK for every client",
    ),
    Variant(
        "networks",
        {
            "compatibility_level": "3.6",
            "mynetworks": "127.0.0.0/8 10.0.0.0/8",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
        },
        "networks",
        "only clients in mynetworks pass before reject_unauth_destination",
    ),
    Variant(
        "networks-expanded",
        {
            "compatibility_level": "3.6",
            "office_lan": "10.0.0.0/8",
            "mynetworks": "127.0.0.0/8, $office_lan",
        },
        "networks",
        "mynetworks takes $office_lan; the default relay restrictions trust mynetworks",
    ),
    Variant(
        "mynetworks-everywhere",
        {"compatibility_level": "3.6", "mynetworks": "0.0.0.0/0"},
        "open",
        "permit_mynetworks (default relay restrictions) matches every IPv4 client",
    ),
    Variant(
        "authenticated",
        {
            "compatibility_level": "3.6",
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
        },
        "authenticated",
        "only a SASL login passes before reject_unauth_destination",
    ),
    Variant(
        "sasl-not-enabled",
        {
            "compatibility_level": "3.6",
            "smtpd_relay_restrictions": "permit_sasl_authenticated, reject_unauth_destination",
        },
        "closed",
        "permit_sasl_authenticated never matches while smtpd_sasl_auth_enable = no",
    ),
    Variant(
        "closed",
        {"compatibility_level": "3.6", "smtpd_relay_restrictions": "reject_unauth_destination"},
        "closed",
        "nothing permits before reject_unauth_destination",
    ),
    Variant(
        "compat-0-recipient-list",
        {
            "compatibility_level": "0",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
        },
        "networks",
        "at compatibility level 0 smtpd_relay_restrictions is empty and relay control is in "
        "smtpd_recipient_restrictions; mynetworks_style = subnet trusts 127.0.0.0/8",
    ),
    Variant(
        "relay-permit-recipient-guard",
        {
            "compatibility_level": "3.6",
            "smtpd_relay_restrictions": "permit",
            "smtpd_recipient_restrictions": "reject_unauth_destination",
        },
        "closed",
        "smtpd checks both lists: the recipient list rejects what the relay list permitted",
    ),
    Variant(
        "restriction-class",
        {
            "compatibility_level": "3.6",
            "mynetworks": "127.0.0.0/8 10.0.0.0/8",
            "smtpd_restriction_classes": "myclass",
            "myclass": "permit_mynetworks, reject_unauth_destination",
            "smtpd_relay_restrictions": "myclass",
        },
        "networks",
        "the class is evaluated in place of its name",
    ),
    Variant(
        "master-cf-override",
        {"compatibility_level": "3.6", "smtpd_relay_restrictions": "reject_unauth_destination"},
        "open",
        "the service's -o settings override main.cf for this listener",
        smtpd_options=(
            "mynetworks=0.0.0.0/0",
            "smtpd_relay_restrictions=permit_mynetworks,reject_unauth_destination",
        ),
    ),
    Variant(
        "no-relay-guard",
        {"compatibility_level": "3.6", "smtpd_relay_restrictions": "permit_mynetworks"},
        "refused",
        "neither list holds a relay guard: smtpd exits at start-up and nobody is greeted",
    ),
    Variant(
        "permit-before-guard",
        {
            "compatibility_level": "3.6",
            "smtpd_relay_restrictions": "permit, reject_unauth_destination",
        },
        "refused",
        "smtpd's guard check stops at a bare permit (it warns that the rest is ignored), so "
        "the list counts as having no guard and smtpd exits at start-up",
    ),
]

VARIANT_IDS = [v.id for v in VARIANTS]
BY_ID = {v.id: v for v in VARIANTS}


@functools.cache
def live(variant_id: str) -> RelayOracle:
    """The live verdict for a variant, probed once per test session."""
    variant = BY_ID[variant_id]
    service = smtpd_service(DEFAULT_PORT, variant.smtpd_options)
    with PostfixServer(variant.settings, service) as server:
        return server.relay_oracle()


# ---------------------------------------------------------------------- the oracle


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_live_smtpd_verdict_is_what_postfix_documents(variant: Variant) -> None:
    oracle = live(variant.id)
    assert oracle.verdict == variant.expected, f"{variant.why}\n{oracle.describe()}"
    if oracle.verdict == "refused":
        assert GUARD_FATAL in oracle.smtpd_fatal(), oracle.describe()
        return
    # every probe reached RCPT, and a local recipient was fine from anywhere: any
    # refusal of the external recipient is relay control, not a broken instance
    for probe in oracle.probes:
        assert probe.accepted(LOCAL_RCPT) is True, oracle.describe()
        assert probe.accepted(EXTERNAL_RCPT) is not None, oracle.describe()


def test_live_sasl_login_is_checked() -> None:
    """AUTH succeeds with the right password only; without it nothing relays."""
    settings = BY_ID["authenticated"].settings
    with PostfixServer(settings) as server:
        wrong = server.relay_probe(FOREIGN_CLIENTS[0], auth=(SASL_USER, "wrong password"))
        log = server.log()
    assert not wrong.authenticated, wrong.describe()
    auth = wrong.session.reply_to("AUTH ")
    assert auth is not None and auth.code == 535, f"{wrong.describe()}\n{log}"
    assert wrong.accepted(EXTERNAL_RCPT) is False, wrong.describe()
    oracle = live("authenticated")
    right = [p for p in oracle.probes if p.auth_user]
    assert right and right[0].authenticated, oracle.describe()


# ---------------------------------------------------------------------- mtalint


def mtalint_argv() -> list[str]:
    script = Path(sys.executable).with_name("mtalint")
    if script.exists():
        return [str(script)]
    found = shutil.which("mtalint")
    if found:
        return [found]
    return [sys.executable, "-c", "from linter.cli import main; main()"]


@functools.cache
def mtalint_listener(variant_id: str) -> dict[str, Any]:
    """The posture mtalint gives the listener on the test port, for the files that ran."""
    oracle = live(variant_id)
    with tempfile.TemporaryDirectory(prefix="mtalint-live-") as folder:
        config = Path(folder)
        (config / "main.cf").write_text(oracle.main_cf)
        (config / "master.cf").write_text(oracle.master_cf)
        argv = [*mtalint_argv(), "parse", str(config), "--format", "json"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, f"mtalint parse failed ({done.returncode}):\n{done.stderr}"
    listeners = json.loads(done.stdout)["posture"]["listeners"]
    matching = [item for item in listeners if item.get("port") == DEFAULT_PORT]
    assert len(matching) == 1, (
        f"listeners on port {DEFAULT_PORT}: {json.dumps(listeners, indent=2)}"
    )
    listener: dict[str, Any] = matching[0]
    return listener


@pytest.mark.parametrize("variant", VARIANTS, ids=VARIANT_IDS)
def test_mtalint_relay_verdict_matches_live_smtpd(variant: Variant) -> None:
    oracle = live(variant.id)
    assert oracle.verdict == variant.expected, f"live oracle is off:\n{oracle.describe()}"
    relay = mtalint_listener(variant.id)["relay"]
    context = f"mtalint: {json.dumps(relay, indent=2)}\n{oracle.describe()}"
    if oracle.verdict == "refused":
        # smtpd relays nothing at all; saying "open" or "networks" would be wrong
        assert relay["verdict"] in ("closed", "unknown"), context
    else:
        assert relay["verdict"] == oracle.verdict, context


def covered(address: str, networks: list[str]) -> bool:
    ip = ipaddress.ip_address(address)
    for network in networks:
        try:  # Postfix writes IPv6 networks as [::1]/128
            block = ipaddress.ip_network(network.replace("[", "").replace("]", ""), strict=False)
            if ip in block:
                return True
        except ValueError:
            continue  # hostnames, table lookups: not an address block
    return False


@pytest.mark.parametrize(
    "variant", [v for v in VARIANTS if v.expected == "networks"], ids=lambda v: v.id
)
def test_mtalint_trusted_networks_match_live_smtpd(variant: Variant) -> None:
    """Clients the live smtpd let relay are inside mtalint's networks; refused ones not."""
    oracle = live(variant.id)
    relay = mtalint_listener(variant.id)["relay"]
    context = f"mtalint: {json.dumps(relay, indent=2)}\n{oracle.describe()}"
    for client in oracle.relayed_from():
        assert covered(client, relay["networks"]), f"{client} relayed live\n{context}"
    for client in oracle.refused_from():
        assert not covered(client, relay["networks"]), f"{client} was refused live\n{context}"
