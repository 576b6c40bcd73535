#!/usr/bin/env python3
"""The failed time gates of a comparison: `cargo allocguard compare PRE POST
--format json` on standard input, one line per failed gate on a time metric
on standard output, as `SCENARIO PHASE METRIC` (the change follows, for
people). Read from compare's JSON, not from its text, so that a change of
how the text reads cannot silently turn a caught slowdown into "not caught":
`cargo-allocguard/tests/timegate_reader.rs` holds it to compare's own output.
"""
import json
import sys

comparison = json.load(sys.stdin)
for row in comparison["rows"]:
    if not row["metric"].startswith("step_"):
        continue
    for gate in row["gates"]:
        if not gate["passed"]:
            pct = row.get("delta_pct")
            change = "" if pct is None else f" {pct:+.0f} %"
            print(f"{row['scenario']} {row['phase']} {row['metric']}{change}")
