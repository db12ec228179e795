//! `Matrix`: the per-server reports folded into scenario × server, with the divergences
//! (a scenario that passes on some servers and fails on others) spelled out, and the exit
//! code over all servers. Pure: it reads the servers' `report.json` values.

use serde::Serialize;
use serde_json::Value;

use crate::error::exit;

/// What one server's child run left behind.
#[derive(Debug, Clone)]
pub struct ServerRun {
    /// Directory-safe name (`mariadb-10.5`), also the sub-directory of its reports.
    pub label: String,
    /// What was asked for: the image or the binary path.
    pub target: String,
    pub exit_code: i32,
    /// Its `report.json`, when it got that far.
    pub report: Option<Value>,
    /// The last lines of its stderr, for a run that produced no report.
    pub stderr_tail: String,
    pub peak: Peak,
}

/// Peak memory of one server's run, sampled every 500 ms while it ran (short spikes between
/// samples are missed; the container figure is the cgroup's own high-water mark).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Peak {
    /// The child harness and everything it started (migration tools, a local server): the
    /// largest sum of resident set sizes seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harness_kib: Option<u64>,
    /// The server's container: its memory cgroup's peak usage (page cache included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_kib: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ServerColumn {
    pub label: String,
    pub target: String,
    /// `MariaDB 10.5.23` from the server's own version string, else the label.
    pub name: String,
    pub version: Option<String>,
    pub status: String,
    pub exit_code: i32,
    pub peak_memory: Peak,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// passed / failed / error / skipped, or `missing` when the server has no result.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub scenario: String,
    pub title: String,
    /// One per server, in server order.
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Divergence {
    pub scenario: String,
    pub failing: Vec<String>,
    pub passing: Vec<String>,
    /// `fails on MariaDB 10.5.23 only: 1064 at r7 — You have an error …`
    pub summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub status: String,
    pub exit_code: i32,
    pub servers: Vec<ServerColumn>,
    pub scenarios: Vec<MatrixRow>,
    pub divergences: Vec<Divergence>,
}

/// `MariaDB 10.5.23` from `10.5.23-MariaDB-0+deb11u1`; `MySQL 8.0.36` from `8.0.36`.
pub fn server_name(version: &str) -> String {
    let number = version.split('-').next().unwrap_or(version);
    if version.to_ascii_lowercase().contains("mariadb") {
        format!("MariaDB {number}")
    } else {
        format!("MySQL {number}")
    }
}

/// Worst first: usage error (2), environment error (3), a failing scenario (1), nothing
/// tested (4), passed (0). A server that could not start makes the matrix incomplete, which
/// outranks a finding on another server; any unknown code counts as an environment error.
pub fn fold_exit_codes(codes: &[i32]) -> i32 {
    let rank = |c: i32| match c {
        exit::PASSED => 0,
        4 => 1,
        exit::FAILED => 2,
        exit::USAGE => 4,
        _ => 3,
    };
    match codes.iter().copied().max_by_key(|c| rank(*c)) {
        None => exit::PASSED,
        Some(c) if rank(c) == 3 => exit::ENVIRONMENT,
        Some(c) => c,
    }
}

/// The first failing step of a scenario, as `1064 at r7 — message`. A failed step the
/// verdict counted as a warning (`demoted`) is not a failure of the scenario.
fn failure_of(scenario: &Value) -> Option<String> {
    let steps = scenario["steps"].as_array()?;
    let step = steps.iter().find(|s| {
        matches!(s["status"].as_str(), Some("failed" | "error")) && s["demoted"].is_null()
    })?;
    let mut out = String::new();
    let message = step["error"]["message"]
        .as_str()
        .or_else(|| step["message"].as_str())
        .unwrap_or("");
    if let Some(code) = step["error"]["code"].as_u64() {
        out.push_str(&code.to_string());
    } else {
        out.push_str(step["action"].as_str().unwrap_or("step"));
        out.push_str(" failed");
    }
    if let Some(rev) = step["revision"].as_str() {
        out.push_str(&format!(" at {rev}"));
    }
    let message: String = message.chars().take(160).collect();
    if !message.is_empty() {
        out.push_str(&format!(" — {message}"));
    }
    Some(out)
}

fn list(names: &[String]) -> String {
    names.join(", ")
}

