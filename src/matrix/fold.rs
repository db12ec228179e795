//! `Matrix`: the per-server reports folded into scenario × server, with the divergences
//! (a scenario whose outcome, failing revision or server code differs between servers)
//! spelled out, and the exit code over all servers. Pure: it reads each server's typed
//! `RunSummary` (its report.json, read back).

use crate::error::exit;
use crate::report::matrix::{
    Answer, Cell, CellStatus, Divergence, Failure, Matrix, MatrixRow, ServerColumn, ServerOutcome,
    ServerRun,
};
use crate::report::RunStatus;
use crate::scenario::{ScenarioResult, Status};

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

/// The first failing step of a scenario, with the server's code and message. A failed step
/// the verdict counted as a warning (`demoted`) is not a failure of the scenario.
fn failure_of(scenario: &ScenarioResult) -> Option<Failure> {
    let step = scenario
        .steps
        .iter()
        .find(|s| matches!(s.status, Status::Failed | Status::Error) && s.demoted.is_none())?;
    let message = step
        .error
        .as_ref()
        .map(|e| e.message.clone())
        .or_else(|| step.message.as_ref().map(ToString::to_string))
        .unwrap_or_default();
    Some(Failure {
        code: step.error.as_ref().map(|e| u64::from(e.code)),
        revision: step.revision.clone(),
        action: step.action,
        message,
    })
}

pub fn fold(runs: &[ServerRun]) -> Matrix {
    let servers: Vec<ServerColumn> = runs
        .iter()
        .map(|r| {
            let version = r.report.as_ref().map(|s| s.server.version.clone());
            ServerColumn {
                label: r.label.clone(),
                target: r.target.clone(),
                name: version
                    .as_deref()
                    .map(server_name)
                    .unwrap_or_else(|| r.label.clone()),
                version,
                status: r.report.as_ref().map_or(RunStatus::Error, |s| s.status),
                exit_code: r.exit_code,
                peak_memory: r.peak,
                error: r
                    .report
                    .is_none()
                    .then(|| r.stderr_tail.trim().to_string())
                    .or_else(|| r.report.as_ref().and_then(|s| s.error.clone())),
            }
        })
        .collect();

    // Scenario order: as the first report that has it lists it.
    let mut ids: Vec<(String, String)> = Vec::new();
    for s in runs
        .iter()
        .filter_map(|r| r.report.as_ref())
        .flat_map(|j| &j.scenarios)
    {
        if !ids.iter().any(|(i, _)| *i == s.id) {
            ids.push((s.id.clone(), s.title.clone()));
        }
    }
    let mut rows = Vec::new();
    let mut divergences = Vec::new();
    for (id, title) in ids {
        let cells: Vec<Cell> = runs
            .iter()
            .map(|r| {
                let s = r
                    .report
                    .as_ref()
                    .and_then(|j| j.scenarios.iter().find(|s| s.id == id));
                match s {
                    None => Cell {
                        status: CellStatus::Missing,
                        failure: None,
                    },
                    Some(s) => Cell {
                        status: s.status.into(),
                        failure: failure_of(s),
                    },
                }
            })
            .collect();
        if let Some(d) = divergence(&id, &cells, &servers) {
            divergences.push(d);
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
            exit::PASSED => RunStatus::Passed,
            exit::FAILED => RunStatus::Failed,
            exit::NOTHING_TESTED => RunStatus::Skipped,
            _ => RunStatus::Error,
        },
        exit_code,
        servers,
        scenarios: rows,
        divergences,
    }
}

