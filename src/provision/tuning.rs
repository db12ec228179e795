//! Settings for a server whose data is thrown away after the run: durability is traded for
//! speed (no fsync per commit, no doublewrite buffer, datadir in memory when /dev/shm exists).
//! URL-mode servers are never reconfigured — they are not the harness's.

use std::path::PathBuf;

/// Whether the tuning applies: `MH_SERVER_TUNING=off` starts servers with their defaults
/// (to measure what the tuning buys, or to rule it out when a migration behaves oddly).
pub fn enabled() -> bool {
    std::env::var("MH_SERVER_TUNING").map_or(true, |v| v != "off")
}

/// The flags to pass, or none when tuning is off.
pub fn flags() -> &'static [&'static str] {
    if enabled() {
        THROWAWAY_FLAGS
    } else {
        &[]
    }
}

/// Server options accepted alike by MariaDB 10.5–11.8 and MySQL 8.0/8.4.
pub const THROWAWAY_FLAGS: &[&str] = &[
    // Write the redo log once a second instead of flushing it at every commit.
    "--innodb-flush-log-at-trx-commit=0",
    "--sync-binlog=0",
    // No second copy of every page write; a crash only loses data we would drop anyway.
    "--innodb-doublewrite=OFF",
];

/// Where the local provider puts its datadir: /dev/shm (memory) when it is a writable
/// directory, else the system temp dir.
pub fn scratch_root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    let writable = enabled()
        && shm.is_dir()
        && tempfile::Builder::new()
            .prefix(".mh-probe-")
            .tempfile_in(&shm)
            .is_ok();
    if writable {
        shm
    } else {
        std::env::temp_dir()
    }
}

/// Every place a local datadir may live (for `clean` and leak checks).
pub fn scratch_roots() -> Vec<PathBuf> {
    let mut v = vec![std::env::temp_dir()];
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() && !v.contains(&shm) {
        v.push(shm);
    }
    v
}

/// How the report describes the settings, per provider.
pub fn describe(datadir_in_memory: bool) -> Vec<String> {
    let mut v: Vec<String> = flags()
        .iter()
        .map(|f| f.trim_start_matches("--").to_string())
        .collect();
    if datadir_in_memory {
        v.push("datadir on tmpfs".into());
    }
    v
}
