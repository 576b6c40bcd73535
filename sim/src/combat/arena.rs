//! Where a combat keeps its state: the enemies, the combat-state flags and
//! counters the limits read, the cooldown and charge histories, and the
//! per-target results of an area attack.
//!
//! The rules (`strike`, `fight`) are written once against the [`Arena`]
//! trait, so both variants play the same combat with the same random draws:
//!
//! - [`LeanArena`] holds everything in fixed arrays inside one struct that
//!   a worker reuses for every combat: no heap operation at all.
//! - [`NaiveArena`] keeps the original's shapes: a fresh enemy list with a
//!   bleed-stack list each, a combat-state map with string keys (cloned for
//!   every test attack, as `copy.deepcopy` does), a cooldown map, a charge
//!   history list and a fresh result list per area attack.

use std::collections::HashMap;

use super::attack::Strike;

/// Most enemies a combat can have (the largest scenario has 7).
pub const MAX_ENEMIES: usize = 8;

/// A combat-state flag (`combat_state[...]` in the original).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// An enemy carrying a defeat mark was dead at the end of last turn.
    DefeatedEnemyLastTurn,
    /// The attacker dealt damage last turn (and did not charge).
    DealtDamageLastTurn,
    /// Last turn's single target is this turn's as well.
    HitSameTargetLastTurn,
    /// An enemy attack hit and did damage last turn.
    WasDamagedLastTurn,
    /// An enemy attack hit last turn.
    WasHitLastTurn,
    /// Enemies attacked last turn and all missed.
    AllAttacksMissedLastTurn,
    /// An enemy hit last turn but durability absorbed it all.
    WasHitNoDamageLastTurn,
}

impl Flag {
    /// The original's key.
    pub fn key(self) -> &'static str {
        match self {
            Flag::DefeatedEnemyLastTurn => "defeated_enemy_last_turn",
            Flag::DealtDamageLastTurn => "dealt_damage_last_turn",
            Flag::HitSameTargetLastTurn => "hit_same_target_last_turn",
            Flag::WasDamagedLastTurn => "was_damaged_last_turn",
            Flag::WasHitLastTurn => "was_hit_last_turn",
            Flag::AllAttacksMissedLastTurn => "all_attacks_missed_last_turn",
            Flag::WasHitNoDamageLastTurn => "was_hit_no_damage_last_turn",
        }
    }
}

/// A combat-state counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Count {
    /// Consecutive turns a channeled attack was made.
    ChanneledTurns,
    /// Uses of `charges_1` this combat.
    Charges1Used,
    /// Uses of `charges_2` this combat.
    Charges2Used,
    /// Damage bonus from a passive build's empower action.
    EmpowerBonus,
    /// Last turn's single target, −1 for none.
    LastTargetHit,
}

impl Count {
    /// The original's key.
    pub fn key(self) -> &'static str {
        match self {
            Count::ChanneledTurns => "channeled_turns",
            Count::Charges1Used => "charges_used.charges_1",
            Count::Charges2Used => "charges_used.charges_2",
            Count::EmpowerBonus => "empower_bonus",
            Count::LastTargetHit => "last_target_hit",
        }
    }

    fn default_value(self) -> i32 {
        if self == Count::LastTargetHit {
            -1
        } else {
            0
        }
    }
}

/// The flags and counters limits read. `Clone` is the original's
/// `copy.deepcopy` for test attacks.
pub trait CombatState: Clone {
    /// A flag's value.
    fn flag(&self, f: Flag) -> bool;
    /// Sets a flag.
    fn set_flag(&mut self, f: Flag, on: bool);
    /// A counter's value.
    fn count(&self, c: Count) -> i32;
    /// Sets a counter.
    fn set_count(&mut self, c: Count, v: i32);
}

/// When the `cooldown` limit was last used (the original's
/// `cooldown_history`, shared even with test attacks).
pub trait Cooldowns {
    /// The turn it was last used on.
    fn last_used(&self) -> Option<i32>;
    /// Marks it used on `turn`.
    fn mark(&mut self, turn: i32);
}

impl Cooldowns for Option<i32> {
    fn last_used(&self) -> Option<i32> {
        *self
    }
    fn mark(&mut self, turn: i32) {
        *self = Some(turn);
    }
}

impl Cooldowns for HashMap<String, i32> {
    fn last_used(&self) -> Option<i32> {
        self.get("cooldown").copied()
    }
    fn mark(&mut self, turn: i32) {
        self.insert("cooldown".to_string(), turn);
    }
}

/// The last two entries of the charge history (what the limits read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChargeView {
    /// Entries recorded, at most 2.
    pub len: u8,
    /// Charged last turn.
    pub last: bool,
    /// Charged the turn before.
    pub prev: bool,
}

