//! Server matrix: the suite on several servers in one invocation (`--image a,b,c`, several
//! `--server-binary`, `[server] matrix = [...]`). Each server gets its own child harness
//! process (its own provisioning, cleanup and reports under `servers/<label>/`), as many at
//! once as memory allows; `fold` turns their reports into scenario × server with the
//! divergences called out, and the exit code covers every server. The matrix as data and
//! its renderers live in `report::matrix`, below both, and render through the report sinks.

mod fold;
mod online;

pub use crate::report::matrix::{
    Cell, CellStatus, Divergence, Matrix, MatrixRow, MatrixSummary, Peak, ServerColumn, ServerRun,
};
pub use fold::{fold, fold_exit_codes, parallel_slots, server_name};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::{Config, DbMode};
use crate::error::{HarnessError, Internal, Result};
use crate::report::{Console, Format, Github, RenderContext, ReportFiles, Sink};
use crate::settings::RunSettings;
pub use crate::settings::ServerSpec;

/// Memory one server run may take at its peak. Measured here for the seed example
/// (Flask-Migrate, all scenarios, three servers at once) on the MariaDB 10.5/10.11/11.8
/// images: 215–270 MiB of container cgroup (the datadir is on tmpfs) plus 265–300 MiB of
/// child harness and its Python worker; 1 GiB leaves room for larger schemas and data sets.
pub const PER_SERVER_KIB: u64 = 1024 * 1024;

/// Unique labels: a repeated one gets `-2`, `-3`.
fn labels(specs: &[ServerSpec]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    specs
        .iter()
        .map(|s| {
            let l = s.label();
            let n = seen.entry(l.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                l
            } else {
                format!("{l}-{n}")
            }
        })
        .collect()
}

fn mem_available_kib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resident memory of `root` and every descendant, in KiB, from /proc.
fn tree_rss_kib(root: u32) -> u64 {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return 0;
    };
    let mut parent: HashMap<u32, u32> = HashMap::new();
    let mut rss: HashMap<u32, u64> = HashMap::new();
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        for l in status.lines() {
            if let Some(v) = l.strip_prefix("PPid:") {
                parent.insert(pid, v.trim().parse().unwrap_or(0));
            } else if let Some(v) = l.strip_prefix("VmRSS:") {
                rss.insert(
                    pid,
                    v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0),
                );
            }
        }
    }
    let in_tree = |mut p: u32| {
        for _ in 0..64 {
            if p == root {
                return true;
            }
            match parent.get(&p) {
                Some(&pp) if pp != 0 => p = pp,
                _ => return false,
            }
        }
        false
    };
    rss.iter()
        .filter(|(p, _)| in_tree(**p))
        .map(|(_, r)| *r)
        .sum()
}

/// Peak memory of a container's cgroup (v1 `memory.max_usage_in_bytes`, v2 `memory.peak`).
fn container_peak_kib(id: &str) -> Option<u64> {
    [
        format!("/sys/fs/cgroup/memory/docker/{id}/memory.max_usage_in_bytes"),
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.peak"),
    ]
    .iter()
    .find_map(|p| std::fs::read_to_string(p).ok())
    .and_then(|v| v.trim().parse::<u64>().ok())
    .map(|b| b / 1024)
}

/// Runs one child to completion, sampling the memory of its process tree and of the
/// container it started (found by the pid label every harness puts on its containers).
async fn run_child(
    exe: PathBuf,
    args: Vec<String>,
    dir: PathBuf,
    pids: Arc<Mutex<Vec<u32>>>,
) -> std::io::Result<(i32, Peak)> {
    std::fs::create_dir_all(&dir)?;
    let log = std::fs::File::create(dir.join("console.log"))?;
    let mut child = tokio::process::Command::new(exe)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        // The parent writes the one step summary / annotations for the whole matrix.
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS")
        .spawn()?;
    let pid = child.id().unwrap_or(0);
    pids.lock().expect("pids").push(pid);
    let mut peak_tree = 0u64;
    let mut peak_container = 0u64;
    let mut container: Option<String> = None;
    let status = loop {
        tokio::select! {
            s = child.wait() => break s?,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                peak_tree = peak_tree.max(tree_rss_kib(pid));
                // Ask the engine only until the child's container shows up.
                if container.is_none() {
                    if let Ok(cs) = crate::provision::labelled_containers_with_pids().await {
                        container = cs
                            .into_iter()
                            .find(|(_, owner)| *owner == Some(pid as i32))
                            .map(|(id, _)| id);
                    }
                }
                if let Some(id) = &container {
                    peak_container = peak_container.max(container_peak_kib(id).unwrap_or(0));
                }
            }
        }
    };
    pids.lock().expect("pids").retain(|p| *p != pid);
    let peak = Peak {
        harness_kib: (peak_tree > 0).then_some(peak_tree),
        container_kib: (peak_container > 0).then_some(peak_container),
    };
    Ok((
        status.code().unwrap_or(crate::error::exit::ENVIRONMENT),
        peak,
    ))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let v: Vec<&str> = text.lines().collect();
    v[v.len().saturating_sub(lines)..].join("\n")
}

