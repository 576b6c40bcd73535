//! The layering check every crate of this workspace runs on its own
//! sources (`tests/layers.rs`, `cargo-allocguard/tests/layers.rs`,
//! `sim/tests/layers.rs` include this file).
//!
//! A crate declares its top-level modules bottom up. The check reads every
//! `.rs` file under `src/` (tests, `#[cfg(test)] mod tests` and comments left
//! out), finds the modules each one refers to (`crate::a::b`, `super::x`,
//! `self::x` paths, and the names in `use …::{…}` lists; a name re-exported
//! by a module with `pub use` is followed to the module that defines it), and
//! fails on:
//!
//! - a **back-arrow**: a module referring to a top-level module declared
//!   above its own, or to the crate root (`lib.rs`/`main.rs` are the top);
//! - a **circle**: modules referring to each other, directly or through
//!   others, inside a folder or across folders;
//! - a top-level module the order does not list.
//!
//! `pub use` lines re-export; they are not a dependency of the module that
//! holds them (a folder's `mod.rs` re-exports its files).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One source file: its module path (`judge::gates`; `` for the root) and
/// its code, comments and test modules removed.
#[derive(Clone, Debug)]
pub struct Module {
    pub path: String,
    pub code: String,
}

/// The module path of a file under `src/`: `lib.rs` → ``, `a.rs` → `a`,
/// `a/mod.rs` → `a`, `a/b.rs` → `a::b`. `None` for files of `src/bin/`
/// (other crates) and for test modules.
pub fn module_path(rel: &Path) -> Option<String> {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.first().is_some_and(|p| p == "bin") {
        return None;
    }
    let mut segs: Vec<String> = parts[..parts.len() - 1].to_vec();
    let file = parts.last()?.strip_suffix(".rs")?.to_string();
    if !(file == "mod" || (segs.is_empty() && (file == "lib" || file == "main"))) {
        segs.push(file);
    }
    if segs.iter().any(|s| s == "tests") {
        return None;
    }
    Some(segs.join("::"))
}

