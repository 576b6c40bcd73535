//! Line charts as inline SVG for the HTML report: one value per tick, the
//! scenario's phases as shaded bands along the tick axis, axes with several
//! distinct labels in human units.
//!
//! Hand-written rather than drawn with `plotters`: the report is one
//! self-contained file and every chart is a handful of elements, which
//! `plotters`' SVG backend would write with fixed pixel text metrics and no
//! hover titles. What a chart promises, and `tests` (plus the browser check in
//! `.ci/browser-check.cjs`) hold it to:
//!
//! - the y axis starts at zero for values that never go below it, and has
//!   three to six labels, all different, in one unit (`B`, `KiB`, … or `ns`,
//!   `µs`, …) chosen from the largest value;
//! - the x axis counts ticks, with labels at round steps far enough apart
//!   not to overlap;
//! - every phase has a band, at least [`MIN_BAND`] pixels wide even when it
//!   lasted one tick, and its name above the plot; names that would overlap
//!   go to another row.

use std::fmt::Write;

/// The narrowest a phase band is drawn, in pixels.
pub const MIN_BAND: f64 = 6.0;
/// Width of one character of a label, in pixels: labels use a monospace font
/// at 10px, whose advance is 0.6em in the common monospace faces.
const CHAR_W: f64 = 6.2;
/// Height of a row of phase names.
const ROW_H: f64 = 13.0;

const WIDTH: f64 = 760.0;
const PLOT_H: f64 = 150.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 14.0;

/// What the values are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Bytes, labelled in B, KiB, MiB, GiB.
    Bytes,
    /// Nanoseconds, labelled in ns, µs, ms, s.
    Nanos,
}

impl Unit {
    /// The scale and name of the unit labels use for values up to `max`.
    fn scale(self, max: f64) -> (f64, &'static str) {
        let steps: &[(f64, &str)] = match self {
            Unit::Bytes => &[
                (1024.0 * 1024.0 * 1024.0, "GiB"),
                (1024.0 * 1024.0, "MiB"),
                (1024.0, "KiB"),
                (1.0, "B"),
            ],
            Unit::Nanos => &[(1e9, "s"), (1e6, "ms"), (1e3, "µs"), (1.0, "ns")],
        };
        steps
            .iter()
            .copied()
            .find(|(size, _)| max >= *size)
            .unwrap_or((1.0, steps[steps.len() - 1].1))
    }
}

/// A phase along the tick axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    /// Its name.
    pub name: String,
    /// Ticks before it in the scenario.
    pub start: u64,
    /// Its ticks.
    pub ticks: u64,
    /// Of which warm-up.
    pub warmup: u64,
}

/// One line: `(tick position, value)` points, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// Shown in the legend.
    pub label: String,
    /// The points; a gap (a new polyline) starts wherever a `None` is.
    pub points: Vec<Option<(f64, f64)>>,
    /// Drawn dashed and grey: a baseline.
    pub baseline: bool,
}

/// A chart to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Shown above it.
    pub title: String,
    /// The unit of the values.
    pub unit: Unit,
    /// The phases, in order.
    pub bands: Vec<Band>,
    /// The lines; the first is the run's own.
    pub lines: Vec<Line>,
}

/// `n` rounded up to 1, 2, 2.5 or 5 times a power of ten.
fn nice(n: f64) -> f64 {
    let mag = 10f64.powf(n.log10().floor());
    let norm = n / mag;
    let m = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

/// Axis bounds and the step between labels, in the unit's scale: about
/// `target` steps, never finer than `min_step`.
pub fn axis_steps(lo: f64, hi: f64, target: usize, min_step: f64) -> (f64, f64, f64) {
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo, lo + min_step * target as f64)
    };
    let step = nice(((hi - lo) / target as f64).max(min_step));
    let lo = (lo / step).floor() * step;
    let hi = ((hi / step).ceil() * step).max(lo + step);
    (lo, hi, step)
}

/// Decimals that tell multiples of `step` apart.
fn decimals(step: f64) -> usize {
    let mut d = 0;
    while d < 6
        && ((step * 10f64.powi(d as i32)).round() - step * 10f64.powi(d as i32)).abs() > 1e-9
    {
        d += 1;
    }
    d
}

