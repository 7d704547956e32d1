"""Postfix parameter knowledge (linter/mta/postfix/params.py) checked against the real postconf.

Every expectation here comes from running ``postconf`` on generated main.cf/master.cf files:
``-d`` for built-in defaults, ``-x`` for what a compatibility_level does, and the ``unused
parameter`` warnings for which names postconf accepts.

The generated block of params.py is rebuilt from the installed postconf with::

    python tests/mta/postfix/test_params.py --regenerate && ruff format linter/mta/postfix/params.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

if __name__ == "__main__":  # run as a script from anywhere: the checkout's root
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from linter.mta.postfix import params  # noqa: E402
from tests.paths import ROOT  # noqa: E402

POSTCONF = shutil.which("postconf")
pytestmark = pytest.mark.skipif(
    POSTCONF is None, reason="Postfix's postconf is not installed (Debian package: postfix)"
)

PARAMS_PY = ROOT / "linter" / "mta" / "postfix" / "params.py"
BEGIN = "# BEGIN GENERATED BUILTIN_DEFAULTS\n"
END = "# END GENERATED BUILTIN_DEFAULTS\n"
_LINE = re.compile(r"(?P<name>\S+) =(?: (?P<value>.*))?")
_UNUSED = re.compile(r"warning: (?P<file>\S+): unused parameter: (?P<name>[^=]+)=")


# ---------------------------------------------------------------- helpers


def postconf(*args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C"}
    return subprocess.run(
        [POSTCONF or "postconf", *args], capture_output=True, text=True, env=env, timeout=30
    )


def make_config(folder: Path, main: str = "", master: str = "") -> Path:
    """A config directory; files get an old mtime, or postconf waits for them to settle."""
    folder.mkdir(parents=True, exist_ok=True)
    old = time.time() - 3600
    for name, text in (("main.cf", main), ("master.cf", master)):
        path = folder / name
        path.write_text(text)
        os.utime(path, (old, old))
    return folder


def parse_dump(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _LINE.fullmatch(line)
        assert m, f"unexpected postconf output line: {line!r}"
        out[m.group("name")] = m.group("value") or ""
    return out


def builtin_dump(folder: Path) -> dict[str, str]:
    """``postconf -d`` with an empty main.cf and master.cf (no per-service names)."""
    result = postconf("-c", str(make_config(folder)), "-d")
    assert result.returncode == 0, result.stderr
    return parse_dump(result.stdout)


def unused(stderr: str) -> set[tuple[str, str]]:
    return {(Path(m.group("file")).name, m.group("name")) for m in _UNUSED.finditer(stderr)}


@pytest.fixture(scope="module")
def dump(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return builtin_dump(tmp_path_factory.mktemp("empty"))


# ---------------------------------------------------------------- built-in defaults


def test_every_parameter_postconf_prints_is_known(dump):
    assert set(params.BUILTIN_DEFAULTS) == set(dump)


def test_builtin_defaults_are_postconfs_raw_defaults(dump):
    differ = {n for n, v in dump.items() if params.BUILTIN_DEFAULTS.get(n) != v}
    # only the stand-ins for machine/process/build values may differ (and they may agree)
    assert differ <= params.HOST_DEPENDENT
    assert {"myhostname", "mynetworks", "process_id"} <= params.HOST_DEPENDENT


def test_debian_build_values_are_what_this_postconf_prints(dump):
    if dump["daemon_directory"] != params.DEBIAN_DEFAULTS["daemon_directory"]:
        pytest.skip("postconf is not Debian's build")
    for name, value in params.DEBIAN_DEFAULTS.items():
        assert dump[name] == value, name
        assert name in params.HOST_DEPENDENT


def test_generated_block_is_current(dump):
    """The literal in params.py is what --regenerate would write (compared as data)."""
    text = PARAMS_PY.read_text()
    block = text[text.index(BEGIN) + len(BEGIN) : text.index(END)]
    namespace: dict[str, object] = {}
    exec(block, namespace)  # the block is a plain dict literal
    expected = {n: v for n, v in dump.items() if n not in params.HOST_DEPENDENT}
    assert namespace["BUILTIN_DEFAULTS"] == expected


def test_per_service_names_are_what_postconf_d_adds(tmp_path):
    master = "".join(
        f"{service} unix - n n - - {command}\n"
        for service, command in [
            ("relay", "smtp"),
            ("mylmtp", "lmtp"),
            ("loc", "local"),
            ("virt", "virtual"),
            ("err", "error"),
            ("pipey", "pipe"),
            ("spawny", "spawn"),
            ("disc", "discard"),
            ("qm", "qmgr"),
            ("pathy", "/usr/lib/postfix/sbin/smtp"),
        ]
    )
    folder = make_config(tmp_path / "svc", master=master)
    result = postconf("-c", str(folder), "-d")
    assert result.returncode == 0, result.stderr
    extra = {n: v for n, v in parse_dump(result.stdout).items() if n not in params.BUILTIN_DEFAULTS}
    expected = {
        f"{service}_{suffix}": params.SERVICE_SUFFIX_DEFAULTS[suffix]
        for service, command in [
            ("relay", "smtp"),
            ("mylmtp", "lmtp"),
            ("loc", "local"),
            ("virt", "virtual"),
            ("err", "error"),
            ("pipey", "pipe"),
            ("spawny", "spawn"),
        ]
        for suffix in params.SERVICE_SUFFIXES_BY_COMMAND[command]
    }
    assert extra == expected
    commands = {line.split()[0]: line.split()[-1] for line in master.splitlines()}
    for name, value in extra.items():
        assert params.service_default(name, commands) == value, name
    assert params.service_default("disc_time_limit", commands) is None
    assert params.service_default("relay_time_limit", commands) is None


def test_raw_and_read_only_parameters(tmp_path):
    """``P = $probe_P`` for every built-in P: the probe stays unused only when P is raw."""
    names = sorted(set(params.BUILTIN_DEFAULTS) - {"compatibility_level", "config_directory"})
    main = "".join(f"{n} = $zz_{n}\nzz_{n} = x\n" for n in names)
    folder = make_config(tmp_path, main=main)
    result = postconf("-c", str(folder), "-n")
    assert result.returncode == 0, result.stderr
    not_expanded = {n[3:] for _f, n in unused(result.stderr)}
    read_only = set(re.findall(r"read-only parameter assignment: ([^=]+)=", result.stderr))
    assert read_only == params.READ_ONLY_PARAMETERS
    assert not_expanded == params.RAW_PARAMETERS | params.READ_ONLY_PARAMETERS


def test_legacy_parameters_are_the_names_expanded_defaults_refer_to():
    ref = re.compile(r"\$(?:\{|\()?([A-Za-z0-9_]+)")
    referred = {
        m.group(1)
        for name, value in params.BUILTIN_DEFAULTS.items()
        if name not in params.RAW_PARAMETERS
        for m in ref.finditer(value)
    }
    assert referred - set(params.BUILTIN_DEFAULTS) == params.LEGACY_PARAMETERS


# ---------------------------------------------------------------- compatibility_level


def test_compat_defaults_are_the_level_expressions_postconf_prints(dump):
    pattern = re.compile(
        r"\$\{\{\$compatibility_level\} <level \{([^{}]*)\} \? \{(.*)\} : \{(.*)\}\}"
    )
    found = {}
    for name, value in dump.items():
        m = pattern.fullmatch(value)
        if m:
            found[name] = (m.group(1), m.group(2))
        else:
            assert "compatibility_level" not in value, name
    assert found == {c.name: (c.level, c.below) for c in params.COMPAT_DEFAULTS}


LEVELS = ["0", "1", "1.9", "2", "3", "3.5.99", "3.6", "3.7", "3.10", "3.11"]


@pytest.mark.parametrize("level", LEVELS)
def test_default_for_matches_postconf_at_level(tmp_path, level):
    """postconf -x of every built-in default equals postconf -x of default_for()'s value."""
    folder = make_config(tmp_path, main=f"compatibility_level = {level}\n")
    skip = params.HOST_DEPENDENT | {"compatibility_level", "config_directory"}
    names = sorted(n for n in params.BUILTIN_DEFAULTS if n not in skip)
    overrides: list[str] = []
    for name in names:
        value = params.default_for(name, level, params.DATA_VERSION)
        assert value is not None, name
        overrides += ["-o", f"{name}={value}"]
    actual = postconf("-c", str(folder), "-x", "-h", *names)
    ours = postconf("-c", str(folder), "-x", "-h", *overrides, *names)
    assert actual.returncode == 0 and ours.returncode == 0, actual.stderr + ours.stderr
    actual_lines = actual.stdout.splitlines()
    ours_lines = ours.stdout.splitlines()
    assert len(actual_lines) == len(names)
    differ = [(n, a, o) for n, a, o in zip(names, actual_lines, ours_lines, strict=True) if a != o]
    assert differ == []


