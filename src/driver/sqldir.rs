//! `SqlDirDriver`: runs a SQL directory natively over mysql_async in any of the formats of
//! `chain::formats` (golang-migrate, dbmate, sqlx, goose), keeping the version table the
//! tool itself keeps. What differs between tools lives in the format's file; this driver
//! only sends what the format says.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::sqlsplit::split_statements;
use super::tool::ToolRunner;
use super::{
    line_in, DbTarget, Execution, FailedStatement, MigrationDriver, Outcome, SourceLine,
    StatementOutcome, StatementRecord, StatementSource, Target, ToolCommands, VersionState,
};
use crate::chain::formats::{spelled, Applied, Bookkeeping, Direction, SqlFormat};
use crate::chain::{parse_sql_dir, Chain, SqlMigration, Transaction};
use crate::config::{Config, EmptyFiles, ToolKind};
use crate::db::{is_connection_lost, server_error, DbError, Pooled, ServerError};
use crate::driver::DriverError;
use crate::error::{HarnessError, IoAction, ProjectError, Result};
use crate::redact::Redactor;

pub struct SqlDirDriver {
    format: &'static dyn SqlFormat,
    chain: Chain,
    order: Vec<String>,
    migrations: Vec<SqlMigration>,
    init_sql: Vec<String>,
    empty_files: EmptyFiles,
    redactor: Redactor,
    /// Runs the project's `[app_command]`.
    tool: ToolRunner,
}

