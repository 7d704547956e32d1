"""The online checks against real DNS servers (tests/dns/server.py): NSD serving zones, one
that never answers and one that answers SERVFAIL. Every rule's own cases run in
tests/rules/test_rules.py; here: the resolver's answers for each kind of reply, the time budget, the
command line, and what each MTA gives the checks as input.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.dns import parse_resolver
from linter.dns.inputs import DnsInputs
from linter.dns.records import dkim, dmarc, rsa_key_bits, tags
from linter.dns.resolver import Resolver, ResolverSettings
from tests.dns.server import nsd, nsd_missing, servfail, silent

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")

ZONE = """
@ IN MX 10 mx.example.com.
@ IN TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
mx IN A 192.0.2.10
alias IN CNAME mx.example.com.
loop1 IN CNAME loop2.example.com.
loop2 IN CNAME loop1.example.com.
"""
# a TXT answer too big for one UDP datagram: the resolver must retry over TCP
BIG = " ".join(f'"{"x" * 250}"' for _ in range(12))


def resolver_for(address: str, budget: float = 5.0, per_query: float = 3.0) -> Resolver:
    host, port = parse_resolver(address)
    return Resolver(ResolverSettings(host, port, budget=budget, per_query=per_query))


def test_answers_from_a_real_server() -> None:
    with nsd({"example.com": ZONE + f"big IN TXT {BIG}\n"}) as address:
        r = resolver_for(address)
        txt = r.lookup("example.com", "TXT")
        assert (txt.status, txt.texts) == ("ok", ("v=spf1 ip4:192.0.2.10 -all",))
        assert r.lookup("nope.example.com", "A").status == "nxdomain"
        assert r.lookup("mx.example.com", "AAAA").status == "nodata"
        alias = r.lookup("alias.example.com", "A")
        assert (alias.status, alias.records, alias.canonical) == (
            "ok",
            ("192.0.2.10",),
            "mx.example.com",
        )
        # a zone the server does not serve
        assert r.lookup("example.org", "A").status == "refused"
        big = r.lookup("big.example.com", "TXT")
        assert big.status == "ok" and len(big.texts[0]) == 12 * 250
        loop = r.lookup("loop1.example.com", "A")
        assert loop.status in ("error", "nodata", "servfail") and loop.unverified or not loop.ok


def test_answers_are_cached() -> None:
    with nsd({"example.com": ZONE}) as address:
        r = resolver_for(address)
        r.lookup("example.com", "MX")
        r.lookup("EXAMPLE.com.", "MX")
        assert r.queries == 1


def test_a_silent_server_costs_the_budget_once() -> None:
    with silent() as address:
        r = resolver_for(address, budget=1.0, per_query=0.6)
        start = time.monotonic()
        answers = [r.lookup(f"n{i}.example.com", "A") for i in range(10)]
        elapsed = time.monotonic() - start
    assert {a.status for a in answers} == {"timeout"}
    assert elapsed < 2.0, f"ten lookups took {elapsed:.1f}s with a 1s budget"


def test_servfail_is_an_answer() -> None:
    with servfail() as address:
        answer = resolver_for(address).lookup("example.com", "TXT")
    assert answer.status == "servfail" and answer.unverified


def test_concurrent_lookups_take_about_the_slowest_one() -> None:
    with silent() as address:
        r = resolver_for(address, budget=5.0, per_query=0.5)
        r.settings.concurrency = 8
        start = time.monotonic()
        r.lookup_many([(f"n{i}.example.com", "A") for i in range(8)])
        elapsed = time.monotonic() - start
    assert elapsed < 1.5, f"8 concurrent 0.5s timeouts took {elapsed:.1f}s"


def test_a_65000_byte_txt_record_arrives_whole() -> None:
    # beyond any UDP answer: truncated, then fetched again over TCP
    huge = " ".join(f'"{"y" * 255}"' for _ in range(250))
    with nsd({"example.com": f"huge IN TXT {huge}\n"}) as address:
        answer = resolver_for(address).lookup("huge.example.com", "TXT")
    assert answer.status == "ok"
    assert len(answer.texts[0]) == 250 * 255


def test_spf_include_loop_is_a_permanent_error() -> None:
    from linter.dns.spf import evaluate

    zone = (
        '@ IN TXT "v=spf1 include:loop.example.com -all"\n'
        'loop IN TXT "v=spf1 include:example.com -all"\n'
    )
    with nsd({"example.com": zone}) as address:
        start = time.monotonic()
        result = evaluate(resolver_for(address), "192.0.2.10", "example.com", "mx.example.com")
    assert result["result"] == "permerror", result
    assert time.monotonic() - start < 5


def test_spf_through_a_silent_server_is_a_temporary_error() -> None:
    from linter.dns.spf import evaluate

    with silent() as address:
        result = evaluate(
            resolver_for(address, budget=1.0, per_query=0.5), "192.0.2.10", "example.com", ""
        )
    assert result["result"] == "temperror"


# ---------------------------------------------------------------- records


def test_tag_lists() -> None:
    assert tags("v=DMARC1; p=reject; rua=mailto:a@b") == {
        "v": "DMARC1",
        "p": "reject",
        "rua": "mailto:a@b",
    }
    assert tags("v=DMARC1; p=none; p=reject") is None  # a tag twice is invalid


def test_dmarc_records() -> None:
    assert dmarc(("v=DMARC1; p=quarantine; pct=50",))["pct"] == 50
    assert dmarc(("v=spf1 -all",))["status"] == "missing"
    assert dmarc(("v=DMARC1; p=maybe",))["status"] == "invalid"
    assert dmarc(("v=dmarc1; p=reject",))["status"] == "missing"


@pytest.mark.parametrize("bits", [512, 1024, 2048, 4096])
def test_rsa_key_sizes(bits: int) -> None:
    import base64
    import subprocess

    pem = subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}"],
        capture_output=True,
        check=True,
    ).stdout
    der = subprocess.run(
        ["openssl", "pkey", "-pubout", "-outform", "DER"],
        input=pem,
        capture_output=True,
        check=True,
    ).stdout
    assert rsa_key_bits(der) == bits
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    assert dkim((record,))["key_bits"] == bits


def test_dkim_records() -> None:
    assert dkim(("v=DKIM1; k=rsa; p=",))["status"] == "revoked"
    assert dkim(("v=DKIM1; p=!!!",))["status"] == "invalid"
    assert dkim(())["status"] == "missing"


# ---------------------------------------------------------------- command line


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


POSTFIX = """myhostname = mx.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost, $mydomain
"""


def test_dnspython_is_not_imported_offline(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "main.cf").write_text(POSTFIX)
    code = (
        "import sys\n"
        "from linter.cli import main\n"
        f"try:\n    main(['check', {str(tmp_path)!r}, '--exit-zero'])\n"
        "except SystemExit:\n    pass\n"
        "print('dns' in sys.modules, 'spf' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_offline_by_default(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(POSTFIX)
    code, out = run(["check", str(tmp_path), "--format", "json", "--select", "DNS"])
    assert code == 0, out
    assert json.loads(out)["findings"] == []


def test_online_check_reports_dns_findings(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(POSTFIX)
    zone = '@ IN MX 10 mx.example.com.\nmx IN A 192.0.2.10\n@ IN TXT "v=spf1 +all"\n'
    with nsd(
        {"example.com": zone, "2.0.192.in-addr.arpa": "11 IN PTR other.example.com.\n"}
    ) as address:
        code, out = run(
            [
                "check",
                str(tmp_path),
                "--online",
                "--resolver",
                address,
                "--public-ip",
                "192.0.2.10",
                "--select",
                "DNS",
                "--format",
                "json",
            ]
        )
    assert code == 1, out
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    # +all, no DMARC, no PTR for the address; SPF itself passes the address
    assert {"DNS005", "DNS009", "DNS021"} <= rules
    assert "DNS004" not in rules


def test_unanswered_dns_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "main.cf").write_text(POSTFIX)
    with silent() as address:
        start = time.monotonic()
        code, out = run(
            [
                "check",
                str(tmp_path),
                "--online",
                "--resolver",
                address,
                "--dns-timeout",
                "1",
                "--select",
                "DNS",
                "--format",
                "json",
            ]
        )
        elapsed = time.monotonic() - start
    assert code == 1, out
    findings = json.loads(out)["findings"]
    assert findings and {f["rule"] for f in findings} == {"DNS028"}
    assert elapsed < 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--resolver", "127.0.0.1"], "need --online"),
        (["--online", "--resolver", "not-an-ip"], "invalid --resolver"),
        (["--online", "--resolver", "127.0.0.1:99999"], "invalid --resolver"),
        (["--online", "--public-ip", "300.1.1.1"], "invalid --public-ip"),
        (["--online", "--dnsbl", "bad zone"], "invalid --dnsbl"),
    ],
)
def test_bad_online_options(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "main.cf").write_text(POSTFIX)
    code, out = run(["check", str(tmp_path), *args])
    assert code == 2 and message in out, out


# ---------------------------------------------------------------- inputs from each MTA


def dns_inputs(tmp_path: Path, files: dict[str, str], **options: object) -> object:
    from linter.check import analyse_set
    from linter.discover import discover
    from linter.dns import DnsOptions
    from linter.dns.inputs import inputs_from
    from linter.mta import Options

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    sets, _ = discover([tmp_path])
    posture = analyse_set(sets[0], Options()).posture
    assert posture is not None
    return inputs_from(posture, DnsOptions(**options))  # type: ignore[arg-type]


def test_inputs_from_postfix(tmp_path: Path) -> None:
    inputs = dns_inputs(
        tmp_path,
        {
            "main.cf": POSTFIX
            + "smtp_bind_address = 192.0.2.10\nmasquerade_domains = example.net\n"
            "relayhost = [smtp.provider.example]:587\nsmtpd_milters = inet:127.0.0.1:8891\n"
        },
    )
    assert inputs.hostname == "mx.example.com"  # type: ignore[attr-defined]
    assert inputs.sending_domains == ["example.com", "example.net"]  # type: ignore[attr-defined]
    assert inputs.receiving_domains == ["example.com"]  # type: ignore[attr-defined]
    assert inputs.outbound_addresses == ["192.0.2.10"]  # type: ignore[attr-defined]
    assert inputs.relayhost == "smtp.provider.example"  # type: ignore[attr-defined]
    assert inputs.dkim_signing == "maybe"  # type: ignore[attr-defined]


def test_inputs_from_exim(tmp_path: Path) -> None:
    inputs = dns_inputs(
        tmp_path,
        {
            "exim.conf": "primary_hostname = mx.example.com\nqualify_domain = example.com\n"
            "domainlist local_domains = @ : example.com\n"
            "begin transports\nremote_smtp:\n  driver = smtp\n  interface = 192.0.2.20\n"
            "  dkim_domain = example.com\n  dkim_selector = s2026\n"
            "  dkim_private_key = /etc/exim4/dkim.key\n"
        },
        dkim_selectors=["extra"],
    )
    assert inputs.sending_domains == ["example.com"]  # type: ignore[attr-defined]
    assert inputs.outbound_addresses == ["192.0.2.20"]  # type: ignore[attr-defined]
    assert inputs.dkim_selectors == ["s2026", "extra"]  # type: ignore[attr-defined]
    assert inputs.dkim_signing == "yes"  # type: ignore[attr-defined]


# a value whose expansion passes Postfix's size limit (10 characters, ten times over six
# times): mtalint does not know it
UNKNOWN = "a0 = 0123456789\n" + "".join(f"a{i} = {f'$a{i - 1}' * 10}\n" for i in range(1, 7))


def test_inputs_leave_out_what_postfix_could_not_work_out(tmp_path: Path) -> None:
    # the posture forgets the relayhost and the source address: neither is asked about,
    # nor is the unexpanded text taken for a name
    inputs = dns_inputs(
        tmp_path,
        {
            "main.cf": POSTFIX
            + UNKNOWN
            + "relayhost = [$a6.example.net]\nsmtp_bind_address = 192.0.2.$a6\n"
            "masquerade_domains = $a6.example.org\n"
        },
        public_ips=["192.0.2.30"],
    )
    assert inputs.hostname == "mx.example.com"  # type: ignore[attr-defined]
    assert inputs.relayhost == ""  # type: ignore[attr-defined]
    assert inputs.outbound_addresses == ["192.0.2.30"]  # type: ignore[attr-defined]
    assert inputs.sending_domains == ["example.com"]  # type: ignore[attr-defined]


def test_inputs_of_a_master_cf_alone_are_the_command_line_s(tmp_path: Path) -> None:
    # the identity and outbound path are main.cf's, which was not read: not even the
    # client's own -o settings make them known (its relayhost could be in main.cf)
    inputs = dns_inputs(
        tmp_path,
        {
            "master.cf": "smtp inet n - y - - smtpd\n"
            "smtp unix - - y - - smtp\n  -o smtp_tls_security_level=dane\n"
        },
        public_ips=["192.0.2.30"],
        dkim_selectors=["s1"],
    )
    assert inputs == DnsInputs(  # type: ignore[comparison-overlap]
        outbound_addresses=["192.0.2.30"],
        address_sources={"192.0.2.30": "--public-ip"},
        dkim_selectors=["s1"],
    )
