"""mtalint's Exim reader against the real Exim 4.96 (``exim4 -C FILE -bV`` and ``-bP``).

For every case, Exim's verdict (accepted, or its first error with file and line) must be
mtalint's (no fatal diagnostic, or the first fatal one with the same message at the same
place), and every main option the file sets must have the value ``exim -bP`` prints.
Expected values always come from Exim, never from mtalint. Cases: the Exim files of the
shared corpus, Debian's exim4.conf.template and split conf.d, the upstream example
configuration, and generated configurations (seeded, so every run sees the same ones).
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from linter.mta.exim import options as table
from linter.mta.exim import split_files
from tests.mta.exim.oracle_bv import (
    CORPUS_DIR,
    DEBIAN_SPLIT,
    DEBIAN_TEMPLATE,
    UPSTREAM_EXAMPLE,
    Case,
    Observation,
    compare,
    environment_error,
    exim_missing,
    mtalint_documents,
    observe,
)

pytestmark = pytest.mark.skipif(exim_missing() is not None, reason=exim_missing() or "")

GENERATED_SEEDS = range(300)


# ---------------------------------------------------------------- generated configurations

# main options Exim checks beyond their type while reading (regexes compiled, paths
# expanded, user names looked up, TLS library calls): generated values would test those
# checks, not the reader
_CHECKED = {
    "uucp_from_pattern",
    "tls_require_ciphers",
    "log_file_path",
    "spool_directory",
    "pid_file_path",
    "syslog_facility",
    "errors_reply_to",
    "localhost_number",
    "smtp_ratelimit_mail",
    "smtp_ratelimit_rcpt",
    "openssl_options",
    "tls_verify_hosts",
    "tls_try_verify_hosts",
    "tls_verify_certificates",
    "exim_path",
    "process_log_path",
    "notifier_socket",
    "tls_certificate",
    "tls_privatekey",
    "tls_dhparam",
    "tls_eccurve",
    "tls_crl",
    "tls_ocsp_file",
    "smtp_accept_max_per_host",
    "smtp_accept_max",
    "smtp_accept_queue",
    "dns_check_names_pattern",
    "keep_environment",
    "add_environment",
    "local_scan_path",
    "timezone",
    "tls_dh_max_bits",
    "local_sender_retain",
    "local_from_check",
    "primary_hostname",
    "message_size_limit",
    "tls_alpn",
    "queue_only_file",
    "dkim_verify_min_keysizes",
    "dkim_verify_hashes",
    "dkim_verify_keytypes",
    "never_users",
    "trusted_users",
    "trusted_groups",
    "admin_groups",
    "exim_user",
    "exim_group",
    "system_filter_user",
    "system_filter_group",
    "acl_smtp_data_prdr",
    "spool_wireformat",
    "split_spool_directory",
}

_GOOD = {
    "bool": ["", " = yes", " = no", " = true", " = FALSE", " = Yes"],
    "int": ["0", "17", "0x1f", "010", "3K", "2M", "-5"],
    "mkint": ["0", "100", "2048", "5K", "1M", "1G"],
    "Kint": ["0", "1", "2048", "10M", "1G"],
    "octint": ["0644", "0", "640", "0777"],
    "fixed": ["1", "1.5", "2.25", "0.125", "10.0"],
    "time": ["30s", "1h30m", "2d", "1w", "5m", "0s", "1h0m5s"],
    "timelist": ["1h", "1h:2h", "30m:1h:1d"],
    "string": [
        "mx.example.test",
        "a : b : c",
        "<; 127.0.0.1 ; ::1",
        "${if def:tls_in_cipher{yes}{no}}",
        '"quoted \\"text\\" \\t\\101\\x41"',
        "$primary_hostname ESMTP",
        "*",
        "",
        "some text # not a comment",
        '"x\\\\y"',
        "+local_domains : !192.0.2.0/24",
        '"tab\\there"',
        "${lookup{$local_part}lsearch{/etc/aliases}}",
    ],
}
_BAD = {
    "bool": [" = maybe", " = 1", " yes", " = yes no"],
    "int": ["abc", "12x", "99999999999", "08", "", "1.5"],
    "mkint": ["x", "5Q", "99999999999"],
    "Kint": ["x", "5 K"],
    "octint": ["9", "0x10", "abc"],
    "fixed": ["x", "-1", "1.5x"],
    "time": ["30", "1h 30m", "1.5s", "x", "100ms"],
    "timelist": ["2h:1h", "1h:x"],
    "string": ['"unterminated', '"closed" extra', '"a" # c'],
}


def _main_names(kind: str) -> list[str]:
    return sorted(
        n
        for n, (t, _, avail) in table.OPTIONS["main"].items()
        if t == kind and avail == "light" and n not in _CHECKED and n not in table.ALIASES
    )


def _option_line(rng: random.Random, used: set[str], bad: bool) -> str:
    kind = rng.choice(
        [
            "bool",
            "bool",
            "string",
            "string",
            "string",
            "int",
            "mkint",
            "Kint",
            "octint",
            "fixed",
            "time",
            "time",
            "timelist",
        ]
    )
    names = [n for n in _main_names(kind) if n not in used]
    if not names:
        return ""
    name = rng.choice(names)
    used.add(name)
    values = (_BAD if bad else _GOOD)[kind]
    value = rng.choice(values)
    if kind == "bool":
        if not bad and rng.random() < 0.3:
            return f"{rng.choice(['no_', 'not_'])}{name}"
        return f"{name}{value}"
    space = rng.choice([" = ", "=", " =  ", "\t=\t"])
    return f"{name}{space}{value}".rstrip() if value else f"{name} ="


def _continued(rng: random.Random, line: str) -> list[str]:
    """Split a line over continuation lines, sometimes with a comment in between."""
    name_end = min((i for i, c in enumerate(line) if c in " =\t"), default=len(line))
    if len(line) < name_end + 3 or rng.random() < 0.6:
        return [line]
    # mostly after the option name; sometimes inside it, where "\" joins the two halves
    low = 3 if rng.random() < 0.1 else name_end + 1
    cut = rng.randrange(min(low, len(line) - 2), len(line) - 1)
    first, rest = line[:cut], line[cut:]
    out = [first + rng.choice(["\\", " \\", "\\  "])]
    if rng.random() < 0.3:
        out.append("# a comment inside a continued line")
    out.append(rng.choice(["", "  ", "\t"]) + rest)
    return out


def defines_for(seed: int) -> list[str]:
    """Command-line macros (exim -D, mtalint --define) for some generated files."""
    rng = random.Random(seed * 7919)
    if rng.random() > 0.12:
        return []
    return [f"MAC{rng.choice('ABC')}0X={rng.choice(['1h', 'no', '', 'x : y'])}"]


INCLUDED = "# included file\nqueue_run_max = 7\n.ifdef MACA0X\nsmtp_banner = from include\n.endif\n"


def generate(seed: int) -> str:
    rng = random.Random(seed)
    lines = [f"# generated configuration {seed}"]
    used: set[str] = set()
    macros: list[str] = []
    bad_at = rng.randrange(40) if rng.random() < 0.4 else -1
    for i in range(rng.randrange(4, 16)):
        roll = rng.random()
        if i == bad_at:
            bad = rng.choice(["value", "unknown", "twice", "endif", "macro", "section"])
            if bad == "value":
                lines.append(_option_line(rng, used, True))
            elif bad == "unknown":
                lines.append(rng.choice(["smtp_baner = x", "no_such_option", "queue_onyl"]))
            elif bad == "twice":
                line = _option_line(rng, set(), False)
                lines += [line, line]
            elif bad == "endif":
                lines.append(rng.choice([".endif", ".else", ".ifdef NEVER_DEFINED"]))
            elif bad == "macro" and macros:
                lines.append(f"{rng.choice(macros)} = again")
            else:
                lines.append(rng.choice(["begin nonsense", "begin routers\nbegin router"]))
            continue
        if roll < 0.12:
            name = f"MAC{rng.choice('ABCDEFGH')}{len(macros)}X"
            value = rng.choice(["30s", "yes", "mx.example.test", "1h", "", "a : b"])
            lines.append(f"{name} = {value}")
            macros.append(name)
        elif roll < 0.2 and macros:
            name = rng.choice(macros)
            lines.append(f"{name} == {rng.choice(['2h', 'no', 'other.example'])}")
        elif roll < 0.3:
            cond = rng.choice([".ifdef", ".ifndef"])
            target = rng.choice(macros + ["_HAVE_TLS", "NOT_DEFINED_X", "_HAVE_NOTHING"])
            lines.append(f"{cond} {target}")
            lines.extend(_continued(rng, _option_line(rng, used, False)))
            if rng.random() < 0.4:
                lines.append(rng.choice([".else", ".elifdef _HAVE_DKIM", ".elifndef NOPE"]))
                lines.extend(_continued(rng, _option_line(rng, used, False)))
            lines.append(".endif")
        elif roll < 0.38:
            kind = rng.choice(["domainlist", "hostlist", "addresslist", "localpartlist"])
            name = rng.choice(["local_domains", "relay_to_domains", "relay_from_hosts", "x1"])
            hide = "hide " if rng.random() < 0.15 else ""
            lines.append(f"{hide}{kind} {name} = {rng.choice(['@', 'a : b', '<; 10.0.0.0/8'])}")
        elif roll < 0.45 and macros and rng.random() < 0.8:
            # a value taken from a macro (pure substring substitution)
            names = _main_names("time")
            name = rng.choice([n for n in names if n not in used] or names)
            used.add(name)
            lines.append(f"{name} = {rng.choice(macros)}")
        else:
            lines.extend(_continued(rng, _option_line(rng, used, False)))
    if rng.random() < 0.35:
        lines += [
            "begin acl",
            "acl_check_rcpt:",
            "  accept  hosts = : +relay_from_hosts",
            rng.choice(
                [
                    "  deny    !verify = recipient",
                    "  require verify = sender",
                    "  accept  authenticated = *",
                    "  acept domains = x",
                    "  deny    message = no\n          !log_message = x",
                ]
            ),
            "  deny",
        ]
    if rng.random() < 0.15:
        lines.insert(1, rng.choice([".ifdef\tNOPE", ".ifdefX", ".elsewhere", ".endifx"]))
    if rng.random() < 0.12:
        where = rng.randrange(1, len(lines) + 1)
        lines.insert(
            where, rng.choice([".include inc.conf", '.include "inc.conf"', ".include missing.conf"])
        )
    if rng.random() < 0.1:
        lines.insert(1, "hide " + _option_line(rng, used, False).lstrip("no_"))
    if rng.random() < 0.3:
        lines += _driver_section(rng)
    if rng.random() < 0.25:
        lines += _acl_section(rng)
    if macros and rng.random() < 0.3:
        # a macro used inside a word, and the built-in-macro rule: "_X" first on a line
        lines.append(f"smtp_banner = pre{rng.choice(macros)}post _HAVE_TLS X_HAVE_DKIM")
    if rng.random() < 0.35:
        lines += [
            "begin routers",
            "r1:",
            "  driver = " + rng.choice(["accept", "accept", "dnslookup", "nosuchdriver"]),
            "  transport = t1",
            rng.choice(
                [
                    "  no_verify",
                    "  condition = ${if eq{1}{1}}",
                    "  self = pass",
                    "  unknown_router_option = 1",
                    "  errors_to = ",
                ]
            ),
            "begin transports",
            "t1:",
            "  driver = appendfile",
            "  file = /tmp/mbox",
            rng.choice(["  mode = 0600", "  batch_max = 10", "  mode = 9", "  no_create_file"]),
        ]
    text = "\n".join(line for line in lines if line) + "\n"
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.03:
        text = "\ufeff" + text
    return text


_DRIVERS = {
    "router": ["accept", "dnslookup", "manualroute", "redirect", "ipliteral"],
    "transport": ["appendfile", "smtp", "pipe", "autoreply"],
    "authenticator": ["plaintext", "cram_md5"],
}
_DRIVER_BASE = {"manualroute": "  route_list = * 192.0.2.1", "redirect": "  data = :blackhole:"}


def _driver_section(rng: random.Random) -> list[str]:
    """A routers, transports or authenticators section with typed private options."""
    kind = rng.choice(list(_DRIVERS))
    lines = [f"begin {kind}s"]
    for n in range(rng.randrange(1, 3)):
        driver = rng.choice(_DRIVERS[kind])
        lines += [f"{kind[0]}{n}:", f"  driver = {driver}"]
        if driver in _DRIVER_BASE:
            lines.append(_DRIVER_BASE[driver])
        if driver in ("accept", "dnslookup", "ipliteral") and rng.random() < 0.8:
            lines.append("  transport = t1")
        if kind == "authenticator":
            lines.append(f"  public_name = P{n}")
        private = table.OPTIONS.get(f"{kind}:{driver}", {})
        generic = table.OPTIONS[f"{kind}s"]
        names = sorted(
            (name, t)
            for name, (t, _, avail) in {**generic, **private}.items()
            if avail == "light"
            and t in ("bool", "int", "mkint", "octint", "time", "fixed")
            and name not in ("driver", "public_name")
        )
        if kind != "authenticator" and rng.random() < 0.3:
            # options Exim lets a driver set more than once: it joins the settings
            for _ in range(rng.randrange(1, 4)):
                lines.append(
                    rng.choice(
                        [
                            "  headers_remove = a : b",
                            "  headers_remove = <; c ; d::e",
                            "  headers_add = X-A: 1",
                            '  headers_add = "X-B: 2\\nX-C: 3"',
                        ]
                        + (
                            ["  condition = ${if eq{1}{1}}", "  set = acl_m_a = 1 ; acl_m_b = x"]
                            if kind == "router"
                            else []
                        )
                    )
                )
        for name, t in rng.sample(names, min(len(names), rng.randrange(1, 4))):
            bad = rng.random() < 0.05
            value = rng.choice((_BAD if bad else _GOOD)[t])
            lines.append(f"  {name}{value}" if t == "bool" else f"  {name} = {value}")
    return lines


def _acl_section(rng: random.Random) -> list[str]:
    """An ACL section: verbs with conditions and modifiers, some negated or misspelt."""
    words = sorted(n for n, (_, avail) in table.ACL_WORDS.items() if avail == "light")
    values = {"set": "acl_m_x = 1", "endpass": "", "control": "submission"}
    lines = ["begin acl"]
    for n in range(rng.randrange(1, 3)):
        lines.append(f"acl{n}:")
        for _ in range(rng.randrange(1, 5)):
            verb = rng.choice(["accept", "deny", "require", "warn", "defer", "discard", "drop"])
            if rng.random() < 0.05:
                verb = rng.choice(["acept", "!deny"])
            conds = []
            for _ in range(rng.randrange(0, 3)):
                word = rng.choice(words)
                neg = "!" if rng.random() < 0.2 else ""
                value = values.get(word, rng.choice(["*", ":", "+local_domains", "${if true}"]))
                conds.append(f"{neg}{word}" + (f" = {value}" if word != "endpass" else ""))
                if word == "set" and rng.random() < 0.2:
                    conds[-1] = rng.choice(["set x = 1", "set acl_mx = 1", "set acl_m_a-b = 1"])
            first = f"  {verb}"
            if conds:
                first += "  " + conds[0]
            lines.append(first)
            lines += [f"          {c}" for c in conds[1:]]
    return lines


# ---------------------------------------------------------------- cases


def _joined_split(folder: Path, target: Path) -> list[tuple[str, int]]:
    """Join a conf.d folder as update-exim4.conf does; the map back to each file's lines."""
    out: list[str] = []
    line_map: list[tuple[str, int]] = []
    for path in split_files(folder):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for number, text in enumerate(lines, start=1):
            out.append(text)
            line_map.append((str(path), number))
    target.write_text("\n".join(out) + "\n", encoding="utf-8")
    return line_map


