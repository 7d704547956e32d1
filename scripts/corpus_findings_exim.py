"""Per-file counts of mtalint's findings on the Exim files of the shared corpus.

Usage: python scripts/corpus_findings_exim.py [CORPUS_DIR] [--rules]

Each file of CORPUS_DIR/exim (default: ../shared/corpus relative to the repository root,
else /work/shared/corpus) is checked as an Exim configuration (the corpus names them after
their origin, so the file name does not say the format), plus Debian's template and
upstream's example when the unpacked Exim has them. Prints findings and errors per file
and the totals; ``--rules`` adds the count per rule id.
"""

from __future__ import annotations

import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTRA = [
    Path("/opt/exim/etc/exim4/exim4.conf.template"),
    Path("/opt/exim/usr/share/doc/exim4-base/examples/example.conf"),
]


def corpus_dir(argv: list[str]) -> Path:
    given = [a for a in argv if not a.startswith("--")]
    if given:
        return Path(given[0])
    for candidate in (ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if candidate.is_dir():
            return candidate
    raise SystemExit("corpus not found; give its folder")


def findings(path: Path, config: Path) -> list[dict[str, object]]:
    proc = subprocess.run(
        [sys.executable, "-m", "linter", "check", "--format", "json", "--exit-zero"]
        + ["--config", str(config), str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{path}: exit {proc.returncode}\n{proc.stderr}")
    data = json.loads(proc.stdout)
    return list(data["findings"] if isinstance(data, dict) else data)


def main(argv: list[str]) -> None:
    files = sorted((corpus_dir(argv) / "exim").iterdir()) + [p for p in EXTRA if p.is_file()]
    per_rule: collections.Counter[str] = collections.Counter()
    total = errors = 0
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / ".mtalint.yaml"
        config.write_text('formats:\n  "*": exim\n')
        for path in files:
            found = findings(path, config)
            n_err = sum(1 for f in found if f.get("severity") == "error")
            total += len(found)
            errors += n_err
            per_rule.update(str(f.get("rule")) for f in found)
            print(f"{len(found):4d} {n_err:3d}  {path.name}")
    print(f"{total:4d} {errors:3d}  TOTAL (findings, errors)")
    if "--rules" in argv:
        for rule, count in sorted(per_rule.items()):
            print(f"  {rule}: {count}")


if __name__ == "__main__":
    main(sys.argv[1:])
