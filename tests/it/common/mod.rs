//! Helpers shared by the integration tests: run the real binary, read its JSON report, and
//! look for leftovers (containers, processes, temp dirs, databases).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

/// The locally built MariaDB image (`scripts/setup-env.sh`); nothing can be pulled here.
pub fn image() -> String {
    std::env::var("MH_TEST_IMAGE").unwrap_or_else(|_| "migration-harness/mariadb:10.11".into())
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_migration-harness"))
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    pub fn json(&self) -> Value {
        let p = self.out.path().join("report.json");
        let text = std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("no report.json ({e}); stderr:\n{}", self.stderr));
        serde_json::from_str(&text).expect("report.json parses")
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name)).unwrap_or_default()
    }

    pub fn scenario(&self, id: &str) -> Value {
        let j = self.json();
        j["scenarios"]
            .as_array()
            .expect("scenarios")
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no scenario {id} in report"))
    }

    pub fn status(&self, id: &str) -> String {
        self.scenario(id)["status"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// Runs the harness with `args` (plus `--output-dir` into a temp dir) in the repo root.
pub fn harness(args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(bin());
    cmd.current_dir(repo())
        .args(args)
        .arg("--output-dir")
        .arg(out.path())
        .env("CI", "1")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_ACTIONS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("run harness");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        out,
    }
}

/// Processes whose command line contains `needle`.
pub fn processes_matching(needle: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in rd.flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) && !cmd.contains("cargo") {
                out.push(cmd);
            }
        }
    }
    out
}

/// Like `processes_matching`, without the worker zygote (the fork server that stays up for
/// the whole run): a `--zygote` process whose parent is not itself a match. Its forked
/// children carry its command line, so they still count.
pub fn workers_matching(needle: &str) -> Vec<String> {
    let mut found: Vec<(String, String, String)> = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    for e in rd.flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        if !cmd.contains(needle) || cmd.contains("cargo") {
            continue;
        }
        let stat = std::fs::read_to_string(e.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().nth(1))
            .unwrap_or("")
            .to_string();
        found.push((pid, ppid, cmd));
    }
    let pids: Vec<String> = found.iter().map(|(p, _, _)| p.clone()).collect();
    found
        .into_iter()
        .filter(|(_, ppid, cmd)| !cmd.contains("--zygote") || pids.contains(ppid))
        .map(|(_, _, cmd)| cmd)
        .collect()
}

/// Temp dirs of local servers whose name contains `needle`.
/// Local datadirs of a run, wherever the provider put them (/tmp or /dev/shm).
pub fn temp_dirs_matching(needle: &str) -> Vec<PathBuf> {
    migration_harness::provision::tuning::scratch_roots()
        .into_iter()
        .filter_map(|root| std::fs::read_dir(root).ok())
        .flat_map(|rd| {
            rd.flatten().map(|e| e.path()).filter(|p| {
                p.file_name().is_some_and(|n| {
                    n.to_string_lossy().starts_with("mh-local-")
                        && n.to_string_lossy().contains(needle)
                })
            })
        })
        .collect()
}

/// The run id from a JSON report's database names (`mh_<run>_<n>`).
pub fn run_id_of(run: &Run) -> String {
    let j = run.json();
    let db = j["scenarios"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find_map(|s| s["database"].as_str().map(str::to_string))
        })
        .expect("a scenario with a database");
    db.trim_start_matches("mh_")
        .rsplit_once('_')
        .map(|(r, _)| r.to_string())
        .expect("run id")
}

pub fn wait_until(deadline: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

/// Copies an example project into a temp dir (following the broken example's symlinks).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let t = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &t);
        } else {
            std::fs::copy(&p, &t).unwrap();
        }
    }
}

