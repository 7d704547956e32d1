"""The ``dns`` facts of one config set: every check, with the answers it rests on.

Layout (what rules in ``rules/dns/`` read):

* ``dns.domains[]``: ``name``, ``sending``, ``receiving``, and per check a dict with a
  ``status`` (``ok``, ``missing``, ``invalid``, ... or ``unverified``) and ``evidence``:
  ``spf`` (record, all qualifier, per-address results, lookup counts), ``dmarc``,
  ``mx`` (hosts, whether one is this host), ``mta_sts``, ``tlsrpt``;
- ``providers``: one entry per sending domain and relay provider of the catalogue its
  mail may leave through (the relayhost, a sender-dependent or a transport route), with
  ``via`` (the setting) and ``provider``: the provider's SPF include and DKIM selectors
  and whether the domain publishes them (the paths by which DMARC can pass through it);
  located at the route's line;
* ``dns.addresses[]``: the addresses mail leaves from, with ``ptr``, ``fcrdns``,
  ``listed`` (DNSBL zones), ``source``;
* ``dns.dkim[]``: per selector and sending domain, the key's ``status``, type and size;
* ``dns.hostname``: whether the host name resolves;
* ``dns.tlsa[]``: TLSA records for this host's MX names when DANE is in use;
* ``dns.unverified[]``: every question DNS did not answer (timeout, SERVFAIL, ...), and
  checks that could not run for want of an input (no source address, no selector).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from linter.dns import DnsOptions, mtasts, records
from linter.dns.inputs import DnsInputs, Route, inputs_from, routes_in
from linter.dns.resolver import Answer, Resolver
from linter.dns.spf import all_qualifier, analyse, evaluate, spf_records
from linter.posture import is_ip_address

if TYPE_CHECKING:
    from linter.facts import Facts
    from linter.posture import Posture


class _Run:
    def __init__(self, resolver: Resolver, inputs: DnsInputs, options: DnsOptions) -> None:
        self.resolver = resolver
        self.inputs = inputs
        self.options = options
        self.unverified: list[dict[str, Any]] = []

    def ask(self, name: str, rdtype: str, why: str) -> Answer:
        answer = self.resolver.lookup(name, rdtype)
        if answer.unverified:
            self.note(answer, why)
        return answer

    def note(self, answer: Answer, why: str) -> None:
        entry = {**answer.to_evidence(), "why": why}
        if entry not in self.unverified:
            self.unverified.append(entry)

    def missing_input(self, why: str, hint: str) -> None:
        self.unverified.append({"query": "", "status": "no-input", "why": why, "detail": hint})

    # ------------------------------------------------------------ per domain

    def txt(self, name: str, why: str) -> tuple[Answer, tuple[str, ...]]:
        answer = self.ask(name, "TXT", why)
        return answer, answer.texts if answer.ok else ()

    def spf(self, domain: str, senders: list[str]) -> dict[str, Any]:
        answer, texts = self.txt(domain, f"SPF record of {domain}")
        evidence = [answer.to_evidence()]
        if answer.unverified:
            return {"status": "unverified", "evidence": evidence}
        found = spf_records(texts)
        if not found:
            return {"status": "missing", "evidence": evidence}
        if len(found) > 1:
            return {"status": "multiple", "records": found, "evidence": evidence}
        record = found[0]
        results = [evaluate(self.resolver, a, domain, self.inputs.hostname) for a in senders]
        # the record's own soundness and reach: evaluated for an address none of its terms
        # lists, so that every term is evaluated and the result is what any other host gets
        tree = analyse(self.resolver, domain, record)
        probe = evaluate(self.resolver, tree["unlisted"], domain, self.inputs.hostname)
        errors = [r for r in [probe, *results] if r["result"] == "permerror"]
        temp = [r for r in [probe, *results] if r["result"] == "temperror"]
        for r in temp:
            self.unverified.append(
                {
                    "query": f"{domain} SPF",
                    "status": "temperror",
                    "why": "SPF evaluation",
                    "detail": r["explanation"],
                }
            )
        error = errors[0]["explanation"] if errors else ""
        if tree["void_limit"] and not error:
            error = f"{len(tree['void_terms'])} void lookups: " + ", ".join(tree["void_terms"])
        return {
            "status": "permerror" if errors or tree["void_limit"] else "ok",
            "record": record,
            "all": all_qualifier(record),
            "redirect": "redirect=" in record.lower(),
            # what a host no term lists gets (RFC 7208 §4.7: no match and no redirect is
            # neutral): pass means every host passes, neutral that nobody is failed
            "unlisted": {"address": probe["address"], "result": probe["result"]},
            "results": results,
            "unauthorised": [
                r["address"]
                for r in results
                if r["result"] in ("fail", "softfail", "neutral", "none")
            ],
            "error": error,
            "lookup_limit": any(r["lookup_limit"] for r in errors),
            "void_limit": tree["void_limit"],
            "void_terms": tree["void_terms"],
            "walked": tree["records"],
            "ptr": tree["ptr"],
            "oversized": tree["oversized"],
            "lookups": max([r["lookups"] for r in [probe, *results]] or [0]),
            "evidence": evidence,
        }

    def dmarc(self, domain: str) -> dict[str, Any]:
        name = f"_dmarc.{domain}"
        answer, texts = self.txt(name, f"DMARC record of {domain}")
        evidence = [answer.to_evidence()]
        if answer.unverified:
            return {"status": "unverified", "evidence": evidence}
        result = records.dmarc(texts)
        org = self.inputs.organisation_domain
        if result["status"] == "missing" and org and domain.endswith("." + org):
            # RFC 7489 §6.6.3: the organisational domain's record applies to subdomains
            answer, texts = self.txt(f"_dmarc.{org}", f"DMARC record of {org}")
            evidence.append(answer.to_evidence())
            if answer.unverified:
                return {"status": "unverified", "evidence": evidence}
            result = records.dmarc(texts)
            if result["status"] == "ok":
                result["policy"] = result["subdomain_policy"]
                result["from"] = org
        if result["status"] == "ok":
            owner = result.get("from", domain)
            result["unauthorised_reports"] = self.report_authorisation(
                owner, result["rua"] + result["ruf"], evidence
            )
        return {**result, "evidence": evidence}

    def report_authorisation(
        self, owner: str, uris: list[str], evidence: list[dict[str, Any]]
    ) -> list[str]:
        """The report domains outside ``owner``'s organisation that do not publish
        ``OWNER._report._dmarc.EXT`` (RFC 7489 §7.1): receivers send them no reports."""
        missing: list[str] = []
        for ext in records.mailto_domains(uris)[:10]:
            if same_organisation(owner, ext):
                continue
            name = f"{owner}._report._dmarc.{ext}"
            answer, texts = self.txt(name, f"authorisation of {ext} to receive reports")
            evidence.append(answer.to_evidence())
            if not answer.unverified and not any(records.dmarc_version(t) for t in texts):
                missing.append(ext)
        return missing

    def mx(self, domain: str, here: set[str]) -> dict[str, Any]:
        answer = self.ask(domain, "MX", f"MX of {domain}")
        evidence = [answer.to_evidence()]
        if answer.unverified:
            return {"status": "unverified", "evidence": evidence}
        if not answer.ok:
            return {"status": "missing", "hosts": [], "evidence": evidence}
        hosts = []
        for r in answer.records:
            pref, _, host = r.partition(" ")
            hosts.append(host.rstrip(".").lower())
        if hosts == [""]:
            return {"status": "null", "hosts": [], "evidence": evidence}  # RFC 7505
        points_here = bool(self.inputs.hostname) and self.inputs.hostname in hosts
        # RFC 5321 §5.1: an MX names a host, not an address; RFC 2181 §10.3: and not an
        # alias (the A lookup's answer then comes for another name)
        ip_targets = [h for h in hosts if is_ip_address(h)]
        cname_targets: list[str] = []
        for host in [h for h in hosts if not is_ip_address(h)][:10]:
            for rdtype in ("A", "AAAA"):
                a = self.ask(host, rdtype, f"address of MX host {host}")
                evidence.append(a.to_evidence())
                if a.canonical and a.canonical != host and host not in cname_targets:
                    cname_targets.append(host)
                if a.ok and here & set(a.records):
                    points_here = True
        return {
            "status": "ok" if points_here else "elsewhere",
            "hosts": hosts,
            "ip_targets": ip_targets,
            "cname_targets": cname_targets,
            "evidence": evidence,
        }

    def mta_sts_policy(self, domain: str, mx: dict[str, Any]) -> dict[str, Any]:
        """The policy the TXT record announces (RFC 8461 §3.3), and in ``enforce`` mode the
        MX hosts it does not list (§5: senders refuse to deliver to them)."""
        policy = mtasts.fetch(self.resolver, domain)
        if policy["status"] == "unverified":
            self.unverified.append(
                {
                    "query": f"https://mta-sts.{domain}/.well-known/mta-sts.txt",
                    "status": "unverified",
                    "why": f"MTA-STS policy of {domain}",
                    "detail": policy["problem"],
                }
            )
        unmatched: list[str] = []
        if policy["status"] == "ok" and policy["mode"] == "enforce":
            unmatched = mtasts.unmatched(policy, mx.get("hosts") or [])
        return {"policy": policy, "unmatched_mx": unmatched}

    def bimi(self, domain: str, dmarc: dict[str, Any]) -> dict[str, Any]:
        """The BIMI Assertion Record of ``domain`` (selector ``default``), with the
        Organizational Domain's as fallback, judged with the DMARC records that apply
        (BIMI draft -10 §7.2 steps 3 and 6, §7.1 steps 7-9)."""
        org = self.inputs.organisation_domain
        result = self.simple(f"default._bimi.{domain}", f"BIMI record of {domain}", records.bimi)
        evidence = list(result.get("evidence", []))
        if result["status"] == "missing" and org and domain.endswith("." + org):
            result = self.simple(f"default._bimi.{org}", f"BIMI record of {org}", records.bimi)
            evidence += result.get("evidence", [])
            result["from"] = org
        result["evidence"] = evidence
        if result["status"] != "ok":
            return result
        if dmarc.get("status") == "unverified":
            return {**result, "dmarc_problem": ""}  # the DMARC lookup said nothing
        policies = [] if dmarc.get("status") == "missing" else [{"domain": domain, **dmarc}]
        if org and org != domain and dmarc.get("from") != org:
            answer, texts = self.txt(f"_dmarc.{org}", f"DMARC record of {org}")
            result["evidence"].append(answer.to_evidence())
            if answer.unverified:
                return {**result, "dmarc_problem": ""}
            own = records.dmarc(texts)
            if own["status"] != "missing":
                policies.append({"domain": org, **own})
        return {**result, "dmarc_problem": records.bimi_dmarc_problem(policies)}

    def simple(self, name: str, why: str, parse: Any) -> dict[str, Any]:
        answer, texts = self.txt(name, why)
        evidence = [answer.to_evidence()]
        if answer.unverified:
            return {"status": "unverified", "evidence": evidence}
        return {**parse(texts), "evidence": evidence}

    # ------------------------------------------------------------ addresses

    def address(self, address: str) -> dict[str, Any]:
        import dns.reversename

        reverse = dns.reversename.from_address(address).to_text(omit_final_dot=True)
        ptr = self.ask(reverse, "PTR", f"reverse DNS of {address}")
        evidence = [ptr.to_evidence()]
        names = [r.rstrip(".").lower() for r in ptr.records] if ptr.ok else []
        fcrdns: bool | None = None
        if ptr.unverified:
            fcrdns = None
        elif names:
            fcrdns = False
            rdtype = "AAAA" if ipaddress.ip_address(address).version == 6 else "A"
            for name in names:
                forward = self.ask(name, rdtype, f"forward lookup of {name}")
                evidence.append(forward.to_evidence())
                if forward.ok and address in forward.records:
                    fcrdns = True
        listed = []
        for zone in self.options.dnsbl_zones:
            query = _reverse_octets(address) + "." + zone.strip(".")
            answer = self.ask(query, "A", f"{zone} listing of {address}")
            evidence.append(answer.to_evidence())
            if answer.ok and any(r.startswith("127.") for r in answer.records):
                listed.append(zone)
        return {
            "address": address,
            "source": self.inputs.address_sources.get(address, "relayhost"),
            "ptr": names,
            "ptr_status": "unverified" if ptr.unverified else ("ok" if names else "missing"),
            "fcrdns": fcrdns,
            "matches_hostname": bool(self.inputs.hostname) and self.inputs.hostname in names,
            "listed": listed,
            "evidence": evidence,
        }

    def dkim(self, selector: str, domain: str) -> dict[str, Any]:
        name = f"{selector}._domainkey.{domain}"
        answer, texts = self.txt(name, f"DKIM key {selector} of {domain}")
        evidence = [answer.to_evidence()]
        if answer.unverified:
            return {
                "selector": selector,
                "domain": domain,
                "status": "unverified",
                "evidence": evidence,
            }
        return {"selector": selector, "domain": domain, **records.dkim(texts), "evidence": evidence}

    def provider_dkim(self, selector: str, domain: str) -> dict[str, Any]:
        """A provider's documented selector at a sending domain: published as a key (TXT,
        directly or through a CNAME the resolver followed) or as a CNAME handing the
        selector to the provider (whose target need not resolve for us: the provider
        publishes the key there once the domain is verified)."""
        name = f"{selector}._domainkey.{domain}"
        why = f"DKIM selector {selector} of {domain}"
        answer, texts = self.txt(name, why)
        evidence = [answer.to_evidence()]
        entry = {"selector": selector, "name": name}
        if records.dkim(texts)["status"] != "missing":
            return {**entry, "status": "key", "evidence": evidence}
        cname = self.ask(name, "CNAME", why)
        evidence.append(cname.to_evidence())
        if cname.ok:
            return {**entry, "status": "cname", "target": cname.records[0], "evidence": evidence}
        unanswered = answer.unverified or cname.unverified
        return {**entry, "status": "unverified" if unanswered else "missing", "evidence": evidence}

    def addresses_of(self, name: str, why: str) -> list[str]:
        out: list[str] = []
        for answer in self.resolver.lookup_many([(name, "A"), (name, "AAAA")]):
            if answer.unverified:
                self.note(answer, why)
            elif answer.ok:
                out.extend(answer.records)
        return out


# second-level labels under which a country code domain registers names (co.uk, com.au):
# enough to tell one organisation from another without the public suffix list
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "ne", "or", "go"})


def organisation(name: str) -> str:
    """An approximation of the organisational domain (RFC 7489 §3.2) without the public
    suffix list: the last two labels, three under ``co.uk``-like suffixes."""
    labels = name.lower().rstrip(".").split(".")
    keep = 3 if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def same_organisation(a: str, b: str) -> bool:
    return organisation(a) == organisation(b)


def _reverse_octets(address: str) -> str:
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        return ".".join(reversed(address.split(".")))
    return ".".join(reversed(ip.exploded.replace(":", "")))


def dns_facts(
    posture: Posture, options: DnsOptions, resolver: Resolver, facts: Facts | None = None
) -> dict[str, Any]:
    """The ``dns`` facts for one config set's posture.

    What DNS answers is input like a configuration file: should reading it still fail
    unexpectedly, that is reported for this set (a ``dns.unverified`` entry, hence a
    finding) and the other checks and config sets go on, instead of ending the run.
    """
    try:
        return _dns_facts(posture, options, resolver, facts)
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - reported, see above
        detail = f"internal error in the DNS checks: {type(exc).__name__}: {exc}"
        return {
            "online": True,
            "resolver": resolver.settings.address or "system",
            "hostname": {"name": "", "addresses": [], "status": "none"},
            "domains": [],
            "providers": [],
            "addresses": [],
            "dkim": [],
            "tlsa": [],
            "unverified": [
                {"query": "", "status": "error", "why": "the DNS checks", "detail": detail[:300]}
            ],
            "queries": resolver.queries,
        }


def _dns_facts(
    posture: Posture, options: DnsOptions, resolver: Resolver, facts: Facts | None
) -> dict[str, Any]:
    # the routes beside the relayhost are in the facts the MTA's analysis recorded
    routes = routes_in(facts) if facts is not None else []
    relayhost_span = facts.spans.get("posture.outbound.relayhost") if facts is not None else None
    inputs = inputs_from(posture, options, routes, relayhost_span)
    run = _Run(resolver, inputs, options)

    # warm the cache: the first round of questions, asked concurrently
    first: list[tuple[str, str]] = []
    provider = _provider_of(inputs.relayhost)
    paths = _provider_paths(inputs)
    for d in inputs.sending_domains:
        first += [(d, "TXT"), (f"_dmarc.{d}", "TXT")]
    for d, path_provider, _ in paths:
        first.append((d, "TXT"))
        for selector in path_provider.dkim_selectors:
            first.append((f"{selector}._domainkey.{d}", "TXT"))
    for d in inputs.receiving_domains:
        first += [(d, "MX"), (f"_mta-sts.{d}", "TXT"), (f"_smtp._tls.{d}", "TXT")]
    if inputs.hostname:
        first += [(inputs.hostname, "A"), (inputs.hostname, "AAAA")]
    resolver.lookup_many(first)

    hostname: dict[str, Any] = {"name": inputs.hostname, "addresses": [], "status": "none"}
    if inputs.hostname:
        answers = resolver.lookup_many([(inputs.hostname, "A"), (inputs.hostname, "AAAA")])
        found = [r for a in answers if a.ok for r in a.records]
        for a in answers:
            if a.unverified:
                run.note(a, f"address of {inputs.hostname}")
        status = (
            "ok" if found else "unverified" if any(a.unverified for a in answers) else "missing"
        )
        hostname = {
            "name": inputs.hostname,
            "addresses": found,
            "status": status,
            "evidence": [a.to_evidence() for a in answers],
        }

    # the addresses mail leaves from: the relay's when mail goes through one; a relay
    # provider sends from its own pool, which its SPF include stands for (checked below)
    senders = list(inputs.outbound_addresses)
    if provider is not None:
        senders = []
    elif inputs.relayhost:
        relay = inputs.relayhost
        if inputs.relayhost_mx:
            mx = run.ask(relay, "MX", f"MX of relay host {relay}")
            if mx.ok:
                relay = mx.records[0].partition(" ")[2].rstrip(".") or relay
        if is_ip_address(relay):
            senders = [relay]
        else:
            senders = run.addresses_of(relay, f"address of relay host {relay}")
    if not senders and inputs.sending_domains and provider is None:
        run.missing_input(
            "the addresses mail is sent from",
            "the configuration does not say; give --public-ip ADDRESS",
        )

    domains: list[dict[str, Any]] = []
    here = set(hostname["addresses"]) | set(inputs.outbound_addresses)
    for name in list(dict.fromkeys([*inputs.sending_domains, *inputs.receiving_domains])):
        entry: dict[str, Any] = {
            "name": name,
            "sending": name in inputs.sending_domains,
            "receiving": name in inputs.receiving_domains,
        }
        if entry["sending"]:
            entry["spf"] = run.spf(name, senders)
            entry["dmarc"] = run.dmarc(name)
            entry["bimi"] = run.bimi(name, entry["dmarc"])
        if entry["receiving"]:
            entry["mx"] = run.mx(name, here)
            entry["mta_sts"] = run.simple(f"_mta-sts.{name}", f"MTA-STS of {name}", records.mta_sts)
            if entry["mta_sts"]["status"] == "ok":
                entry["mta_sts"].update(run.mta_sts_policy(name, entry["mx"]))
            entry["tlsrpt"] = run.simple(f"_smtp._tls.{name}", f"TLS-RPT of {name}", records.tlsrpt)
        domains.append(entry)

    dkim: list[dict[str, Any]] = []
    if inputs.dkim_signing != "no" or inputs.dkim_selectors:
        if not inputs.dkim_selectors:
            run.missing_input(
                "the DKIM selector",
                "DKIM signing is configured but the selector is not in the configuration; "
                "give --dkim-selector NAME",
            )
        for selector in inputs.dkim_selectors:
            for domain in inputs.sending_domains:
                dkim.append(run.dkim(selector, domain))

    # each sending domain against each provider its mail leaves through: what the
    # provider's documentation asks of the domain's DNS for DMARC to pass
    spf_of = {e["name"]: e["spf"] for e in domains if "spf" in e}
    providers: list[dict[str, Any]] = []
    for name, path_provider, route in paths:
        if name not in spf_of:  # a domain only a sender-dependent route names
            spf_of[name] = run.spf(name, [])
        alignment = _provider_alignment(path_provider, spf_of[name], run, name)
        # a key for a selector this host signs with is an aligned DKIM path of its own,
        # which survives the relay: the provider's selectors are then not needed
        alignment["signed_here"] = any(
            d["domain"] == name and d.get("status") == "ok" for d in dkim
        )
        if facts is not None and route.span is not None:
            facts.locate(f"dns.providers[{len(providers)}]", route.span)
        providers.append(
            {"name": name, "via": route.via, "host": route.host, "provider": alignment}
        )

    tlsa: list[dict[str, Any]] = []
    if inputs.dane:
        mx_hosts = {h for d in domains for h in (d.get("mx") or {}).get("hosts", [])}
        for host in sorted(mx_hosts or ({inputs.hostname} - {""})):
            answer = run.ask(f"_25._tcp.{host}", "TLSA", f"TLSA of {host}")
            status = "unverified" if answer.unverified else ("ok" if answer.ok else "missing")
            problems = [p for p in (records.tlsa_problem(r) for r in answer.records) if p]
            tlsa.append(
                {
                    "host": host,
                    "status": status,
                    "records": list(answer.records),
                    # RFC 7672 §2.2: senders use TLSA records only when DNSSEC validates
                    # them; what says so here is the resolver's AD bit
                    "dnssec": answer.authenticated,
                    "unvalidated": status == "ok" and not answer.authenticated,
                    # records that can match a certificate (RFC 6698 §2.1); none: no DANE
                    "usable": status == "ok" and len(problems) < len(answer.records),
                    "problems": problems[:5],
                    "evidence": [answer.to_evidence()],
                }
            )

    addresses = [run.address(a) for a in senders if is_ip_address(a) and _is_public(a)]
    return {
        "online": True,
        "resolver": resolver.settings.address or "system",
        "hostname": hostname,
        "domains": domains,
        "providers": providers,
        "addresses": addresses,
        "dkim": dkim,
        "tlsa": tlsa,
        "unverified": run.unverified,
        "queries": resolver.queries,
    }


def _provider_paths(inputs: DnsInputs) -> list[tuple[str, Any, Route]]:
    """(sending domain, provider, route) for each provider mail may leave through, once
    per domain and provider, at the first route that sends it there."""
    paths: dict[tuple[str, str], tuple[str, Any, Route]] = {}
    for route in inputs.routes:
        provider = _provider_of(route.host)
        if provider is None:
            continue
        domains = inputs.sending_domains if route.domains is None else route.domains
        for domain in domains:
            paths.setdefault((domain, provider.id), (domain, provider, route))
    return list(paths.values())


def _provider_of(relayhost: str) -> Any:
    """The relay provider (linter.providers) the relayhost names, or None."""
    if not relayhost:
        return None
    from linter.providers import match

    found = match(relayhost)
    return found[0] if found is not None else None


def _provider_alignment(
    provider: Any, spf: dict[str, Any], run: _Run, domain: str
) -> dict[str, Any]:
    """What the provider's documentation asks of a sending domain's DNS for DMARC to pass
    through it, and whether the domain publishes it: the SPF include (in the domain's
    record or one it reaches) and the DKIM selectors (a key or a CNAME at each). Only
    what the catalogue documents is looked for; a provider whose selectors are named per
    domain is not guessed at (``dkim_published`` stays None, ``dkim_text`` says why)."""
    include = provider.spf_include
    walked = spf.get("walked") if spf.get("status") == "ok" else None
    selectors = list(provider.dkim_selectors)
    dkim = [run.provider_dkim(s, domain) for s in selectors]
    published: bool | None = None
    if dkim:
        if any(d["status"] in ("key", "cname") for d in dkim):
            published = True
        elif all(d["status"] == "missing" for d in dkim):
            published = False
    looked_for = ", ".join(d["name"] for d in dkim)
    return {
        "name": provider.name,
        "source": provider.spf_source,
        "read_on": provider.read_on,
        "spf_include": include,
        # None: nothing documented to look for, or the SPF record could not be judged
        "spf_includes_provider": None
        if not include or walked is None
        else include.lower() in walked,
        "dkim_selectors": list(selectors),
        "dkim_source": provider.dkim_source,
        "dkim_note": provider.dkim_note,
        "dkim": dkim,
        # True: a key or CNAME at one of the documented selectors; False: none at any;
        # None: no selector documented, or DNS did not answer
        "dkim_published": published,
        "dkim_looked_for": looked_for,
        "dkim_text": _dkim_text(provider, dkim, published, looked_for),
        "spf_text": _spf_text(provider, spf, walked, domain),
    }


def _spf_text(provider: Any, spf: dict[str, Any], walked: Any, domain: str) -> str:
    """One sentence on the SPF path through the provider (its documented include)."""
    if not provider.spf_include:
        return (
            f"{provider.name}'s documentation read names no SPF include, so whether the SPF "
            f"record of {domain} authorises it was not checked"
        )
    if walked is None:
        return f"the SPF record of {domain} could not be judged ({spf.get('status')})"
    if provider.spf_include.lower() in walked:
        return f"the SPF record of {domain} reaches include:{provider.spf_include}"
    return f"the SPF record of {domain} does not reach include:{provider.spf_include} either"


def _dkim_text(
    provider: Any, dkim: list[dict[str, Any]], published: bool | None, looked_for: str
) -> str:
    """One sentence on DKIM through the provider, for the messages of the rules that
    judge the paths by which DMARC can pass through it."""
    # the messages cite the SPF page already; the DKIM page only where it is another
    cite = "" if provider.dkim_source == provider.spf_source else provider.dkim_source
    if not dkim:
        parts = [provider.dkim_note, f"source: {cite}" if cite else ""]
        said = "; ".join(p for p in parts if p)
        return (
            f"{provider.name} names its DKIM records per domain"
            + (f" ({said})" if said else "")
            + ", so whether the domain publishes them could not be checked"
        )
    if published:
        found = next(d for d in dkim if d["status"] in ("key", "cname"))
        kind = "a key" if found["status"] == "key" else f"a CNAME to {found['target']}"
        return f"DKIM can still align: {found['name']} publishes {kind}"
    if published is False:
        source = f", source: {cite}" if cite else ""
        return (
            f"no DKIM key or CNAME is published at {looked_for} either (where "
            f"{provider.name}'s documentation puts the DKIM record{source})"
        )
    return f"the DKIM lookup of {looked_for} went unanswered"


def _is_public(text: str) -> bool:
    ip = ipaddress.ip_address(text)
    # TEST-NET addresses count as public: they stand for public ones in examples and tests
    documentation = any(
        ip in ipaddress.ip_network(n)
        for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    )
    return documentation or not (ip.is_private or ip.is_loopback or ip.is_link_local)
