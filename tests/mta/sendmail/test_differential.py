"""mtalint's reading of .mc files against m4 + sendmail-cf, the real build.

For every .mc in the shared corpus, every upstream example in sendmail-cf and a few
hundred generated ones, the options mtalint derives must equal the ``O Name=value`` lines
(daemon and client port options included) of ``m4 cf.m4 FILE.mc``, and m4's failures and
cf.m4's errors must show up as diagnostics. Expected values come from m4 only.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

import pytest

from tests import paths
from tests.mta.sendmail.oracle import CF_DIR, available, model_options, run_m4

REASON = available()
pytestmark = pytest.mark.skipif(REASON is not None, reason=REASON or "")

CORPUS = paths.CORPUS / "sendmail-mc"
UPSTREAM = CF_DIR / "cf"
_CF_INCLUDE = re.compile(r"include\(`[^']*cf\.m4'\)")
_ETC_M4 = "/etc/mail/m4/"


def _corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.mc")) if CORPUS.is_dir() else []


def _upstream() -> list[Path]:
    return sorted(UPSTREAM.glob("*.mc")) if UPSTREAM.is_dir() else []


def _prepare(text: str, folder: Path) -> Path:
    """The file both sides read: cf.m4 included from where this machine has it, and the
    files Debian's sendmail.mc includes from /etc/mail/m4 stubbed inside the folder."""
    text = _CF_INCLUDE.sub(f"include(`{CF_DIR}/m4/cf.m4')", text)
    if _ETC_M4 in text:
        stubs = folder / "etc" / "mail" / "m4"
        stubs.mkdir(parents=True, exist_ok=True)
        for name in re.findall(re.escape(_ETC_M4) + r"([\w.-]+)", text):
            (stubs / name).write_text("", encoding="utf-8")
        text = text.replace(_ETC_M4, f"{stubs}/")
    mc = folder / "config.mc"
    mc.write_bytes(text.encode("latin-1", errors="replace"))
    return mc


def _analyse(mc: Path):
    from linter.mta.sendmail.m4 import Source
    from linter.mta.sendmail.model import _decode, build_model

    return build_model(Source(str(mc), _decode(mc.read_bytes()), "user"), mc.parent, 10**7)


def _errors(stderr: str) -> list[str]:
    """cf.m4's errors (it prints them and still exits 0)."""
    return [
        line
        for line in stderr.splitlines()
        if "*** ERROR" in line or "should be before" in line or "requires FEATURE" in line
    ]


def compare(mc: Path) -> None:
    oracle = run_m4(mc)
    model = _analyse(mc)
    fatal = [d for d in model.diagnostics if d.fatal]
    assert (oracle.returncode != 0) == bool(fatal), (
        f"m4 exit {oracle.returncode} ({oracle.stderr.strip()[:300]}) but mtalint fatal "
        f"diagnostics: {[d.message for d in fatal]}"
    )
    if oracle.returncode != 0:
        return  # m4 stopped early or wrote a broken .cf: options are not comparable
    assert model_options(model) == oracle.options
    cf_errors = _errors(oracle.stderr)
    reported = [
        d
        for d in model.diagnostics
        if d.kind in ("m4-error", "feature-after-mailer") or d.kind.startswith("unknown-")
    ]
    assert len(reported) >= len(cf_errors), (cf_errors, [d.message for d in reported])


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: p.name)
def test_corpus_file(path: Path, tmp_path: Path) -> None:
    compare(_prepare(path.read_bytes().decode("latin-1"), tmp_path))


def test_corpus_is_there() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"{CORPUS} not found")
    assert len(_corpus()) >= 5


@pytest.mark.parametrize("path", _upstream(), ids=lambda p: p.name)
def test_upstream_example(path: Path, tmp_path: Path) -> None:
    compare(_prepare(path.read_bytes().decode("latin-1"), tmp_path))


