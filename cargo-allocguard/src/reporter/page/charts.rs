//! The report's two charts per scenario: the bytes the scenario holds and
//! the tick time, over its ticks, phases as bands, a baseline dashed.

use allocguard::harness::{PhaseProfile, Profile};

use crate::reporter::chart::{Band, Chart, Line, Unit};

/// Bytes held at each phase's start: what setup kept, then each phase's
/// growth added in turn.
pub(super) fn held_at_starts(p: &Profile) -> Vec<i64> {
    let mut base = p.setup.live_bytes();
    p.phases
        .iter()
        .map(|ph| {
            let at_start = base;
            base += ph.growth;
            at_start
        })
        .collect()
}

/// The bytes the scenario holds, at the start of each phase and after each
/// of its ticks.
pub fn held_line(p: &Profile) -> Vec<Option<(f64, f64)>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    for (ph, base) in p.phases.iter().zip(held_at_starts(p)) {
        out.push(Some((offset as f64, base as f64)));
        for t in &ph.live_timeline {
            let held = base + (t.value - ph.live_start);
            out.push(Some(((offset + t.tick + 1) as f64, held as f64)));
        }
        offset += ph.ticks;
    }
    out
}

/// Time per tick, level across each tick (so that a phase of one tick is a
/// visible step), a gap between phases.
fn step_line(p: &Profile) -> Vec<Option<(f64, f64)>> {
    let mut out = Vec::new();
    let mut offset = 0u64;
    for ph in &p.phases {
        for t in &ph.step_timeline {
            let at = (offset + t.tick) as f64;
            out.push(Some((at, t.value as f64)));
            out.push(Some((at + 1.0, t.value as f64)));
        }
        out.push(None);
        offset += ph.ticks;
    }
    out
}

fn bands(phases: &[PhaseProfile]) -> Vec<Band> {
    let mut start = 0;
    phases
        .iter()
        .map(|ph| {
            let b = Band {
                name: ph.name.clone(),
                start,
                ticks: ph.ticks,
                warmup: ph.warmup_ticks,
            };
            start += ph.ticks;
            b
        })
        .collect()
}

/// The heap and step-time charts of a scenario, with the baseline's lines.
pub fn charts(p: &Profile, base: Option<(&str, &Profile)>) -> [Chart; 2] {
    let line = |points, label: &str, baseline| Line {
        label: label.to_string(),
        points,
        baseline,
    };
    let mut held = vec![line(held_line(p), "this run", false)];
    let mut step = vec![line(step_line(p), "this run", false)];
    if let Some((name, b)) = base {
        held.push(line(held_line(b), name, true));
        step.push(line(step_line(b), name, true));
    }
    [
        Chart {
            title: "heap the scenario holds, after each tick".into(),
            unit: Unit::Bytes,
            bands: bands(&p.phases),
            lines: held,
        },
        Chart {
            title: "time per tick".into(),
            unit: Unit::Nanos,
            bands: bands(&p.phases),
            lines: step,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use allocguard::harness::PhaseProfile;
    use allocguard::harness::TimelinePoint;

    #[test]
    fn the_held_line_starts_from_what_setup_kept_and_ignores_the_process() {
        // A process already holding 40 MiB: setup kept 100 bytes, phase one
        // (two ticks) added 64 then 0, phase two started after 1 MiB of the
        // runner's own bookkeeping and freed 64 in its one tick.
        let mib = 1 << 20;
        let mut p: Profile = serde_json::from_value(serde_json::json!({
            "schema_version": 2, "scenario": "s", "scale": "smoke", "build_profile": "debug",
            "expect": {"violation": false, "growth": false},
            "setup": serde_json::to_value({
                let mut setup = allocguard::Stats::default();
                setup.allocs = 1;
                setup.bytes_allocated = 100;
                setup
            }).unwrap(),
            "phases": []
        }))
        .unwrap();
        let phase = |live_start: i64, growth: i64, timeline: &[(u64, i64)]| {
            let mut ph: PhaseProfile = serde_json::from_value(serde_json::json!({
                "name": "p", "ticks": timeline.len(), "warmup_ticks": 0, "hot_ticks": 0,
                "hot": false, "bounded": false, "allocs": 0, "deallocs": 0, "reallocs": 0,
                "bytes_allocated": 0, "bytes_freed": 0, "live_start": live_start,
                "live_end": live_start + growth, "growth": growth, "peak": 0, "hot_ops": 0,
                "violating_ticks": 0, "first_violation": null,
                "step": {"mean_ns": 0.0, "p50_ns": 0, "p95_ns": 0, "p99_ns": 0, "max_ns": 0},
                "live_timeline": [], "step_timeline": [], "rss_start": null, "rss_end": null,
                "growth_check": {"steady_growth": false, "slope_bytes_per_tick": 0.0,
                                 "r_squared": 0.0, "ticks": 0},
                "pressure": "LOW", "metrics": {}
            }))
            .unwrap();
            ph.live_timeline = timeline
                .iter()
                .map(|&(tick, value)| TimelinePoint { tick, value })
                .collect();
            ph
        };
        p.phases = vec![
            phase(40 * mib, 64, &[(0, 40 * mib + 64), (1, 40 * mib + 64)]),
            phase(41 * mib + 64, -64, &[(0, 41 * mib)]),
        ];
        let line: Vec<(f64, f64)> = held_line(&p).into_iter().flatten().collect();
        assert_eq!(
            line,
            [
                (0.0, 100.0),
                (1.0, 164.0),
                (2.0, 164.0),
                (2.0, 164.0),
                (3.0, 100.0)
            ]
        );
    }
}
