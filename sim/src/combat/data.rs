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
