#!/usr/bin/env python3
"""Prints the overhead table from the baselines `benches/overhead.sh` saved.

    bash benches/overhead.sh 3      # runs the rounds, then this script
    python3 benches/overhead_ratios.py 3

For every workload and round, each allocator's median is divided by the
system allocator's median from the same round; the table shows the medians
of the system allocator and the median ratio across rounds, with the range.
"""
import json
import pathlib
import statistics
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion" / "overhead"
ALLOCATORS = ["system", "counting", "stats_alloc"]


def median_ns(workload: str, allocator: str, round_no: int) -> float:
    path = ROOT / workload / allocator / f"round{round_no}" / "estimates.json"
    try:
        return json.loads(path.read_text())["median"]["point_estimate"]
    except FileNotFoundError:
        sys.exit(f"error: {path} is missing: run `bash benches/overhead.sh {round_no}` first")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    workloads = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "report")
    print(f"| workload | system median | CountingAlloc / system | stats_alloc / system |")
    print("| --- | ---: | ---: | ---: |")
    for w in workloads:
        base = [median_ns(w, "system", r) for r in range(1, rounds + 1)]
        cells = []
        for a in ALLOCATORS[1:]:
            ratios = [median_ns(w, a, r) / base[r - 1] for r in range(1, rounds + 1)]
            cells.append(
                f"{statistics.median(ratios):.3f}x ({min(ratios):.2f}-{max(ratios):.2f})"
            )
        print(f"| {w} | {statistics.median(base) / 1e6:.1f} ms | {cells[0]} | {cells[1]} |")
    print(f"\n{rounds} rounds; ratio = median of per-round ratios (range in brackets).")


if __name__ == "__main__":
    main()
