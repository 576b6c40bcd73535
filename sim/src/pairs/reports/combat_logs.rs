//! Stage 1's combat logs (`combat_logger.py`): for each of the 50 best
//! kept attacks, `combat_logs/rankNN_<type>_<up1>_<up2>[_more][_<limit>].txt`
//! (`NN` from 01), one combat of each of its eight tests (each profile,
//! then each scenario) replayed turn by turn, as the stage played them
//! (100 turns, enemies strike back).
//!
//! Deviations: the file header and each test's header and result lines are
//! the original's; the turn-by-turn lines are this crate's combat log (the
//! one `sim combat` writes), not the original's wording; each test's combat
//! is seeded from the run's seed, the rank and the test, so a log is the same
//! from one run to the next (the original's was a fresh random run).

use std::fmt::Write as _;

use crate::combat::arena::LeanArena;
use crate::combat::batch::combat_seed;
use crate::combat::log::Log;
use crate::combat::{fight, Attack, Character, Loadout, Match};
use crate::pairs::{Config, Pruned, PROFILES, STAGE2_SCENARIOS};
use crate::rng::Rng;

/// The folder, under stage 1's, that holds the logs.
pub const DIR: &str = "combat_logs";

/// How many of the best attacks get a log.
pub const RANKS: usize = 50;

/// The original's `format_attack_name`: rank, type, the first two
/// upgrades, `more` when there are more, the first limit.
pub fn file_name(rank: usize, a: &Attack) -> String {
    let mut parts = vec![format!("rank{rank:02}"), a.kind.name().to_string()];
    let ups: Vec<&str> = a.upgrade_names().collect();
    parts.extend(ups.iter().take(2).map(|u| u.to_string()));
    if ups.len() > 2 {
        parts.push("more".into());
    }
    if let Some(l) = a.limit_names().next() {
        parts.push(l.to_string());
    }
    format!("{}.txt", parts.join("_"))
}

/// Every log: file name and contents, best attack first.
pub fn combat_logs(p: &Pruned, cfg: &Config) -> Vec<(String, String)> {
    let rule = "=".repeat(80);
    let mut arena = LeanArena::default();
    p.attacks
        .iter()
        .zip(&p.solos)
        .take(RANKS)
        .enumerate()
        .map(|(i, (a, solo))| {
            let rank = i + 1;
            let mut s = String::new();
            let _ = writeln!(
                s,
                "{rule}\nTOP 50 ATTACK COMBAT LOG - DETAILED MECHANICS ANALYSIS\n{rule}"
            );
            let _ = writeln!(s, "Rank: #{rank}");
            let mut attack = a.kind.name().to_string();
            let ups: Vec<&str> = a.upgrade_names().collect();
            if !ups.is_empty() {
                let _ = write!(attack, " + Upgrades: {}", ups.join(", "));
            }
            let lims: Vec<&str> = a.limit_names().collect();
            if !lims.is_empty() {
                let _ = write!(attack, " + Limits: {}", lims.join(", "));
            }
            let _ = writeln!(s, "Attack: {attack} (Cost: {}p)", a.cost());
            let _ = writeln!(s, "Average Turns: {:.2}\n{rule}\n", solo.overall);
            let mut test = 0;
            for (k, profile) in PROFILES.iter().enumerate() {
                let mt = Match {
                    attacker: Character::new(cfg.attacker),
                    defender: Character::new(cfg.profiles[k]),
                    max_turns: 100,
                    focused: false,
                };
                for (g, group) in STAGE2_SCENARIOS.iter().enumerate() {
                    test += 1;
                    let _ = writeln!(
                        s,
                        "\n{rule}\nTEST {test}: vs {} - {} Enemies, HP {:?}\n{rule}",
                        profile.name,
                        group.hps.len(),
                        group.hps
                    );
                    let seed = combat_seed(cfg.seed ^ 0x4c4f_4753, rank as u64, k * 4 + g, 0);
                    let mut body: Vec<u8> = Vec::new();
                    let mut log = Log::to(&mut body);
                    let o = fight(
                        &mut arena,
                        &mut Rng::new(seed),
                        &mut log,
                        &mt,
                        &Loadout::Focused(*a),
                        group.hps,
                    );
                    log.finish().expect("a log in memory");
                    s.push_str(&String::from_utf8_lossy(&body));
                    let short = "=".repeat(60);
                    let _ = writeln!(
                        s,
                        "\n{short}\nTEST {test} RESULT: {} in {} turns\n{short}\n",
                        if o.win { "WIN" } else { "TIMEOUT" },
                        o.turns
                    );
                }
            }
            (file_name(rank, a), s)
        })
        .collect()
}
