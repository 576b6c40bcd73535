//! The Vitality System's attack types, upgrades, limits and rules, as
//! `simulation_v2/src/game_data.py` defines them at its latest change
//! (commit `64dbf9b`, 2025-10-24, of the original repository). Order matters:
//! enumeration walks these tables in this order.

/// One of the six attack types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum AttackType {
    /// Melee, +tier accuracy.
    MeleeAc,
    /// Melee, +tier damage.
    MeleeDg,
    /// Ranged.
    Ranged,
    /// Area: hits every enemy, −tier accuracy and damage.
    Area,
    /// Auto-hit, base 15 damage, −tier.
    DirectDamage,
    /// Auto-hit on every enemy, base 15, −2×tier.
    DirectAreaDamage,
}

impl AttackType {
    /// All six, in the original's order.
    pub const ALL: [AttackType; 6] = [
        AttackType::MeleeAc,
        AttackType::MeleeDg,
        AttackType::Ranged,
        AttackType::Area,
        AttackType::DirectDamage,
        AttackType::DirectAreaDamage,
    ];

    /// The original's name.
    pub fn name(self) -> &'static str {
        match self {
            AttackType::MeleeAc => "melee_ac",
            AttackType::MeleeDg => "melee_dg",
            AttackType::Ranged => "ranged",
            AttackType::Area => "area",
            AttackType::DirectDamage => "direct_damage",
            AttackType::DirectAreaDamage => "direct_area_damage",
        }
    }

    /// Area attacks (upgrade and limit costs double for them).
    pub fn is_area(self) -> bool {
        matches!(self, AttackType::Area | AttackType::DirectAreaDamage)
    }

    /// Direct attacks (auto-hit, flat base damage).
    pub fn is_direct(self) -> bool {
        matches!(
            self,
            AttackType::DirectDamage | AttackType::DirectAreaDamage
        )
    }

    const ROLLED: [AttackType; 4] = [
        AttackType::MeleeAc,
        AttackType::MeleeDg,
        AttackType::Ranged,
        AttackType::Area,
    ];
    const SINGLE_ROLLED: [AttackType; 3] =
        [AttackType::MeleeAc, AttackType::MeleeDg, AttackType::Ranged];
}

/// An upgrade: name, cost, and the attack types it is allowed on (`None`: all).
#[derive(Clone, Copy, Debug)]
pub struct Upgrade {
    /// The original's name.
    pub name: &'static str,
    /// Point cost (doubled on area attacks).
    pub cost: u32,
    /// Attack types it may be used with; `None` for any.
    pub allowed: Option<&'static [AttackType]>,
    /// Forbidden on area attacks (`AOE_RESTRICTIONS`).
    pub not_on_area: bool,
}

const R: Option<&[AttackType]> = Some(&AttackType::ROLLED);
const S: Option<&[AttackType]> = Some(&AttackType::SINGLE_ROLLED);
const CULLING: Option<&[AttackType]> = Some(&[
    AttackType::MeleeAc,
    AttackType::MeleeDg,
    AttackType::Ranged,
    AttackType::DirectDamage,
]);

const fn up(
    name: &'static str,
    cost: u32,
    allowed: Option<&'static [AttackType]>,
    not_on_area: bool,
) -> Upgrade {
    Upgrade {
        name,
        cost,
        allowed,
        not_on_area,
    }
}

/// The 23 upgrades, in the original's order.
pub const UPGRADES: [Upgrade; 23] = [
    up("power_attack", 1, R, false),
    up("high_impact", 3, R, false),
    up("critical_effect", 2, R, false),
    up("armor_piercing", 3, R, false),
    up("brutal", 2, None, false),
    up("bleed", 3, None, false),
    up("powerful_critical", 2, R, false),
    up("double_tap", 3, S, true),
    up("finishing_blow_1", 2, None, false),
    up("extra_attack", 2, R, false),
    up("barrage", 2, None, false),
    up("minion_slayer", 2, R, false),
    up("captain_slayer", 2, R, false),
    up("elite_slayer", 2, R, false),
    up("boss_slayer", 2, R, false),
    up("accurate_attack", 1, R, false),
    up("reliable_accuracy", 2, R, false),
    up("overhit", 3, R, false),
    up("explosive_critical", 1, S, true),
    up("culling_strike", 3, CULLING, false),
    up("splinter", 3, S, true),
    up("ricochet", 2, S, true),
    up("channeled", 3, None, false),
];

/// A limit: name, cost, damage bonus and DC (for the unreliable ones).
#[derive(Clone, Copy, Debug)]
pub struct Limit {
    /// The original's name.
    pub name: &'static str,
    /// Point cost (doubled on area attacks).
    pub cost: u32,
    /// Bonus the limit grants while its condition holds.
    pub bonus: u32,
    /// DC of the d20 check (unreliable limits), else 0.
    pub dc: u32,
}

