"""The online checks judged against the RFC clauses, on zones a real NSD serves
(tests/dns/server.py): every case names the clause that decides it.

The facts (``dns.domains[]`` and friends) are read directly from
:func:`linter.dns.checks.dns_facts` for one posture naming all test domains; the rules that
judge them carry their own YAML cases (tests/rules/test_rules.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from linter.dns import DnsOptions, parse_resolver
from linter.dns.checks import dns_facts
from linter.dns.resolver import Resolver, ResolverSettings
from tests.dns.postures import posture
from tests.dns.server import nsd, nsd_missing

pytestmark = pytest.mark.skipif(nsd_missing() is not None, reason=nsd_missing() or "")

TEN = " ".join(f"a:h{i}.spf.test" for i in range(10))
BIG = "v=spf1 " + " ".join(f"ip4:203.0.113.{i}" for i in range(40)) + " -all"
HOSTS = "".join(f"h{i} IN A 198.51.100.{i + 1}\n" for i in range(10))

# domain → zone text; one NSD serves them all
ZONES: dict[str, str] = {
    "spf.test": HOSTS
    + 'plusall IN TXT "v=spf1 +all"\n'
    + 'minusall IN TXT "v=spf1 ip4:192.0.2.10 -all"\n',
    # §4.7: no all and no redirect: a host no term matches is neutral
    "noall.test": '@ IN TXT "v=spf1 ip4:192.0.2.10"\n',
    # §6.1: the redirect target's +all decides
    "redirplus.test": '@ IN TXT "v=spf1 ip4:192.0.2.10 redirect=plusall.spf.test"\n',
    # §5.2: include of a record that passes everyone passes everyone
    "incplus.test": '@ IN TXT "v=spf1 include:plusall.spf.test -all"\n',
    "incminus.test": '@ IN TXT "v=spf1 include:minusall.spf.test -all"\n',
    # §4.6.4 / §5: the first terms cover 192.0.2.255, a later one is a syntax error
    "hidden.test": '@ IN TXT "v=spf1 ip4:192.0.2.0/24 ip4:300.1.1.1 -all"\n',
    # §6.1: redirect with all anywhere is ignored, and not counted: 10 lookups exactly
    "tenredir.test": f'@ IN TXT "v=spf1 {TEN} redirect=minusall.spf.test -all"\n',
    "eleven.test": f'@ IN TXT "v=spf1 {TEN} a:h0.spf.test -all"\n',
    # §4.6.4: void lookups, one per term
    "void2.test": '@ IN TXT "v=spf1 a:none1.void2.test mx:none2.void2.test -all"\n',
    "void3.test": '@ IN TXT "v=spf1 a:n1.void3.test a:n2.void3.test a:n3.void3.test -all"\n',
    # an mx whose three hosts have no address: one void term, not three
    "mxvoid.test": '@ IN TXT "v=spf1 mx:m.mxvoid.test a:n1.mxvoid.test -all"\n'
    + "m IN MX 10 x1.mxvoid.test.\nm IN MX 20 x2.mxvoid.test.\nm IN MX 30 x3.mxvoid.test.\n"
    + 'x1 IN TXT "no address"\nx2 IN TXT "no address"\nx3 IN TXT "no address"\n',
    # §5.5: ptr SHOULD NOT be published
    "ptr.test": '@ IN TXT "v=spf1 ptr ip4:192.0.2.10 -all"\n',
    # §3.4: over 512 octets
    "big.test": "@ IN TXT "
    + " ".join(f'"{BIG[i : i + 200]}"' for i in range(0, len(BIG), 200))
    + "\n",
    # RFC 7489 §6.4: "DMARC1" is case-sensitive and the v= tag comes first
    "dmarclower.test": '_dmarc IN TXT "v=dmarc1; p=reject"\n',
    "dmarcspace.test": '_dmarc IN TXT " v=DMARC1; p=reject"\n',
    "dmarcwsp.test": '_dmarc IN TXT "v = DMARC1; p = reject"\n',
    # §6.6.3 step 6: an invalid sp (or p), or no p, and receivers act as p=none
    "dmarcsp.test": '_dmarc IN TXT "v=DMARC1; p=reject; sp=block; rua=mailto:d@dmarcsp.test"\n',
    "dmarcnop.test": '_dmarc IN TXT "v=DMARC1; rua=mailto:d@dmarcnop.test"\n',
    "dmarcnoprua.test": '_dmarc IN TXT "v=DMARC1; sp=reject"\n',
    # §6.3: sp weaker than p
    "dmarcweak.test": '_dmarc IN TXT "v=DMARC1; p=reject; sp=none"\n',
    # §6.4: rua/ruf are URIs; §7.1: an external report domain must agree
    "dmarcuri.test": '_dmarc IN TXT "v=DMARC1; p=reject; '
    'rua=d@dmarcuri.test,mailto:x@dmarcuri.test"\n',
    "dmarcext.test": '_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:a@rep.test!10m; '
    'ruf=mailto:b@other.test"\n',
    "rep.test": 'dmarcext.test._report._dmarc IN TXT "v=DMARC1"\n',
    "other.test": "www IN A 192.0.2.80\n",
}

SENDING = [name for name in ZONES if name != "spf.test"]


@pytest.fixture(scope="module")
def facts() -> Any:
    with nsd(ZONES) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(host, port, budget=30.0))
        identity = {"hostname": "mx.example.com", "sending_domains": SENDING}
        yield dns_facts(posture(identity), DnsOptions(public_ips=["192.0.2.10"]), resolver)


def domain(facts: Any, name: str) -> dict[str, Any]:
    return next(d for d in facts["domains"] if d["name"] == name)


def spf(facts: Any, name: str) -> dict[str, Any]:
    return domain(facts, name)["spf"]


# ---------------------------------------------------------------- SPF (RFC 7208)


def test_no_all_leaves_other_hosts_neutral(facts: Any) -> None:
    # §4.7: "If none of the mechanisms match and there is no redirect modifier, then the
    # check_host() returns a result of neutral"
    s = spf(facts, "noall.test")
    assert s["all"] == "" and s["unlisted"]["result"] == "neutral"


def test_redirect_to_plus_all_passes_everyone(facts: Any) -> None:
    # §6.1: the result is that of the redirect target, here +all
    assert spf(facts, "redirplus.test")["unlisted"]["result"] == "pass"


def test_include_of_plus_all_passes_everyone(facts: Any) -> None:
    # §5.2: include matches when the included record's result is pass
    assert spf(facts, "incplus.test")["unlisted"]["result"] == "pass"
    assert spf(facts, "incminus.test")["unlisted"]["result"] == "fail"


def test_a_later_permerror_is_not_hidden_by_earlier_terms(facts: Any) -> None:
    # §4.6 / §5.6: ip4:300.1.1.1 is a syntax error: permerror for every host that reaches it
    s = spf(facts, "hidden.test")
    assert s["unlisted"]["address"] != "192.0.2.255"
    assert s["status"] == "permerror", s


def test_redirect_beside_all_is_ignored_and_not_counted(facts: Any) -> None:
    # §6.1: "Any 'redirect' modifier MUST be ignored if there is an 'all' mechanism
    # anywhere in the record"; 10 lookups is within §4.6.4's limit
    s = spf(facts, "tenredir.test")
    assert s["status"] == "ok" and s["lookups"] == 10 and not s["lookup_limit"], s
    s = spf(facts, "eleven.test")
    assert s["status"] == "permerror" and s["lookup_limit"], s


def test_pyspf_alone_counts_the_ignored_redirect() -> None:
    # the difference the correction makes: pyspf, given the record as published, counts
    # the ignored redirect as the 11th lookup
    import spf as pyspf

    zones = {"tenredir.test": ZONES["tenredir.test"], "spf.test": ZONES["spf.test"]}
    with nsd(zones) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(host, port, budget=20.0))
        from linter.dns.spf import _hook

        lookup = _hook(resolver)
        record = resolver.lookup("tenredir.test", "TXT").texts[0]
        saved = pyspf.DNSLookup
        pyspf.DNSLookup = lookup
        try:
            q = pyspf.query(i="192.0.2.255", s="postmaster@tenredir.test", h="tenredir.test")
            result = q.check(spf=record)[0]
        finally:
            pyspf.DNSLookup = saved
    assert result == "permerror"


def test_void_lookups_are_counted_per_term(facts: Any) -> None:
    # §4.6.4: more than two void lookups is a permerror; counted once per term
    assert len(spf(facts, "void2.test")["void_terms"]) == 2
    assert spf(facts, "void2.test")["status"] == "ok"
    s = spf(facts, "void3.test")
    assert len(s["void_terms"]) == 3 and s["void_limit"] and s["status"] == "permerror"
    # an mx whose hosts have no address: the MX query answered, so the term is not void
    s = spf(facts, "mxvoid.test")
    assert len(s["void_terms"]) == 1 and s["status"] == "ok", s


def test_ptr_and_size_notes(facts: Any) -> None:
    # §5.5: ptr SHOULD NOT be published; §3.4: keep the record within 512 octets
    assert spf(facts, "ptr.test")["ptr"] == ["ptr.test"]
    assert spf(facts, "noall.test")["ptr"] == []
    assert spf(facts, "big.test")["oversized"][0]["octets"] > 512
    assert spf(facts, "noall.test")["oversized"] == []


# ---------------------------------------------------------------- DMARC (RFC 7489)


def dmarc(facts: Any, name: str) -> dict[str, Any]:
    return domain(facts, name)["dmarc"]


def test_dmarc_version_is_case_sensitive_and_first(facts: Any) -> None:
    # §6.4: v "MUST have the value of DMARC1 ... MUST match precisely"; §6.6.3 step 3:
    # records not beginning with v=DMARC1 are discarded: no DMARC record for a receiver
    for name in ("dmarclower.test", "dmarcspace.test"):
        d = dmarc(facts, name)
        assert d["status"] == "missing" and d["discarded"], (name, d)


def test_dmarc_allows_blanks_around_equals(facts: Any) -> None:
    # §6.4 ABNF: dmarc-version = "v" *WSP "=" *WSP "DMARC1"; tag values likewise
    d = dmarc(facts, "dmarcwsp.test")
    assert (d["status"], d["policy"]) == ("ok", "reject"), d


def test_invalid_policy_acts_as_none(facts: Any) -> None:
    # §6.6.3 step 6: an invalid sp or p, or none at all: p=none when rua has a URI, else
    # no DMARC; either way nothing is enforced
    d = dmarc(facts, "dmarcsp.test")
    assert (d["status"], d["acts_as"]) == ("invalid", "p=none"), d
    assert dmarc(facts, "dmarcnop.test")["acts_as"] == "p=none"
    assert dmarc(facts, "dmarcnoprua.test")["acts_as"] == "no DMARC"


def test_weaker_subdomain_policy(facts: Any) -> None:
    # §6.3 sp: the policy for subdomains
    assert dmarc(facts, "dmarcweak.test")["sp_weaker"] is True
    assert dmarc(facts, "dmarcwsp.test")["sp_weaker"] is False


def test_report_uris_and_their_authorisation(facts: Any) -> None:
    # §6.4: rua/ruf are URIs
    assert dmarc(facts, "dmarcuri.test")["bad_uris"] == ["d@dmarcuri.test"]
    # §7.1: rep.test publishes dmarcext.test._report._dmarc.rep.test, other.test does not
    assert dmarc(facts, "dmarcext.test")["unauthorised_reports"] == ["other.test"]
    assert dmarc(facts, "dmarcuri.test")["unauthorised_reports"] == []


def test_organisation_without_the_public_suffix_list() -> None:
    from linter.dns.checks import same_organisation

    assert same_organisation("mail.example.com", "reports.example.com")
    assert not same_organisation("example.co.uk", "other.co.uk")
    assert same_organisation("a.example.co.uk", "example.co.uk")


# ------------------------------------------------- MX, TLS-RPT, DKIM (RFC 6376), DANE

INBOUND: dict[str, str] = {
    # RFC 5321 §5.1: an MX names a host; RFC 2181 §10.3: not an alias
    "mxip.test": "@ IN MX 10 192.0.2.10.\n",
    "mxcname.test": "@ IN MX 10 mail.mxcname.test.\nmail IN CNAME mx.mxcname.test.\n"
    + "mx IN A 192.0.2.10\n"
    + '_smtp._tls IN TXT "v=TLSRPTv1; rua=tls@mxcname.test"\n',
    "mxok.test": "@ IN MX 10 mx.mxok.test.\nmx IN A 192.0.2.10\n"
    + '_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls@mxok.test,https://r.mxok.test/x"\n'
    + 'bad._domainkey IN TXT "v=DKIM1; k=rsa; p=not*base64!"\n'
    + 'dsa._domainkey IN TXT "v=DKIM1; k=dsa; p=AAAA"\n'
    + f"_25._tcp.mx IN TLSA 3 1 1 {'ab' * 32}\n",
}


@pytest.fixture(scope="module")
def inbound() -> Any:
    with nsd(INBOUND) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(host, port, budget=30.0))
        identity = {
            "hostname": "mx.example.org",
            "destinations": list(INBOUND),
            "sending_domains": ["mxok.test"],
            "dkim_selectors": ["bad", "dsa"],
        }
        yield dns_facts(
            posture(identity, outbound_tls="dane"), DnsOptions(public_ips=["192.0.2.10"]), resolver
        )


def test_mx_naming_an_address_or_an_alias(inbound: Any) -> None:
    assert domain(inbound, "mxip.test")["mx"]["ip_targets"] == ["192.0.2.10"]
    assert domain(inbound, "mxcname.test")["mx"]["cname_targets"] == ["mail.mxcname.test"]
    ok = domain(inbound, "mxok.test")["mx"]
    assert ok["ip_targets"] == [] and ok["cname_targets"] == []


def test_tlsrpt_rua_needs_a_scheme(inbound: Any) -> None:
    # RFC 8460 §3: rua is a list of URIs (mailto: or https:)
    assert domain(inbound, "mxcname.test")["tlsrpt"]["bad_uris"] == ["tls@mxcname.test"]
    assert domain(inbound, "mxok.test")["tlsrpt"]["bad_uris"] == []


def test_dkim_keys_that_cannot_be_used(inbound: Any) -> None:
    # RFC 6376 §3.6.1: p= is base64; unknown k= types are ignored by verifiers
    keys = {k["selector"]: k for k in inbound["dkim"]}
    assert keys["bad"]["status"] == "invalid" and "base64" in keys["bad"]["problem"]
    assert keys["dsa"]["status"] == "invalid" and "k=dsa" in keys["dsa"]["problem"]


def test_tlsa_of_an_unsigned_zone_gives_no_protection(inbound: Any) -> None:
    # RFC 7672 §2.2: only DNSSEC-validated TLSA records count; NSD's unsigned zone
    # answers without the AD bit
    tlsa = {t["host"]: t for t in inbound["tlsa"]}
    assert tlsa["mx.mxok.test"]["status"] == "ok"
    assert tlsa["mx.mxok.test"]["unvalidated"] is True
    assert tlsa["mail.mxcname.test"]["unvalidated"] is False  # no TLSA: DNS026's case


# ---------------------------------------------------------------- MTA-STS (RFC 8461)


def sts_zone(name: str, mx: str = "mx", address: bool = True) -> str:
    return f'@ IN MX 10 {mx}.{name}.\n{mx} IN A 192.0.2.10\n_mta-sts IN TXT "v=STSv1; id=1"\n' + (
        "mta-sts IN A 127.0.0.1\n" if address else ""
    )


def policy(mode: str, *mx: str) -> str:
    return (
        "version: STSv1\r\nmode: "
        + mode
        + "\r\n"
        + "".join(f"mx: {m}\r\n" for m in mx)
        + ("max_age: 86400\r\n")
    )


STS: dict[str, str] = {
    "stsok.test": sts_zone("stsok.test"),
    "https://mta-sts.stsok.test/.well-known/mta-sts.txt": policy("enforce", "mx.stsok.test"),
    # §4.1: "*.example.com" stands for exactly one label
    "stswild.test": sts_zone("stswild.test", "a.b"),
    "https://mta-sts.stswild.test/.well-known/mta-sts.txt": policy("enforce", "*.stswild.test"),
    "stsone.test": sts_zone("stsone.test", "mail"),
    "https://mta-sts.stsone.test/.well-known/mta-sts.txt": policy("enforce", "*.stsone.test"),
    # §5: in enforce mode an MX no pattern matches gets no mail from MTA-STS senders
    "stsmiss.test": sts_zone("stsmiss.test"),
    "https://mta-sts.stsmiss.test/.well-known/mta-sts.txt": policy("enforce", "mx.other.test"),
    "ststesting.test": sts_zone("ststesting.test"),
    "https://mta-sts.ststesting.test/.well-known/mta-sts.txt": policy("testing", "x.test"),
    # §3.3: no policy to fetch means no MTA-STS; redirects are not followed
    "stsnohost.test": sts_zone("stsnohost.test", address=False),
    "sts404.test": sts_zone("sts404.test"),
    "stsredirect.test": sts_zone("stsredirect.test"),
    "https://mta-sts.stsredirect.test/.well-known/mta-sts.txt": "HTTP 301",
    # §3.2: mode is enforce, testing or none
    "stsmode.test": sts_zone("stsmode.test"),
    "https://mta-sts.stsmode.test/.well-known/mta-sts.txt": policy("enforcing", "mx.stsmode.test"),
}


def sts_facts(urls_trusted: bool = True) -> Any:
    from tests.dns.server import https_policies

    zones = {k: v for k, v in STS.items() if not k.startswith("https://")}
    urls = {k: v for k, v in STS.items() if k.startswith("https://")}
    with https_policies(urls, trust=urls_trusted), nsd(zones) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(host, port, budget=30.0))
        identity = {"hostname": "mx.example.org", "destinations": list(zones)}
        return dns_facts(posture(identity), DnsOptions(), resolver)


@pytest.fixture(scope="module")
def sts() -> Any:
    return sts_facts()


def mta_sts(facts: Any, name: str) -> dict[str, Any]:
    return domain(facts, name)["mta_sts"]


def test_policy_is_fetched_and_mx_matched(sts: Any) -> None:
    ok = mta_sts(sts, "stsok.test")
    assert ok["policy"]["status"] == "ok" and ok["policy"]["mode"] == "enforce", ok
    assert ok["unmatched_mx"] == []
    assert mta_sts(sts, "stsone.test")["unmatched_mx"] == []


def test_enforce_policy_must_list_every_mx(sts: Any) -> None:
    # §5 / §4.1
    assert mta_sts(sts, "stsmiss.test")["unmatched_mx"] == ["mx.stsmiss.test"]
    assert mta_sts(sts, "stswild.test")["unmatched_mx"] == ["a.b.stswild.test"]
    # testing mode: senders deliver anyway and report
    assert mta_sts(sts, "ststesting.test")["unmatched_mx"] == []


def test_no_fetchable_policy_means_no_mta_sts(sts: Any) -> None:
    # §3.3
    for name in ("stsnohost.test", "sts404.test", "stsredirect.test"):
        assert mta_sts(sts, name)["policy"]["status"] == "unfetchable", name
    assert "301" in mta_sts(sts, "stsredirect.test")["policy"]["problem"]


def test_policy_mode_must_be_known(sts: Any) -> None:
    # §3.2
    p = mta_sts(sts, "stsmode.test")["policy"]
    assert p["status"] == "invalid" and "enforcing" in p["problem"], p


def test_certificate_must_verify() -> None:
    # §3.3: the policy host's certificate is checked (RFC 6125); a CA the tool does not
    # trust means no policy
    p = mta_sts(sts_facts(urls_trusted=False), "stsok.test")["policy"]
    assert p["status"] == "unfetchable" and "certificate" in p["problem"], p


def test_a_record_of_thousands_of_terms_costs_a_bounded_number_of_queries() -> None:
    # §4.6.4 stops a receiver after 10 lookup terms; the walk for void terms must not ask
    # thousands of questions either
    from linter.dns.spf import analyse

    record = "v=spf1 " + " ".join(f"a:n{i}.x.test" for i in range(3000)) + " -all"
    chunks = " ".join(f'"{record[i : i + 250]}"' for i in range(0, len(record), 250))
    with nsd({"x.test": f"@ IN TXT {chunks}\n"}) as address:
        host, port = parse_resolver(address)
        resolver = Resolver(ResolverSettings(host, port, budget=20.0))
        text = resolver.lookup("x.test", "TXT").texts[0]
        tree = analyse(resolver, "x.test", text)
    assert tree["void_limit"] and resolver.queries <= 70, resolver.queries
