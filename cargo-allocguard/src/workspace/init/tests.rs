use super::*;

const MANIFEST: &str = "# my crate\n[package]\nname = \"game\"   # the name\nversion = \"0.1.0\"\n\n[dependencies]\nitoa = \"1\" # fast\n";

#[test]
fn the_manifest_gains_the_target_and_the_dependency_and_keeps_its_formatting() {
    let (text, added) = edit_manifest(MANIFEST, Some(value("0.1.0"))).unwrap();
    assert!(
        text.starts_with(MANIFEST),
        "the user's lines are kept as they were:\n{text}"
    );
    assert!(
        text.contains("[[test]]\nname = \"allocguard\"\nharness = false\n"),
        "{text}"
    );
    assert!(
        text.contains("[dev-dependencies]\nallocguard = \"0.1.0\"\n"),
        "{text}"
    );
    assert_eq!(added.len(), 2);
    // Twice: nothing more to add.
    let (again, added) = edit_manifest(&text, Some(value("0.1.0"))).unwrap();
    assert_eq!((again, added.len()), (text, 0));
}

#[test]
fn the_release_profile_gains_line_tables_unless_it_sets_debug() {
    let (text, added) = edit_release_profile(MANIFEST).unwrap();
    assert!(text.starts_with(MANIFEST), "{text}");
    assert!(
        text.ends_with("\n[profile.release]\ndebug = \"line-tables-only\"\n"),
        "{text}"
    );
    assert!(added.unwrap().contains("line-tables-only"));
    for set in ["debug = true", "debug = 0", "debug = \"full\""] {
        let m = format!("{MANIFEST}\n[profile.release]\nlto = true\n{set}\n");
        assert_eq!(edit_release_profile(&m).unwrap(), (m.clone(), None));
    }
    // A profile table that exists gains the key where it is.
    let m = format!("{MANIFEST}\n[profile.release]\nlto = true\n");
    let (text, _) = edit_release_profile(&m).unwrap();
    assert!(
        text.ends_with("[profile.release]\nlto = true\ndebug = \"line-tables-only\"\n"),
        "{text}"
    );
}

#[test]
fn the_example_scenario_is_named_after_its_package() {
    let t = scenarios_for("physics");
    assert!(t.contains("Scenario::new(\"physics/steady\")"), "{t}");
    assert!(!t.contains("example/steady"));
}

#[test]
fn a_test_target_of_that_name_with_libtests_harness_is_refused() {
    let m = format!("{MANIFEST}\n[[test]]\nname = \"allocguard\"\n");
    let e = edit_manifest(&m, None).unwrap_err();
    assert!(e.to_string().contains("needs `harness = false`"), "{e}");
}

#[test]
fn the_workflow_names_its_branch_action_and_directory() {
    let at_root = WorkflowSite {
        rel: "",
        branch: "main",
        action: "allocguard/allocguard@main",
    };
    assert_eq!(workflow_for(&at_root), WORKFLOW_TEMPLATE);
    let w = workflow_for(&WorkflowSite {
        rel: "engine/core",
        branch: "master",
        action: "o/allocguard@0123abc",
    });
    assert!(w.contains("    branches: [master]\n"), "{w}");
    assert!(w.contains("      - uses: o/allocguard@0123abc\n"), "{w}");
    assert_eq!(
        w.matches("working-directory: engine/core").count(),
        1,
        "{w}"
    );
    assert!(
        w.contains("rust-cache@v2\n        with:\n          workspaces: engine/core\n"),
        "{w}"
    );
    assert_eq!(
        action_for(&Source::Git {
            url: "https://github.com/o/allocguard.git".into(),
            rev: Some("0123abc".into())
        }),
        "o/allocguard@0123abc"
    );
    assert_eq!(
        action_for(&Source::Version("0.2.1".into())),
        "allocguard/allocguard@v0.2.1"
    );
    assert_eq!(
        action_for(&Source::Path("/x".into())),
        "allocguard/allocguard@main"
    );
}

#[test]
fn path_dependencies_are_relative_inside_the_workspace() {
    let root = Path::new("/w");
    let (item, warning) = dependency(
        &Source::Path("/w/vendor/allocguard".into()),
        Path::new("/w/game"),
        root,
    );
    assert_eq!(item.to_string(), "{ path = \"../vendor/allocguard\" }");
    assert!(warning.is_none());
    let (item, warning) = dependency(
        &Source::Path("/src/allocguard".into()),
        Path::new("/w"),
        root,
    );
    assert_eq!(item.to_string(), "{ path = \"/src/allocguard\" }");
    assert!(warning.unwrap().contains("not in CI"));
    let (item, _) = dependency(
        &Source::Git {
            url: "https://g/a".into(),
            rev: Some("abc".into()),
        },
        Path::new("/w"),
        root,
    );
    assert_eq!(item.to_string(), "{ git = \"https://g/a\", rev = \"abc\" }");
}