impl SqlDirDriver {
    pub fn load(cfg: &Config, redactor: &Redactor) -> Result<Self> {
        let m = &cfg.raw.migrations;
        let format = m.format.expect("validated");
        let dir = cfg.migrations_dir();
        let (mut chain, migrations) = parse_sql_dir(&dir, format).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => {
                HarnessError::project(&cfg.path, ProjectError::BadMigrationFile(e))
            }
            _ => HarnessError::io(IoAction::Read, &dir)(e),
        })?;
        chain.require_downgrades = m.require_downgrades;
        let order = chain.revisions.iter().map(|r| r.id.clone()).collect();
        Ok(SqlDirDriver {
            format,
            chain,
            order,
            migrations,
            init_sql: m.init_sql.clone(),
            empty_files: m.empty_files,
            redactor: redactor.clone(),
            tool: ToolRunner {
                cwd: cfg.workdir(),
                env: m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                url_env: m.url_envs(),
                url_scheme: m.url_scheme.clone().unwrap_or_else(|| "mysql".into()),
                redactor: redactor.clone(),
                verbose: false,
                zygote: None,
            },
        })
    }

    async fn connect(&self, db: &DbTarget) -> std::result::Result<Pooled, mysql_async::Error> {
        let mut c = db.connect().await.map_err(DbError::into_source)?;
        for s in &self.init_sql {
            c.query_drop(s).await?;
        }
        for s in self.format.create_table() {
            c.query_drop(*s).await?;
        }
        Ok(c)
    }

    /// The version table's rows, as the table stores them.
    async fn read_applied(
        &self,
        c: &mut Conn,
    ) -> std::result::Result<Vec<Applied>, mysql_async::Error> {
        let rows: Vec<(String, i64, Option<Vec<u8>>)> =
            c.query(self.format.applied_query()).await?;
        Ok(rows
            .into_iter()
            .map(|(version, clean, checksum)| Applied {
                version,
                clean: clean != 0,
                checksum,
            })
            .collect())
    }

    /// The rows as the chain spells them (golang-migrate and sqlx store the number).
    fn state_of(&self, applied: &[Applied]) -> VersionState {
        VersionState {
            rows: applied
                .iter()
                .map(|a| spelled(&a.version, &self.order))
                .collect(),
            dirty: applied.iter().any(|a| !a.clean),
            style: self.format.style(),
        }
    }

    /// Runs the version-table statements, recording each.
    async fn bookkeep(
        &self,
        c: &mut Conn,
        run: &mut Vec<StatementRecord>,
        rev: &str,
        statements: Vec<Bookkeeping>,
    ) -> std::result::Result<(), mysql_async::Error> {
        for b in statements {
            let t0 = Instant::now();
            let r = c.exec_drop(b.sql, b.params).await;
            run.push(StatementRecord {
                revision: Some(rev.to_string()),
                source: StatementSource::VersionTable,
                sql: b.sql.to_string(),
                outcome: match &r {
                    Ok(()) => StatementOutcome::Applied,
                    Err(e) => StatementOutcome::Failed {
                        error: server_error(e),
                    },
                },
                duration_ms: t0.elapsed().as_millis() as u64,
            });
            r?;
        }
        Ok(())
    }

    /// Runs `sql` as one multi-statement batch, as the tools send a file; on failure returns
    /// the index of the statement the server refused (earlier statements stay applied —
    /// MySQL DDL does not roll back).
    async fn run_batch(
        &self,
        c: &mut Conn,
        sql: &str,
    ) -> std::result::Result<(), (mysql_async::Error, usize)> {
        // `QueryResult::is_empty()` reports true while an error packet for a later statement
        // is still pending, so walk as many result sets as the batch has statements, then
        // drain whatever remains (a miscount of the splitter cannot hide an error).
        let expected = split_statements(sql).len().max(1);
        let mut result = match c.query_iter(sql).await {
            Ok(r) => r,
            Err(e) => return Err((e, 0)),
        };
        for i in 0..expected {
            if let Err(e) = result.collect::<Row>().await {
                return Err((e, i));
            }
        }
        result.drop_result().await.map_err(|e| (e, expected))
    }

    /// Moves the database to `target`, one migration at a time. With `interrupt = Some(k)`,
    /// the last migration of the way stops after its k-th statement and the session closes
    /// without committing, as a crashed deploy would.
    /// Moves the database to `target`, one migration at a time. With `interrupt = Some(k)`,
    /// the last migration of the way stops after its k-th statement and the session closes
    /// without committing, as a crashed deploy would.
    async fn migrate(
        &self,
        db: &DbTarget,
        target: &Target,
        direction: Direction,
        interrupt: Option<usize>,
    ) -> Execution {
        let start = Instant::now();
        let command = self.command_line(target, direction, interrupt);
        let mut run = Run::default();
        let result = tokio::time::timeout(
            db.timeout,
            self.migrate_inner(db, target, direction, interrupt, &mut run),
        )
        .await;
        let mut exec = Execution {
            command,
            outcome: Outcome::Succeeded,
            exit_code: None,
            duration_ms: start.elapsed().as_millis() as u64,
            stdout: run.log.join("\n"),
            stderr: String::new(),
            error: None,
            failed_revision: None,
            failed_statement: None,
            failed_at: None,
            statements: std::mem::take(&mut run.records),
        };
        match result {
            Err(_) => {
                exec.outcome = Outcome::TimedOut {
                    seconds: db.timeout.as_secs(),
                }
            }
            Ok(Ok(Stop::Done)) => {}
            Ok(Ok(Stop::Refused(msg))) => {
                exec.outcome = Outcome::Failed;
                exec.stderr = msg;
            }
            Ok(Err(f)) => self.fill_failure(&mut exec, f),
        }
        exec
    }

    /// `golang-migrate up to head (native)`: what the log says was run.
    fn command_line(
        &self,
        target: &Target,
        direction: Direction,
        interrupt: Option<usize>,
    ) -> String {
        format!(
            "{} {} {}{} (native)",
            self.format.name(),
            match direction {
                Direction::Up => "up to",
                Direction::Down => "down to",
            },
            target,
            interrupt
                .map(|k| format!(", stopping after statement {k}"))
                .unwrap_or_default()
        )
    }

    /// A failed statement or a lost connection into the execution's outcome and error.
    fn fill_failure(&self, exec: &mut Execution, f: Failure) {
        exec.outcome = if is_connection_lost(&f.error) && server_error(&f.error).is_none() {
            Outcome::NotStarted {
                reason: format!("connection lost: {}", f.error),
            }
        } else {
            Outcome::Failed
        };
        exec.error = server_error(&f.error);
        exec.stderr = self.redactor.redact(&match &exec.error {
            Some(ServerError { code, message }) => format!("Error {code}: {message}"),
            None => f.error.to_string(),
        });
        exec.failed_revision = f.revision;
        exec.failed_statement = f.statement.map(|s| FailedStatement {
            sql: truncate(&s.sql, 2000),
            ..s
        });
        exec.failed_at = f.at;
    }

    /// One session: connect, walk, disconnect.
    async fn migrate_inner(
        &self,
        db: &DbTarget,
        target: &Target,
        direction: Direction,
        interrupt: Option<usize>,
        run: &mut Run,
    ) -> std::result::Result<Stop, Failure> {
        let mut c = self.connect(db).await.map_err(Failure::at(None))?;
        let stop = self
            .walk_to(&mut c, target, direction, interrupt, run)
            .await;
        let _ = c.disconnect().await;
        stop
    }

    /// Reads where the database is, refuses what the tool would refuse, and runs each
    /// migration on the way to `target`.
    async fn walk_to(
        &self,
        c: &mut Conn,
        target: &Target,
        direction: Direction,
        interrupt: Option<usize>,
        run: &mut Run,
    ) -> std::result::Result<Stop, Failure> {
        let applied = self.read_applied(c).await.map_err(Failure::at(None))?;
        if let Some(msg) = self.format.refusal(&applied, &self.migrations) {
            return Ok(Stop::Refused(msg));
        }
        let state = self.state_of(&applied);
        let steps = match steps_to(&self.order, &state, target, direction, interrupt) {
            Ok(steps) => steps,
            Err(no_way) => return Ok(Stop::Refused(no_way.to_string())),
        };
        let last = steps.last().copied();
        for i in steps {
            let crash_after = interrupt.filter(|_| last == Some(i));
            if let Stop::Refused(msg) = self.step(c, i, direction, crash_after, run).await? {
                return Ok(Stop::Refused(msg));
            }
        }
        Ok(Stop::Done)
    }

    /// Runs migration `i` one way, with the tool's transaction and version-table
    /// bookkeeping around it. With `crash_after = Some(k)` it stops after statement k.
    async fn step(
        &self,
        c: &mut Conn,
        i: usize,
        direction: Direction,
        crash_after: Option<usize>,
        run: &mut Run,
    ) -> std::result::Result<Stop, Failure> {
        let m = &self.migrations[i];
        let Some(sql) = section_sql(m, direction) else {
            return Ok(Stop::Refused(format!(
                "{} has no down migration",
                m.version
            )));
        };
        let now = match direction {
            Direction::Up => Some(m.version.as_str()),
            Direction::Down => (i > 0).then(|| self.order[i - 1].as_str()),
        };
        let fail = Failure::at(Some(m.version.clone()));
        let tx = section_tx(m, direction) == Transaction::Wrapped;
        if tx {
            c.query_drop("BEGIN").await.map_err(&fail)?;
        }
        let start = self.format.mark_start(m, direction, now);
        self.bookkeep(c, &mut run.records, &m.version, start)
            .await
            .map_err(&fail)?;
        let t0 = Instant::now();
        if let Some(k) = crash_after {
            return self.crash_after(c, m, direction, &sql, k, run).await;
        }
        if self.sends(&sql) {
            self.send_section(c, m, direction, &sql, tx, t0, run)
                .await?;
        }
        let ms = t0.elapsed().as_millis() as u64;
        let done = self.format.mark_done(m, direction, now, ms);
        self.bookkeep(c, &mut run.records, &m.version, done)
            .await
            .map_err(&fail)?;
        if tx {
            c.query_drop("COMMIT").await.map_err(&fail)?;
        }
        run.log.push(format!(
            "applied {} ({ms} ms{})",
            file_name(m, direction),
            if tx { ", in a transaction" } else { "" }
        ));
        Ok(Stop::Done)
    }

    /// A section with no statement is skipped, unless the tool sends empty files anyway
    /// and the project did not ask to skip them.
    fn sends(&self, sql: &str) -> bool {
        !is_blank(sql) || (self.format.sends_empty_files() && self.empty_files == EmptyFiles::Send)
    }

    /// Sends the section as one batch and records its statements; when the server refuses
    /// one, the ones before it are recorded as applied and the transaction rolled back.
    #[allow(clippy::too_many_arguments)]
    async fn send_section(
        &self,
        c: &mut Conn,
        m: &SqlMigration,
        direction: Direction,
        sql: &str,
        tx: bool,
        t0: Instant,
        run: &mut Run,
    ) -> std::result::Result<(), Failure> {
        let stmts = split_statements(sql);
        if let Err((e, n)) = self.run_batch(c, sql).await {
            let shown = if stmts.is_empty() {
                vec![sql.to_string()]
            } else {
                stmts
            };
            record_until_failure(&mut run.records, &m.version, &shown, n, &e);
            if tx {
                let _ = c.query_drop("ROLLBACK").await;
            }
            run.log.push(format!("FAILED {}", file_name(m, direction)));
            return Err(Failure {
                statement: shown
                    .get(n)
                    .map(|s| FailedStatement::at(s.as_str(), n + 1, shown.len())),
                at: failed_at(file_of(m, direction), sql, &shown, n),
                error: e,
                revision: Some(m.version.clone()),
            });
        }
        let ms = t0.elapsed().as_millis() as u64;
        for (j, s) in stmts.iter().enumerate() {
            run.records.push(StatementRecord {
                revision: Some(m.version.clone()),
                source: StatementSource::Migration,
                sql: s.clone(),
                outcome: StatementOutcome::Applied,
                duration_ms: if j + 1 == stmts.len() { ms } else { 0 },
            });
        }
        Ok(())
    }

    /// A crash after statement `k`: what ran stays, the session goes away uncommitted.
    async fn crash_after(
        &self,
        c: &mut Conn,
        m: &SqlMigration,
        direction: Direction,
        sql: &str,
        k: usize,
        run: &mut Run,
    ) -> std::result::Result<Stop, Failure> {
        let stmts = split_statements(sql);
        for (n, stmt) in stmts.iter().take(k).enumerate() {
            let t = Instant::now();
            let r = c.query_drop(stmt.as_str()).await;
            run.records.push(record(&m.version, stmt, &r, t));
            if let Err(e) = r {
                return Err(Failure {
                    error: e,
                    revision: Some(m.version.clone()),
                    at: failed_at(file_of(m, direction), sql, &stmts, n),
                    statement: Some(FailedStatement::at(stmt.as_str(), n + 1, stmts.len())),
                });
            }
        }
        let ran = k.min(stmts.len());
        run.log.push(format!(
            "stopped {} after statement {ran} of {} (simulated crash)",
            file_name(m, direction),
            stmts.len()
        ));
        Ok(Stop::Refused(format!(
            "interrupted after statement {ran} of {} of {}",
            stmts.len(),
            m.version
        )))
    }
}