/// The code of a file without comments and without its test module.
pub fn strip(text: &str) -> String {
    let code = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    code.lines()
        .map(|l| match l.find("//") {
            // `"https://…"`: a `//` inside a string cuts the line; what
            // follows it on that line is not read, which only loses paths.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module of the crate whose sources are in `src`.
pub fn read_crate(src: &Path) -> Vec<Module> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src).unwrap();
                if let Some(path) = module_path(rel) {
                    let text = std::fs::read_to_string(&p).unwrap();
                    out.push(Module {
                        path,
                        code: strip(&text),
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Splits `a, b::{c, d}, e` at its top-level commas.
fn split_list(list: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0usize, 0usize, Vec::new());
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out
}

/// The paths a use-tree or expression path starting at `text` names,
/// each as its segments (`crate::a::{b, c::D}` → `a::b`, `a::c::D`),
/// with how many characters of `text` it spans.
fn paths_at(text: &str) -> (Vec<Vec<String>>, usize) {
    let mut segs: Vec<String> = Vec::new();
    let mut i = 0;
    let bytes = text.as_bytes();
    loop {
        let rest = &text[i..];
        if let Some(inner) = rest.strip_prefix('{') {
            // Find the matching brace.
            let mut depth = 1;
            let mut end = inner.len();
            for (k, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let mut out = Vec::new();
            for item in split_list(&inner[..end]) {
                let item = item.trim();
                if item.is_empty() || item == "self" {
                    out.push(segs.clone());
                    continue;
                }
                let (subs, _) = paths_at(item);
                for s in subs {
                    let mut p = segs.clone();
                    p.extend(s);
                    out.push(p);
                }
            }
            return (out, i + 1 + end + 1);
        }
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            break;
        }
        i += ident.len();
        segs.push(ident);
        if text[i..].starts_with("::") && i + 2 <= bytes.len() {
            i += 2;
        } else {
            break;
        }
    }
    (vec![segs], i)
}

/// The module `segs` (relative to the crate root) lands in: the longest
/// prefix that is a module, followed through `pub use` re-exports.
fn resolve(
    segs: &[String],
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<(String, String), Vec<String>>,
    depth: usize,
) -> String {
    let mut at = String::new();
    for (k, s) in segs.iter().enumerate() {
        let next = if at.is_empty() {
            s.clone()
        } else {
            format!("{at}::{s}")
        };
        if modules.contains(&next) {
            at = next;
            continue;
        }
        if let Some(target) = reexports.get(&(at.clone(), s.clone())) {
            if depth < 8 {
                let mut full = target.clone();
                full.extend(segs[k + 1..].iter().cloned());
                return resolve(&full, modules, reexports, depth + 1);
            }
        }
        break;
    }
    at
}

/// Absolute segments for a path written in module `m` starting with
/// `crate`, `super` or `self`; `None` for other paths.
fn absolute(m: &str, segs: &[String]) -> Option<Vec<String>> {
    let mut base: Vec<String> = if m.is_empty() {
        Vec::new()
    } else {
        m.split("::").map(str::to_string).collect()
    };
    let mut rest = segs;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Every `crate::…`, `super::…` and `self::…` path in `code`, and whether it
/// sits on a `pub use` line (a re-export).
fn written_paths(code: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let trimmed = stmt.trim_start();
        let reexport = trimmed.starts_with("pub use ") || trimmed.starts_with("pub(crate) use ");
        let mut k = 0;
        while k < stmt.len() {
            let rest = &stmt[k..];
            let hit = ["crate::", "super::", "self::"]
                .iter()
                .filter_map(|p| rest.find(p).map(|i| (i, *p)))
                .min();
            let Some((i, _)) = hit else { break };
            let before = stmt[..k + i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                k += i + 1;
                continue;
            }
            let (paths, span) = paths_at(&stmt[k + i..]);
            for p in paths {
                out.push((p, reexport));
            }
            k += i + span.max(1);
        }
    }
    out
}

/// Module → the modules it refers to.
pub fn graph(modules: &[Module]) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<String> = modules.iter().map(|m| m.path.clone()).collect();
    let mut reexports: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for m in modules {
        for (segs, reexport) in written_paths(&m.code) {
            if !reexport {
                continue;
            }
            if let Some(abs) = absolute(&m.path, &segs) {
                if let Some(last) = abs.last() {
                    reexports.insert((m.path.clone(), last.clone()), abs.clone());
                }
            }
        }
        // `pub use child::Item;` in a folder's mod.rs names a child
        // without `self::`.
        for stmt in m.code.split(';') {
            let t = stmt.trim_start();
            let body = t
                .strip_prefix("pub use ")
                .or_else(|| t.strip_prefix("pub(crate) use "));
            let Some(body) = body else { continue };
            let (paths, _) = paths_at(body.trim());
            for p in paths {
                let first = p.first().cloned().unwrap_or_default();
                let child = if m.path.is_empty() {
                    first.clone()
                } else {
                    format!("{}::{first}", m.path)
                };
                if names.contains(&child) {
                    let mut abs: Vec<String> = child.split("::").map(str::to_string).collect();
                    abs.extend(p[1..].iter().cloned());
                    if let Some(last) = abs.last() {
                        reexports.insert((m.path.clone(), last.clone()), abs.clone());
                    }
                }
            }
        }
    }
    let mut g = BTreeMap::new();
    for m in modules {
        let mut deps = BTreeSet::new();
        for (segs, reexport) in written_paths(&m.code) {
            if reexport {
                continue;
            }
            let Some(abs) = absolute(&m.path, &segs) else {
                continue;
            };
            let target = resolve(&abs, &names, &reexports, 0);
            if target != m.path {
                deps.insert(target);
            }
        }
        g.insert(m.path.clone(), deps);
    }
    g
}

/// A circle through `start`, if there is one.
pub fn cycle(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for d in g.get(&m).into_iter().flatten() {
            if d == start {
                let mut p = path.clone();
                p.push(d.clone());
                return Some(p);
            }
            if seen.insert(d.clone()) {
                let mut p = path.clone();
                p.push(d.clone());
                stack.push((d.clone(), p));
            }
        }
    }
    None
}

fn top(m: &str) -> &str {
    m.split("::").next().unwrap_or("")
}

fn shown(m: &str) -> &str {
    if m.is_empty() {
        "the crate root"
    } else {
        m
    }
}

/// What is wrong with `modules` layered as `order` (top-level modules,
/// bottom first): back-arrows, circles, unlisted modules. Empty: layered.
pub fn problems(modules: &[Module], order: &[&str]) -> Vec<String> {
    let g = graph(modules);
    let rank = |m: &str| order.iter().position(|o| *o == top(m));
    let mut out = Vec::new();
    for m in g.keys() {
        if !m.is_empty() && rank(m).is_none() {
            out.push(format!(
                "`{}` is not in the layer order: add it where it belongs",
                top(m)
            ));
        }
    }
    out.dedup();
    for (m, deps) in &g {
        for d in deps {
            if d.is_empty() && !m.is_empty() {
                out.push(format!(
                    "back-arrow: {m} refers to the crate root, which is the top layer"
                ));
                continue;
            }
            if m.is_empty() || top(m) == top(d) {
                continue;
            }
            if let (Some(rm), Some(rd)) = (rank(m), rank(d)) {
                if rd > rm {
                    out.push(format!(
                        "back-arrow: {m} refers to {d}, but `{}` is layered above `{}`",
                        top(d),
                        top(m)
                    ));
                }
            }
        }
    }
    let mut circles = BTreeSet::new();
    for m in g.keys() {
        if let Some(c) = cycle(&g, m) {
            // One report per circle, whichever module it starts at.
            let mut members: Vec<String> = c[..c.len() - 1].to_vec();
            members.sort();
            if circles.insert(members) {
                let c: Vec<&str> = c.iter().map(|s| shown(s)).collect();
                out.push(format!("circle: {}", c.join(" → ")));
            }
        }
    }
    out
}

/// Panics, listing every problem, unless the crate at `src` is layered as
/// `order` says.
pub fn assert_layered(src: &Path, order: &[&str]) {
    let modules = read_crate(src);
    assert!(
        modules.len() > 5,
        "read {} modules of {}",
        modules.len(),
        src.display()
    );
    let p = problems(&modules, order);
    assert!(
        p.is_empty(),
        "{} is not layered as declared ({}, bottom first):\n{}",
        src.display(),
        order.join(" < "),
        p.join("\n")
    );
}

/// Modules from (path, code) pairs, for the checker's own tests.
pub fn modules(files: &[(&str, &str)]) -> Vec<Module> {
    files
        .iter()
        .map(|(p, c)| Module {
            path: p.to_string(),
            code: strip(c),
        })
        .collect()
}

/// The checker's own tests: it finds what it promises to find.
pub fn self_test() {
    // Layered: store below judge, the root on top.
    let good = modules(&[
        ("", "mod store; mod judge; use crate::judge::verdict;"),
        ("store", "pub use self::rows::Row;"),
        ("store::rows", "pub struct Row;"),
        ("judge", "pub use verdict::Verdict;"),
        (
            "judge::verdict",
            "use crate::store::Row; use super::gates::Gate; pub struct Verdict;",
        ),
        ("judge::gates", "use crate::store::{self, rows::Row};"),
    ]);
    assert_eq!(problems(&good, &["store", "judge"]), Vec::<String>::new());
    let g = graph(&good);
    assert_eq!(
        g["judge::verdict"],
        BTreeSet::from(["store::rows".to_string(), "judge::gates".to_string()]),
        "a re-exported name is followed to its module"
    );

    // A back-arrow: the store reaches up into the judge.
    let back = modules(&[
        ("store", ""),
        ("store::rows", "use crate::judge::Verdict;"),
        ("judge", "pub use verdict::Verdict;"),
        ("judge::verdict", "use crate::store::rows;"),
    ]);
    let p = problems(&back, &["store", "judge"]);
    assert!(
        p.iter()
            .any(|l| l == "back-arrow: store::rows refers to judge::verdict, but `judge` is layered above `store`"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l == "circle: judge::verdict → store::rows → judge::verdict"),
        "{p:?}"
    );

    // A circle inside one folder, through `super::`.
    let circle = modules(&[
        ("judge", ""),
        ("judge::a", "use super::b::x;"),
        ("judge::b", "fn f() { super::c::y(); }"),
        ("judge::c", "use crate::judge::a::z;"),
    ]);
    assert_eq!(
        problems(&circle, &["judge"]),
        ["circle: judge::a → judge::b → judge::c → judge::a"]
    );

    // The root is the top; an unlisted folder is said.
    let root = modules(&[("", "pub struct Output;"), ("extra", "use crate::Output;")]);
    assert_eq!(
        problems(&root, &[]),
        [
            "`extra` is not in the layer order: add it where it belongs",
            "back-arrow: extra refers to the crate root, which is the top layer",
        ]
    );

    // Tests and comments are not read.
    let quiet = modules(&[
        (
            "a",
            "// use crate::b::x;\n#[cfg(test)]\nmod tests { use crate::b::y; }",
        ),
        ("b", "use crate::a::x;"),
    ]);
    assert_eq!(problems(&quiet, &["a", "b"]), Vec::<String>::new());
    assert_eq!(
        module_path(Path::new("judge/gates.rs")).as_deref(),
        Some("judge::gates")
    );
    assert_eq!(
        module_path(Path::new("judge/mod.rs")).as_deref(),
        Some("judge")
    );
    assert_eq!(module_path(Path::new("lib.rs")).as_deref(), Some(""));
    assert_eq!(module_path(Path::new("bin/sim/main.rs")), None);
    assert_eq!(module_path(Path::new("automaton/tests.rs")), None);
}
