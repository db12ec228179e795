//! The matrix's sentences, shared by every matrix renderer: a divergence in one line, each
//! server's failure and the verdict.

use std::collections::BTreeMap;

use super::model::{Answer, DdlStatementRef, Divergence, Matrix, ServerOutcome};
use crate::online::Blocking;
use crate::report::RunStatus;

/// `fails on MariaDB 10.5.23 only: 4161 at 000002 — Unknown data type: 'UUID'`; for an
/// online-DDL statement, which servers it blocks writes on and which not.
pub fn divergence_text(d: &Divergence) -> String {
    match &d.statement {
        Some(st) => statement_text(st, &d.outcomes),
        None => outcome_text(&d.failing, &d.passing, &d.outcomes),
    }
}

/// `round-trip on MariaDB 10.5.23: 4161 at 000002 — Unknown data type …`: every scenario's
/// first failure on each server, in scenario then server order.
pub fn failure_lines(m: &Matrix) -> Vec<String> {
    m.scenarios
        .iter()
        .flat_map(|r| {
            r.cells.iter().zip(&m.servers).filter_map(move |(c, srv)| {
                c.failure
                    .as_ref()
                    .map(|f| format!("{} on {}: {f}", r.scenario, srv.name))
            })
        })
        .collect()
}

/// `passed`, `failed`, … or the statement's answer `instant`, `copy (blocks writes)`.
fn answer_words(a: Answer) -> String {
    match a {
        Answer::Status(s) => s.word().to_string(),
        Answer::Ddl(b) => b.to_string(),
    }
}

/// When every failing server failed alike, that failure once; otherwise each server's
/// outcome, its own message quoted.
fn outcome_text(failing: &[String], passing: &[String], outcomes: &[ServerOutcome]) -> String {
    let failures: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.failure.as_ref().map(|f| f.to_string()))
        .collect();
    let alike = failures.windows(2).all(|w| w[0] == w[1]);
    let others = failing.len() + passing.len() == outcomes.len();
    if alike && others && !failing.is_empty() && !passing.is_empty() {
        let detail = failures.first().cloned().unwrap_or_default();
        return if failing.len() <= passing.len() {
            format!("fails on {} only: {detail}", failing.join(", "))
        } else {
            format!(
                "passes on {} only; fails on {}: {detail}",
                passing.join(", "),
                failing.join(", ")
            )
        };
    }
    let each: Vec<String> = outcomes
        .iter()
        .map(|o| match &o.failure {
            Some(f) => format!("{} on {}: {f}", answer_words(o.status), o.server),
            None => format!("{} on {}", answer_words(o.status), o.server),
        })
        .collect();
    format!("differs between servers: {}", each.join("; "))
}

/// `000004 statement 1 (ALTER TABLE …): copy (blocks writes) on MariaDB 10.5.23; but
/// instant on MariaDB 10.11.14, MariaDB 11.8.3`.
fn statement_text(st: &DdlStatementRef, outcomes: &[ServerOutcome]) -> String {
    let answers: Vec<(&str, Blocking)> = outcomes
        .iter()
        .filter_map(|o| match o.status {
            Answer::Ddl(b) => Some((o.server.as_str(), b)),
            Answer::Status(_) => None,
        })
        .collect();
    let say = |blocks: bool| -> String {
        let mut by: BTreeMap<Blocking, Vec<&str>> = BTreeMap::new();
        for (name, b) in answers.iter().filter(|(_, b)| b.blocks_writes() == blocks) {
            by.entry(*b).or_default().push(name);
        }
        by.iter()
            .map(|(b, names)| format!("{b} on {}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let sql = st.sql.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{} statement {} ({sql}): {}; but {}",
        st.revision,
        st.index,
        say(true),
        say(false)
    )
}

/// `matrix FAILED — NO-GO: 3 servers, 1 divergence, exit code 1`, the console's last line.
pub fn verdict_line(m: &Matrix) -> String {
    let word = match m.status {
        RunStatus::Passed => "PASSED on every server — GO",
        RunStatus::Failed => "FAILED — NO-GO",
        RunStatus::Error => "ERROR — matrix incomplete",
        RunStatus::Skipped => "NOTHING TESTED — NO-GO",
    };
    let n = m.divergences.len();
    format!(
        "matrix {word}: {} servers, {n} divergence{}, exit code {}",
        m.servers.len(),
        if n == 1 { "" } else { "s" },
        m.exit_code
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn a_failure_on_the_fewer_servers_reads_fails_on_those_only() {
        let m = fixture().matrix;
        assert_eq!(
            divergence_text(&m.divergences[0]),
            "fails on MariaDB 10.5.23 only: 4161 at 000002 — Unknown data type: 'UUID'"
        );
    }

    #[test]
    fn a_failure_on_most_servers_names_the_passing_ones_first() {
        let mut d = fixture().matrix.divergences[0].clone();
        d.failing.push("MySQL 9.7.0".into());
        d.outcomes.push(ServerOutcome {
            server: "MySQL 9.7.0".into(),
            ..d.outcomes[0].clone()
        });
        assert_eq!(
            divergence_text(&d),
            "passes on MariaDB 11.8.3 only; fails on MariaDB 10.5.23, MySQL 9.7.0: 4161 at 000002 — Unknown data type: 'UUID'"
        );
    }

    #[test]
    fn the_verdict_line_counts_servers_and_divergences() {
        assert_eq!(
            verdict_line(&fixture().matrix),
            "matrix FAILED — NO-GO: 2 servers, 1 divergence, exit code 1"
        );
    }
}
