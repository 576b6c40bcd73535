//! Numbers for people and from them: counts with thousands separators,
//! sizes in binary units, durations, plurals, and sizes as a gates file
//! writes them (`"50 MiB"`). Plain functions that decide nothing: the
//! bottom layer, used by the judge's verdict texts and every reporter.

/// `38358184` → `38,358,184`.
pub fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A size as the gates file writes one: `512 B`, `1.50 KiB`, `14.0 KiB`,
/// `155 KiB`, `53.4 MiB` (three significant digits); `+` before growth when
/// `signed`.
pub fn bytes(v: i64, signed: bool) -> String {
    let sign = if v < 0 {
        "-"
    } else if signed && v > 0 {
        "+"
    } else {
        ""
    };
    let a = v.unsigned_abs() as f64;
    let units = [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (size, unit) in units {
        if a >= size as f64 {
            // A whole number of units reads as a gates file writes it:
            // `50 MiB`, not `50.0 MiB`.
            let x = a / size as f64;
            if x.fract() == 0.0 {
                return format!("{sign}{x:.0} {unit}");
            }
            return format!("{sign}{} {unit}", three_digits(x));
        }
    }
    format!("{sign}{} B", v.unsigned_abs())
}

/// `1.50`, `14.0`, `155`, `1007`.
fn three_digits(x: f64) -> String {
    if x >= 99.95 {
        format!("{x:.0}")
    } else if x >= 9.995 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// Nanoseconds as `850 ns`, `12.3 µs`, `4.56 ms`, `918 ms`, `1.20 s`.
pub fn duration_ns(ns: f64) -> String {
    if !ns.is_finite() {
        return "∞".into();
    }
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{} µs", three_digits(ns / 1e3))
    } else if ns < 1e9 {
        format!("{} ms", three_digits(ns / 1e6))
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// `1 scenario`, `2 scenarios`.
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", count(n as u64))
    }
}

/// Parses `"50 MiB"`, `"1.5GB"`, `"512"`.
pub fn parse_size(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let number: f64 = s[..split].replace('_', "").parse().ok()?;
    let factor = match s[split..].trim() {
        "" | "B" => 1.0,
        "KB" | "kB" => 1e3,
        "KiB" => 1024.0,
        "MB" => 1e6,
        "MiB" => 1024.0 * 1024.0,
        "GB" => 1e9,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(number * factor)
}

/// A number without a pointless fraction.
pub fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(38_358_184), "38,358,184");
        assert_eq!(bytes(0, true), "0 B");
        assert_eq!(bytes(1536, true), "+1.50 KiB");
        assert_eq!(bytes(14 * 1024, false), "14 KiB");
        assert_eq!(bytes(14 * 1024 + 100, false), "14.1 KiB");
        assert_eq!(bytes(1007 * 1024, false), "1007 KiB");
        assert_eq!(bytes(-3 * 1024 * 1024, false), "-3 MiB");
        assert_eq!(bytes(50 << 20, false), "50 MiB");
        assert_eq!(bytes(3 * 1024 * 1024 + 1, false), "3.00 MiB");
        assert_eq!(duration_ns(850.0), "850 ns");
        assert_eq!(duration_ns(12_345.0), "12.3 µs");
        assert_eq!(duration_ns(4_560_000.0), "4.56 ms");
        assert_eq!(duration_ns(917_680_000.0), "918 ms");
        assert_eq!(plural(1, "scenario"), "1 scenario");
        assert_eq!(plural(1900, "gate"), "1,900 gates");
    }

    #[test]
    fn sizes_parse_as_a_gates_file_writes_them() {
        assert_eq!(parse_size("512"), Some(512.0));
        assert_eq!(parse_size("50 MiB"), Some(50.0 * 1024.0 * 1024.0));
        assert_eq!(parse_size("1.5GB"), Some(1.5e9));
        assert_eq!(parse_size("1_000 B"), Some(1000.0));
        assert_eq!(parse_size("50 furlongs"), None);
        assert_eq!(fmt_num(50.0), "50");
        assert_eq!(fmt_num(2.5), "2.50");
    }
}
