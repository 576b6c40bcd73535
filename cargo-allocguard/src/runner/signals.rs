//! Scenario processes in process groups of their own, as nextest runs
//! tests, and the signals that stop `cargo allocguard`. Finding and ending
//! every process a scenario started, in its group or out of it, is
//! `process_tree`'s.
//!
//! SIGINT, SIGTERM and SIGHUP sent to `cargo allocguard` set a flag that the
//! loop waiting on a scenario process reads: it ends the scenario's group and
//! the command stops with exit code 3, saying so. (Cargo's own build, in our
//! process group, gets a terminal's Ctrl-C directly.)

use std::process::Command;
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

/// Makes the process `cmd` starts receive SIGKILL when the thread that
/// started it ends (Linux's `PR_SET_PDEATHSIG`): a `cargo allocguard` killed
/// with SIGKILL, which no handler sees, takes its scenario binary with it.
/// Processes the binary started are its own and are not reached.
pub fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        let parent = std::process::id() as libc::pid_t;
        // SAFETY: the closure runs between fork and exec and calls only
        // async-signal-safe functions (prctl, getppid).
        unsafe {
            cmd.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                // The parent died before the death signal was set up.
                if libc::getppid() != parent {
                    return Err(std::io::Error::other("cargo allocguard ended"));
                }
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}
