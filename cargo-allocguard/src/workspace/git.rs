//! What git says of the workspace: its revision (for the run file and the
//! phase log) and where it sits in its repository (for annotation paths).

use std::path::Path;

/// `git rev-parse --short HEAD`; with uncommitted changes to tracked files,
/// `-dirty-` and a hash of `git diff HEAD`.
pub fn git_rev(root: &Path) -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short", "HEAD"]) {
        Some(rev) if !rev.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                // Runs of one uncommitted state are repeats of each other;
                // an edit between two runs makes them two revisions.
                let diff = git(&["diff", "HEAD"]).unwrap_or_default();
                format!(
                    "{rev}-dirty-{:08x}",
                    crate::workspace::partition::fnv1a(&diff) as u32
                )
            } else {
                rev
            }
        }
        _ => "unknown".to_string(),
    }
}

/// Where the workspace sits in its git repository: `""` at the root,
/// `engine/` below it (what `git rev-parse --show-prefix` says).
pub fn repo_prefix(root: &Path) -> String {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Runs git in `dir`; its trimmed standard output, or what it said.
fn git_in(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run git: {e}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "git {} failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The full commit id `rev` names in the repository holding `dir`.
pub fn commit_of(dir: &Path, rev: &str) -> anyhow::Result<String> {
    git_in(
        dir,
        &["rev-parse", "--verify", &format!("{rev}^{{commit}}")],
    )
    .map_err(|e| {
        e.context(format!(
            "`{rev}` is no commit of this repository (a shallow clone? check out with \
             `fetch-depth: 0`)"
        ))
    })
}

/// The root of the repository holding `dir`.
pub fn toplevel(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    git_in(dir, &["rev-parse", "--show-toplevel"]).map(Into::into)
}

/// A checkout of `commit` at `at` (a detached worktree of the repository
/// holding `dir`), removed when dropped.
pub struct Worktree {
    repo: std::path::PathBuf,
    /// Where it is checked out.
    pub path: std::path::PathBuf,
}

impl Worktree {
    /// Checks `commit` out at `at`, which must not exist yet.
    pub fn add(dir: &Path, commit: &str, at: &Path) -> anyhow::Result<Worktree> {
        let repo = toplevel(dir)?;
        git_in(
            &repo,
            &[
                "worktree",
                "add",
                "--detach",
                &at.display().to_string(),
                commit,
            ],
        )?;
        Ok(Worktree {
            repo,
            path: at.to_path_buf(),
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git_in(
            &self.repo,
            &[
                "worktree",
                "remove",
                "--force",
                &self.path.display().to_string(),
            ],
        );
    }
}

/// The branch a new repository's pushes go to: the remote's default branch
/// when it says (`origin/HEAD`), else the one checked out, else `init.
/// defaultBranch`, else `main`.
pub fn default_branch(dir: &Path) -> String {
    if let Ok(head) = git_in(
        dir,
        &["symbolic-ref", "--short", "refs/remotes/origin/HEAD"],
    ) {
        if let Some(branch) = head.strip_prefix("origin/") {
            return branch.to_string();
        }
    }
    if let Ok(branch) = git_in(dir, &["symbolic-ref", "--short", "HEAD"]) {
        if !branch.is_empty() {
            return branch;
        }
    }
    git_in(dir, &["config", "init.defaultBranch"])
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "main".to_string())
}