def build_cases(root: Path) -> list[Case]:
    cases: list[Case] = []

    def add(name: str, data: bytes) -> None:
        # no ":" in the path: exim -C takes a colon-separated list of files
        folder = root / name.replace(":", "_")
        folder.mkdir(parents=True)
        path = folder / "exim.conf"
        path.write_bytes(data)
        (folder / "inc.conf").write_text(INCLUDED)
        seed = int(name.partition(":")[2]) if name.startswith("generated:") else -1
        cases.append(Case(name, path, path, defines=defines_for(seed) if seed >= 0 else []))

    if (CORPUS_DIR / "exim").is_dir():
        for path in sorted((CORPUS_DIR / "exim").glob("*")):
            add(f"corpus:{path.name}", path.read_bytes())
    if DEBIAN_TEMPLATE.is_file():
        add("debian:exim4.conf.template", DEBIAN_TEMPLATE.read_bytes())
    if UPSTREAM_EXAMPLE.is_file():
        add("upstream:example.conf", UPSTREAM_EXAMPLE.read_bytes())
    if DEBIAN_SPLIT.is_dir():
        folder = root / "debian-split"
        shutil.copytree(DEBIAN_SPLIT, folder / "conf.d")
        joined = folder / "joined.conf"
        line_map = _joined_split(folder / "conf.d", joined)
        cases.append(Case("debian:conf.d", joined, folder / "conf.d", line_map=line_map))
    for seed in GENERATED_SEEDS:
        add(f"generated:{seed}", generate(seed).encode())
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, Observation, Any]]:
    root = tmp_path_factory.mktemp("exim-cases")
    cases = build_cases(root)
    observed = observe(cases)
    docs = mtalint_documents(cases)
    return {c.name: (c, observed[c.name], docs[c.name]) for c in cases}


