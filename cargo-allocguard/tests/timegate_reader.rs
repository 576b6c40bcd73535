//! `benches/timegate.sh` reads `compare`'s verdicts through
//! `benches/timegate_failures.py`, from its JSON. This holds that reader to
//! `compare` itself: a phase log whose head runs every tick of one phase at
//! twice the base's time fails its time gate, and the reader says so, in the
//! form the script matches; an unchanged comparison gives it nothing. A
//! change of compare's output that broke the reader fails here, not in an
//! hour-long measurement that then reports a caught slowdown as missed.

use std::process::{Command, Stdio};

use allocguard::harness::StepHistogram;

mod support;
use support::{workspace_root, Fixture, Run};

/// A phase-log row of `label` for `examples/fixed_work`'s `stir`, whose 270
/// ticks after warm-up take `us` µs each, give or take 2 %.
fn row(label: &str, run: &str, us: f64) -> String {
    let samples: Vec<u64> = (0..270u64)
        .map(|i| (us * (0.98 + 0.04 * (i * 7919 % 101) as f64 / 100.0) * 1e3) as u64)
        .collect();
    let hist = StepHistogram::from_samples(&samples);
    format!(
        "2026-12-07T00:00:0{run}Z,{run},abc,{label},allocguard,examples/fixed_work,stir,release,\
         default,passed,300,30,0,0,0,0,0,0,0,{us},{us},{us},{max},{hist}\n",
        max = us * 1.1
    )
}

const HEADER: &str = "timestamp,run_id,git_rev,label,package,scenario,phase,build_profile,\
                      scale,status,ticks,warmup_ticks,allocs,deallocs,reallocs,bytes_allocated,\
                      hot_ops,growth_bytes,peak_bytes,step_mean_us,step_p50_us,step_p95_us,\
                      step_max_us,step_hist\n";

/// `compare base head --format json` on `log`, through the reader.
fn failures(f: &Fixture, log: &str) -> (Run, String) {
    let path = f.path("phase_log.csv");
    std::fs::write(&path, log).unwrap();
    std::fs::write(
        f.path("gates.toml"),
        "[gates]\nstep_p95_us = { max_regression_pct = 50 }\n",
    )
    .unwrap();
    let compare = Run::from(
        f.command(&[
            "compare",
            "base",
            "head",
            "--format",
            "json",
            "--phase-log",
            path.to_str().unwrap(),
            "--config",
            f.path("gates.toml").to_str().unwrap(),
        ])
        .output()
        .unwrap(),
    );
    let mut reader = Command::new("python3")
        .arg(workspace_root().join("benches/timegate_failures.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the reader");
    use std::io::Write;
    reader
        .stdin
        .take()
        .unwrap()
        .write_all(compare.stdout.as_bytes())
        .unwrap();
    let out = reader.wait_with_output().unwrap();
    assert!(out.status.success(), "the reader read compare's JSON");
    (compare, String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_timegate_reader_sees_what_compare_fails() {
    let f = Fixture::new();
    let slow = format!(
        "{HEADER}{}{}",
        row("base", "1", 100.0),
        row("head", "2", 200.0)
    );
    let (compare, lines) = failures(&f, &slow);
    assert_eq!(compare.code, 1, "compare fails it: {compare:?}");
    assert_eq!(
        lines, "examples/fixed_work stir step_p95_us +100 %\n",
        "{compare:?}"
    );
    // What the script matches, as it matches it.
    assert!(lines.starts_with("examples/fixed_work stir step_"));

    let same = format!(
        "{HEADER}{}{}",
        row("base", "1", 100.0),
        row("head", "2", 100.0)
    );
    let (compare, lines) = failures(&f, &same);
    assert_eq!(compare.code, 0, "{compare:?}");
    assert_eq!(lines, "", "nothing failed, nothing read");
}
