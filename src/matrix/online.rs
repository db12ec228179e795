//! Online-DDL divergences across a server matrix: one statement that blocks writes on some
//! servers and not on others (instant on MariaDB 11.8, a table copy on 10.5), read from each
//! server's typed `RevisionDdl` results.

use crate::online::{Blocking, RevisionDdl};
use crate::report::matrix::{
    Answer, DdlStatementRef, Divergence, ServerColumn, ServerOutcome, ServerRun,
};
use crate::report::RunSummary;

/// The scenario whose steps carry the classifications.
const SCENARIO: &str = "online-ddl";

/// Every `online_ddl` result of one server's report, typed.
fn revisions(report: &RunSummary) -> Vec<RevisionDdl> {
    report
        .scenarios
        .iter()
        .filter(|s| s.id == SCENARIO)
        .flat_map(|s| &s.steps)
        .filter_map(|st| st.online_ddl.as_deref().cloned())
        .collect()
}

/// A statement and each server's answer, in server order.
type Answers = Vec<(DdlStatementRef, Vec<(String, Blocking)>)>;

pub fn divergences(runs: &[ServerRun], servers: &[ServerColumn]) -> Vec<Divergence> {
    // In the order the first server that probed them lists them (chain order).
    let mut seen: Answers = Vec::new();
    for (run, col) in runs.iter().zip(servers) {
        let Some(report) = &run.report else { continue };
        for d in revisions(report) {
            for s in d.statements {
                let Some(b) = s.verdict.blocking() else {
                    continue;
                };
                let key = DdlStatementRef {
                    revision: d.revision.clone(),
                    index: s.index,
                    sql: s.sql.clone(),
                };
                match seen.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, answers)) => answers.push((col.name.clone(), b)),
                    None => seen.push((key, vec![(col.name.clone(), b)])),
                }
            }
        }
    }
    let mut out = Vec::new();
    for (statement, answers) in seen {
        let (blocking, free): (Vec<_>, Vec<_>) =
            answers.iter().partition(|(_, b)| b.blocks_writes());
        if blocking.is_empty() || free.is_empty() {
            continue;
        }
        out.push(Divergence {
            scenario: SCENARIO.into(),
            failing: blocking.iter().map(|(n, _)| n.clone()).collect(),
            passing: free.iter().map(|(n, _)| n.clone()).collect(),
            // Each server's answer in place of a status: `instant`, `copy`, ….
            outcomes: answers
                .iter()
                .map(|(n, b)| ServerOutcome {
                    server: n.clone(),
                    status: Answer::Ddl(*b),
                    failure: None,
                })
                .collect(),
            statement: Some(statement),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::online::{Algorithm, Attempt, DdlStatement, Verdict};
    use crate::report::matrix::{divergence_text, Peak};
    use crate::report::RunStatus;

    fn run(version: &str, blocking: Blocking, algorithm: Algorithm) -> (ServerRun, ServerColumn) {
        let d = RevisionDdl {
            revision: "000004".into(),
            statements: vec![DdlStatement {
                index: 1,
                sql: "ALTER TABLE orders\n MODIFY customer VARCHAR(120) NOT NULL".into(),
                table: Some("orders".into()),
                verdict: Verdict::Probed {
                    accepted: Attempt {
                        algorithm,
                        lock: None,
                    },
                    blocking,
                },
                refusals: vec![],
                estimate: None,
            }],
        };
        let report = crate::report::summary_fixture(serde_json::json!({
            "server": { "engine": "mariadb", "provider": "local", "version": version },
            "scenarios": [ { "id": "online-ddl", "steps": [ { "online_ddl": d } ] } ]
        }));
        let name = crate::matrix::fold::server_name(version);
        (
            ServerRun {
                label: name.clone(),
                target: name.clone(),
                exit_code: 0,
                report: Some(report),
                stderr_tail: String::new(),
                peak: Peak::default(),
            },
            ServerColumn {
                label: name.clone(),
                target: name.clone(),
                name,
                version: Some(version.into()),
                status: RunStatus::Passed,
                exit_code: 0,
                peak_memory: Peak::default(),
                error: None,
            },
        )
    }

    #[test]
    fn instant_on_one_server_and_a_copy_on_another_is_a_divergence_naming_both() {
        let (a, ca) = run("10.5.23-MariaDB", Blocking::Copy, Algorithm::Copy);
        let (b, cb) = run("10.11.14-MariaDB", Blocking::Instant, Algorithm::Instant);
        let (c, cc) = run("11.8.3-MariaDB", Blocking::Instant, Algorithm::Instant);
        let d = divergences(&[a, b, c], &[ca, cb, cc]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].failing, ["MariaDB 10.5.23"]);
        assert_eq!(
            divergence_text(&d[0]),
            "000004 statement 1 (ALTER TABLE orders MODIFY customer VARCHAR(120) NOT NULL): \
             copy (blocks writes) on MariaDB 10.5.23; but instant on MariaDB 10.11.14, MariaDB 11.8.3"
        );
    }

    #[test]
    fn the_same_answer_everywhere_or_only_degrees_of_online_is_no_divergence() {
        let (a, ca) = run("10.5.23-MariaDB", Blocking::Copy, Algorithm::Copy);
        let (b, cb) = run("9.7.0", Blocking::Copy, Algorithm::Copy);
        assert!(divergences(&[a, b], &[ca, cb]).is_empty());
        let (a, ca) = run("10.5.23-MariaDB", Blocking::Online, Algorithm::Inplace);
        let (b, cb) = run("9.7.0", Blocking::Instant, Algorithm::Instant);
        assert!(divergences(&[a, b], &[ca, cb]).is_empty());
    }
}
