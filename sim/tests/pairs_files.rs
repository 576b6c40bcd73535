//! `sim pairs` as the original's `main.py` runs: stage 1, stage 2 and the
//! reduction in one command, at the smallest setting, writing every file
//! the original's two stages write, with the original's headings, columns
//! and paragraph structure.

use std::path::Path;
use std::process::Command;

use pulldown_cmark::{html, Options, Parser};

/// Runs the whole pipeline once into `dir`.
fn pipeline(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["pairs", "--stride", "200", "-q", "--out"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The `#` headings of a Markdown text, variable parts cut at the first
/// digit, in order and without repeats.
fn headings(text: &str) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for l in text.lines().filter(|l| l.starts_with('#')) {
        let cut = l.find(|c: char| c.is_ascii_digit()).unwrap_or(l.len());
        let h = l[..cut].to_string();
        if !v.contains(&h) {
            v.push(h);
        }
    }
    v
}

/// The header rows of a text's tables, without repeats.
fn table_headers(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut v: Vec<String> = Vec::new();
    for w in lines.windows(2) {
        if w[0].starts_with('|') && w[1].starts_with("|--") && !v.iter().any(|h| h == w[0]) {
            v.push(w[0].to_string());
        }
    }
    v
}

#[test]
fn one_command_writes_every_file_of_both_stages_with_the_originals_sections() {
    let d = tempfile::tempdir().unwrap();
    pipeline(d.path());
    let stage1 = d.path().join("stage1");
    // Stage 1, as `stage1_pruning.py` writes it (its headings and columns).
    let pruning = read(&stage1, "stage1_pruning_report.md");
    assert_eq!(
        headings(&pruning),
        [
            "# Simulation V",
            "## Summary",
            "### Enhancement-Based Pruning",
            "## Top ",
            "## Performance by Defensive Profile",
            "### vs Evasive Enemies",
            "### vs Tanky Enemies",
            "## Performance by Buff Configuration",
            "### No Buffs",
        ]
    );
    assert_eq!(
        table_headers(&pruning),
        [
            "| Rank | Attack | Cost | Avg Turns | vs Balanced | vs Evasive | vs Tanky | vs Elite | Specialization |",
            "| Rank | Attack | Cost | Avg Turns | Overall Avg | Δ |",
            "| Rank | Attack | Cost | Avg Turns | vs Median | Overall Avg |",
        ]
    );
    let saturation = read(&stage1, "enhancement_saturation_report.md");
    let h = headings(&saturation);
    assert_eq!(
        h.iter()
            .filter(|h| !h.starts_with("#### "))
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "# Enhancement Saturation Report",
            "## Summary",
            "## Upgrade Saturation",
            "## Limit Saturation",
            "## Cost Efficiency Analysis",
            "### Upgrades by Cost",
            "### Limits by Cost Value",
            "## Key Insights",
            "### Most Popular Upgrades (Top ",
            "### Most Popular Limits (Top ",
            "### Underutilized Enhancements (<",
        ]
    );
    // All 23 upgrades and 23 limits are listed, used or not.
    let rows = |title: &str| {
        let part = &saturation[saturation.find(title).unwrap()..];
        let part = &part[..part[2..].find("\n## ").unwrap()];
        part.lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| Rank"))
            .count()
    };
    assert_eq!(
        (rows("## Upgrade Saturation"), rows("## Limit Saturation")),
        (23, 23)
    );
    assert_eq!(
        table_headers(&saturation)[..2],
        [
            "| Rank | Upgrade | Cost | Count | Saturation | Bar |",
            "| Rank | Limit | Cost | Count | Saturation | Bar |",
        ]
    );
    let costs = read(&stage1, "cost_analysis_report.md");
    let h = headings(&costs);
    assert_eq!(
        h.iter()
            .filter(|h| !h.starts_with("### "))
            .map(String::as_str)
            .collect::<Vec<_>>(),
        [
            "# Cost Analysis Report",
            "## Summary",
            "## Methodology",
            "## Upgrades by Cost",
            "## Limits by Cost Value",
            "## Best Value By Cost Tier",
        ]
    );
    assert_eq!(
        table_headers(&costs)[..2],
        [
            "| Upgrade | Avg Turns | vs Median | Efficiency | Top20% | Top20% vs Med | Top20% Eff | Count | Top20% Count |",
            "| Limit | Avg Turns | vs Median | Efficiency | Top20% | Top20% vs Med | Top20% Eff | Count | Top20% Count |",
        ]
    );
    // The cache: the kept attacks, best first, with the original's keys.
    let cache: serde_json::Value =
        serde_json::from_str(&read(&stage1, "pruned_attacks.json")).unwrap();
    let cache = cache.as_array().unwrap();
    let kept = pruning
        .lines()
        .find_map(|l| l.strip_prefix("- **Attacks kept**: "))
        .and_then(|l| l.split(' ').next())
        .unwrap();
    assert_eq!(cache.len().to_string(), kept);
    let keys: Vec<&str> = cache[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "attack_type",
        "upgrades",
        "limits",
        "cost",
        "overall_avg",
        "profile_avgs",
        "buff_avgs",
        "scenario_avgs",
        "specialization_variance",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    let avgs: Vec<f64> = cache
        .iter()
        .map(|a| a["overall_avg"].as_f64().unwrap())
        .collect();
    assert!(avgs.windows(2).all(|w| w[0] <= w[1]), "best first");
    // The top 50's combat logs, rank01 to rank50, each with its eight tests.
    let mut logs: Vec<String> = std::fs::read_dir(stage1.join("combat_logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".txt"))
        .collect();
    logs.sort();
    assert_eq!(logs.len(), 50);
    for (i, name) in logs.iter().enumerate() {
        assert!(name.starts_with(&format!("rank{:02}_", i + 1)), "{name}");
        let log = read(&stage1.join("combat_logs"), name);
        assert_eq!(log.matches(" RESULT: ").count(), 8, "{name}");
        assert!(log.contains("TEST 8: vs Tanky"), "{name}");
    }
    // Stage 2's reports, every file the README lists.
    for name in allocguard_sim::pairs::reports::file_names() {
        assert!(d.path().join("stage2").join(&name).is_file(), "{name}");
    }
}

/// The top-level HTML blocks of a Markdown text: their tags, and a
/// paragraph's leading bold label, which is what says whether two bold
/// lines render as one paragraph or two.
fn blocks(markdown: &str) -> Vec<String> {
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    let mut v = Vec::new();
    let mut rest = out.as_str();
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let tag: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        match tag.as_str() {
            "p" => {
                let label = rest
                    .strip_prefix("p><strong>")
                    .and_then(|r| r.split("</strong>").next())
                    .unwrap_or("text");
                v.push(format!("p {label}"));
            }
            "h1" | "h2" | "h3" | "table" | "ul" | "ol" | "pre" | "hr" => v.push(tag.clone()),
            _ => {}
        }
        // Skip what a block holds: its own tags are not top-level blocks.
        for closing in ["</table>", "</ul>", "</ol>", "</pre>"] {
            if tag == closing[2..closing.len() - 1] {
                if let Some(j) = rest.find(closing) {
                    rest = &rest[j..];
                }
            }
        }
    }
    v
}

/// The original's line structure for one ranked pair of
/// `stage2_pairing_report.md` and one pair of `synergy_analysis.md`
/// (`stage2_pairing.py`, `synergy_analysis_report.py`), with placeholder
/// values: every bold line is followed by a blank line, so each renders as
/// a paragraph of its own.
const ORIGINAL_PAIRING_ENTRY: &str = "### Rank 1: melee_dg + area\n\n\
**Overall Performance:** 6.00 avg turns\n\n\
**Synergy Score:** +10.0%\n\n\
**Attack 1:** `melee_dg` + `power_attack` (Cost: 1p)\n\n\
**Attack 2:** `area` (Cost: 0p)\n\n\
**Usage Split:**\n\n\
| Context | Attack 1 | Attack 2 |\n|---------|----------|----------|\n| vs Evasive | 50% | 50% |\n\n\
**Performance by Profile:**\n\n\
| Profile | Avg Turns |\n|---------|----------|\n| Evasive | 6.00 |\n\n---\n\n";

const ORIGINAL_SYNERGY_ENTRY: &str = "### Rank 1: +20.0% Synergy\n\n\
**Performance:** 6.00 avg turns\n\n\
**Attack 1:** `melee_dg` (Cost: 0p)\n\n\
**Attack 2:** `area` (Cost: 0p)\n\n\
**Why it works:**\n\
- **Reason**: why\n\n---\n\n";

/// The original's `## Methodology` sections of `top_1000_pairs.md` and
/// `synergy_analysis.md`, in their line structure (texts shortened).
const ORIGINAL_TOP1000_METHODOLOGY: &str = "## Methodology\n\n\
Ranked list.\n\
Lower turns = better performance.\n\n\
**Key Columns**:\n\
1. **Rank**: place\n\
2. **Attack 1**: abbreviated\n\n";

const ORIGINAL_SYNERGY_METHODOLOGY: &str = "## Methodology\n\n\
**Synergy Score Calculation:**\n\
```\nsynergy_score = formula\n```\n\n\
Where `avg_individual = (attack1_avg + attack2_avg) / 2`\n\n\
**Interpretation:**\n\
- **Positive synergy (>0%)**: complementary\n\
- **Negative synergy (<0%)**: redundant\n\n";

/// A report's `## Methodology` section, up to the next `## ` heading.
fn methodology(text: &str) -> &str {
    let start = text.find("## Methodology").expect("a methodology");
    let end = start + 3 + text[start + 3..].find("\n## ").expect("a next section") + 1;
    &text[start..end]
}

/// The first `### Rank` entry of a report, up to its rule.
fn first_entry(text: &str) -> &str {
    let start = text.find("### Rank 1").expect("a ranked entry");
    let end = start + text[start..].find("---\n").expect("the entry's rule") + 4;
    &text[start..end]
}

#[test]
fn reports_render_to_the_originals_paragraphs() {
    let d = tempfile::tempdir().unwrap();
    pipeline(d.path());
    let stage2 = d.path().join("stage2");
    let ours = read(&stage2, "stage2_pairing_report.md");
    assert_eq!(
        blocks(first_entry(&ours)),
        blocks(ORIGINAL_PAIRING_ENTRY),
        "{}",
        first_entry(&ours)
    );
    let ours = read(&stage2, "synergy_analysis.md");
    if ours.contains("### Rank 1") {
        assert_eq!(
            blocks(first_entry(&ours)),
            blocks(ORIGINAL_SYNERGY_ENTRY),
            "{}",
            first_entry(&ours)
        );
    }
    for (name, original) in [
        ("top_1000_pairs.md", ORIGINAL_TOP1000_METHODOLOGY),
        ("synergy_analysis.md", ORIGINAL_SYNERGY_METHODOLOGY),
    ] {
        let ours = read(&stage2, name);
        assert_eq!(
            blocks(methodology(&ours)),
            blocks(original),
            "{name}:\n{}",
            methodology(&ours)
        );
    }
    // The checks above would pass on one paragraph per entry if `blocks`
    // lumped them: it tells them apart.
    assert_eq!(
        blocks("**A:** 1\n**B:** 2\n"),
        ["p A:"],
        "two bold lines without a blank line are one paragraph"
    );
    assert_eq!(blocks("**A:** 1\n\n**B:** 2\n"), ["p A:", "p B:"]);
}

#[test]
fn a_second_run_into_the_same_folder_is_refused_before_it_starts() {
    let d = tempfile::tempdir().unwrap();
    pipeline(d.path());
    let report = d.path().join("stage1").join("stage1_pruning_report.md");
    let before = std::fs::metadata(&report).unwrap().modified().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(["pairs", "--stride", "200", "-q", "--out"])
        .arg(d.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("stage2_shard_000.bin exists; write pairs into an empty directory"),
        "{err}"
    );
    // Refused before stage 1 ran: its reports were not written again.
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    assert_eq!(
        std::fs::metadata(&report).unwrap().modified().unwrap(),
        before
    );
}
