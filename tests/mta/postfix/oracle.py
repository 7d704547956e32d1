"""The real Postfix ``postconf`` as a test oracle for mtalint's Postfix reader.

A *case* is a folder holding ``main.cf`` and/or ``master.cf``. :func:`observe` runs
``postconf`` on many cases in one batch (``-n`` always; ``-F`` and ``-P`` when the case has
a master.cf) and turns its output into an :class:`Expectation`: the parameters,
services, overrides, warnings and the fatal error that Postfix itself sees.
:func:`compare` checks mtalint's ``parse --format json`` document against it and returns
human-readable differences (empty when they agree).

Things about postconf 3.7 that these helpers work around (each checked by hand):

* ``dict_load_file()`` re-reads a main.cf whose mtime is less than a second old until it
  looks stable, repeating every warning and taking ~2 s per call. Written files therefore
  get an old mtime (:func:`settle`).
* ``postconf -n`` and ``-P`` print values with whitespace runs collapsed to one space; the
  ``unused parameter: name=value`` warning prints the raw value with non-printable
  characters as ``?``. The value of an unused parameter is therefore read from a second
  run in which the name is listed in ``smtpd_restriction_classes`` (which marks it used).
* ``postconf -F`` and ``-M`` list every master.cf entry, including earlier entries that a later
  one with the same service and type replaces (master(5): only the last is remembered),
  and say nothing about them. ``-P`` keeps one parameter table per service/type, so the
  ``-o`` settings of such entries are merged and printed once per entry. The overrides of
  a replaced-and-replacing pair, and the warnings, are therefore read from a second run on
  the active entries only.
* postconf reports no line numbers for master.cf entries, parameters, or
  ``invalid ... field`` errors. Line numbers are computed by :func:`logical_lines`, a
  transcription of Postfix's ``readllines()``; its entry count is checked against postconf.
* Warning order follows hash-table order and is not stable between runs: warnings are
  compared as sets.
* ``main.cf`` that sets ``config_directory`` draws a spurious ``overriding earlier entry:
  config_directory=DIR`` warning (postconf seeds the table with ``-c DIR``).
* A ``$name`` error (``truncated macro reference``, ``empty macro name``) is fatal
  (``macro processing error``) only in a parameter postconf knows; in an unused parameter
  it is a warning.
* On a fatal error postconf sleeps one second before it exits: runs go in parallel.

Inputs on which postconf 3.7 itself is wrong are not generated (see the generator):
a reference loop through ``${{$name} == {...} ? ...}`` crashes it (SIGSEGV); ``-F`` splits
an attached ``-oname=value`` at every letter "o" and prints ``{ a b }`` arguments without
their braces.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tests.paths import CORPUS

CORPUS_DIR = CORPUS

#: Debian's stock master.cf, which Postfix runs when a main.cf comes without one.
STOCK_MASTER_CF = Path("/usr/share/postfix/master.cf.dist")

#: main.cf given to mtalint and postconf next to a master.cf that comes alone.
MINIMAL_MAIN_CF = b"# minimal main.cf for testing a master.cf\ncompatibility_level = 3.6\n"

MASTER_FIELDS = (
    "service",
    "type",
    "private",
    "unprivileged",
    "chroot",
    "wakeup",
    "process_limit",
    "command",
)

#: 2001-09-09, far enough in the past for postconf's "file still changing" check.
OLD_MTIME = 1_000_000_000

#: Fatal errors that come from the machine, not from the configuration.
ENVIRONMENT_FATALS = (
    "could not find any active network interfaces",
    "host not found",
    "Name or service not known",
    "Temporary failure in name resolution",
)


def postconf_path() -> str | None:
    return shutil.which("postconf")


# --------------------------------------------------------------------------------------
# Postfix's readllines(), for line numbers only


@dataclass(frozen=True)
class LogicalLine:
    line: int  # physical line where it starts, 1-based
    text: str  # the logical line, continuation lines appended verbatim (latin-1)
    end: int = 0  # physical line where it ends

    @property
    def name(self) -> str:
        """The parameter name, as split_nameval() reads it."""
        match = re.match(r"[^\s=]*", self.text)
        return match.group(0) if match else ""


def logical_lines(data: bytes) -> tuple[list[LogicalLine], list[LogicalLine]]:
    """Split a main.cf/master.cf into logical lines the way readllines() does.

    Returns the logical lines and the "orphans": text that starts with whitespace before
    any logical line (postconf warns ``logical line must not start with whitespace`` and
    ignores it). Comment lines and blank lines never end a logical line.
    """
    lines: list[LogicalLine] = []
    orphans: list[LogicalLine] = []
    current: list[str] | None = None
    start = end = 0
    current_is_orphan = False

    def flush() -> None:
        if current is not None:
            target = orphans if current_is_orphan else lines
            text = "".join(current).rstrip(" \t\r\n\v\f")
            target.append(LogicalLine(start, text, end))

    for number, raw in enumerate(data.split(b"\n"), start=1):
        text = raw.decode("latin-1")
        if text.endswith("\r"):
            text = text[:-1]
        stripped = text.lstrip(" \t\r\v\f")
        if not stripped or stripped.startswith("#"):
            continue
        if text[0] in " \t\r\v\f":
            if current is None:
                current, start, current_is_orphan = [text], number, True
            else:
                current.append(text)
            end = number
            continue
        flush()
        current, start, end, current_is_orphan = [text], number, number, False
    flush()
    return lines, orphans


def printable(text: str) -> str:
    """How Postfix's msg_warn()/msg_fatal() show text: non-printables as '?'."""
    return re.sub(r"[^\x20-\x7e]", "?", text)


def collapse(value: str) -> str:
    return " ".join(value.split())


# --------------------------------------------------------------------------------------
# Running postconf


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str

    def show(self) -> str:
        out = f"$ postconf {' '.join(self.args)}\n  (exit {self.rc})\n"
        if self.stdout:
            out += _indent(_clip(self.stdout, 40), "  stdout| ")
        if self.stderr:
            out += _indent(_clip(self.stderr, 40), "  stderr| ")
        return out


def settle(folder: Path) -> None:
    """Give the config files an old mtime; see the module docstring."""
    for name in ("main.cf", "master.cf"):
        path = folder / name
        if path.exists():
            os.utime(path, (OLD_MTIME, OLD_MTIME))


@cache
def _sandbox() -> tuple[str, ...]:
    """Run postconf without a network when possible: no DNS waits, same answers anywhere.

    ``unshare -n`` alone leaves even loopback down, and postconf then dies with
    ``could not find any active network interfaces``; bring ``lo`` up first.
    """
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if not unshare or not ip:
        return ()
    prefix = (unshare, "-n", "sh", "-c", f'{shlex.quote(ip)} link set lo up && exec sh "$0"')
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe.sh"
        probe.write_text("exit 0\n")
        try:
            done = subprocess.run(
                [*prefix, str(probe)], capture_output=True, timeout=30, stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired):
            return ()
    return prefix if done.returncode == 0 else ()


