//! One build, as a user names it: labels parsed exactly as `ranking.md`
//! prints them (`melee_dg + bleed, finishing_blow_1 | charges_2`), the rules
//! checked with the one a build breaks named, and one combat (or a thousand)
//! played against the build tester's scenarios.
//!
//! The statistics per scenario: mean turns with its standard error (the
//! sample standard deviation over √runs), the sample standard deviation, the
//! win rate, and damage per turn as the original's `avg_dpt` computes it (the
//! group's HP pool over the mean turns).

use std::fmt;
use std::str::FromStr;

use super::arena::LeanArena;
use super::attack::Attack;
use super::batch::{combat_seed, Config, SCENARIOS};
use super::builds::Build;
use super::data::{budget, AttackType, LIMITS, MUTUAL_EXCLUSIONS, UPGRADES};
use super::fight::{fight, Loadout, Outcome};
use super::log::Log;
use super::Archetype;
use crate::rng::Rng;

/// An upgrade, by its index in [`UPGRADES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UpgradeId(pub u8);

/// A limit, by its index in [`LIMITS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LimitId(pub u8);

/// What is wrong with a label, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// No attack type of that name.
    UnknownType(String),
    /// No upgrade of that name.
    UnknownUpgrade(String),
    /// No limit of that name.
    UnknownLimit(String),
    /// The label is not `type [+ upgrade, …] [| limit, …]`.
    Syntax(String),
    /// A well-formed build that breaks a rule (the rule named).
    Rule(String),
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn names(it: impl Iterator<Item = &'static str>) -> String {
            it.collect::<Vec<_>>().join(", ")
        }
        match self {
            LabelError::UnknownType(t) => write!(
                f,
                "no attack type `{t}`: use one of {}",
                names(AttackType::ALL.iter().map(|t| t.name()))
            ),
            LabelError::UnknownUpgrade(u) => write!(
                f,
                "no upgrade `{u}`: the upgrades are {}",
                names(UPGRADES.iter().map(|u| u.name))
            ),
            LabelError::UnknownLimit(l) => write!(
                f,
                "no limit `{l}`: the limits are {}",
                names(LIMITS.iter().map(|l| l.name))
            ),
            LabelError::Syntax(why) => write!(
                f,
                "{why}: write a build as ranking.md prints it, \
                 `type + upgrade, upgrade | limit, limit` (e.g. \
                 `melee_dg + bleed, finishing_blow_1 | charges_2`)"
            ),
            LabelError::Rule(rule) => write!(f, "the build breaks a rule: {rule}"),
        }
    }
}

impl std::error::Error for LabelError {}

impl FromStr for AttackType {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, LabelError> {
        AttackType::ALL
            .into_iter()
            .find(|t| t.name() == s.trim())
            .ok_or_else(|| LabelError::UnknownType(s.trim().to_string()))
    }
}

impl FromStr for UpgradeId {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, LabelError> {
        UPGRADES
            .iter()
            .position(|u| u.name == s.trim())
            .map(|i| UpgradeId(i as u8))
            .ok_or_else(|| LabelError::UnknownUpgrade(s.trim().to_string()))
    }
}

impl FromStr for LimitId {
    type Err = LabelError;
    fn from_str(s: &str) -> Result<Self, LabelError> {
        LIMITS
            .iter()
            .position(|l| l.name == s.trim())
            .map(|i| LimitId(i as u8))
            .ok_or_else(|| LabelError::UnknownLimit(s.trim().to_string()))
    }
}

impl fmt::Display for UpgradeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(UPGRADES[self.0 as usize].name)
    }
}

impl fmt::Display for LimitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(LIMITS[self.0 as usize].name)
    }
}

/// The comma-separated names of a label part, parsed; empty names refused.
fn list<T: FromStr<Err = LabelError>>(part: &str, what: &str) -> Result<Vec<T>, LabelError> {
    part.split(',')
        .map(|name| {
            if name.trim().is_empty() {
                Err(LabelError::Syntax(format!(
                    "an empty {what} name in `{part}`"
                )))
            } else {
                name.parse()
            }
        })
        .collect()
}

impl FromStr for Build {
    type Err = LabelError;

