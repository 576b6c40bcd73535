//! Places in the workspace an annotation may point at: a file of the
//! workspace (never the registry, the standard library or the target
//! directory) and a line.

use std::path::{Path, PathBuf};

use allocguard::harness::Profile;

/// A place in the workspace: a path relative to its root, and a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// Relative to the workspace root, with `/`.
    pub file: String,
    /// 1-based.
    pub line: u32,
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// `file` (absolute, or relative to the workspace root as the compiler
/// names workspace members) as a path inside the workspace, unless it lies
/// outside it, in its target directory or a cargo home inside it, or is not
/// a file there: a debug-info path of the C library's sources
/// (`csu/../sysdeps/nptl/libc_start_call_main.h`) is relative too, and
/// names nothing in the workspace.
pub fn in_workspace(file: &str, root: &Path) -> Option<String> {
    let path = Path::new(file);
    if path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return None;
    }
    let abs: PathBuf = if path.is_absolute() {
        path.to_path_buf()
    } else {
        root.join(path)
    };
    let rel = abs.strip_prefix(root).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    if first == "target" || first.starts_with('.') {
        return None;
    }
    if !abs.is_file() {
        return None;
    }
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The first frame of the first violation of `profile` that is in the
/// workspace: the line of the user's code that allocated.
pub fn allocating_place(profile: &Profile, root: &Path) -> Option<Place> {
    profile
        .phases
        .iter()
        .find_map(|ph| phase_allocating_place(ph, root))
}

/// The same for one phase.
pub fn phase_allocating_place(
    phase: &allocguard::harness::PhaseProfile,
    root: &Path,
) -> Option<Place> {
    let offence = phase.first_violation.as_ref()?.violation.first.as_ref()?;
    offence.frames.iter().find_map(|f| {
        let file = in_workspace(f.file.as_deref()?, root)?;
        Some(Place {
            file,
            line: f.line?,
        })
    })
}

/// The line that declared the scenario, when it is in the workspace.
pub fn scenario_place(profile: &Profile, root: &Path) -> Option<Place> {
    Some(Place {
        file: in_workspace(profile.source_file.as_deref()?, root)?,
        line: profile.source_line?,
    })
}

/// The line of the busiest allocation site of a phase that recorded them,
/// when it is in the workspace: where a phase that allocates more than its
/// base allocates.
pub fn busiest_site_place(phase: &allocguard::harness::PhaseProfile, root: &Path) -> Option<Place> {
    let sites = phase.sites.as_ref()?;
    sites.sites.sites.iter().find_map(|site| {
        site.frames.iter().find_map(|f| {
            Some(Place {
                file: in_workspace(f.file.as_deref()?, root)?,
                line: f.line?,
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_workspace_files_are_places() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("tests")).unwrap();
        std::fs::write(root.join("tests/a.rs"), "").unwrap();
        let abs = root.join("tests/a.rs").display().to_string();
        assert_eq!(in_workspace(&abs, root).as_deref(), Some("tests/a.rs"));
        assert_eq!(
            in_workspace("tests/a.rs", root).as_deref(),
            Some("tests/a.rs")
        );
        assert_eq!(
            in_workspace(
                "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/serde_json-1.0.0/src/ser.rs",
                root
            ),
            None
        );
        assert_eq!(
            in_workspace("/rustc/abc/library/alloc/src/vec/mod.rs", root),
            None
        );
        let in_target = root.join("target/debug/build/x/out/gen.rs");
        assert_eq!(in_workspace(&in_target.display().to_string(), root), None);
        // glibc's own relative debug paths name nothing here (an annotation
        // pointed at this one).
        assert_eq!(
            in_workspace("csu/../sysdeps/nptl/libc_start_call_main.h", root),
            None
        );
        assert_eq!(in_workspace("src/missing.rs", root), None);
        assert_eq!(in_workspace("tests/../tests/a.rs", root), None);
    }
}