def run_postconf_batch(jobs: Sequence[tuple[str, ...]], scratch: Path) -> list[Run]:
    """Run ``postconf ARGS`` for every job, in parallel, in one network namespace.

    In parallel because postconf sleeps one second before it exits on a fatal error.
    """
    postconf = postconf_path()
    if postconf is None:
        raise RuntimeError("postconf is not installed")
    if not jobs:
        return []
    scratch.mkdir(parents=True, exist_ok=True)
    for index, args in enumerate(jobs):
        stem = shlex.quote(str(scratch / str(index)))
        command = " ".join(shlex.quote(a) for a in args)
        script = scratch / f"{index}.sh"
        script.write_text(
            "export LC_ALL=C\n"
            f"postconf {command} >{stem}.out 2>{stem}.err </dev/null\n"
            f"echo $? >{stem}.rc\n"
        )
    (scratch / "jobs").write_text("".join(f"{index}.sh\n" for index in range(len(jobs))))
    driver = scratch / "run.sh"
    driver.write_text(
        f"PATH={shlex.quote(str(Path(postconf).parent))}:$PATH; export PATH\n"
        f"cd {shlex.quote(str(scratch))} && xargs -P 32 -n 1 sh <jobs\n"
    )
    sandbox = _sandbox()
    done = subprocess.run(
        [*sandbox, str(driver)] if sandbox else ["sh", str(driver)],
        timeout=120 + len(jobs) // 4,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")
        raise RuntimeError(f"running postconf failed (exit {done.returncode}): {stderr}")

    def read(path: Path) -> str:
        return path.read_bytes().decode("utf-8", "replace") if path.exists() else ""

    runs = []
    for index, args in enumerate(jobs):
        stem = scratch / str(index)
        rc_text = read(stem.with_suffix(".rc")).strip()
        runs.append(
            Run(
                args=tuple(args),
                rc=int(rc_text or "-1"),
                stdout=read(stem.with_suffix(".out")),
                stderr=read(stem.with_suffix(".err")),
            )
        )
    return runs


# --------------------------------------------------------------------------------------
# Reading postconf's output

_NAME_VALUE = re.compile(r"^([^=\s]+) =(?: (.*))?$")
_PREFIX = re.compile(r"^(?:\S*/)?postconf: (warning|fatal): (.*)$")
_W_OVERRIDE = re.compile(
    r"^(?P<path>.+?), line (?P<line>\d+): overriding earlier entry: (?P<name>[^=]*)=(?P<value>.*)$"
)
_W_UNUSED = re.compile(r"^(?P<path>\S+?): unused parameter: (?P<name>[^=]*)=(?P<value>.*)$")
_W_UNDEFINED = re.compile(r"^(?P<path>\S+?): undefined parameter: (?P<name>.*)$")
_W_LEADING = re.compile(
    r"^(?P<path>\S+?): logical line must not start with whitespace: \"(?P<text>.*)\"$"
)
_F_MAIN = re.compile(
    r"^(?P<path>\S+?), line (?P<line>\d+): (?P<phrase>[^:\"]+?)(?:: \"(?P<text>.*)\")?$"
)
_F_MASTER = re.compile(r"^file (?P<path>\S+?): line (?P<line>\d+): (?P<phrase>.+)$")
_F_FIELD = re.compile(r"^(?P<phrase>invalid \w+ field) \"(?P<value>.*)\" in \"(?P<text>.*)\"$")
_F_MACRO = re.compile(r"^(?:dictionary \S+: )?macro processing error$")


def _lines(output: str) -> list[str]:
    """Lines of postconf's output. Only "\n" ends one: str.splitlines() would also split
    at "\x1c", "\x85" and other characters that Postfix keeps inside names and values."""
    return output.rstrip("\n").split("\n") if output else []


def parse_name_values(stdout: str) -> dict[str, str]:
    """``name = value`` lines of ``postconf -n`` / ``-P``."""
    result: dict[str, str] = {}
    for line in _lines(stdout):
        match = _NAME_VALUE.match(line)
        if match is None:
            raise ValueError(f"unexpected postconf output line: {line!r}")
        result[match.group(1)] = match.group(2) or ""
    return result


def parse_fields(stdout: str) -> list[dict[str, str]]:
    """``postconf -F``: eight ``service/type/field = value`` lines per entry, in order."""
    entries: list[dict[str, str]] = []
    lines = _lines(stdout)
    if len(lines) % len(MASTER_FIELDS):
        raise ValueError(f"postconf -F printed {len(lines)} lines, not a multiple of 8")
    for offset in range(0, len(lines), len(MASTER_FIELDS)):
        entry: dict[str, str] = {}
        service = type_ = ""
        for field_name, line in zip(MASTER_FIELDS, lines[offset : offset + 8], strict=True):
            if field_name == "service":
                head, sep, value = line.rpartition("/service =")
                service, _, type_ = head.rpartition("/")
            else:
                prefix = f"{service}/{type_}/{field_name} ="
                if not line.startswith(prefix):
                    raise ValueError(f"unexpected postconf -F line: {line!r} (wanted {prefix})")
                value = line[len(prefix) :]
            entry[field_name] = value[1:] if value.startswith(" ") else value
        entries.append(entry)
    return entries


def parse_overrides(stdout: str, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """``postconf -P``: ``service/type/name = value`` per ``-o``, grouped per entry."""
    result: dict[tuple[str, str], dict[str, str]] = {key: {} for key in keys}
    prefixes = sorted(result, key=lambda k: -len(k[0]) - len(k[1]))
    for line in _lines(stdout):
        for service, type_ in prefixes:
            prefix = f"{service}/{type_}/"
            if line.startswith(prefix):
                name, sep, value = line[len(prefix) :].partition(" =")
                if sep:
                    result[(service, type_)][name] = value[1:] if value.startswith(" ") else value
                    break
        else:
            raise ValueError(f"unexpected postconf -P line: {line!r}")
    return result


@dataclass(frozen=True)
class Fatal:
    message: str  # postconf's whole fatal line, without "postconf: fatal: "
    phrase: str  # the words mtalint's message must contain
    file: str | None  # "main.cf" / "master.cf" when known
    line: int | None  # when known
    environment: bool = False  # the machine's fault, not the config's
    crashed: bool = False  # postconf died without a message (it has crashed on some input)


@dataclass
class Warnings:
    overrides: set[tuple[str, int, str]] = field(default_factory=set)  # (file, line, name)
    unused: dict[tuple[str, str], str] = field(default_factory=dict)  # (file, name) -> value
    undefined: set[tuple[str, str]] = field(default_factory=set)  # (file, name)
    leading: set[tuple[str, str]] = field(default_factory=set)  # (file, text)
    other: set[str] = field(default_factory=set)
    fatal: Fatal | None = None


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def parse_stderr(stderr: str, config_dir: str) -> Warnings:
    found = Warnings()
    last_warning = ""
    for line in _lines(stderr):
        prefix = _PREFIX.match(line)
        if prefix is None:
            found.other.add(line)
            continue
        level, text = prefix.groups()
        if level == "fatal":
            if found.fatal is None:
                found.fatal = _parse_fatal(text, last_warning)
            continue
        if not re.match(r"\S+\.cf[:,]", text):
            last_warning = text  # a $name problem, which may explain a following fatal
        if match := _W_OVERRIDE.match(text):
            name, value = match["name"], match["value"]
            if name == "config_directory" and value == config_dir:
                continue  # postconf's own -c entry, not the file's
            found.overrides.add((_basename(match["path"]), int(match["line"]), name))
        elif match := _W_UNUSED.match(text):
            found.unused[(_basename(match["path"]), match["name"])] = match["value"]
        elif match := _W_UNDEFINED.match(text):
            found.undefined.add((_basename(match["path"]), match["name"]))
        elif match := _W_LEADING.match(text):
            found.leading.add((_basename(match["path"]), match["text"]))
        else:
            found.other.add(text)
    return found


def _parse_fatal(text: str, last_warning: str) -> Fatal:
    if any(words in text for words in ENVIRONMENT_FATALS):
        return Fatal(text, text, None, None, environment=True)
    if match := _F_MASTER.match(text):
        return Fatal(text, match["phrase"], _basename(match["path"]), int(match["line"]))
    if match := _F_MAIN.match(text):
        return Fatal(text, match["phrase"], _basename(match["path"]), int(match["line"]))
    if match := _F_FIELD.match(text):
        return Fatal(text, match["phrase"], "master.cf", None)
    if _F_MACRO.match(text):
        # The reason is in the warning just before: 'truncated macro reference: "${x"'.
        phrase = last_warning.split(":", 1)[0] if last_warning else "macro processing error"
        return Fatal(text, phrase, None, None)
    return Fatal(text, text, None, None)


# --------------------------------------------------------------------------------------
# Cases and what postconf says about them


@dataclass
class Case:
    """Config files to compare; ``origin`` says where they came from (for messages)."""

    name: str
    files: dict[str, bytes]  # "main.cf"/"master.cf" -> content
    origin: str = ""
    folder: Path | None = None
    # what postconf reads: the folder itself, or for a main.cf that comes alone a copy
    # beside the distribution's stock master.cf (Postfix never runs without one, and
    # its services decide which <service>_<name> parameters are known)
    postconf_folder: Path | None = None

    def write(self, root: Path) -> Path:
        folder = root / re.sub(r"[^A-Za-z0-9_.-]", "_", self.name)
        folder.mkdir(parents=True)
        for name, content in self.files.items():
            (folder / name).write_bytes(content)
        settle(folder)
        self.folder = folder
        self.postconf_folder = folder
        if "master.cf" not in self.files and STOCK_MASTER_CF.exists():
            beside = root / f"{folder.name}.postconf"
            beside.mkdir(parents=True)
            for name, content in self.files.items():
                (beside / name).write_bytes(content)
            (beside / "master.cf").write_bytes(STOCK_MASTER_CF.read_bytes())
            settle(beside)
            self.postconf_folder = beside
        return folder

    def show(self, around: Iterable[tuple[str, int]] = (), limit: int = 80) -> str:
        """The input files with line numbers (or, for long files, the lines around)."""
        out = [f"input {self.name}" + (f" ({self.origin})" if self.origin else "")]
        marks = {}
        for file, line in around:
            marks.setdefault(file, set()).add(line)
        for name, content in self.files.items():
            lines = content.decode("utf-8", "replace").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            wanted: set[int] | None = None
            if marks and name not in marks and len(lines) > 10:
                out.append(f"--- {name} ({len(lines)} lines; no differences located here)")
                continue
            if len(lines) > limit:
                wanted = set()
                ends = {ll.line: ll.end for ll in logical_lines(content)[0]}
                for line in marks.get(name, ()):
                    wanted.update(range(line - 3, max(line, ends.get(line, line)) + 3))
                out.append(f"--- {name} ({len(lines)} lines; showing those around differences)")
            else:
                out.append(f"--- {name}")
            for number, text in enumerate(lines, start=1):
                if wanted is None or number in wanted:
                    out.append(f"{number:4}| {text!r}"[:300])
        return "\n".join(out)


@dataclass
class Expectation:
    case: Case
    runs: list[Run]
    warnings: Warnings
    parameters: dict[str, str] | None = None  # None when postconf failed
    parameter_lines: dict[str, int] = field(default_factory=dict)
    entries: list[dict[str, str]] | None = None  # every -F entry, in order
    entry_lines: list[int] = field(default_factory=list)
    overrides: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    inconsistencies: list[str] = field(default_factory=list)

    @property
    def fatal(self) -> Fatal | None:
        return self.warnings.fatal

    @property
    def active(self) -> dict[tuple[str, str], tuple[int, dict[str, str]]]:
        """(service, type) -> (index, entry) of the entry Postfix keeps: the last one."""
        result: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
        for index, entry in enumerate(self.entries or []):
            result[(entry["service"], entry["type"])] = (index, entry)
        return result

    @property
    def active_keys(self) -> dict[int, tuple[str, str]]:
        """index -> (service, type) of the active entries."""
        return {index: key for key, (index, _) in self.active.items()}

    @property
    def replaced_lines(self) -> set[int]:
        """Lines of master.cf entries that a later entry with the same key replaces."""
        active = {index for index, _ in self.active.values()}
        return {
            self.entry_lines[index]
            for index in range(len(self.entries or []))
            if index not in active and index < len(self.entry_lines)
        }

    def show_postconf(self) -> str:
        return "postconf says:\n" + "".join(run.show() for run in self.runs)


def observe(cases: Sequence[Case], scratch: Path) -> dict[str, Expectation]:
    """Write every case below ``scratch``, run postconf on all of them, read the answers."""
    for case in cases:
        if case.folder is None:
            case.write(scratch / "cases")

    # Round 1: -n; it also reads master.cf and reports the first fatal error of either file.
    runs = run_postconf_batch(
        [("-n", "-c", str(c.postconf_folder or c.folder)) for c in cases], scratch / "round1"
    )
    expectations = {case.name: _expect_main(case, run) for case, run in zip(cases, runs)}

    # Round 2: master.cf fields and overrides; values of unused parameters.
    jobs: list[tuple[str, ...]] = []
    owners: list[tuple[Expectation, str]] = []
    for case in cases:
        exp = expectations[case.name]
        if exp.parameters is None:
            continue
        if "master.cf" in case.files:
            for mode in ("-F", "-P"):
                jobs.append((mode, "-c", str(case.folder)))
                owners.append((exp, mode))
        unused = sorted(n for (f, n) in exp.warnings.unused if f == "main.cf")
        if unused:
            jobs.append(("-n", "-c", str(_unused_probe(case, unused, scratch / "unused"))))
            owners.append((exp, "unused"))
    round2: dict[str, dict[str, Run]] = {}
    for (exp, what), run in zip(owners, run_postconf_batch(jobs, scratch / "round2")):
        exp.runs.append(run)
        round2.setdefault(exp.case.name, {})[what] = run
        if what == "unused":
            _read_unused_values(exp, run)
    for case in cases:
        if "-F" in round2.get(case.name, {}):
            _expect_master(expectations[case.name], round2[case.name])

    # Round 3: where a master.cf entry replaces an earlier one with the same service and
    # type, ask again about the active entries alone: postconf -P merges the -o settings
    # of both, while master(8) runs only the last. Its warnings stay those about the whole
    # file, replaced entries included, since that is what postconf says about it.
    jobs, owners = [], []
    for case in cases:
        exp = expectations[case.name]
        if exp.entries is not None and len(exp.active) < len(exp.entries):
            keep = sorted(index for index, _ in exp.active.values())
            entries = logical_lines(case.files["master.cf"])[0]
            if len(entries) != len(exp.entries):
                continue  # reported by _expect_master()
            folder = scratch / "active" / case.folder.name
            folder.mkdir(parents=True)
            (folder / "main.cf").write_bytes(case.files.get("main.cf", b""))
            # Each entry on one physical line: the same logical line to readllines().
            text = "".join(entries[i].text + "\n" for i in keep)
            (folder / "master.cf").write_bytes(text.encode("latin-1"))
            settle(folder)
            jobs.append(("-P", "-c", str(folder)))
            owners.append((exp, "-P"))
    for (exp, _mode), run in zip(owners, run_postconf_batch(jobs, scratch / "round3")):
        exp.runs.append(run)
        if run.rc != 0:
            exp.inconsistencies.append(f"postconf -P on the active entries failed: {run.stderr}")
            continue
        assert exp.entries is not None
        keys = [exp.active_keys[i] for i in sorted(exp.active_keys)]
        exp.overrides = parse_overrides(run.stdout, keys)
    return expectations


def _unused_probe(case: Case, names: list[str], root: Path) -> Path:
    """A copy of the case in which ``names`` count as used, so -n prints their values."""
    folder = root / case.folder.name
    folder.mkdir(parents=True)
    main = case.files.get("main.cf", b"")
    if main and not main.endswith(b"\n"):
        main += b"\n"
    main += b"smtpd_restriction_classes = " + " ".join(names).encode() + b"\n"
    (folder / "main.cf").write_bytes(main)
    if "master.cf" in case.files:
        (folder / "master.cf").write_bytes(case.files["master.cf"])
    elif STOCK_MASTER_CF.exists():
        (folder / "master.cf").write_bytes(STOCK_MASTER_CF.read_bytes())
    settle(folder)
    return folder


def _read_unused_values(exp: Expectation, run: Run) -> None:
    if run.rc != 0:
        exp.inconsistencies.append(
            f"postconf -n on the unused-parameter probe failed: {run.stderr}"
        )
        return
    values = parse_name_values(run.stdout)
    assert exp.parameters is not None
    for file, name in exp.warnings.unused:
        if file != "main.cf":
            continue
        if name in values:
            exp.parameters[name] = values[name]
        else:
            exp.inconsistencies.append(f"the unused-parameter probe did not print {name}")


# postconf(5): parameters whose value is "transport" or "transport:nexthop"
TRANSPORT_PARAMETERS = (
    "content_filter",
    "default_transport",
    "fallback_transport",
    "local_transport",
    "mailbox_transport",
    "relay_transport",
    "virtual_transport",
)


def main_cf_transports(parameters: dict[str, str]) -> set[str]:
    """The transports (master.cf service names) main.cf's transport parameters name."""
    names = set()
    for name in TRANSPORT_PARAMETERS:
        for word in re.split(r"[\s,]+", parameters.get(name, "")):
            transport = word.split(":", 1)[0]
            if transport and "$" not in transport:
                names.add(transport)
    return names


def _expect_main(case: Case, n: Run) -> Expectation:
    folder = str(case.postconf_folder or case.folder)
    exp = Expectation(case, [n], parse_stderr(n.stderr, folder))
    if n.rc != 0:
        if exp.fatal is None:
            exp.warnings.fatal = Fatal(
                f"postconf -n exited {n.rc}: {n.stderr.strip()[-300:]}",
                "",
                None,
                None,
                crashed=True,
            )
        return exp
    params = parse_name_values(n.stdout)
    if params.get("config_directory") == folder:
        del params["config_directory"]
    for (file, name), value in exp.warnings.unused.items():
        if file == "main.cf":
            params[name] = collapse(value)  # replaced by the probe's value in round 2
    exp.parameters = params
    main_lines, _ = logical_lines(case.files.get("main.cf", b""))
    for logical in main_lines:
        exp.parameter_lines[logical.name] = logical.line
    if set(exp.parameter_lines) != set(params):
        exp.inconsistencies.append(
            "logical_lines() and postconf disagree on the parameter names: "
            f"{sorted(set(exp.parameter_lines) ^ set(params))}"
        )
    return exp


def _expect_master(exp: Expectation, runs: dict[str, Run]) -> None:
    fields_run, p_run = runs["-F"], runs["-P"]
    if fields_run.rc != 0 or p_run.rc != 0:
        exp.inconsistencies.append("postconf -n succeeded but -F or -P failed")
        return
    exp.entries = parse_fields(fields_run.stdout)
    master_lines, _ = logical_lines(exp.case.files["master.cf"])
    exp.entry_lines = [logical.line for logical in master_lines]
    if len(master_lines) != len(exp.entries):
        exp.inconsistencies.append(
            f"logical_lines() finds {len(master_lines)} master.cf entries,"
            f" postconf -F {len(exp.entries)}"
        )
    keys = [(e["service"], e["type"]) for e in exp.entries]
    exp.overrides = parse_overrides(p_run.stdout, keys)


# --------------------------------------------------------------------------------------
# mtalint's side


def run_mtalint(path: Path) -> tuple[dict[str, Any] | None, str]:
    """``mtalint parse --format json PATH`` in-process; returns (document, problem)."""
    from click.testing import CliRunner

    from linter.cli import main

    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["parse", "--format", "json", str(path)])
    stderr = ""
    with contextlib.suppress(ValueError):  # click < 8.2 without mix_stderr=False
        stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        return None, f"mtalint raised {result.exception!r}\n{trace}"
    try:
        doc = json.loads(result.stdout)
    except ValueError:
        return None, (
            f"mtalint parse exited {result.exit_code} without a JSON document\n"
            f"stdout: {result.stdout[:2000]!r}\nstderr: {stderr[:2000]!r}"
        )
    if not isinstance(doc, dict):
        return None, f"mtalint parse printed {type(doc).__name__}, not one JSON object"
    return doc, ""


def _diagnostics(doc: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    diags = [d for d in doc.get("diagnostics") or [] if isinstance(d, dict)]
    return [d for d in diags if kind is None or d.get("kind") == kind]


def _file_of(diag: dict[str, Any]) -> str:
    return _basename(str(diag.get("path") or ""))


def _show_diag(diag: dict[str, Any]) -> str:
    return json.dumps(diag, ensure_ascii=False, sort_keys=True)


def compare(exp: Expectation, doc: dict[str, Any]) -> tuple[list[str], set[tuple[str, int]]]:
    """Differences between postconf's answers and mtalint's document.

    Returns the differences and the (file, line) places they concern.
    """
    problems: list[str] = []
    places: set[tuple[str, int]] = set()
    problems += [f"(test oracle) {text}" for text in exp.inconsistencies]
    # Value checks only the daemons make (a boolean that is not yes/no) are fatal to
    # Postfix too, but postconf does not look for them: they are not its verdict.
    fatal_diags = [
        d for d in _diagnostics(doc) if d.get("fatal") is True and d.get("checked_by") != "daemon"
    ]
    fatal = exp.fatal

    # The verdict, and postconf's (first) fatal error.
    if fatal is not None:
        if fatal.file and fatal.line:
            places.add((fatal.file, fatal.line))
        if not fatal_diags:
            problems.append(f"postconf fails ({fatal.message!r}); mtalint has no fatal diagnostic")
        elif not any(_fatal_matches(fatal, d, exp) for d in fatal_diags):
            lines = _fatal_lines(fatal, exp)
            span = "?" if lines is None else f"{lines[0]}-{lines[-1]}"
            where = f"{fatal.file or '?'} line {span}"
            problems.append(
                f"postconf fails with {fatal.message!r} ({where}); no mtalint fatal diagnostic"
                f" says {fatal.phrase!r} there. mtalint's fatal diagnostics:\n    "
                + "\n    ".join(_show_diag(d) for d in fatal_diags)
            )
        return problems, places
    if fatal_diags:
        problems.append(
            "postconf accepts the config; mtalint reports fatal diagnostics:\n    "
            + "\n    ".join(_show_diag(d) for d in fatal_diags)
        )
        for diag in fatal_diags:
            if isinstance(diag.get("line"), int):
                places.add((_file_of(diag), diag["line"]))

    postfix = doc.get("postfix") or {}
    main = postfix.get("main") or {}
    master = postfix.get("master") or {}

    # main.cf parameters: names, values, lines.
    if exp.parameters is not None:
        got = main.get("parameters") or {}
        for name in sorted(set(exp.parameters) | set(got)):
            want_value = exp.parameters.get(name)
            have = got.get(name)
            line = exp.parameter_lines.get(name)
            before = len(problems)
            if want_value is None:
                problems.append(
                    f"main.cf: mtalint has parameter {name!r} = {have!r}; postconf does not list it"
                )
            elif have is None:
                problems.append(
                    f"main.cf line {line}: postconf has {name} = {want_value!r}; mtalint does not"
                )
            elif have.get("value") != want_value:
                problems.append(
                    f"main.cf line {line}: {name}: postconf {want_value!r},"
                    f" mtalint {have.get('value')!r}"
                    + _whitespace_hint(want_value, have.get("value"))
                )
            elif line is not None and have.get("line") != line:
                problems.append(
                    f"main.cf: {name} is set on line {line} (last definition);"
                    f" mtalint says line {have.get('line')!r}"
                )
            if line and len(problems) > before:
                places.add(("main.cf", line))

    # master.cf services and their -o overrides.
    services = master.get("services") or []
    if exp.entries is None:
        if "master.cf" not in exp.case.files and services:
            problems.append(f"no master.cf, but mtalint lists services: {services!r}")
    else:
        seen: dict[tuple[str, str], dict[str, Any]] = {}
        for svc in services:
            key = (svc.get("service"), svc.get("type"))
            if key in seen:
                problems.append(f"mtalint lists {key[0]}/{key[1]} more than once")
            seen[key] = svc
        active = exp.active
        for key in sorted(set(active) | set(seen), key=str):
            label = f"{key[0]}/{key[1]}"
            if key not in active:
                problems.append(
                    f"master.cf: mtalint has a service {label} that postconf lacks:"
                    f" {_show_diag(seen[key])}"
                )
                if isinstance(seen[key].get("line"), int):
                    places.add(("master.cf", seen[key]["line"]))
                continue
            index, entry = active[key]
            line = exp.entry_lines[index] if index < len(exp.entry_lines) else None
            before = len(problems)
            _compare_service(problems, label, line, entry, seen.get(key), exp.overrides.get(key))
            if line and len(problems) > before:
                places.add(("master.cf", line))

    # Warnings: unused and undefined parameters, duplicates, leading whitespace.
    unused = set(exp.warnings.unused)
    if "master.cf" not in exp.case.files:
        # the one place mtalint knows more than postconf: a transport that main.cf names
        # (virtual_transport = dovecot) is a service of the master.cf we were not given,
        # so its <service>_<name> parameters are not unused
        named = main_cf_transports(exp.parameters or {})
        unused = {(f, n) for f, n in unused if not any(n.startswith(f"{t}_") for t in named)}
    _compare_named(problems, "unused-parameter", "unused parameter", unused, doc)
    _compare_named(
        problems, "undefined-parameter", "undefined parameter", exp.warnings.undefined, doc
    )

    dups = _diagnostics(doc, "duplicate-entry")
    main_dup_lines = {d.get("line") for d in dups if _file_of(d) == "main.cf"}
    master_dup_lines = {d.get("line") for d in dups if _file_of(d) == "master.cf"}
    want_main = {line for file, line, _ in exp.warnings.overrides if file == "main.cf"}
    places.update(("main.cf", line) for line in want_main)
    for line in sorted(want_main - main_dup_lines):
        name = next(n for f, ln, n in exp.warnings.overrides if f == "main.cf" and ln == line)
        problems.append(
            f"main.cf line {line}: postconf warns 'overriding earlier entry'"
            f" ({name}); mtalint has no duplicate-entry diagnostic on that line"
        )
    redefinitions = _redefinition_lines(exp.case.files.get("main.cf", b""))
    for line in sorted(main_dup_lines - want_main, key=str):
        if line not in redefinitions:
            problems.append(
                f"main.cf: mtalint reports duplicate-entry on line {line!r}, which"
                " does not redefine an earlier parameter"
            )
    if exp.entries is not None:
        want_master = exp.replaced_lines
        places.update(("master.cf", line) for line in want_master)
        if want_master != master_dup_lines:
            problems.append(
                "master.cf: entries replaced by a later one with the same service/type start"
                f" on lines {sorted(want_master)}; mtalint's duplicate-entry lines are"
                f" {sorted(master_dup_lines, key=str)}"
            )

    want_leading = {file for file, _ in exp.warnings.leading}
    have_leading = {_file_of(d) for d in _diagnostics(doc, "leading-whitespace")}
    if want_leading != have_leading:
        problems.append(
            "postconf warns 'logical line must not start with whitespace' for"
            f" {sorted(exp.warnings.leading)}; mtalint's leading-whitespace diagnostics are for"
            f" {sorted(have_leading)}"
        )
    return problems, places


def _compare_service(
    problems: list[str],
    label: str,
    line: int | None,
    entry: dict[str, str],
    svc: dict[str, Any] | None,
    want_overrides: dict[str, str] | None,
) -> None:
    if svc is None:
        problems.append(
            f"master.cf line {line}: postconf has service {label} {entry!r}; mtalint does not"
        )
        return
    for field_name in MASTER_FIELDS:
        if svc.get(field_name) != entry[field_name]:
            problems.append(
                f"master.cf line {line}: {label} {field_name}: postconf"
                f" {entry[field_name]!r}, mtalint {svc.get(field_name)!r}"
            )
    want_overrides = want_overrides or {}
    have_overrides = svc.get("overrides") or {}
    if have_overrides != want_overrides:
        collapsed = {k: collapse(str(v)) for k, v in have_overrides.items()}
        problems.append(
            f"master.cf line {line}: {label} overrides: postconf -P"
            f" {want_overrides!r}, mtalint {svc.get('overrides')!r}"
            + (_WHITESPACE_HINT if collapsed == want_overrides else "")
        )
    if line is not None and svc.get("line") != line:
        problems.append(
            f"master.cf: {label} starts on line {line}; mtalint says {svc.get('line')!r}"
        )


_WHITESPACE_HINT = (
    " (only whitespace differs: postconf -n and -P print each run of whitespace, including"
    " the line breaks of continued values, as one space)"
)


def _whitespace_hint(want: str, have: Any) -> str:
    return _WHITESPACE_HINT if isinstance(have, str) and collapse(have) == want else ""


def _compare_named(
    problems: list[str], kind: str, words: str, want: set[tuple[str, str]], doc: dict[str, Any]
) -> None:
    have = {(_file_of(d), str(d.get("parameter"))) for d in _diagnostics(doc, kind)}
    for file, name in sorted(want - have):
        problems.append(
            f"{file}: postconf warns '{words}: {name}'; mtalint has no {kind}"
            f" diagnostic for {name!r} in {file}"
        )
    for file, name in sorted(have - want):
        problems.append(f"{file}: mtalint reports {kind} for {name!r}; postconf does not")


def _redefinition_lines(data: bytes) -> set[int]:
    seen: set[str] = set()
    lines: set[int] = set()
    for logical in logical_lines(data)[0]:
        if logical.name in seen:
            lines.add(logical.line)
        seen.add(logical.name)
    return lines


def _fatal_lines(fatal: Fatal, exp: Expectation) -> range | None:
    """Where the fatal error is: postconf's line, or for ``invalid ... field "x" in "entry"``
    (no line number) any physical line of the entry, found by its text."""
    if fatal.line is not None:
        return range(fatal.line, fatal.line + 1)
    match = _F_FIELD.match(fatal.message)
    if match is None:
        return None
    wanted = match["text"].rstrip()
    for logical in logical_lines(exp.case.files.get("master.cf", b""))[0]:
        if printable(logical.text).rstrip() == wanted:
            return range(logical.line, logical.end + 1)
    return None


def _fatal_matches(fatal: Fatal, diag: dict[str, Any], exp: Expectation) -> bool:
    if fatal.phrase.lower() not in str(diag.get("message", "")).lower():
        return False
    if fatal.file and _file_of(diag) and _file_of(diag) != fatal.file:
        return False
    lines = _fatal_lines(fatal, exp)
    return lines is None or diag.get("line") in lines


def ideal_document(exp: Expectation) -> dict[str, Any]:
    """The ``mtalint parse`` document that agrees with postconf in every compared respect.

    Built from postconf's answers alone; used to check that :func:`compare` accepts an
    exact answer and notices a wrong one.
    """
    diagnostics: list[dict[str, Any]] = []

    def diag(kind: str, file: str, line: int | None = None, **extra: Any) -> None:
        entry = {"kind": kind, "message": kind, "fatal": False, "path": file, "line": line}
        diagnostics.append({**entry, **extra})

    if exp.fatal is not None:
        lines = _fatal_lines(exp.fatal, exp)
        diag("syntax-error", exp.fatal.file or "main.cf", lines[0] if lines else None)
        diagnostics[-1].update(fatal=True, message=f"{exp.fatal.phrase}: {exp.fatal.message}")
        return {"postfix": {}, "diagnostics": diagnostics}
    parameters = {
        name: {"value": value, "line": exp.parameter_lines.get(name)}
        for name, value in (exp.parameters or {}).items()
    }
    services = [
        {**entry, "overrides": exp.overrides.get(key, {}), "line": exp.entry_lines[index]}
        for key, (index, entry) in exp.active.items()
    ]
    for file, name in exp.warnings.unused:
        diag("unused-parameter", file, parameter=name)
    for file, name in exp.warnings.undefined:
        diag("undefined-parameter", file, parameter=name)
    for file, line, name in exp.warnings.overrides:
        diag("duplicate-entry", file, line, parameter=name)
    for line in exp.replaced_lines:
        diag("duplicate-entry", "master.cf", line)
    for file, _ in exp.warnings.leading:
        diag("leading-whitespace", file)
    return {
        "postfix": {"main": {"parameters": parameters}, "master": {"services": services}},
        "diagnostics": diagnostics,
    }


def explain(
    exp: Expectation,
    doc: dict[str, Any] | None,
    problems: list[str],
    places: Iterable[tuple[str, int]] = (),
) -> str:
    """The assertion message: differences, the input, postconf's and mtalint's output."""
    parts = [
        f"mtalint disagrees with postconf on {exp.case.name}:",
        *(f"  - {p}" for p in problems),
        "",
        exp.case.show(places),
        "",
        exp.show_postconf(),
    ]
    if doc is not None:
        brief = {
            "postfix": doc.get("postfix"),
            "diagnostics": doc.get("diagnostics"),
        }
        parts += [
            "mtalint parse --format json (postfix, diagnostics):",
            _clip(json.dumps(brief, indent=1, ensure_ascii=False), 150),
        ]
    return "\n".join(parts)


def _indent(text: str, prefix: str) -> str:
    return "".join(prefix + line + "\n" for line in text.splitlines())


def _clip(text: str, lines: int) -> str:
    all_lines = text.splitlines()
    if len(all_lines) <= lines:
        return text
    return "\n".join(all_lines[:lines]) + f"\n... ({len(all_lines) - lines} more lines)"


# --------------------------------------------------------------------------------------
# Generated configurations
#
# Only names and values that make postconf consult nothing outside the folder: no
# inet_interfaces/proxy_interfaces/inet_protocols (interface and DNS lookups), no
# mysql:/ldap: tables (postconf opens their config files), no myhostname-less defaults
# that depend on the machine are printed by -n anyway.


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


KNOWN_PARAMETERS = _words(
    """
    myhostname mydomain myorigin mydestination relayhost relay_domains mynetworks
    smtpd_banner smtpd_relay_restrictions smtpd_recipient_restrictions
    smtpd_client_restrictions smtpd_helo_restrictions smtpd_sender_restrictions
    smtpd_tls_security_level smtpd_tls_cert_file smtpd_tls_key_file smtpd_tls_auth_only
    smtpd_sasl_auth_enable smtpd_sasl_type smtpd_sasl_path smtp_tls_security_level
    smtp_tls_CAfile smtpd_milters non_smtpd_milters milter_default_action alias_maps
    alias_database virtual_alias_maps transport_maps header_checks body_checks
    message_size_limit mailbox_size_limit biff append_dot_mydomain recipient_delimiter
    home_mailbox disable_vrfy_command smtpd_helo_required notify_classes maillog_file
    smtpd_tls_protocols smtpd_tls_mandatory_protocols smtpd_tls_ciphers
    postscreen_dnsbl_sites soft_bounce default_transport content_filter
    smtp_sasl_password_maps smtp_sasl_auth_enable local_recipient_maps
    default_process_limit smtpd_restriction_classes import_environment syslog_name
    delay_warning_time smtpd_tls_loglevel
    """
)
#: Parameters defined by a master.cf service name (used only when the service exists).
SERVICE_PARAMETERS = _words(
    """
    relay_destination_concurrency_limit slow_destination_recipient_limit
    custom_destination_rate_delay dovecot_destination_recipient_limit
    amavis_initial_destination_concurrency
    """
)
#: Names Postfix does not know; "used" only when some value says $name.
USER_PARAMETERS = _words(
    """
    local_restrictions custom_maps dms_sender_checks site_banner foo-bar 2bounce_extra
    """
)
UNDEFINED_NAMES = ("nosuch", "undefined_thing", "not_set_anywhere", "1")

WORDS = _words(
    """
    yes no may encrypt none permit_mynetworks reject_unauth_destination
    permit_sasl_authenticated reject DUNNO hash:/etc/postfix/transport
    regexp:/etc/postfix/header_checks pcre:/etc/postfix/body.pcre proxy:unix:passwd.byname
    127.0.0.0/8 [::1]/128 10.0.0.0/8 mail.example.test example.test localhost 10240000 0
    inet:127.0.0.1:11332 unix:private/policy [smtp.example.test]:587 !SSLv2 !TLSv1 Maildir/
    + /etc/ssl/certs/mail.pem postfix/submission dovecot private/auth $myhostname x=y a;b
    résumé
    """
)
BRACED = (
    "{ inet:127.0.0.1:8891, default_action=accept }",
    "check_policy_service { unix:private/policy, default_action=DUNNO }",
    "static:{ text with spaces }",
    "inline:{ key=value, { key2 = text with spaces } }",
    "{ name = value }",
    "{a b}",
)


def _ws(rng: Any, chars: str = " \t", most: int = 3) -> str:
    return "".join(rng.choice(chars) for _ in range(rng.randint(1, most)))


#: Known parameters that generated values may refer to: their defaults refer to nothing
#: and generated values for them refer to nothing either, so references cannot loop.
LEAF_PARAMETERS = _words(
    """
    myhostname biff maillog_file smtpd_tls_cert_file relayhost smtp_tls_CAfile
    message_size_limit smtpd_sasl_type home_mailbox recipient_delimiter
    """
)


def _reference(rng: Any, names: Sequence[str]) -> str:
    name = rng.choice(names)
    undefined = rng.choice(UNDEFINED_NAMES)
    return rng.choice(
        (
            f"${name}",
            f"${name}",
            f"${{{name}}}",
            f"$({name})",
            f"${{{name}?yes}}",
            f"${{{name}:no}}",
            f"${{{name}?{{a b}}:{{c}}}}",
            f"${{{name}?{{$myhostname}}}}",
            "$$",
            f"x${name}y",
            # Relational operands only on undefined names: a loop through "${{$x} == ..."
            # crashes postconf 3.7 (SIGSEGV) instead of "unreasonable macro call nesting".
            f"${{{{${undefined}}} == {{x}} ? {{a}} : {{b}}}}",
        )
    )


def _value_tokens(rng: Any, names: Sequence[str]) -> list[str]:
    tokens: list[str] = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 6))):
        roll = rng.random()
        if roll < 0.55 or (roll < 0.8 and not names):
            tokens.append(rng.choice([w for w in WORDS if names or "$" not in w]))
        elif roll < 0.8:
            tokens.append(_reference(rng, names))
        elif roll < 0.92:
            tokens.append(rng.choice(BRACED))
        else:
            tokens.append(rng.choice(("# not a comment", "#x", ",", "{", "}", "=", "a=b=c")))
    return tokens


