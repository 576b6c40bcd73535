#!/usr/bin/env bash
# Runs the three overhead bench targets (system, CountingAlloc, stats_alloc)
# in rotating order over several rounds, then prints each allocator's median
# as a ratio to the system allocator's, per round and as the median across
# rounds. Rotation spreads the drift of a shared, noisy machine over all three.
# Usage: bash benches/overhead.sh [ROUNDS]   (default 3; about a minute each)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
targets=(overhead_system overhead_counting overhead_stats_alloc)
cargo bench --no-run --quiet --bench overhead_system --bench overhead_counting --bench overhead_stats_alloc
for ((r = 1; r <= rounds; r++)); do
  for ((k = 0; k < 3; k++)); do
    t=${targets[$(((r + k) % 3))]}
    echo "round $r/$rounds: $t" >&2
    cargo bench --quiet --bench "$t" -- --save-baseline "round$r" >/dev/null
  done
done
python3 benches/overhead_ratios.py "$rounds"