pub fn fold(runs: &[ServerRun]) -> Matrix {
    let servers: Vec<ServerColumn> = runs
        .iter()
        .map(|r| {
            let version = r
                .report
                .as_ref()
                .and_then(|j| j["server"]["version"].as_str())
                .map(str::to_string);
            ServerColumn {
                label: r.label.clone(),
                target: r.target.clone(),
                name: version
                    .as_deref()
                    .map(server_name)
                    .unwrap_or_else(|| r.label.clone()),
                version,
                status: r
                    .report
                    .as_ref()
                    .and_then(|j| j["status"].as_str())
                    .unwrap_or("error")
                    .to_string(),
                exit_code: r.exit_code,
                peak_memory: r.peak,
                error: r
                    .report
                    .is_none()
                    .then(|| r.stderr_tail.trim().to_string())
                    .or_else(|| {
                        r.report
                            .as_ref()
                            .and_then(|j| j["error"].as_str())
                            .map(str::to_string)
                    }),
            }
        })
        .collect();

    // Scenario order: as the first report that has it lists it.
    let mut ids: Vec<(String, String)> = Vec::new();
    for r in runs {
        for s in r
            .report
            .as_ref()
            .and_then(|j| j["scenarios"].as_array())
            .into_iter()
            .flatten()
        {
            let id = s["id"].as_str().unwrap_or_default().to_string();
            if !ids.iter().any(|(i, _)| *i == id) {
                ids.push((id, s["title"].as_str().unwrap_or_default().to_string()));
            }
        }
    }
    let mut rows = Vec::new();
    let mut divergences = Vec::new();
    for (id, title) in ids {
        let cells: Vec<Cell> = runs
            .iter()
            .map(|r| {
                let s = r.report.as_ref().and_then(|j| {
                    j["scenarios"]
                        .as_array()?
                        .iter()
                        .find(|s| s["id"] == id.as_str())
                });
                match s {
                    None => Cell {
                        status: "missing".into(),
                        failure: None,
                    },
                    Some(s) => Cell {
                        status: s["status"].as_str().unwrap_or("error").to_string(),
                        failure: failure_of(s),
                    },
                }
            })
            .collect();
        let bad = |c: &Cell| matches!(c.status.as_str(), "failed" | "error");
        let failing: Vec<String> = cells
            .iter()
            .zip(&servers)
            .filter(|(c, _)| bad(c))
            .map(|(_, s)| s.name.clone())
            .collect();
        let passing: Vec<String> = cells
            .iter()
            .zip(&servers)
            .filter(|(c, _)| c.status == "passed")
            .map(|(_, s)| s.name.clone())
            .collect();
        if !failing.is_empty() && !passing.is_empty() {
            let detail = cells
                .iter()
                .find(|c| bad(c))
                .and_then(|c| c.failure.clone())
                .unwrap_or_default();
            let summary = if failing.len() <= passing.len() {
                format!("fails on {} only: {detail}", list(&failing))
            } else {
                format!(
                    "passes on {} only; fails on {}: {detail}",
                    list(&passing),
                    list(&failing)
                )
            };
            divergences.push(Divergence {
                scenario: id.clone(),
                failing,
                passing,
                summary,
            });
        }
        rows.push(MatrixRow {
            scenario: id,
            title,
            cells,
        });
    }
    // A statement that blocks writes on some servers only says more than the scenario's
    // pass/fail split; it replaces that one.
    let online = super::online::divergences(runs, &servers);
    if !online.is_empty() {
        divergences.retain(|d| online.iter().all(|o| o.scenario != d.scenario));
        divergences.extend(online);
    }
    let exit_code = fold_exit_codes(&runs.iter().map(|r| r.exit_code).collect::<Vec<_>>());
    Matrix {
        status: match exit_code {
            exit::PASSED => "passed",
            exit::FAILED => "failed",
            4 => "empty",
            _ => "error",
        }
        .to_string(),
        exit_code,
        servers,
        scenarios: rows,
        divergences,
    }
}