def test_debian_sendmail_mc(tmp_path: Path) -> None:
    debian = CF_DIR / "debian" / "sendmail.mc"
    if not debian.is_file():
        pytest.skip(f"{debian} not found")
    compare(_prepare(debian.read_text(encoding="latin-1"), tmp_path))


# ---------------------------------------------------------------- generated files

FEATURES = [
    "`access_db'",
    "`access_db', , `skip'",
    "`blocklist_recipients'",
    "`delay_checks'",
    "`greet_pause', `1000'",
    "`promiscuous_relay'",
    "`relay_entire_domain'",
    "`relay_based_on_MX'",
    "`relay_hosts_only'",
    "`relay_local_from'",
    "`no_default_msa'",
    "`smrsh'",
    "`mailertable'",
    "`virtusertable'",
    "`always_add_domain'",
    "`masquerade_envelope'",
    "`authinfo'",
    "`nouucp', `reject'",
    "`use_cw_file'",
    "`use_ct_file'",
    "`accept_unresolvable_domains'",
    "`dnsbl', `zen.spamhaus.org'",
    "`ratecontrol', `nodelay', `terminate'",
    "`conncontrol', `nodelay', `terminate'",
    "`require_rdns'",
    "`badmx'",
    "`local_procmail'",
    "`nocanonify'",
]
DEFINES = [
    ("confPRIVACY_FLAGS", ["`goaway'", "``authwarnings,novrfy,noexpn,restrictqrun''", "`noexpn'"]),
    ("confSMTP_LOGIN_MSG", ["`$j'", "`$j Sendmail $v/$Z; $b'", "`$j ESMTP ready'"]),
    ("confAUTH_OPTIONS", ["`A p y'", "`A'", "`p,y'"]),
    ("confAUTH_MECHANISMS", ["`PLAIN LOGIN'", "`DIGEST-MD5 CRAM-MD5 PLAIN'", "`EXTERNAL'"]),
    ("confMAX_MESSAGE_SIZE", ["`10485760'", "`0'"]),
    ("confSERVER_CERT", ["`/etc/mail/tls/cert.pem'", "`CERT_DIR/host.pem'"]),
    ("confSERVER_KEY", ["`/etc/mail/tls/key.pem'"]),
    ("confCACERT", ["`/etc/ssl/ca.pem'"]),
    ("confCACERT_PATH", ["`/etc/ssl/certs'"]),
    ("confSERVER_SSL_OPTIONS", ["`+SSL_OP_NO_SSLv2 +SSL_OP_NO_SSLv3'", "`-SSL_OP_NO_SSLv3'"]),
    ("confCLIENT_SSL_OPTIONS", ["`+SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1'"]),
    ("confCIPHER_LIST", ["`HIGH:!aNULL:!MD5'", "`RC4-SHA:HIGH'"]),
    ("confTLS_SRV_OPTIONS", ["`V'"]),
    ("confMAX_DAEMON_CHILDREN", ["`40'"]),
    ("confCONNECTION_RATE_THROTTLE", ["`5'"]),
    ("confDONT_BLAME_SENDMAIL", ["`GroupWritableDirPathSafe'"]),
    ("confTO_CONNECT", ["`1m'"]),
    ("confMESSAGE_TIMEOUT", ["`5d/4h'", "`3d'"]),
    ("confDEF_USER_ID", ["``8:12''"]),
    ("confTRUSTED_USERS", ["`root daemon'"]),
    ("confDOMAIN_NAME", ["`mail.example.test'"]),
    ("confTLS_FALLBACK_TO_CLEAR", ["`true'"]),
    ("confDANE", ["`true'"]),
    ("confLOG_LEVEL", ["`12'"]),
    ("SMART_HOST", ["`relay.example.test'", "`[relay.example.test]'", "`esmtp:[10.0.0.1]'"]),
    ("RELAY_MAILER_ARGS", ["`TCP $h 587'", "`TCP $h 25'"]),
    ("ESMTP_MAILER_ARGS", ["`TCP $h 465'"]),
    ("ALIAS_FILE", ["``/etc/mail/aliases,/etc/mail/lists''"]),
    ("QUEUE_DIR", ["`/var/spool/mqueue/q*'"]),
    ("STATUS_FILE", ["`/var/log/sendmail.st'"]),
    ("CERT_DIR", ["`/etc/mail/certs'"]),
    ("confFOO_BAR", ["`1'"]),
    ("confPRIVACY_FLGS", ["`goaway'"]),
]
DAEMONS = [
    "`Port=smtp, Addr=127.0.0.1, Name=MTA'",
    "`Port=smtp, Name=MTA'",
    "`Port=submission, Name=MSA, M=Ea'",
    "`Port=smtps, Name=TLSMTA, M=s'",
    "`Family=inet6, Name=MTA-v6, Port=smtp, Addr=::1'",
    "`Name=MTA-v4, Family=inet, Addr=0.0.0.0'",
]


