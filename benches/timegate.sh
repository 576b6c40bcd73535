#!/usr/bin/env bash
# Time gates that do not cry wolf, measured: on this machine, as it is,
#
#   1. one run labelled `base`, then N unchanged reruns against it
#      (`run --baseline base`): how many fail a time gate (false alarms);
#   2. N runs with one phase made twice as slow (examples/fixed_work's
#      `stir`, through ALLOCGUARD_EXAMPLE_WORK=2): how many are caught.
#
# The gates are this repository's allocguard.toml unless CONFIG names
# another file. Every run's gate lines are kept in the output directory.
#
#   bash benches/timegate.sh [N] [OUT_DIR]       (N defaults to 20)
#
# About 15 s a run here, so 2N+1 runs take about ten minutes for N = 20.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
out=${2:-$(mktemp -d)}
config=${CONFIG:-allocguard.toml}
mkdir -p "$out"
log="$out/phase_log.csv"
rm -f "$log"

run() { cargo allocguard run -v --config "$config" --phase-log "$log" "$@" 2>/dev/null || true; }

echo "baseline run (builds first) ..." >&2
run --label base >"$out/base.txt"

false_alarms=0
for i in $(seq 1 "$n"); do
  run --baseline base | grep -E '› .*: step_' >"$out/rerun-$i.txt" || true
  if grep -q '^  FAIL ' "$out/rerun-$i.txt"; then
    false_alarms=$((false_alarms + 1))
    echo "rerun $i: a time gate failed:" >&2
    grep '^  FAIL ' "$out/rerun-$i.txt" >&2
  fi
done

caught=0
for i in $(seq 1 "$n"); do
  ALLOCGUARD_EXAMPLE_WORK=2 run --baseline base | grep -E '› .*: step_' >"$out/slow-$i.txt" || true
  if grep -q '^  FAIL examples/fixed_work › stir: step_' "$out/slow-$i.txt"; then
    caught=$((caught + 1))
  else
    echo "slow run $i: not caught" >&2
  fi
  others=$(grep '^  FAIL ' "$out/slow-$i.txt" | grep -v 'examples/fixed_work › stir' || true)
  if [ -n "$others" ]; then
    echo "slow run $i: other phases failed too:" >&2
    echo "$others" >&2
  fi
done

echo "unchanged reruns failing a time gate: $false_alarms of $n"
echo "runs with examples/fixed_work's ticks twice as slow, caught: $caught of $n"
echo "gate lines of every run: $out"