/// How many servers run at once: as many as `available_kib` holds at `per_server_kib` each,
/// at least one, at most all of them.
pub fn parallel_slots(available_kib: Option<u64>, per_server_kib: u64, servers: usize) -> usize {
    let fit = available_kib
        .map(|a| (a / per_server_kib.max(1)) as usize)
        .unwrap_or(1);
    fit.clamp(1, servers.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(label: &str, version: &str, code: i32, chain: &str, failing_step: Value) -> ServerRun {
        ServerRun {
            label: label.into(),
            target: format!("img:{label}"),
            exit_code: code,
            report: Some(json!({
                "status": if code == 0 { "passed" } else { "failed" },
                "server": { "version": version },
                "scenarios": [
                    { "id": "chain", "title": "Migration Chain Verification", "status": chain,
                      "steps": [ { "action": "upgrade", "status": "passed", "revision": "r6" }, failing_step ] },
                    { "id": "upgrade", "title": "Initial Upgrade", "status": "passed", "steps": [] }
                ]
            })),
            stderr_tail: String::new(),
            peak: Peak::default(),
        }
    }

    #[test]
    fn uuid_failure_on_one_server_is_a_divergence() {
        let uuid_error = json!({ "action": "upgrade", "status": "failed", "revision": "r7",
            "error": { "code": 1064, "message": "You have an error in your SQL syntax; check the manual near 'UUID NOT NULL'" } });
        let ok = json!({ "action": "upgrade", "status": "passed", "revision": "r7" });
        let m = fold(&[
            run(
                "mariadb-10.5",
                "10.5.23-MariaDB-0+deb11u1",
                1,
                "failed",
                uuid_error,
            ),
            run(
                "mariadb-10.11",
                "10.11.14-MariaDB-0+deb12u2",
                0,
                "passed",
                ok.clone(),
            ),
            run("mariadb-11.8", "11.8.3-MariaDB-1", 0, "passed", ok),
        ]);
        assert_eq!(m.exit_code, 1);
        assert_eq!(m.status, "failed");
        assert_eq!(m.divergences.len(), 1);
        let d = &m.divergences[0];
        assert_eq!(d.scenario, "chain");
        assert_eq!(d.failing, ["MariaDB 10.5.23"]);
        assert_eq!(
            d.summary,
            "fails on MariaDB 10.5.23 only: 1064 at r7 — You have an error in your SQL syntax; check the manual near 'UUID NOT NULL'"
        );
        assert_eq!(m.scenarios[0].cells[0].status, "failed");
        assert_eq!(
            m.scenarios[1]
                .cells
                .iter()
                .filter(|c| c.status == "passed")
                .count(),
            3
        );
    }

    #[test]
    fn same_failure_everywhere_is_no_divergence() {
        let bad = json!({ "action": "downgrade", "status": "failed", "message": "schema differs" });
        let m = fold(&[
            run("a", "10.5.23-MariaDB", 1, "failed", bad.clone()),
            run("b", "10.11.14-MariaDB", 1, "failed", bad),
        ]);
        assert!(m.divergences.is_empty());
        assert_eq!(
            m.scenarios[0].cells[0].failure.as_deref(),
            Some("downgrade failed — schema differs")
        );
    }

    #[test]
    fn a_server_without_report_is_an_error_column() {
        let ok = json!({ "action": "upgrade", "status": "passed" });
        let mut broken = run("mysql-8.0", "", 3, "passed", ok.clone());
        broken.report = None;
        broken.stderr_tail = "error: image mysql:8.0 not found\n".into();
        let m = fold(&[run("a", "10.11.14-MariaDB", 0, "passed", ok), broken]);
        assert_eq!(m.exit_code, 3);
        assert_eq!(m.servers[1].name, "mysql-8.0");
        assert_eq!(
            m.servers[1].error.as_deref(),
            Some("error: image mysql:8.0 not found")
        );
        assert_eq!(m.scenarios[0].cells[1].status, "missing");
    }

    #[test]
    fn exit_codes_fold_worst_first() {
        assert_eq!(fold_exit_codes(&[0, 0, 0]), 0);
        assert_eq!(fold_exit_codes(&[0, 1, 0]), 1);
        assert_eq!(fold_exit_codes(&[0, 4]), 4);
        assert_eq!(fold_exit_codes(&[4, 1]), 1);
        assert_eq!(fold_exit_codes(&[1, 3]), 3);
        assert_eq!(fold_exit_codes(&[3, 2]), 2);
        assert_eq!(fold_exit_codes(&[0, 143]), 3);
    }

    #[test]
    fn slots_follow_memory() {
        let gib = 1024 * 1024;
        assert_eq!(parallel_slots(Some(20 * gib), gib, 3), 3);
        assert_eq!(parallel_slots(Some(2 * gib), gib, 3), 2);
        assert_eq!(parallel_slots(Some(gib / 2), gib, 3), 1);
        assert_eq!(parallel_slots(None, gib, 3), 1);
    }

    #[test]
    fn server_names() {
        assert_eq!(server_name("10.5.23-MariaDB-0+deb11u1"), "MariaDB 10.5.23");
        assert_eq!(server_name("8.4.2"), "MySQL 8.4.2");
    }
}
