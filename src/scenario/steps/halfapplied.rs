//! After a failed step: what it left behind (statements that ran, the version table, the
//! schema compared with the state before it) and whether simply running it again recovers.

use super::super::context::RunContext;
use super::common::snapshot;
use super::failure::Applied;
use crate::driver::{DbTarget, Execution, Outcome, VersionState};
use crate::findings::{differences, LeftBehind, Retry};
use crate::said::{Left, Masked, Quoted, Said, VersionRows, VersionTable};
use crate::schema::{diff, Snapshot};

/// What a failed step left behind, and what a re-run did: as data, and as report lines.
#[derive(Debug, Clone)]
pub struct HalfApplied {
    /// One line each: statements, version table, schema.
    pub lines: Vec<Said>,
    pub left: LeftBehind,
}

impl HalfApplied {
    /// The retry's outcome in words.
    pub fn retry_line(&self) -> Said {
        match &self.left.retry {
            Retry::Recovers => Left::RetryRecovers,
            Retry::Fails { error: Some(e), .. } => Left::RetryFailsWith {
                error: Quoted::new(e),
            },
            Retry::Fails {
                error: None,
                message,
                ..
            } => Left::RetryFails {
                message: Quoted::new(message),
            },
        }
        .into()
    }

    /// `half-applied: 2 statement(s) ran before statement 3 failed; version table still at 1;
    /// changed: …; re-run fails with 1091 …`
    pub fn summary(&self) -> Said {
        let mut all = self.lines.clone();
        all.push(self.retry_line());
        Said::All(all)
    }
}

fn rows(v: &Option<VersionState>) -> VersionRows {
    match v {
        None => VersionRows::Unreadable,
        Some(s) => VersionRows::At {
            rows: s.rows.clone(),
            dirty: s.dirty,
        },
    }
}

/// Measures what the failed `failed` left in `db` against `before` (schema and version
/// read before the step), then runs `retry` once.
pub async fn measure<F>(
    ctx: &RunContext,
    db: &DbTarget,
    before: &Snapshot,
    version_before: &Option<VersionState>,
    failed: &Execution,
    retry: F,
) -> HalfApplied
where
    F: std::future::Future<Output = Execution>,
{
    let mut lines = Vec::new();
    let fp = failed.failure_point();
    // `Applied` words itself (steps/failure.rs).
    lines.push(Said::from(Applied::of(
        fp.as_ref(),
        !failed.statements.is_empty(),
    )));
    let version_after = ctx.driver.version(db).await.ok();
    let version_table = if version_after.as_ref().map(|v| &v.rows)
        == version_before.as_ref().map(|v| &v.rows)
        && version_after.as_ref().map(|v| v.dirty) == version_before.as_ref().map(|v| v.dirty)
    {
        VersionTable::Still(rows(version_before))
    } else {
        VersionTable::Moved {
            from: rows(version_before),
            to: rows(&version_after),
        }
    };
    lines.push(Left::VersionTable(version_table.clone()).into());
    let mut changed = Vec::new();
    match snapshot(ctx, db).await {
        Ok(now) => {
            changed = differences(diff(before, &now));
            lines.push(if changed.is_empty() {
                Left::SchemaUnchanged.into()
            } else {
                Left::SchemaChanged {
                    changes: changed.iter().map(Quoted::new).collect(),
                }
                .into()
            });
        }
        Err(e) => lines.push(
            Left::SchemaUnreadable {
                error: Quoted::new(e),
            }
            .into(),
        ),
    }
    let again = retry.await;
    let retry = match (&again.outcome, &again.error) {
        (Outcome::Succeeded, _) => Retry::Recovers,
        (_, e) => Retry::Fails {
            error: e.clone(),
            statement: again.refused_statement(),
            message: again
                .stderr
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string(),
        },
    };
    let left = LeftBehind {
        statements_applied: fp.as_ref().map_or(0, |f| f.applied_before.len()),
        failed_statement: fp.as_ref().map(|f| f.index),
        // report.json's `version_table`: the same words as the line, without its lead.
        version_table: Masked::shown(&version_table),
        changed,
        retry,
    };
    HalfApplied { lines, left }
}
