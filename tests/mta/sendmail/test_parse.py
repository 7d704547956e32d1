"""Units: the .mc grammar, the m4 evaluator, the model and the posture (no m4 needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from linter.cli import main
from linter.discover import discover
from linter.mta.sendmail.m4 import M4, EndOfInput, ExpansionLimit, Source
from linter.mta.sendmail.model import build_model, daemon_fields
from linter.mta.sendmail.parse import parse_mc
from linter.mta.sendmail.posture import build_posture, class_r_entry, ssl_protocols
from linter.source import SourceFile

HEAD = "OSTYPE(`linux')dnl\n"
TAIL = "MAILER(`local')dnl\nMAILER(`smtp')dnl\n"


def model_of(text: str, tmp_path: Path | None = None):
    return build_model(Source("t.mc", text, "user"), tmp_path, 10**6)


def kinds(model) -> list[str]:
    return [d.kind for d in model.diagnostics]


# ---------------------------------------------------------------- m4


def m4(text: str) -> str:
    return M4().expand(text)


def test_quotes_nest_and_lose_one_level() -> None:
    assert m4("`a `b' c'") == "a `b' c"
    assert m4("define(`X', ``q'')X") == "q"  # the body `q' is read again


def test_call_needs_the_parenthesis_at_once() -> None:
    assert m4("define(`F', `[$1]')F(x)|F (x)") == "[x]|[] (x)"


def test_arguments_lose_leading_whitespace_and_expand() -> None:
    assert m4("define(`A', `1')define(`F', `<$1|$2>')F(  A ,\n\t`b')") == "<1 |b>"


def test_dnl_and_ifelse_and_eval() -> None:
    assert m4("a dnl comment\nb") == "a b"
    assert m4("ifelse(`a', `b', `x', `a', `a', `y', `z')") == "y"
    assert m4("eval(2 ** 3 + 7 % 4)|eval(0x10 >= 16)") == "11|1"


def test_builtins_without_arguments_are_text() -> None:
    assert m4("define|ifdef") == "define|ifdef"


def test_translit_substr_index_len() -> None:
    assert m4("translit(`Hello', `a-z', `A-Z')") == "HELLO"
    assert m4("substr(`abcdef', 2, 3)|index(`abc', `c')|len(`abcd')") == "cde|2|4"


def test_self_reference_is_bounded() -> None:
    with pytest.raises(ExpansionLimit):
        m4("define(`X', `X')X")
    with pytest.raises(ExpansionLimit):
        m4("define(`X', `X(X)')X")


def test_unclosed_quote_position() -> None:
    src = Source("t.mc", "define(`A', `x)dnl\n", "user")
    machine = M4()
    with pytest.raises(EndOfInput) as info:
        machine.run(src)
    assert info.value.message == "end of file in string"
    assert src.position(info.value.offset) == (1, 13)


def test_syscmd_never_runs() -> None:
    assert m4("syscmd(`touch /tmp/mtalint-should-not-exist')esyscmd(`echo hi')") == ""
    assert not Path("/tmp/mtalint-should-not-exist").exists()


def test_names_continue_across_expansions() -> None:
    assert m4("define(`BC', `yes')ifelse(`', `', `B')C") == "yes"


# ---------------------------------------------------------------- grammar


def test_grammar_spans_calls_and_arguments() -> None:
    mc = parse_mc(SourceFile("t.mc", "dnl c\nFEATURE(`access_db', , `skip')dnl x\n"))
    call = mc.calls[0]
    assert call.name == "FEATURE"
    assert (call.span.line, call.span.column) == (2, 1)
    assert [a.text for a in call.args] == ["`access_db'", " ", " `skip'"]
    assert call.args[0].span.column == 9


def test_quote_mistake_found() -> None:
    mc = parse_mc(SourceFile("t.mc", "define('ALIAS_FILE','/etc/aliases')dnl\n"))
    d = mc.diagnostics[0]
    assert d.kind == "quote-mistake"
    assert (d.span.line, d.span.column) == (1, 8)
    assert "`ALIAS_FILE'" in d.message


def test_space_before_paren_found() -> None:
    mc = parse_mc(SourceFile("t.mc", "FEATURE (`smrsh')dnl\n"))
    assert [d.kind for d in mc.diagnostics] == ["space-before-paren"]


def test_raw_blocks_kept() -> None:
    text = HEAD + "LOCAL_CONFIG\nKhostmap hash /etc/mail/hostmap\nCwlocalhost\n" + TAIL
    mc = parse_mc(SourceFile("t.mc", text))
    assert mc.raw_blocks[0].name == "LOCAL_CONFIG"
    assert "Khostmap hash /etc/mail/hostmap\nCwlocalhost" in mc.raw_blocks[0].text
    assert mc.raw_blocks[0].span.line == 3


def test_dnl_comments_for_suppressions() -> None:
    mc = parse_mc(SourceFile("t.mc", "dnl mtalint: ignore[SM016] reason\nFEATURE(`x')dnl y\n"))
    assert [(c.line, c.text) for c in mc.comments] == [
        (1, "mtalint: ignore[SM016] reason"),
        (2, "y"),
    ]


def test_unclosed_quote_is_not_parsed() -> None:
    assert parse_mc(SourceFile("t.mc", "define(`A', `x)\n")).parsed is False


# ---------------------------------------------------------------- model


def test_options_and_origins() -> None:
    model = model_of(
        HEAD + "define(`confPRIVACY_FLAGS', ``goaway,noetrn'')dnl\n"
        "define(`confSMTP_LOGIN_MSG', `$j')dnl\n" + TAIL
    )
    assert model.value("PrivacyOptions") == "goaway,noetrn"
    assert model.value("SmtpGreetingMessage") == "$j"
    assert model.options["PrivacyOptions"].span.line == 2
    assert model.options["AliasFile"].span is None  # cf.m4's default


def test_defaults_from_ostype_and_domain_are_attributed() -> None:
    model = model_of("OSTYPE(`debian')dnl\nDOMAIN(`debian-mta')dnl\n" + TAIL)
    origin = model.options["PrivacyOptions"].origin
    assert origin.span.line == 2 and origin.via == "DOMAIN(`debian-mta')"


def test_default_daemons_and_no_default_msa() -> None:
    model = model_of(HEAD + TAIL)
    assert [d.text for d in model.daemons] == ["Name=MTA", "Port=587, Name=MSA, M=E"]
    assert all(d.default for d in model.daemons)
    model = model_of(HEAD + "FEATURE(`no_default_msa')dnl\n" + TAIL)
    assert [d.text for d in model.daemons] == ["Name=MTA"]


def test_daemon_options_replace_the_mta() -> None:
    model = model_of(HEAD + "DAEMON_OPTIONS(`Port=smtp, Addr=127.0.0.1, Name=MTA')dnl\n" + TAIL)
    assert [d.text for d in model.daemons][0] == "Port=smtp, Addr=127.0.0.1, Name=MTA"
    assert model.daemons[0].span.line == 2 and not model.daemons[0].default
    assert daemon_fields("Name=MSA, Port=587, M=Ea") == {
        "Name": "MSA",
        "Port": "587",
        "Modifier": "Ea",
    }


def test_unknown_feature_and_define() -> None:
    model = model_of(HEAD + "FEATURE(`acces_db')dnl\ndefine(`confPRIVACY_FLGS', `x')dnl\n" + TAIL)
    by_kind = {d.kind: d for d in model.diagnostics}
    assert by_kind["unknown-feature"].fatal
    assert "did you mean `access_db'" in by_kind["unknown-feature"].message
    assert "confPRIVACY_FLAGS (PrivacyOptions)" in by_kind["unknown-define"].message
    assert (by_kind["unknown-define"].span.line, by_kind["unknown-define"].span.column) == (3, 8)


def test_feature_after_mailer() -> None:
    model = model_of(HEAD + TAIL + "FEATURE(`smrsh')dnl\n")
    d = next(d for d in model.diagnostics if d.kind == "feature-after-mailer")
    assert d.span.line == 4 and not d.fatal


def test_self_referential_define_is_a_diagnostic() -> None:
    model = model_of(HEAD + "define(`LOOP', `LOOP')LOOP\n" + TAIL)
    assert "expansion-limit" in kinds(model)


def test_hash_lines_still_expand() -> None:
    model = model_of(HEAD + "# define(`confPRIVACY_FLAGS', `goaway')\n" + TAIL)
    assert model.value("PrivacyOptions") == "goaway"


def test_includes_are_confined(tmp_path: Path) -> None:
    (tmp_path / "site.m4").write_text("define(`confPRIVACY_FLAGS', `goaway')dnl\n")
    model = model_of(HEAD + "include(`site.m4')dnl\ninclude(`/etc/passwd')dnl\n" + TAIL, tmp_path)
    assert model.value("PrivacyOptions") == "goaway"
    assert "include-not-followed" in kinds(model)


def test_local_config_option_lines() -> None:
    model = model_of(HEAD + TAIL + "LOCAL_CONFIG\nO MaxMessageSize=1000\n")
    assert model.value("MaxMessageSize") == "1000"


def test_smart_host_port_suffix() -> None:
    model = model_of(HEAD + "define(`SMART_HOST', `[relay.example.test]:587')dnl\n" + TAIL)
    assert "smart-host-port" in kinds(model)


# ---------------------------------------------------------------- posture


def posture_of(text: str):
    return build_posture(model_of(text))[0]


def test_default_listeners() -> None:
    p = posture_of(HEAD + TAIL)
    assert [(x.name, x.port, x.public, x.tls, x.auth) for x in p.listeners] == [
        ("MTA", 25, True, "none", "none"),
        ("MSA", 587, True, "none", "none"),
    ]
    assert p.roles == ["mx", "submission"]
    assert p.listeners[0].vrfy and not p.listeners[0].helo_required
    assert "Sendmail 8.17.1.9" in p.listeners[0].banner_expanded


def test_tls_auth_and_smtps() -> None:
    p = posture_of(
        HEAD + "define(`confSERVER_CERT', `/c.pem')dnl\ndefine(`confSERVER_KEY', `/k.pem')dnl\n"
        "define(`confCACERT', `/ca.pem')dnl\ndefine(`confCACERT_PATH', `/ca')dnl\n"
        "define(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"
        "DAEMON_OPTIONS(`Port=smtp, Name=MTA')dnl\n"
        "DAEMON_OPTIONS(`Port=smtps, Name=TLSMSA, M=s')dnl\n"
        "DAEMON_OPTIONS(`Port=submission, Name=MSA, M=Ea')dnl\n"
        "FEATURE(`no_default_msa')dnl\n" + TAIL
    )
    by_name = {x.name: x for x in p.listeners}
    assert by_name["MTA"].tls == "optional" and by_name["MTA"].auth_before_tls
    assert by_name["TLSMSA"].tls == "implicit" and not by_name["TLSMSA"].auth_before_tls
    assert by_name["MSA"].auth == "required"
    assert by_name["MSA"].relay.verdict == "authenticated"


def test_relay_verdicts() -> None:
    assert posture_of(HEAD + TAIL).listeners[0].relay.verdict == "networks"
    p = posture_of(HEAD + "FEATURE(`promiscuous_relay')dnl\n" + TAIL)
    assert p.listeners[0].relay.verdict == "open"
    p = posture_of(HEAD + "FEATURE(`relay_based_on_MX')dnl\n" + TAIL)
    assert "relay_based_on_MX" in p.listeners[0].relay.conditional_permit
    p = posture_of(HEAD + "RELAY_DOMAIN(`192 10.1')dnl\n" + TAIL)
    assert p.listeners[0].relay.public_networks == ["192.0.0.0/8"]


def test_class_r_entries() -> None:
    assert class_r_entry("10.1") == ("10.1.0.0/16", False, 16)
    assert class_r_entry("com") == ("com", True, None)
    assert class_r_entry("example.test") == ("example.test", False, None)


def test_smart_host_port_from_mailer_args() -> None:
    p = posture_of(
        HEAD + "define(`SMART_HOST', `[relay.example.test]')dnl\n"
        "define(`RELAY_MAILER_ARGS', `TCP $h 587')dnl\nFEATURE(`authinfo')dnl\n" + TAIL
    )
    r = p.outbound.relayhost
    assert (r.host, r.port, r.mx_lookup) == ("relay.example.test", 587, False)
    assert p.outbound.auth and p.outbound.auth_plaintext_without_tls
    assert "relay" in p.roles


def test_ssl_protocols() -> None:
    assert ssl_protocols(None) == ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"]
    assert ssl_protocols("+SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1") == ["TLSv1.2", "TLSv1.3"]
    assert "SSLv3" in ssl_protocols("-SSL_OP_NO_SSLv3")


# ---------------------------------------------------------------- discovery and CLI


def test_discovery_needs_cf_macros(tmp_path: Path) -> None:
    (tmp_path / "sendmail.mc").write_text(HEAD + TAIL)
    (tmp_path / "submit.mc").write_text("FEATURE(`msp')dnl\n")
    (tmp_path / "other.mc").write_text("not a sendmail file\n")
    sets, _ = discover([tmp_path])
    assert sorted(s.files[0].path.name for s in sets) == ["sendmail.mc", "submit.mc"]
    assert all(s.mta == "sendmail" for s in sets)


def test_parse_command_exposes_options_and_features(tmp_path: Path) -> None:
    mc = tmp_path / "sendmail.mc"
    mc.write_text(HEAD + "FEATURE(`access_db', , `skip')dnl\n" + TAIL)
    result = CliRunner().invoke(main, ["parse", str(mc), "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["sendmail"]["options"]["PrivacyOptions"] == "authwarnings"
    assert doc["sendmail"]["options"]["DaemonPortOptions"] == [
        "Name=MTA",
        "Port=587, Name=MSA, M=E",
    ]
    feature = next(f for f in doc["sendmail"]["features"] if f["name"] == "access_db")
    assert feature == {"name": "access_db", "args": ["", "skip"], "line": 2}


def test_check_suppression_with_dnl(tmp_path: Path) -> None:
    mc = tmp_path / "sendmail.mc"
    mc.write_text(
        HEAD + "dnl mtalint: ignore[SM001] lab machine\nFEATURE(`promiscuous_relay')dnl\n" + TAIL
    )
    result = CliRunner().invoke(main, ["check", str(mc), "--select", "SM001", "--format", "json"])
    assert "SM001" not in result.output.replace("ignore[SM001]", "")