/// What one `migrate` call collected on its way.
#[derive(Default)]
struct Run {
    log: Vec<String>,
    records: Vec<StatementRecord>,
}

enum Stop {
    Done,
    /// The tool itself refuses or stops (dirty version, wrong direction, simulated crash).
    Refused(String),
}

struct Failure {
    error: mysql_async::Error,
    revision: Option<String>,
    statement: Option<FailedStatement>,
    at: Option<SourceLine>,
}

/// The file and line of statement `n` of `stmts`, read from the migration's file. `section`
/// is the migration's SQL: dbmate keeps up and down in one file, so the search starts there.
fn failed_at(
    path: Option<&PathBuf>,
    section: &str,
    stmts: &[String],
    n: usize,
) -> Option<SourceLine> {
    let path = path?;
    let text = std::fs::read_to_string(path).ok()?;
    let start = match section.trim() {
        "" => 0,
        s => text.find(s).unwrap_or(0),
    };
    let line = line_in(&text[start..], stmts, n)? + text[..start].matches('\n').count();
    Some(SourceLine {
        file: path.display().to_string(),
        line,
    })
}

impl Failure {
    fn at(revision: Option<String>) -> impl Fn(mysql_async::Error) -> Failure {
        move |error| Failure {
            error,
            revision: revision.clone(),
            statement: None,
            at: None,
        }
    }
}

