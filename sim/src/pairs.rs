//! Stage-2 attack pairing (`simulation_v3/stage1_pruning.py`,
//! `stage2_pairing.py`): every attack of a budget tested alone, pruned to
//! the best of each enhancement, then sampled pairs played with
//! *intelligent selection* against two defensive profiles, each pair's
//! result streamed to checksummed shard files ([`crate::shards`]) for the
//! reducer ([`crate::reducer`]).
//!
//! **Naive** plays in a fresh [`NaiveArena`] per combat and holds a shard's
//! results in a list until the shard is complete; **lean** reuses one
//! [`LeanArena`] and writes each result straight through the shard's
//! buffered writer (every shard is opened before the first pair), so it
//! makes no heap operation per pair.
//!
//! ## Deviations from the original, and why
//!
//! - **Dice**: seeded per combat, as in [`crate::combat`].
//! - **`make_attack`'s return**: stage 2 unpacks two values from a function
//!   that returns three, which raises in the original at its latest commit;
//!   the intent (damage and conditions) is what is played here.
//! - **Pair sampling**: `random.sample` with seed 42 becomes Floyd's
//!   sampling on this crate's generator: the same count per attack
//!   (`max(1, ⌊0.5% of later attacks⌋)`), different partners.
//! - **Ties in pruning** are broken by attack index (the original's come
//!   from iterating a set).
//! - **Stage 1's stride**: smaller scales test every Nth attack only.
//!
//! ## Quirks kept
//!
//! - Stage 2 records every turn as "not charged" (its own simplification),
//!   so charge-up attacks never get past charging.
//! - Its combat state is never updated between turns (no enemy attacks, no
//!   last-turn flags, channeled never builds up, the attacker stays at full
//!   HP), so state limits read their initial values.
//! - The selection score looks for `boss_slayer_acc`/`_dmg` and
//!   `minion_slayer_acc`/`_dmg`, names no upgrade has, so slayers never
//!   score; `critical_accuracy` likewise.
//! - Bleed lasts 2 turns here; finishing blow, culling strike, explosive
//!   critical and splinter effects are not applied by stage 2's loop.
//! - Synergy compares the pair's average (25-turn limit, no enemy attacks)
//!   with the stage-1 solo averages (100 turns, enemies strike back).
//! - Enhancement-based pruning keeps no attack without an enhancement.

use std::io;
use std::path::{Path, PathBuf};

use crate::catalogue::{Catalogue, Entry};
use crate::combat::arena::{Arena, ChargeView, HitList, LeanArena, NaiveArena, Targets};
use crate::combat::batch::{combat_seed, EnemyGroup};
use crate::combat::builds::visit;
use crate::combat::data::{lim, up, AttackType};
use crate::combat::log::Log;
use crate::combat::strike::{make_aoe_attack, make_attack, Moment, Opts};
use crate::combat::{fight, Attack, Character, Loadout, Match};
use crate::rng::Rng;
use crate::shards::{PairRecord, ShardWriter};
use crate::Variant;

/// A defensive profile: the enemies' stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    /// The original's name.
    pub name: &'static str,
    /// `[focus, power, mobility, endurance, tier]`.
    pub stats: [i32; 5],
}

/// `config.json`'s two profiles.
pub const PROFILES: [Profile; 2] = [
    Profile {
        name: "Evasive",
        stats: [2, 2, 4, 0, 4],
    },
    Profile {
        name: "Tanky",
        stats: [2, 2, 0, 4, 4],
    },
];

/// Stage 2's scenarios: the build tester's groups, in `simulation_v3`'s
/// enemy order (which decides single-target order).
pub const STAGE2_SCENARIOS: [EnemyGroup; 4] = [
    EnemyGroup {
        name: "Boss",
        hps: &[100],
    },
    EnemyGroup {
        name: "Mixed",
        hps: &[50, 25, 25],
    },
    EnemyGroup {
        name: "Swarm",
        hps: &[25, 25, 10, 10, 10, 10, 10],
    },
    EnemyGroup {
        name: "Swarm 2",
        hps: &[50, 10, 10, 10, 10, 10],
    },
];

