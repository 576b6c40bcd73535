#!/usr/bin/env bash
# Time gates that do not cry wolf, measured on this machine as it is, with
# the protocol of the workflow (ci/github-workflow.yml): the base and the
# head run alternately, R times each (R = REPEATS, 3 as in the workflow),
# then `compare base head` applies the gates over the repeats.
#
#   1. N unchanged comparisons: both sides the same code; how many fail a
#      time gate (false alarms);
#   2. N comparisons whose head makes one phase twice as slow
#      (examples/fixed_work's `stir`, through ALLOCGUARD_EXAMPLE_WORK=2):
#      how many are caught.
#
# The gates are this repository's allocguard.toml unless CONFIG names
# another file; every comparison is kept in the output directory.
#
#   bash benches/timegate.sh [N] [OUT_DIR]      (N = 20)
#
# About 15 s a run here: 2 N comparisons of 2 R runs take about an hour for
# N = 20, R = 3.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
out=${2:-$(mktemp -d)}
r=${REPEATS:-3}
config=${CONFIG:-allocguard.toml}
mkdir -p "$out"
log="$out/phase_log.csv"
rm -f "$log"

# A run may pass (0) or fail a scenario or gate (1); anything else stops the
# measurement, with cargo allocguard's own message.
run() {
  local code=0
  cargo allocguard run -q --config "$config" --phase-log "$log" "$@" >"$out/last-run.txt" 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then
    cat "$out/last-run.txt" >&2
    echo "timegate: cargo allocguard run $* exited $code" >&2
    exit 2
  fi
}

# One comparison: base and head alternately, R times each. $1: a name for
# the labels; $2: the head's ALLOCGUARD_EXAMPLE_WORK.
protocol() {
  for _ in $(seq 1 "$r"); do
    run --label "$1-base"
    ALLOCGUARD_EXAMPLE_WORK=$2 run --label "$1-head"
  done
  local code=0
  cargo allocguard compare "$1-base" "$1-head" --config "$config" --phase-log "$log" \
    --format json >"$out/$1.json" 2>"$out/$1.stderr" || code=$?
  if [ "$code" -gt 1 ]; then
    cat "$out/$1.stderr" >&2
    echo "timegate: compare $1-base $1-head exited $code" >&2
    exit 2
  fi
  # The failed time gates, `SCENARIO PHASE METRIC`, read from compare's JSON.
  python3 benches/timegate_failures.py <"$out/$1.json"
}

echo "building ..." >&2
run --label build

false_alarms=0
for i in $(seq 1 "$n"); do
  protocol "same$i" 1 >"$out/same-$i.txt"
  if [ -s "$out/same-$i.txt" ]; then
    false_alarms=$((false_alarms + 1))
    echo "unchanged comparison $i failed a time gate:" >&2
    cat "$out/same-$i.txt" >&2
  fi
done

caught=0
for i in $(seq 1 "$n"); do
  protocol "slow$i" 2 >"$out/slow-$i.txt"
  if grep -qE '^examples/fixed_work stir step_' "$out/slow-$i.txt"; then
    caught=$((caught + 1))
  else
    echo "slowed comparison $i: not caught" >&2
  fi
  if grep -v '^examples/fixed_work stir ' "$out/slow-$i.txt" >&2; then
    echo "(slowed comparison $i: other phases failed too, above)" >&2
  fi
done

echo "unchanged comparisons ($r base and $r head runs, alternately) failing a time gate: $false_alarms of $n"
echo "comparisons whose head makes examples/fixed_work's ticks twice as slow, caught: $caught of $n"
echo "every comparison: $out"