def generate(seed: int) -> str:
    rnd = random.Random(seed)
    out = ["divert(-1)dnl", f"# generated case {seed}", "divert(0)dnl"]
    out.append("VERSIONID(`generated')dnl")
    if rnd.random() < 0.95:
        out.append(f"OSTYPE(`{rnd.choice(['linux', 'debian', 'freebsd6', 'bsd4.4'])}')dnl")
    if rnd.random() < 0.5:
        out.append(f"DOMAIN(`{rnd.choice(['generic', 'debian-mta'])}')dnl")
    body: list[str] = []
    for name, values in rnd.sample(DEFINES, rnd.randint(2, 10)):
        sep = rnd.choice([", ", ",", ",dnl\n\t"])
        body.append(f"define(`{name}'{sep}{rnd.choice(values)})dnl")
    for spec in rnd.sample(FEATURES, rnd.randint(0, 6)):
        body.append(f"FEATURE({spec})dnl")
    for spec in rnd.sample(DAEMONS, rnd.choice([0, 0, 1, 2, 3])):
        body.append(f"DAEMON_OPTIONS({spec})dnl")
    if rnd.random() < 0.2:
        body.append("CLIENT_OPTIONS(`Family=inet, Address=0.0.0.0, M=h')dnl")
    if rnd.random() < 0.3:
        body.append("TRUST_AUTH_MECH(`DIGEST-MD5 CRAM-MD5 LOGIN PLAIN')dnl")
    if rnd.random() < 0.3:
        body.append("RELAY_DOMAIN(`example.test 10.1')dnl")
    if rnd.random() < 0.2:
        body.append("INPUT_MAIL_FILTER(`opendkim', `S=inet:8891@localhost')dnl")
    if rnd.random() < 0.2:
        body.append("MASQUERADE_AS(`example.test')dnl")
    if rnd.random() < 0.2:
        body.append("undefine(`UUCP_RELAY')dnl")
    if rnd.random() < 0.2:
        body.append("# a comment line that mentions MAILER_DEFINITIONS and dnl")
    rnd.shuffle(body)
    out.extend(body)
    mailers = ["MAILER(`local')dnl", "MAILER(`smtp')dnl"]
    if rnd.random() < 0.3:
        mailers.append("MAILER(`procmail')dnl")
    out.extend(mailers)
    if rnd.random() < 0.15:
        out.append("FEATURE(`smrsh')dnl")  # after MAILER: cf.m4 says so
    if rnd.random() < 0.25:
        out.append("LOCAL_CONFIG")
        out.append("Khostmap hash /etc/mail/hostmap")
        if rnd.random() < 0.5:
            out.append("O MaxMessageSize=2000000")
    if rnd.random() < 0.05:
        out.append("FEATURE(`no_such_feature')dnl")
    if rnd.random() < 0.05:
        out.append("define(`confLOG_LEVEL', `9)dnl")
    return "\n".join(out) + "\n"