def _join_value(rng: Any, tokens: list[str]) -> list[str]:
    """Spread value tokens over physical lines; return the text after 'name ='."""
    if not tokens:
        return [""]
    lines = [""]
    for index, token in enumerate(tokens):
        if index and rng.random() < 0.35:
            lines.append(_ws(rng, " \t", 4))
            # Comment and blank lines inside a continued value do not end it.
            while rng.random() < 0.3:
                lines.insert(
                    len(lines) - 1,
                    rng.choice(("", "   ", "\t", "# comment inside", "  # indented comment")),
                )
        elif index:
            lines[-1] += rng.choice((" ", ", ", ",", "  ", "\t", " ,"))
        lines[-1] += token
    if rng.random() < 0.25:  # the value starts on the next line
        lines.insert(0, "")
        lines[1] = _ws(rng, " \t", 4) + lines[1]
    return lines


def generate_main_cf(rng: Any) -> str:
    # Decide the names first: a value may refer to names defined for the first time
    # before its own name (and to leaf, service and undefined names), so that references
    # never loop, except in the rare case that loops on purpose.
    plan: list[str] = []
    for _ in range(rng.randint(1, 14)):
        roll = rng.random()
        if roll < 0.12:
            plan.append("")  # a comment or blank line
        elif roll < 0.2 and any(plan):
            plan.append(rng.choice(sorted(n for n in plan if n)))  # defined again
        elif roll < 0.3:
            plan.append(rng.choice(USER_PARAMETERS))
        elif roll < 0.36:
            plan.append(rng.choice(SERVICE_PARAMETERS))
        else:
            plan.append(rng.choice(KNOWN_PARAMETERS))
    rank = {name: index for index, name in reversed(list(enumerate(plan)))}
    out: list[str] = []
    if rng.random() < 0.05:
        out.append(_ws(rng) + "orphan = text before the first logical line")
    values: dict[str, list[str]] = {}
    for name in plan:
        if not name:
            out.append(rng.choice(("", "# a comment", "#", "   ", "## section ##")))
            continue
        if name in LEAF_PARAMETERS:
            referable: list[str] = []
        else:
            referable = [*LEAF_PARAMETERS, *UNDEFINED_NAMES]
            referable += [n for n in rank if rank[n] < rank[name] and re.fullmatch(r"\w+", n)]
            referable += [n for n in SERVICE_PARAMETERS if n not in rank]
            referable += [n for n in USER_PARAMETERS if n not in rank and re.fullmatch(r"\w+", n)]
        if name in values and rng.random() < 0.3:
            value_lines = values[name]  # the same value again
        elif name == "smtpd_restriction_classes":
            # postconf treats every word here as a parameter name.
            classes = rng.sample([*USER_PARAMETERS, *UNDEFINED_NAMES], rng.randint(0, 3))
            value_lines = _join_value(rng, classes)
        else:
            value_lines = _join_value(rng, _value_tokens(rng, referable))
        values[name] = value_lines
        sep = rng.choice((" = ", " = ", "=", " =", "= ", "\t=\t", "  =  "))
        first = name + sep + value_lines[0]
        if not value_lines[0] and rng.random() < 0.5:
            first = first.rstrip()
        out.append(first)
        out.extend(value_lines[1:])
        if rng.random() < 0.1:
            out[-1] += _ws(rng)  # trailing whitespace
    roll = rng.random()
    if roll < 0.04:  # a line without '='
        out.insert(rng.randint(0, len(out)), rng.choice(("stray", "stray words here")))
    elif roll < 0.06:
        out.insert(rng.randint(0, len(out)), "= value without a name")
    elif roll < 0.09:  # broken $ syntax: fatal in a known parameter, a warning elsewhere
        name = rng.choice(("smtpd_banner", "default_transport", "local_restrictions"))
        out.append(f"{name} = " + rng.choice(("${myhostname", "$(mydomain", "$ x", "a $")))
    elif roll < 0.11:  # references that loop
        out += ["smtpd_banner = $site_banner ESMTP", "site_banner = x ${smtpd_banner}"]
    text = "\n".join(out) + "\n"
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    elif rng.random() < 0.05:
        text = text.rstrip("\n")  # no final newline
    return text


