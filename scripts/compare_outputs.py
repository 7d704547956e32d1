"""Compare the findings of two checkouts on the same inputs (a behaviour-preserving check).

    python scripts/compare_outputs.py            # main against the working tree
    python scripts/compare_outputs.py HEAD~3 -j 2

Runs ``mtalint check --no-config --format json`` with the code and rules of a git ref
(checked out by ``git worktree add`` into a temporary folder, removed afterwards) and with
those of this working tree, on the same copies of:

* examples/ (one run on the whole folder),
* each folder of tests/fixtures/ that holds files (a folder without configurations is
  compared too: both must say so the same way),
* every entry of ../shared/corpus, copied under the name its MTA reads, as
  scripts/corpus_findings.py does.

Each finding is compared on every field of the JSON report (rule, path, line, column,
message, severity, fingerprint, and the rest); the rest of the report (files, summary),
the exit status and stderr must match too. Prints "identical" and exits 0, or lists
every difference and exits 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the file name each corpus format is read under: the same copies as corpus_findings.py
from corpus_findings import NAMES

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
# the fields a difference is reported by; the other fields are compared as a whole
KEY_FIELDS = ("rule", "path", "line", "column", "message", "severity", "fingerprint")


@dataclass(frozen=True)
class Outcome:
    status: int
    stdout: str
    stderr: str


def inputs(into: Path) -> list[str]:
    """Copy every input under ``into``; return the targets (relative to ``into``)."""
    targets = []
    shutil.copytree(ROOT / "examples", into / "examples")
    targets.append("examples")
    fixtures = ROOT / "tests" / "fixtures"
    for folder in sorted(p for p in fixtures.rglob("*") if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file()]
        if not files:
            continue
        target = into / "fixtures" / folder.relative_to(fixtures)
        target.mkdir(parents=True)
        for path in files:
            shutil.copy(path, target / path.name)
        targets.append(str(target.relative_to(into)))
    if not CORPUS.is_dir():
        print(f"warning: {CORPUS} not found; the corpus is not compared", file=sys.stderr)
        return targets
    for fmt in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for entry in sorted(fmt.iterdir()):
            target = into / "corpus" / fmt.name / entry.name
            if entry.is_dir():
                shutil.copytree(entry, target)
            else:
                target.mkdir(parents=True)
                shutil.copy(entry, target / NAMES.get(fmt.name, entry.name))
            targets.append(str(target.relative_to(into)))
    return targets


def run(checkout: Path, cwd: Path, target: str) -> Outcome:
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "check", "--no-config", "--format", "json", target],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(checkout), "NO_COLOR": "1"},
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def _report(outcome: Outcome) -> dict[str, Any] | None:
    try:
        doc = json.loads(outcome.stdout)
    except json.JSONDecodeError:
        return None
    return doc if isinstance(doc, dict) else None


def _key(finding: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(finding.get(k) for k in KEY_FIELDS)


def differences(base: Outcome, work: Outcome) -> list[str]:
    """What differs between two runs on one target, in words (empty: nothing)."""
    out = []
    if base.status != work.status:
        out.append(f"exit status {base.status} -> {work.status}")
    if base.stderr != work.stderr:
        out.append(f"stderr differs:\n  base: {base.stderr!r}\n  work: {work.stderr!r}")
    old, new = _report(base), _report(work)
    if old is None or new is None:
        if base.stdout != work.stdout:
            out.append("stdout differs (not both JSON)")
        return out
    old_findings, new_findings = old.pop("findings", []), new.pop("findings", [])
    old.pop("version", None)
    new.pop("version", None)
    before = collections.Counter(_key(f) for f in old_findings)
    after = collections.Counter(_key(f) for f in new_findings)
    for key in sorted((before - after).elements(), key=repr):
        out.append("only in base: " + json.dumps(dict(zip(KEY_FIELDS, key, strict=True))))
    for key in sorted((after - before).elements(), key=repr):
        out.append("only in work: " + json.dumps(dict(zip(KEY_FIELDS, key, strict=True))))
    if before == after:
        if [_key(f) for f in old_findings] != [_key(f) for f in new_findings]:
            out.append("the same findings in another order")
        for a, b in zip(old_findings, new_findings, strict=True):
            fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            if fields:
                out.append(f"finding {json.dumps(_key(a))} differs in {', '.join(fields)}")
    for name in sorted(set(old) | set(new)):
        if old.get(name) != new.get(name):
            out.append(f"report field {name!r} differs")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", default="main", help="git ref to compare against")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="runs at once [2]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mtalint-compare-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--quiet", "--detach", str(base), args.ref],
            check=True,
        )
        try:
            data = Path(tmp) / "inputs"
            data.mkdir()
            targets = inputs(data)

            def both(target: str) -> tuple[str, list[str], Outcome]:
                work = run(ROOT, data, target)
                return target, differences(run(base, data, target), work), work

            with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
                results = list(pool.map(both, targets))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False
            )
    findings = sum(len((_report(w) or {}).get("findings", [])) for _, _, w in results)
    print(f"{len(results)} targets, {findings} findings (work), compared with {args.ref}")
    changed = [(t, d) for t, d, _ in results if d]
    for target, diffs in changed:
        print(f"\n{target}:")
        for line in diffs:
            print("  " + line)
    print("identical" if not changed else f"\n{len(changed)} targets differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
