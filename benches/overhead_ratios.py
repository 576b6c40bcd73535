#!/usr/bin/env python3
"""Prints the overhead table: each allocator's median against `system`'s.

Run after the three overhead benches have run in the same invocation:

    cargo bench --bench overhead_system --bench overhead_counting \
        --bench overhead_stats_alloc
    python3 benches/overhead_ratios.py

Reads criterion's estimates from target/criterion/overhead/.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion" / "overhead"
ALLOCATORS = ["system", "counting", "stats_alloc"]


def median_ns(workload: str, allocator: str) -> float:
    path = ROOT / workload / allocator / "new" / "estimates.json"
    try:
        return json.loads(path.read_text())["median"]["point_estimate"]
    except FileNotFoundError:
        sys.exit(f"error: {path} is missing: run the three overhead benches first (see this file's docstring)")


def main() -> None:
    workloads = sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name != "report")
    print("| workload | system (median) | CountingAlloc | ratio | stats_alloc | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for w in workloads:
        base, ours, theirs = (median_ns(w, a) for a in ALLOCATORS)
        print(
            f"| {w} | {base / 1e6:.1f} ms | {ours / 1e6:.1f} ms | {ours / base:.3f}x "
            f"| {theirs / 1e6:.1f} ms | {theirs / base:.2f}x |"
        )


if __name__ == "__main__":
    main()
