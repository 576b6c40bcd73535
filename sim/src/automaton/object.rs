//! The automaton's file and its objects: one JSON object per line, laid
//! out field for field as the original writes them; the kernel's automata;
//! the original's `load()` and `save()` rules; what counts as an automaton
//! file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

/// The kernel automata's states, by dimension.
pub(super) const STATES: [&str; 8] = [
    "identity",
    "successor",
    "pair",
    "addition",
    "network",
    "consensus",
    "intelligence",
    "quantum",
];
/// Self-reference patterns, by dimension (Church encodings).
pub(super) const REFERENCE_PATTERNS: [&str; 8] = [
    "Church Boolean/Identity (0D)",
    "Church Successor (1D)",
    "Church Pairs (2D)",
    "Church Algebra + Y-Combinator (3D)",
    "Network Topology (4D)",
    "Blockchain Consensus (5D)",
    "Neural Networks + Attention (6D)",
    "Quantum Computing (7D)",
];
/// Self-modification patterns, by dimension.
pub(super) const MODIFICATION_PATTERNS: [&str; 8] = [
    "Identity Evolution (0D)",
    "Successor Recursion (1D)",
    "Pair Restructuring (2D)",
    "Algebraic Transformation (3D)",
    "Network Rewiring (4D)",
    "Consensus Evolution (5D)",
    "Neural Evolution (6D)",
    "Quantum Evolution (7D)",
];
/// Topology patterns, by dimension.
pub(super) const TOPOLOGY_PATTERNS: [&str; 8] = [
    "Quantum Vacuum Topology (0D)",
    "Temporal Topology (1D)",
    "Bipartite Topology (2D)",
    "3-Manifold Structure (3D)",
    "Spacetime Structure (4D)",
    "Consensus Topology (5D)",
    "Intelligence Topology (6D)",
    "Quantum Superposition (7D)",
];

/// Writes a whole number without a decimal point (`-300`, not `-300.0`), as
/// JavaScript's `JSON.stringify` does.
fn js_number<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match *v {
        Some(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15 => {
            s.serialize_i64(x as i64)
        }
        Some(x) => s.serialize_f64(x),
        None => s.serialize_none(),
    }
}

/// One line of an automaton file. The fields the automaton writes are named,
/// in the original's order; any others are kept as read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Object {
    /// Identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `text` for what the runner writes; `automaton`, `vertical`, … in a kernel.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `modified`, `referencing`, `evolved`, or an automaton's state.
    #[serde(
        rename = "currentState",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub current_state: Option<String>,
    /// The dimension it belongs to.
    #[serde(
        rename = "dimensionalLevel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dimensional_level: Option<i64>,
    /// `{file, line, pattern}`.
    #[serde(
        rename = "selfReference",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub self_reference: Option<Value>,
    /// Canvas position.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub x: Option<f64>,
    /// Canvas position.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub y: Option<f64>,
    /// Canvas size.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub width: Option<f64>,
    /// Canvas size.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "js_number"
    )]
    pub height: Option<f64>,
    /// Colour, `"1"` to `"8"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Fields `sim` does not name, as read.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

impl Object {
    /// Whether this is a kernel automaton of dimension `d`.
    pub(super) fn is_automaton_of(&self, d: u8) -> bool {
        self.kind.as_deref() == Some("automaton") && self.dimensional_level == Some(i64::from(d))
    }

    /// Whether the runner made it (the objects the lean variant may trim).
    pub(super) fn is_runners(&self) -> bool {
        self.kind.as_deref() == Some("text")
            && matches!(
                self.current_state.as_deref(),
                Some("modified" | "referencing" | "evolved")
            )
    }
}

/// The kernel's automaton of dimension `d`.
pub(super) fn kernel_automaton(d: u8, path: &Path) -> Object {
    Object {
        id: Some(format!("{d}D-automaton")),
        kind: Some("automaton".into()),
        current_state: Some(STATES[d as usize].into()),
        dimensional_level: Some(i64::from(d)),
        self_reference: Some(serde_json::json!({
            "file": path.to_string_lossy(),
            "line": usize::from(d) + 1,
            "pattern": STATES[d as usize],
        })),
        ..Object::default()
    }
}

/// `sim`'s snippet for an object: Scheme-like lines about `kind` in
/// dimension `d`, `len` characters.
pub(super) fn snippet(kind: &str, d: u8, len: usize) -> String {
    let mut s = format!(";; {d}D {kind}\n");
    let mut k = 0;
    while s.len() < len {
        s.push_str(&format!(
            "(define {kind}-{d}-{k} (lambda (x) (compose x (step-{d} x))))\n"
        ));
        k += 1;
    }
    s.truncate(len);
    s
}

/// The original's save: one object per id, at the place of its last copy,
/// with its first copy's fields; objects without an id are all kept.
pub(super) fn dedup_for_save(objects: Vec<Object>) -> Vec<Object> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, o) in objects.iter().enumerate() {
        if let Some(id) = o.id.as_deref() {
            first.entry(id).or_insert(i);
            last.insert(id, i);
        }
    }
    let mut keep = Vec::with_capacity(last.len());
    for (i, o) in objects.iter().enumerate() {
        match o.id.as_deref() {
            None => keep.push(o.clone()),
            Some(id) if last[id] == i => keep.push(objects[first[id]].clone()),
            Some(_) => {}
        }
    }
    keep
}

/// Reads an automaton file as the original's `load()` does: lines trimmed,
/// only those that start with `{` and end with `}` parsed, lines that do not
/// parse skipped, and each id's latest line kept, at its place.
pub fn load(path: &Path) -> std::io::Result<Vec<Object>> {
    let mut out: Vec<Object> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for line in BufReader::new(File::open(path)?).lines() {
        let line = line?;
        let line = line.trim();
        if !(line.starts_with('{') && line.ends_with('}')) {
            continue;
        }
        let Ok(o) = serde_json::from_str::<Object>(line) else {
            continue;
        };
        if let Some(id) = &o.id {
            if let Some(old) = at.remove(id) {
                out.remove(old);
                for v in at.values_mut() {
                    if *v > old {
                        *v -= 1;
                    }
                }
            }
            at.insert(id.clone(), out.len());
        }
        out.push(o);
    }
    Ok(out)
}

/// Refuses a file that is not an automaton file: empty, not UTF-8, or a line
/// that is neither blank, an `@` header, nor a JSON object with an `id` and a
/// `type`. The error names the file and the line, and says what to do.
pub fn check_file(path: &Path) -> std::io::Result<()> {
    let refuse = |why: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "{}: {why}; `sim automaton --file` continues automaton files only \
                 (JSON objects with an id and a type, one per line) and leaves \
                 others as they are: name a new path, or an automaton file",
                path.display()
            ),
        )
    };
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| refuse("not UTF-8 text".into()))?;
    let mut objects = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('@') {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .map_err(|_| refuse(format!("line {} is not a JSON object", n + 1)))?;
        let ok = v.get("id").is_some_and(Value::is_string) && v.get("type").is_some();
        if !ok {
            return Err(refuse(format!(
                "line {} is not an automaton object (no id or no type)",
                n + 1
            )));
        }
        objects += 1;
    }
    if objects == 0 {
        return Err(refuse("it holds no objects".into()));
    }
    Ok(())
}
