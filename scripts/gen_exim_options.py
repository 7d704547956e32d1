#!/usr/bin/env python3
"""Generate linter/mta/exim/options.py: Exim's option table.

Sources, in order of trust:

* the real Exim binaries: ``-bP macros`` lists every option, driver, ACL condition and
  built-in macro a build knows; ``-bP`` prints every default; and setting each option to
  probe values (``2048``, ``0:0``, ``1``, ``nosuchname``) and reading ``-bP`` or the error
  tells its exact type (integer, integer with K/M suffixes, integer held in K, octal,
  fixed point, time, user, group, ...), which decides how ``-bP`` prints a value;
* ``OptionLists.txt`` from exim4-base: the documented table (name, type, default, where),
  for options and drivers of builds that are not at hand (gsasl, heimdal_gssapi, ...).

Usage (as root, with Debian's packages unpacked as .ci/run does):

    python scripts/gen_exim_options.py --light /opt/exim/usr/sbin/exim4 \\
        [--heavy /tmp/heavy/usr/sbin/exim4] \\
        --option-lists /opt/exim/usr/share/doc/exim4-base/OptionLists.txt.gz \\
        > linter/mta/exim/options.py

``--heavy`` is exim4-daemon-heavy unpacked the same way (it needs libmariadb3 and
libspf2-2 installed); without it, heavy-only options come from OptionLists.txt alone.
"""

from __future__ import annotations

import argparse
import gzip
import os
import pprint
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

KINDS = ("router", "transport", "authenticator")
GENERIC = {"router": "routers", "transport": "transports", "authenticator": "authenticators"}

# Options a driver needs before others can be probed: (name, value, names that replace it)
BASE: dict[tuple[str, str], list[tuple[str, str, set[str]]]] = {
    ("router", "manualroute"): [("route_list", "* 192.0.2.1", {"route_data"})],
    ("router", "redirect"): [("data", ":blackhole:", {"file"})],
    ("router", "queryprogram"): [("command", "/bin/true", set())],
    ("router", "iplookup"): [("port", "25", set())],
    ("transport", "lmtp"): [("command", "/bin/true", {"socket"})],
}

TYPE_WORDS = {
    "boolean": "bool",
    "bool": "bool",
    "boolean*": "bool",
    "string": "string",
    "string*": "string",
    "string list": "string",
    "string list*": "string",
    "host list": "string",
    "host list*": "string",
    "host_list": "string",
    "domain list": "string",
    "address list": "string",
    "integer": "int",
    "integer*": "string",
    "int": "mkint",
    "octal-integer": "octint",
    "fixed-point": "fixed",
    "time": "time",
    "time list": "timelist",
}

ALIASES = {"daemon_smtp_port": "daemon_smtp_ports", "return_size_limit": "bounce_return_size_limit"}


# ---------------------------------------------------------------- OptionLists.txt

_ROW = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*)?\s+"
    r"(?P<type>boolean\*?|bool|string list\*?|string\*?|integer\*?|int|host list\*?|host_list"
    r"|domain list|address list|time list|time|fixed-point|octal-integer)?\s*"
    r"(?P<default>\"[^\"]*\"|\S+)?\s*(?P<where>[a-z_0-9,]+(?: \(auth\))?)?\s*(?P<rest>.*)$"
)


def parse_option_lists(path: Path) -> list[tuple[str, str, str, list[str]]]:
    """(name, type word, default, where) rows of the run-time option table."""
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as handle:
        text = handle.read().expandtabs()
    table = text.split("-" * 89, 1)[1].split("2. COMMAND LINE OPTIONS")[0]
    rows: list[tuple[str, str, str, list[str]]] = []
    name = type_word = ""
    for raw in table.splitlines():
        if not raw.strip():
            continue
        m = _ROW.match(raw)
        if not m:
            continue
        if m.group("name"):
            name = m.group("name")
            type_word = m.group("type") or type_word
        elif m.group("type"):
            type_word = m.group("type")
        default = m.group("default") or ""
        where = m.group("where")
        if where is None and default and re.fullmatch(r"[a-z_0-9,]+", default):
            # "string" then on the next line only where: no default given
            where, default = default, ""
        if where is None:
            continue
        if where in ("main", "routers", "transports", "authenticators") or "," in where:
            places = where.split(",")
        else:
            places = [where.replace(" (auth)", "")]
        rows.append((name, type_word, default.strip('"'), places))
    return rows