fn record(
    rev: &str,
    sql: &str,
    r: &std::result::Result<(), mysql_async::Error>,
    t0: Instant,
) -> StatementRecord {
    StatementRecord {
        revision: Some(rev.to_string()),
        source: StatementSource::Migration,
        sql: sql.to_string(),
        outcome: match r {
            Ok(()) => StatementOutcome::Applied,
            Err(e) => StatementOutcome::Failed {
                error: server_error(e),
            },
        },
        duration_ms: t0.elapsed().as_millis() as u64,
    }
}

fn is_blank(sql: &str) -> bool {
    split_statements(sql).is_empty()
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Why there is no way to the target: the tool refuses, as the real one would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum NoWay {
    /// The target names no revision of the chain, or lies outside it.
    #[error("{0}")]
    Target(crate::driver::TargetError),
    #[error("target {target} is on the wrong side of {current}")]
    WrongSide { target: String, current: String },
    #[error("already at {target}: nothing to interrupt")]
    NothingToInterrupt { target: String },
}

/// The migrations (indexes into `order`) that take the database from `state` to `target`
/// going `direction`, in the order they run.
fn steps_to(
    order: &[String],
    state: &VersionState,
    target: &Target,
    direction: Direction,
    interrupt: Option<usize>,
) -> std::result::Result<Vec<usize>, NoWay> {
    let current = state.current(order);
    let index = |rev: &str| order.iter().position(|o| o == rev).map(|i| i as i64);
    let cur = current.as_deref().and_then(index).unwrap_or(-1);
    let to = target
        .resolve(order, current.as_deref())
        .map_err(NoWay::Target)?
        .and_then(|r| index(&r))
        .unwrap_or(-1);
    let steps: Vec<usize> = match direction {
        Direction::Up if to >= cur => ((cur + 1)..=to).map(|i| i as usize).collect(),
        Direction::Down if to <= cur => ((to + 1)..=cur).rev().map(|i| i as usize).collect(),
        _ => {
            return Err(NoWay::WrongSide {
                target: target.to_string(),
                current: current.unwrap_or_else(|| "base".into()),
            })
        }
    };
    if interrupt.is_some() && steps.is_empty() {
        return Err(NoWay::NothingToInterrupt {
            target: target.to_string(),
        });
    }
    Ok(steps)
}

/// The SQL of one direction; `None` for a missing down (an up without file text runs as empty).
fn section_sql(m: &SqlMigration, direction: Direction) -> Option<String> {
    match direction {
        Direction::Up => Some(m.up.clone().unwrap_or_default()),
        Direction::Down => m.down.clone(),
    }
}

fn section_tx(m: &SqlMigration, direction: Direction) -> Transaction {
    match direction {
        Direction::Up => m.up_tx,
        Direction::Down => m.down_tx,
    }
}

fn file_of(m: &SqlMigration, direction: Direction) -> Option<&PathBuf> {
    match direction {
        Direction::Up => m.up_file.as_ref(),
        Direction::Down => m.down_file.as_ref(),
    }
}

/// The file's name for the log, or the version when there is no file.
fn file_name(m: &SqlMigration, direction: Direction) -> String {
    file_of(m, direction)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| m.version.clone())
}

