//! Reading `[gates]` of `allocguard.toml`, key by key, so that every error
//! names the key at fault and its own line (a typo in a metric's name, a
//! rule field of the wrong type, an unknown field), and says what is allowed.

use std::collections::BTreeMap;

use anyhow::{anyhow, bail};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::rules::{
    GateRule, Gates, Limit, Metric, DEFAULT_TIME_CONFIDENCE, HOT_OPS_OLD_NAME,
};
use crate::units::parse_size;

/// The settings of `[gates]` that are not metrics.
const SETTINGS: [&str; 4] = [
    "time_tolerance_pct",
    "time_floor_us",
    "time_confidence",
    "new_sites",
];

/// The fields of one rule.
const RULE_FIELDS: [&str; 4] = ["max", "no_increase", "max_regression_pct", "exclude"];

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// `an integer`, `a string`: the value's kind, as a user reads it.
fn kind(v: &DeValue<'_>) -> String {
    let t = v.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

fn number(v: &DeValue<'_>) -> Option<f64> {
    if let Some(i) = v.as_integer() {
        return integer(i).map(|n| n as f64);
    }
    v.as_float()
        .and_then(|f| f.as_str().replace('_', "").parse().ok())
}

/// A TOML integer's value, in the radix TOML read it in; `None` beyond
/// what 128 bits hold.
fn integer(i: &toml::de::DeInteger<'_>) -> Option<i128> {
    i128::from_str_radix(i.as_str(), i.radix()).ok()
}

/// The largest a count or size can be: what the harness counts in.
const LARGEST: u64 = u64::MAX;

/// Reads one rule (`{ max = 0, exclude = ["x/*"] }`); errors name the field.
fn rule(
    text: &str,
    name: &str,
    metric: Metric,
    value: &Spanned<DeValue<'_>>,
) -> anyhow::Result<GateRule> {
    let Some(table) = value.get_ref().as_table() else {
        bail!(
            "`{name}` (line {}) is {}, but a metric takes a rule such as \
             `{name} = {{ max = 0 }}` or `{{ no_increase = true }}`",
            line_of(text, value.span().start),
            kind(value.get_ref())
        );
    };
    let mut r = GateRule::default();
    for (key, v) in table {
        let field = key.get_ref().as_ref();
        let at = |what: &str| {
            anyhow!(
                "{name}.{field} (line {}): {what}",
                line_of(text, key.span().start)
            )
        };
        let v = v.get_ref();
        match field {
            "max" => {
                if let Some(i) = v.as_integer() {
                    if integer(i).is_none_or(|n| n > i128::from(LARGEST)) {
                        return Err(at(&format!(
                            "{} is more than any {} can be (at most {LARGEST}): write a \
                             smaller bound, or leave `max` out for none",
                            i,
                            if metric.is_time() {
                                "time"
                            } else {
                                "count or size"
                            }
                        )));
                    }
                }
                let bound = if let Some(n) = number(v) {
                    n
                } else if let Some(s) = v.as_str() {
                    if !metric.is_bytes() {
                        return Err(at(&format!(
                            "{s:?}: `{name}` is {}: write a number{} (sizes such as \"1 MiB\" \
                             are for bytes_allocated, growth_bytes and peak_bytes)",
                            if metric.is_time() {
                                "a time in microseconds"
                            } else {
                                "a count"
                            },
                            if metric.is_time() {
                                " of µs, such as 1500"
                            } else {
                                ", such as 0"
                            }
                        )));
                    }
                    parse_size(s).ok_or_else(|| {
                        at(&format!(
                            "{s:?} is not a number or a size such as \"50 MiB\" (units: B, KB, \
                             KiB, MB, MiB, GB, GiB)"
                        ))
                    })?
                } else {
                    return Err(at(&format!(
                        "{} is not a bound; write a number, or a size such as \"50 MiB\"",
                        kind(v)
                    )));
                };
                if !(bound.is_finite() && bound >= 0.0) {
                    return Err(at(&format!(
                        "{bound} is not a bound; write a number of 0 or more (max = 0 allows none)"
                    )));
                }
                if bound > LARGEST as f64 {
                    return Err(at(&format!(
                        "{bound} is more than any {} can be (at most {LARGEST}): write a \
                         smaller bound, or leave `max` out for none",
                        if metric.is_time() {
                            "time"
                        } else {
                            "count or size"
                        }
                    )));
                }
                r.max = Some(match v.as_str() {
                    Some(s) => Limit::Text(s.to_string()),
                    None => Limit::Number(bound),
                })
            }
            "no_increase" => {
                r.no_increase = v.as_bool().ok_or_else(|| at("write `true` or `false`"))?
            }
            "max_regression_pct" => {
                let pct = number(v).ok_or_else(|| at("write a percentage, such as 5"))?;
                if !(pct.is_finite() && pct >= 0.0) {
                    return Err(at(&format!(
                        "{pct} is not a percentage of 0 or more; write one such as 5"
                    )));
                }
                r.max_regression_pct = Some(pct)
            }
            "exclude" => {
                let list = v.as_array().ok_or_else(|| {
                    at("write a list of scenario names or globs, such as [\"waves/*\"]")
                })?;
                for item in list.iter() {
                    let s = item
                        .get_ref()
                        .as_str()
                        .ok_or_else(|| at("every item is a scenario name or glob, in quotes"))?;
                    r.exclude.push(s.to_string());
                }
            }
            other => {
                return Err(anyhow!(
                    "`{other}` (line {}) is not a field of a gate rule; a rule has {}",
                    line_of(text, key.span().start),
                    RULE_FIELDS.join(", ")
                ))
            }
        }
    }
    Ok(r)
}

/// `[gates]` of `text`, with notes for old names in use.
pub fn parse_gates(text: &str) -> anyhow::Result<(Gates, Vec<String>)> {
    let doc = DeTable::parse(text).map_err(|e| anyhow!("{e}"))?;
    let mut gates = Gates {
        time_tolerance_pct: 10.0,
        ..Gates::default()
    };
    let mut notes = Vec::new();
    let Some(section) = doc.get_ref().get("gates") else {
        return Ok((gates, notes));
    };
    let Some(table) = section.get_ref().as_table() else {
        bail!(
            "`gates` (line {}) must be a table: [gates]",
            line_of(text, section.span().start)
        );
    };
    let mut seen: BTreeMap<Metric, String> = BTreeMap::new();
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let line = line_of(text, key.span().start);
        if name == "new_sites" {
            gates.new_sites = value.get_ref().as_bool().ok_or_else(|| {
                anyhow!(
                    "`new_sites` (line {line}) is {}: write true (a new allocation site in a \
                     hot or bounded phase fails a comparison) or false",
                    kind(value.get_ref())
                )
            })?;
            continue;
        }
        if SETTINGS.contains(&name) {
            let n = number(value.get_ref()).ok_or_else(|| {
                anyhow!(
                    "`{name}` (line {line}) is {}: write a number",
                    kind(value.get_ref())
                )
            })?;
            match name {
                "time_tolerance_pct" if !(0.0..=1000.0).contains(&n) => bail!(
                    "time_tolerance_pct = {n} (line {line}): use a percentage from 0 to 1000"
                ),
                "time_floor_us" if !(n.is_finite() && n >= 0.0) => {
                    bail!("time_floor_us = {n} (line {line}): use microseconds, 0 or more")
                }
                "time_confidence" if !(0.5..=0.9999).contains(&n) => bail!(
                    "time_confidence = {n} (line {line}): use a probability from 0.5 to 0.9999, such as 0.99"
                ),
                "time_tolerance_pct" => gates.time_tolerance_pct = n,
                "time_floor_us" => gates.time_floor_us = n,
                _ => gates.time_confidence = n,
            }
            continue;
        }
        let Some(metric) = Metric::from_name(name) else {
            bail!(
                "`{name}` (line {line}) is neither a metric nor a setting of [gates]; metrics: {}; settings: {}",
                Metric::ALL.iter().map(|m| m.name()).collect::<Vec<_>>().join(", "),
                SETTINGS.join(", ")
            );
        };
        let r = rule(text, name, metric, value)?;
        r.validate(metric)
            .map_err(|e| anyhow!("{name} (line {line}): {e}"))?;
        if name == HOT_OPS_OLD_NAME {
            notes.push(format!(
                "[gates] `hot_allocs` (line {line}) is now called `hot_ops` (it counts \
                 allocations, reallocations and deallocations in hot ticks); the old name still works"
            ));
        }
        if let Some(other) = seen.insert(metric, name.to_string()) {
            bail!(
                "`{name}` (line {line}) and `{other}` are one metric (`hot_allocs` is `hot_ops`'s \
                 old name); keep `hot_ops`"
            );
        }
        gates.rules.insert(metric, r);
    }
    if gates.time_confidence == 0.0 {
        gates.time_confidence = DEFAULT_TIME_CONFIDENCE;
    }
    Ok((gates, notes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        format!("{:#}", parse_gates(text).unwrap_err())
    }

    #[test]
    fn a_bound_beyond_any_count_says_so() {
        let e = err("[gates]\nallocs = { max = 18446744073709551616 }\n");
        let huge = err(
            "[gates]\nallocs = { max = 1_000_000_000_000_000_000_000_000_000_000_000_000_000 }\n",
        );
        assert!(
            huge.contains("is more than any count or size can be"),
            "{huge}"
        );
        assert_eq!(
            e,
            "allocs.max (line 2): 18446744073709551616 is more than any count or size can be \
             (at most 18446744073709551615): write a smaller bound, or leave `max` out for none"
        );
        let (g, _) = parse_gates(
            "[gates]\nallocs = { max = 18446744073709551615 }\n\
                                  hot_ops = { max = 0x10 }\npeak_bytes = { max = 1_024 }\n",
        )
        .unwrap();
        assert_eq!(g.rules[&Metric::HotOps].max_value(), Some(16.0));
        assert_eq!(g.rules[&Metric::PeakBytes].max_value(), Some(1024.0));
        assert!(g.rules.contains_key(&Metric::Allocs));
    }

    #[test]
    fn every_mistake_names_its_key_and_its_own_line() {
        let e = err("[gates]\nallocs = { max = 0 }\ntime_toleranse_pct = 10\n");
        assert!(
            e.starts_with("`time_toleranse_pct` (line 3) is neither a metric nor a setting"),
            "{e}"
        );
        assert!(e.contains("settings: time_tolerance_pct"), "{e}");
        let e = err("[gates]\n\nallocs = { max = true }\n");
        assert!(
            e.starts_with("allocs.max (line 3): a boolean is not a bound"),
            "{e}"
        );
        let e = err("[gates]\nallocs = { max = 1 }\nhot_ops = { max = 0, exclude = \"x\" }\n");
        assert!(
            e.starts_with("hot_ops.exclude (line 3): write a list"),
            "{e}"
        );
        let e = err("[gates]\nallocs = { maxx = 1 }\n");
        assert!(
            e.starts_with("`maxx` (line 2) is not a field of a gate rule; a rule has max,"),
            "{e}"
        );
        let e = err("[gates]\nallocs = 10\n");
        assert!(
            e.starts_with("`allocs` (line 2) is an integer, but a metric takes a rule"),
            "{e}"
        );
        let e = err("[gates]\ngrowth_bytes = { max = \"lots\" }\n");
        assert!(
            e.contains("growth_bytes.max (line 2): \"lots\" is not a number or a size"),
            "{e}"
        );
        let e = err("[gates]\ntime_confidence = 2\n");
        assert!(e.contains("(line 2)"), "{e}");
        let e = err("[gates]\nallocs = { max = 0 }\nnew_sites = \"yes\"\n");
        assert!(
            e.starts_with("`new_sites` (line 3) is a string: write true"),
            "{e}"
        );
    }

    #[test]
    fn new_sites_is_off_unless_set_true() {
        let on = |text: &str| parse_gates(text).unwrap().0.new_sites;
        assert!(!on("[gates]\nallocs = { max = 0 }\n"));
        assert!(!on("[gates]\nnew_sites = false\n"));
        assert!(on("[gates]\nnew_sites = true\n"));
    }

    #[test]
    fn a_size_is_refused_for_a_count_or_a_time() {
        let e = err("[gates]\nstep_p50_us = { max = \"10 MiB\" }\n");
        assert_eq!(
            e,
            "step_p50_us.max (line 2): \"10 MiB\": `step_p50_us` is a time in microseconds: \
             write a number of µs, such as 1500 (sizes such as \"1 MiB\" are for \
             bytes_allocated, growth_bytes and peak_bytes)"
        );
        let e = err("[gates]\nallocs = { max = \"1 KiB\" }\n");
        assert!(
            e.contains("\"1 KiB\": `allocs` is a count: write a number, such as 0"),
            "{e}"
        );
        // Bytes take sizes.
        assert!(parse_gates("[gates]\npeak_bytes = { max = \"1 KiB\" }\n").is_ok());
    }

    #[test]
    fn a_rule_in_a_table_of_its_own_names_the_line_of_its_field() {
        // The metric's key is the table header (line 2); the field is below.
        let e = err("[gates]\n[gates.growth_bytes]\nexclude = []\nmax = \"50 MiBs\"\n");
        assert!(
            e.starts_with("growth_bytes.max (line 4): \"50 MiBs\" is not a number or a size"),
            "{e}"
        );
        let e = err("[gates.allocs]\n\nmax_regression_pct = -5\n");
        assert!(
            e.starts_with(
                "allocs.max_regression_pct (line 3): -5 is not a percentage of 0 or more"
            ),
            "{e}"
        );
        for (bound, shown) in [
            ("-1", "-1"),
            ("nan", "NaN"),
            ("inf", "inf"),
            ("-0.5", "-0.5"),
        ] {
            let e = err(&format!("[gates]\nallocs = {{ max = {bound} }}\n"));
            assert!(
                e.starts_with(&format!(
                    "allocs.max (line 2): {shown} is not a bound; write a number of 0 or more"
                )),
                "{bound}: {e}"
            );
        }
    }

    #[test]
    fn a_good_table_reads_whole() {
        let (g, notes) = parse_gates(
            "[gates]\ntime_floor_us = 1\nhot_allocs = { max = 0, exclude = [\"a/*\"] }\n\
             allocs = { no_increase = true }\nstep_p95_us = { max_regression_pct = 50 }\n",
        )
        .unwrap();
        assert_eq!(g.rules.len(), 3);
        assert_eq!(g.time_floor_us, 1.0);
        assert_eq!(g.time_tolerance_pct, 10.0);
        assert_eq!(g.time_confidence, DEFAULT_TIME_CONFIDENCE);
        assert_eq!(g.rules[&Metric::HotOps].exclude, vec!["a/*"]);
        assert!(
            notes[0].contains("(line 3) is now called `hot_ops`"),
            "{notes:?}"
        );
    }
}
