#!/usr/bin/env bash
# Fuzz every reader (or the FORMATs named) for SECONDS each (default 60) and print what ran
# and what was found.
#   bash fuzz/run.sh [SECONDS] [FORMAT...]
# Seeds come from the examples and test fixtures; crashes are saved as fuzz/crash-*.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_EACH=${1:-60}
shift || true
ALL_FORMATS="postfix-main postfix-master exim sendmail-mc hmailserver-ini hmailserver-xml hmailserver-json"
FORMATS=${*:-$ALL_FORMATS}
python -c 'import atheris' 2>/dev/null || { echo "pip install atheris first" >&2; exit 2; }
# seeds: the examples and fixtures, and the real-world corpus when ../shared/corpus is there
CORPUS=../shared/corpus
declare -A SEEDS=(
  [postfix-main]="examples/postfix/main.cf tests/fixtures/postfix $CORPUS/postfix-main"
  [postfix-master]="examples/postfix/master.cf $CORPUS/postfix-master"
  [exim]="examples/exim $CORPUS/exim"
  [sendmail-mc]="$CORPUS/sendmail-mc tests/fixtures/fuzz-regressions"
  [hmailserver-ini]="tests/fixtures/hmailserver $CORPUS/hmailserver"
  [hmailserver-xml]="tests/fixtures/hmailserver"
  [hmailserver-json]="tests/fixtures/hmailserver"
)
printf '%-18s %10s %8s  %s\n' format inputs crashes result
for fmt in $FORMATS; do
  corpus=$(mktemp -d)
  for seed in ${SEEDS[$fmt]}; do
    find "$seed" -type f -size -64k -exec cp {} "$corpus"/ \; 2>/dev/null
  done
  log=$(mktemp)
  python fuzz/fuzz_formats.py "$fmt" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
    -timeout=20 -max_len=65536 -artifact_prefix="fuzz/crash-$fmt-" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
  crashes=$(ls fuzz/crash-"$fmt"-* 2>/dev/null | wc -l)
  result=$([ "$rc" -eq 0 ] && echo ok || grep -m1 -E 'InternalError|ERROR: libFuzzer|Traceback' "$log")
  printf '%-18s %10s %8s  %s\n' "$fmt" "${runs:-?}" "$crashes" "$result"
  rm -rf "$corpus" "$log"
done
# A crash file reproduces with: python fuzz/fuzz_formats.py FORMAT fuzz/crash-...; once fixed,
# keep it as tests/fixtures/fuzz-regressions/<name>/<file name of its format>.