const fn lim(name: &'static str, cost: u32, bonus: u32, dc: u32) -> Limit {
    Limit {
        name,
        cost,
        bonus,
        dc,
    }
}

/// The 23 limits in play, in the original's order (`attrition` and
/// `infected` are commented out there and are left out here).
pub const LIMITS: [Limit; 23] = [
    lim("unreliable_1", 2, 1, 5),
    lim("unreliable_2", 3, 3, 10),
    lim("unreliable_3", 2, 6, 15),
    lim("quickdraw", 3, 4, 0),
    lim("patient", 2, 1, 0),
    lim("finale", 2, 2, 0),
    lim("charge_up", 3, 3, 0),
    lim("charge_up_2", 2, 4, 0),
    lim("cooldown", 1, 3, 0),
    lim("charges_1", 1, 6, 0),
    lim("charges_2", 1, 3, 0),
    lim("near_death", 1, 6, 0),
    lim("bloodied", 2, 3, 0),
    lim("timid", 1, 4, 0),
    lim("slaughter", 2, 3, 0),
    lim("relentless", 3, 1, 0),
    lim("combo_move", 2, 1, 0),
    lim("revenge", 3, 2, 0),
    lim("vengeful", 2, 1, 0),
    lim("untouchable", 1, 2, 0),
    lim("unbreakable", 1, 6, 0),
    lim("passive", 1, 1, 0),
    lim("careful", 1, 2, 0),
];

/// Groups of which a build may hold at most one, over upgrades and limits
/// together (names from both tables).
pub const MUTUAL_EXCLUSIONS: &[&[&str]] = &[
    &["double_tap", "explosive_critical", "ricochet"],
    &["powerful_critical", "explosive_critical"],
    &["unreliable_1", "unreliable_2", "unreliable_3"],
    &["quickdraw", "patient", "finale", "cooldown"],
    &["charge_up", "charge_up_2"],
    &["charges_1", "charges_2"],
    &[
        "minion_slayer",
        "captain_slayer",
        "elite_slayer",
        "boss_slayer",
    ],
    &["near_death", "bloodied", "timid"],
    &["slaughter", "relentless", "combo_move"],
    &[
        "revenge",
        "vengeful",
        "untouchable",
        "unbreakable",
        "careful",
    ],
    &["careful", "timid"],
    &["quickdraw", "timid", "careful"],
    &["quickdraw", "passive"],
    &["quickdraw", "charges_1", "charges_2"],
    &["cooldown", "charges_1", "charges_2"],
    &["timid", "charges_1", "charges_2"],
    &["culling_strike", "splinter", "explosive_critical"],
    &[
        "channeled",
        "charge_up",
        "charge_up_2",
        "charges_1",
        "charges_2",
    ],
];

/// Points per attack for each tier and archetype (`tier_archetype_levels`).
pub fn budget(tier: u32, archetype: super::Archetype) -> u32 {
    use super::Archetype::*;
    match (tier, archetype) {
        (3, Focused) => 6,
        (3, DualNatured) => 4,
        (3, VersatileMaster) => 2,
        (4, Focused) => 8,
        (4, DualNatured) => 6,
        (4, VersatileMaster) => 4,
        (5, Focused) => 10,
        (5, DualNatured) => 8,
        (5, VersatileMaster) => 6,
        _ => 2, // the original's fallback for other tiers
    }
}

/// The stat effects of an upgrade, as `game_data.py` gives them: tier
/// multiples, except the flat penalties of `reliable_accuracy`,
/// `armor_piercing` (accuracy) and `critical_effect` (damage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mods {
    /// Accuracy bonus.
    pub accuracy: i32,
    /// Damage bonus.
    pub damage: i32,
    /// Accuracy penalty.
    pub accuracy_penalty: i32,
    /// Damage penalty.
    pub damage_penalty: i32,
}

const fn m(accuracy: i32, damage: i32, accuracy_penalty: i32, damage_penalty: i32) -> Mods {
    Mods {
        accuracy,
        damage,
        accuracy_penalty,
        damage_penalty,
    }
}

