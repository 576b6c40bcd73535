//! The edges of bad input: a phase log torn at its last line, a label cell
//! holding a NUL byte, a bound no count can reach, an `exclude` that names
//! nothing. Each is said at its line or key, with the documented exit code,
//! and loses nothing.

mod support;
use support::{read, Fixture};

#[test]
fn a_labelled_run_adds_nothing_to_a_log_whose_last_line_is_cut_short() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "pre"]).code, 0);
    let log = f.path("ci/phase_log.csv");
    let whole = read(&log);
    let torn = &whole[..whole.len() - 7];
    std::fs::write(&log, torn).unwrap();
    let r = f.scenarios(&["fixture/clean", "--label", "post"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.out_has("PASS fixture/clean"), "the results first: {r:?}");
    assert!(
        r.err_has(&format!(
            "{}:2: the last line is cut short (no newline at its end",
            log.display()
        )),
        "{r:?}"
    );
    assert_eq!(read(&log), torn, "not a byte added");
}

#[test]
fn a_nul_byte_in_a_label_is_said_at_its_line() {
    let f = Fixture::new();
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "pre"]).code, 0);
    assert_eq!(f.scenarios(&["fixture/clean", "--label", "post"]).code, 0);
    let log = f.path("ci/phase_log.csv");
    let text = read(&log).replace(",post,", ",po\0st,");
    std::fs::write(&log, &text).unwrap();
    let r = f.run(&["compare", "pre", "post"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has(&format!(
            "{}:3: column `label` holds the control character '\\0': a damaged row",
            log.display()
        )),
        "{r:?}"
    );
    assert_eq!(read(&log), text, "left as it was");
}

#[test]
fn a_bound_beyond_any_count_is_said_at_its_key() {
    let f = Fixture::new();
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nallocs = { max = 18446744073709551616 }\n",
    )
    .unwrap();
    let r = f.scenarios(&["fixture/clean"]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.err_has(
            "allocs.max (line 2): 18446744073709551616 is more than any count or size can be \
             (at most 18446744073709551615)"
        ),
        "{r:?}"
    );
}

#[test]
fn an_exclude_that_names_no_scenario_is_warned_about() {
    let f = Fixture::new();
    std::fs::write(
        f.path("allocguard.toml"),
        "[gates]\nhot_ops = { max = 0, exclude = [\"fixture/hot_aloc\", \"fixture/cl*\"] }\n",
    )
    .unwrap();
    let r = f.scenarios(&[]);
    assert!(
        r.err_has(
            "warning: allocguard.toml: the `hot_ops` gate excludes \"fixture/hot_aloc\", which \
             names no scenario of this run (a typo, or a scenario renamed or gone): it excludes \
             nothing"
        ),
        "{r:?}"
    );
    assert!(!r.err_has("\"fixture/cl*\", which"), "it names one: {r:?}");
}
