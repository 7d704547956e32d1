"""Shared pytest fixtures. Test helpers live in their own modules next to the tests.

Layout (see each folder's tests): ``tests/mta/<name>/`` one MTA's reader, model, posture and
its oracle helpers; ``engine/`` the rule engine, facts and baseline; ``rules/`` the built-in
rules; ``report/`` output formats and compliance reports; ``cli/`` the command line, one file
per command where that is simple; ``dns/``, ``diagnose/``, ``probe/``, ``providers/`` their
packages; ``hostile/`` hostile input and file-system safety; ``packaging/`` the wheel, the
pre-commit hook and the GitHub Action; ``docs/``; ``precision/`` judged corpus findings.
Every folder is a package, imported from the checkout's root (``tests.mta.postfix.oracle``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

# A hardened Postfix MX + submission server: nothing here is worth a finding, so a test can
# add one line to it and expect exactly the finding that line causes.
CLEAN_MAIN_CF = """\
compatibility_level = 3.6
myhostname = mail.example.com
mydomain = example.com
myorigin = $mydomain
mydestination = $myhostname, localhost.$mydomain, localhost
mynetworks = 127.0.0.0/8 [::1]/128
inet_interfaces = all
smtpd_banner = $myhostname ESMTP
smtpd_helo_required = yes
disable_vrfy_command = yes
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
    reject_unauth_destination
smtpd_tls_chain_files = /etc/ssl/private/mail.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtp_tls_security_level = may
smtp_tls_protocols = >=TLSv1.2
smtp_tls_mandatory_protocols = >=TLSv1.2
smtp_tls_loglevel = 1
smtpd_forbid_bare_newline = yes
smtpd_forbid_bare_newline_exclusions = $mynetworks
"""

# Its master.cf: smtp on 25 and submission with mandatory TLS and SASL on 587.
CLEAN_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
smtp      inet  n       -       y       -       -       smtpd
submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       y       -       -       smtp
relay     unix  -       -       y       -       -       smtp
showq     unix  n       -       y       -       -       showq
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
discard   unix  -       -       y       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       y       -       -       lmtp
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
"""


@pytest.fixture
def clean_main_cf() -> str:
    """The text of a Postfix main.cf on which mtalint finds nothing."""
    return CLEAN_MAIN_CF


@pytest.fixture
def clean_master_cf() -> str:
    """The text of the master.cf that goes with :func:`clean_main_cf`."""
    return CLEAN_MASTER_CF


@pytest.fixture
def clean_postfix(tmp_path: Path) -> Path:
    """A folder ``clean/`` under tmp_path holding the clean main.cf and master.cf."""
    folder = tmp_path / "clean"
    folder.mkdir()
    (folder / "main.cf").write_text(CLEAN_MAIN_CF, encoding="utf-8")
    (folder / "master.cf").write_text(CLEAN_MASTER_CF, encoding="utf-8")
    return folder