# ---------------------------------------------------------------- the binaries


class Exim:
    def __init__(self, binary: str, scratch: Path) -> None:
        self.binary = binary
        self.scratch = scratch
        self.count = 0

    def run(self, config: str, *args: str) -> tuple[int, str]:
        fd, name = tempfile.mkstemp(suffix=".conf", dir=self.scratch)
        with os.fdopen(fd, "w") as handle:
            handle.write("primary_hostname = probe.example\n" + config)
        os.chmod(name, 0o644)
        try:
            proc = subprocess.run(
                [self.binary, "-C", name, *args],
                capture_output=True,
                text=True,
                timeout=20,
                env={"PATH": "/usr/bin:/bin"},
            )
        finally:
            os.unlink(name)
        out = proc.stdout
        if proc.returncode:
            err = [ln.strip() for ln in proc.stderr.splitlines() if ln.startswith("  ")]
            out = "ERROR " + (err[-1] if err else proc.stderr.strip())
        return proc.returncode, out

    def macros(self) -> list[tuple[str, str]]:
        _, out = self.run("", "-bP", "macros")
        pairs = []
        for line in out.splitlines():
            name, _, value = line.partition("=")
            pairs.append((name, value))
        return pairs


def names_from_macros(macros: list[tuple[str, str]]) -> dict[str, object]:
    drivers: dict[str, list[str]] = {k: [] for k in KINDS}
    for name, _ in macros:
        m = re.fullmatch(r"_DRIVER_(ROUTER|TRANSPORT|AUTHENTICATOR)_(\w+)", name)
        if m:
            drivers[m.group(1).lower()].append(m.group(2).lower())
    scopes: dict[str, set[str]] = {"main": set()}
    for kind in KINDS:
        scopes[GENERIC[kind]] = set()
        for d in drivers[kind]:
            scopes[f"{kind}:{d}"] = set()
    for name, _ in macros:
        if name.startswith("_OPT_MAIN_"):
            scopes["main"].add(name[10:].lower())
            continue
        for kind in KINDS:
            generic = f"_OPT_{GENERIC[kind].upper()}_"
            private = f"_OPT_{kind.upper()}_"
            if name.startswith(generic):
                scopes[GENERIC[kind]].add(name[len(generic) :].lower())
            elif name.startswith(private):
                rest = name[len(private) :].lower()
                for d in sorted(drivers[kind], key=len, reverse=True):
                    if rest.startswith(d + "_"):
                        scopes[f"{kind}:{d}"].add(rest[len(d) + 1 :])
                        break
    conditions = sorted(n[10:].lower() for n, _ in macros if n.startswith("_ACL_COND_"))
    modifiers = sorted(n[9:].lower() for n, _ in macros if n.startswith("_ACL_MOD_"))
    return {"drivers": drivers, "scopes": scopes, "conditions": conditions, "modifiers": modifiers}


def _driver_config(kind: str, driver: str, name: str | None, value: str | None) -> str:
    lines = [f"begin {kind}s", "x:", f"  driver = {driver}"]
    for base_name, base_value, replaced_by in BASE.get((kind, driver), []):
        if name != base_name and name not in replaced_by:
            lines.append(f"  {base_name} = {base_value}")
    if name is not None:
        lines.append(f"  {name} = {value}")
    return "\n".join(lines) + "\n"