@pytest.mark.parametrize("level", LEVELS)
def test_level_and_version_dependent_raw_values_at_37(tmp_path, level):
    folder = make_config(tmp_path, main=f"compatibility_level = {level}\n")
    names = sorted(params.VERSION_DEFAULTS) + ["mynetworks_style"]
    raw = postconf("-c", str(folder), "-h", *names)
    expanded = postconf("-c", str(folder), "-x", "-h", *names)
    assert raw.returncode == 0 and expanded.returncode == 0, raw.stderr + expanded.stderr
    rows = zip(names, raw.stdout.splitlines(), expanded.stdout.splitlines(), strict=True)
    for name, raw_value, expanded_value in rows:
        ours = params.default_for(name, level, params.DATA_VERSION)
        # postconf -h prints a level-dependent default as its expression; -x resolves it
        level_dependent = "$compatibility_level" in raw_value
        assert ours == (expanded_value if level_dependent else raw_value), name


def test_mynetworks_follows_the_style_default(tmp_path):
    """The computed mynetworks has the loopback networks of the chosen style."""
    for level, style in (("0", "subnet"), ("2", "host")):
        folder = make_config(tmp_path / level, main=f"compatibility_level = {level}\n")
        value = postconf("-c", str(folder), "-h", "mynetworks").stdout.split()
        ours = params.default_for("mynetworks", level, params.DATA_VERSION)
        assert ours == params.MYNETWORKS_BY_STYLE[style]
        assert set(ours.split()) <= set(value)