GENERATED = 120


@pytest.mark.parametrize("seed", range(GENERATED))
def test_generated(seed: int, tmp_path: Path) -> None:
    compare(_prepare(generate(seed), tmp_path))


def test_m4_errors_are_diagnostics(tmp_path: Path) -> None:
    text = "OSTYPE(`linux')dnl\nMAILER(`smtp')dnl\nFEATURE(`smrsh')dnl\nFEATURE(`acces_db')dnl\n"
    mc = _prepare(text, tmp_path)
    oracle = run_m4(mc)
    model = _analyse(mc)
    assert oracle.returncode == 1
    assert "FEATURE() should be before MAILER()" in oracle.stderr
    after = [d.span.line for d in model.diagnostics if d.kind == "feature-after-mailer"]
    assert after == [3, 4]
    unknown = next(d for d in model.diagnostics if d.kind == "unknown-feature")
    assert (unknown.span.line, unknown.span.column) == (4, 9)
    assert unknown.fatal and "did you mean `access_db'" in unknown.message


def test_unbalanced_quote(tmp_path: Path) -> None:
    mc = _prepare("OSTYPE(`linux')dnl\ndefine(`confLOG_LEVEL', `9)dnl\nMAILER(`smtp')\n", tmp_path)
    oracle = run_m4(mc)
    assert "end of file in string" in oracle.stderr
    model = _analyse(mc)
    d = next(d for d in model.diagnostics if d.kind == "m4-syntax")
    assert d.fatal and "end of file in string" in d.message
    assert (d.span.line, d.span.column) == (2, 25)


def test_stubbing_needs_no_system_files() -> None:
    assert shutil.which("m4")


# ---------------------------------------------------------------- builtins against GNU m4

