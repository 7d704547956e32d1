"""Property-based tests (hypothesis) for every reader.

* Valid configurations drawn by hypothesis read the same in mtalint as in the real MTA:
  Postfix main.cf against ``postconf -n``, Exim options against ``exim -bP``, hMailServer
  INI values round-trip (no hMailServer runs here).
* Any bytes at all, in any format, give findings or a clean pass, never an internal error
  (MTL001) or an exception.

The seeded differential suites (postfix/test_postconf_differential.py, exim/test_differential.py,
sendmail/test_differential.py) cover many more generated files; these add shrinking to a
minimal failing input when something breaks.
"""

from __future__ import annotations

import shutil
import string
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.check import INTERNAL_ERROR, check
from linter.engine.rules import builtin_rules
from linter.engine.runner import Selection
from linter.mta import Options

RULES = list(builtin_rules())
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# ---------------------------------------------------------------- any bytes, any format

FILE_NAMES = [
    "main.cf",
    "master.cf",
    "exim.conf",
    "sendmail.mc",
    "hMailServer.INI",
    "hMailServerBackup.xml",
]
# bytes that the readers treat specially: quotes, braces, macros, m4 quotes, XML, NUL
SPECIAL = list(b"{}$()`'\"\\=:;,#<>&!\n\r\t\x00 .") + [0xFF, 0xFE, 0xE9]
hostile = st.lists(st.one_of(st.sampled_from(SPECIAL), st.integers(0, 255)), max_size=400).map(
    bytes
)


def check_bytes(name: str, data: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = check([path], RULES, Selection(), Options(max_file_size=1 << 20))
    return [f.message for f in result.findings if f.rule == INTERNAL_ERROR]


@pytest.mark.parametrize("name", FILE_NAMES)
@SETTINGS
@given(data=hostile)
def test_any_bytes_never_break_a_reader(name: str, data: bytes) -> None:
    assert check_bytes(name, data) == []


@SETTINGS
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["define", "FEATURE", "DAEMON_OPTIONS", "dnl", "ifdef", "divert"]),
            st.text(alphabet="`'(),$ abcAB_=\n", max_size=30),
        ),
        max_size=12,
    )
)
def test_m4_shaped_input_never_breaks_the_sendmail_reader(lines: list[tuple[str, str]]) -> None:
    text = "".join(f"{macro}(`{arg}')dnl\n" for macro, arg in lines) + "MAILER(`smtp')dnl\n"
    assert check_bytes("sendmail.mc", text.encode()) == []


# ---------------------------------------------------------------- Postfix vs postconf

POSTCONF = shutil.which("postconf")
# postconf looks its own name up when myhostname is not set: run it without a network
# (with loopback up, which it needs) so that cannot stall
NO_NETWORK: tuple[str, ...] = ()
if shutil.which("unshare") and shutil.which("ip"):
    _probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if _probe.returncode == 0:
        NO_NETWORK = ("unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh")
PARAMETERS = ["myhostname", "mydomain", "smtpd_banner", "relayhost", "mynetworks", "alias_maps"]
word = st.text(alphabet=string.ascii_letters + string.digits + ".-_[]/:,", min_size=1, max_size=12)


@st.composite
def main_cf(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    lines: list[str] = []
    expected: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=6)):
        words = draw(st.lists(word, min_size=1, max_size=4))
        lines.append(f"{name} = {words[0]}")
        for more in words[1:]:
            # a line that starts with whitespace continues the previous one
            lines.append(draw(st.sampled_from([" ", "\t", "    "])) + more)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["# comment", "", "   "])))
        expected[name] = " ".join(words)  # the last definition wins
    return "\n".join(lines) + "\n", expected


