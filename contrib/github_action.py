"""Helper of the GitHub Action (action.yml): reads its inputs and mtalint's SARIF report.

The action runs mtalint once, with ``--format sarif``, and this script turns that report
into everything else the workflow needs: the annotations on the pull request (the same
``::error file=…`` lines as ``mtalint check --format github``), the counts per severity as
step outputs, and a short job summary. It also splits the action's ``paths`` and ``args``
inputs, so that no input is ever parsed by the shell.

Standard library only: it runs with whichever mtalint the action installed (the ``version``
input may pin an older release), so it imports nothing from mtalint.

    python github_action.py paths FILE  # MTALINT_PATHS: one path a line -> FILE, NUL-separated
    python github_action.py args FILE   # MTALINT_ARGS: shell-like words -> FILE, NUL-separated
    python github_action.py category   # the default SARIF category for these paths
    python github_action.py report SARIF
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import sys
from collections import Counter
from typing import Any
from urllib.parse import unquote

EXIT_USAGE = 2
SEVERITIES = ("error", "warning", "note")
_ANNOTATION = {"error": "error", "warning": "warning", "note": "notice"}

# what mtalint's linter.textsafe.printable escapes: C0, DEL, C1, the bidirectional
# controls, the line and paragraph separators, the byte order mark, lone surrogates
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ufeff\ud800-\udfff]"
)


def printable(text: str) -> str:
    def escape(m: re.Match[str]) -> str:
        code = ord(m.group())
        if 0xDC80 <= code <= 0xDCFF:  # a byte of a name that is not UTF-8
            return f"\\x{code - 0xDC00:02x}"
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, text)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def split_paths(text: str) -> list[str]:
    """Every non-empty line is one path, blanks around it removed (spaces inside kept)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def default_category(paths: list[str], job: str) -> str:
    """Unique per job and per set of paths, and stable from run to run: code scanning
    replaces the previous upload of the same category, so two uses of the action must
    not share one, and one use must keep its own."""
    digest = hashlib.sha256("\n".join(paths).encode("utf-8", "surrogateescape")).hexdigest()
    return "-".join(part for part in ("mtalint", job, digest[:8]) if part)


def _write_nul_separated(words: list[str], path: str) -> None:
    # to a file, not stdout: stdout carries the workflow commands (::error::) to the runner
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write("".join(word + "\0" for word in words))


def _sarif_results(doc: Any) -> tuple[list[dict[str, Any]], dict[str, str]]:
    results: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for run in doc.get("runs") or []:
        for rule in run.get("tool", {}).get("driver", {}).get("rules") or []:
            titles[str(rule.get("id", ""))] = str(rule.get("shortDescription", {}).get("text", ""))
        # a result with suppressions (inline ignore, baseline) is dismissed, not a finding
        results.extend(
            r for r in run.get("results") or [] if isinstance(r, dict) and not r.get("suppressions")
        )
    return results, titles


def annotation(result: dict[str, Any], titles: dict[str, str]) -> str:
    """The workflow command ``mtalint check --format github`` writes for this finding."""
    rule = str(result.get("ruleId", ""))
    level = str(result.get("level", "warning"))
    location = (result.get("locations") or [{}])[0].get("physicalLocation", {})
    uri = str(location.get("artifactLocation", {}).get("uri", ""))
    region = location.get("region", {})
    path = printable(unquote(uri, errors="surrogateescape"))
    props = [
        f"file={_escape_property(path)}",
        f"line={region.get('startLine', 1)}",
        f"col={region.get('startColumn', 1)}",
    ]
    if region.get("endLine"):
        props.append(f"endLine={region['endLine']}")
    title = f"{rule} {titles.get(rule, '')}".strip()
    props.append(f"title={_escape_property(printable(title))}")
    # SARIF carries the fix in the message, after "\nFix: "
    text = str(result.get("message", {}).get("text", ""))
    message, sep, fix = text.partition("\nFix: ")
    message = printable(message)
    if sep:
        message += f"\nfix: {printable(fix.rstrip())}"
    return f"::{_ANNOTATION.get(level, 'warning')} {','.join(props)}::{_escape_data(message)}"


def _markdown_cell(text: str) -> str:
    text = printable(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", text)


def summary(counts: Counter[str], by_rule: Counter[tuple[str, str]], titles: dict[str, str]) -> str:
    total = sum(counts.values())
    head = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES)
    lines = [f"### mtalint: {total} finding(s) ({head})", ""]
    if by_rule:
        lines += ["| rule | severity | findings | title |", "|---|---|---:|---|"]
        for (rule, level), n in sorted(by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
            cells = [
                _markdown_cell(rule),
                _markdown_cell(level),
                str(n),
                _markdown_cell(titles.get(rule, "")),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines) + "\n"


def report(sarif_path: str) -> int:
    try:
        with open(sarif_path, encoding="utf-8") as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"::error::mtalint's SARIF report could not be read: {printable(str(exc))}")
        return EXIT_USAGE
    results, titles = _sarif_results(doc)
    counts: Counter[str] = Counter()
    by_rule: Counter[tuple[str, str]] = Counter()
    out = []
    for result in results:
        level = str(result.get("level", "warning"))
        counts[level] += 1
        by_rule[(str(result.get("ruleId", "")), level)] += 1
        out.append(annotation(result, titles))
    sys.stdout.write("".join(line + "\n" for line in out))
    outputs = {"errors": counts["error"], "warnings": counts["warning"], "notes": counts["note"]}
    outputs["findings"] = len(results)
    _append(os.environ.get("GITHUB_OUTPUT"), "".join(f"{k}={v}\n" for k, v in outputs.items()))
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), summary(counts, by_rule, titles))
    return 0


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "paths" and len(argv) == 3:
        _write_nul_separated(split_paths(os.environ.get("MTALINT_PATHS", "")), argv[2])
        return 0
    if command == "args" and len(argv) == 3:
        try:
            words = shlex.split(os.environ.get("MTALINT_ARGS", ""))
        except ValueError as exc:  # an unbalanced quote
            print(f"::error::the args input cannot be split: {printable(str(exc))}")
            return EXIT_USAGE
        _write_nul_separated(words, argv[2])
        return 0
    if command == "category":
        paths = split_paths(os.environ.get("MTALINT_PATHS", ""))
        print(default_category(paths, os.environ.get("GITHUB_JOB", "")))
        return 0
    if command == "report" and len(argv) == 3:
        return report(argv[2])
    print(__doc__, file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main(sys.argv))