/// Label positions and texts of the y axis for values in `lo..=hi` (raw
/// units): one unit for every label.
pub fn y_ticks(unit: Unit, lo: f64, hi: f64) -> (f64, f64, Vec<(f64, String)>) {
    let (lo, hi) = (lo.min(0.0), hi.max(0.0));
    let (scale, name) = unit.scale(lo.abs().max(hi.abs()));
    let (a, b, step) = axis_steps(lo / scale, hi / scale, 4, 1.0 / scale);
    let d = decimals(step);
    let mut out = Vec::new();
    let mut v = a;
    while v <= b + step / 2.0 {
        let shown = if v.abs() < step / 1e6 { 0.0 } else { v };
        out.push((shown * scale, format!("{shown:.d$} {name}")));
        v += step;
    }
    (a * scale, b * scale, out)
}

/// `1500`, `10k`, `2.5M`: a tick count for the x axis.
fn ticks_label(v: f64, step: f64) -> String {
    if step >= 1e6 && (v / 1e6).fract() == 0.0 {
        format!("{}M", v / 1e6)
    } else if step >= 1e3 && (v / 1e3).fract() == 0.0 {
        format!("{}k", v / 1e3)
    } else {
        format!("{v}")
    }
}

/// Label positions and texts of the x axis over `0..=total` ticks, spaced at
/// least a label's width apart over `width` pixels.
pub fn x_ticks(total: u64, width: f64) -> Vec<(f64, String)> {
    let total = total.max(1) as f64;
    let mut target = 8;
    loop {
        let (_, _, step) = axis_steps(0.0, total, target, 1.0);
        let labels: Vec<(f64, String)> = (0..)
            .map(|i| i as f64 * step)
            .take_while(|v| *v <= total + 1e-9)
            .map(|v| (v, ticks_label(v, step)))
            .collect();
        let widest = labels.iter().map(|l| l.1.len()).max().unwrap_or(1) as f64 * CHAR_W;
        if target == 1 || step / total * width >= widest + 10.0 {
            return labels;
        }
        target -= 1;
    }
}