/// What to run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Config {
    /// Points per attack (tier 4 dual natured: 6).
    pub points: u32,
    /// The attacker: `[focus, power, mobility, endurance, tier]`.
    pub attacker: [i32; 5],
    /// The enemies' stats against each profile (evasive, tanky), same order.
    pub profiles: [[i32; 5]; 2],
    /// Stage 1 runs per profile and scenario (3).
    pub stage1_runs: u32,
    /// Stage 1 tests every Nth attack (1: all).
    pub stride: usize,
    /// Fraction kept per enhancement (0.2).
    pub enhancement_percent: f64,
    /// Stage 2 runs per profile and scenario (2).
    pub stage2_runs: u32,
    /// Stage 2 turn limit (25).
    pub max_turns: i32,
    /// Fraction of later attacks each attack is paired with (0.005).
    pub sample_percent: f64,
    /// Seed.
    pub seed: u64,
    /// Shard files.
    pub shards: usize,
    /// Most pairs played (the original's `max_pairs`); the first ones in
    /// pair order are kept.
    pub max_pairs: usize,
    /// Allocation behaviour.
    pub variant: Variant,
}

impl Config {
    /// `simulation_v3/config.json`.
    pub fn original() -> Config {
        Config {
            points: 6,
            attacker: [2, 2, 2, 2, 4],
            profiles: [PROFILES[0].stats, PROFILES[1].stats],
            stage1_runs: 3,
            stride: 1,
            enhancement_percent: 0.2,
            stage2_runs: 2,
            max_turns: 25,
            sample_percent: 0.005,
            seed: 42,
            shards: 8,
            max_pairs: 100_000_000,
            variant: Variant::Lean,
        }
    }
}

/// One attack's stage-1 result.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Solo {
    /// Mean over every profile and scenario.
    pub overall: f64,
    /// Per profile.
    pub profile: [f64; 2],
    /// Per scenario.
    pub scenario: [f64; 4],
}

/// Stage 1: each attack alone (the build tester's combat, 100 turns,
/// enemies strike back, a failed limit makes a basic attack) against each
/// profile and scenario.
pub fn solo<A: Arena>(arena: &mut A, cfg: &Config, attack: &Attack, index: usize) -> Solo {
    let mut s = Solo::default();
    for (p, stats) in cfg.profiles.iter().enumerate() {
        let mt = Match {
            attacker: Character::new(cfg.attacker),
            defender: Character::new(*stats),
            max_turns: 100,
            focused: false,
        };
        for (g, group) in STAGE2_SCENARIOS.iter().enumerate() {
            let mut turns = 0;
            for run in 0..cfg.stage1_runs {
                let seed = combat_seed(cfg.seed ^ 0x5354_4731, index as u64, p * 4 + g, run);
                turns += fight(
                    &mut *arena,
                    &mut Rng::new(seed),
                    &mut Log::off(),
                    &mt,
                    &Loadout::Focused(*attack),
                    group.hps,
                )
                .turns;
            }
            let avg = f64::from(turns) / f64::from(cfg.stage1_runs);
            s.profile[p] += avg / 4.0;
            s.scenario[g] += avg / 2.0;
            s.overall += avg / 8.0;
        }
    }
    s
}

