//! The contract between the runner and every migration driver: the `MigrationDriver` trait,
//! where to move the schema (`Target`), and what every call returns (`Execution`, the version
//! read from the tool's table).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::statement::{FailedStatement, FailurePoint, SourceLine, StatementRecord};
use crate::chain::Chain;
use crate::config::ToolKind;
use crate::db::DbError;
use crate::db::{ConnInfo, ServerError};
use crate::driver::DriverError;
use crate::driver::TargetError;
use crate::driver::VersionMismatch;

/// Where to move the schema: `head`, `base`, a revision, or relative steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String")]
pub enum Target {
    Head,
    Base,
    Revision(String),
    Relative(i32),
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

impl Target {
    pub fn parse(s: &str) -> Target {
        match s.trim() {
            "head" | "heads" => Target::Head,
            "base" => Target::Base,
            t if (t.starts_with('+') || t.starts_with('-')) && t[1..].parse::<i32>().is_ok() => {
                Target::Relative(t.parse().expect("checked"))
            }
            t => Target::Revision(t.to_string()),
        }
    }

    /// The revision id this target names, given the chain order and the current version.
    pub fn resolve(
        &self,
        order: &[String],
        current: Option<&str>,
    ) -> std::result::Result<Option<String>, TargetError> {
        let idx_of = |r: &str| order.iter().position(|o| o == r);
        match self {
            Target::Head => Ok(order.last().cloned()),
            Target::Base => Ok(None),
            Target::Revision(r) => idx_of(r)
                .map(|_| Some(r.clone()))
                .ok_or_else(|| TargetError::UnknownRevision(r.clone())),
            Target::Relative(n) => {
                let cur = match current {
                    Some(c) => idx_of(c)
                        .map(|i| i as i64)
                        .ok_or_else(|| TargetError::UnknownCurrent(c.to_string()))?,
                    None => -1,
                };
                let to = cur + *n as i64;
                if to < -1 || to >= order.len() as i64 {
                    return Err(TargetError::OutsideChain {
                        steps: *n,
                        from: current.map(str::to_string),
                    });
                }
                Ok((to >= 0).then(|| order[to as usize].clone()))
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Base => f.write_str("base"),
            Target::Revision(r) => f.write_str(r),
            Target::Relative(n) => write!(f, "{n:+}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Succeeded,
    Failed,
    TimedOut {
        seconds: u64,
    },
    /// The tool could not be started (missing binary, bad interpreter).
    NotStarted {
        reason: String,
    },
}

/// One tool call, as data: what ran, how it ended, what it printed, what the server refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Execution {
    /// The command line, credentials redacted.
    pub command: String,
    pub outcome: Outcome,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub stdout: String,
    pub stderr: String,
    pub error: Option<ServerError>,
    /// The revision that was running when it failed.
    pub failed_revision: Option<String>,
    /// The statement the server refused.
    pub failed_statement: Option<FailedStatement>,
    /// Where that statement is written, when the driver knows.
    pub failed_at: Option<SourceLine>,
    /// Every statement sent, in order, when the driver can see them (native SQL, the
    /// Alembic worker); empty for opaque tool processes.
    pub statements: Vec<StatementRecord>,
}

impl Execution {
    pub fn ok(&self) -> bool {
        self.outcome == Outcome::Succeeded
    }

    /// The tool's own log lines (stderr then stdout, as the seed quotes them).
    pub fn log(&self) -> String {
        let mut s = self.stderr.trim_end().to_string();
        if !self.stdout.trim().is_empty() {
            if !s.is_empty() {
                s.push('\n');
            }
            s.push_str(self.stdout.trim_end());
        }
        s
    }

    /// A finished tool process as data: exit 127 (shell: not found) and spawn failures are
    /// `NotStarted`; on failure the server error and the failing revision are parsed out.
    pub fn from_process(
        command: String,
        r: super::process::ProcessResult,
        timeout: Duration,
    ) -> Execution {
        use super::process::ProcessEnd;
        let outcome = match &r.end {
            ProcessEnd::Exited(0) => Outcome::Succeeded,
            ProcessEnd::Exited(127) => Outcome::NotStarted {
                reason: format!("command not found: {}", r.stderr.trim()),
            },
            ProcessEnd::Exited(_) | ProcessEnd::Signalled => Outcome::Failed,
            ProcessEnd::TimedOut => Outcome::TimedOut {
                seconds: timeout.as_secs(),
            },
            ProcessEnd::SpawnFailed(e) => Outcome::NotStarted { reason: e.clone() },
        };
        let failed = outcome != Outcome::Succeeded;
        Execution {
            command,
            exit_code: r.exit_code(),
            duration_ms: r.duration.as_millis() as u64,
            error: if failed {
                crate::db::parse_error_text(&r.combined())
            } else {
                None
            },
            failed_revision: if failed {
                super::alembic_log::failed_revision(&r.stderr)
            } else {
                None
            },
            failed_statement: None,
            failed_at: None,
            statements: Vec::new(),
            stdout: r.stdout,
            stderr: r.stderr,
            outcome,
        }
    }

    pub fn not_started(command: String, reason: String) -> Execution {
        Execution {
            command,
            outcome: Outcome::NotStarted { reason },
            exit_code: None,
            duration_ms: 0,
            stdout: String::new(),
            stderr: String::new(),
            error: None,
            failed_revision: None,
            failed_statement: None,
            failed_at: None,
            statements: Vec::new(),
        }
    }

    /// Where the migration stopped, from the statement capture.
    pub fn failure_point(&self) -> Option<FailurePoint> {
        FailurePoint::of(&self.statements)
    }

    /// The refused statement as the capture saw it (its SQL alone), else as the driver
    /// reported it.
    pub fn refused_statement(&self) -> Option<FailedStatement> {
        self.failure_point()
            .map(|p| FailedStatement::sql(p.statement))
            .or_else(|| self.failed_statement.clone())
    }
}

pub use crate::chain::VersionStyle;

/// The version table's content, read from the database itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionState {
    pub rows: Vec<String>,
    pub dirty: bool,
    pub style: VersionStyle,
}

impl VersionState {
    /// The newest applied revision in chain order.
    pub fn current(&self, order: &[String]) -> Option<String> {
        order
            .iter()
            .rev()
            .find(|r| self.rows.contains(r))
            .cloned()
            .or_else(|| self.rows.last().cloned())
    }

    /// Checks the table says exactly `rev` (None = base) and nothing else.
    pub fn check_at(
        &self,
        rev: Option<&str>,
        order: &[String],
    ) -> std::result::Result<(), VersionMismatch> {
        if self.dirty {
            return Err(VersionMismatch::Dirty {
                rows: self.rows.clone(),
            });
        }
        let expected: Vec<String> = match (self.style, rev) {
            (_, None) => vec![],
            (VersionStyle::Single, Some(r)) => vec![r.to_string()],
            (VersionStyle::PerRevision, Some(r)) => {
                let i = order.iter().position(|o| o == r).unwrap_or(0);
                order[..=i].to_vec()
            }
        };
        let mut got = self.rows.clone();
        got.sort();
        let mut want = expected.clone();
        want.sort();
        if got == want {
            Ok(())
        } else {
            Err(VersionMismatch::Holds {
                rows: self.rows.clone(),
                expected,
            })
        }
    }
}

/// Rows of a version table read from the database itself; a missing table is "no version".
pub async fn read_version_rows(
    db: &DbTarget,
    table: &str,
    column: &str,
) -> std::result::Result<Vec<String>, DbError> {
    let sql = format!(
        "SELECT {} FROM {}",
        crate::db::ident(column),
        crate::db::ident(table)
    );
    read_version_query(db, &sql).await
}

/// The first column of `sql`'s rows as text; a missing table (1146) is "no version".
pub async fn read_version_query(
    db: &DbTarget,
    sql: &str,
) -> std::result::Result<Vec<String>, DbError> {
    use mysql_async::prelude::Queryable;
    let mut c = db.connect().await?;
    let rows: std::result::Result<Vec<mysql_async::Row>, _> = c.query(sql).await;
    let _ = c.disconnect().await;
    match rows {
        Ok(r) => Ok(r
            .into_iter()
            .filter_map(|mut row| row.take::<mysql_async::Value, _>(0))
            .map(|v| match v {
                mysql_async::Value::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                other => other.as_sql(true).trim_matches('\'').to_string(),
            })
            .collect()),
        Err(e) if crate::db::server_error(&e).is_some_and(|s| s.code == 1146) => Ok(Vec::new()),
        Err(e) => Err(DbError::at(sql)(e)),
    }
}

/// The database a driver works on, and how long one call may take.
#[derive(Debug, Clone)]
pub struct DbTarget {
    pub conn: ConnInfo,
    pub database: String,
    pub timeout: Duration,
}

impl DbTarget {
    /// The one way to open a connection to the database a step works on (the scratch
    /// database of a scenario, a clone, a parent state).
    pub async fn connect(&self) -> std::result::Result<crate::db::Pooled, DbError> {
        self.conn.connect(Some(&self.database)).await
    }
}

/// Human commands for the report's recommendations (`flask db upgrade`, …).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ToolCommands {
    pub upgrade: String,
    pub current: String,
    pub downgrade_to: String,
}

#[async_trait::async_trait]
pub trait MigrationDriver: Send + Sync {
    fn tool(&self) -> ToolKind;
    fn chain(&self) -> &Chain;
    /// Table the tool keeps its version in (left out of schema snapshots).
    fn version_table(&self) -> &str;
    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution;
    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution;
    /// Upgrades to `target` but stops the migration of `target` after `stop_after` of its
    /// own statements were applied, as a crash would (the version table is not moved).
    /// None when the driver cannot interrupt a migration between statements.
    async fn upgrade_interrupted(
        &self,
        _db: &DbTarget,
        _target: &Target,
        _stop_after: usize,
    ) -> Option<Execution> {
        None
    }
    /// The production deploy command, run as a real process with the project's own app
    /// (`flask db upgrade`, `alembic upgrade head`); None when the tool has no such command
    /// apart from the migrations the harness runs natively.
    async fn deploy(&self, _db: &DbTarget) -> Option<Execution> {
        None
    }
    /// Stops whatever the driver keeps running between calls (warm workers); called once at
    /// the end of a run.
    async fn shutdown(&self) {}
    /// Moves the version marker without running DDL.
    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution;
    /// Reads the version table itself (never the tool's `current`, which walks the graph).
    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, DriverError>;
    /// `alembic check` / `flask db check`; None when the tool has no such check.
    async fn model_check(&self, _db: &DbTarget) -> Option<Execution> {
        None
    }
    /// The heads the tool itself reports, to cross-check the parsed graph.
    async fn tool_heads(
        &self,
        _db: &DbTarget,
    ) -> Option<std::result::Result<Vec<String>, DriverError>> {
        None
    }
    /// The statements the release's ORM model sends for every mapped table (INSERT,
    /// SELECT by key, UPDATE, DELETE, compiled for MySQL); None when the tool has no model
    /// to read (SQL directories and commands: their `[[probes]]` speak for the code).
    /// `db` is a scratch database env.py may connect to; nothing is written to it.
    async fn model_statements(
        &self,
        _db: &DbTarget,
    ) -> Option<
        std::result::Result<Vec<crate::compat::CodeStatement>, crate::compat::ModelUnavailable>,
    > {
        None
    }
    /// Runs a project command (e.g. `flask db current`) against the database.
    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution;
    fn commands(&self) -> ToolCommands;
    /// Tool and runtime versions for the report.
    fn versions(&self) -> Vec<(String, String)>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Vec<String> {
        ["a", "b", "c"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn targets_parse_and_resolve() {
        assert_eq!(Target::parse("-1"), Target::Relative(-1));
        assert_eq!(Target::parse("+2"), Target::Relative(2));
        assert_eq!(Target::parse("head"), Target::Head);
        let o = order();
        assert_eq!(
            Target::Relative(-1)
                .resolve(&o, Some("b"))
                .unwrap()
                .as_deref(),
            Some("a")
        );
        assert_eq!(Target::Relative(-1).resolve(&o, Some("a")).unwrap(), None);
        assert_eq!(
            Target::Relative(-2).resolve(&o, Some("a")),
            Err(TargetError::OutsideChain {
                steps: -2,
                from: Some("a".into())
            })
        );
        assert_eq!(
            Target::Relative(-2)
                .resolve(&o, None)
                .unwrap_err()
                .to_string(),
            "-2 from base is outside the chain"
        );
        assert_eq!(
            Target::Relative(1).resolve(&o, None).unwrap().as_deref(),
            Some("a")
        );
        assert_eq!(
            Target::Head.resolve(&o, None).unwrap().as_deref(),
            Some("c")
        );
    }

    #[test]
    fn version_state_checks_both_styles() {
        let o = order();
        let single = VersionState {
            rows: vec!["b".into()],
            dirty: false,
            style: VersionStyle::Single,
        };
        assert!(single.check_at(Some("b"), &o).is_ok());
        assert!(single.check_at(Some("c"), &o).is_err());
        let per = VersionState {
            rows: vec!["a".into(), "b".into()],
            dirty: false,
            style: VersionStyle::PerRevision,
        };
        assert!(per.check_at(Some("b"), &o).is_ok());
        assert_eq!(per.current(&o).as_deref(), Some("b"));
        let dirty = VersionState {
            rows: vec!["b".into()],
            dirty: true,
            style: VersionStyle::Single,
        };
        assert_eq!(
            dirty.check_at(Some("b"), &o),
            Err(VersionMismatch::Dirty {
                rows: vec!["b".into()]
            })
        );
        assert_eq!(
            single.check_at(Some("c"), &o).unwrap_err().to_string(),
            "version table holds [b], expected [c]"
        );
    }
}