/// A batch the server refused at statement `n`: the ones before it applied, `n` failed.
fn record_until_failure(
    records: &mut Vec<StatementRecord>,
    rev: &str,
    shown: &[String],
    n: usize,
    e: &mysql_async::Error,
) {
    let err = server_error(e);
    for (j, s) in shown.iter().enumerate().take(n + 1) {
        records.push(StatementRecord {
            revision: Some(rev.to_string()),
            source: StatementSource::Migration,
            sql: s.clone(),
            outcome: if j < n {
                StatementOutcome::Applied
            } else {
                StatementOutcome::Failed { error: err.clone() }
            },
            duration_ms: 0,
        });
    }
}

#[async_trait::async_trait]
impl MigrationDriver for SqlDirDriver {
    fn tool(&self) -> ToolKind {
        ToolKind::Sqldir
    }

    fn chain(&self) -> &Chain {
        &self.chain
    }

    fn version_table(&self) -> &str {
        self.format.version_table()
    }

    async fn upgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, Direction::Up, None).await
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, Direction::Down, None).await
    }

    async fn upgrade_interrupted(
        &self,
        db: &DbTarget,
        target: &Target,
        stop_after: usize,
    ) -> Option<Execution> {
        Some(
            self.migrate(db, target, Direction::Up, Some(stop_after))
                .await,
        )
    }

    async fn stamp(&self, db: &DbTarget, target: &Target) -> Execution {
        let start = Instant::now();
        let command = format!("{} force {target} (native)", self.format.name());
        let work = async {
            let mut c = self.connect(db).await?;
            let state = self.state_of(&self.read_applied(&mut c).await?);
            let to = target
                .resolve(&self.order, state.current(&self.order).as_deref())
                .map_err(|e| mysql_async::Error::Other(e.into()))?;
            let upto = to
                .as_ref()
                .and_then(|r| self.order.iter().position(|o| o == r));
            let table = self.format.version_table();
            c.query_drop(format!("DELETE FROM `{table}`")).await?;
            let applied = upto.map_or(&[][..], |i| &self.migrations[..=i]);
            for b in self.format.stamp(applied) {
                c.exec_drop(b.sql, b.params).await?;
            }
            let _ = c.disconnect().await;
            Ok::<_, mysql_async::Error>(())
        };
        let r = tokio::time::timeout(db.timeout, work).await;
        let mut e = Execution::not_started(command, String::new());
        e.duration_ms = start.elapsed().as_millis() as u64;
        match r {
            Ok(Ok(())) => e.outcome = Outcome::Succeeded,
            Ok(Err(err)) => {
                e.outcome = Outcome::Failed;
                e.error = server_error(&err);
                e.stderr = self.redactor.redact(&err.to_string());
            }
            Err(_) => {
                e.outcome = Outcome::TimedOut {
                    seconds: db.timeout.as_secs(),
                }
            }
        }
        e
    }

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, DriverError> {
        const WITHIN: Duration = Duration::from_secs(30);
        let work = async {
            let mut c = self.connect(db).await?;
            let s = self.read_applied(&mut c).await;
            let _ = c.disconnect().await;
            Ok::<_, DbError>(self.state_of(&s?))
        };
        tokio::time::timeout(WITHIN, work)
            .await
            .map_err(|_| DriverError::VersionTimedOut {
                seconds: WITHIN.as_secs(),
            })?
            .map_err(DriverError::from)
    }

    async fn app_command(&self, db: &DbTarget, command: &str) -> Execution {
        self.tool.shell(db, command).await
    }

    fn commands(&self) -> ToolCommands {
        let c = self.format.commands();
        ToolCommands {
            upgrade: c.upgrade.into(),
            current: c.current.into(),
            downgrade_to: c.downgrade_to.into(),
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        vec![(
            format!("{} (native)", self.format.name()),
            env!("CARGO_PKG_VERSION").to_string(),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::VersionStyle;

    fn order() -> Vec<String> {
        ["000001", "000002", "000003"].map(String::from).to_vec()
    }

    fn at(rows: &[&str], style: VersionStyle) -> VersionState {
        VersionState {
            rows: rows.iter().map(|r| r.to_string()).collect(),
            dirty: false,
            style,
        }
    }

    #[test]
    fn upgrades_run_oldest_first_and_downgrades_newest_first() {
        let base = at(&[], VersionStyle::Single);
        assert_eq!(
            steps_to(&order(), &base, &Target::Head, Direction::Up, None),
            Ok(vec![0, 1, 2])
        );
        let head = at(&["000003"], VersionStyle::Single);
        assert_eq!(
            steps_to(&order(), &head, &Target::Base, Direction::Down, None),
            Ok(vec![2, 1, 0])
        );
        assert_eq!(
            steps_to(
                &order(),
                &head,
                &Target::Relative(-1),
                Direction::Down,
                None
            ),
            Ok(vec![2])
        );
        // A row per applied migration: the newest in chain order is the current one.
        let per_rev = at(&["000002", "000001"], VersionStyle::PerRevision);
        assert_eq!(
            steps_to(&order(), &per_rev, &Target::Head, Direction::Up, None),
            Ok(vec![2])
        );
        assert_eq!(
            steps_to(
                &order(),
                &per_rev,
                &Target::Revision("000002".into()),
                Direction::Up,
                None
            ),
            Ok(vec![])
        );
    }

    #[test]
    fn a_target_behind_the_direction_or_outside_the_chain_is_refused() {
        let mid = at(&["000002"], VersionStyle::Single);
        assert_eq!(
            steps_to(
                &order(),
                &mid,
                &Target::Revision("000001".into()),
                Direction::Up,
                None
            ),
            Err(NoWay::WrongSide {
                target: "000001".into(),
                current: "000002".into()
            })
        );
        assert_eq!(
            steps_to(&order(), &mid, &Target::Head, Direction::Down, None),
            Err(NoWay::WrongSide {
                target: "head".into(),
                current: "000002".into()
            })
        );
        assert_eq!(
            steps_to(
                &order(),
                &mid,
                &Target::Revision("9".into()),
                Direction::Up,
                None
            ),
            Err(NoWay::Target(crate::driver::TargetError::UnknownRevision(
                "9".into()
            )))
        );
        assert_eq!(
            steps_to(
                &order(),
                &mid,
                &Target::Revision("000002".into()),
                Direction::Up,
                Some(1)
            ),
            Err(NoWay::NothingToInterrupt {
                target: "000002".into()
            })
        );
        let wrong = NoWay::WrongSide {
            target: "000001".into(),
            current: "000002".into(),
        };
        assert_eq!(
            wrong.to_string(),
            "target 000001 is on the wrong side of 000002",
            "the tool's words"
        );
    }

    #[test]
    fn a_refused_batch_records_the_statements_before_it_as_applied() {
        let e = mysql_async::Error::Server(mysql_async::ServerError {
            code: 1091,
            message: "Can't DROP INDEX `ix_item_kode`".into(),
            state: "42000".into(),
        });
        let shown = [
            "DROP INDEX ix_item_kode ON item",
            "ALTER TABLE item DROP COLUMN code",
            "SELECT 1",
        ]
        .map(String::from);
        let mut records = vec![];
        record_until_failure(&mut records, "000002", &shown, 1, &e);
        assert_eq!(records.len(), 2, "nothing after the refused statement ran");
        assert!(records[0].applied());
        assert_eq!(
            records[1].outcome,
            StatementOutcome::Failed {
                error: server_error(&e)
            }
        );
        assert_eq!(records[1].revision.as_deref(), Some("000002"));
    }

    #[test]
    fn the_failed_statement_is_found_in_its_own_section_of_a_shared_file() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("2_b.sql");
        let text = "-- migrate:up\nCREATE TABLE b (id int);\nDROP TABLE a;\n\n-- migrate:down\nCREATE TABLE a (id int);\nDROP TABLE b;\n";
        std::fs::write(&path, text).unwrap();
        let down = "CREATE TABLE a (id int);\nDROP TABLE b;\n";
        let stmts = split_statements(down);
        let at = failed_at(Some(&path), down, &stmts, 1).unwrap();
        assert_eq!(
            at.line, 7,
            "the down section's DROP TABLE, not the up section's"
        );
        assert_eq!(failed_at(None, down, &stmts, 1), None);
    }

    #[test]
    fn sections_and_files_follow_the_direction() {
        let mut m = SqlMigration::new("7", "x");
        m.up_file = Some(PathBuf::from("/m/7_x.up.sql"));
        m.up_tx = Transaction::Off;
        assert_eq!(section_sql(&m, Direction::Up).as_deref(), Some(""));
        assert_eq!(section_sql(&m, Direction::Down), None, "no down: refused");
        assert_eq!(file_name(&m, Direction::Up), "7_x.up.sql");
        assert_eq!(file_name(&m, Direction::Down), "7", "no file: the version");
        assert_eq!(section_tx(&m, Direction::Up), Transaction::Off);
        assert_eq!(section_tx(&m, Direction::Down), Transaction::Wrapped);
    }

    #[test]
    fn long_statements_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("ééé", 3), "é…");
    }
}