INET_SERVICES = _words(
    """
    smtp submission smtps submissions 127.0.0.1:10025 [::1]:10026 2525 127.0.0.1:smtp
    """
)
UNIX_SERVICES = _words(
    """
    relay slow custom dovecot amavis policyd-spf cleanup pickup smtp local postlog
    """
)
DAEMONS = _words(
    """
    smtpd smtp pipe spawn local cleanup postscreen lmtp qmgr error
    """
)
OVERRIDE_NAMES = _words(
    """
    syslog_name smtpd_tls_security_level smtpd_sasl_auth_enable smtpd_relay_restrictions
    smtpd_recipient_restrictions content_filter smtpd_client_restrictions
    milter_macro_daemon_name smtpd_milters smtpd_tls_wrappermode cleanup_service_name
    my_custom_option relay_destination_concurrency_limit smtp_bind_address
    """
)
OVERRIDE_VALUES = (
    "yes",
    "no",
    "may",
    "encrypt",
    "postfix/$service_name",
    "permit_sasl_authenticated,reject",
    "",
    "$myhostname",
    "${nosuch}",
    "$mua_client_restrictions",
    "inet:127.0.0.1:11332",
    "ORIGINATING",
    "${undefined_thing?x}",
    "127.0.0.1",
)


#: For "-oname=value" and "-voname=value": postconf 3.7 splits such an argument at every
#: letter "o" ("-osyslog_name=x" becomes "-o sysl -o g_name=x"), unlike the daemons'
#: getopt(), so these forms are generated only without that letter.
ATTACHED_OVERRIDES = tuple(
    item
    for item in (
        "smtpd_tls_security_level=may",
        "smtpd_tls_security_level=encrypt",
        "smtpd_sasl_auth_enable=yes",
        "smtpd_tls_wrappermode=yes",
        "smtpd_milters=",
        "smtpd_helo_required=yes",
        "smtpd_sasl_type=dvecyt",
        "smtpd_tls_auth_enable=$nsuch",
    )
    if "o" not in item
)


