//! Memory pressure levels of a scenario's own heap (what its setup kept
//! plus the net of its ticks: never the harness's or libtest's), and a
//! background monitor that reports level changes.
//!
//! The edges are seed 003's memory-pressure monitor's: LOW below 50 MiB,
//! MEDIUM from 50 MiB, HIGH from 200 MiB, CRITICAL from 500 MiB; set them
//! per scenario with [`Scenario::pressure_edges`](super::Scenario::pressure_edges).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How much heap a phase held at its peak, in four levels (the thresholds of
/// seed 003's memory-pressure monitor).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum PressureLevel {
    /// Below the medium edge.
    Low,
    /// From the medium edge to the high edge.
    Medium,
    /// From the high edge to the critical edge.
    High,
    /// At or above the critical edge.
    Critical,
}

impl std::fmt::Display for PressureLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        })
    }
}

/// Live-heap edges between pressure levels, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PressureEdges {
    /// LOW below this; MEDIUM from here. Default 50 MiB.
    pub medium: u64,
    /// HIGH from here. Default 200 MiB.
    pub high: u64,
    /// CRITICAL from here. Default 500 MiB.
    pub critical: u64,
}

const MIB: u64 = 1024 * 1024;

impl Default for PressureEdges {
    fn default() -> Self {
        Self {
            medium: 50 * MIB,
            high: 200 * MIB,
            critical: 500 * MIB,
        }
    }
}

impl PressureEdges {
    /// The level of `live_bytes` of heap.
    pub fn level(&self, live_bytes: i64) -> PressureLevel {
        let b = live_bytes.max(0) as u64;
        if b >= self.critical {
            PressureLevel::Critical
        } else if b >= self.high {
            PressureLevel::High
        } else if b >= self.medium {
            PressureLevel::Medium
        } else {
            PressureLevel::Low
        }
    }
}

/// A change of pressure level seen by a [`PressureMonitor`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PressureChange {
    /// The level before.
    pub from: PressureLevel,
    /// The level now.
    pub to: PressureLevel,
    /// The scenario's bytes at the sample that changed level: the process's
    /// live bytes above where they stood when the scenario started (its
    /// setup, its ticks, and the runner's bookkeeping between ticks).
    pub live_bytes: i64,
}

/// Samples live bytes above a baseline on a background thread and calls
/// back when the pressure level changes. Stops (and joins its thread) when
/// dropped.
pub struct PressureMonitor {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl PressureMonitor {
    /// Starts sampling every `interval` the process's live bytes above
    /// `baseline` (the harness passes what the process held when the
    /// scenario started). The starting level is sampled here,
    /// before `start` returns (so a change right after it is reported, however
    /// late the thread starts). `on_change` runs on the monitor thread inside
    /// [`permit_alloc`](crate::permit_alloc).
    pub fn start(
        interval: Duration,
        edges: PressureEdges,
        baseline: i64,
        mut on_change: impl FnMut(PressureChange) + Send + 'static,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let mut level = edges.level(crate::process_stats().live_bytes() - baseline);
        let handle = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("allocguard-pressure".into())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        std::thread::park_timeout(interval);
                        let live = crate::process_stats().live_bytes() - baseline;
                        let now = edges.level(live);
                        if now != level {
                            let change = PressureChange {
                                from: level,
                                to: now,
                                live_bytes: live,
                            };
                            crate::permit_alloc(|| on_change(change));
                            level = now;
                        }
                    }
                })
                .expect("allocguard: cannot start the pressure monitor thread")
        };
        Self {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for PressureMonitor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(h) = self.handle.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pressure_levels_follow_the_edges() {
        let e = PressureEdges::default();
        assert_eq!(e.level(-5), PressureLevel::Low);
        assert_eq!(e.level((50 * MIB - 1) as i64), PressureLevel::Low);
        assert_eq!(e.level((50 * MIB) as i64), PressureLevel::Medium);
        assert_eq!(e.level((200 * MIB) as i64), PressureLevel::High);
        assert_eq!(e.level((500 * MIB) as i64), PressureLevel::Critical);
        let tight = PressureEdges {
            medium: 10,
            high: 20,
            critical: 30,
        };
        assert_eq!(tight.level(25), PressureLevel::High);
    }
}