    /// Parses a label as [`Build::label`] prints it and checks the rules
    /// (not the budget, which depends on tier and archetype: see
    /// [`check_budget`]).
    fn from_str(s: &str) -> Result<Self, LabelError> {
        let (head, limits) = match s.split_once('|') {
            Some((h, l)) => (h, Some(l)),
            None => (s, None),
        };
        let (kind, upgrades) = match head.split_once('+') {
            Some((k, u)) => (k, Some(u)),
            None => (head, None),
        };
        if kind.trim().is_empty() {
            return Err(LabelError::Syntax("no attack type".into()));
        }
        let attack: AttackType = kind.parse()?;
        let mut ups: Vec<UpgradeId> = upgrades.map_or(Ok(vec![]), |u| list(u, "upgrade"))?;
        let mut lims: Vec<LimitId> = limits.map_or(Ok(vec![]), |l| list(l, "limit"))?;
        ups.sort();
        lims.sort();
        if let Some(w) = ups.windows(2).find(|w| w[0] == w[1]) {
            return Err(LabelError::Rule(format!("`{}` is named twice", w[0])));
        }
        if let Some(w) = lims.windows(2).find(|w| w[0] == w[1]) {
            return Err(LabelError::Rule(format!("`{}` is named twice", w[0])));
        }
        let build = Build {
            attack,
            upgrades: ups.iter().map(|u| u.0).collect(),
            limits: lims.iter().map(|l| l.0).collect(),
        };
        match broken_rule(&build) {
            Some(rule) => Err(LabelError::Rule(rule)),
            None => Ok(build),
        }
    }
}

/// The first rule `b` breaks, in words, or `None`.
pub fn broken_rule(b: &Build) -> Option<String> {
    if b.upgrades.len() > 3 {
        return Some(format!(
            "at most 3 upgrades on an attack ({} named)",
            b.upgrades.len()
        ));
    }
    if b.limits.len() > 2 {
        return Some(format!(
            "at most 2 limits on an attack ({} named)",
            b.limits.len()
        ));
    }
    for &u in &b.upgrades {
        let up = &UPGRADES[u as usize];
        if let Some(types) = up.allowed {
            if !types.contains(&b.attack) {
                let allowed: Vec<&str> = types.iter().map(|t| t.name()).collect();
                return Some(format!(
                    "`{}` is only for {} attacks, not {}",
                    up.name,
                    allowed.join(", "),
                    b.attack.name()
                ));
            }
        }
        if up.not_on_area && b.attack.is_area() {
            return Some(format!(
                "`{}` is not allowed on area attacks ({})",
                up.name,
                b.attack.name()
            ));
        }
    }
    let names: Vec<&str> = b.names().collect();
    for group in MUTUAL_EXCLUSIONS {
        let held: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| group.contains(n))
            .collect();
        if held.len() > 1 {
            return Some(format!(
                "at most one of {} on a build (it has {})",
                group.join(", "),
                held.join(" and ")
            ));
        }
    }
    debug_assert!(b.follows_rules());
    None
}

/// Refuses a build whose cost exceeds the points `archetype` has at `tier`.
pub fn check_budget(b: &Build, tier: u32, archetype: Archetype) -> Result<(), LabelError> {
    let points = budget(tier, archetype);
    if b.cost() > points {
        return Err(LabelError::Rule(format!(
            "it costs {} points; a {} attack at tier {tier} has {points}",
            b.cost(),
            archetype.name()
        )));
    }
    Ok(())
}

/// The attack a build describes.
pub fn attack_of(b: &Build) -> Attack {
    Attack::new(b.attack, &b.upgrades, &b.limits)
}

/// The loadout the build tester fights with: the attack alone (focused), or
/// with a basic `fallback` attack and the original's +1 bonus (dual natured).
pub fn loadout(b: &Build, cfg: &Config, fallback: AttackType) -> Loadout {
    let attack = attack_of(b);
    match cfg.archetype {
        Archetype::DualNatured => {
            let mt = cfg.matchup();
            Loadout::dual(
                attack,
                fallback,
                cfg.fallback_bonus,
                &mt.attacker,
                &mt.defender,
            )
        }
        _ => Loadout::Focused(attack),
    }
}

/// Plays one combat of `loadout` against enemies with HPs `hps`, as `cfg`
/// sets the match (tier, archetype, turn limit), with its own random stream
/// from `seed`.
pub fn play_one(loadout: &Loadout, hps: &[i32], cfg: &Config, seed: u64) -> Outcome {
    let mut arena = LeanArena::default();
    let mut rng = Rng::new(seed);
    fight(
        &mut arena,
        &mut rng,
        &mut Log::off(),
        &cfg.matchup(),
        loadout,
        hps,
    )
}

