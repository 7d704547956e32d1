"""Per-file finding counts of mtalint on the Postfix part of the shared corpus.

Usage: python scripts/postfix_corpus_findings.py [CORPUS] [--by-rule] [--json OUT]

Each file of postfix-main/ and postfix-master/ is checked alone (copied, under the
name Postfix gives it, into a temporary folder: the corpus names are not main.cf or
master.cf), and each folder of postfix-sets/ as a whole. Prints findings and errors per
file and the totals, so two branches (or a before and an after) can be compared. The
corpus is read, never written.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _cases(corpus: Path) -> list[tuple[str, dict[str, Path]]]:
    cases: list[tuple[str, dict[str, Path]]] = []
    for sub, name in (("postfix-main", "main.cf"), ("postfix-master", "master.cf")):
        for f in sorted((corpus / sub).iterdir()):
            if f.is_file():
                cases.append((f"{sub}/{f.name}", {name: f}))
    for d in sorted((corpus / "postfix-sets").iterdir()):
        if d.is_dir():
            files = {f.name: f for f in d.iterdir() if f.name in ("main.cf", "master.cf")}
            cases.append((f"postfix-sets/{d.name}", files))
    return cases


def _check(files: dict[str, Path]) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        for name, src in files.items():
            shutil.copyfile(src, Path(tmp) / name)
        proc = subprocess.run(
            [sys.executable, "-m", "linter", "check", "--format", "json", "--no-config", tmp],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mtalint failed ({proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    return list(data.get("findings", data) if isinstance(data, dict) else data)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(ROOT.parent.parent / "shared/corpus"))
    parser.add_argument("--by-rule", action="store_true", help="also count findings per rule")
    parser.add_argument("--json", help="write {case: [[rule, severity, line, message]]} here")
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not (corpus / "postfix-main").is_dir():
        corpus = ROOT.parent / "shared/corpus"
    total = errors = 0
    by_rule: Counter[str] = Counter()
    dump: dict[str, list[list[object]]] = {}
    for label, files in _cases(corpus):
        findings = _check(files)
        n_err = sum(1 for f in findings if f.get("severity") == "error")
        total += len(findings)
        errors += n_err
        by_rule.update(f"{f.get('rule')} {f.get('severity')}" for f in findings)
        dump[label] = [
            [f.get("rule"), f.get("severity"), f.get("line"), f.get("message")] for f in findings
        ]
        print(f"{len(findings):4d} {n_err:4d}  {label}")
    print(f"{total:4d} {errors:4d}  TOTAL (findings, errors)")
    if args.by_rule:
        for key, n in sorted(by_rule.items()):
            print(f"{n:4d}  {key}")
    if args.json:
        Path(args.json).write_text(json.dumps(dump, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
