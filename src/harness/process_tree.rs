//! Every process a scenario started, wherever it went: found, named and
//! ended. Used by the harness (which processes did a scenario leave running?)
//! and by `cargo allocguard` (end a scenario binary and everything it
//! started); written once, here, and reached by the subcommand through
//! `allocguard::_cargo_allocguard`.
//!
//! A process group is not enough to find them: a scenario's child can call
//! `setsid` (a daemon does), and a grandchild whose parent exits is
//! re-parented. So the harness and `cargo allocguard` each make themselves a
//! *child subreaper* (Linux's `PR_SET_CHILD_SUBREAPER`, as init systems and
//! container runtimes do): an orphan among their descendants becomes their
//! child instead of init's, and stays findable in `/proc`.
//!
//! Elsewhere than Linux no process is listed: only a process group can be
//! ended.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant};

/// One process, as `/proc/PID/stat` shows it.
#[derive(Clone, Copy, Debug)]
struct Proc {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    zombie: bool,
}

/// Makes this process the subreaper of its descendants (once; Linux only).
/// Orphans handed to it that exit stay zombies until it reaps them or exits.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes an integer
            // argument and no pointers.
            unsafe {
                libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            }
        });
    }
}

/// This process's id.
fn own_pid() -> i32 {
    std::process::id() as i32
}

/// Every process of the system (Linux: /proc; elsewhere none).
fn scan() -> Vec<Proc> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid pgrp …; comm may hold spaces: split after ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(state), Some(ppid), Some(pgrp)) = (
            fields.first(),
            fields.get(1).and_then(|f| f.parse().ok()),
            fields.get(2).and_then(|f| f.parse().ok()),
        ) else {
            continue;
        };
        out.push(Proc {
            pid,
            ppid,
            pgrp,
            zombie: *state == "Z" || *state == "X",
        });
    }
    out
}

/// The pids whose parent is this process.
pub fn own_children() -> HashSet<i32> {
    let me = own_pid();
    scan()
        .into_iter()
        .filter(|p| p.ppid == me)
        .map(|p| p.pid)
        .collect()
}

/// This process's descendants that are running (not zombies). As the
/// subreaper of its descendants, a grandchild whose parent exited
/// (`sh -c 'sleep 40 &'`) is still found, as this process's child.
pub fn descendants() -> BTreeSet<i32> {
    let all = scan();
    let mut children: HashMap<i32, Vec<Proc>> = HashMap::new();
    for p in &all {
        children.entry(p.ppid).or_default().push(*p);
    }
    let mut out = BTreeSet::new();
    let mut stack = vec![own_pid()];
    while let Some(pid) = stack.pop() {
        for c in children.get(&pid).into_iter().flatten() {
            if !c.zombie && out.insert(c.pid) {
                stack.push(c.pid);
            }
        }
    }
    out
}

/// The descendants running now that were not in `before`, as `PID COMMAND`.
/// A process a scenario has just forked may not have exec'd its program yet
/// (its command line is its parent's): the look is taken again a moment
/// later, when there is anything to name.
pub fn left_running(before: &BTreeSet<i32>) -> Vec<String> {
    let new = || -> Vec<i32> {
        descendants()
            .into_iter()
            .filter(|pid| !before.contains(pid))
            .collect()
    };
    if new().is_empty() {
        return Vec::new();
    }
    std::thread::sleep(Duration::from_millis(50));
    new().into_iter().map(describe).collect()
}