fn output_dir(settings: &RunSettings) -> PathBuf {
    settings.output_dir.clone().unwrap_or_else(|| {
        PathBuf::from("reports").join(format!(
            "{}-matrix",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ))
    })
}

pub async fn run(cfg: &Config, settings: &RunSettings, specs: Vec<ServerSpec>) -> Result<i32> {
    let formats = &settings.formats;
    for s in &specs {
        let clash = matches!(
            (s, settings.db_flag),
            (ServerSpec::Image(_), Some(DbMode::Local | DbMode::Url))
                | (ServerSpec::Binary(_), Some(DbMode::Container | DbMode::Url))
        );
        if clash {
            return Err(HarnessError::MatrixClash {
                entry: s.target(),
                db: format!("{:?}", settings.db_flag.unwrap_or(DbMode::Auto)).to_lowercase(),
            });
        }
    }
    let exe =
        std::env::current_exe().map_err(|e| HarnessError::Internal(Internal::OwnBinary(e)))?;
    let dir = output_dir(settings);
    let names = labels(&specs);
    let slots = parallel_slots(mem_available_kib(), PER_SERVER_KIB, specs.len());
    println!(
        "server matrix: {} servers ({}), {} at a time",
        specs.len(),
        specs
            .iter()
            .map(|s| s.target())
            .collect::<Vec<_>>()
            .join(", "),
        slots
    );
    let sem = Arc::new(tokio::sync::Semaphore::new(slots));
    let pids: Arc<Mutex<Vec<u32>>> = Arc::default();
    let mut tasks = Vec::new();
    for (spec, label) in specs.iter().zip(&names) {
        let child_dir = dir.join("servers").join(label);
        let args = settings.to_args(spec, &child_dir);
        let (sem, pids, exe, label, target) = (
            sem.clone(),
            pids.clone(),
            exe.clone(),
            label.clone(),
            spec.target(),
        );
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            println!("  {label}: starting ({target})");
            let r = run_child(exe, args, child_dir.clone(), pids).await;
            (label, target, child_dir, r)
        }));
    }
    let all = futures_util::future::join_all(tasks);
    tokio::pin!(all);
    let finished = tokio::select! {
        r = &mut all => r,
        s = crate::signal::wait_signal() => {
            // Each child cleans up its own server on SIGTERM; wait for that before leaving.
            for pid in pids.lock().expect("pids").iter() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(*pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            let _ = all.await;
            return Err(HarnessError::Interrupted(s.name()));
        }
    };
    let mut runs = Vec::new();
    for f in finished {
        let (label, target, child_dir, r) =
            f.map_err(|e| HarnessError::Internal(Internal::MatrixTask(e.to_string())))?;
        let (exit_code, peak, spawn_error) = match r {
            Ok((c, p)) => (c, p, None),
            Err(e) => (
                crate::error::exit::ENVIRONMENT,
                Peak::default(),
                Some(e.to_string()),
            ),
        };
        // Read back typed: a report this harness cannot read is no report.
        let report = std::fs::read_to_string(child_dir.join("report.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let stderr_tail = spawn_error.unwrap_or_else(|| tail(&child_dir.join("console.log"), 5));
        println!("  {label}: exit {exit_code}");
        runs.push(ServerRun {
            label,
            target,
            exit_code,
            report,
            stderr_tail,
            peak,
        });
    }
    let project = cfg.raw.project.name.clone().unwrap_or_else(|| {
        cfg.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    render(
        MatrixSummary {
            project,
            matrix: fold(&runs),
            runs,
        },
        &dir,
        formats,
    )
}

/// Renders the matrix through the report sinks — its files into `dir`, GitHub's step
/// summary and annotations, the console's verdict last — and returns the exit code.
pub fn render(ms: MatrixSummary, dir: &Path, formats: &[Format]) -> Result<i32> {
    let root = std::env::current_dir().unwrap_or_default();
    let sinks: Vec<Box<dyn Sink<MatrixSummary>>> = vec![
        Box::new(ReportFiles::new(
            formats.to_vec(),
            Some(dir.to_path_buf()),
            RenderContext::default(),
        )),
        Box::new(Github::new(root)),
        Box::new(Console::new()),
    ];
    crate::report::render_sinks(sinks, &ms)?;
    Ok(ms.matrix.exit_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_directory_safe_and_unique() {
        let specs = [
            ServerSpec::Image("migration-harness/mariadb:10.5".into()),
            ServerSpec::Image("mariadb:10.5".into()),
            ServerSpec::Binary("/usr/sbin/mariadbd".into()),
        ];
        assert_eq!(
            labels(&specs),
            ["mariadb-10.5", "mariadb-10.5-2", "mariadbd"]
        );
    }
}