/// One scenario's figures over its runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScenarioStats {
    /// The scenario's name.
    pub scenario: &'static str,
    /// Combats played.
    pub runs: u32,
    /// Mean turns.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Sample standard deviation of the turns.
    pub sd: f64,
    /// Combats won, percent.
    pub win_rate: f64,
    /// The group's HP pool over the mean turns.
    pub dpt: f64,
}

/// Plays `cfg.runs` combats of `loadout` in each of `scenarios` (indices
/// into [`SCENARIOS`]); combat `run` of scenario `s` is seeded as the batch
/// seeds it.
pub fn test_loadout(loadout: &Loadout, cfg: &Config, scenarios: &[usize]) -> Vec<ScenarioStats> {
    let mut arena = LeanArena::default();
    let mt = cfg.matchup();
    scenarios
        .iter()
        .map(|&s| {
            let g = &SCENARIOS[s];
            let (mut sum, mut sum_sq, mut wins) = (0.0, 0.0, 0u32);
            for run in 0..cfg.runs {
                let mut rng = Rng::new(combat_seed(cfg.seed, 0, s, run));
                let o = fight(&mut arena, &mut rng, &mut Log::off(), &mt, loadout, g.hps);
                let t = f64::from(o.turns);
                sum += t;
                sum_sq += t * t;
                wins += u32::from(o.win);
            }
            let n = f64::from(cfg.runs);
            let mean = sum / n;
            let var = if cfg.runs > 1 {
                ((sum_sq - n * mean * mean) / (n - 1.0)).max(0.0)
            } else {
                0.0
            };
            let sd = var.sqrt();
            ScenarioStats {
                scenario: g.name,
                runs: cfg.runs,
                mean,
                se: sd / n.sqrt(),
                sd,
                win_rate: f64::from(wins) * 100.0 / n,
                dpt: if mean > 0.0 {
                    f64::from(g.pool()) / mean
                } else {
                    0.0
                },
            }
        })
        .collect()
}