/// Stat effects of each upgrade, in [`UPGRADES`] order.
pub const UPGRADE_MODS: [Mods; 23] = [
    m(0, 1, 1, 0), // power_attack
    m(0, 0, 0, 0), // high_impact
    m(0, 0, 0, 3), // critical_effect
    m(0, 0, 1, 0), // armor_piercing
    m(0, 0, 0, 0), // brutal
    m(0, 0, 0, 1), // bleed
    m(0, 0, 0, 0), // powerful_critical
    m(0, 0, 0, 0), // double_tap
    m(0, 0, 0, 0), // finishing_blow_1
    m(0, 0, 1, 1), // extra_attack
    m(0, 0, 2, 2), // barrage
    m(0, 0, 0, 0), // minion_slayer
    m(0, 0, 0, 0), // captain_slayer
    m(0, 0, 0, 0), // elite_slayer
    m(0, 0, 0, 0), // boss_slayer
    m(1, 0, 0, 1), // accurate_attack
    m(0, 0, 3, 0), // reliable_accuracy
    m(0, 0, 0, 0), // overhit
    m(0, 0, 2, 2), // explosive_critical
    m(0, 0, 0, 0), // culling_strike
    m(0, 0, 2, 2), // splinter
    m(0, 0, 0, 0), // ricochet
    m(0, 0, 0, 0), // channeled
];

/// Indices into [`UPGRADES`], by name.
pub mod up {
    /// `power_attack`.
    pub const POWER_ATTACK: u8 = 0;
    /// `high_impact`.
    pub const HIGH_IMPACT: u8 = 1;
    /// `critical_effect`.
    pub const CRITICAL_EFFECT: u8 = 2;
    /// `armor_piercing`.
    pub const ARMOR_PIERCING: u8 = 3;
    /// `brutal`.
    pub const BRUTAL: u8 = 4;
    /// `bleed`.
    pub const BLEED: u8 = 5;
    /// `powerful_critical`.
    pub const POWERFUL_CRITICAL: u8 = 6;
    /// `double_tap`.
    pub const DOUBLE_TAP: u8 = 7;
    /// `finishing_blow_1`.
    pub const FINISHING_BLOW_1: u8 = 8;
    /// `extra_attack`.
    pub const EXTRA_ATTACK: u8 = 9;
    /// `barrage`.
    pub const BARRAGE: u8 = 10;
    /// `minion_slayer`.
    pub const MINION_SLAYER: u8 = 11;
    /// `captain_slayer`.
    pub const CAPTAIN_SLAYER: u8 = 12;
    /// `elite_slayer`.
    pub const ELITE_SLAYER: u8 = 13;
    /// `boss_slayer`.
    pub const BOSS_SLAYER: u8 = 14;
    /// `accurate_attack`.
    pub const ACCURATE_ATTACK: u8 = 15;
    /// `reliable_accuracy`.
    pub const RELIABLE_ACCURACY: u8 = 16;
    /// `overhit`.
    pub const OVERHIT: u8 = 17;
    /// `explosive_critical`.
    pub const EXPLOSIVE_CRITICAL: u8 = 18;
    /// `culling_strike`.
    pub const CULLING_STRIKE: u8 = 19;
    /// `splinter`.
    pub const SPLINTER: u8 = 20;
    /// `ricochet`.
    pub const RICOCHET: u8 = 21;
    /// `channeled`.
    pub const CHANNELED: u8 = 22;
}

/// Indices into [`LIMITS`], by name.
pub mod lim {
    /// `unreliable_1`.
    pub const UNRELIABLE_1: u8 = 0;
    /// `unreliable_2`.
    pub const UNRELIABLE_2: u8 = 1;
    /// `unreliable_3`.
    pub const UNRELIABLE_3: u8 = 2;
    /// `quickdraw`.
    pub const QUICKDRAW: u8 = 3;
    /// `patient`.
    pub const PATIENT: u8 = 4;
    /// `finale`.
    pub const FINALE: u8 = 5;
    /// `charge_up`.
    pub const CHARGE_UP: u8 = 6;
    /// `charge_up_2`.
    pub const CHARGE_UP_2: u8 = 7;
    /// `cooldown`.
    pub const COOLDOWN: u8 = 8;
    /// `charges_1`.
    pub const CHARGES_1: u8 = 9;
    /// `charges_2`.
    pub const CHARGES_2: u8 = 10;
    /// `near_death`.
    pub const NEAR_DEATH: u8 = 11;
    /// `bloodied`.
    pub const BLOODIED: u8 = 12;
    /// `timid`.
    pub const TIMID: u8 = 13;
    /// `slaughter`.
    pub const SLAUGHTER: u8 = 14;
    /// `relentless`.
    pub const RELENTLESS: u8 = 15;
    /// `combo_move`.
    pub const COMBO_MOVE: u8 = 16;
    /// `revenge`.
    pub const REVENGE: u8 = 17;
    /// `vengeful`.
    pub const VENGEFUL: u8 = 18;
    /// `untouchable`.
    pub const UNTOUCHABLE: u8 = 19;
    /// `unbreakable`.
    pub const UNBREAKABLE: u8 = 20;
    /// `passive`.
    pub const PASSIVE: u8 = 21;
    /// `careful`.
    pub const CAREFUL: u8 = 22;
}

