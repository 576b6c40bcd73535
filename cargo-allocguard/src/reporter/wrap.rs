//! Messages that fit 80 columns: every line wrapped at spaces, its
//! indentation kept, continuation lines hung under the text; a word longer
//! than a line (a path, a command) stands alone, never broken. Colors do
//! not count towards the width.

use crate::reporter::table::terminal_width;

/// The widest a message is: 80 columns, or the terminal's when narrower.
pub fn width() -> usize {
    terminal_width().map_or(WIDTH, |w| w.clamp(40, WIDTH))
}

/// The width of messages written to files and pipes.
pub const WIDTH: usize = 80;

/// Each line of `text` wrapped to `width`: its leading spaces kept, its
/// continuation lines indented `hang` columns more. Lines that are already
/// short enough come back as they were.
pub fn wrap_to(text: &str, hang: usize, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if textwrap::core::display_width(line) <= width {
            out.push_str(line);
            continue;
        }
        let (indent, body) = indentation(line);
        let indent = " ".repeat(indent);
        let hung = format!("{indent}{}", " ".repeat(hang));
        let options = textwrap::Options::new(width)
            .break_words(false)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .initial_indent(&indent)
            .subsequent_indent(&hung);
        out.push_str(&textwrap::fill(&body, options));
    }
    out
}

/// The leading spaces of `line`, counted through the color codes that may
/// come before them, and the line without them (its colors kept).
fn indentation(line: &str) -> (usize, String) {
    let mut spaces = 0;
    let mut codes = String::new();
    let mut rest = line;
    loop {
        if let Some(r) = rest.strip_prefix(' ') {
            spaces += 1;
            rest = r;
        } else if let Some(end) = rest.strip_prefix("\u{1b}[").and_then(|r| r.find('m')) {
            let len = 2 + end + 1;
            codes.push_str(&rest[..len]);
            rest = &rest[len..];
        } else {
            break;
        }
    }
    (spaces, codes + rest)
}

/// [`wrap_to`] at [`width`].
pub fn wrap(text: &str, hang: usize) -> String {
    wrap_to(text, hang, width())
}

/// `label: text`, wrapped, continuation lines under the text (`warning:`
/// and its like); later lines of `text` are indented as the first.
pub fn labelled(label: &str, text: &str, width: usize) -> String {
    let hang = textwrap::core::display_width(label) + 2;
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or("");
    let mut out = wrap_to(&format!("{label}: {first}"), hang, width);
    for line in lines {
        out.push('\n');
        if line.is_empty() {
            continue;
        }
        out.push_str(&wrap_to(&format!("{}{line}", " ".repeat(hang)), 0, width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(s: &str) -> usize {
        s.lines()
            .map(textwrap::core::display_width)
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn long_lines_fit_and_keep_every_word_in_order() {
        let text = "  FAIL game/steady › run: keeps memory: 15.8 bytes a tick since tick \
                    16 (+3.88 KiB in all), at tests/allocguard.rs:49 in game::tick";
        let w = wrap_to(text, 2, 40);
        assert!(widest(&w) <= 40, "{w}");
        assert_eq!(
            w.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert!(w.starts_with("  FAIL game/steady"));
        for cont in w.lines().skip(1) {
            assert!(
                cont.starts_with("    ") && !cont.starts_with("     "),
                "{w}"
            );
        }
    }

    #[test]
    fn a_path_longer_than_a_line_is_never_broken() {
        let path = "/home/someone/projects/a/very/long/path/to/target/allocguard/run.json";
        let w = wrap_to(&format!("run written to {path}"), 2, 40);
        assert!(w.lines().any(|l| l.trim() == path), "{w}");
    }

    #[test]
    fn hyphenated_words_stay_whole() {
        let w = wrap_to(
            "edited Cargo.toml: added a dev-dependency allocguard",
            2,
            34,
        );
        assert!(w.lines().any(|l| l.contains("dev-dependency")), "{w}");
    }

    #[test]
    fn short_lines_and_their_spacing_are_left_alone() {
        let text = "  load    200   7\n\n  run     400   0";
        assert_eq!(wrap_to(text, 2, 80), text);
    }

    #[test]
    fn indentation_is_counted_through_colors() {
        let red = "\u{1b}[31m";
        let text = format!("{red}      {}\u{1b}[0m", "word ".repeat(20).trim_end());
        let w = wrap_to(&text, 4, 40);
        let lines: Vec<&str> = w.lines().collect();
        assert!(lines[0].starts_with("      \u{1b}[31mword"), "{w:?}");
        assert!(lines[1].starts_with("          word"), "{w:?}");
    }

    #[test]
    fn colors_take_no_room() {
        let red = "\u{1b}[31mFAIL\u{1b}[0m";
        let text = format!("{red}: {}", "word ".repeat(15).trim_end());
        // 4 + 2 + 74 visible columns: one line at 80.
        assert_eq!(wrap_to(&text, 2, 80), text);
    }

    #[test]
    fn a_labelled_message_hangs_under_its_text() {
        let w = labelled(
            "warning",
            "allocguard is a path dependency on /work/main, outside this workspace: \
             it builds here, but not in CI\nsecond line",
            60,
        );
        let lines: Vec<&str> = w.lines().collect();
        assert!(lines[0].starts_with("warning: allocguard"));
        assert!(lines[1..].iter().all(|l| l.starts_with("         ")), "{w}");
        assert!(widest(&w) <= 60, "{w}");
        assert_eq!(lines.last(), Some(&"         second line"));
    }
}
