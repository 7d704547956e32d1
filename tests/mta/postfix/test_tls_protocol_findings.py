"""One finding per weak TLS protocol list, with a fix in the syntax the Postfix reads.

MTA012 (SSL allowed) speaks for PF047/PF048 (TLS 1.0/1.1) when both are about the same
smtpd_tls_protocols line; a service with its own ``-o smtpd_tls_protocols`` is judged by
that list, at its master.cf line. postconf(5): the ">=version" bound exists from Postfix
3.6 on; older releases only understand the "!protocol" exclusion list.
"""

from __future__ import annotations

from pathlib import Path

from linter.check import check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "postfix"
RULES = builtin_rules()
SSL_ON = (
    "compatibility_level = 3.6\n"
    "smtpd_tls_security_level = may\n"
    "smtpd_tls_cert_file = /etc/postfix/cert.pem\n"
    "smtpd_sasl_auth_enable = yes\n"
    "smtpd_tls_protocols = !SSLv2\n"
)


def _findings(folder: Path, **options):
    return check([folder], RULES, Selection(), Options(**options)).findings


def test_example_weak_protocol_list_is_one_finding_whose_fix_removes_tls_1_0():
    at_line = [
        f for f in _findings(EXAMPLE) if f.span.path.endswith("main.cf") and f.span.line == 17
    ]
    assert [f.rule for f in at_line] == ["MTA012"]
    assert "smtpd_tls_protocols = >=TLSv1.2" in at_line[0].fix


def test_fix_uses_the_exclusion_syntax_before_postfix_3_6(tmp_path: Path):
    (tmp_path / "main.cf").write_text(SSL_ON)
    by_rule = {f.rule: f for f in _findings(tmp_path, flags={"postfix_version": (3, 5, 25)})}
    assert "smtpd_tls_protocols = !SSLv2,!SSLv3,!TLSv1,!TLSv1.1" in by_rule["MTA012"].fix
    assert ">=" not in by_rule["MTA012"].fix
    by_rule = {f.rule: f for f in _findings(tmp_path, flags={"postfix_version": (3, 6, 0)})}
    assert "smtpd_tls_protocols = >=TLSv1.2" in by_rule["MTA012"].fix


def test_submission_override_is_judged_at_its_master_cf_line(tmp_path: Path):
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n"
        "smtpd_tls_cert_file = /etc/postfix/cert.pem\nsmtpd_tls_protocols = >=TLSv1.2\n"
    )
    (tmp_path / "master.cf").write_text(
        "smtp inet n - n - - smtpd\n"
        "submission inet n - n - - smtpd\n"
        "  -o smtpd_sasl_auth_enable=yes\n"
        "  -o smtpd_tls_protocols=>=TLSv1\n"
    )
    weak = [f for f in _findings(tmp_path) if f.rule in ("PF047", "PF048", "MTA012")]
    assert [(f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line) for f in weak] == [
        ("PF048", "master.cf", 4)
    ]
    assert "submission/inet" in weak[0].message and "smtp/inet" not in weak[0].message


def _weak(folder: Path) -> list[tuple[str, str, int]]:
    rules = ("MTA012", "MTA013", "PF047", "PF048")
    return [
        (f.rule, f.span.path.rsplit("/", 1)[-1], f.span.line)
        for f in _findings(folder)
        if f.rule in rules
    ]


def test_ssl_let_in_by_a_service_override_is_found_at_its_line(tmp_path: Path):
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n"
        "smtpd_tls_cert_file = /etc/postfix/cert.pem\n"
    )
    (tmp_path / "master.cf").write_text(
        "submission inet n - n - - smtpd\n"
        "  -o smtpd_sasl_auth_enable=yes\n"
        "  -o smtpd_tls_protocols=!SSLv2\n"
    )
    assert _weak(tmp_path) == [("MTA012", "master.cf", 3)]


def test_ssl_let_in_by_the_mandatory_list_is_one_finding_at_that_line(tmp_path: Path):
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\nsmtpd_tls_security_level = encrypt\n"
        "smtpd_tls_cert_file = /etc/postfix/cert.pem\nsmtpd_tls_protocols = >=TLSv1.2\n"
        "smtpd_tls_mandatory_protocols = !SSLv2\n"
    )
    assert _weak(tmp_path) == [("MTA012", "main.cf", 5)]


def test_mta012_about_the_client_leaves_the_server_list_finding(tmp_path: Path):
    # MTA012 is about smtp_tls_protocols (the client, line 5); PF048 about smtpd's
    # default list (a line to add to main.cf): two settings, two findings
    (tmp_path / "main.cf").write_text(
        "compatibility_level = 3.6\nsmtpd_tls_security_level = may\n"
        "smtpd_tls_cert_file = /etc/postfix/cert.pem\nsmtpd_sasl_auth_enable = yes\n"
        "smtp_tls_protocols = !SSLv2\n"
    )
    assert _weak(tmp_path) == [("PF048", "main.cf", 1), ("MTA012", "main.cf", 5)]