/// The per-target results of one area attack.
pub trait HitList: Default {
    /// Appends target `i`'s result.
    fn push(&mut self, i: usize, s: Strike);
    /// How many.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The `k`-th: target index and result.
    fn get(&self, k: usize) -> (usize, Strike);
}

/// One enemy as the rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnemyView {
    /// Current HP.
    pub hp: i32,
    /// Maximum HP.
    pub max_hp: i32,
}

/// Storage for one combat at a time.
pub trait Arena {
    /// Flags and counters.
    type State: CombatState;
    /// Cooldown history.
    type Cooldown: Cooldowns;
    /// Area-attack results.
    type Hits: HitList;

    /// Starts a combat against enemies with these HPs.
    fn reset(&mut self, hps: &[i32]);
    /// The combat state and the cooldown history.
    fn parts(&mut self) -> (&mut Self::State, &mut Self::Cooldown);
    /// The combat state.
    fn state(&self) -> &Self::State;
    /// The last two charge-history entries.
    fn charge_view(&self) -> ChargeView;
    /// Records whether this turn was spent charging (keeps the last 2).
    fn push_charge(&mut self, charged: bool);
    /// How many enemies.
    fn enemy_count(&self) -> usize;
    /// Enemy `i`.
    fn enemy(&self, i: usize) -> EnemyView;
    /// Sets enemy `i`'s HP.
    fn set_hp(&mut self, i: usize, hp: i32);
    /// Runs enemy `i`'s bleed stacks for one turn; returns the damage.
    fn tick_bleed(&mut self, i: usize) -> i32;
    /// Replaces enemy `i`'s bleed stacks with one stack.
    fn set_bleed(&mut self, i: usize, damage: i32, turns: i32);
    /// Whether enemy `i` has bleed stacks.
    fn has_bleed(&self, i: usize) -> bool;
    /// Marks enemy `i` defeated by a basic attack (`defeated_this_turn`,
    /// which the original never clears).
    fn mark_defeated(&mut self, i: usize);
    /// Whether enemy `i` carries that mark.
    fn marked_defeated(&self, i: usize) -> bool;
}

/// An area attack's targets: each living enemy's index and max HP, in
/// order, in place.
#[derive(Clone, Copy, Debug)]
pub struct Targets {
    items: [(usize, i32); MAX_ENEMIES],
    n: usize,
}

impl Targets {
    /// The living enemies of `arena`.
    pub fn living<A: Arena>(arena: &A) -> Targets {
        let mut t = Targets {
            items: [(0, 0); MAX_ENEMIES],
            n: 0,
        };
        for i in 0..arena.enemy_count() {
            let e = arena.enemy(i);
            if e.hp > 0 {
                t.items[t.n] = (i, e.max_hp);
                t.n += 1;
            }
        }
        t
    }

    /// Index and max HP of each.
    pub fn as_slice(&self) -> &[(usize, i32)] {
        &self.items[..self.n]
    }
}

// ---------------------------------------------------------------- lean

/// Flags in a bit set and counters in an array.
#[derive(Clone, Copy, Debug)]
pub struct LeanState {
    flags: u8,
    counts: [i32; 5],
}

impl Default for LeanState {
    fn default() -> Self {
        LeanState {
            flags: 0,
            counts: [0, 0, 0, 0, -1],
        }
    }
}

impl CombatState for LeanState {
    #[inline]
    fn flag(&self, f: Flag) -> bool {
        self.flags & (1 << f as u8) != 0
    }
    #[inline]
    fn set_flag(&mut self, f: Flag, on: bool) {
        if on {
            self.flags |= 1 << f as u8;
        } else {
            self.flags &= !(1 << f as u8);
        }
    }
    #[inline]
    fn count(&self, c: Count) -> i32 {
        self.counts[c as usize]
    }
    #[inline]
    fn set_count(&mut self, c: Count, v: i32) {
        self.counts[c as usize] = v;
    }
}

/// Up to [`MAX_ENEMIES`] results in place.
#[derive(Clone, Copy, Debug, Default)]
pub struct FixedHits {
    n: usize,
    items: [(u8, Strike); MAX_ENEMIES],
}