/// A divergence: the servers with a result do not agree on status, failing revision or
/// server code. Each server's own failure is kept and quoted.
fn divergence(id: &str, cells: &[Cell], servers: &[ServerColumn]) -> Option<Divergence> {
    // A server without a result is a server error, reported as such, not a divergence.
    let present: Vec<(&Cell, &ServerColumn)> = cells
        .iter()
        .zip(servers)
        .filter(|(c, _)| c.status != CellStatus::Missing)
        .collect();
    let first = present.first()?.0.outcome_key();
    if present.iter().all(|(c, _)| c.outcome_key() == first) {
        return None;
    }
    let names = |keep: &dyn Fn(&Cell) -> bool| -> Vec<String> {
        present
            .iter()
            .filter(|(c, _)| keep(c))
            .map(|(_, s)| s.name.clone())
            .collect()
    };
    let failing = names(&|c| c.is_bad());
    let passing = names(&|c| c.status == CellStatus::Passed);
    let outcomes: Vec<ServerOutcome> = present
        .iter()
        .map(|(c, s)| ServerOutcome {
            server: s.name.clone(),
            status: Answer::Status(c.status),
            failure: c.failure.clone(),
        })
        .collect();
    Some(Divergence {
        scenario: id.to_string(),
        failing,
        passing,
        outcomes,
        statement: None,
    })
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
    use crate::report::matrix::{divergence_text, Peak};
    use serde_json::{json, Value};

    fn run(label: &str, version: &str, code: i32, chain: &str, failing_step: Value) -> ServerRun {
        ServerRun {
            label: label.into(),
            target: format!("img:{label}"),
            exit_code: code,
            report: Some(crate::report::summary_fixture(json!({
                "status": if code == 0 { "passed" } else { "failed" },
                "server": { "engine": "mariadb", "provider": "local", "version": version },
                "scenarios": [
                    { "id": "chain", "title": "Migration Chain Verification", "status": chain,
                      "steps": [ { "action": "upgrade", "status": "passed", "revision": "r6" }, failing_step ] },
                    { "id": "upgrade", "title": "Initial Upgrade", "status": "passed", "steps": [] }
                ]
            }))),
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
        assert_eq!(m.status, RunStatus::Failed);
        assert_eq!(m.divergences.len(), 1);
        let d = &m.divergences[0];
        assert_eq!(d.scenario, "chain");
        assert_eq!(d.failing, ["MariaDB 10.5.23"]);
        assert_eq!(
            divergence_text(d),
            "fails on MariaDB 10.5.23 only: 1064 at r7 — You have an error in your SQL syntax; check the manual near 'UUID NOT NULL'"
        );
        assert_eq!(m.scenarios[0].cells[0].status, CellStatus::Failed);
        assert_eq!(
            m.scenarios[1]
                .cells
                .iter()
                .filter(|c| c.status == CellStatus::Passed)
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
            m.scenarios[0].cells[0]
                .failure
                .as_ref()
                .map(|f| f.to_string())
                .as_deref(),
            Some("downgrade failed — schema differs")
        );
    }

    fn failed_at(rev: &str, code: u64, message: &str) -> Value {
        json!({ "action": "upgrade", "status": "failed", "revision": rev,
            "error": { "code": code, "message": message } })
    }

    #[test]
    fn every_server_failing_differently_is_a_divergence_quoting_each() {
        let m = fold(&[
            run(
                "mysql-9.7",
                "9.7.0",
                1,
                "failed",
                failed_at("r5", 1418, "This function has none of DETERMINISTIC"),
            ),
            run(
                "mariadb-10.11",
                "10.11.14-MariaDB",
                1,
                "failed",
                failed_at("r4", 1072, "Key column 'x' doesn't exist in table"),
            ),
        ]);
        assert_eq!(m.divergences.len(), 1);
        let d = &m.divergences[0];
        assert_eq!(d.failing, ["MySQL 9.7.0", "MariaDB 10.11.14"]);
        assert!(d.passing.is_empty());
        assert_eq!(
            divergence_text(d),
            "differs between servers: failed on MySQL 9.7.0: 1418 at r5 — This function has none of DETERMINISTIC; \
             failed on MariaDB 10.11.14: 1072 at r4 — Key column 'x' doesn't exist in table"
        );
        assert_eq!(d.outcomes[0].failure.as_ref().unwrap().code, Some(1418));
        assert_eq!(
            d.outcomes[1].failure.as_ref().unwrap().revision.as_deref(),
            Some("r4")
        );
    }

    #[test]
    fn another_code_or_revision_alone_is_a_divergence() {
        let same_rev = fold(&[
            run(
                "a",
                "10.5.23-MariaDB",
                1,
                "failed",
                failed_at("r1", 4161, "Unknown data type: 'UUID'"),
            ),
            run(
                "b",
                "10.11.14-MariaDB",
                1,
                "failed",
                failed_at("r1", 1305, "FUNCTION UUID_v7 does not exist"),
            ),
        ]);
        assert_eq!(same_rev.divergences.len(), 1);
        let same_code = fold(&[
            run(
                "a",
                "10.5.23-MariaDB",
                1,
                "failed",
                failed_at("r1", 1060, "Duplicate column name 'x'"),
            ),
            run(
                "b",
                "10.11.14-MariaDB",
                1,
                "failed",
                failed_at("r2", 1060, "Duplicate column name 'x'"),
            ),
        ]);
        assert_eq!(same_code.divergences.len(), 1);
        assert!(divergence_text(&same_code.divergences[0]).contains("1060 at r1"));
        assert!(divergence_text(&same_code.divergences[0]).contains("1060 at r2"));
    }

    #[test]
    fn the_same_code_at_the_same_revision_in_other_words_is_no_divergence() {
        // MariaDB says `in 'SELECT'`, MySQL `in 'field list'`: the same failure.
        let m = fold(&[
            run(
                "a",
                "10.11.14-MariaDB",
                1,
                "failed",
                failed_at("r3", 1054, "Unknown column 'x' in 'SELECT'"),
            ),
            run(
                "b",
                "9.7.0",
                1,
                "failed",
                failed_at("r3", 1054, "Unknown column 'x' in 'field list'"),
            ),
        ]);
        assert!(m.divergences.is_empty(), "{:?}", m.divergences);
    }

    #[test]
    fn skipped_on_one_server_and_passed_on_another_is_a_divergence() {
        let ok = json!({ "action": "upgrade", "status": "passed" });
        let m = fold(&[
            run("a", "10.11.14-MariaDB", 0, "passed", ok.clone()),
            run("b", "11.8.3-MariaDB", 0, "skipped", ok),
        ]);
        assert_eq!(m.divergences.len(), 1);
        assert_eq!(
            divergence_text(&m.divergences[0]),
            "differs between servers: passed on MariaDB 10.11.14; skipped on MariaDB 11.8.3"
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
        assert_eq!(m.scenarios[0].cells[1].status, CellStatus::Missing);
        // Its missing results are a server error, not a divergence in every scenario.
        assert!(m.divergences.is_empty());
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