/// Ends the descendants running now that were not in `before` (SIGKILL),
/// and reaps the ones that are this process's children: what a scenario
/// left running, ended when the scenario ends rather than when its binary
/// exits (its later scenarios would run beside them). Tries for a second;
/// returns the ones still running then, as `PID COMMAND`.
pub fn end_new(before: &BTreeSet<i32>) -> Vec<String> {
    let me = own_pid();
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let all = scan();
        let live: Vec<i32> = descendants()
            .into_iter()
            .filter(|pid| !before.contains(pid))
            .collect();
        for pid in &live {
            kill(*pid);
        }
        for p in all
            .iter()
            .filter(|p| p.zombie && p.ppid == me && !before.contains(&p.pid))
        {
            reap(p.pid);
        }
        if live.is_empty() {
            return Vec::new();
        }
        if Instant::now() >= deadline {
            return live.into_iter().map(describe).collect();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `PID COMMAND` for process `pid`, the command line as `ps` shows it. A
/// child that has just been spawned can still be inside `execve`, where the
/// kernel has let the parent go on but not yet set up the new argument list
/// (it reads as empty): wait for it briefly, then fall back to the process's
/// name.
pub fn describe(pid: i32) -> String {
    for _ in 0..40 {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let words: Vec<_> = cmdline
            .split(|&b| b == 0)
            .filter(|w| !w.is_empty())
            .map(String::from_utf8_lossy)
            .collect();
        if !words.is_empty() {
            return format!("{pid} {}", words.join(" "));
        }
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    format!("{pid} {}", comm.trim_end())
}

/// The processes of one run of a binary: its process group, its
/// descendants, and the orphans handed to this process while it ran
/// (binaries run one at a time).
#[derive(Debug)]
pub struct Tree {
    /// The binary's pid, which leads its process group.
    leader: i32,
    /// This process's children before the binary started (not the run's).
    before: HashSet<i32>,
}

impl Tree {
    /// The tree of the binary `leader`, started after `before` (this
    /// process's children then, from [`own_children`]) was taken.
    pub fn new(leader: u32, before: HashSet<i32>) -> Self {
        Self {
            leader: leader as i32,
            before,
        }
    }

    /// The tree's processes (the leader included while it is alive).
    fn members(&self, all: &[Proc]) -> Vec<Proc> {
        let me = own_pid();
        let mut children: HashMap<i32, Vec<Proc>> = HashMap::new();
        for p in all {
            children.entry(p.ppid).or_default().push(*p);
        }
        let mut roots: Vec<i32> = vec![self.leader];
        roots.extend(
            children
                .get(&me)
                .into_iter()
                .flatten()
                .filter(|p| !self.before.contains(&p.pid))
                .map(|p| p.pid),
        );
        let mut seen: HashSet<i32> = HashSet::new();
        let mut out = Vec::new();
        for p in all.iter().filter(|p| p.pgrp == self.leader) {
            if seen.insert(p.pid) {
                out.push(*p);
            }
        }
        let mut stack = roots;
        while let Some(pid) = stack.pop() {
            if let Some(p) = all.iter().find(|p| p.pid == pid) {
                if seen.insert(pid) {
                    out.push(*p);
                }
            }
            for c in children.get(&pid).into_iter().flatten() {
                stack.push(c.pid);
            }
        }
        out
    }

    /// The tree's running processes but the leader, as `PID COMMAND`.
    pub fn running(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .members(&scan())
            .into_iter()
            .filter(|p| !p.zombie && p.pid != self.leader)
            .map(|p| describe(p.pid))
            .collect();
        out.sort();
        out
    }

    /// Ends every process of the tree (SIGKILL, by pid and by group) and
    /// reaps the ones handed to this process; the leader is left for its
    /// `Child` to wait on. Returns the ones still running after a second of
    /// trying (a process in uninterruptible sleep), as `PID COMMAND`.
    pub fn end(&self) -> Vec<String> {
        end_group(self.leader);
        let me = own_pid();
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let all = scan();
            let members = self.members(&all);
            let live: Vec<&Proc> = members.iter().filter(|p| !p.zombie).collect();
            for p in &live {
                kill(p.pid);
            }
            end_group(self.leader);
            let mut reaped_any = false;
            for p in members
                .iter()
                .filter(|p| p.zombie && p.ppid == me && p.pid != self.leader)
            {
                reap(p.pid);
                reaped_any = true;
            }
            if live.iter().all(|p| p.pid == self.leader) && !reaped_any {
                return Vec::new();
            }
            if Instant::now() >= deadline {
                return live
                    .iter()
                    .filter(|p| p.pid != self.leader)
                    .map(|p| describe(p.pid))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// SIGKILL to one process.
fn kill(pid: i32) {
    #[cfg(unix)]
    // SAFETY: kill(2) takes no pointers.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pid;
}

/// SIGKILL to every process of the group `pgid`.
fn end_group(pgid: i32) {
    #[cfg(unix)]
    // SAFETY: kill(2) with a negative pid signals a process group; it takes
    // no pointers.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
    #[cfg(not(unix))]
    let _ = pgid;
}

/// Collects the exit status of our zombie child `pid`.
fn reap(pid: i32) {
    #[cfg(unix)]
    // SAFETY: waitpid(2) with a null status pointer is allowed; WNOHANG
    // never blocks.
    unsafe {
        libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG);
    }
    #[cfg(not(unix))]
    let _ = pid;
}