impl HitList for FixedHits {
    #[inline]
    fn push(&mut self, i: usize, s: Strike) {
        self.items[self.n] = (i as u8, s);
        self.n += 1;
    }
    #[inline]
    fn len(&self) -> usize {
        self.n
    }
    #[inline]
    fn get(&self, k: usize) -> (usize, Strike) {
        let (i, s) = self.items[k];
        (i as usize, s)
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct LeanEnemy {
    hp: i32,
    max_hp: i32,
    /// One bleed stack (damage, turns left); the rules only ever keep one.
    bleed: Option<(i32, i32)>,
    marked: bool,
}

/// Everything in one struct, reused for every combat: no heap operation.
#[derive(Clone, Debug, Default)]
pub struct LeanArena {
    enemies: [LeanEnemy; MAX_ENEMIES],
    n: usize,
    state: LeanState,
    cooldown: Option<i32>,
    charge: ChargeView,
}

impl Arena for LeanArena {
    type State = LeanState;
    type Cooldown = Option<i32>;
    type Hits = FixedHits;

    fn reset(&mut self, hps: &[i32]) {
        assert!(hps.len() <= MAX_ENEMIES, "at most {MAX_ENEMIES} enemies");
        for (e, &hp) in self.enemies.iter_mut().zip(hps) {
            *e = LeanEnemy {
                hp,
                max_hp: hp,
                bleed: None,
                marked: false,
            };
        }
        self.n = hps.len();
        self.state = LeanState::default();
        self.cooldown = None;
        self.charge = ChargeView::default();
    }
    fn parts(&mut self) -> (&mut LeanState, &mut Option<i32>) {
        (&mut self.state, &mut self.cooldown)
    }
    fn state(&self) -> &LeanState {
        &self.state
    }
    fn charge_view(&self) -> ChargeView {
        self.charge
    }
    fn push_charge(&mut self, charged: bool) {
        self.charge = ChargeView {
            len: (self.charge.len + 1).min(2),
            last: charged,
            prev: self.charge.last,
        };
    }
    fn enemy_count(&self) -> usize {
        self.n
    }
    #[inline]
    fn enemy(&self, i: usize) -> EnemyView {
        let e = &self.enemies[i];
        EnemyView {
            hp: e.hp,
            max_hp: e.max_hp,
        }
    }
    #[inline]
    fn set_hp(&mut self, i: usize, hp: i32) {
        self.enemies[i].hp = hp;
    }
    fn tick_bleed(&mut self, i: usize) -> i32 {
        let e = &mut self.enemies[i];
        match e.bleed {
            Some((damage, left)) if left > 0 => {
                e.bleed = Some((damage, left - 1));
                damage
            }
            Some(_) => {
                e.bleed = None;
                0
            }
            None => 0,
        }
    }
    fn set_bleed(&mut self, i: usize, damage: i32, turns: i32) {
        self.enemies[i].bleed = Some((damage, turns));
    }
    fn has_bleed(&self, i: usize) -> bool {
        self.enemies[i].bleed.is_some()
    }
    fn mark_defeated(&mut self, i: usize) {
        self.enemies[i].marked = true;
    }
    fn marked_defeated(&self, i: usize) -> bool {
        self.enemies[i].marked
    }
}

// --------------------------------------------------------------- naive

/// A map from the original's keys to values, as the Python dict.
#[derive(Clone, Debug, Default)]
pub struct NaiveState {
    map: HashMap<String, i32>,
}

impl CombatState for NaiveState {
    fn flag(&self, f: Flag) -> bool {
        self.map.get(f.key()).is_some_and(|&v| v != 0)
    }
    fn set_flag(&mut self, f: Flag, on: bool) {
        self.map.insert(f.key().to_string(), i32::from(on));
    }
    fn count(&self, c: Count) -> i32 {
        self.map
            .get(c.key())
            .copied()
            .unwrap_or_else(|| c.default_value())
    }
    fn set_count(&mut self, c: Count, v: i32) {
        self.map.insert(c.key().to_string(), v);
    }
}

impl HitList for Vec<(usize, Strike)> {
    fn push(&mut self, i: usize, s: Strike) {
        Vec::push(self, (i, s));
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn get(&self, k: usize) -> (usize, Strike) {
        self[k]
    }
}

#[derive(Clone, Debug)]
struct NaiveEnemy {
    hp: i32,
    max_hp: i32,
    bleed_stacks: Vec<(i32, i32)>,
    defeated_this_turn: bool,
}

/// The original's shapes, built fresh for every combat.
#[derive(Clone, Debug, Default)]
pub struct NaiveArena {
    enemies: Vec<NaiveEnemy>,
    state: NaiveState,
    cooldown: HashMap<String, i32>,
    charge_history: Vec<bool>,
}

impl Arena for NaiveArena {
    type State = NaiveState;
    type Cooldown = HashMap<String, i32>;
    type Hits = Vec<(usize, Strike)>;

    fn reset(&mut self, hps: &[i32]) {
        self.enemies = hps
            .iter()
            .map(|&hp| NaiveEnemy {
                hp,
                max_hp: hp,
                bleed_stacks: Vec::new(),
                defeated_this_turn: false,
            })
            .collect();
        let mut state = NaiveState::default();
        for f in [
            Flag::DefeatedEnemyLastTurn,
            Flag::DealtDamageLastTurn,
            Flag::HitSameTargetLastTurn,
            Flag::WasDamagedLastTurn,
            Flag::WasHitLastTurn,
            Flag::AllAttacksMissedLastTurn,
            Flag::WasHitNoDamageLastTurn,
        ] {
            state.set_flag(f, false);
        }
        state.set_count(Count::ChanneledTurns, 0);
        state.set_count(Count::LastTargetHit, -1);
        self.state = state;
        self.cooldown = HashMap::new();
        self.charge_history = Vec::new();
    }
    fn parts(&mut self) -> (&mut NaiveState, &mut HashMap<String, i32>) {
        (&mut self.state, &mut self.cooldown)
    }
    fn state(&self) -> &NaiveState {
        &self.state
    }
    fn charge_view(&self) -> ChargeView {
        let h = &self.charge_history;
        ChargeView {
            len: h.len().min(2) as u8,
            last: h.last().copied().unwrap_or(false),
            prev: h.len() >= 2 && h[h.len() - 2],
        }
    }
    fn push_charge(&mut self, charged: bool) {
        self.charge_history.push(charged);
        if self.charge_history.len() > 2 {
            self.charge_history.remove(0);
        }
    }
    fn enemy_count(&self) -> usize {
        self.enemies.len()
    }
    fn enemy(&self, i: usize) -> EnemyView {
        let e = &self.enemies[i];
        EnemyView {
            hp: e.hp,
            max_hp: e.max_hp,
        }
    }
    fn set_hp(&mut self, i: usize, hp: i32) {
        self.enemies[i].hp = hp;
    }
    fn tick_bleed(&mut self, i: usize) -> i32 {
        // In place, as the original: keep the stacks with turns left.
        let stacks = &mut self.enemies[i].bleed_stacks;
        let mut total = 0;
        let mut active = 0;
        for j in 0..stacks.len() {
            let (damage, left) = stacks[j];
            if left > 0 {
                total += damage;
                stacks[active] = (damage, left - 1);
                active += 1;
            }
        }
        stacks.truncate(active);
        total
    }
    fn set_bleed(&mut self, i: usize, damage: i32, turns: i32) {
        self.enemies[i].bleed_stacks = vec![(damage, turns)];
    }
    fn has_bleed(&self, i: usize) -> bool {
        !self.enemies[i].bleed_stacks.is_empty()
    }
    fn mark_defeated(&mut self, i: usize) {
        self.enemies[i].defeated_this_turn = true;
    }
    fn marked_defeated(&self, i: usize) -> bool {
        self.enemies[i].defeated_this_turn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bleed_lasts<A: Arena + Default>(turns: i32) -> Vec<i32> {
        let mut a = A::default();
        a.reset(&[100]);
        a.set_bleed(0, 7, turns);
        (0..4).map(|_| a.tick_bleed(0)).collect()
    }

    #[test]
    fn a_bleed_stack_deals_its_damage_for_its_turns_then_expires() {
        // (damage, 1): one tick of damage, then kept at 0 turns and dropped.
        assert_eq!(bleed_lasts::<LeanArena>(1), [7, 0, 0, 0]);
        assert_eq!(bleed_lasts::<NaiveArena>(1), [7, 0, 0, 0]);
        // Stage 2's two-turn bleed.
        assert_eq!(bleed_lasts::<LeanArena>(2), [7, 7, 0, 0]);
        assert_eq!(bleed_lasts::<NaiveArena>(2), [7, 7, 0, 0]);
    }

    #[test]
    fn charge_history_keeps_the_last_two_turns() {
        fn run<A: Arena + Default>() -> Vec<ChargeView> {
            let mut a = A::default();
            a.reset(&[10]);
            [true, false, true]
                .iter()
                .map(|&c| {
                    a.push_charge(c);
                    a.charge_view()
                })
                .collect()
        }
        let lean = run::<LeanArena>();
        assert_eq!(lean, run::<NaiveArena>());
        assert_eq!(
            lean[2],
            ChargeView {
                len: 2,
                last: true,
                prev: false
            }
        );
    }

    #[test]
    fn both_states_start_alike() {
        let mut lean = LeanArena::default();
        let mut naive = NaiveArena::default();
        lean.reset(&[10, 25]);
        naive.reset(&[10, 25]);
        for c in [
            Count::ChanneledTurns,
            Count::Charges1Used,
            Count::Charges2Used,
            Count::EmpowerBonus,
            Count::LastTargetHit,
        ] {
            assert_eq!(lean.state().count(c), naive.state().count(c), "{c:?}");
        }
        assert_eq!(lean.state().count(Count::LastTargetHit), -1);
    }
}
