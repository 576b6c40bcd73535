//! The report as one self-contained HTML page: the index, then each
//! scenario's phase table, charts, sites and changes from the baseline.

use allocguard::harness::PhaseProfile;

use super::charts::charts;
use super::{
    anchor, changed_rows, esc, head_line, index_order, phase_cells, status_class, summary, totals,
    Baseline, HEADERS, MARKER,
};
use crate::reporter::compare;
use crate::store::run_file::{Run, ScenarioResult};
use crate::units::{bytes, count, duration_ns};

const PAGE_STYLE: &str =
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:80em;color:#222}\
h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:.5em 0}\
td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left;white-space:nowrap}\
th abbr{text-decoration:underline dotted;cursor:help}\
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}td.wrap{white-space:normal}\
pre{background:#f6f6f6;padding:.6em;overflow:auto}\
.good{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}.warn{color:#9a6700}\
.meta{color:#666}dt{font-weight:bold;margin-top:.4em}dd{margin-left:1.5em}";

fn html_table(headers: &[(&str, &str)], rows: &[Vec<String>], numeric: &[usize]) -> String {
    let mut s = String::from("<div class=\"scroll\"><table><tr>");
    for (i, (h, tip)) in headers.iter().enumerate() {
        let class = if numeric.contains(&i) {
            " class=\"n\""
        } else {
            ""
        };
        if tip.is_empty() {
            s.push_str(&format!("<th{class}>{}</th>", esc(h)));
        } else {
            s.push_str(&format!(
                "<th{class}><abbr title=\"{}\">{}</abbr></th>",
                esc(tip),
                esc(h)
            ));
        }
    }
    s.push_str("</tr>\n");
    for r in rows {
        s.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if numeric.contains(&i) {
                " class=\"n\""
            } else {
                ""
            };
            s.push_str(&format!("<td{class}>{}</td>", esc(c)));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table></div>\n");
    s
}

const HOW_TO_READ: &str = "<details><summary>How to read this report</summary><dl>\
<dt>heap the scenario holds</dt><dd>Bytes its setup kept plus the net of every tick so far; \
allocguard's own work between ticks, the test harness and earlier scenarios are not in it. \
Shaded bands are the phases (a phase of one tick still gets a visible band, in a darker \
shade); the darker start of a band is its warm-up.</dd>\
<dt>growth, peak</dt><dd>What the phase's ticks kept, and the highest they reached above the \
phase's start.</dd>\
<dt>hot_ops</dt><dd>Heap operations in the armed ticks of a hot phase (after warm-up): each \
one a violation.</dd>\
<dt>pressure</dt><dd>The level of the whole process's highest live heap in the phase, against \
the scenario's pressure edges: LOW below 50 MiB, MEDIUM from 50 MiB, HIGH from 200 MiB, \
CRITICAL from 500 MiB unless the scenario sets its own (<code>Scenario::pressure_edges</code>). \
Unlike the chart it counts the whole process, as an operating system would.</dd>\
</dl></details>\n";

/// The self-contained HTML page.
pub fn html(run: &Run, base: Option<&Baseline<'_>>) -> String {
    let mut s = format!(
        "<!DOCTYPE html>\n{MARKER}\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>allocguard report {id}</title>\n<style>{PAGE_STYLE}{chart}</style></head><body>\n\
         <h1>allocguard report</h1><p class=\"meta\">{head}.</p>\n<p><b>{totals}</b></p>\n",
        id = esc(&run.run_id),
        chart = crate::reporter::chart::STYLE,
        head = esc(&head_line(run, false)),
        totals = esc(&totals(run)),
    );
    if let Some(b) = base {
        let c = &b.comparison;
        let which = if b.name == b.run.run_id {
            format!("<code>{}</code>", esc(&b.name))
        } else {
            format!("<code>{}</code> (run {})", esc(&b.name), esc(&b.run.run_id))
        };
        s.push_str(&format!(
            "<p>Against the baseline {which}: <b class=\"{}\">{}</b>; its lines are drawn \
             dashed in every chart.</p>\n",
            if c.passed { "good" } else { "bad" },
            if c.passed {
                "every gate passed"
            } else {
                "gates failed or results are missing"
            }
        ));
        if !c.missing.is_empty() {
            s.push_str("<ul>");
            for m in &c.missing {
                s.push_str(&format!("<li class=\"bad\">{}</li>", esc(m)));
            }
            s.push_str("</ul>\n");
        }
    }
    s.push_str(HOW_TO_READ);
    s.push_str("<h2 id=\"index\">Scenarios</h2>\n<div class=\"scroll\"><table><tr><th>status</th><th>scenario</th><th>package</th><th>summary</th></tr>\n");
    for i in index_order(run) {
        let sc = &run.scenarios[i];
        s.push_str(&format!(
            "<tr><td class=\"{}\">{}</td><td><a href=\"#{}\">{}</a></td><td>{}</td><td class=\"wrap\">{}</td></tr>\n",
            status_class(sc),
            sc.label(),
            anchor(i),
            esc(&sc.name),
            esc(&sc.package),
            esc(&summary(sc))
        ));
    }
    s.push_str("</table></div>\n");
    for (i, sc) in run.scenarios.iter().enumerate() {
        s.push_str(&scenario_section(i, sc, base));
    }
    s.push_str("</body></html>\n");
    s
}

fn scenario_section(i: usize, sc: &ScenarioResult, base: Option<&Baseline<'_>>) -> String {
    let mut s = format!(
        "<h2 id=\"{}\">{} <span class=\"{}\">{}</span></h2>\n<p class=\"meta\">{} › {}{}, {} · <a href=\"#index\">index</a></p>\n",
        anchor(i),
        esc(&sc.name),
        status_class(sc),
        sc.label(),
        esc(&sc.package),
        esc(&sc.target),
        sc.profile
            .as_ref()
            .and_then(|p| Some(format!(
                " ({}:{})",
                esc(p.source_file.as_deref()?),
                p.source_line?
            )))
            .unwrap_or_default(),
        duration_ns(sc.duration_ms * 1e6),
    );
    if let Some(f) = &sc.failure {
        s.push_str(&format!("<pre>{}</pre>\n", esc(f)));
    }
    if !sc.leaked.is_empty() {
        s.push_str(&format!(
            "<p class=\"warn\">Left running when it ended (allocguard ended them): {}</p>\n",
            esc(&sc.leaked.join(", "))
        ));
    }
    let Some(p) = &sc.profile else {
        return s;
    };
    let rows: Vec<Vec<String>> = phase_cells(sc, p).into_iter().map(Vec::from).collect();
    s.push_str(&html_table(
        &HEADERS,
        &rows,
        &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
    ));
    for phase in &p.phases {
        s.push_str(&sites_table(phase));
    }
    let base_profile = base.and_then(|b| {
        let other = b
            .run
            .scenarios
            .iter()
            .find(|o| o.name == sc.name && o.package == sc.package)?;
        Some((b.name.as_str(), other.profile.as_ref()?))
    });
    if let Some(b) = base {
        s.push_str(&deltas(b, sc, base_profile.is_some()));
    }
    for chart in charts(p, base_profile) {
        s.push_str(&chart.svg());
        s.push('\n');
    }
    s
}

const SITE_HEADERS: [(&str, &str); 8] = [
    ("site", "the allocating line: the innermost frame of your code"),
    ("function", ""),
    ("allocs", "allocations made here"),
    ("reallocs", "reallocations made here"),
    ("deallocs", "frees of blocks allocated here in the phase, or made here of older blocks"),
    ("allocated", "bytes allocated here, with reallocations' growth"),
    ("held at end", "bytes of blocks allocated (or last resized) here still live when the phase ended: a leak's sites"),
    ("a tick", "heap operations a tick when the site used the heap in every tick evenly; else in how many ticks it did"),
];

/// The phase's allocation sites, when it recorded them.
fn sites_table(p: &PhaseProfile) -> String {
    let Some(sites) = &p.sites else {
        return String::new();
    };
    let ticks = sites.sites.ticks;
    let mut s = format!(
        "<h3>Allocation sites of <code>{}</code></h3>\n<p class=\"meta\">Every line that used the heap in its {} after warm-up{}.</p>\n",
        esc(&p.name),
        crate::units::plural(ticks as usize, "tick"),
        if sites.from_second_run {
            ", from a second run with sites on (the first one failed)"
        } else {
            ""
        }
    );
    let mut rows: Vec<Vec<String>> = sites
        .sites
        .sites
        .iter()
        .map(|site| {
            let c = &site.counts;
            let per_tick = if ticks > 0 && c.ticks == ticks && c.ops().is_multiple_of(ticks) {
                count(c.ops() / ticks)
            } else if ticks > 1 && c.ticks > 0 {
                format!("in {} of {}", count(c.ticks), count(ticks))
            } else {
                String::new()
            };
            vec![
                esc(&site.location()),
                esc(site.function().unwrap_or("")),
                count(c.allocs),
                count(c.reallocs),
                count(c.deallocs),
                bytes(c.bytes_allocated as i64, false),
                bytes(c.live_bytes.max(0), false),
                per_tick,
            ]
        })
        .collect();
    let rest = sites
        .sites
        .distinct
        .saturating_sub(sites.sites.sites.len() as u64);
    if rest > 0 || sites.sites.overflow.ops() > 0 {
        let mut c = sites.sites.omitted;
        c.add(&sites.sites.overflow);
        rows.push(vec![
            format!("… {} more", crate::units::plural(rest as usize, "site")),
            String::new(),
            count(c.allocs),
            count(c.reallocs),
            count(c.deallocs),
            bytes(c.bytes_allocated as i64, false),
            bytes(c.live_bytes.max(0), false),
            String::new(),
        ]);
    }
    if rows.is_empty() {
        s.push_str("<p class=\"meta\">No heap operation.</p>\n");
        return s;
    }
    s.push_str(&html_table(&SITE_HEADERS, &rows, &[2, 3, 4, 5, 6, 7]));
    s
}

/// The metrics of `sc` that changed from the baseline or failed a gate.
fn deltas(b: &Baseline<'_>, sc: &ScenarioResult, in_baseline: bool) -> String {
    if !in_baseline {
        return format!(
            "<p class=\"meta\">Not in the baseline <code>{}</code>: nothing to compare.</p>\n",
            esc(&b.name)
        );
    }
    let rows = changed_rows(&b.comparison, sc);
    if rows.is_empty() {
        return format!(
            "<p class=\"meta\">Unchanged from the baseline <code>{}</code>: no count or size \
             differs, no time moved beyond its noise.</p>\n",
            esc(&b.name)
        );
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let [pre, post, delta, pct, gates] = compare::cells(r);
            vec![
                r.phase.clone(),
                r.metric.to_string(),
                pre,
                post,
                delta,
                pct,
                gates,
            ]
        })
        .collect();
    let headers = [
        ("phase", ""),
        ("metric", ""),
        ("baseline", ""),
        ("this run", ""),
        ("Δ", ""),
        ("Δ%", ""),
        ("gates", ""),
    ];
    format!(
        "<p>Changed from the baseline <code>{}</code>:</p>\n{}",
        esc(&b.name),
        html_table(&headers, &cells, &[2, 3, 4, 5])
    )
}
