//! Plain-text tables with optional color, and number formatting.

use anstyle::{AnsiColor, Style};

/// One cell: text and style.
#[derive(Clone, Debug, Default)]
pub struct Cell {
    /// What is shown.
    pub text: String,
    /// How it is colored.
    pub style: Style,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl Cell {
    /// Left-aligned, unstyled.
    pub fn text(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            ..Cell::default()
        }
    }
    /// Right-aligned, unstyled.
    pub fn num(t: impl Into<String>) -> Cell {
        Cell {
            text: t.into(),
            right: true,
            ..Cell::default()
        }
    }
    /// With a style.
    pub fn styled(mut self, style: Style) -> Cell {
        self.style = style;
        self
    }
}

/// Green bold: passed.
pub fn good() -> Style {
    Style::new().fg_color(Some(AnsiColor::Green.into())).bold()
}
/// Red bold: failed.
pub fn bad() -> Style {
    Style::new().fg_color(Some(AnsiColor::Red.into())).bold()
}
/// Yellow: worth a look.
pub fn warn() -> Style {
    Style::new().fg_color(Some(AnsiColor::Yellow.into()))
}
/// Dim: secondary.
pub fn dim() -> Style {
    Style::new().dimmed()
}

/// Renders `header` and `rows` as aligned columns separated by two spaces.
/// Styles are written as ANSI codes; the caller's stream strips them when
/// color is off.
pub fn render(header: &[&str], rows: &[Vec<Cell>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(c.text.chars().count());
        }
    }
    let mut out = String::new();
    // A header sits on the same side as its column's values.
    let head: Vec<Cell> = header
        .iter()
        .enumerate()
        .map(|(i, h)| Cell {
            text: h.to_string(),
            style: Style::new().bold(),
            right: rows.iter().any(|r| r.get(i).is_some_and(|c| c.right)),
        })
        .collect();
    for row in std::iter::once(&head).chain(rows) {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate().take(cols) {
            let pad = widths[i] - c.text.chars().count();
            let last = i + 1 == cols;
            if c.right {
                line.push_str(&" ".repeat(pad));
            }
            line.push_str(&format!(
                "{}{}{}",
                c.style.render(),
                c.text,
                c.style.render_reset()
            ));
            if !c.right && !last {
                line.push_str(&" ".repeat(pad));
            }
            if !last {
                line.push_str("  ");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// `1536` → `1.5 KiB`; signed when `signed`.
pub fn bytes(v: i64, signed: bool) -> String {
    let sign = if v < 0 {
        "-"
    } else if signed && v > 0 {
        "+"
    } else {
        ""
    };
    let a = v.unsigned_abs() as f64;
    let (n, unit) = if a >= 1024.0 * 1024.0 * 1024.0 {
        (a / (1024.0 * 1024.0 * 1024.0), "GiB")
    } else if a >= 1024.0 * 1024.0 {
        (a / (1024.0 * 1024.0), "MiB")
    } else if a >= 1024.0 {
        (a / 1024.0, "KiB")
    } else {
        return format!("{sign}{} B", v.unsigned_abs());
    };
    format!("{sign}{n:.1} {unit}")
}

/// Nanoseconds as `850 ns`, `12.3 µs`, `4.56 ms`, `1.20 s`.
pub fn duration_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_numbers_go_right() {
        let rows = vec![
            vec![Cell::text("a"), Cell::num("1")],
            vec![Cell::text("longer"), Cell::num("12345")],
        ];
        let t = render(&["name", "n"], &rows);
        let plain = strip(&t);
        assert_eq!(plain, "name        n\na           1\nlonger  12345\n");
    }

    fn strip(s: &str) -> String {
        let mut out = String::new();
        let mut in_esc = false;
        for c in s.chars() {
            match (in_esc, c) {
                (false, '\x1b') => in_esc = true,
                (true, 'm') => in_esc = false,
                (true, _) => {}
                (false, c) => out.push(c),
            }
        }
        out
    }

    #[test]
    fn units() {
        assert_eq!(bytes(0, true), "0 B");
        assert_eq!(bytes(1536, true), "+1.5 KiB");
        assert_eq!(bytes(-3 * 1024 * 1024, false), "-3.0 MiB");
        assert_eq!(duration_ns(850.0), "850 ns");
        assert_eq!(duration_ns(12_345.0), "12.3 µs");
        assert_eq!(duration_ns(4_560_000.0), "4.56 ms");
    }
}