/// `prune_attacks` with the `enhancement_based` strategy: for every
/// upgrade and limit, the best `percent` of the attacks that have it.
/// Returns indices into `solos`, best first.
pub fn prune(attacks: &[Attack], solos: &[Solo], percent: f64) -> Vec<usize> {
    let by_score = |a: &usize, b: &usize| {
        solos[*a]
            .overall
            .total_cmp(&solos[*b].overall)
            .then(a.cmp(b))
    };
    let mut keep = vec![false; attacks.len()];
    let groups = (0..23u8)
        .map(|u| (true, u))
        .chain((0..23u8).map(|l| (false, l)));
    for (is_upgrade, e) in groups {
        let mut members: Vec<usize> = (0..attacks.len())
            .filter(|&i| {
                if is_upgrade {
                    attacks[i].has(e)
                } else {
                    attacks[i].has_limit(e)
                }
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        members.sort_by(by_score);
        let n = ((members.len() as f64 * percent) as usize).max(1);
        for &i in &members[..n] {
            keep[i] = true;
        }
    }
    let mut kept: Vec<usize> = (0..attacks.len()).filter(|&i| keep[i]).collect();
    kept.sort_by(by_score);
    kept
}

/// `generate_sampled_pairs`: each attack with `max(1, ⌊percent × later⌋)`
/// distinct later attacks (Floyd's sampling), partners in increasing order.
pub fn sample_pairs(n: usize, percent: f64, seed: u64) -> Vec<(u32, u32)> {
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::new();
    let mut chosen: Vec<usize> = Vec::new();
    for i in 0..n {
        let later = n - i - 1;
        if later == 0 {
            continue;
        }
        let k = if percent >= 1.0 {
            later
        } else {
            ((later as f64 * percent) as usize).max(1).min(later)
        };
        chosen.clear();
        for j in (later - k)..later {
            let t = rng.below(j as u64 + 1) as usize;
            let pick = if chosen.contains(&t) { j } else { t };
            chosen.push(pick);
        }
        chosen.sort_unstable();
        pairs.extend(chosen.iter().map(|&c| (i as u32, (i + 1 + c) as u32)));
    }
    pairs
}

/// What the selection score needs of an attack
/// (`precompute_attack_characteristics`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Traits {
    aoe: bool,
    evasive: f64,
    tanky: f64,
    culling: bool,
    finishing: bool,
    channeled: bool,
    splinter_ricochet: bool,
    overhit: bool,
    explosive: bool,
    charge: bool,
    hp_limit: bool,
}

impl Traits {
    /// The traits of `a`.
    pub fn of(a: &Attack) -> Traits {
        let has = |u| if a.has(u) { 1.0 } else { 0.0 };
        Traits {
            aoe: a.is_area(),
            evasive: 30.0 * has(up::ACCURATE_ATTACK) + 40.0 * has(up::RELIABLE_ACCURACY)
                - 20.0 * has(up::POWER_ATTACK)
                - 15.0 * has(up::CRITICAL_EFFECT),
            tanky: 50.0 * has(up::ARMOR_PIERCING)
                + 30.0 * has(up::POWER_ATTACK)
                + 25.0 * has(up::BRUTAL)
                + 20.0 * has(up::HIGH_IMPACT)
                - 15.0 * has(up::ACCURATE_ATTACK),
            culling: a.has(up::CULLING_STRIKE),
            finishing: a.has(up::FINISHING_BLOW_1),
            channeled: a.has(up::CHANNELED),
            splinter_ricochet: a.has(up::SPLINTER) || a.has(up::RICOCHET),
            overhit: a.has(up::OVERHIT),
            explosive: a.has(up::EXPLOSIVE_CRITICAL),
            charge: a.charges_up(),
            hp_limit: a.has_limit(lim::NEAR_DEATH) || a.has_limit(lim::BLOODIED),
        }
    }

    /// `score_attack_for_situation` against `profile` (0 evasive, 1 tanky)
    /// with no buffs.
    pub fn score(&self, num_alive: i32, avg_hp: f64, wounded: i32, profile: usize) -> f64 {
        let mut s = match num_alive {
            n if n >= 5 => {
                if self.aoe {
                    100.0
                } else {
                    -50.0
                }
            }
            n if n >= 3 => {
                if self.aoe {
                    50.0
                } else {
                    0.0
                }
            }
            1 => {
                if self.aoe {
                    -30.0
                } else {
                    50.0
                }
            }
            _ => {
                if self.aoe {
                    10.0
                } else {
                    20.0
                }
            }
        };
        s += if profile == 0 {
            self.evasive
        } else {
            self.tanky
        };
        if self.culling {
            s += if num_alive >= 3 && avg_hp < 40.0 {
                30.0
            } else if num_alive >= 2 {
                15.0
            } else {
                0.0
            };
        }
        if self.finishing {
            s += if wounded >= 2 {
                25.0
            } else if wounded >= 1 {
                15.0
            } else {
                0.0
            };
        }
        if self.channeled {
            s += if num_alive == 1 {
                25.0
            } else if num_alive <= 2 {
                10.0
            } else {
                -15.0
            };
        }
        if self.splinter_ricochet {
            s += if num_alive >= 3 {
                20.0
            } else if num_alive >= 2 {
                10.0
            } else {
                0.0
            };
        }
        if self.overhit && num_alive >= 3 {
            s += 15.0;
        }
        if self.explosive && num_alive >= 3 {
            s += 20.0;
        }
        if self.charge {
            s -= if num_alive >= 4 {
                20.0
            } else if num_alive >= 2 {
                10.0
            } else {
                0.0
            };
        }
        if self.hp_limit {
            s -= 5.0;
        }
        s
    }
}

/// `simulate_pair_with_intelligent_selection`: turns played and how often
/// each attack was chosen. `profile` (0 evasive, 1 tanky) picks the scoring;
/// `sides` are the attacker and the enemies' stats.
#[allow(clippy::too_many_arguments)]
pub fn play_pair<A: Arena>(
    arena: &mut A,
    rng: &mut Rng,
    sides: [&Character; 2],
    profile: usize,
    attacks: [&Attack; 2],
    traits: [&Traits; 2],
    hps: &[i32],
    max_turns: i32,
) -> (i32, [u32; 2]) {
    let [attacker, defender] = sides;
    let defender = *defender;
    arena.reset(hps);
    let n = arena.enemy_count();
    let mut usage = [0u32; 2];
    let mut turns = 0;
    let mut charge = ChargeView::default();
    let alive = |arena: &A| (0..n).filter(|&i| arena.enemy(i).hp > 0).count() as i32;
    while alive(arena) > 0 && turns < max_turns {
        turns += 1;
        for i in 0..n {
            let e = arena.enemy(i);
            if e.hp > 0 && arena.has_bleed(i) {
                let d = arena.tick_bleed(i);
                arena.set_hp(i, (e.hp - d).max(0));
            }
        }
        let num_alive = alive(arena);
        if num_alive == 0 {
            break;
        }
        let (mut total, mut wounded) = (0, 0);
        for i in 0..n {
            let e = arena.enemy(i);
            if e.hp > 0 {
                total += e.hp;
                wounded += i32::from(f64::from(e.hp) < f64::from(e.max_hp) * 0.5);
            }
        }
        let avg = f64::from(total) / f64::from(num_alive);
        let s0 = traits[0].score(num_alive, avg, wounded, profile);
        let s1 = traits[1].score(num_alive, avg, wounded, profile);
        let pick = usize::from(s0 < s1);
        usage[pick] += 1;
        let a = attacks[pick];
        let m = Moment {
            turn: turns,
            charge,
            attacker_hp: attacker.max_hp,
            attacker_max_hp: attacker.max_hp,
        };
        if a.is_area() {
            let targets = Targets::living(arena);
            let (st, cd) = arena.parts();
            let (hits, _): (A::Hits, i32) = make_aoe_attack(
                rng,
                &mut Log::off(),
                attacker,
                &defender,
                a,
                &m,
                targets.as_slice(),
                0,
                cd,
                st,
            );
            for k in 0..hits.len() {
                let (i, s) = hits.get(k);
                arena.set_hp(i, (arena.enemy(i).hp - s.damage).max(0));
                if s.conds.has(crate::combat::attack::Conds::BLEED) {
                    arena.set_bleed(i, (s.damage - attacker.tier).max(0), 2);
                }
            }
        } else if let Some(t) = (0..n).find(|&i| arena.enemy(i).hp > 0) {
            let o = Opts {
                enemy_max_hp: Some(arena.enemy(t).max_hp),
                ..Opts::DEFAULT
            };
            let (st, cd) = arena.parts();
            let s = make_attack(rng, &mut Log::off(), attacker, &defender, a, &m, o, cd, st);
            arena.set_hp(t, (arena.enemy(t).hp - s.damage).max(0));
            if s.conds.has(crate::combat::attack::Conds::BLEED) {
                arena.set_bleed(t, (s.damage - attacker.tier).max(0), 2);
            }
        }
        // Stage 2 records every turn as not charged.
        charge = ChargeView {
            len: (charge.len + 1).min(2),
            last: false,
            prev: false,
        };
    }
    (turns, usage)
}

/// One pair against every profile, scenario and run (`test_pair_across_profiles`).
pub fn evaluate_pair<A: Arena>(
    arena: &mut A,
    cfg: &Config,
    pair_id: u64,
    attacks: [&Attack; 2],
    solos: [&Solo; 2],
) -> PairRecord {
    let attacker = Character::new(cfg.attacker);
    let traits = [Traits::of(attacks[0]), Traits::of(attacks[1])];
    let mut profile_avg = [0.0f64; 2];
    let mut scenario_avg = [0.0f64; 4];
    let mut by_profile = [[0u32; 2]; 2];
    let mut by_scenario = [[0u32; 2]; 4];
    let runs = f64::from(cfg.stage2_runs);
    for (p, profile_total) in profile_avg.iter_mut().enumerate() {
        let defender = Character::new(cfg.profiles[p]);
        for (g, group) in STAGE2_SCENARIOS.iter().enumerate() {
            for run in 0..cfg.stage2_runs {
                let mut rng = Rng::new(combat_seed(cfg.seed, pair_id, p * 4 + g, run));
                let (turns, used) = play_pair(
                    arena,
                    &mut rng,
                    [&attacker, &defender],
                    p,
                    attacks,
                    [&traits[0], &traits[1]],
                    group.hps,
                    cfg.max_turns,
                );
                *profile_total += f64::from(turns) / (4.0 * runs);
                scenario_avg[g] += f64::from(turns) / (2.0 * runs);
                for k in 0..2 {
                    by_profile[p][k] += used[k];
                    by_scenario[g][k] += used[k];
                }
            }
        }
    }
    let overall = (profile_avg[0] + profile_avg[1]) / 2.0;
    let individual = (solos[0].overall + solos[1].overall) / 2.0;
    let synergy = if individual > 0.0 {
        (individual - overall) / individual * 100.0
    } else {
        0.0
    };
    PairRecord {
        pair_id,
        attacks: [0, 0],
        overall_avg: overall as f32,
        profile_avg: profile_avg.map(|v| v as f32),
        scenario_avg: scenario_avg.map(|v| v as f32),
        usage_by_profile: by_profile,
        usage_by_scenario: by_scenario,
        synergy: synergy as f32,
    }
}

/// The attack list stage 2 pairs from: every attack of the budget (every
/// `stride`-th), tested alone and pruned.
#[derive(Clone, Debug)]
pub struct Pruned {
    /// The kept attacks, best first.
    pub attacks: Vec<Attack>,
    /// Their stage-1 results.
    pub solos: Vec<Solo>,
    /// Attacks tested in stage 1.
    pub tested: usize,
}

/// Stage 1 over `threads` threads (split by index; results in index order).
pub fn stage1(cfg: &Config, threads: usize) -> Pruned {
    stage1_counted(cfg, threads, &std::sync::atomic::AtomicU64::new(0), |_| {})
}

/// [`stage1`], adding each attack tested to `done` and calling `planned`
/// with the number of attacks to test once it is known (for a progress bar).
pub fn stage1_counted(
    cfg: &Config,
    threads: usize,
    done: &std::sync::atomic::AtomicU64,
    planned: impl FnOnce(usize),
) -> Pruned {
    let mut all = Vec::new();
    visit(cfg.points, &AttackType::ALL, |kind, ups, lims| {
        all.push(Attack::new(kind, ups, lims))
    });
    let attacks: Vec<Attack> = all.into_iter().step_by(cfg.stride.max(1)).collect();
    planned(attacks.len());
    let threads = threads.max(1);
    let per = attacks.len().div_ceil(threads).max(1);
    let solos: Vec<Solo> = std::thread::scope(|scope| {
        let handles: Vec<_> = attacks
            .chunks(per)
            .enumerate()
            .map(|(c, chunk)| {
                scope.spawn(move || {
                    let mut arena = LeanArena::default();
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(k, a)| {
                            let s = solo(&mut arena, cfg, a, c * per + k);
                            done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            s
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stage-1 worker panicked"))
            .collect()
    });
    let kept = prune(&attacks, &solos, cfg.enhancement_percent);
    Pruned {
        attacks: kept.iter().map(|&i| attacks[i]).collect(),
        solos: kept.iter().map(|&i| solos[i]).collect(),
        tested: attacks.len(),
    }
}

/// The pruned attacks as the shards' catalogue ([`crate::catalogue`]).
pub fn catalogue(p: &Pruned) -> Catalogue {
    Catalogue {
        entries: p
            .attacks
            .iter()
            .zip(&p.solos)
            .map(|(a, s)| Entry {
                attack: *a,
                solo_avg: s.overall,
            })
            .collect(),
    }
}

/// Stage 2, a pair at a time, into shard files opened up front and closed
/// by [`Pairing::finish`].
pub struct Pairing {
    cfg: Config,
    pruned: Pruned,
    pairs: Vec<(u32, u32)>,
    next: usize,
    per_shard: usize,
    writers: Vec<Option<ShardWriter>>,
    paths: Vec<PathBuf>,
    pending: Vec<PairRecord>,
    lean: LeanArena,
    naive: NaiveArena,
}

impl Pairing {
    /// Samples the pairs, writes `attacks.tsv` and opens the shards in
    /// `dir` (which must not hold shards already).
    pub fn new(cfg: Config, pruned: Pruned, dir: &Path) -> io::Result<Pairing> {
        let mut pairs = sample_pairs(pruned.attacks.len(), cfg.sample_percent, cfg.seed);
        pairs.truncate(cfg.max_pairs);
        std::fs::create_dir_all(dir)?;
        catalogue(&pruned).write(&dir.join(crate::catalogue::FILE))?;
        let shards = cfg.shards.max(1);
        let per_shard = pairs.len().div_ceil(shards).max(1);
        let mut writers = Vec::new();
        let mut paths = Vec::new();
        for k in 0..shards {
            let n = pairs.len().saturating_sub(k * per_shard).min(per_shard);
            let path = dir.join(format!("stage2_shard_{k:03}.bin"));
            if path.exists() {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} exists; write pairs into an empty directory",
                        path.display()
                    ),
                ));
            }
            writers.push(Some(ShardWriter::create(&path, n as u64)?));
            paths.push(path);
        }
        Ok(Pairing {
            cfg,
            pruned,
            pairs,
            next: 0,
            per_shard,
            writers,
            paths,
            pending: Vec::new(),
            lean: LeanArena::default(),
            naive: NaiveArena::default(),
        })
    }

    /// Pairs to play.
    pub fn planned(&self) -> usize {
        self.pairs.len()
    }

    /// Pairs played.
    pub fn done(&self) -> usize {
        self.next
    }

    /// The pruned attack list.
    pub fn pruned(&self) -> &Pruned {
        &self.pruned
    }

    /// Plays up to `n` more pairs; returns how many.
    pub fn step(&mut self, n: usize) -> io::Result<usize> {
        let end = (self.next + n).min(self.pairs.len());
        for id in self.next..end {
            let (a, b) = self.pairs[id];
            let attacks = [
                &self.pruned.attacks[a as usize],
                &self.pruned.attacks[b as usize],
            ];
            let solos = [
                &self.pruned.solos[a as usize],
                &self.pruned.solos[b as usize],
            ];
            let mut r = match self.cfg.variant {
                Variant::Lean => {
                    evaluate_pair(&mut self.lean, &self.cfg, id as u64, attacks, solos)
                }
                Variant::Naive => {
                    evaluate_pair(&mut self.naive, &self.cfg, id as u64, attacks, solos)
                }
            };
            r.attacks = [a, b];
            let shard = id / self.per_shard;
            match self.cfg.variant {
                Variant::Lean => self.writers[shard]
                    .as_mut()
                    .expect("an open shard")
                    .write(&r)?,
                Variant::Naive => self.pending.push(r),
            }
            // Naive writes a shard's results when it is complete; lean
            // closes its shards in `finish`, outside the hot loop.
            let last_of_shard = id + 1 == ((shard + 1) * self.per_shard).min(self.pairs.len());
            if last_of_shard && self.cfg.variant == Variant::Naive {
                let mut w = self.writers[shard].take().expect("an open shard");
                for r in self.pending.drain(..) {
                    w.write(&r)?;
                }
                w.finish()?;
            }
        }
        let stepped = end - self.next;
        self.next = end;
        Ok(stepped)
    }

    /// Closes every shard (empty ones included); returns their paths.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        if self.next < self.pairs.len() {
            return Err(io::Error::other(format!(
                "{} of {} pairs played; shards would be short",
                self.next,
                self.pairs.len()
            )));
        }
        for w in self.writers.iter_mut().filter_map(Option::take) {
            w.finish()?;
        }
        Ok(self.paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shards::ShardReader;

    fn small() -> Config {
        Config {
            stride: 60,
            sample_percent: 0.05,
            shards: 3,
            ..Config::original()
        }
    }

    #[test]
    fn sampling_takes_the_originals_count_of_distinct_later_partners() {
        let pairs = sample_pairs(1000, 0.005, 42);
        // Later attacks 999 … 1: max(1, ⌊0.005 n⌋) each.
        let expected: usize = (1..1000)
            .map(|later| ((later as f64 * 0.005) as usize).max(1))
            .sum();
        assert_eq!(pairs.len(), expected);
        for w in pairs.windows(2) {
            assert!(w[0] < w[1], "ordered and distinct: {w:?}");
        }
        assert!(pairs.iter().all(|&(a, b)| a < b && b < 1000));
    }

    #[test]
    fn pruning_keeps_the_best_fifth_of_every_enhancement() {
        use crate::combat::data::UPGRADES;
        let attacks: Vec<Attack> = (0..10)
            .map(|i| Attack::new(AttackType::Ranged, &[i % 2], &[]))
            .chain([Attack::basic(AttackType::Ranged)])
            .collect();
        // Lower is better: attack i scores i.
        let solos: Vec<Solo> = (0..11)
            .map(|i| Solo {
                overall: i as f64,
                ..Solo::default()
            })
            .collect();
        let kept = prune(&attacks, &solos, 0.2);
        // Five with upgrade 0 (0,2,4,6,8) keep one; five with 1 keep one;
        // the bare attack has no enhancement and is never kept.
        assert_eq!(kept, vec![0, 1]);
        assert_eq!(UPGRADES[0].name, "power_attack");
    }

    #[test]
    fn stage2_never_lets_a_charge_up_attack_through() {
        let charger = Attack::new(AttackType::DirectDamage, &[], &[lim::CHARGE_UP]);
        let t = Traits::of(&charger);
        let mut arena = LeanArena::default();
        let (turns, usage) = play_pair(
            &mut arena,
            &mut Rng::new(1),
            [
                &Character::new([2, 2, 2, 2, 4]),
                &Character::new(PROFILES[0].stats),
            ],
            0,
            [&charger, &charger],
            [&t, &t],
            &[100],
            25,
        );
        assert_eq!((turns, usage), (25, [25, 0]));
        assert_eq!(arena.enemy(0).hp, 100);
    }

    #[test]
    fn a_pair_always_takes_the_higher_score_ties_to_the_first() {
        let area = Attack::basic(AttackType::DirectAreaDamage);
        let single = Attack::basic(AttackType::DirectDamage);
        let (ta, ts) = (Traits::of(&area), Traits::of(&single));
        // Five or more alive: area scores 100, single −50.
        assert!(ta.score(7, 10.0, 0, 0) > ts.score(7, 10.0, 0, 0));
        // One alive: single 50, area −30.
        assert!(ts.score(1, 100.0, 0, 1) > ta.score(1, 100.0, 0, 1));
        let mut arena = LeanArena::default();
        let me = Character::new([2, 2, 2, 2, 4]);
        let (_, usage) = play_pair(
            &mut arena,
            &mut Rng::new(1),
            [&me, &Character::new(PROFILES[1].stats)],
            1,
            [&single, &single],
            [&ts, &ts],
            &[100],
            25,
        );
        assert_eq!(usage[1], 0, "ties go to the first attack");
    }

    #[test]
    fn pairs_stream_to_shards_that_read_back_alike_in_both_variants() {
        let dir = tempfile::tempdir().unwrap();
        let pruned = stage1(&small(), 2);
        assert!(!pruned.attacks.is_empty());
        let mut records = Vec::new();
        for variant in [Variant::Lean, Variant::Naive] {
            let out = dir.path().join(variant.name());
            let mut p = Pairing::new(Config { variant, ..small() }, pruned.clone(), &out).unwrap();
            while p.step(7).unwrap() > 0 {}
            let planned = p.planned();
            let paths = p.finish().unwrap();
            assert_eq!(paths.len(), 3);
            let mut got = Vec::new();
            for path in &paths {
                let mut r = ShardReader::open(path).unwrap();
                let mut buf = vec![0u8; crate::shards::RECORD_SIZE];
                while let Some(rec) = r.next(path, &mut buf).unwrap() {
                    got.push(rec);
                }
            }
            assert_eq!(got.len(), planned);
            for (i, r) in got.iter().enumerate() {
                assert_eq!(r.pair_id, i as u64);
                assert!(r.overall_avg >= 1.0 && r.overall_avg <= 25.0, "{r:?}");
                assert!(r.usage()[0] + r.usage()[1] > 0);
            }
            assert!(out.join("attacks.tsv").exists());
            records.push(got);
        }
        assert_eq!(records[0], records[1]);
    }

    #[test]
    fn pairing_refuses_a_directory_with_shards() {
        let dir = tempfile::tempdir().unwrap();
        let pruned = stage1(&small(), 1);
        let p = Pairing::new(small(), pruned.clone(), dir.path()).unwrap();
        drop(p);
        let err = Pairing::new(small(), pruned, dir.path()).err().unwrap();
        assert!(err.to_string().contains("empty directory"), "{err}");
    }
}
