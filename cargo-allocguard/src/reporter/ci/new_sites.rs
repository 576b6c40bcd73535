//! The sites that failed the `new_sites` gate, as the CI outputs say them:
//! an annotation at each allocating line, and a markdown list.

use std::path::Path;

use super::{escape_data, escape_prop, in_workspace, location_props, Place};
use crate::judge::compare::Comparison;
use crate::judge::site_diff::{self, SiteChange};

/// `scenario › phase: new: src/world.rs:42 in spawn, 1 allocation a tick`.
pub fn describe(sc: &SiteChange) -> String {
    format!("{} › {}: {}", sc.scenario, sc.phase, site_diff::line(sc))
}

/// One `::error` workflow command per site that failed `new_sites`, at its
/// allocating line when that is a file of the workspace.
pub fn annotations(c: &Comparison, root: &Path, repo_prefix: &str) -> String {
    let mut out = String::new();
    for sc in c.gated_sites() {
        let place = sc.file.as_deref().and_then(|f| {
            Some(Place {
                file: in_workspace(f, root)?,
                line: sc.line?,
            })
        });
        out.push_str(&format!(
            "::error {}title={}::{}\n",
            location_props(place, repo_prefix),
            escape_prop(&format!(
                "allocguard: a new allocation site in {} › {} ({} → {})",
                sc.scenario, sc.phase, c.pre.0, c.post.0
            )),
            escape_data(&describe(sc))
        ));
    }
    out
}

/// `**New allocation sites** …` with one item per site that failed
/// `new_sites`; empty when none did.
pub fn markdown(c: &Comparison) -> String {
    let mut s = String::new();
    for sc in c.gated_sites() {
        if s.is_empty() {
            s.push_str(
                "\n**New allocation sites** (`new_sites`: a hot or bounded phase allocates \
                 where its base did not)\n\n",
            );
        }
        s.push_str(&format!(
            "- `{}` › `{}`: {}\n",
            sc.scenario.replace('`', "'"),
            sc.phase.replace('`', "'"),
            site_diff::line(sc).replace('|', "\\|")
        ));
    }
    s
}