@pytest.mark.skipif(POSTCONF is None, reason="needs Postfix's postconf")
@settings(max_examples=12, deadline=None)
@given(case=main_cf())
def test_main_cf_reads_as_postconf_reads_it(case: tuple[str, dict[str, str]]) -> None:
    from linter.check import analyse_set
    from linter.discover import discover

    text, expected = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "main.cf").write_text(text)
        (folder / "master.cf").write_text("")
        # without a network postconf cannot stall on looking its own name up
        proc = subprocess.run(
            [*NO_NETWORK, str(POSTCONF), "-n", "-c", str(folder)],
            capture_output=True,
            text=True,
            timeout=30,
        )
        sets, _ = discover([folder / "main.cf"])
        doc = analyse_set(sets[0], Options()).model
    postconf = {}
    for line in proc.stdout.splitlines():
        name, _, value = line.partition(" = ")
        postconf[name.strip()] = " ".join(value.split())
    postconf.pop("config_directory", None)  # -c DIR makes postconf list it
    ours = {n: " ".join(p["raw"].split()) for n, p in doc["postfix"]["main"]["parameters"].items()}
    assert ours == postconf
    assert ours == {n: " ".join(v.split()) for n, v in expected.items()}


# ---------------------------------------------------------------- Exim vs exim -bP

EXIM = Path("/opt/exim/usr/sbin/exim4")
EXIM_OPTIONS = {
    "smtp_accept_max": st.integers(0, 5000).map(str),
    "message_size_limit": st.sampled_from(["0", "10M", "50M", "1G", "512K"]),
    "smtp_enforce_sync": st.sampled_from(["true", "false", "yes", "no"]),
    "smtp_banner": st.text(alphabet=string.ascii_letters + " $_", min_size=1, max_size=20),
    "daemon_smtp_ports": st.sampled_from(["25", "25 : 587", "smtp : submission", "2525"]),
    "tls_advertise_hosts": st.sampled_from(["*", "", "192.0.2.0/24", "!*"]),
}


@pytest.mark.skipif(not EXIM.is_file(), reason="needs Exim unpacked at /opt/exim (.ci/run)")
@SETTINGS
@given(
    chosen=st.dictionaries(
        st.sampled_from(sorted(EXIM_OPTIONS)), st.just(None), min_size=1, max_size=4
    ).flatmap(lambda keys: st.fixed_dictionaries({k: EXIM_OPTIONS[k] for k in keys}))
)
def test_exim_options_read_as_exim_reads_them(chosen: dict[str, str]) -> None:
    from linter.check import analyse_set
    from linter.discover import discover
    from tests.mta.exim.oracle_bv import parse_bp, run_exim

    text = "primary_hostname = mx.example.com\n" + "".join(
        f"{name} = {value}\n" for name, value in chosen.items()
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "exim.conf"
        config.write_text(text)
        rc, out, err = run_exim(config, "-bP", *chosen)
        sets, _ = discover([config])
        doc = analyse_set(sets[0], Options()).model
    assert rc == 0, err
    exim = parse_bp(out)
    ours = doc["exim"]["main"]["options"]
    for name in chosen:
        assert ours[name]["value"] == exim[name], (name, text)


# ---------------------------------------------------------------- hMailServer INI round trip

ini_value = st.text(alphabet=string.ascii_letters + string.digits + "._-:\\ ", max_size=20).map(
    str.strip
)


@SETTINGS
@given(
    values=st.fixed_dictionaries(
        {"Type": st.sampled_from(["MSSQL", "MYSQL", "PGSQL", "MSSQLCE"]), "Server": ini_value}
    ),
    crlf=st.booleans(),
)
def test_hmailserver_ini_values_round_trip(values: dict[str, str], crlf: bool) -> None:
    from linter.check import analyse_set
    from linter.discover import discover

    newline = "\r\n" if crlf else "\n"
    lines = ["[Directories]", r"ProgramFolder=C:\Program Files\hMailServer", "[Database]"]
    lines += [f"{k}={v}" for k, v in values.items()]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hMailServer.INI"
        path.write_text(newline.join(lines) + newline, newline="")
        sets, _ = discover([path])
        model = analyse_set(sets[0], Options()).model
    ini = model["hmailserver"]["ini"]
    for line, (key, value) in enumerate(values.items(), start=4):
        assert ini["Database"][key] == {"value": value, "line": line}, ini
