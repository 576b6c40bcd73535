#!/usr/bin/env bash
# W1 (10,000,000 Box<[u8; 32]> allocated and freed) on the system allocator,
# on CountingAlloc<System> with sites off and on, under mod-alloc's call-site
# capture (ModAlloc with `backtraces`), and under DHAT's heap profiler
# (dhat::Alloc, a tenth of the boxes), in rotating order over several rounds;
# prints each one's time per box as a ratio to the system allocator's in the
# same round, and the median across rounds.
# Usage: bash benches/sites.sh [ROUNDS]   (default 3; ~2 min each)
# With frame pointers (what mod-alloc's walk needs, and allocguard's uses):
#   RUSTFLAGS="-C force-frame-pointers=yes" CARGO_TARGET_DIR=target/fp bash benches/sites.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo bench --no-run --quiet --bench overhead_system --bench overhead_sites --bench overhead_modalloc
cargo bench --no-run --quiet --features dhat --bench overhead_dhat
targets=(system sites modalloc dhat)
for ((r = 1; r <= rounds; r++)); do
  for ((k = 0; k < 4; k++)); do
    t=${targets[$(((r + k) % 4))]}
    echo "round $r/$rounds: $t" >&2
    case $t in
      system) cargo bench --quiet --bench overhead_system -- --save-baseline "sites$r" 'overhead/W1' >/dev/null ;;
      sites) cargo bench --quiet --bench overhead_sites -- --save-baseline "sites$r" >/dev/null ;;
      modalloc) cargo bench --quiet --bench overhead_modalloc -- --save-baseline "sites$r" >/dev/null ;;
      dhat) cargo bench --quiet --features dhat --bench overhead_dhat -- --save-baseline "sites$r" >/dev/null 2>&1 ;;
    esac
  done
done
python3 - "$rounds" <<'PY'
import json, os, pathlib, statistics, sys
rounds = int(sys.argv[1])
root = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
def per_box(path, boxes, r):
    est = json.loads((root / path / f"sites{r}" / "estimates.json").read_text())
    return est["median"]["point_estimate"] / boxes
rows = [("counting (sites off)", "sites/W1_box32_x10M/counting", 10_000_000),
        ("sites on", "sites/W1_box32_x10M/sites", 10_000_000),
        ("mod-alloc call sites", "sites/W1_box32_x10M/mod-alloc", 10_000_000),
        ("DHAT profiler", "sites/W1_box32_x1M/dhat", 1_000_000)]
print("| allocator | ns per box (median) | ratio to system |")
print("| --- | ---: | ---: |")
sysv = [per_box("overhead/W1_box32_x10M/system", 10_000_000, r) for r in range(1, rounds + 1)]
print(f"| system | {statistics.median(sysv):.1f} | 1.00x |")
for name, path, boxes in rows:
    v = [per_box(path, boxes, r) for r in range(1, rounds + 1)]
    ratios = [a / b for a, b in zip(v, sysv)]
    print(f"| {name} | {statistics.median(v):.1f} | {statistics.median(ratios):.1f}x ({min(ratios):.1f}-{max(ratios):.1f}) |")
print(f"\n{rounds} rounds; ratio = median of per-round ratios (range in brackets).")
PY
