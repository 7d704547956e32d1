"""Baselines and new-findings-only runs, for adopting mtalint on an existing fleet.

A finding is known by its fingerprint: rule, file and what it is about (a parameter, a
listener, a domain) with its normalised value, never the line number, so unrelated edits
above it do not make it "new". A baseline file records today's fingerprints;
``--baseline`` then reports only findings that are not in it, and names the entries that
no longer occur (fixed, or moved to another file). ``--diff-base REF`` builds the same
set from the config files as they were at a git commit. :func:`filter_known` is the
check's last stage for both: it returns the result without the known findings.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from linter import __version__
from linter.findings import Finding
from linter.output import say, shown
from linter.textsafe import printable

if TYPE_CHECKING:
    from linter.check import CheckResult

FORMAT_VERSION = 1
# Largest baseline read: a fleet's baseline is about 200 bytes per finding
MAX_BASELINE_BYTES = 64 * 1024 * 1024
# An internal error stands for every finding the set would have had: it is never
# recorded in a baseline, nor hidden by one (once known, it would hide them for good)
NEVER_KNOWN = frozenset({"MTL001"})


class BaselineError(Exception):
    pass


@dataclass
class BaselineEntry:
    fingerprint: str
    rule: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
        }


def baseline_text(findings: list[Finding]) -> str:
    entries = sorted(
        {
            f.fingerprint: BaselineEntry(f.fingerprint, f.rule, f.span.path, f.message)
            for f in findings
            if f.rule not in NEVER_KNOWN
        }.values(),
        key=lambda e: (e.path, e.rule, e.fingerprint),
    )
    doc = {
        "tool": "mtalint",
        "version": __version__,
        "format": FORMAT_VERSION,
        "findings": [e.to_dict() for e in entries],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _read_regular(path: Path, limit: int = MAX_BASELINE_BYTES) -> bytes:
    """The bytes of ``path`` if it is a regular file no larger than ``limit``.

    A device (/dev/zero, /dev/urandom) would be read forever, a FIFO would block: the
    open does not wait (O_NONBLOCK) and what was opened is checked before any read.
    """
    name = shown(path)
    try:
        info = os.lstat(path)
        if stat.S_ISLNK(info.st_mode):
            info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            raise BaselineError(f"baseline {name} is not a regular file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise BaselineError(f"baseline {name} is not a regular file")
            chunks = []
            total = 0
            while total <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {name}: {exc.strerror or exc}") from exc
    if total > limit:
        raise BaselineError(f"baseline {name} is larger than {limit} bytes")
    return b"".join(chunks)


def load_baseline(path: Path) -> list[BaselineEntry]:
    data = _read_regular(path)
    path_text = shown(path)
    try:
        doc = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise BaselineError(f"baseline {path_text} nests too deeply to be a baseline") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path_text} is not valid JSON: {exc}") from None
    if (
        not isinstance(doc, dict)
        or doc.get("tool") != "mtalint"
        or not isinstance(doc.get("findings"), list)
    ):
        raise BaselineError(
            f"{path_text} is not an mtalint baseline (write one with --write-baseline)"
        )
    version = doc.get("format")
    if version != FORMAT_VERSION or isinstance(version, bool):
        said = repr(version) if isinstance(version, int | str) else type(version).__name__
        raise BaselineError(
            f"baseline {path_text} has format {said[:40]}; expected {FORMAT_VERSION}"
        )
    entries = []
    for item in doc["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise BaselineError(f"baseline {path_text}: an entry without a fingerprint")
        entries.append(
            BaselineEntry(
                item["fingerprint"],
                _text(item.get("rule")),
                _text(item.get("path")),
                _text(item.get("message")),
            )
        )
    return entries


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def new_findings(findings: list[Finding], known: set[str]) -> tuple[list[Finding], set[str]]:
    """The findings whose fingerprint is not known, and the known ones still seen."""
    seen = {f.fingerprint for f in findings if f.rule not in NEVER_KNOWN}
    kept = [f for f in findings if f.rule in NEVER_KNOWN or f.fingerprint not in known]
    return kept, seen & known


# ---------------------------------------------------------------- git


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"},
        )
    except FileNotFoundError as exc:
        raise BaselineError("--diff-base needs git on PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise BaselineError(f"git {' '.join(args)} timed out") from exc
    if proc.returncode != 0:
        raise BaselineError(f"git {' '.join(args)}: {proc.stderr.strip() or 'failed'}")
    return proc.stdout


@contextmanager
def checkout_at(ref: str, paths: list[Path]) -> Iterator[tuple[Path, list[Path]]]:
    """The files under ``paths`` as they were at ``ref``, in a temporary tree.

    Yields the directory to run from (the current directory's place in that tree) and
    the paths, as given, so findings there get the same display paths as here.
    """
    here = Path.cwd()
    try:
        root = Path(_git(["rev-parse", "--show-toplevel"], here).strip())
    except BaselineError:
        raise BaselineError(
            f"--diff-base {ref}: the current folder is not in a git work tree"
        ) from None
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    except BaselineError:
        raise BaselineError(_missing_base(ref, root)) from None
    relative = []
    for p in paths:
        absolute = Path(os.path.realpath(here / p))  # a link loop does not raise here
        if not absolute.is_relative_to(root.resolve()):
            raise BaselineError(f"{p} is outside the git repository at {root}")
        relative.append(absolute.relative_to(root.resolve()).as_posix() or ".")
    names = [
        n
        for n in _git(["ls-tree", "-r", "--name-only", "-z", ref, "--", *relative], root).split(
            "\0"
        )
        if n
    ]
    with tempfile.TemporaryDirectory(prefix="mtalint-base-") as tmp:
        tree = Path(tmp)
        if names:
            archive = subprocess.run(
                ["git", "archive", "--format=tar", ref, "--", *names],
                cwd=root,
                capture_output=True,
                timeout=300,
                check=False,
            )
            if archive.returncode != 0:
                raise BaselineError(
                    f"git archive {ref}: {archive.stderr.decode(errors='replace').strip()}"
                )
            _extract(archive.stdout, tree)
        inside = tree / here.resolve().relative_to(root.resolve())
        inside.mkdir(parents=True, exist_ok=True)
        yield inside, paths


def _missing_base(ref: str, root: Path) -> str:
    """What to do when the base commit is not in the clone: CI clones are often shallow
    (one commit, one branch), and git's own message does not say so."""
    try:
        shallow = _git(["rev-parse", "--is-shallow-repository"], root).strip() == "true"
    except BaselineError:
        shallow = False
    if shallow:
        return (
            f"--diff-base {ref}: no such commit in this clone, which is shallow (it holds "
            "only the latest commits); fetch the base first, e.g. "
            "'git fetch --no-tags --depth=1 origin main' and then --diff-base origin/main "
            "(or 'git fetch --unshallow'; with actions/checkout, fetch-depth: 0)"
        )
    return (
        f"--diff-base {ref}: no such commit in this repository; check the name, or fetch "
        f"it first (e.g. 'git fetch origin {ref}')"
    )


def _extract(data: bytes, target: Path) -> None:
    import io

    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(target, filter=_inside_only)  # noqa: S202 - the data filter


def _inside_only(member: tarfile.TarInfo, target: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, skipping (not failing on) what it refuses: a link out
    of the tree or to an absolute path at the base commit is simply absent there, as the
    current run does not read such a link either."""
    try:
        return tarfile.data_filter(member, target)
    except tarfile.FilterError:
        return None


def base_fingerprints(
    ref: str, paths: list[Path], run: Callable[[list[Path]], CheckResult]
) -> set[str]:
    """Fingerprints of the findings the config sets had at ``ref``."""
    with checkout_at(ref, paths) as (where, base_paths):
        existing = [p for p in base_paths if (where / p).exists()]
        if not existing:
            return set()
        previous = Path.cwd()
        os.chdir(where)
        try:
            result = run(existing)
        finally:
            os.chdir(previous)
    return {f.fingerprint for f in result.findings}


# ---------------------------------------------------------------- the check's stage


def filter_known(
    result: CheckResult,
    baseline: Path | None,
    diff_base: str | None,
    paths: list[Path],
    recheck: Callable[[list[Path]], CheckResult],
    root: Path,
    show_stale: bool = False,
    quiet: bool = False,
) -> CheckResult:
    """``result`` without the findings in the baseline or at the git base: those move to
    the suppressed findings, each saying why. The baseline's entries no longer seen are
    listed (``stale_baseline``) and said on stderr. CommandError for an unusable baseline."""
    from linter.settings import CommandError

    known: set[str] = set()
    entries = []
    try:
        if baseline is not None:
            entries = load_baseline(baseline)
            known |= {e.fingerprint for e in entries}
        if diff_base is not None:
            known |= base_fingerprints(diff_base, paths, recheck)
    except BaselineError as exc:
        raise CommandError(str(exc)) from None
    kept, still = new_findings(result.findings, known)
    base_prints = known - {e.fingerprint for e in entries}
    kept_ids = {id(f) for f in kept}
    suppressed = list(result.suppressed_findings)
    for f in result.findings:
        if id(f) not in kept_ids:
            # reports show what the baseline hides (SARIF: an "external" suppression)
            source = (
                f"in baseline {baseline}"
                if f.fingerprint not in base_prints
                else f"present at git {diff_base}"
            )
            why = {"kind": "external", "justification": f"known finding ({source})"}
            suppressed.append(replace(f, suppression=why))
    # stale: the file was checked and the finding is gone, or the file is gone; an entry
    # of a file this run did not check (pre-commit names the changed files) is neither
    checked = set(result.files)
    stale = [
        e
        for e in entries
        if e.fingerprint not in still
        and (e.path in checked or not os.path.lexists(os.path.join(root, e.path)))
    ]
    if show_stale:
        for e in stale:
            say(
                printable(
                    f"mtalint: baseline entry no longer occurs: {e.rule} {e.path}: {e.message}"
                )
            )
    elif stale and not quiet:
        entry = "entry no longer occurs" if len(stale) == 1 else "entries no longer occur"
        say(
            f"mtalint: {len(stale)} baseline {entry} (fixed, or the file is gone): "
            "--show-stale lists them; --write-baseline refreshes the file"
        )
    known_count = len(result.findings) - len(kept)
    if known_count and not quiet:
        say(f"mtalint: {known_count} known finding(s) not reported")
    return replace(
        result,
        findings=kept,
        suppressed_findings=suppressed,
        stale_baseline=[e.to_dict() for e in stale],
    )


def write_baseline(result: CheckResult, path: Path, protected: tuple[Path, ...]) -> None:
    """``--write-baseline``: today's findings recorded in ``path``, said on stderr."""
    from linter.output import emit

    emit(baseline_text(result.findings), path, protected=protected, announce=False)
    recorded = {f.fingerprint for f in result.findings if f.rule not in NEVER_KNOWN}
    say(f"mtalint: wrote {len(recorded)} finding(s) to {shown(path)}")


def recheck_at_root(
    recheck: Callable[[list[Path]], CheckResult], root: Path, here: str
) -> Callable[[list[Path]], CheckResult]:
    """``recheck`` with the paths of its findings made relative to the project root, as
    this run's are, when it runs at the base commit (--diff-base)."""
    from linter.report.paths import root_relative

    offset = os.path.relpath(root, here)

    def rerun_at_root(paths: list[Path]) -> CheckResult:
        # run from the same place in the tree at the base commit: its root is as far
        # from the current folder there as the project root is from here
        base = recheck(paths)
        there = os.getcwd()
        base_root = os.path.normpath(os.path.join(there, offset))
        base.relocate(lambda p: root_relative(p, base_root, there))
        return base

    return rerun_at_root
