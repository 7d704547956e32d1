"""Single Exim configurations whose verdicts were wrong, each against the real Exim's ``-bh``.

Every case is a whole configuration that ``exim -bV`` accepts; for each listener port the
posture must agree with SMTP sessions (test_relay.compare: relay, STARTTLS, AUTH
before TLS, HELO), and the case states the verdict the spec gives, so a case fails when
mtalint and Exim disagree and when both drift together. IPv6 strangers are tried too when
the listener is reachable over IPv6.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mta.exim.oracle_bh import bv_ok, relays, session
from tests.mta.exim.oracle_bv import exim_missing
from tests.mta.exim.test_relay import compare, posture_of

pytestmark = pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or "")

STRANGER6 = "2001:db8::200"

ROUTERS = """
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_list = * 192.0.2.99
local:
  driver = redirect
  domains = +local_domains
  data = :blackhole:

begin transports
remote_smtp:
  driver = smtp
"""

STOCK_RCPT = """
acl_check_rcpt:
  accept hosts = :
  accept hosts = +relay_from_hosts
  accept authenticated = *
  require message = relay not permitted
    domains = +local_domains : +relay_to_domains
  accept
"""

AUTH = """
begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_condition = ${if eq{$auth2}{user}{yes}{no}}
  server_prompts = :