def _master_args(rng: Any) -> list[str]:
    args: list[str] = []
    for _ in range(rng.choice((0, 0, 1, 2, 3, 5, 8))):
        roll = rng.random()
        name, value = rng.choice(OVERRIDE_NAMES), rng.choice(OVERRIDE_VALUES)
        if roll < 0.45:
            args += ["-o", f"{name}={value}"]
        elif roll < 0.52:
            args.append(rng.choice(("-o", "-vo", "-Dvo")) + rng.choice(ATTACHED_OVERRIDES))
        elif roll < 0.6:
            args += [rng.choice(("-vo", "-Do", "-vDo")), f"{name}={value}"]
        elif roll < 0.72:
            spaced = rng.choice(("a b", "permit_mynetworks, reject", value or "x", "  two  words "))
            args += [
                "-o",
                "{" + _ws(rng, " ", 2) + f"{name}{_ws(rng, ' ', 2)}="
                f"{_ws(rng, ' ', 2)}{spaced}" + _ws(rng, " ", 2) + "}",
            ]
        elif roll < 0.8:
            args.append(rng.choice(("-v", "-D", "-vD", "-vv")))
        elif roll < 0.86:
            # postconf 3.7 -F prints "{ sleep 1 }" as "sleep 1", dropping the braces that keep
            # it one argument; only braced arguments without whitespace are generated.
            args.append(rng.choice(("{sleep}", "{/bin/true}", "{-x}")))
        elif roll < 0.88:
            args.append("--")
        else:
            args.append(
                rng.choice(
                    (
                        "flags=DRhu",
                        "user=vmail",
                        "argv=/usr/bin/maildrop",
                        "-d",
                        "${recipient}",
                        "${nexthop}",
                        "$sender",
                        "x=$nosuch",
                    )
                )
            )
    return args


