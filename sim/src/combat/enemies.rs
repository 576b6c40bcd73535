//! The enemies both originals fight, in one table: the build tester
//! (`combat`) and `simulation_v3`'s stage 2 (`pairs`) play the same four
//! groups, of the same hit points. Enemies share the defender's stats and
//! differ only in HP.
//!
//! Where the originals differ, on purpose, it is said here:
//!
//! - **Order.** The build tester's `configs/config.json` lists each group
//!   smallest enemy first; `simulation_v3` lists the same enemies largest
//!   first. The order decides which enemy a single-target attack strikes,
//!   so each simulation keeps its original's ([`BUILD_TESTER`],
//!   [`SIMULATION_V3`]: the one is the other reversed, a test checks it).
//! - **A name.** The build tester's third group is "Swarm 1";
//!   `simulation_v3` calls it "Swarm" (its reports print that name).
//! - **The defender's stats.** The build tester fights one defender,
//!   [`BUILD_TESTER_STATS`], as strong as its attacker; `simulation_v3`
//!   fights two defensive profiles ([`SIMULATION_V3_PROFILES`]: Evasive and
//!   Tanky), each with the attacker's focus and power and all its mobility or
//!   all its endurance.

/// One enemy group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct EnemyGroup {
    /// The original's name.
    pub name: &'static str,
    /// Each enemy's HP, in targeting order.
    pub hps: &'static [i32],
}

impl EnemyGroup {
    /// Total HP of the group.
    pub fn pool(&self) -> i32 {
        self.hps.iter().sum()
    }
}

/// `a` in the other order.
const fn reversed<const N: usize>(a: [i32; N]) -> [i32; N] {
    let mut out = a;
    let mut i = 0;
    while i < N {
        out[i] = a[N - 1 - i];
        i += 1;
    }
    out
}

/// The groups' hit points, smallest enemy first.
const BOSS: [i32; 1] = [100];
const MIXED: [i32; 3] = [25, 25, 50];
const SWARM_1: [i32; 7] = [10, 10, 10, 10, 10, 25, 25];
const SWARM_2: [i32; 6] = [10, 10, 10, 10, 10, 50];

/// The same, largest first.
const MIXED_LARGEST_FIRST: [i32; 3] = reversed(MIXED);
const SWARM_1_LARGEST_FIRST: [i32; 7] = reversed(SWARM_1);
const SWARM_2_LARGEST_FIRST: [i32; 6] = reversed(SWARM_2);

/// The build tester's four scenarios (`configs/config.json`), in its order.
pub const BUILD_TESTER: [EnemyGroup; 4] = [
    EnemyGroup {
        name: "Boss",
        hps: &BOSS,
    },
    EnemyGroup {
        name: "Mixed",
        hps: &MIXED,
    },
    EnemyGroup {
        name: "Swarm 1",
        hps: &SWARM_1,
    },
    EnemyGroup {
        name: "Swarm 2",
        hps: &SWARM_2,
    },
];

/// Stage 2's scenarios: the build tester's groups in `simulation_v3`'s
/// enemy order (largest first) and names.
pub const SIMULATION_V3: [EnemyGroup; 4] = [
    EnemyGroup {
        name: "Boss",
        hps: &BOSS,
    },
    EnemyGroup {
        name: "Mixed",
        hps: &MIXED_LARGEST_FIRST,
    },
    EnemyGroup {
        name: "Swarm",
        hps: &SWARM_1_LARGEST_FIRST,
    },
    EnemyGroup {
        name: "Swarm 2",
        hps: &SWARM_2_LARGEST_FIRST,
    },
];

/// The build tester's attacker and defender: `[focus, power, mobility,
/// endurance, tier]`.
pub const BUILD_TESTER_STATS: [i32; 5] = [2, 2, 2, 2, 4];

/// A defensive profile of `simulation_v3`: the enemies' stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Profile {
    /// The original's name.
    pub name: &'static str,
    /// `[focus, power, mobility, endurance, tier]`.
    pub stats: [i32; 5],
}

/// `simulation_v3/config.json`'s two profiles.
pub const SIMULATION_V3_PROFILES: [Profile; 2] = [
    Profile {
        name: "Evasive",
        stats: [2, 2, 4, 0, 4],
    },
    Profile {
        name: "Tanky",
        stats: [2, 2, 0, 4, 4],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_originals_fight_the_same_enemies_in_their_own_order() {
        for (tester, v3) in BUILD_TESTER.iter().zip(&SIMULATION_V3) {
            let mut a = tester.hps.to_vec();
            a.reverse();
            assert_eq!(a, v3.hps, "{} is {} largest first", v3.name, tester.name);
            assert_eq!(tester.pool(), v3.pool());
        }
        let names: Vec<&str> = SIMULATION_V3.iter().map(|g| g.name).collect();
        assert_eq!(names, ["Boss", "Mixed", "Swarm", "Swarm 2"]);
        // SIM_SPEC's Batch rule: Boss [100]; Mixed [25,25,50]; Swarm 1
        // [10×5,25,25]; Swarm 2 [10×5,50].
        assert_eq!(BUILD_TESTER[2].hps, [10, 10, 10, 10, 10, 25, 25]);
        assert_eq!(SIMULATION_V3[3].hps, [50, 10, 10, 10, 10, 10]);
    }
}