#[cfg(test)]
mod index_tests {
    use super::*;

    #[test]
    fn named_indices_point_at_their_entries() {
        assert_eq!(UPGRADES[up::POWER_ATTACK as usize].name, "power_attack");
        assert_eq!(UPGRADES[up::HIGH_IMPACT as usize].name, "high_impact");
        assert_eq!(
            UPGRADES[up::CRITICAL_EFFECT as usize].name,
            "critical_effect"
        );
        assert_eq!(UPGRADES[up::ARMOR_PIERCING as usize].name, "armor_piercing");
        assert_eq!(UPGRADES[up::BRUTAL as usize].name, "brutal");
        assert_eq!(UPGRADES[up::BLEED as usize].name, "bleed");
        assert_eq!(
            UPGRADES[up::POWERFUL_CRITICAL as usize].name,
            "powerful_critical"
        );
        assert_eq!(UPGRADES[up::DOUBLE_TAP as usize].name, "double_tap");
        assert_eq!(
            UPGRADES[up::FINISHING_BLOW_1 as usize].name,
            "finishing_blow_1"
        );
        assert_eq!(UPGRADES[up::EXTRA_ATTACK as usize].name, "extra_attack");
        assert_eq!(UPGRADES[up::BARRAGE as usize].name, "barrage");
        assert_eq!(UPGRADES[up::MINION_SLAYER as usize].name, "minion_slayer");
        assert_eq!(UPGRADES[up::CAPTAIN_SLAYER as usize].name, "captain_slayer");
        assert_eq!(UPGRADES[up::ELITE_SLAYER as usize].name, "elite_slayer");
        assert_eq!(UPGRADES[up::BOSS_SLAYER as usize].name, "boss_slayer");
        assert_eq!(
            UPGRADES[up::ACCURATE_ATTACK as usize].name,
            "accurate_attack"
        );
        assert_eq!(
            UPGRADES[up::RELIABLE_ACCURACY as usize].name,
            "reliable_accuracy"
        );
        assert_eq!(UPGRADES[up::OVERHIT as usize].name, "overhit");
        assert_eq!(
            UPGRADES[up::EXPLOSIVE_CRITICAL as usize].name,
            "explosive_critical"
        );
        assert_eq!(UPGRADES[up::CULLING_STRIKE as usize].name, "culling_strike");
        assert_eq!(UPGRADES[up::SPLINTER as usize].name, "splinter");
        assert_eq!(UPGRADES[up::RICOCHET as usize].name, "ricochet");
        assert_eq!(UPGRADES[up::CHANNELED as usize].name, "channeled");
        assert_eq!(LIMITS[lim::UNRELIABLE_1 as usize].name, "unreliable_1");
        assert_eq!(LIMITS[lim::UNRELIABLE_2 as usize].name, "unreliable_2");
        assert_eq!(LIMITS[lim::UNRELIABLE_3 as usize].name, "unreliable_3");
        assert_eq!(LIMITS[lim::QUICKDRAW as usize].name, "quickdraw");
        assert_eq!(LIMITS[lim::PATIENT as usize].name, "patient");
        assert_eq!(LIMITS[lim::FINALE as usize].name, "finale");
        assert_eq!(LIMITS[lim::CHARGE_UP as usize].name, "charge_up");
        assert_eq!(LIMITS[lim::CHARGE_UP_2 as usize].name, "charge_up_2");
        assert_eq!(LIMITS[lim::COOLDOWN as usize].name, "cooldown");
        assert_eq!(LIMITS[lim::CHARGES_1 as usize].name, "charges_1");
        assert_eq!(LIMITS[lim::CHARGES_2 as usize].name, "charges_2");
        assert_eq!(LIMITS[lim::NEAR_DEATH as usize].name, "near_death");
        assert_eq!(LIMITS[lim::BLOODIED as usize].name, "bloodied");
        assert_eq!(LIMITS[lim::TIMID as usize].name, "timid");
        assert_eq!(LIMITS[lim::SLAUGHTER as usize].name, "slaughter");
        assert_eq!(LIMITS[lim::RELENTLESS as usize].name, "relentless");
        assert_eq!(LIMITS[lim::COMBO_MOVE as usize].name, "combo_move");
        assert_eq!(LIMITS[lim::REVENGE as usize].name, "revenge");
        assert_eq!(LIMITS[lim::VENGEFUL as usize].name, "vengeful");
        assert_eq!(LIMITS[lim::UNTOUCHABLE as usize].name, "untouchable");
        assert_eq!(LIMITS[lim::UNBREAKABLE as usize].name, "unbreakable");
        assert_eq!(LIMITS[lim::PASSIVE as usize].name, "passive");
        assert_eq!(LIMITS[lim::CAREFUL as usize].name, "careful");
    }
}