"""


def config(
    relay_from: str = "",
    relay_to: str = "",
    main: str = "",
    rcpt: str = STOCK_RCPT,
    acls: str = "",
    auth: str = "",
) -> str:
    return (
        "primary_hostname = mx.example.com\n"
        "domainlist local_domains = @ : example.com\n"
        f"domainlist relay_to_domains = {relay_to}\n"
        f"hostlist relay_from_hosts = {relay_from}\n"
        "acl_smtp_rcpt = acl_check_rcpt\n"
        f"{main}\nbegin acl\n{rcpt}\n{acls}\n{ROUTERS}\n{auth}"
    )


# name → (configuration, {port: {listener attribute: value}}); "relay" is the verdict,
# "v6" whether an IPv6 stranger relays under -bh (None: not a question -bh can answer)
CASES: dict[str, tuple[str, dict[int, dict[str, object]]]] = {
    # 1. a list whose last item is negated ends with an implicit "*"
    "hostlist ending in a negation": (
        config(relay_from="!10.0.0.0/8"),
        {25: {"relay": "open", "v6": True}},
    ),
    "accept hosts = !net": (
        config(rcpt="acl_check_rcpt:\n  accept hosts = !10.0.0.0/8\n"),
        {25: {"relay": "open", "v6": True}},
    ),
    "domainlist ending in a negation": (
        config(relay_to="!example.org"),
        {25: {"relay": "open", "v6": True}},
    ),
    "accept domains = !domain": (
        config(rcpt="acl_check_rcpt:\n  accept domains = !example.org\n"),
        {25: {"relay": "open", "v6": True}},
    ),
    "negation then star": (
        config(relay_from="!10.0.0.0/8 : *"),
        {25: {"relay": "open", "v6": True}},
    ),
    "negation before a network": (
        config(relay_from="!10.0.0.9 : 10.0.0.0/8"),
        {25: {"relay": "networks", "v6": False}},
    ),
    # 2. networks that together cover a whole address family
    "two halves of IPv4": (
        config(relay_from="0.0.0.0/1 : 128.0.0.0/1"),
        {25: {"relay": "open", "v6": False}},
    ),
    "address with /0": (config(relay_from="192.0.2.1/0"), {25: {"relay": "open", "v6": False}}),
    "IPv6 everything, dual stack": (
        config(relay_from="<; ::/0"),
        {25: {"relay": "open", "v6": True}},
    ),
    "IPv6 everything, IPv4 listener": (
        config(relay_from="<; ::/0", main="local_interfaces = 0.0.0.0\n"),
        {25: {"relay": "networks", "v6": None}},  # -bh cannot know that IPv6 clients cannot connect
    ),
    "IPv6 everything, disable_ipv6": (
        config(relay_from="<; ::/0", main="disable_ipv6 = true\n"),
        {25: {"relay": "networks", "v6": None}},  # -bh still takes an IPv6 client
    ),
    "half of IPv4": (config(relay_from="0.0.0.0/1"), {25: {"relay": "networks", "v6": False}}),
    # 3. @mx_primary names domains whose MX is this host, never a stranger's domain
    "relay_to_domains = @mx_primary": (
        config(relay_to="@mx_primary"),
        {25: {"relay": "closed", "v6": False}},
    ),
    # 4. a plaintext authenticator without server_condition is not a server
    "plaintext without server_condition": (
        config(
            main="tls_advertise_hosts =\n",
            auth="begin authenticators\nplain:\n  driver = plaintext\n"
            "  public_name = PLAIN\n  server_prompts = :\n",
        ),
        {25: {"relay": "closed", "auth": "none", "auth_before_tls": False}},
    ),
    "plaintext with server_condition": (
        config(main="tls_advertise_hosts =\n", auth=AUTH),
        {25: {"relay": "authenticated", "auth": "offered", "auth_before_tls": True}},
    ),
    # 5. $received_port in the advertising options is decided per listener
    "STARTTLS on 25 only": (
        config(
            main="daemon_smtp_ports = 25 : 587\n"
            "tls_advertise_hosts = ${if eq{$received_port}{25}{*}{}}\n",
            auth=AUTH,
        ),
        {
            25: {"tls": "optional", "auth_before_tls": True},
            587: {"tls": "none", "auth_before_tls": True},
        },
    ),
    "AUTH on 587 only": (
        config(
            main="daemon_smtp_ports = 25 : 587\n"
            "auth_advertise_hosts = ${if eq {$received_port}{587} {*}{}}\n",
            auth=AUTH,
        ),
        {
            25: {"tls": "optional", "auth": "none", "auth_before_tls": False},
            587: {"tls": "optional", "auth": "offered", "auth_before_tls": True},
        },
    ),
    "server_advertise_condition on 587 only": (
        config(
            main="daemon_smtp_ports = 25 : 587\n",
            auth=AUTH + "  server_advertise_condition = ${if ={$received_port}{587}}\n",
        ),
        {
            25: {"auth": "none", "auth_before_tls": False},
            587: {"auth": "offered", "auth_before_tls": True},
        },
    ),
    # 8. Debian's "too many bad recipients" deny cannot fire on the first RCPT
    "rcpt_count deny before relay_from_hosts = *": (
        config(
            relay_from="*",
            rcpt="acl_check_rcpt:\n"
            "  deny condition = ${if and {{>{$rcpt_count}{10}}"
            "{<{$recipients_count}{${eval:$rcpt_count/2}}} }}\n"
            "    message = Rejected for too many bad recipients\n" + STOCK_RCPT.split(":", 1)[1],
        ),
        {25: {"relay": "open", "v6": True}},
    ),
    "accept after many recipients": (
        config(rcpt="acl_check_rcpt:\n  accept condition = ${if >{$rcpt_count}{1}}\n"),
        {25: {"relay": "open"}},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_verdict_matches_exim(name: str, tmp_path: Path) -> None:
    text, expected = CASES[name]
    path = tmp_path / "exim.conf"
    path.write_text(text)
    assert bv_ok(path), text
    problems, _ = compare(path)
    assert not problems, "\n".join(problems) + "\n\n" + text
    posture = posture_of(path)
    seen = {
        li.port: {
            k: li.relay.verdict if k == "relay" else getattr(li, k) for k in want if k != "v6"
        }
        for li in posture.listeners
        for want in [expected.get(li.port, {})]
    }
    assert seen == {p: {k: v for k, v in w.items() if k != "v6"} for p, w in expected.items()}
    for port, want in expected.items():
        if want.get("v6") is not None:
            assert relays(path, STRANGER6, port) is want["v6"], f"IPv6 on {port}\n{text}"


def test_ipv6_session_works(tmp_path: Path) -> None:
    """The IPv6 stranger above is a real client to -bh (not a refused argument)."""
    path = tmp_path / "exim.conf"
    path.write_text(config())
    assert session(path, STRANGER6, 25, []).ehlo


def greeting(path: Path, client: str, port: int) -> str:
    """The reply code Exim greets a client with."""
    from tests.mta.exim.oracle_bh import _run

    _, out, _ = _run(path, client, port, "QUIT\r\n")
    codes = [ln[:3] for ln in out.splitlines() if ln[:3].isdigit()]
    return codes[0] if codes else ""


# 6. a connect ACL that refuses everyone: no greeting, so no listener findings
CONNECT_ACLS = {
    "deny everyone": ("acl_check_connect:\n  deny message = go away\n", True),
    "inline deny": (None, True),
    "trusted network only": (
        "acl_check_connect:\n  accept hosts = 192.0.2.0/24\n  deny\n",
        False,
    ),
}


@pytest.mark.parametrize("name", list(CONNECT_ACLS))
def test_connect_acl_refusing_everyone(name: str, tmp_path: Path) -> None:
    acl, refuses_all = CONNECT_ACLS[name]
    option = "acl_smtp_connect = " + ("deny" if acl is None else "acl_check_connect")
    text = config(main="daemon_smtp_ports = 25 : 587\n" + option + "\n", acls=acl or "", auth=AUTH)
    path = tmp_path / "exim.conf"
    path.write_text(text)
    assert bv_ok(path), text
    for port in (25, 587):
        assert greeting(path, "198.51.100.200", port).startswith("5")
        assert greeting(path, "192.0.2.7", port).startswith("5") is refuses_all
    listeners = posture_of(path).listeners
    assert (listeners == []) is refuses_all


# 11. VRFY and EXPN: answered (250/252) exactly when the posture / EX031 says so; they
# need neither HELO nor MAIL, so only the connect ACL runs before their own
VRFY_EXPN = {
    "both accepted, MAIL denied": ("acl_smtp_vrfy = accept\nacl_smtp_expn = accept\n", True),
    "unset": ("", False),
    "connect ACL refuses strangers": (
        "acl_smtp_vrfy = accept\nacl_smtp_expn = accept\nacl_smtp_connect = acl_check_connect\n",
        False,
    ),
    "loopback only": ("acl_smtp_vrfy = local_only\nacl_smtp_expn = local_only\n", False),
}
VRFY_ACLS = """
acl_check_mail:
  deny