/// Rows for labels centred at `centres` with `widths`, in order: each label
/// goes to the first row where it clears the one before it.
fn label_rows(spans: &[(f64, f64)]) -> Vec<usize> {
    let mut ends: Vec<f64> = Vec::new();
    spans
        .iter()
        .map(|&(x0, x1)| {
            let row = ends.iter().position(|&end| x0 >= end + 6.0);
            match row {
                Some(r) => {
                    ends[r] = x1;
                    r
                }
                None => {
                    ends.push(x1);
                    ends.len() - 1
                }
            }
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart {
    /// The chart as an `<svg>` element.
    pub fn svg(&self) -> String {
        let total = self
            .bands
            .last()
            .map(|b| b.start + b.ticks)
            .unwrap_or(0)
            .max(
                self.lines
                    .iter()
                    .flat_map(|l| l.points.iter().flatten())
                    .map(|p| p.0.ceil() as u64)
                    .max()
                    .unwrap_or(0),
            )
            .max(1);
        let plot_w = WIDTH - LEFT - RIGHT;
        let x = |tick: f64| LEFT + plot_w * tick / total as f64;

        // Bands: a phase too narrow to see is widened to MIN_BAND around its
        // place, then pushed aside so that narrow neighbours do not cover
        // each other. Names: centred on their bands, clamped to the chart.
        let mut boxes: Vec<(f64, f64, bool)> = self
            .bands
            .iter()
            .map(|b| {
                let (x0, x1) = (x(b.start as f64), x((b.start + b.ticks) as f64));
                if x1 - x0 >= MIN_BAND {
                    (x0, x1, false)
                } else {
                    let mid = (x0 + x1) / 2.0;
                    (mid - MIN_BAND / 2.0, mid + MIN_BAND / 2.0, true)
                }
            })
            .collect();
        let right_edge = WIDTH - RIGHT;
        let mut limit = right_edge;
        for b in boxes.iter_mut().rev().filter(|b| b.2) {
            let shift = (b.1 - limit).max(0.0);
            (b.0, b.1) = (b.0 - shift, b.1 - shift);
            limit = b.0;
        }
        let mut limit = LEFT;
        for b in boxes.iter_mut().filter(|b| b.2) {
            let shift = (limit - b.0).max(0.0);
            (b.0, b.1) = (b.0 + shift, b.1 + shift);
            limit = b.1;
        }
        let spans: Vec<(f64, f64, f64, f64)> = self
            .bands
            .iter()
            .zip(&boxes)
            .map(|(b, &(x0, x1, _))| {
                let w = b.name.chars().count() as f64 * CHAR_W;
                let c = ((x0 + x1) / 2.0).clamp(LEFT + w / 2.0, right_edge - w / 2.0);
                (x0, x1, c - w / 2.0, c + w / 2.0)
            })
            .collect();
        let rows = label_rows(&spans.iter().map(|s| (s.2, s.3)).collect::<Vec<_>>());
        let n_rows = rows.iter().max().map_or(0, |r| r + 1) as f64;
        let legend = self.lines.len() > 1;
        let top = 22.0 + if legend { 14.0 } else { 0.0 } + n_rows * ROW_H + 4.0;
        let bottom = top + PLOT_H;
        let height = bottom + 34.0;

        let values = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().flatten().map(|p| p.1));
        let (lo, hi) = values.fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi, yt) = y_ticks(self.unit, lo, hi);
        let y = |v: f64| bottom - PLOT_H * (v - lo) / (hi - lo);

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{t}"><text x="{LEFT}" y="15" class="title">{t}</text>"#,
            t = esc(&self.title)
        );
        if legend {
            let mut lx = LEFT;
            for l in &self.lines {
                let class = if l.baseline { "base" } else { "run" };
                let _ = write!(
                    s,
                    r#"<line class="{class}" x1="{lx}" y1="29" x2="{}" y2="29"/><text class="legend" x="{}" y="32">{}</text>"#,
                    lx + 18.0,
                    lx + 22.0,
                    esc(&l.label)
                );
                lx += 30.0 + l.label.chars().count() as f64 * CHAR_W;
            }
        }
        // Bands (narrow ones last, over their wide neighbours), then names.
        let mut order: Vec<usize> = (0..self.bands.len()).collect();
        order.sort_by_key(|&i| boxes[i].2);
        for i in order {
            let (b, span, narrow) = (&self.bands[i], &spans[i], boxes[i].2);
            let class = if narrow {
                "band narrow"
            } else if i % 2 == 0 {
                "band even"
            } else {
                "band odd"
            };
            let _ = write!(
                s,
                r#"<rect class="{class}" data-phase="{n}" x="{:.1}" y="{top}" width="{:.1}" height="{PLOT_H}"><title>{n}: {} ticks, {} warm-up</title></rect>"#,
                span.0,
                span.1 - span.0,
                b.ticks,
                b.warmup,
                n = esc(&b.name),
            );
            if b.warmup > 0 && b.warmup < b.ticks && !narrow {
                let wx = x((b.start + b.warmup) as f64);
                let _ = write!(
                    s,
                    r#"<rect class="warmup" x="{:.1}" y="{top}" width="{:.1}" height="{PLOT_H}"><title>{}: warm-up</title></rect>"#,
                    span.0,
                    wx - span.0,
                    esc(&b.name)
                );
            }
        }
        for ((b, span), row) in self.bands.iter().zip(&spans).zip(&rows) {
            let ly = top - 4.0 - (n_rows - 1.0 - *row as f64) * ROW_H;
            let mid = (span.0 + span.1) / 2.0;
            let _ = write!(
                s,
                r#"<line class="leader" x1="{mid:.1}" y1="{:.1}" x2="{mid:.1}" y2="{top}"/><text class="phase" x="{:.1}" y="{ly:.1}">{}</text>"#,
                ly + 2.0,
                span.2,
                esc(&b.name)
            );
        }
        // Axes and their labels.
        let _ = write!(
            s,
            r#"<line class="axis" x1="{LEFT}" y1="{bottom}" x2="{}" y2="{bottom}"/><line class="axis" x1="{LEFT}" y1="{top}" x2="{LEFT}" y2="{bottom}"/>"#,
            WIDTH - RIGHT
        );
        for (v, label) in &yt {
            let py = y(*v);
            let _ = write!(
                s,
                r#"<line class="grid" x1="{LEFT}" y1="{py:.1}" x2="{}" y2="{py:.1}"/><text class="ytick" x="{}" y="{:.1}">{}</text>"#,
                WIDTH - RIGHT,
                LEFT - 5.0,
                py + 3.5,
                esc(label)
            );
        }
        for (v, label) in x_ticks(total, plot_w) {
            let px = x(v);
            let _ = write!(
                s,
                r#"<line class="axis" x1="{px:.1}" y1="{bottom}" x2="{px:.1}" y2="{}"/><text class="xtick" x="{px:.1}" y="{}">{}</text>"#,
                bottom + 4.0,
                bottom + 15.0,
                esc(&label)
            );
        }
        let _ = write!(
            s,
            r#"<text class="xname" x="{}" y="{}">ticks</text>"#,
            WIDTH - RIGHT,
            bottom + 30.0
        );
        // Lines: the baseline under the run.
        for l in self.lines.iter().rev() {
            let class = if l.baseline { "base" } else { "run" };
            for part in l.points.split(Option::is_none) {
                let pts: Vec<String> = part
                    .iter()
                    .flatten()
                    .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
                    .collect();
                if !pts.is_empty() {
                    let _ = write!(
                        s,
                        r#"<polyline class="{class}" points="{}"/>"#,
                        pts.join(" ")
                    );
                }
                // A part of a point or two (a phase of one tick) would be a
                // speck: mark it.
                if (1..=2).contains(&part.len()) {
                    let (t, v) = part
                        .iter()
                        .flatten()
                        .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
                    let n = part.len() as f64;
                    let _ = write!(
                        s,
                        r#"<circle class="{class}" cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
                        x(t / n),
                        y(v / n)
                    );
                }
            }
        }
        s.push_str("</svg>");
        s
    }
}

