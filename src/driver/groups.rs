//! The process groups the harness started and that still run: each killed when its owner
//! drops it, and all of them at once when a signal ends the run.

use std::collections::HashSet;
use std::sync::Mutex;

/// Process groups currently running, so a signal handler can kill them all.
static RUNNING: Mutex<Option<HashSet<i32>>> = Mutex::new(None);

pub fn kill_all_running() {
    let groups: Vec<i32> = RUNNING
        .lock()
        .map(|g| g.iter().flatten().copied().collect())
        .unwrap_or_default();
    for pgid in groups {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(pgid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
}

/// Kills its process group when dropped, and lets `kill_all_running` find it meanwhile.
pub struct Registered(i32);

impl Registered {
    pub fn new(pgid: i32) -> Self {
        if let Ok(mut g) = RUNNING.lock() {
            g.get_or_insert_with(HashSet::new).insert(pgid);
        }
        Registered(pgid)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        // Kill the group if it still runs (cancelled future, timeout); harmless otherwise.
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.0),
            nix::sys::signal::Signal::SIGKILL,
        );
        if let Ok(mut g) = RUNNING.lock() {
            if let Some(s) = g.as_mut() {
                s.remove(&self.0);
            }
        }
    }
}