acl_check_connect:
  accept hosts = 192.0.2.0/24
  deny
local_only:
  accept hosts = 127.0.0.1
  deny
"""


@pytest.mark.parametrize("name", list(VRFY_EXPN))
def test_vrfy_expn_match_exim(name: str, tmp_path: Path) -> None:
    from linter.discover import discover
    from linter.mta import Options
    from linter.mta.exim import analyse

    main, answered = VRFY_EXPN[name]
    text = config(main=main + "acl_smtp_mail = acl_check_mail\n", acls=VRFY_ACLS)
    path = tmp_path / "exim.conf"
    path.write_text(text)
    assert bv_ok(path), text
    s = session(path, "198.51.100.200", 25, ["VRFY postmaster@example.com", "EXPN postmaster"])
    codes = dict(s.replies)
    vrfy = codes.get("VRFY postmaster@example.com", "")
    expn = codes.get("EXPN postmaster", "")
    # an unset or denying ACL gives "252 Administrative prohibition"; a local address 250
    assert (vrfy == "250") is answered, s.raw[-400:]
    assert (expn == "250") is answered, s.raw[-400:]
    listeners = posture_of(path).listeners
    assert any(li.vrfy for li in listeners) is answered
    sets, _ = discover([path])
    facts = analyse(sets[0], Options()).facts
    assert bool(facts.get("exim.expn_answered")) is answered


# 11. a macro never defined, used as a file path: -bV accepts the file, -bt defers
ALIAS_ROUTER = """primary_hostname = mx.example.com
{define}domainlist local_domains = @ : example.com
begin routers
system_aliases:
  driver = redirect
  domains = +local_domains
  allow_fail
  allow_defer
  data = ${{lookup{{$local_part}}lsearch{{SYSTEM_ALIASES_FILE}}}}
