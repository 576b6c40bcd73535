//! The process tree of a scenario binary, found through /proc with this
//! test binary as the subreaper. One test in its own binary: a tree takes
//! every new child of this process for its own, so no other test may start
//! processes beside it.
#![cfg(target_os = "linux")]

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use allocguard::_cargo_allocguard::process_tree::{become_subreaper, own_children, Tree};

/// Whether `pid` exists, and whether it is running (not a zombie).
fn state(pid: i32) -> (bool, bool) {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().next());
            (true, state != Some("Z"))
        }
        Err(_) => (false, false),
    }
}

#[test]
fn a_grandchild_in_a_session_of_its_own_is_found_ended_and_reaped() {
    become_subreaper();
    let before = own_children();
    // sh starts a `setsid sleep` (a session and group of its own) and exits:
    // the sleep is handed to this process, the subreaper.
    let child = Command::new("sh")
        .args(["-c", "setsid sleep 31.0317 >/dev/null 2>&1 & echo $!"])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let tree = Tree::new(child.id(), before);
    let out = child.wait_with_output().unwrap();
    let sleep: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    // Until setsid has exec'd the sleep.
    let expected = [format!("{sleep} sleep 31.0317")];
    let mut running = Vec::new();
    for _ in 0..400 {
        running = tree.running();
        if running == expected {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(running, expected);
    assert_eq!(state(sleep), (true, true));
    assert_eq!(tree.end(), Vec::<String>::new());
    assert_eq!(state(sleep), (false, false), "ended by pid and reaped");
    assert!(tree.running().is_empty());
}