ORDERED = ["0", "1", "2", "3", "3.0", "3.5", "3.6", "3.6.1", "3.9", "3.10", "3.10.0", "10"]
ORDERED += ["+3", "3.+6", "03.06", " 3.6", "3. 7", "-0", "3.1023", "3.6.1023", "8796093022207"]


def test_compat_level_tuple_orders_like_postconf(tmp_path):
    pairs = [(a, b) for a in ORDERED for b in ORDERED]
    banner = "".join(f"${{{{{a}}} <level {{{b}}} ? {{1}} : {{0}}}}" for a, b in pairs)
    folder = make_config(tmp_path)
    result = postconf("-c", str(folder), "-x", "-h", "-o", f"smtpd_banner={banner}", "smtpd_banner")
    assert result.returncode == 0, result.stderr
    ours = "".join(
        "1" if params.compat_level_tuple(a) < params.compat_level_tuple(b) else "0"
        for a, b in pairs
    )
    assert result.stdout.strip() == ours


MALFORMED = ["abc", "", "3.", ".3", "3.x", "3.6x", "-1", "0x3", "1e3", "3.6.1.2", "3.1024"]
MALFORMED += ["3.6.1024", "8796093022208", "99999999999999999999999", "3.6 "]


def test_malformed_levels_are_rejected_like_postconf(tmp_path):
    # postconf sleeps a second after a fatal error: run the probes side by side
    folder = make_config(tmp_path)
    env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C"}
    probes = {}
    for text in MALFORMED:
        value = f"smtpd_banner=${{{{{text}}} <level {{1}} ? {{lt}} : {{ge}}}}"
        probes[text] = subprocess.Popen(
            [POSTCONF or "postconf", "-c", str(folder), "-x", "-h", "-o", value, "smtpd_banner"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    for text, probe in probes.items():
        _out, err = probe.communicate(timeout=30)
        assert probe.returncode != 0 and "malformed compatibility level" in err, text
        assert not params.valid_compat_level(text), text
        assert params.compat_level_tuple(text) == (0, 0, 0), text


def test_compat_level_tuple_semantics():
    assert params.compat_level_tuple("3.10") > params.compat_level_tuple("3.9")
    assert params.compat_level_tuple("3") == (3, 0, 0)
    assert params.compat_level_tuple("3.6.1") == (3, 6, 1)
    assert params.compat_level_tuple("junk") == (0, 0, 0)
    assert params.valid_compat_level("3.6") and not params.valid_compat_level("3.6-rc1")


def test_master_chroot_default():
    assert params.master_chroot_default("0") == "y"
    assert params.master_chroot_default("1") == "n"
    assert params.master_chroot_default("3.6") == "n"
    assert params.master_chroot_default("3.6", (2, 11, 0)) == "y"


# ---------------------------------------------------------------- other Postfix versions


def test_version_dependent_defaults():
    d = params.default_for
    assert d("smtp_tls_security_level", "3.11", (3, 11, 0)) == "may"
    assert d("smtp_tls_security_level", "3.10", (3, 11, 0)) == ""
    assert d("smtp_tls_security_level", "3.11", (3, 10, 2)) == ""
    for name in (
        "smtpd_tls_protocols",
        "smtpd_tls_mandatory_protocols",
        "smtp_tls_protocols",
        "smtp_tls_mandatory_protocols",
    ):
        assert d(name, "0", (3, 6, 0)) == ">=TLSv1"
        assert d(name, "0", (3, 5, 9)) == "!SSLv2, !SSLv3"
        assert d(name, "0", (3, 1, 0)) == "!SSLv2, !SSLv3"
    assert d("smtpd_tls_protocols", "0", (2, 11, 0)) == ""
    assert d("smtp_tls_mandatory_protocols", "0", (2, 11, 0)) == "!SSLv2"
    assert d("smtpd_tls_ciphers", "0", (3, 1, 0)) == "medium"
    assert d("smtp_tls_ciphers", "0", (3, 0, 4)) == "export"
    assert d("smtpd_forbid_bare_newline", "3.6", (3, 9, 0)) == "normalize"
    assert d("smtpd_forbid_bare_newline", "3.6", (3, 8, 5)) == "no"
    # level-dependent defaults did not exist before the release that introduced the level
    assert d("smtpd_tls_fingerprint_digest", "3.6", (3, 5, 0)) == "md5"
    assert d("smtpd_tls_fingerprint_digest", "3.6", (3, 6, 0)) == "sha256"
    assert d("mynetworks_style", "2", (2, 11, 0)) == "subnet"
    assert d("append_dot_mydomain", "3.6", (3, 7, 0)) == "no"
    assert d("mail_version", "0", (3, 9, 1)) == "3.9.1"
    relay = "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination"
    assert d("smtpd_relay_restrictions", "0", (3, 7, 0)) == ""
    assert d("smtpd_relay_restrictions", "1", (3, 7, 0)) == relay
    assert d("smtpd_relay_restrictions", "0", (2, 11, 0)) == relay
    assert d("smtpd_relay_restrictions", "3.6", (2, 9, 0)) == ""
    assert d("smtpd_recipient_restrictions", "0", (2, 9, 0)) == (
        "permit_mynetworks, reject_unauth_destination"
    )
    assert d("smtpd_recipient_restrictions", "0", (3, 7, 0)) == ""
    assert d("no_such_parameter", "0") is None
    assert "smtpd_relay_restrictions" in params.COMPAT_DEPENDENT
    assert "smtp_tls_security_level" in params.COMPAT_DEPENDENT


# ---------------------------------------------------------------- deprecated names


def test_deprecated_names_as_postconf_37_knows_them(dump, tmp_path):
    folder = make_config(tmp_path)
    result = postconf("-c", str(folder), "-d", "-h", *params.DEPRECATED)
    unknown = set(re.findall(r"warning: (\S+): unknown parameter", result.stderr))
    removed = {
        n
        for n, d in params.DEPRECATED.items()
        if d.removed_in and params.compat_level_tuple(d.removed_in) <= params.DATA_VERSION
    }
    assert unknown == removed
    for name, entry in params.DEPRECATED.items():
        assert name in dump or name in params.LEGACY_PARAMETERS or name in removed, name
        if re.fullmatch(r"[a-z0-9_]+", entry.replacement):
            assert entry.replacement in dump, entry.replacement


def test_deprecation_message_wording():
    assert params.deprecation_message("smtpd_use_tls") == (
        'support for parameter "smtpd_use_tls" will be removed; '
        'instead, specify "smtpd_tls_security_level"'
    )
    assert params.deprecation_message("smtpd_tls_eecdh_grade") == (
        'support for parameter "smtpd_tls_eecdh_grade" will be removed; '
        "instead, do not specify (leave at default)"
    )
    assert params.deprecation_message("sender_based_routing") == (
        'support for parameter "sender_based_routing" has been removed; '
        'instead, specify "sender_dependent_relayhost_maps"'
    )
    assert params.deprecation_message("smtpd_tls_security_level") is None
    for name in (
        "smtpd_use_tls",
        "smtpd_enforce_tls",
        "smtp_use_tls",
        "smtp_enforce_tls",
        "lmtp_use_tls",
        "lmtp_enforce_tls",
        "tlsproxy_use_tls",
        "tlsproxy_enforce_tls",
        "smtp_tls_per_site",
        "smtpd_tls_dh1024_param_file",
        "smtpd_tls_eecdh_grade",
        "disable_dns_lookups",
        "virtual_maps",
        "fallback_relay",
        "authorized_verp_clients",
        "postscreen_blacklist_action",
        "smtp_tls_enforce_peername",
        "lmtp_tls_enforce_peername",
    ):
        assert params.deprecation_message(name), name


# ---------------------------------------------------------------- which names postconf accepts

SERVICES = [
    ("relay", "unix", "smtp"),
    ("mylmtp", "unix", "lmtp"),
    ("loc", "unix", "local"),
    ("virt", "unix", "virtual"),
    ("err", "unix", "error"),
    ("pipey", "unix", "pipe"),
    ("spawny", "unix", "spawn"),
    ("disc", "unix", "discard"),
    ("2525", "inet", "smtpd"),
    ("dual", "unix", "spawn"),
    ("dual", "inet", "smtpd"),
    ("pathy", "unix", "/usr/lib/postfix/sbin/smtp"),
    ("my_relay", "unix", "smtp"),
    ("my-pipe", "fifo", "pipe"),
]
TABLES = {"lt": "ldap", "mt": "mysql", "pt": "pgsql", "st": "sqlite", "mct": "memcache"}
TABLES |= {"mg": "mongodb", "ot": "ldap", "sk": "socketmap"}


def test_classify_agrees_with_postconf_unused_warnings(tmp_path):
    all_db_suffixes = set().union(*params.DATABASE_SUFFIXES.values())
    names = [f"{s}_{suffix}" for s, _t, _c in SERVICES for suffix in params.SERVICE_SUFFIXES]
    names += [f"{t}_{suffix}" for t in TABLES for suffix in all_db_suffixes]
    names += sorted(params.LEGACY_PARAMETERS)
    names += ["home", "rbl_code", "extension", "foo_bar", "relay_bogus", "lt_bogus", "myvar"]
    names += ["unrelated_time_limit", "relay_", "smtp_time_limit", "local_recipient_limit"]
    names += ["smtpd_use_tls", "smtpd_tls_securty_level", "delivery_slot_cost"]
    main = [
        "virtual_alias_maps = ldap:lt, proxy:mysql:mt, pgsql:pt",
        "transport_maps = pipemap:{sqlite:st, memcache:mct}",
        "relay_domains = mongodb:mg",
        "relay_recipient_maps = socketmap:inet:127.0.0.1:9999:sk",
        "smtpd_banner = $myhostname ESMTP $myvar",
    ]
    main += [f"{n} = 1" for n in names]
    master = [
        f"{s} {t} - n n - - {c}"
        + (" -o smtpd_sender_restrictions=check_sender_access,ldap:ot" if s == "2525" else "")
        + (" -o relay_time_limit=5 -o pipey_time_limit=5 -o bogus_override=1" if s == "err" else "")
        for s, t, c in SERVICES
    ]
    folder = make_config(tmp_path, "\n".join(main) + "\n", "\n".join(master) + "\n")
    result = postconf("-c", str(folder), "-n")
    assert result.returncode == 0, result.stderr
    warned = unused(result.stderr)

    service_names = {s for s, _t, _c in SERVICES}
    commands: dict[str, set[str]] = {}
    for s, _t, c in SERVICES:
        commands.setdefault(s, set()).add(c)
    referenced = {"myvar"}

    def expected(name: str) -> bool:
        return params.classify(name, service_names, commands, TABLES) is None and (
            name not in referenced
        )

    ours = {("main.cf", n) for n in names if expected(n)}
    ours |= {
        ("master.cf", n)
        for n in ("relay_time_limit", "pipey_time_limit", "bogus_override")
        if expected(n)
    }
    assert warned == ours
    # spot checks of the rules themselves
    assert ("main.cf", "relay_time_limit") in warned  # smtp takes no time limit
    assert ("master.cf", "relay_time_limit") in warned
    assert ("main.cf", "pipey_time_limit") not in warned
    assert ("main.cf", "lt_server_host") not in warned
    assert ("main.cf", "mg_dbname") in warned


def test_classify_kinds():
    classify = params.classify
    assert classify("smtpd_banner", set(), {}, {}) == "builtin"
    assert classify("virtual_maps", set(), {}, {}) == "legacy"
    assert classify("relay_time_limit", {"relay"}, {"relay": "smtp"}, {}) is None
    assert classify("relay_time_limit", {"relay"}, {"relay": "pipe"}, {}) == "service"
    assert classify("relay_time_limit", {"relay"}, {"relay": {"smtpd", "spawn"}}, {}) == "service"
    assert classify("relay_recipient_limit", {"relay"}, {}, {}) == "service"
    assert classify("users_server_host", set(), {}, {"users": "ldap"}) == "database"
    assert classify("users_server_host", set(), {}, {"users": "mysql"}) is None
    assert classify("foo_bar", set(), {}, {}) is None


# ---------------------------------------------------------------- suggestions


def test_suggest():
    assert params.suggest("smtpd_tls_securty_level") == "smtpd_tls_security_level"
    assert params.suggest("smptd_banner") == "smtpd_banner"
    assert params.suggest("SMTPD_BANNER") == "smtpd_banner"
    assert params.suggest("mynetwork") == "mynetworks"
    assert params.suggest("smtpd_banner") is None
    assert params.suggest("completely_unrelated_name_xyz") is None
    assert params.suggest("") is None


def test_module_imports_without_difflib():
    code = "import sys, linter.mta.postfix.params; print('difflib' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- regeneration


def _chunks(value: str, width: int = 72) -> list[str]:
    pieces: list[str] = []
    while len(value) > width:
        cut = value.rfind(" ", 0, width) + 1 or width
        pieces.append(value[:cut])
        value = value[cut:]
    return [*pieces, value]


def render_block(dump: dict[str, str]) -> str:
    lines = ["BUILTIN_DEFAULTS: dict[str, str] = {"]
    for name in sorted(dump):
        if name in params.HOST_DEPENDENT:
            continue
        value = json.dumps(dump[name])
        if len(f"    {json.dumps(name)}: {value},") <= 100:
            lines.append(f"    {json.dumps(name)}: {value},")
        elif len(f"        {value}") <= 100:  # what ruff format makes of it
            lines += [f"    {json.dumps(name)}: (", f"        {value}", "    ),"]
        else:
            lines.append(f"    {json.dumps(name)}: (")
            lines.extend(f"        {json.dumps(piece)}" for piece in _chunks(dump[name]))
            lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def regenerate() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        dump = builtin_dump(Path(tmp))
    text = PARAMS_PY.read_text()
    start = text.index(BEGIN) + len(BEGIN)
    PARAMS_PY.write_text(text[:start] + render_block(dump) + text[text.index(END) :])
    print(f"wrote {len(dump) - len(params.HOST_DEPENDENT)} defaults to {PARAMS_PY}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(f"usage: {sys.argv[0]} --regenerate")
    regenerate()
