//! The online-DDL tables of the human reports: per revision, statement · table · how it runs
//! · the server's reason, built from the typed `RevisionDdl` of the `online_ddl` steps.

use crate::online::{DdlStatement, RevisionDdl, Verdict};
use crate::scenario::StepResult;

/// Said once per report: no ALGORITHM clause avoids the metadata lock.
pub const METADATA_LOCK_NOTE: &str = "Even an instant change waits for the table's metadata \
lock: behind a long-running transaction on the table it queues, and every query arriving \
after it queues behind it. Deploy when no long transaction holds the table (or set a short \
lock_wait_timeout and retry).";

pub struct OnlineRow {
    /// 1-based position among the revision's statements.
    pub index: usize,
    pub statement: String,
    pub table: String,
    /// `instant`, `online`, `copy (blocks writes)`, …
    pub how: String,
    pub blocks: bool,
    /// The clause the server accepted, when probed.
    pub clause: String,
    /// The server's own words for the last refusal (`1846 … Reason: Cannot change column type`).
    pub reason: String,
    /// `≈ 3 min 40 s at 5,000,000 rows; measured …`, with `[production] rows`.
    pub estimate: Option<String>,
}

pub struct OnlineTable {
    pub revision: String,
    pub rows: Vec<OnlineRow>,
}

fn row(s: &DdlStatement) -> OnlineRow {
    let clause = match &s.verdict {
        Verdict::Probed { accepted, .. } => accepted.to_string(),
        _ => String::new(),
    };
    OnlineRow {
        index: s.index,
        statement: s.sql.split_whitespace().collect::<Vec<_>>().join(" "),
        table: s.table.clone().unwrap_or_default(),
        how: s.verdict.to_string(),
        blocks: s.blocks_writes(),
        clause,
        reason: s.reason().map(|e| e.to_string()).unwrap_or_default(),
        estimate: s.estimate.as_ref().map(|e| e.to_string()),
    }
}

pub fn table(d: &RevisionDdl) -> OnlineTable {
    OnlineTable {
        revision: d.revision.clone(),
        rows: d.statements.iter().map(row).collect(),
    }
}

/// The tables of a scenario's steps, in step order: every revision under test, and any
/// other one with a statement that blocks writes. Returns them with the count of the
/// others left out (history whose changes are all instant, online or metadata only), so a
/// long chain's report stays short.
pub fn tables<'a>(
    steps: impl IntoIterator<Item = &'a StepResult>,
    new: &[String],
) -> (Vec<OnlineTable>, usize) {
    let mut omitted = 0;
    let mut out = Vec::new();
    for d in steps.into_iter().filter_map(|st| st.online_ddl.as_deref()) {
        if d.statements.is_empty() {
            continue;
        }
        if new.contains(&d.revision) || d.blocking().next().is_some() {
            out.push(table(d));
        } else {
            omitted += 1;
        }
    }
    (out, omitted)
}

/// Every statement of a revision on one line each, for plain-text reports (JUnit).
pub fn text_lines(d: &RevisionDdl) -> Vec<String> {
    d.statements
        .iter()
        .map(|s| {
            let r = row(s);
            let mut line = format!("#{} `{}`: {}", r.index, r.table, r.how);
            if !r.clause.is_empty() {
                line.push_str(&format!(" ({})", r.clause));
            }
            line.push_str(&format!(" — {}", r.statement));
            if !r.reason.is_empty() {
                line.push_str(&format!(" — server: {}", r.reason));
            }
            if let Some(e) = r.estimate {
                line.push_str(&format!(" — {e}"));
            }
            line
        })
        .collect()
}

/// The console's line for one blocking statement.
pub fn blocking_lines(st: &StepResult) -> Vec<String> {
    let Some(d) = &st.online_ddl else {
        return vec![];
    };
    d.blocking()
        .map(|s| {
            let r = row(s);
            let mut line = format!(
                "{} statement {} on `{}`: {} — {}",
                d.revision, r.index, r.table, r.how, r.statement
            );
            if !r.reason.is_empty() {
                line.push_str(&format!(" ({})", r.reason));
            }
            if let Some(e) = r.estimate {
                line.push_str(&format!("; {e}"));
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ServerError;
    use crate::online::{Algorithm, Attempt, Blocking, Refusal};
    use crate::scenario::StepAction;

    fn ddl() -> RevisionDdl {
        let copy = Attempt {
            algorithm: Algorithm::Copy,
            lock: None,
        };
        RevisionDdl {
            revision: "r3".into(),
            statements: vec![
                DdlStatement {
                    index: 1,
                    sql: "ALTER TABLE orders\n  ADD note text".into(),
                    table: Some("orders".into()),
                    verdict: Verdict::Probed {
                        accepted: Attempt {
                            algorithm: Algorithm::Instant,
                            lock: None,
                        },
                        blocking: Blocking::Instant,
                    },
                    refusals: vec![],
                    estimate: None,
                },
                DdlStatement {
                    index: 2,
                    sql: "ALTER TABLE orders MODIFY total decimal(12,2)".into(),
                    table: Some("orders".into()),
                    verdict: Verdict::Probed {
                        accepted: copy,
                        blocking: Blocking::Copy,
                    },
                    refusals: vec![Refusal {
                        attempt: copy,
                        error: ServerError {
                            code: 1846,
                            message: "ALGORITHM=INPLACE is not supported. Reason: Cannot change column type. Try ALGORITHM=COPY".into(),
                        },
                    }],
                    estimate: None,
                },
            ],
        }
    }

    #[test]
    fn rows_say_how_each_statement_runs_and_the_console_names_only_the_blocking_ones() {
        let t = table(&ddl());
        assert_eq!(t.rows[0].how, "instant");
        assert_eq!(t.rows[0].statement, "ALTER TABLE orders ADD note text");
        assert!(!t.rows[0].blocks);
        assert_eq!(t.rows[1].how, "copy (blocks writes)");
        assert!(t.rows[1].reason.contains("Cannot change column type"));
        let mut st = StepResult::new(StepAction::OnlineDdl, "online DDL r3");
        st.online_ddl = Some(Box::new(ddl()));
        let lines = blocking_lines(&st);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].starts_with("r3 statement 2 on `orders`: copy (blocks writes)"));
    }
}
