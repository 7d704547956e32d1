"""The relay provider catalogue (linter/providers) and the facts it gives the rules.

The rules' own YAML tests prove each finding both ways per MTA; these tests hold the
catalogue to its format (every fact cited, with the date it was read), the matching of
relayhosts to providers, and the brief's two configurations end to end.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from linter.check import check
from linter.cli import main
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options
from linter.providers import (
    DATA_DIR,
    CatalogueError,
    catalogue,
    match,
    parse_provider,
    provider_fact,
)
from linter.yamlsafe import load_yaml
from tests.paths import ROOT

READ_ON = "2026-12-05"
PROVIDER_RULES = {"MTA025", "MTA026", "MTA027", "MTA028", "MTA029", "MTA030"}
BLOCKS = ("ports", "auth", "spf", "dkim", "return_path")


def raw_files() -> list[tuple[str, dict[str, Any]]]:
    return [(p.name, load_yaml(p.read_text())) for p in sorted(DATA_DIR.glob("*.yaml"))]


def findings(tmp_path: Path, name: str, text: str) -> list[Any]:
    (tmp_path / name).write_text(text)
    rules = builtin_rules()
    result = check([tmp_path], rules, Selection(), Options())
    return [f for f in result.findings if f.rule in PROVIDER_RULES]


# ------------------------------------------------------------------ the catalogue


def test_the_four_named_providers_are_in_the_catalogue() -> None:
    assert {p.id for p in catalogue()} >= {"amazon-ses", "sendgrid", "mailgun", "smtp2go"}


@pytest.mark.parametrize(("name", "data"), raw_files(), ids=[n for n, _ in raw_files()])
def test_every_entry_cites_its_page_and_the_date_it_was_read(name: str, data: Any) -> None:
    assert data["source"].startswith("https://"), name
    assert data["read_on"] == READ_ON, name
    for block in BLOCKS:
        if block in data:
            assert str(data[block]["source"]).startswith("https://"), f"{name}: {block}"
    for host in data["hosts"]:
        if "{region}" in host["pattern"]:
            assert host["regions_source"], f"{name}: {host['pattern']}"
            assert all(u.startswith("https://") for u in host["regions_source"])


def test_every_provider_documents_a_port_with_tls() -> None:
    # the TLS rules' fixes point at a TLS port of the same provider
    for p in catalogue():
        assert {"starttls", "implicit"} & set(p.ports.values()), p.id


ISSUE_PROVIDERS = {
    "amazon-ses": "Amazon SES",
    "sendgrid": "SendGrid",
    "mailgun": "Mailgun",
    "smtp2go": "SMTP2GO",
    "microsoft-365": "Microsoft 365",
    "google-workspace": "Google",
    "postmark": "Postmark",
    "brevo": "Brevo",
    "mailjet": "Mailjet",
    "sparkpost": "SparkPost",
}


@pytest.mark.parametrize("provider", sorted(ISSUE_PROVIDERS))
def test_every_provider_the_issue_names_is_listed_or_its_absence_explained(
    provider: str,
) -> None:
    listed = {p.id for p in catalogue()}
    notes = (DATA_DIR / "README.md").read_text()
    assert provider in listed or f"**{ISSUE_PROVIDERS[provider]}**" in notes


def _sendgrid() -> dict[str, Any]:
    return copy.deepcopy(dict(raw_files())["sendgrid.yaml"])


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d.pop("source"), "missing keys"),
        (lambda d: d.pop("read_on"), "missing keys"),
        (lambda d: d.update(read_on="5 Dec 2026"), "read_on"),
        (lambda d: d["ports"].pop("source"), "missing keys"),
        (lambda d: d["auth"].update(source="http://example.com/"), "https"),
        (lambda d: d.update(colour="blue"), "unknown keys"),
        (lambda d: d["ports"]["served"].append({"port": 2465, "tls": "ssl"}), "starttls"),
        (lambda d: d["ports"]["served"].append({"port": 70000, "tls": "starttls"}), "port"),
        (lambda d: d["auth"].update(required="sometimes"), "auth.required"),
        (lambda d: d["ports"].update(complete="maybe"), "ports.complete"),
        (lambda d: d["hosts"].append({"pattern": "smtp.{region}.sendgrid.net"}), "region"),
    ],
)
def test_the_loader_refuses_a_malformed_entry(change: Any, complaint: str) -> None:
    data = _sendgrid()
    change(data)
    with pytest.raises(CatalogueError, match=complaint):
        parse_provider(data, "sendgrid.yaml")


# ------------------------------------------------------------------ matching


@pytest.mark.parametrize(
    ("host", "provider", "region", "known"),
    [
        ("email-smtp.eu-west-1.amazonaws.com", "amazon-ses", "eu-west-1", True),
        ("EMAIL-SMTP.EU-WEST-1.AMAZONAWS.COM.", "amazon-ses", "eu-west-1", True),
        ("[email-smtp.us-east-1.amazonaws.com]", "amazon-ses", "us-east-1", True),
        ("email-smtp.eu-west-3.amazonaws.com", "amazon-ses", "eu-west-3", None),
        ("email-smtp.eu-west.amazonaws.com", "amazon-ses", "eu-west", False),
        ("smtp.sendgrid.net", "sendgrid", "", True),
        ("smtp.mailgun.org", "mailgun", "us", True),
        ("smtp.eu.mailgun.org", "mailgun", "eu", True),
        ("smtp.de.mailgun.org", "mailgun", "de", False),
        ("mail.smtp2go.com", "smtp2go", "", True),
        ("mail-eu2.smtp2go.com", "smtp2go", "eu2", True),
        ("mail-uk.smtp2go.com", "smtp2go", "uk", False),
        ("smtp.office365.com", "microsoft-365", "", True),
        ("smtp-relay.gmail.com", "google-workspace", "", True),
        ("smtp.postmarkapp.com", "postmark", "", True),
        ("smtp-broadcasts.postmarkapp.com", "postmark", "", True),
        ("smtp.sparkpostmail.com", "sparkpost", "", True),
        ("smtp.eu.sparkpostmail.com", "sparkpost", "eu", True),
        ("smtp-relay.brevo.com", "brevo", "", True),
        ("smtp-relay.sendinblue.com", "brevo", "", True),
        ("smtp.gmail.com", "gmail", "", True),
    ],
)
def test_relayhosts_match_their_provider_and_region(
    host: str, provider: str, region: str, known: bool | None
) -> None:
    found = match(host)
    assert found is not None
    p, pattern, got = found
    assert (p.id, got, pattern.region_known(got)) == (provider, region, known)


@pytest.mark.parametrize(
    "host",
    [
        "relay.example.net",
        "sendgrid.net",
        "smtp.sendgrid.net.example.com",
        "email-smtp.amazonaws.com",
        "ec2-192-0-2-1.compute-1.amazonaws.com",
        "email-smtp.a.b.amazonaws.com",
        "$relay_host",
        "",
        "x" * 5000,
        "smtp.\u00e9u.mailgun.org",
        "gmail.com",
        "smtp.brevo.com",  # Brevo's pages name smtp-relay.brevo.com only
        "outlook.office365.com",
        "smtp.de.sparkpostmail.com",
        "in-v3.mailjet.com",  # no Mailjet page giving its host was found: not listed
    ],
)
def test_other_hosts_match_no_provider(host: str) -> None:
    assert match(host) is None
    assert provider_fact({"host": host, "port": 587, "port_text": "587"}, {}) == {}


def test_a_relayhost_without_port_is_judged_on_25_and_an_unknown_port_name_not_at_all() -> None:
    bare = provider_fact({"host": "smtp.sendgrid.net", "port": None, "port_text": ""}, {})
    assert (bare["port"], bare["port_served"]) == (25, True)
    named = provider_fact({"host": "smtp.sendgrid.net", "port": None, "port_text": "foo"}, {})
    assert (named["port"], named["port_served"], named["port_tls"]) == (None, None, None)


@pytest.mark.parametrize(
    ("port", "outbound", "expected"),
    [
        (465, {"wrappermode": False, "tls": "required"}, "implicit TLS"),
        (465, {"wrappermode": True, "tls": "required"}, ""),
        (587, {"wrappermode": True, "tls": "required"}, "wrapper mode"),
        (587, {"wrappermode": False, "tls": "none"}, "requires TLS"),
        (587, {"wrappermode": False, "tls": "opportunistic"}, ""),
        (2525, {"wrappermode": False, "tls": "none"}, ""),  # not an SES port at all
    ],
)
def test_tls_mismatch_towards_ses(port: int, outbound: dict[str, Any], expected: str) -> None:
    relayhost = {"host": "email-smtp.eu-west-1.amazonaws.com", "port": port, "port_text": "x"}
    fact = provider_fact(relayhost, outbound)
    assert (expected in fact["tls_mismatch"]) if expected else fact["tls_mismatch"] == ""


@pytest.mark.parametrize(
    ("port", "wrapper", "expected", "offered"),
    [
        (587, True, "offers STARTTLS, but the client starts TLS at once", True),
        (587, False, "", True),
        (25, True, "starts in plain SMTP, but the client starts TLS at once", None),
        (25, False, "", None),
        (465, True, "", None),  # served; Google's page does not say how TLS works there
        (465, False, "", None),
    ],
)
def test_tls_modes_of_the_google_relay(
    port: int, wrapper: bool, expected: str, offered: bool | None
) -> None:
    relayhost = {"host": "smtp-relay.gmail.com", "port": port, "port_text": str(port)}
    fact = provider_fact(relayhost, {"wrappermode": wrapper, "tls": "required"})
    assert fact["port_served"] is True
    assert (expected in fact["tls_mismatch"]) if expected else fact["tls_mismatch"] == ""
    assert fact["tls_offered"] is offered


@pytest.mark.parametrize(
    ("host", "port", "wrapper", "expected", "offered"),
    [
        # Brevo: 587/2525 "for non-encrypted connections", 465 "with SSL or TLS"
        ("smtp-relay.brevo.com", 587, True, "starts in plain SMTP, but the client", None),
        ("smtp-relay.brevo.com", 2525, False, "", None),
        ("smtp-relay.brevo.com", 465, False, "expects TLS from the first byte", True),
        ("smtp-relay.brevo.com", 465, True, "", True),
        # Gmail: 465 "for SSL", 587 "for TLS" after STARTTLS
        ("smtp.gmail.com", 465, False, "expects TLS from the first byte", True),
        ("smtp.gmail.com", 587, True, "offers STARTTLS, but the client starts TLS", True),
        ("smtp.gmail.com", 587, False, "", True),
    ],
)
def test_tls_modes_of_brevo_and_gmail(
    host: str, port: int, wrapper: bool, expected: str, offered: bool | None
) -> None:
    fact = provider_fact(
        {"host": host, "port": port, "port_text": str(port)}, {"wrappermode": wrapper}
    )
    assert fact["port_served"] is True
    assert (expected in fact["tls_mismatch"]) if expected else fact["tls_mismatch"] == ""
    assert fact["tls_offered"] is offered


@pytest.mark.parametrize(
    ("host", "port", "served"),
    [
        # SendGrid's page lists every port it serves
        ("smtp.sendgrid.net", 2465, False),
        # Brevo's and Google's pages say which ports to use, not that no other listens
        ("smtp-relay.brevo.com", 25, None),
        ("smtp.gmail.com", 25, None),
        ("smtp.gmail.com", 2525, None),
    ],
)
def test_ports_outside_the_list_are_unserved_only_where_the_list_is_complete(
    host: str, port: int, served: bool | None
) -> None:
    fact = provider_fact({"host": host, "port": port, "port_text": str(port)}, {})
    assert fact["port_served"] is served


def test_auth_is_judged_required_only_where_the_page_says_so() -> None:
    by_id = {p.id: p for p in catalogue()}
    # Brevo: "you need to configure your SMTP settings ... using: Your SMTP Login ... An
    # SMTP key"; Google's developer page says how Gmail authenticates, not that it refuses
    assert by_id["brevo"].auth_required == "always"
    assert by_id["gmail"].auth_required == "no"


def test_dkim_selectors_are_listed_with_a_cited_page_only() -> None:
    for p in catalogue():
        if p.dkim_selectors:
            assert p.dkim_source.startswith("https://") and p.dkim_source != p.source, p.id
    listed = {p.id: p.dkim_selectors for p in catalogue() if p.dkim_selectors}
    assert listed == {"gmail": ("google",), "google-workspace": ("google",)}


# ------------------------------------------------------------------ end to end


def test_ses_without_sasl_is_an_error(tmp_path: Path) -> None:
    found = findings(tmp_path, "main.cf", "relayhost = [email-smtp.eu-west-1.amazonaws.com]:587\n")
    by_rule = {f.rule: f for f in found}
    assert by_rule["MTA027"].severity == "error"
    assert "Amazon SES" in by_rule["MTA027"].message
    assert "https://docs.aws.amazon.com/" in by_rule["MTA027"].message
    assert by_rule["MTA027"].span.line == 1
    # SES requires TLS and Postfix's default level is none: refused as well
    assert by_rule["MTA026"].severity == "error"


def test_sendgrid_on_2465_is_an_error(tmp_path: Path) -> None:
    text = (
        "relayhost = [smtp.sendgrid.net]:2465\nsmtp_sasl_auth_enable = yes\n"
        "smtp_tls_wrappermode = yes\nsmtp_tls_security_level = encrypt\n"
    )
    found = findings(tmp_path, "main.cf", text)
    assert [f.rule for f in found if f.severity == "error"] == ["MTA025"]
    assert "465 (implicit TLS), 587 (STARTTLS)" in found[0].message


def test_a_well_configured_relay_has_no_provider_finding(tmp_path: Path) -> None:
    text = (
        "relayhost = [smtp.sendgrid.net]:587\nsmtp_sasl_auth_enable = yes\n"
        "smtp_sasl_password_maps = hash:/etc/postfix/sasl_passwd\n"
        "smtp_tls_security_level = encrypt\n"
    )
    assert [f.rule for f in findings(tmp_path, "main.cf", text)] == []


EXIM_TRANSPORT_PORT = """\
primary_hostname = mx.example.com
domainlist local_domains = @ : example.com
begin routers
smarthost:
  driver = manualroute
  domains = ! +local_domains
  transport = remote_smtp
  route_data = email-smtp.us-east-1.amazonaws.com
