//! The runner's seven actions, and the rule that picks one each
//! iteration: by iteration first, then by dimension.

/// An action of the runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Action {
    /// Append a modification object.
    SelfModify,
    /// Replace the objects with the file's (`load()`).
    SelfIo,
    /// Count the automata (read only).
    ValidateSelf,
    /// Read the execution history (read only; it is empty).
    SelfTrain,
    /// Append a self-reference object.
    SelfReference,
    /// Two dimensions on; append a topology object.
    Evolve,
    /// Dimension back to 0 (never reached: see the module docs).
    SelfObserve,
}

impl Action {
    /// All seven, in [`AutomatonResult::actions`](crate::automaton::AutomatonResult::actions) order.
    pub const ALL: [Action; 7] = [
        Action::SelfModify,
        Action::SelfIo,
        Action::ValidateSelf,
        Action::SelfTrain,
        Action::SelfReference,
        Action::Evolve,
        Action::SelfObserve,
    ];

    /// The original's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Action::SelfModify => "self-modify",
            Action::SelfIo => "self-io",
            Action::ValidateSelf => "validate-self",
            Action::SelfTrain => "self-train",
            Action::SelfReference => "self-reference",
            Action::Evolve => "evolve",
            Action::SelfObserve => "self-observe",
        }
    }
}

/// The action for iteration `i` in dimension `d`; `draw` gives the one
/// random number the dimension rule needs (drawn only then).
pub fn choose(i: u64, d: u8, draw: impl FnOnce() -> f64) -> Action {
    if i.is_multiple_of(20) {
        return Action::SelfModify;
    }
    if i.is_multiple_of(15) {
        return Action::SelfIo;
    }
    if i.is_multiple_of(10) {
        return Action::ValidateSelf;
    }
    if i.is_multiple_of(8) {
        return Action::SelfTrain;
    }
    let (threshold, action) = match d {
        0 => (0.7, Action::SelfReference),
        2 => (0.6, Action::SelfModify),
        4 => (0.5, Action::SelfIo),
        6 => (0.4, Action::SelfTrain),
        7 => (0.3, Action::SelfObserve),
        _ => return Action::Evolve,
    };
    if draw() > threshold {
        action
    } else {
        Action::Evolve
    }
}
