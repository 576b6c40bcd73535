#!/usr/bin/env bash
# Exact instruction cost of CountingAlloc per allocate-and-free pair, against
# the system allocator, under valgrind's callgrind (noise-free: instructions,
# not time). Usage: bash benches/callgrind.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
command -v valgrind >/dev/null || { echo "error: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
cargo build --release --quiet --example callgrind_system --example callgrind_counting
instructions() { # binary, N
  local out
  out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "target/release/examples/$1" "$2" 2>&1)
  grep -oE 'Collected : [0-9]+' <<<"$out" | grep -oE '[0-9]+'
}
sys0=$(instructions callgrind_system 0); sysn=$(instructions callgrind_system "$n")
cnt0=$(instructions callgrind_counting 0); cntn=$(instructions callgrind_counting "$n")
python3 - "$n" "$sys0" "$sysn" "$cnt0" "$cntn" <<'PY'
import sys
n, s0, sn, c0, cn = map(int, sys.argv[1:])
sys_pair = (sn - s0) / n
cnt_pair = (cn - c0) / n
print(f"N = {n:,} allocate-and-free pairs of Box<[u8; 32]>")
print(f"system:        {sys_pair:7.2f} instructions per pair")
print(f"CountingAlloc: {cnt_pair:7.2f} instructions per pair")
print(f"overhead:      {cnt_pair - sys_pair:+7.2f} instructions per pair")
PY