/// The chart styles, for the page's `<style>`.
pub const STYLE: &str = "svg.chart{display:block;margin:.4em 0 1em}\
svg.chart text{font:10px ui-monospace,'DejaVu Sans Mono',monospace;fill:#333}\
svg.chart text.title{font:bold 13px system-ui,sans-serif}\
svg.chart text.ytick{text-anchor:end}svg.chart text.xtick{text-anchor:middle}\
svg.chart text.xname{text-anchor:end;fill:#666}\
svg.chart .axis{stroke:#888}svg.chart .grid{stroke:#eee}\
svg.chart .band.even{fill:#eef3fb}svg.chart .band.odd{fill:#f8f8f8}\
svg.chart .band.narrow{fill:#9db7e0;stroke:#fff;stroke-width:1}svg.chart .warmup{fill:#000;fill-opacity:.05}\
svg.chart .leader{stroke:#bbb}\
svg.chart polyline,svg.chart line.run,svg.chart line.base{fill:none;stroke-width:1.6}\
svg.chart .run{stroke:#2a6fdb}svg.chart .base{stroke:#999;stroke-dasharray:5 3}\
svg.chart circle.run{fill:#2a6fdb;stroke:none}svg.chart circle.base{fill:#999;stroke:none}";

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(svg: &str, class: &str) -> Vec<String> {
        svg.split(&format!("class=\"{class}\""))
            .skip(1)
            .map(|rest| {
                let text = rest.split_once('>').unwrap().1;
                text.split('<').next().unwrap().to_string()
            })
            .collect()
    }

    fn distinct(v: &[String]) -> bool {
        let mut s = v.to_vec();
        s.sort();
        s.dedup();
        s.len() == v.len()
    }

    #[test]
    fn y_labels_are_distinct_in_one_unit_from_zero() {
        let (lo, hi, t) = y_ticks(Unit::Bytes, 0.0, 64.0);
        let texts: Vec<&str> = t.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(texts, ["0 B", "20 B", "40 B", "60 B", "80 B"]);
        assert_eq!((lo, hi), (0.0, 80.0));
        // A flat zero still gets several labels, whole bytes.
        let (_, _, t) = y_ticks(Unit::Bytes, 0.0, 0.0);
        let texts: Vec<&str> = t.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(texts, ["0 B", "1 B", "2 B", "3 B", "4 B"]);
        // 40 MiB: in MiB, every label different.
        let (_, _, t) = y_ticks(Unit::Bytes, 0.0, 40.2 * 1024.0 * 1024.0);
        let texts: Vec<String> = t.iter().map(|t| t.1.clone()).collect();
        assert_eq!(texts, ["0 MiB", "20 MiB", "40 MiB", "60 MiB"]);
        // Close values far from zero still start at zero.
        let (_, _, t) = y_ticks(Unit::Nanos, 1200.0, 1300.0);
        assert_eq!(t[0].1, "0.0 µs");
        assert!(distinct(&t.iter().map(|t| t.1.clone()).collect::<Vec<_>>()));
    }

    #[test]
    fn x_labels_are_round_and_never_crowd() {
        let t = x_ticks(130, 674.0);
        let texts: Vec<&str> = t.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(texts, ["0", "20", "40", "60", "80", "100", "120"]);
        let t = x_ticks(1, 674.0);
        assert_eq!(t.len(), 2, "a one-tick scenario: 0 and 1");
        let t = x_ticks(2_000_000, 674.0);
        assert!(
            t.iter()
                .all(|l| l.1.ends_with('k') || l.1.ends_with('M') || l.1 == "0"),
            "{t:?}"
        );
        for total in [1, 7, 99, 1001, 12_345, 999_999] {
            let t = x_ticks(total, 674.0);
            let gap = (t[1].0 - t[0].0) / total as f64 * 674.0;
            let widest = t.iter().map(|l| l.1.len()).max().unwrap() as f64 * CHAR_W;
            assert!(t.len() >= 2 && gap >= widest + 10.0, "{total}: {t:?}");
        }
    }

    #[test]
    fn labels_that_would_overlap_take_another_row() {
        assert_eq!(
            label_rows(&[(0.0, 50.0), (40.0, 90.0), (60.0, 100.0), (100.0, 120.0)]),
            [0, 1, 0, 1]
        );
    }

    #[test]
    fn one_tick_phases_have_a_visible_band_and_their_own_label() {
        let chart = Chart {
            title: "held <heap>".into(),
            unit: Unit::Bytes,
            bands: vec![
                Band {
                    name: "setup-ish".into(),
                    start: 0,
                    ticks: 1,
                    warmup: 0,
                },
                Band {
                    name: "burst".into(),
                    start: 1,
                    ticks: 1,
                    warmup: 0,
                },
                Band {
                    name: "steady".into(),
                    start: 2,
                    ticks: 1000,
                    warmup: 100,
                },
            ],
            lines: vec![Line {
                label: "this run".into(),
                points: vec![Some((0.0, 0.0)), Some((1.0, 64.0)), Some((1002.0, 64.0))],
                baseline: false,
            }],
        };
        let svg = chart.svg();
        assert!(svg.contains("held &lt;heap&gt;"), "titles are escaped");
        let widths: Vec<f64> = svg
            .split("class=\"band")
            .skip(1)
            .map(|r| {
                let w = r.split("width=\"").nth(1).unwrap();
                w.split('"').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(widths.len(), 3);
        assert!(widths.iter().all(|w| *w >= MIN_BAND), "{widths:?}");
        // The two narrow bands, drawn after the wide one, sit side by side.
        let xs: Vec<f64> = svg
            .split("class=\"band narrow")
            .skip(1)
            .map(|r| {
                let x = r.split(" x=\"").nth(1).unwrap();
                x.split('"').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(xs.len(), 2);
        assert!(xs[0] >= LEFT && xs[1] >= xs[0] + MIN_BAND - 0.05, "{xs:?}");
        assert!(
            svg.find("band narrow").unwrap() > svg.find("band even").unwrap(),
            "narrow bands are drawn over wide ones"
        );
        assert_eq!(svg.matches("band narrow").count(), 2);
        let y = labels(&svg, "ytick");
        assert!(
            y.len() >= 3 && distinct(&y) && y.iter().all(|l| l.ends_with(" B")),
            "{y:?}"
        );
        let x = labels(&svg, "xtick");
        assert!(x.len() >= 3 && distinct(&x), "{x:?}");
        // The two one-tick phases sit at the same place: their names take
        // two rows.
        let ys: Vec<&str> = svg
            .split("class=\"phase\"")
            .skip(1)
            .map(|r| r.split("y=\"").nth(1).unwrap().split('"').next().unwrap())
            .collect();
        assert_eq!(ys.len(), 3);
        assert_ne!(ys[0], ys[1], "{svg}");
        assert_eq!(svg.matches("<polyline").count(), 1);
    }
}