begin transports
remote_smtp:
  driver = smtp
  port = {port}
  {protocol}
  hosts_require_tls = *
"""


@pytest.mark.parametrize(
    ("port", "protocol", "rules"),
    [
        ("2465", "", {"MTA026", "MTA027"}),
        ("2465", "protocol = smtps", {"MTA027"}),
        ("2587", "", {"MTA027"}),
        ("2588", "", {"MTA025", "MTA027"}),
    ],
)
def test_exim_route_data_with_the_transport_port_and_protocol(
    tmp_path: Path, port: str, protocol: str, rules: set[str]
) -> None:
    text = EXIM_TRANSPORT_PORT.format(port=port, protocol=protocol)
    got = {f.rule for f in findings(tmp_path, "exim.conf", text) if f.severity == "error"}
    assert got == rules


def test_one_fact_for_every_mta_in_the_facts_document(tmp_path: Path) -> None:
    from linter.check import analyse_set
    from linter.discover import discover

    (tmp_path / "sendmail.mc").write_text(
        "OSTYPE(`linux')dnl\ndefine(`SMART_HOST', `[smtp.mailgun.org]')dnl\n"
        "define(`RELAY_MAILER_ARGS', `TCP $h 2525')dnl\nMAILER(`smtp')dnl\n"
    )
    sets = discover([tmp_path])[0]
    fact = analyse_set(sets[0], Options()).facts.get("posture.outbound.provider")
    assert (fact["id"], fact["port"], fact["port_served"]) == ("mailgun", 2525, True)
    assert fact["source"].startswith("https://documentation.mailgun.com/")


# ------------------------------------------------------------------ documentation


def test_explain_lists_the_providers_with_their_sources() -> None:
    out = CliRunner().invoke(main, ["explain", "MTA025"]).output
    assert "Relay providers" in out
    for p in catalogue():
        assert p.source in out and p.name in out
    assert "read 2026-12-05" in out


def test_explain_of_an_unrelated_rule_has_no_provider_list() -> None:
    assert "Relay providers" not in CliRunner().invoke(main, ["explain", "MTA008"]).output


def test_rule_pages_list_the_providers() -> None:
    page = (ROOT / "docs/rules/MTA027.md").read_text()
    assert "## Relay providers" in page
    assert "developers.smtp2go.com/docs/smtp-relay" in page