def _parse_bp(out: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in out.splitlines():
        if " = " in line or line.endswith(" =") or " =" in line:
            name, _, value = line.partition(" =")
            values[name.strip()] = value[1:] if value.startswith(" ") else value
        elif line.strip():
            word = line.strip()
            if word.startswith("no_"):
                values[word[3:]] = "\x00false"
            else:
                values[word] = "\x00true"
    return values


def defaults(exim: Exim, scope: str) -> dict[str, str]:
    if scope == "main":
        return _parse_bp(exim.run("", "-bP")[1])
    kind, _, driver = scope.partition(":")
    if not driver:
        return {}
    return _parse_bp(exim.run(_driver_config(kind, driver, None, None), "-bP", kind, "x")[1])


def classify(exim: Exim, scope: str, name: str, default: str | None) -> str:
    if default is not None and default.startswith("\x00"):
        return "bool"

    def probe(value: str) -> str:
        if scope == "main":
            rc, out = exim.run(f"{name} = {value}\n", "-bP", name)
        else:
            kind, _, driver = scope.partition(":")
            rc, out = exim.run(_driver_config(kind, driver, name, value), "-bP", kind, "x")
        if out.startswith("ERROR"):
            return out
        return _parse_bp(out).get(name, "ERROR missing")

    first = probe("0:0")
    if first.startswith("ERROR"):
        if "octal integer" in first:
            return "octint"
        if "integer" in first:
            second, third = probe("2048"), probe("1")
            if second == "2048":
                return "int"
            if third in ("1K", "0"):
                return "Kint"
            return "mkint"
        if "fixed-point" in first:
            return "fixed"
        if "invalid time value" in first:
            return "timelist" if not probe("1s:2s").startswith("ERROR") else "time"
        if "user 0:0 was not found" in first:
            return "uid"
        if "group 0:0 was not found" in first:
            return "gid"
        if "rewrite" in first:
            return "rewrite"
        return "string?"  # a driver check refused the probe: decided from the docs
    if first.startswith("root"):
        return "gidlist" if "group" in probe("nosuchname") else "uidlist"
    return "string"


def probe_build(exim: Exim) -> dict[str, object]:
    macros = exim.macros()
    found = names_from_macros(macros)
    scopes: dict[str, set[str]] = found["scopes"]  # type: ignore[assignment]
    table: dict[str, dict[str, tuple[str, str]]] = {}
    jobs = []
    for scope, names in scopes.items():
        if scope in GENERIC.values():
            continue
        table[scope] = {}
        defs = defaults(exim, scope)
        if scope != "main":
            kind = scope.partition(":")[0]
            table.setdefault(GENERIC[kind], {})
            generic_names = scopes[GENERIC[kind]]
        else:
            generic_names = set()
        for name in sorted(names | generic_names):
            target = scope if name in names else GENERIC[scope.partition(":")[0]]
            if name in table.get(target, {}):
                continue
            default = defs.get(name)
            table.setdefault(target, {})[name] = ("?", default or "")
            jobs.append((target, scope, name, default))

    def work(job: tuple[str, str, str, str | None]) -> tuple[str, str, str]:
        target, scope, name, default = job
        return target, name, classify(exim, scope, name, default)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for target, name, kind in pool.map(work, jobs):
            default = table[target][name][1]
            if default.startswith("\x00"):
                default = default[1:]
            table[target][name] = (kind, default)
    return {"macros": macros, "table": table, **found}


# ---------------------------------------------------------------- output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--light", required=True)
    parser.add_argument("--heavy")
    parser.add_argument("--option-lists", required=True, type=Path)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="exim-options-"))
    light = probe_build(Exim(args.light, scratch))
    heavy = probe_build(Exim(args.heavy, scratch)) if args.heavy else None
    version_out = subprocess.run(
        [args.light, "-bV", "-C", "/dev/null"], capture_output=True, text=True
    ).stdout
    version = re.search(r"Exim version (\S+)", version_out)

    # scope -> name -> (type, default, availability)
    table: dict[str, dict[str, tuple[str, str, str]]] = {}
    for build, mark in ((light, "light"), (heavy, "heavy")):
        if build is None:
            continue
        for scope, entries in build["table"].items():  # type: ignore[union-attr]
            for name, (kind, default) in entries.items():
                if name not in table.setdefault(scope, {}):
                    table[scope][name] = (kind, default, mark)

    documented = parse_option_lists(args.option_lists)
    doc_types: dict[tuple[str, str], str] = {}
    built_only_from_docs: set[str] = set()
    for name, type_word, default, places in documented:
        for place in places:
            if place in ("main", "routers", "transports", "authenticators"):
                scope = place
            else:
                kind = _kind_of_driver(place, light, heavy)
                if kind is None:
                    continue
                scope = f"{kind}:{place}"
            word = TYPE_WORDS.get(type_word, "string")
            doc_types[(scope, name)] = word
            if scope in table and scope not in built_only_from_docs:
                # a build at hand knows this scope: what it lacks, Debian's Exim refuses
                # (options removed since, experimental ones, typos in the document)
                continue
            built_only_from_docs.add(scope)
            if name not in table.setdefault(scope, {}):
                value = "" if default in ("unset", "+", "++") else default
                if word == "bool":
                    value = value if value in ("true", "false") else "false"
                table[scope][name] = (word, value, "documented")
    for scope, entries in table.items():
        for name, (kind, default, mark) in list(entries.items()):
            if kind in ("?", "string?"):
                entries[name] = (doc_types.get((scope, name), "string"), default, mark)

    drivers: dict[str, dict[str, str]] = {k: {} for k in KINDS}
    for build, mark in ((light, "light"), (heavy, "heavy")):
        if build is None:
            continue
        for kind, names in build["drivers"].items():  # type: ignore[union-attr]
            for d in names:
                drivers[kind].setdefault(d, mark)
    for scope in table:
        kind, _, d = scope.partition(":")
        if d:
            drivers[kind].setdefault(d, "documented")

    acl: dict[str, tuple[str, str]] = {}
    for build, mark in ((light, "light"), (heavy, "heavy")):
        if build is None:
            continue
        for c in build["conditions"]:  # type: ignore[union-attr]
            acl.setdefault(c, ("condition", mark))
        for c in build["modifiers"]:  # type: ignore[union-attr]
            acl.setdefault(c, ("modifier", mark))

    out = sys.stdout
    out.write('"""Exim\'s option table: generated by scripts/gen_exim_options.py; do not edit.\n\n')
    out.write(
        "Read off Debian's Exim "
        f"{version.group(1) if version else '?'} (exim4-daemon-light, and -heavy where an\n"
        "option or driver needs it) and OptionLists.txt from exim4-base. Each option maps to\n"
        '(type, default as ``exim -bP`` prints it, availability): availability is "light"\n'
        '(Debian\'s default exim4-daemon-light), "heavy" (exim4-daemon-heavy only) or\n'
        '"documented" (in OptionLists.txt, in neither Debian build).\n"""\n\n'
    )
    out.write("# ruff: noqa: E501\n\n")
    out.write(f"EXIM_VERSION = {version.group(1) if version else '?'!r}\n\n")
    out.write("OPTIONS: dict[str, dict[str, tuple[str, str, str]]] = ")
    out.write(
        pprint.pformat(
            {k: dict(sorted(v.items())) for k, v in sorted(table.items())},
            width=100,
            sort_dicts=False,
        )
    )
    out.write("\n\nDRIVERS: dict[str, dict[str, str]] = ")
    out.write(pprint.pformat({k: dict(sorted(v.items())) for k, v in drivers.items()}, width=100))
    out.write("\n\nACL_WORDS: dict[str, tuple[str, str]] = ")
    out.write(pprint.pformat(dict(sorted(acl.items())), width=100))
    out.write("\n\nALIASES: dict[str, str] = ")
    out.write(pprint.pformat(ALIASES, width=100))
    out.write("\n\n# Built-in macros of the light build, in the order Exim searches them\n")
    out.write("BUILTIN_MACROS: list[tuple[str, str]] = ")
    out.write(pprint.pformat(light["macros"], width=100))
    out.write("\n")


def _kind_of_driver(name: str, *builds: dict[str, object] | None) -> str | None:
    for build in builds:
        if build is None:
            continue
        for kind, names in build["drivers"].items():  # type: ignore[union-attr]
            if name in names:
                return kind
    known = {
        "gsasl": "authenticator",
        "heimdal_gssapi": "authenticator",
        "cyrus_sasl": "authenticator",
        "dovecot": "authenticator",
        "spa": "authenticator",
        "tls": "authenticator",
        "external": "authenticator",
        "iplookup": "router",
    }
    return known.get(name)


if __name__ == "__main__":
    main()
