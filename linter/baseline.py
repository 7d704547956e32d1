"""Baselines and new-findings-only runs, for adopting mtalint on an existing fleet.

A finding is known by its fingerprint: rule, file and what it is about (a parameter, a
listener, a domain) with its normalised value, never the line number, so unrelated edits
above it do not make it "new". A baseline file records today's fingerprints;
``--baseline`` then reports only findings that are not in it, and names the entries that
no longer occur (fixed, or moved to another file). ``--diff-base REF`` builds the same
set from the config files as they were at a git commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter import __version__
from linter.findings import Finding

FORMAT_VERSION = 1


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


def load_baseline(path: Path) -> list[BaselineEntry]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from exc
    if (
        not isinstance(doc, dict)
        or doc.get("tool") != "mtalint"
        or not isinstance(doc.get("findings"), list)
    ):
        raise BaselineError(f"{path} is not an mtalint baseline (write one with --write-baseline)")
    if doc.get("format") != FORMAT_VERSION:
        raise BaselineError(
            f"baseline {path} has format {doc.get('format')!r}; expected {FORMAT_VERSION}"
        )
    entries = []
    for item in doc["findings"]:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint"), str):
            raise BaselineError(f"baseline {path}: an entry without a fingerprint")
        entries.append(
            BaselineEntry(
                item["fingerprint"],
                str(item.get("rule", "")),
                str(item.get("path", "")),
                str(item.get("message", "")),
            )
        )
    return entries


def new_findings(findings: list[Finding], known: set[str]) -> tuple[list[Finding], set[str]]:
    """The findings whose fingerprint is not known, and the known ones still seen."""
    seen = {f.fingerprint for f in findings}
    return [f for f in findings if f.fingerprint not in known], seen & known


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
    root = Path(_git(["rev-parse", "--show-toplevel"], here).strip())
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
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


def base_fingerprints(ref: str, paths: list[Path], run: Callable[[list[Path]], Any]) -> set[str]:
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
