//! Characters, compact attacks and what one attack reports back.

use super::builds::Build;
use super::data::{lim, up, AttackType, LIMITS, UPGRADES, UPGRADE_MODS};

/// A combatant's stats (`models.py` `Character`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Character {
    /// Adds to accuracy.
    pub focus: i32,
    /// Adds to damage.
    pub power: i32,
    /// Adds to avoidance.
    pub mobility: i32,
    /// Adds to durability.
    pub endurance: i32,
    /// Tier: scales most bonuses.
    pub tier: i32,
    /// Maximum HP (what slayers compare against).
    pub max_hp: i32,
}

impl Character {
    /// `[focus, power, mobility, endurance, tier]` with 100 HP.
    pub const fn new(stats: [i32; 5]) -> Character {
        Character {
            focus: stats[0],
            power: stats[1],
            mobility: stats[2],
            endurance: stats[3],
            tier: stats[4],
            max_hp: 100,
        }
    }

    /// 10 + tier + mobility.
    pub fn avoidance(&self) -> i32 {
        10 + self.tier + self.mobility
    }

    /// 5 + tier + endurance.
    pub fn durability(&self) -> i32 {
        5 + self.tier + self.endurance
    }
}

/// One attack build in eight bytes: its type, a bit per upgrade and up to
/// two limits in the build's order (the order limits are checked in).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attack {
    /// The attack type.
    pub kind: AttackType,
    upgrades: u32,
    limits: [u8; 2],
    n_limits: u8,
}

impl Attack {
    /// The attack type with no upgrade and no limit (the basic attack a
    /// failed limit falls back to, and the enemies' ranged attack).
    pub const fn basic(kind: AttackType) -> Attack {
        Attack {
            kind,
            upgrades: 0,
            limits: [0; 2],
            n_limits: 0,
        }
    }

    /// An attack from upgrade and limit indices ([`UPGRADES`], [`LIMITS`]).
    ///
    /// # Panics
    /// With more than two limits or an index out of the tables.
    pub fn new(kind: AttackType, upgrades: &[u8], limits: &[u8]) -> Attack {
        assert!(limits.len() <= 2, "a build has at most two limits");
        let mut a = Attack::basic(kind);
        for &u in upgrades {
            assert!((u as usize) < UPGRADES.len(), "no upgrade {u}");
            a.upgrades |= 1 << u;
        }
        for (i, &l) in limits.iter().enumerate() {
            assert!((l as usize) < LIMITS.len(), "no limit {l}");
            a.limits[i] = l;
        }
        a.n_limits = limits.len() as u8;
        a
    }

    /// Whether it has upgrade `u` (an index from [`up`]).
    #[inline]
    pub fn has(&self, u: u8) -> bool {
        self.upgrades & (1 << u) != 0
    }

    /// Whether it has limit `l` (an index from [`lim`]).
    #[inline]
    pub fn has_limit(&self, l: u8) -> bool {
        self.limits().contains(&l)
    }

    /// Its limits, in build order.
    #[inline]
    pub fn limits(&self) -> &[u8] {
        &self.limits[..self.n_limits as usize]
    }

