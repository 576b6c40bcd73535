//! Plain-text tables with optional color, fitted to the terminal. Numbers
//! are written by [`crate::units`].

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

/// A row of a table: aligned cells, or one line across the whole table
/// (a group heading), which does not widen the columns.
#[derive(Clone, Debug)]
pub enum Row {
    /// Cells, one per column.
    Cells(Vec<Cell>),
    /// One cell spanning every column.
    Span(Cell),
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

fn width(s: &str) -> usize {
    s.chars().count()
}

fn styled(c: &Cell) -> String {
    format!("{}{}{}", c.style.render(), c.text, c.style.render_reset())
}

/// Renders `header` and `rows` as aligned columns separated by two spaces.
/// Styles are written as ANSI codes; the caller's stream strips them when
/// color is off.
pub fn render(header: &[&str], rows: &[Vec<Cell>]) -> String {
    let rows: Vec<Row> = rows.iter().cloned().map(Row::Cells).collect();
    render_rows(header, &rows, None, &[]).0
}

/// Renders a table no wider than `max_width` when given: the gaps between
/// columns shrink to one space, then columns are left out in the order of
/// `droppable` (indexes into `header`) until it fits. Returns the text and the
/// names of the columns left out.
pub fn render_rows(
    header: &[&str],
    rows: &[Row],
    max_width: Option<usize>,
    droppable: &[usize],
) -> (String, Vec<String>) {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for r in rows {
        if let Row::Cells(cells) = r {
            for (i, c) in cells.iter().enumerate().take(cols) {
                widths[i] = widths[i].max(width(&c.text));
            }
        }
    }
    let mut shown: Vec<bool> = vec![true; cols];
    let mut gap = 2;
    let total = |shown: &[bool], gap: usize| {
        let n = shown.iter().filter(|s| **s).count();
        widths
            .iter()
            .zip(shown)
            .filter(|(_, s)| **s)
            .map(|(w, _)| *w)
            .sum::<usize>()
            + gap * n.saturating_sub(1)
    };
    let mut dropped = Vec::new();
    if let Some(max) = max_width {
        if total(&shown, gap) > max {
            gap = 1;
        }
        for &d in droppable {
            if total(&shown, gap) <= max {
                break;
            }
            if d < cols && shown[d] {
                shown[d] = false;
                dropped.push(header[d].to_string());
            }
        }
    }
    let head: Vec<Cell> = header
        .iter()
        .enumerate()
        .map(|(i, h)| Cell {
            text: h.to_string(),
            style: Style::new().bold(),
            // A header sits on the same side as its column's values.
            right: rows.iter().any(|r| match r {
                Row::Cells(c) => c.get(i).is_some_and(|c| c.right),
                Row::Span(_) => false,
            }),
        })
        .collect();
    let mut out = String::new();
    let head_row = Row::Cells(head);
    for row in std::iter::once(&head_row).chain(rows) {
        let cells = match row {
            Row::Span(c) => {
                out.push_str(styled(c).trim_end());
                out.push('\n');
                continue;
            }
            Row::Cells(cells) => cells,
        };
        let visible: Vec<usize> = (0..cols).filter(|&i| shown[i]).collect();
        let mut line = String::new();
        for (k, &i) in visible.iter().enumerate() {
            let c = cells.get(i).cloned().unwrap_or_default();
            let pad = widths[i] - width(&c.text);
            let last = k + 1 == visible.len();
            if c.right {
                line.push_str(&" ".repeat(pad));
            }
            line.push_str(&styled(&c));
            if !c.right && !last {
                line.push_str(&" ".repeat(pad));
            }
            if !last {
                line.push_str(&" ".repeat(gap));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    (out, dropped)
}

/// The width a table may take: the terminal's, when standard output is one;
/// else `COLUMNS` when set; else none (a log or a pipe does not wrap).
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        if let Some((_, w)) = console::Term::stdout().size_checked() {
            return Some(usize::from(w));
        }
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn columns_align_and_numbers_go_right() {
        let rows = vec![
            vec![Cell::text("a"), Cell::num("1")],
            vec![Cell::text("longer"), Cell::num("12345")],
        ];
        let t = render(&["name", "n"], &rows);
        let plain = strip(&t);
        assert_eq!(plain, "name        n\na           1\nlonger  12345\n");
    }

    #[test]
    fn a_narrow_terminal_gets_tighter_gaps_then_fewer_columns() {
        let rows = vec![
            Row::Span(Cell::text(
                "a heading wider than the table is allowed to be",
            )),
            Row::Cells(vec![Cell::text("abc"), Cell::num("12"), Cell::num("34")]),
        ];
        let head = ["x", "yy", "zz"];
        let (wide, dropped) = render_rows(&head, &rows, Some(80), &[1]);
        assert!(dropped.is_empty());
        assert!(strip(&wide).contains("abc  12  34"), "{wide}");
        let (tight, dropped) = render_rows(&head, &rows, Some(9), &[1]);
        assert!(dropped.is_empty());
        assert!(strip(&tight).contains("abc 12 34"), "{tight}");
        let (narrow, dropped) = render_rows(&head, &rows, Some(6), &[1]);
        assert_eq!(dropped, vec!["yy"]);
        assert!(strip(&narrow).contains("abc 34"), "{narrow}");
    }
}
