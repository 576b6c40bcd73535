//! End-to-end tests of `cargo allocguard report` on fixture runs: what the
//! heap chart draws, its axes and phase bands, and the baseline picture.
//! (`.ci/browser-check.cjs` checks the same pages as Chromium renders them.)

mod support;
use support::{read, Fixture};

/// The run file named on stderr.
fn run_file(r: &support::Run) -> String {
    r.stderr
        .lines()
        .find_map(|l| l.strip_prefix("run written to "))
        .unwrap_or_else(|| panic!("no run file in {r:?}"))
        .to_string()
}

/// The section of scenario `name` in the page: from its heading to the next.
fn section<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!("\">{name} <span"))
        .unwrap_or_else(|| panic!("no section for {name}"));
    let rest = &html[start..];
    &rest[..rest[1..].find("<h2").map_or(rest.len(), |e| e + 1)]
}

/// The texts of the `<text class="{class}">` elements of an SVG.
fn texts(svg: &str, class: &str) -> Vec<String> {
    svg.split(&format!("<text class=\"{class}\""))
        .skip(1)
        .map(|r| {
            r.split_once('>')
                .unwrap()
                .1
                .split('<')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn attr(element: &str, name: &str) -> f64 {
    element
        .split(&format!(" {name}=\""))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn distinct(v: &[String]) -> bool {
    let mut s = v.to_vec();
    s.sort();
    s.dedup();
    s.len() == v.len()
}

#[test]
fn the_heap_chart_draws_the_64_bytes_the_scenario_holds() {
    let f = Fixture::new();
    let r = f.scenarios(&["fixture/holds_64"]);
    assert_eq!(r.code, 0, "{r:?}");
    let out = f.path("report");
    let rep = f.run(&["report", &run_file(&r), "--out", out.to_str().unwrap()]);
    assert_eq!(rep.code, 0, "{rep:?}");
    let html = read(&out.join("report.html"));
    let sec = section(&html, "fixture/holds_64");
    let svgs: Vec<&str> = sec.split("<svg").skip(1).collect();
    assert_eq!(svgs.len(), 2, "a heap chart and a time chart");
    let heap = svgs[0];
    assert!(heap.contains("heap the scenario holds"), "{heap}");
    // The process holds megabytes (the harness, the symbols); the scenario
    // 64 bytes: the axis runs from 0 B past 64 B, in bytes.
    assert_eq!(
        texts(heap, "ytick"),
        ["0 B", "20 B", "40 B", "60 B", "80 B"],
        "{heap}"
    );
    // Its line ends at 64 bytes: y of the last point is that of 64 B.
    let points = heap
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let last_y: f64 = points
        .rsplit(' ')
        .next()
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let y_of = |label: &str| {
        let t = heap
            .split("<text class=\"ytick\"")
            .skip(1)
            .find(|r| {
                r.split_once('>')
                    .unwrap()
                    .1
                    .starts_with(&format!("{label}<"))
            })
            .unwrap();
        attr(t, "y") - 3.5
    };
    let expected = y_of("60 B") + (y_of("80 B") - y_of("60 B")) * 4.0 / 20.0;
    assert!((last_y - expected).abs() < 0.2, "{last_y} vs {expected}");
    for svg in &svgs {
        for axis in ["ytick", "xtick"] {
            let t = texts(svg, axis);
            assert!(t.len() >= 3 && distinct(&t), "{axis}: {t:?}");
        }
        // Every phase has a band at least 6 px wide, and its name: the three
        // one-tick phases among 303 ticks included.
        let bands: Vec<f64> = svg
            .split("<rect class=\"band")
            .skip(1)
            .map(|b| attr(b, "width"))
            .collect();
        assert_eq!(bands.len(), 4, "{svg}");
        assert!(bands.iter().all(|w| *w >= 6.0), "{bands:?}");
        assert_eq!(texts(svg, "phase"), ["fill", "idle", "blip", "end"]);
    }
    // The table says the same: 64 bytes held from the first phase on. Its
    // counts are the ticks after warm-up (the terminal's), the warm-up's
    // apart: one tick, no warm-up, one allocation.
    assert!(
        sec.contains("<td>fill</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">+64 B</td><td class=\"n\">64 B</td><td class=\"n\">64 B</td>"),
        "{sec}"
    );
}

#[test]
fn a_baseline_label_draws_the_pre_post_picture() {
    let f = Fixture::new();
    let pre = f.scenarios(&["fixture/clean", "fixture/hot_alloc", "--label", "pre"]);
    assert_eq!(pre.code, 1, "{pre:?}");
    let post = f.scenarios(&["fixture/clean", "--label", "post"]);
    assert_eq!(post.code, 0, "{post:?}");
    let out = f.path("report");
    let rep = f.run(&[
        "report",
        "--baseline",
        "pre",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(rep.code, 0, "{rep:?}");
    let html = read(&out.join("report.html"));
    assert!(
        html.contains("Against the baseline <code>pre</code>"),
        "{html}"
    );
    // hot_alloc is in the baseline only: a missing result.
    assert!(
        html.contains(
            "<li class=\"bad\">fixture/hot_alloc › run (fixture-basic) is in the pre run and \
             missing in the post run"
        ),
        "{html}"
    );
    let sec = section(&html, "fixture/clean");
    // Both charts draw the baseline's line, dashed, under the run's.
    assert!(
        sec.matches("<polyline class=\"base\"").count() >= 2,
        "{sec}"
    );
    assert!(sec.contains("class=\"legend\""), "{sec}");
    assert!(
        sec.contains("Unchanged from the baseline") || sec.contains("Changed from the baseline"),
        "{sec}"
    );
    let md = read(&out.join("report.md"));
    assert!(md.contains("### allocguard: `pre` → `"), "{md}");
    // A label that is not there is named, with those that are.
    let bad = f.run(&[
        "report",
        "--baseline",
        "nope",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.err_has("--baseline nope: not a run.json file, a run id under")
            && bad.err_has("(labels there: pre, post)"),
        "{bad:?}"
    );
}