    /// Its upgrade indices, increasing.
    pub fn upgrades(&self) -> impl Iterator<Item = u8> + '_ {
        let mut bits = self.upgrades;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let u = bits.trailing_zeros() as u8;
            bits &= bits - 1;
            Some(u)
        })
    }

    /// How many upgrades it has.
    pub fn upgrade_count(&self) -> u32 {
        self.upgrades.count_ones()
    }

    /// Area attacks hit every living enemy.
    pub fn is_area(&self) -> bool {
        self.kind.is_area()
    }

    /// Point cost, doubled on area attacks.
    pub fn cost(&self) -> u32 {
        let raw: u32 = self
            .upgrades()
            .map(|u| UPGRADES[u as usize].cost)
            .sum::<u32>()
            + self
                .limits()
                .iter()
                .map(|&l| LIMITS[l as usize].cost)
                .sum::<u32>();
        if self.is_area() {
            2 * raw
        } else {
            raw
        }
    }

    /// The names of its upgrades, in table order.
    pub fn upgrade_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.upgrades().map(|u| UPGRADES[u as usize].name)
    }

    /// The names of its limits, in build order.
    pub fn limit_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.limits().iter().map(|&l| LIMITS[l as usize].name)
    }

    /// The names of its upgrades then its limits.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.upgrade_names().chain(self.limit_names())
    }

    /// `melee_dg + power_attack, brutal | charges_1`, as [`Build::label`].
    pub fn label(&self) -> String {
        let mut s = self.kind.name().to_string();
        let ups: Vec<&str> = self.upgrade_names().collect();
        if !ups.is_empty() {
            s.push_str(" + ");
            s.push_str(&ups.join(", "));
        }
        let lims: Vec<&str> = self.limit_names().collect();
        if !lims.is_empty() {
            s.push_str(" | ");
            s.push_str(&lims.join(", "));
        }
        s
    }

    /// The accuracy modifiers that do not depend on the situation: type,
    /// upgrades (flat penalties for `reliable_accuracy` and
    /// `armor_piercing`), melee_ac's +tier and every limit's bonus.
    pub(crate) fn static_accuracy(&self, tier: i32) -> i32 {
        let mut acc = if self.kind == AttackType::Area {
            -tier
        } else {
            0
        };
        for u in self.upgrades() {
            let m = UPGRADE_MODS[u as usize];
            acc += m.accuracy * tier;
            if u == up::RELIABLE_ACCURACY || u == up::ARMOR_PIERCING {
                acc -= m.accuracy_penalty;
            } else {
                acc -= m.accuracy_penalty * tier;
            }
        }
        if self.kind == AttackType::MeleeAc {
            acc += tier;
        }
        acc + self.limit_bonus(tier)
    }

    /// The flat damage bonus that does not depend on the situation: tier,
    /// power, the type's modifier on dice attacks, melee_dg's +tier,
    /// upgrades (a flat penalty for `critical_effect`) and limits.
    pub(crate) fn static_damage(&self, c: &Character) -> i32 {
        let tier = c.tier;
        let mut flat = tier + c.power;
        if self.kind == AttackType::Area {
            // The one dice attack with a damage modifier; direct attacks
            // carry theirs in the base damage.
            flat -= tier;
        }
        if self.kind == AttackType::MeleeDg {
            flat += tier;
        }
        for u in self.upgrades() {
            let m = UPGRADE_MODS[u as usize];
            flat += m.damage * tier;
            if u == up::CRITICAL_EFFECT {
                flat -= m.damage_penalty;
            } else {
                flat -= m.damage_penalty * tier;
            }
        }
        flat + self.limit_bonus(tier)
    }

    fn limit_bonus(&self, tier: i32) -> i32 {
        self.limits()
            .iter()
            .map(|&l| LIMITS[l as usize].bonus as i32 * tier)
            .sum()
    }

    /// Whether a 15-19 also crits (`double_tap`, `powerful_critical`,
    /// `explosive_critical`, `ricochet`).
    pub(crate) fn crits_on_15(&self) -> bool {
        self.has(up::DOUBLE_TAP)
            || self.has(up::POWERFUL_CRITICAL)
            || self.has(up::EXPLOSIVE_CRITICAL)
            || self.has(up::RICOCHET)
    }

    /// Whether it has a charge-up limit.
    pub(crate) fn charges_up(&self) -> bool {
        self.has_limit(lim::CHARGE_UP) || self.has_limit(lim::CHARGE_UP_2)
    }
}

impl From<&Build> for Attack {
    fn from(b: &Build) -> Attack {
        Attack::new(b.attack, &b.upgrades, &b.limits)
    }
}

/// What an attack left behind besides damage (`conditions_applied`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conds(u16);