CASE_NAMES = (
    [f"corpus:{p.name}" for p in sorted((CORPUS_DIR / "exim").glob("*"))]
    if (CORPUS_DIR / "exim").is_dir()
    else []
) + [
    "debian:exim4.conf.template",
    "upstream:example.conf",
    "debian:conf.d",
    *(f"generated:{seed}" for seed in GENERATED_SEEDS),
]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_matches_exim(results: dict[str, tuple[Case, Observation, Any]], name: str) -> None:
    if name not in results:
        pytest.skip(f"{name}: input not on this machine")
    case, obs, doc = results[name]
    if not obs.verdict.ok:
        known = environment_error(obs.verdict.message)
        if known:
            pytest.skip(f"exim: {obs.verdict.message!r}: {known}, not the reader")
    problems = compare(case, obs, doc)
    assert not problems, (
        f"{name}:\n"
        + "\n".join(problems)
        + "\n\n"
        + case.exim_file.read_text(errors="replace")[:3000]
    )


def test_generated_cases_cover_both_verdicts(results: dict[str, Any]) -> None:
    """The generator makes both accepted and rejected files, by Exim's own verdict."""
    verdicts = [obs.verdict.ok for name, (_, obs, _) in results.items() if name.startswith("gen")]
    assert verdicts.count(True) >= 30 and verdicts.count(False) >= 30


def test_option_table_matches_the_binary(tmp_path: Path) -> None:
    """Every main option the light build knows is in the table with its -bP default."""
    from tests.mta.exim.oracle_bv import parse_bp, run_exim

    config = tmp_path / "exim.conf"
    config.write_text("primary_hostname = table.example\n")
    rc, out, _ = run_exim(config, "-bP", "macros")
    assert rc == 0
    names = {
        line.split("=")[0][len("_OPT_MAIN_") :].lower()
        for line in out.splitlines()
        if line.startswith("_OPT_MAIN_")
    }
    main = table.OPTIONS["main"]
    assert names <= set(main)
    assert all(main[n][2] == "light" for n in names)
    rc, out, _ = run_exim(config, "-bP")
    printed = parse_bp(out)
    computed = {"primary_hostname", "qualify_domain", "qualify_recipient", "exim_version"}
    for name, value in printed.items():
        if name not in computed:
            assert main[name][1] == value, name