/// The index in [`SCENARIOS`] of the scenario named `name` (case and the
/// space before a number ignored: `swarm1` is `Swarm 1`).
pub fn scenario_index(name: &str) -> Result<usize, String> {
    let key = |s: &str| s.to_lowercase().replace([' ', '_', '-'], "");
    SCENARIOS
        .iter()
        .position(|g| key(g.name) == key(name))
        .ok_or_else(|| {
            let names: Vec<&str> = SCENARIOS.iter().map(|g| g.name).collect();
            format!("no scenario `{name}`: use {}", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_back_to_the_builds_that_print_them() {
        for label in [
            "melee_ac + armor_piercing, double_tap, reliable_accuracy",
            "melee_dg + bleed, finishing_blow_1 | charges_2",
            "direct_damage",
            "ranged | bloodied",
        ] {
            let b: Build = label.parse().unwrap();
            assert_eq!(b.label(), label);
        }
        // Whitespace and order do not matter; the label is canonical.
        let b: Build = " melee_dg+finishing_blow_1 ,bleed|charges_2 "
            .parse()
            .unwrap();
        assert_eq!(b.label(), "melee_dg + bleed, finishing_blow_1 | charges_2");
    }

    #[test]
    fn a_broken_label_names_what_is_wrong() {
        let err = |s: &str| s.parse::<Build>().unwrap_err().to_string();
        assert!(err("meele_ac").contains("no attack type `meele_ac`: use one of melee_ac"));
        assert!(err("melee_ac + blead").contains("no upgrade `blead`"));
        assert!(err("melee_ac | charges_9").contains("no limit `charges_9`"));
        assert!(err("melee_ac + , bleed").contains("an empty upgrade name"));
        assert!(err("melee_ac + bleed, bleed").contains("`bleed` is named twice"));
        assert!(err("melee_ac + double_tap, ricochet")
            .contains("at most one of double_tap, explosive_critical, ricochet"));
        assert!(
            err("melee_ac | charges_1, charges_2").contains("at most one of charges_1, charges_2")
        );
        let b: Build = "direct_damage".parse().unwrap();
        assert!(check_budget(&b, 4, Archetype::Focused).is_ok());
        let pricey: Build = "melee_ac + armor_piercing, double_tap, reliable_accuracy"
            .parse()
            .unwrap();
        let over = check_budget(&pricey, 3, Archetype::VersatileMaster).unwrap_err();
        assert!(
            over.to_string()
                .contains("a versatile_master attack at tier 3 has 2"),
            "{over}"
        );
    }

    #[test]
    fn every_attack_type_upgrade_and_limit_parses_by_its_name() {
        for t in AttackType::ALL {
            assert_eq!(t.name().parse::<AttackType>().unwrap(), t);
        }
        for (i, u) in UPGRADES.iter().enumerate() {
            assert_eq!(u.name.parse::<UpgradeId>().unwrap(), UpgradeId(i as u8));
        }
        for (i, l) in LIMITS.iter().enumerate() {
            assert_eq!(l.name.parse::<LimitId>().unwrap(), LimitId(i as u8));
        }
    }

    /// Direct attacks never miss and roll no dice, so their turns follow
    /// from the rules alone: damage per hit = base (15 − tier, or 15 −
    /// 2 × tier for the area kind) + tier + power − the defender's
    /// durability (5 + tier + endurance), at least 0; a single-target attack
    /// kills the enemies one after another, each in ⌈hp / damage⌉ turns (no
    /// damage carries over), an area attack hits them all and lasts as long
    /// as the toughest, ⌈max hp / damage⌉. For the `[2,2,2,2,4]` attacker
    /// and defender that is 6 and 2 damage, and 17/19/20/19 and 50/25/13/25
    /// turns over Boss, Mixed, Swarm 1 and Swarm 2.
    #[test]
    fn direct_attacks_take_the_turns_their_rules_give() {
        let cfg = Config {
            runs: 20,
            ..Config::new(4, Archetype::Focused)
        };
        let [_focus, power, _mobility, endurance, tier] =
            crate::combat::enemies::BUILD_TESTER_STATS;
        let durability = 5 + tier + endurance;
        let per_hit = |base: i32| (base + tier + power - durability).max(0);
        let ceil_div = |hp: i32, d: i32| (hp + d - 1) / d;
        for (label, damage, area) in [
            ("direct_damage", per_hit(15 - tier), false),
            ("direct_area_damage", per_hit(15 - 2 * tier), true),
        ] {
            let expected: Vec<f64> = SCENARIOS
                .iter()
                .map(|s| {
                    let turns = if area {
                        ceil_div(*s.hps.iter().max().unwrap(), damage)
                    } else {
                        s.hps.iter().map(|&hp| ceil_div(hp, damage)).sum()
                    };
                    f64::from(turns)
                })
                .collect();
            let b: Build = label.parse().unwrap();
            let stats = test_loadout(&loadout(&b, &cfg, AttackType::Ranged), &cfg, &[0, 1, 2, 3]);
            let means: Vec<f64> = stats.iter().map(|s| s.mean).collect();
            assert_eq!(means, expected, "{label}");
            assert!(stats.iter().all(|s| s.sd == 0.0 && s.se == 0.0));
        }
        // The derivation's figures, written out once, for the reader.
        assert_eq!((per_hit(15 - tier), per_hit(15 - 2 * tier)), (6, 2));
    }

    #[test]
    fn one_call_plays_one_combat_and_the_seed_decides() {
        let cfg = Config::new(4, Archetype::Focused);
        let b: Build = "melee_ac + armor_piercing, double_tap, reliable_accuracy"
            .parse()
            .unwrap();
        let l = loadout(&b, &cfg, AttackType::Ranged);
        let a = play_one(&l, &[25, 25, 50], &cfg, 9);
        assert_eq!(a, play_one(&l, &[25, 25, 50], &cfg, 9));
        assert!(a.turns > 0 && a.turns <= cfg.max_turns);
        let turns: std::collections::BTreeSet<i32> = (0..40)
            .map(|s| play_one(&l, &[25, 25, 50], &cfg, s).turns)
            .collect();
        assert!(turns.len() > 1, "dice make turns vary: {turns:?}");
    }

    #[test]
    fn scenarios_are_found_by_name() {
        assert_eq!(scenario_index("Boss"), Ok(0));
        assert_eq!(scenario_index("swarm1"), Ok(2));
        assert_eq!(scenario_index("swarm_2"), Ok(3));
        assert!(scenario_index("horde")
            .unwrap_err()
            .contains("use Boss, Mixed, Swarm 1, Swarm 2"));
    }
}
