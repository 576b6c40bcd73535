#!/usr/bin/env bash
# Exact instruction cost of CountingAlloc per allocate-and-free pair, against
# the system allocator, under valgrind's callgrind (noise-free: instructions,
# not time): counting alone, and with allocation sites recording (the
# marginal cost of a pair, from runs of N and 2N pairs, so that the one-time
# work of a recording, its symbolisation, cancels out); and mod-alloc's
# call-site capture beside them (its walk needs frame pointers: compare in a
# build with RUSTFLAGS="-C force-frame-pointers=yes" CARGO_TARGET_DIR=target/fp).
# Usage: bash benches/callgrind.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release --quiet --example callgrind_system --example callgrind_counting --example callgrind_sites --example callgrind_modalloc
instructions() { # binary, N
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${CARGO_TARGET_DIR:-target}/release/examples/$1" "$2" 2>&1)
  grep -oE 'Collected : [0-9]+' <<<"$out" | grep -oE '[0-9]+'
}
sys0=$(instructions callgrind_system 0); sysn=$(instructions callgrind_system "$n")
cnt0=$(instructions callgrind_counting 0); cntn=$(instructions callgrind_counting "$n")
# Sites record every operation: a tenth of the pairs keeps the run short.
m=$((n / 10))
sitem=$(instructions callgrind_sites "$m"); site2m=$(instructions callgrind_sites $((2 * m)))
modm=$(instructions callgrind_modalloc "$m"); mod2m=$(instructions callgrind_modalloc $((2 * m)))
python3 - "$n" "$sys0" "$sysn" "$cnt0" "$cntn" "$m" "$sitem" "$site2m" "$modm" "$mod2m" <<'PY'
import sys
n, s0, sn, c0, cn, m, sm, s2m, mm, m2m = map(int, sys.argv[1:])
sys_pair = (sn - s0) / n
cnt_pair = (cn - c0) / n
site_pair = (s2m - sm) / m
mod_pair = (m2m - mm) / m
print(f"N = {n:,} allocate-and-free pairs of Box<[u8; 32]> ({m:,} with sites)")
print(f"system:              {sys_pair:8.2f} instructions per pair")
print(f"CountingAlloc:       {cnt_pair:8.2f} instructions per pair ({cnt_pair - sys_pair:+.2f})")
print(f"  with sites on:     {site_pair:8.2f} instructions per pair ({site_pair - sys_pair:+.2f})")
print(f"mod-alloc call sites: {mod_pair:7.2f} instructions per pair ({mod_pair - sys_pair:+.2f})")
PY