local:
  driver = redirect
  domains = +local_domains
  data = :blackhole:
"""


@pytest.mark.parametrize("defined", [False, True])
def test_undefined_macro_path_defers(defined: bool, tmp_path: Path) -> None:
    from linter.discover import discover
    from linter.mta import Options
    from linter.mta.exim import analyse
    from tests.mta.exim.oracle_bv import run_exim

    aliases = tmp_path / "aliases"
    aliases.write_text("postmaster: :blackhole:\n")
    define = f"SYSTEM_ALIASES_FILE = {aliases}\n" if defined else ""
    path = tmp_path / "exim.conf"
    path.write_text(ALIAS_ROUTER.format(define=define))
    assert bv_ok(path)
    rc, out, _ = run_exim(path, "-bt", "postmaster@example.com")
    deferred = "cannot be resolved at this time" in out
    assert deferred is not defined, out
    sets, _ = discover([path])
    found = analyse(sets[0], Options()).facts.get("exim.undefined_macro_paths")
    assert bool(found) is deferred


# an RCPT ACL that refuses everyone: no submission listener to judge (EX020 says why)
@pytest.mark.parametrize("rcpt_option", ["", "acl_smtp_rcpt = deny\n", "acl_smtp_rcpt = nosuch\n"])
def test_rcpt_acl_refusing_everyone(rcpt_option: str, tmp_path: Path) -> None:
    from tests.mta.exim.oracle_bh import delivers_locally

    text = config(relay_from="127.0.0.1", main="daemon_smtp_ports = 25 : 587\n", auth=AUTH)
    text = text.replace("acl_smtp_rcpt = acl_check_rcpt\n", rcpt_option)
    path = tmp_path / "exim.conf"
    path.write_text(text)
    assert bv_ok(path), text
    for port in (25, 587):
        for client in ("198.51.100.200", "127.0.0.1"):
            for authenticate in (False, True):
                assert not relays(path, client, port, authenticate)
                assert not delivers_locally(path, client, port, authenticate)
    assert {li.role for li in posture_of(path).listeners} == {"smtp", "other"}


# 10. every finding has a file and a line where the fix goes (no "file=,line=0")
def test_every_finding_has_a_place(tmp_path: Path) -> None:
    from linter.check import check
    from linter.engine.rules import load_rules
    from linter.engine.runner import Selection
    from linter.mta import Options
    from tests.mta.exim.test_relay import SEEDS, generate

    rules = load_rules()
    texts = [generate(seed) for seed in SEEDS] + [
        config(rcpt="acl_check_rcpt:\n  accept\n").replace(
            "acl_smtp_rcpt = acl_check_rcpt", "acl_smtp_rcpt = accept"
        ),
        *(text for text, _ in CASES.values()),
    ]
    for i, text in enumerate(texts):
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        (folder / "exim.conf").write_text(text)
    result = check([tmp_path], rules, Selection(), Options())
    assert result.findings
    unplaced = [f for f in result.findings if not f.span.path or f.span.line < 1]
    assert not unplaced, [(f.rule, f.message) for f in unplaced[:5]]


# 9. one smtp_banner, one banner item naming the listeners it greets on (for the
# cross-MTA banner rule to report it once, at the setting)
def test_one_banner_item_for_all_listeners(tmp_path: Path) -> None:
    from linter.discover import discover
    from linter.mta import Options
    from linter.mta.exim import analyse

    path = tmp_path / "exim.conf"
    path.write_text(
        config(
            main="daemon_smtp_ports = 25 : 465 : 587\nsmtp_banner = $smtp_active_hostname Exim\n"
        )
    )
    sets, _ = discover([path])
    facts = analyse(sets[0], Options()).facts
    banners = facts.get("exim.banners")
    assert [b["listeners"] for b in banners] == [["*:25", "*:465", "*:587"]]
    assert banners[0]["expanded"] == "mx.example.com Exim"
    assert facts.span_of("exim.banners[0]").line == 7
    # Exim sends that greeting on every port
    from tests.mta.exim.oracle_bh import _run

    for port in (25, 587):
        out = _run(path, "198.51.100.200", port, "QUIT\r\n")[1]
        assert "220 mx.example.com Exim" in out


def test_lists_naming_each_other_many_times_are_judged_quickly(tmp_path: Path) -> None:
    """14 host and domain lists, each naming the next eight times: 8**14 paths through
    them, each list worked out once (this used to run for minutes)."""
    import time

    lines = ["primary_hostname = mx.example.com", "domainlist local_domains = @"]
    for i in range(14):
        lines.append(f"hostlist h{i} = " + " : ".join([f"+h{i + 1}"] * 8))
        lines.append(f"domainlist d{i} = " + " : ".join([f"+d{i + 1}"] * 8))
    lines += ["hostlist h14 = 10.0.0.1", "domainlist d14 = example.org"]
    lines += ["acl_smtp_rcpt = acl_check_rcpt", "begin acl", "acl_check_rcpt:"]
    lines += ["  accept hosts = +h0", "  accept domains = +d0", "  deny"]
    path = tmp_path / "exim.conf"
    path.write_text("\n".join(lines) + "\n")
    assert bv_ok(path)
    start = time.monotonic()
    listeners = posture_of(path).listeners
    assert time.monotonic() - start < 10
    assert [li.relay.verdict for li in listeners] == ["networks"]
    assert not relays(path, "198.51.100.200", 25)
    assert relays(path, "10.0.0.1", 25)


# an ACL that accepts every recipient on a host whose routers deliver only locally: Exim
# takes RCPT (-bh) but -bt finds no route for another domain, so nothing is relayed
LOCAL_ONLY_ROUTERS = """primary_hostname = mx.example.com
domainlist local_domains = @ : example.com
acl_smtp_rcpt = accept
begin routers
{routers}
begin transports
local_delivery:
  driver = appendfile
  file = /var/mail/$local_part