# each case is read by plain GNU m4 (no cf.m4) and by mtalint's interpreter: the output
# and m4's messages must be the same (changequote(<<,>>) frees ` and ' for the patterns)
BUILTIN_CASES = [
    "regexp(<<abc>>, <<a\\|ab>>, <<[\\&]>>)",
    "regexp(<<abc>>, <<b>>)",
    "regexp(<<abc>>, <<x>>)",
    "regexp(<<abc>>)",
    "regexp(<<a{2}>>, <<a\\{2\\}>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<\\w+>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<\\bbar>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<\\<bar\\>>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<\\`foo>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<bar\\'>>, <<[\\&]>>)",
    "regexp(<<foo bar>>, <<o\\B>>, <<[\\&]>>)",
    "regexp(<<a+b>>, <<a\\+b>>, <<[\\&]>>)",
    "regexp(<<aab>>, <<a+b>>, <<[\\&]>>)",
    "regexp(<<*a>>, <<*a>>, <<[\\&]>>)",
    "regexp(<<a\nb>>, <<^b>>, <<[\\&]>>)",
    "regexp(<<a\nb>>, <<a.b>>, <<[\\&]>>)",
    "regexp(<<a\nb>>, <<a[^x]b>>, <<[\\&]>>)",
    "regexp(<<a^b$c>>, <<a^b$c>>, <<[\\&]>>)",
    "regexp(<<a\\b>>, <<a[\\]b>>, <<[\\&]>>)",
    "regexp(<<a]b>>, <<a[]]b>>, <<[\\&]>>)",
    "regexp(<<a>>, <<[z-a]>>)",
    "regexp(<<abcabc>>, <<\\(abc\\)\\1>>, <<[\\&|\\1]>>)",
    "regexp(<<abc>>, <<\\(b\\)>>, <<\\0|\\1|\\2|&|\\\\>>)",
    "regexp(<<aaa>>, <<a*?>>, <<[\\&]>>)",
    "regexp(<<a**>>, <<a**>>, <<[\\&]>>)",
    "regexp(<<xyz>>, <<\\(\\(x\\)\\|y\\)*>>, <<[\\&|\\1|\\2]>>)",
    "regexp(<<abcd>>, <<\\(a\\|ab\\)\\(c\\|bcd\\)>>, <<[\\&|\\1|\\2]>>)",
    "regexp(<<a b>>, <<a\\sb>>, <<[\\&]>>)",
    "regexp(<<abc>>, <<\\(>>)",
    "regexp(<<abc>>, <<[a>>)",
    "regexp(<<abc>>, <<a\\>>)",
    "regexp(<<abc>>, <<\\(a\\)\\2>>)",
    "patsubst(<<abc>>, <<>>, <<->>)",
    "patsubst(<<abc>>, <<b*>>, <<->>)",
    "patsubst(<<aaa>>, <<a*>>, <<X>>)",
    "patsubst(<<hello world>>, <<\\(l+\\)>>, <<<\\1>>>)",
    "patsubst(<<hello world>>, <<\\b>>, <<|>>)",
    "patsubst(<<a\nb\n>>, <<^>>, <<|>>)",
    "patsubst(<<a\nb\n>>, <<$>>, <<|>>)",
    "patsubst(<<aXbXc>>, <<X>>, <<\\>>)",
    "patsubst(<<abc>>, <<b>>)",
    "patsubst(<<hello>>)",
    "patsubst(<<abc>>, <<\\(>>, <<x>>)",
    "incr(99999999999999999999)",
    "incr(2147483647)",
    "incr(9223372036854775807)",
    "decr(-9223372036854775808)",
    "incr(5x)",
    "incr()",
    "incr(<<  7>>)",
    "eval(99999999999999999999)",
    "eval(0x7fffffff+1)",
    "eval(-3,2,5)",
    "eval(3,1,5)",
    "eval(255,16)",
    "eval(10,37)",
    "eval(1,10,-5)",
    "eval(5,10,)",
    "eval(1+)",
    "eval(2**-1)",
    "eval(<<10 0>>)",
    "eval(3**40)",
    "substr(abcdef,99999999999999999999)",
    "substr(abcdef,2x)",
    "substr(abcdef,1,)",
    "substr(abcdef,2,3)",
    "substr(abc)",
    "format(<<%5s|%-5s|%.1s|>>, ab, ab, ab)",
    "format(<<%d|%i|%x|%X|%o|%c|%u>>, 42, 43, 255, 255, 8, 65, -1)",
    "format(<<%05d|%+d|% d|%#x|%#o|%-+05d|%.3d|%.0d|>>, 42, 42, 42, 255, 8, 3, 3, 0)",
    "format(<<%d>>, 99999999999999999999)",
    "format(<<%d|%d>>, abc, 5x)",
    "format(<<%*d|%.*s|%*s|>>, 5, 3, 2, abcdef, -4, ab)",
    "format(<<%5.2f|%e|%g|%a>>, 3.14159, 1.5, 2.5, 1)",
    "format(<<%s %s>>, a)",
    "format(<<%z|%5%|%%>>)",
]


def _plain_m4(text: str) -> tuple[str, list[str]]:
    import subprocess

    proc = subprocess.run(["m4"], input=text.encode(), capture_output=True, timeout=30)
    messages = [re.sub(r"^m4:stdin:\d+: ", "", line) for line in proc.stderr.decode().splitlines()]
    return proc.stdout.decode(), messages


@pytest.mark.parametrize("case", BUILTIN_CASES)
def test_builtin_against_gnu_m4(case: str) -> None:
    from linter.mta.sendmail.m4 import M4, Source

    text = "changequote(<<,>>)dnl\n" + case + "\n"
    expected, gnu_messages = _plain_m4(text)
    m = M4()
    m.run(Source("stdin", text))
    assert m.output() == expected
    assert [x.text.removeprefix("m4: ") for x in m.messages] == gnu_messages