def generate_master_cf(rng: Any) -> str:
    out: list[str] = []
    keys: list[tuple[str, str]] = []
    if rng.random() < 0.05:
        out.append(_ws(rng) + "orphan unix - - n - - smtpd")
    broken = rng.random() < 0.12
    count = rng.randint(1, 9)
    for index in range(count):
        if rng.random() < 0.15:
            out.append(rng.choice(("", "# comment", "#smtp inet n - y - - smtpd", "  ")))
        if keys and rng.random() < 0.12:
            service, type_ = rng.choice(keys)  # same service and type again
        else:
            type_ = rng.choice(("inet", "unix", "unix", "unix-dgram", "pass", "fifo"))
            service = rng.choice(INET_SERVICES if type_ == "inet" else UNIX_SERVICES)
        keys.append((service, type_))
        fields = [
            service,
            type_,
            rng.choice("yn-"),
            rng.choice("yn-"),
            rng.choice("yn-"),
            rng.choice(("-", "-", "0", "60", "1000?", "300")),
            rng.choice(("-", "-", "0", "1", "100")),
            rng.choice(DAEMONS),
            *_master_args(rng),
        ]
        if broken and index == count - 1:
            position = rng.randint(1, 6)
            fields[position] = rng.choice(
                {
                    1: ("bogus", "-", "INET"),
                    2: ("yes", "x"),
                    3: ("q", "nn"),
                    4: ("x", "Y"),
                    5: ("1x", "?", "-1"),
                    6: ("a", "PH_MAX", "1?"),
                }[position]
            )
            if rng.random() < 0.3:
                fields = fields[: rng.randint(1, 7)]  # bad field count
        line = fields[0]
        for item in fields[1:]:
            if rng.random() < 0.12:
                out.append(line)
                while rng.random() < 0.25:
                    out.append(rng.choice(("# comment in an entry", "  #-o commented=out", "")))
                line = _ws(rng, " \t", 8) + item
            else:
                line += rng.choice((" ", " ", "  ", "\t", "   \t"))
                line += item
        if rng.random() < 0.08:
            line += _ws(rng)
        out.append(line)
    text = "\n".join(out) + "\n"
    if rng.random() < 0.03:
        text = text.replace("\n", "\r\n")
    return text


def generate_case(seed: int) -> Case:
    """A random main.cf, master.cf or both; the same seed always gives the same files."""
    import random

    rng = random.Random(seed)
    kind = ("main", "master", "set", "set")[seed % 4]
    files: dict[str, bytes] = {}
    if kind in ("main", "set"):
        files["main.cf"] = generate_main_cf(rng).encode()
    else:
        files["main.cf"] = MINIMAL_MAIN_CF
    if kind in ("master", "set"):
        files["master.cf"] = generate_master_cf(rng).encode()
    return Case(f"generated-{seed}", files, origin=f"generate_case({seed})")
