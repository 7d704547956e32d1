"""Findings on every real-world configuration of ../shared/corpus, for before/after checks.

    python scripts/corpus_findings.py > after.json
    python scripts/corpus_findings.py --summary after.json [before.json]
    python scripts/corpus_findings.py --precision

The last counts the judged findings of tests/precision/ (true and false) per format.

Each corpus entry is copied under the name its MTA reads (main.cf, master.cf, exim.conf;
sendmail .mc and hMailServer files keep theirs) and checked with the rules of this
checkout; the JSON maps each entry to its findings (rule, severity, file, line, message).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
NAMES = {"postfix-main": "main.cf", "postfix-master": "master.cf", "exim": "exim.conf"}


def findings(entry: Path, fmt: str) -> list[list[object]] | dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "host"
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            target.mkdir()
            shutil.copy(entry, target / NAMES.get(fmt, entry.name))
        proc = subprocess.run(
            [sys.executable, "-m", "linter", "check", "--no-config", "--format", "json"]
            + ["--exit-zero", "host"],
            capture_output=True,
            text=True,
            cwd=tmp,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {"error": proc.stderr[-500:]}
    return [
        [f["rule"], f["severity"], Path(f["path"]).name, f["line"], f["message"]]
        for f in doc["findings"]
    ]


def summary(path: Path) -> collections.Counter[tuple[str, str]]:
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for key, found in json.loads(path.read_text()).items():
        fmt = key.split("/")[0]
        if isinstance(found, dict):
            counts[(fmt, "failed")] += 1
            continue
        counts[(fmt, "all")] += len(found)
        for item in found:
            counts[(fmt, str(item[1]))] += 1
    return counts


def precision() -> None:
    import yaml

    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in sorted((ROOT / "tests" / "precision").glob("*/*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        fmt = path.parent.name
        counts[(fmt, "files")] += 1
        for item in doc.get("findings") or []:
            verdict = "true" if item.get("verdict") else "false"
            counts[(fmt, verdict)] += 1
    formats = sorted({fmt for fmt, _ in counts})
    print(f"{'corpus':<16}{'files':>7}{'true':>7}{'false':>7}{'precision':>11}")
    for fmt in formats:
        true, false = counts[(fmt, "true")], counts[(fmt, "false")]
        share = f"{100 * true / (true + false):.0f} %" if true + false else "-"
        print(f"{fmt:<16}{counts[(fmt, 'files')]:>7}{true:>7}{false:>7}{share:>11}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--summary", nargs="+", type=Path, help="count findings in JSON files")
    parser.add_argument("--precision", action="store_true", help="count judged findings")
    args = parser.parse_args()
    if args.precision:
        precision()
        return
    if args.summary:
        tables = [summary(p) for p in args.summary]
        keys = sorted(set().union(*tables))
        print("corpus / severity".ljust(28) + "".join(p.name.rjust(14) for p in args.summary))
        for key in keys:
            print(f"{key[0]:<18}{key[1]:<10}" + "".join(str(t[key]).rjust(14) for t in tables))
        return
    out = {}
    for fmt in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for entry in sorted(fmt.iterdir()):
            out[f"{fmt.name}/{entry.name}"] = findings(entry, fmt.name)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
