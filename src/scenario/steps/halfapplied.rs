//! After a failed step: what it left behind (statements that ran, the version table, the
//! schema compared with the state before it) and whether simply running it again recovers.

use super::super::context::RunContext;
use super::common::snapshot;
use super::failure::Applied;
use crate::driver::{DbTarget, Execution, Outcome, VersionState};
use crate::findings::{differences, joined, LeftBehind, Retry};
use crate::schema::{diff, Snapshot};

/// What a failed step left behind, and what a re-run did: as data, and as report lines.
#[derive(Debug, Clone)]
pub struct HalfApplied {
    /// One line each: statements, version table, schema.
    pub lines: Vec<String>,
    pub left: LeftBehind,
}

impl HalfApplied {
    /// The retry's outcome in words.
    pub fn retry_line(&self) -> String {
        match &self.left.retry {
            Retry::Recovers => "re-running the same step recovers".to_string(),
            Retry::Fails { error: Some(e), .. } => {
                format!("re-running the same step fails with {e}")
            }
            Retry::Fails {
                error: None,
                message,
                ..
            } => {
                format!("re-running the same step fails: {message}")
            }
        }
    }

    /// `half-applied: 2 statement(s) ran before statement 3 failed; version table still at 1;
    /// changed: …; re-run fails with 1091 …`
    pub fn summary(&self) -> String {
        format!("{}; {}", self.lines.join("; "), self.retry_line())
    }
}

fn rows(v: &Option<VersionState>) -> String {
    match v {
        None => "unreadable".into(),
        Some(s) if s.rows.is_empty() => "empty".into(),
        Some(s) => format!(
            "{}{}",
            s.rows.join(", "),
            if s.dirty { " (dirty)" } else { "" }
        ),
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
    lines.push(Applied::of(fp.as_ref(), !failed.statements.is_empty()).to_string());
    let version_after = ctx.driver.version(db).await.ok();
    let version_table = if version_after.as_ref().map(|v| &v.rows)
        == version_before.as_ref().map(|v| &v.rows)
        && version_after.as_ref().map(|v| v.dirty) == version_before.as_ref().map(|v| v.dirty)
    {
        format!("still at {}", rows(version_before))
    } else {
        format!(
            "moved from {} to {}",
            rows(version_before),
            rows(&version_after)
        )
    };
    lines.push(format!("version table {version_table}"));
    let mut changed = Vec::new();
    match snapshot(ctx, db).await {
        Ok(now) => {
            changed = differences(diff(before, &now));
            if changed.is_empty() {
                lines.push("schema unchanged by the failed step".into());
            } else {
                lines.push(format!("changed: {}", joined(&changed, ", ")));
            }
        }
        Err(e) => lines.push(format!("schema unreadable: {e}")),
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
        version_table,
        changed,
        retry,
    };
    HalfApplied { lines, left }
}
