#!/usr/bin/env bash
# Fuzz every reader (or the FORMATs named) for SECONDS each (default 60) and print, per
# format, the inputs run, the failures, the slowest input, the largest findings and the
# largest peak-RSS growth one input caused.
#   bash fuzz/run.sh [SECONDS] [FORMAT...]
# Seeds come from the examples and test fixtures. A failure (internal error, or an input
# beyond the time, memory or output limits: see fuzz/fuzz_formats.py) is saved as
# fuzz/crash-*; the slowest, largest and most memory-hungry inputs go to fuzz/results/.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECONDS_EACH=${1:-60}
shift || true
ALL_FORMATS="postfix-main postfix-master exim sendmail-mc hmailserver-ini hmailserver-xml hmailserver-json notes-ini domino-ots exchange-json exchange-fl"
FORMATS=${*:-$ALL_FORMATS}
PYTHON=${PYTHON:-python}
$PYTHON -c 'import atheris' 2>/dev/null || { echo "pip install atheris first" >&2; exit 2; }
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
  [notes-ini]="tests/fixtures/domino"
  [domino-ots]="tests/fixtures/domino"
  [exchange-json]="tests/fixtures/exchange"
  [exchange-fl]="tests/fixtures/exchange"
)
mkdir -p fuzz/results
printf '%-17s %8s %7s %16s %22s %9s  %s\n' format inputs crashes "slowest s (B)" "largest output B (n)" "RSS+ MB" result
for fmt in $FORMATS; do
  corpus=$(mktemp -d)
  for seed in ${SEEDS[$fmt]}; do
    find "$seed" -type f -size -64k -exec cp {} "$corpus"/ \; 2>/dev/null
  done
  rm -f fuzz/results/*-"$fmt" fuzz/results/stats-"$fmt".json
  log=fuzz/results/log-$fmt
  $PYTHON fuzz/fuzz_formats.py "$fmt" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 \
    -timeout=30 -max_len=65536 -artifact_prefix="fuzz/crash-$fmt-" "$corpus" >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' | tail -1)
  crashes=$(ls fuzz/crash-"$fmt"-* 2>/dev/null | wc -l)
  result=$([ "$rc" -eq 0 ] && echo ok ||
    grep -m1 -E 'InternalError|SlowInput|LargeOutput|MemoryError|ERROR: libFuzzer|Traceback' "$log")
  figures=$($PYTHON - "$fmt" <<'PY'
import json, sys
try:
    s = json.load(open(f"fuzz/results/stats-{sys.argv[1]}.json"))
except OSError:
    print("- - -"); sys.exit()
print(f"{s['slowest_seconds']:.2f}({s['slowest_input_bytes']})",
      f"{s['largest_output_bytes']}({s['largest_output_findings']})",
      f"{s['biggest_rss_growth_mb']}")
PY
)
  read -r slowest largest rss <<<"$figures"
  printf '%-17s %8s %7s %16s %22s %9s  %s\n' "$fmt" "${runs:-?}" "$crashes" "$slowest" "$largest" "$rss" "$result"
  rm -rf "$corpus"
done
# A crash file reproduces with: python fuzz/fuzz_formats.py FORMAT fuzz/crash-...; once fixed,
# keep it as tests/fixtures/fuzz-regressions/<name>/<file name of its format>.