impl Conds {
    /// A limit failed: fall back to a basic attack.
    pub const BASIC: Conds = Conds(1);
    /// A charge-up limit is unmet: the turn is spent charging.
    pub const CHARGE: Conds = Conds(1 << 1);
    /// Bleed for one turn.
    pub const BLEED: Conds = Conds(1 << 2);
    /// Finishing blow at 5 HP or less.
    pub const FINISHING: Conds = Conds(1 << 3);
    /// Culling strike at a fifth of max HP or less.
    pub const CULLING: Conds = Conds(1 << 4);
    /// Splinter: a kill triggers another attack.
    pub const SPLINTER: Conds = Conds(1 << 5);
    /// Explosive critical: splash every other enemy.
    pub const EXPLOSIVE: Conds = Conds(1 << 6);
    /// Ricochet (the original only records it).
    pub const RICOCHET: Conds = Conds(1 << 7);

    /// Whether `c` is among them.
    #[inline]
    pub fn has(self, c: Conds) -> bool {
        self.0 & c.0 != 0
    }

    /// Adds `c`.
    #[inline]
    pub fn add(&mut self, c: Conds) {
        self.0 |= c.0;
    }

    /// No condition at all.
    #[inline]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The result of one attack: damage after durability, conditions, and
/// whether it hit (`make_attack`'s three return values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Strike {
    /// Damage dealt, after durability.
    pub damage: i32,
    /// Conditions applied.
    pub conds: Conds,
    /// The accuracy check passed (or the attack was direct).
    pub hit: bool,
}

impl Strike {
    /// No attack: a miss or a failed unreliable check.
    pub const NONE: Strike = Strike {
        damage: 0,
        conds: Conds(0),
        hit: false,
    };
    /// A limit failed.
    pub const BASIC: Strike = Strike {
        damage: 0,
        conds: Conds::BASIC,
        hit: false,
    };
    /// Charging instead of attacking.
    pub const CHARGE: Strike = Strike {
        damage: 0,
        conds: Conds::CHARGE,
        hit: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combat::builds::enumerate;

    #[test]
    fn an_attack_keeps_what_its_build_has() {
        for b in enumerate(4, &AttackType::ALL) {
            let a = Attack::from(&b);
            assert_eq!(a.cost(), b.cost(), "{}", b.label());
            assert_eq!(a.label(), b.label());
            assert_eq!(a.names().collect::<Vec<_>>(), b.names().collect::<Vec<_>>());
        }
    }

    #[test]
    fn static_modifiers_follow_the_tables() {
        let c = Character::new([2, 2, 2, 2, 4]);
        // power_attack: +1×tier damage, −1×tier accuracy.
        let a = Attack::new(AttackType::Ranged, &[up::POWER_ATTACK], &[]);
        assert_eq!(a.static_accuracy(4), -4);
        assert_eq!(a.static_damage(&c), 4 + 2 + 4);
        // reliable_accuracy and armor_piercing: flat −3 and −1.
        let a = Attack::new(
            AttackType::MeleeAc,
            &[up::RELIABLE_ACCURACY, up::ARMOR_PIERCING],
            &[],
        );
        assert_eq!(a.static_accuracy(4), 4 - 3 - 1);
        // critical_effect: flat −3 damage; area: −tier both.
        let a = Attack::new(AttackType::Area, &[up::CRITICAL_EFFECT], &[lim::CHARGES_1]);
        assert_eq!(a.static_accuracy(4), -4 + 6 * 4);
        assert_eq!(a.static_damage(&c), 4 + 2 - 4 - 3 + 6 * 4);
        // melee_dg: +tier damage; direct attacks keep their modifier in the base.
        assert_eq!(Attack::basic(AttackType::MeleeDg).static_damage(&c), 10);
        assert_eq!(
            Attack::basic(AttackType::DirectAreaDamage).static_damage(&c),
            6
        );
    }

    #[test]
    fn avoidance_and_durability() {
        let c = Character::new([2, 2, 2, 2, 4]);
        assert_eq!((c.avoidance(), c.durability()), (16, 11));
    }
}