remote_smtp:
  driver = smtp
"""


@pytest.mark.parametrize(
    ("routers", "relays_out"),
    [
        (
            "localuser:\n  driver = accept\n  transport = local_delivery",
            False,
        ),
        (
            "smarthost:\n  driver = manualroute\n  transport = remote_smtp\n"
            "  route_list = * 192.0.2.99",
            True,
        ),
        (
            "fixed:\n  driver = accept\n  domains = ! +local_domains\n  transport = remote_smtp",
            True,
        ),
    ],
    ids=["local-only", "manualroute", "accept-with-smtp-transport"],
)
def test_accept_all_relays_only_with_a_route_out(
    routers: str, relays_out: bool, tmp_path: Path
) -> None:
    from tests.mta.exim.oracle_bv import run_exim

    path = tmp_path / "exim.conf"
    path.write_text(LOCAL_ONLY_ROUTERS.format(routers=routers))
    assert bv_ok(path)
    _, out, _ = run_exim(path, "-bt", "someone@elsewhere.example")
    # relayed: handed to the smtp transport (to another host), not delivered or bounced here
    assert ("transport = remote_smtp" in out) is relays_out, out
    verdicts = {li.relay.verdict for li in posture_of(path).listeners}
    assert ("open" in verdicts) is relays_out, verdicts