/// Makes a report comparable across runs and machines: times, durations, run ids, server
/// and Python versions, cache paths.
pub fn normalize(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"mh_[0-9a-z]+_\d+", "mh_RUN_N"),
        (r"mh-local-[0-9a-z]+-\w+", "mh-local-RUN"),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})",
            "TIMESTAMP",
        ),
        (r"[A-Z][a-z]+ \d{1,2}, \d{4} \d{2}:\d{2} UTC", "DATE"),
        (
            r#""(duration_ms|total_ms|server_start_ms|server_wait_ms|tool_ms|harness_ms)": \d+"#,
            r#""$1": 0"#,
        ),
        (r"\d+(\.\d+)? s\b", "N s"),
        (r"\(\d+ ms\)", "(N ms)"),
        (r#"time="[\d.]+""#, r#"time="N""#),
        (r#"timestamp="[^"]+""#, r#"timestamp="T""#),
        (r#" (x|width)="[\d.]+""#, r#" $1="N""#),
        (r"10\.11\.\d+-MariaDB[\w.+~-]*", "SERVER_VERSION"),
        (r#"(Python"?[,:]? "?)\d+\.\d+\.\d+"#, "${1}PY_VERSION"),
        (r#"[^\s"'(]*/site-packages/"#, "SITE/"),
        (r#"[^\s"'(]*/venvs/[0-9a-f]+/bin/python"#, "VENV/bin/python"),
        // The worker scripts' cache directory is named by their hash: any edit renames it.
        (r#"[^\s"'(]*/worker/[0-9a-f]+/"#, "WORKER/"),
        // ... and any edit moves their line numbers.
        (r#"(WORKER/\w+\.py\\?", line )\d+"#, "${1}N"),
        (r"(?m)^(- OS: |\| OS \| ).*$", "${1}OS"),
        (r#""os": "[^"]*""#, r#""os": "OS""#),
        (r"<dt>OS</dt><dd>[^<]*</dd>", "<dt>OS</dt><dd>OS</dd>"),
        // Wherever the checkout lives: the committed sample was made in another one.
        (r#"/[^\s"'()]+/examples/"#, "REPO/examples/"),
    ];
    let mut out = text.to_string();
    for (pat, rep) in rules {
        out = regex::Regex::new(pat)
            .unwrap()
            .replace_all(&out, *rep)
            .into_owned();
    }
    let repo = repo().display().to_string();
    out.replace(&repo, "REPO")
}

/// A throwaway local server for tests that play "an existing server" (URL mode).
pub fn local_server(
    rt: &tokio::runtime::Runtime,
    run_id: &str,
) -> migration_harness::provision::Server {
    use migration_harness::provision::Provisioner;
    let bin = migration_harness::provision::find_server_binary()
        .expect("mariadbd installed by scripts/setup-env.sh");
    rt.block_on(
        migration_harness::provision::LocalProvisioner::new(bin, Duration::from_secs(60))
            .provision(run_id, &migration_harness::redact::Redactor::new()),
    )
    .expect("local server starts")
}

/// The alembic example plus a fourth revision `d4e5f6a7b8c9` whose upgrade is `body`
/// (Python, indented four spaces).
pub fn alembic_project_with_head(imports: &str, body: &str) -> tempfile::TempDir {
    let proj = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/alembic-basic"), proj.path());
    std::fs::write(
        proj.path().join("migrations/versions/d4e5f6a7b8c9_extra.py"),
        format!(
            "\"\"\"extra\"\"\"\n{imports}\nrevision = 'd4e5f6a7b8c9'\ndown_revision = 'c3d2e1f0a9b8'\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n"
        ),
    )
    .unwrap();
    proj
}

/// The locally built Oracle MySQL image (`scripts/build-images.sh mysql:9.7`).
pub fn mysql_image() -> String {
    std::env::var("MH_TEST_MYSQL_IMAGE").unwrap_or_else(|_| "migration-harness/mysql:9.7".into())
}

/// A `mysqld` runnable on this machine without installing MySQL: the MySQL image's root
/// filesystem exported once into the cache, run through its own loader
/// (`scripts/mysqld-from-image.sh`, idempotent).
pub fn mysqld() -> PathBuf {
    let out = Command::new(repo().join("scripts/mysqld-from-image.sh"))
        .arg(mysql_image())
        .output()
        .expect("run scripts/mysqld-from-image.sh");
    assert!(
        out.status.success(),
        "scripts/mysqld-from-image.sh {} failed (is the image built? scripts/setup-env.sh builds it):\n{}",
        mysql_image(),
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}
