//! Scenario processes in process groups of their own, as nextest runs
//! tests: a timeout or an interruption ends the scenario *and every process
//! it started*, and a process left behind is found and ended.
//!
//! SIGINT, SIGTERM and SIGHUP sent to `cargo allocguard` set a flag that the
//! loop waiting on a scenario process reads: it ends the scenario's group and
//! the command stops with exit code 3, saying so. (Cargo's own build, in our
//! process group, gets a terminal's Ctrl-C directly.)

use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Set when a termination signal arrived.
static TERMINATE: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Starts listening for SIGINT, SIGTERM and SIGHUP (once; later calls do
/// nothing). Until then, those signals end the process as usual.
pub fn listen_for_termination() {
    TERMINATE.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        #[cfg(unix)]
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            let _ = signal_hook::flag::register(sig, flag.clone());
        }
        flag
    });
}

/// Whether a termination signal arrived.
pub fn terminating() -> bool {
    TERMINATE.get().is_some_and(|f| f.load(Ordering::Relaxed))
}

/// Makes `cmd` start in a process group of its own (led by the child).
pub fn own_group(cmd: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
}

/// Sends SIGKILL to every process of the group `child` leads.
pub fn kill_group(child: &Child) {
    #[cfg(unix)]
    // SAFETY: kill(2) with a negative pid signals a process group; it takes
    // no pointers.
    unsafe {
        libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// The processes still in the group led by `pgid` (the leader has exited),
/// each as `PID COMMAND`; read from /proc (Linux), else only whether any is
/// left.
pub fn left_in_group(pgid: u32) -> Vec<String> {
    #[cfg(target_os = "linux")]
    {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return out;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{name}/stat")) else {
                continue;
            };
            // pid (comm) state ppid pgrp …; comm may hold spaces: split after ')'.
            let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let (state, pgrp) = (fields.first().copied(), fields.get(2).copied());
            if pgrp == Some(&pgid.to_string()) && state != Some("Z") {
                let cmdline = std::fs::read(format!("/proc/{name}/cmdline"))
                    .map(|b| {
                        String::from_utf8_lossy(&b)
                            .split('\0')
                            .filter(|s| !s.is_empty())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                out.push(format!("{name} {cmdline}"));
            }
        }
        out
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        // SAFETY: as in `kill_group`; signal 0 only checks for existence.
        let any = unsafe { libc::kill(-(pgid as libc::pid_t), 0) } == 0;
        if any {
            vec![format!("processes of group {pgid}")]
        } else {
            Vec::new()
        }
    }
    #[cfg(not(unix))]
    {
        let _ = pgid;
        Vec::new()
    }
}

/// Ends whatever is left of the group led by `pgid`.
pub fn end_group(pgid: u32) {
    #[cfg(unix)]
    // SAFETY: as in `kill_group`.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pgid;
}
