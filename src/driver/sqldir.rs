//! `SqlDirDriver`: runs golang-migrate / sqlx / dbmate SQL directories natively over
//! mysql_async, keeping a version table compatible with each tool's own.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::sqlsplit::split_statements;
use super::tool::ToolRunner;
use super::{
    line_in, DbTarget, Execution, FailedStatement, MigrationDriver, Outcome, SourceLine,
    StatementOutcome, StatementRecord, StatementSource, Target, ToolCommands, VersionState,
    VersionStyle,
};
use crate::chain::{parse_sql_dir, Chain, SqlMigration, Transaction};
use crate::config::{Config, EmptyFiles, SqlFormat, ToolKind};
use crate::db::{is_connection_lost, server_error, DbError, ServerError};
use crate::driver::DriverError;
use crate::error::{HarnessError, IoAction, ProjectError, Result};
use crate::redact::Redactor;

pub struct SqlDirDriver {
    format: SqlFormat,
    chain: Chain,
    order: Vec<String>,
    migrations: Vec<SqlMigration>,
    init_sql: Vec<String>,
    empty_files: EmptyFiles,
    redactor: Redactor,
    /// Runs the project's `[app_command]`.
    tool: ToolRunner,
}

enum Direction {
    Up,
    Down,
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

    fn tool_name(&self) -> &'static str {
        match self.format {
            SqlFormat::GolangMigrate => "golang-migrate",
            SqlFormat::Dbmate => "dbmate",
            SqlFormat::Sqlx => "sqlx",
        }
    }

    fn style(&self) -> VersionStyle {
        match self.format {
            SqlFormat::GolangMigrate => VersionStyle::Single,
            _ => VersionStyle::PerRevision,
        }
    }

    fn create_table_sql(&self) -> &'static str {
        match self.format {
            SqlFormat::GolangMigrate => "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint NOT NULL, dirty boolean NOT NULL, PRIMARY KEY (version))",
            SqlFormat::Dbmate => "CREATE TABLE IF NOT EXISTS `schema_migrations` (version varchar(128) NOT NULL, PRIMARY KEY (version))",
            SqlFormat::Sqlx => "CREATE TABLE IF NOT EXISTS `_sqlx_migrations` (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
                installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL)",
        }
    }

    async fn connect(&self, db: &DbTarget) -> std::result::Result<Conn, mysql_async::Error> {
        let mut c = db.connect().await.map_err(DbError::into_source)?;
        for s in &self.init_sql {
            c.query_drop(s).await?;
        }
        c.query_drop(self.create_table_sql()).await?;
        Ok(c)
    }

    async fn read_state(
        &self,
        c: &mut Conn,
    ) -> std::result::Result<VersionState, mysql_async::Error> {
        let (rows, dirty) = match self.format {
            SqlFormat::GolangMigrate => {
                let r: Vec<(i64, i64)> = c
                    .query("SELECT version, dirty FROM `schema_migrations`")
                    .await?;
                (
                    r.iter().map(|(v, _)| v.to_string()).collect(),
                    r.iter().any(|(_, d)| *d != 0),
                )
            }
            SqlFormat::Dbmate => (
                c.query("SELECT version FROM `schema_migrations` ORDER BY version")
                    .await?,
                false,
            ),
            SqlFormat::Sqlx => {
                let r: Vec<(i64, i64)> = c
                    .query("SELECT version, success FROM `_sqlx_migrations` ORDER BY version")
                    .await?;
                (
                    r.iter().map(|(v, _)| v.to_string()).collect(),
                    r.iter().any(|(_, s)| *s == 0),
                )
            }
        };
        // golang-migrate stores the number: map it back to the file's spelling (leading zeros).
        let rows = rows
            .into_iter()
            .map(|v| {
                self.order
                    .iter()
                    .find(|o| o.parse::<u128>().ok() == v.parse::<u128>().ok())
                    .cloned()
                    .unwrap_or(v)
            })
            .collect();
        Ok(VersionState {
            rows,
            dirty,
            style: self.style(),
        })
    }

    /// Runs one version-table statement, recording it.
    async fn bookkeep(
        &self,
        c: &mut Conn,
        run: &mut Vec<StatementRecord>,
        rev: &str,
        sql: &str,
        params: mysql_async::Params,
    ) -> std::result::Result<(), mysql_async::Error> {
        let t0 = Instant::now();
        let r = c.exec_drop(sql, params).await;
        run.push(StatementRecord {
            revision: Some(rev.to_string()),
            source: StatementSource::VersionTable,
            sql: sql.to_string(),
            outcome: match &r {
                Ok(()) => StatementOutcome::Applied,
                Err(e) => StatementOutcome::Failed {
                    error: server_error(e),
                },
            },
            duration_ms: t0.elapsed().as_millis() as u64,
        });
        r
    }

    /// Records that a step starts. golang-migrate sets the version it is moving *to* dirty
    /// before running the file (`migrate.go` `runMigrations`: `SetVersion(migr.TargetVersion,
    /// true)`; a failed down of 3 leaves 2 dirty, a failed down of the first leaves -1 dirty,
    /// `database/mysql/mysql.go` `SetVersion`). sqlx inserts `success = FALSE` inside its
    /// transaction first (`sqlx-mysql/src/migrate.rs` `apply`), so MySQL's implicit commit at
    /// the first DDL statement leaves a "partially applied" row behind when a later one fails.
    async fn mark_start(
        &self,
        c: &mut Conn,
        run: &mut Vec<StatementRecord>,
        m: &SqlMigration,
        dir: &Direction,
        now: Option<&str>,
    ) -> std::result::Result<(), mysql_async::Error> {
        match (self.format, dir) {
            (SqlFormat::GolangMigrate, _) => {
                let to = now.map(|n| n.parse::<i64>().unwrap_or(0)).unwrap_or(-1);
                self.bookkeep(c, run, &m.version, "DELETE FROM `schema_migrations`", ().into())
                    .await?;
                self.bookkeep(
                    c,
                    run,
                    &m.version,
                    "INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 1)",
                    (to,).into(),
                )
                .await
            }
            (SqlFormat::Sqlx, Direction::Up) => {
                self.bookkeep(
                    c,
                    run,
                    &m.version,
                    "INSERT INTO `_sqlx_migrations` (version, description, success, checksum, execution_time) VALUES (?, ?, 0, ?, -1)",
                    (m.version.parse::<i64>().unwrap_or(0), m.name.clone(), checksum(m.up.as_deref().unwrap_or(""))).into(),
                )
                .await
            }
            _ => Ok(()),
        }
    }

    /// Records the result of a successful step: the version is now `now` (None = base).
    async fn mark_done(
        &self,
        c: &mut Conn,
        run: &mut Vec<StatementRecord>,
        m: &SqlMigration,
        dir: &Direction,
        now: Option<&str>,
        ms: u64,
    ) -> std::result::Result<(), mysql_async::Error> {
        let v = m.version.parse::<i64>().unwrap_or(0);
        let rev = m.version.as_str();
        match (self.format, dir) {
            (SqlFormat::GolangMigrate, _) => {
                self.bookkeep(c, run, rev, "DELETE FROM `schema_migrations`", ().into())
                    .await?;
                if let Some(n) = now {
                    self.bookkeep(
                        c,
                        run,
                        rev,
                        "INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 0)",
                        (n.parse::<i64>().unwrap_or(0),).into(),
                    )
                    .await?;
                }
                Ok(())
            }
            (SqlFormat::Dbmate, Direction::Up) => {
                self.bookkeep(c, run, rev, "INSERT INTO `schema_migrations` (version) VALUES (?)", (m.version.clone(),).into())
                    .await
            }
            (SqlFormat::Dbmate, Direction::Down) => {
                self.bookkeep(c, run, rev, "DELETE FROM `schema_migrations` WHERE version = ?", (m.version.clone(),).into())
                    .await
            }
            (SqlFormat::Sqlx, Direction::Up) => {
                self.bookkeep(c, run, rev, "UPDATE `_sqlx_migrations` SET success = 1, execution_time = ? WHERE version = ?", (ms as i64, v).into())
                    .await
            }
            (SqlFormat::Sqlx, Direction::Down) => {
                self.bookkeep(c, run, rev, "DELETE FROM `_sqlx_migrations` WHERE version = ?", (v,).into())
                    .await
            }
        }
    }

    /// Runs `sql` as one multi-statement batch, as golang-migrate, dbmate and sqlx send a
    /// file; on failure returns the index of the statement the server refused (earlier
    /// statements stay applied — MySQL DDL does not roll back).
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

    fn path_of<'m>(&self, m: &'m SqlMigration, dir: &Direction) -> Option<&'m PathBuf> {
        match dir {
            Direction::Up => m.up_file.as_ref(),
            Direction::Down => m.down_file.as_ref(),
        }
    }

    fn file_name(&self, m: &SqlMigration, dir: &Direction) -> String {
        let f = match dir {
            Direction::Up => &m.up_file,
            Direction::Down => &m.down_file,
        };
        f.as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| m.version.clone())
    }

    /// Refuses to move a database the tool itself would refuse: golang-migrate's dirty flag
    /// (`migrate.go`: "Dirty database version %v. Fix and force version."), sqlx's partially
    /// applied row and its checksum check of applied migrations (`sqlx-core/src/migrate/
    /// migrator.rs` `run`/`undo` → `MigrateError::Dirty`, `VersionMismatch`, `VersionMissing`).
    async fn refusal(
        &self,
        c: &mut Conn,
        state: &VersionState,
    ) -> std::result::Result<Option<String>, mysql_async::Error> {
        match self.format {
            SqlFormat::GolangMigrate if state.dirty => Ok(Some(format!(
                "Dirty database version {}. Fix and force version.",
                state.rows.join(",")
            ))),
            SqlFormat::Sqlx => {
                let applied: Vec<(i64, i64, Vec<u8>)> = c
                    .query("SELECT version, success, checksum FROM `_sqlx_migrations` ORDER BY version")
                    .await?;
                for (v, success, sum) in applied {
                    if success == 0 {
                        return Ok(Some(format!("migration {v} is partially applied; fix and remove row from `_sqlx_migrations` table")));
                    }
                    match self.migrations.iter().find(|m| m.version.parse::<i64>().ok() == Some(v)) {
                        None => return Ok(Some(format!("migration {v} was previously applied but is missing in the resolved migrations"))),
                        Some(m) if checksum(m.up.as_deref().unwrap_or("")) != sum => {
                            return Ok(Some(format!("migration {v} was previously applied but has been modified")))
                        }
                        Some(_) => {}
                    }
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    fn wraps(&self, m: &SqlMigration, dir: &Direction) -> bool {
        let tx = match dir {
            Direction::Up => m.up_tx,
            Direction::Down => m.down_tx,
        };
        self.format != SqlFormat::GolangMigrate && tx == Transaction::Wrapped
    }

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
        let command = format!(
            "{} {} {}{} (native)",
            self.tool_name(),
            match direction {
                Direction::Up => "up to",
                Direction::Down => "down to",
            },
            target,
            interrupt
                .map(|k| format!(", stopping after statement {k}"))
                .unwrap_or_default()
        );
        let deadline = db.timeout;
        let mut run = Run::default();
        let result = tokio::time::timeout(
            deadline,
            self.migrate_inner(db, target, &direction, interrupt, &mut run),
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
                    seconds: deadline.as_secs(),
                }
            }
            Ok(Ok(Stop::Done)) => {}
            Ok(Ok(Stop::Refused(msg))) => {
                exec.outcome = Outcome::Failed;
                exec.stderr = msg;
            }
            Ok(Err(f)) => {
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
        }
        exec
    }

    async fn migrate_inner(
        &self,
        db: &DbTarget,
        target: &Target,
        direction: &Direction,
        interrupt: Option<usize>,
        run: &mut Run,
    ) -> std::result::Result<Stop, Failure> {
        let mut c = self.connect(db).await.map_err(Failure::at(None))?;
        let state = self.read_state(&mut c).await.map_err(Failure::at(None))?;
        if let Some(msg) = self
            .refusal(&mut c, &state)
            .await
            .map_err(Failure::at(None))?
        {
            let _ = c.disconnect().await;
            return Ok(Stop::Refused(msg));
        }
        let current = state.current(&self.order);
        let cur_idx = current
            .as_ref()
            .and_then(|c| self.order.iter().position(|o| o == c))
            .map(|i| i as i64)
            .unwrap_or(-1);
        let to = match target.resolve(&self.order, current.as_deref()) {
            Ok(t) => t
                .and_then(|r| self.order.iter().position(|o| *o == r))
                .map(|i| i as i64)
                .unwrap_or(-1),
            Err(e) => return Ok(Stop::Refused(e.to_string())),
        };
        let steps: Vec<usize> = match direction {
            Direction::Up if to >= cur_idx => ((cur_idx + 1)..=to).map(|i| i as usize).collect(),
            Direction::Down if to <= cur_idx => {
                ((to + 1)..=cur_idx).rev().map(|i| i as usize).collect()
            }
            _ => {
                return Ok(Stop::Refused(format!(
                    "target {target} is on the wrong side of {}",
                    current.as_deref().unwrap_or("base")
                )))
            }
        };
        if interrupt.is_some() && steps.is_empty() {
            return Ok(Stop::Refused(format!(
                "already at {target}: nothing to interrupt"
            )));
        }
        let last = steps.last().copied();
        for i in steps {
            let m = &self.migrations[i];
            let sql = match direction {
                Direction::Up => m.up.clone().unwrap_or_default(),
                Direction::Down => match &m.down {
                    Some(d) => d.clone(),
                    None => {
                        return Ok(Stop::Refused(format!(
                            "{} has no down migration",
                            m.version
                        )))
                    }
                },
            };
            let file = self.file_name(m, direction);
            let now = match direction {
                Direction::Up => Some(m.version.as_str()),
                Direction::Down => (i > 0).then(|| self.order[i - 1].as_str()),
            };
            let fail = Failure::at(Some(m.version.clone()));
            let tx = self.wraps(m, direction);
            if tx {
                c.query_drop("BEGIN").await.map_err(&fail)?;
            }
            self.mark_start(&mut c, &mut run.records, m, direction, now)
                .await
                .map_err(&fail)?;
            let t0 = Instant::now();
            let stmts = split_statements(&sql);
            if let (Some(k), Some(true)) = (interrupt, last.map(|l| l == i)) {
                // A crash after statement k: what ran stays, the session goes away uncommitted.
                for (n, stmt) in stmts.iter().take(k).enumerate() {
                    let t = Instant::now();
                    let r = c.query_drop(stmt.as_str()).await;
                    run.records.push(record(&m.version, stmt, &r, t));
                    if let Err(e) = r {
                        let _ = c.disconnect().await;
                        return Err(Failure {
                            error: e,
                            revision: Some(m.version.clone()),
                            at: failed_at(self.path_of(m, direction), &sql, &stmts, n),
                            statement: Some(FailedStatement::at(stmt.as_str(), n + 1, stmts.len())),
                        });
                    }
                }
                let _ = c.disconnect().await;
                run.log.push(format!(
                    "stopped {file} after statement {} of {} (simulated crash)",
                    k.min(stmts.len()),
                    stmts.len()
                ));
                return Ok(Stop::Refused(format!(
                    "interrupted after statement {} of {} of {}",
                    k.min(stmts.len()),
                    stmts.len(),
                    m.version
                )));
            }
            // golang-migrate sends a file as it is, even an empty one (`database/mysql/
            // mysql.go` `Run` → `ExecContext(query)`), and the server answers 1065.
            let send = !is_blank(&sql)
                || (self.format == SqlFormat::GolangMigrate
                    && self.empty_files == EmptyFiles::Send);
            if send {
                if let Err((e, n)) = self.run_batch(&mut c, &sql).await {
                    let err = server_error(&e);
                    let shown: Vec<String> = if stmts.is_empty() {
                        vec![sql.clone()]
                    } else {
                        stmts.clone()
                    };
                    for (j, s) in shown.iter().enumerate().take(n + 1) {
                        run.records.push(StatementRecord {
                            revision: Some(m.version.clone()),
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
                    if tx {
                        let _ = c.query_drop("ROLLBACK").await;
                    }
                    run.log.push(format!("FAILED {file}"));
                    let stmt = shown
                        .get(n)
                        .map(|s| FailedStatement::at(s.as_str(), n + 1, shown.len()));
                    let _ = c.disconnect().await;
                    return Err(Failure {
                        error: e,
                        revision: Some(m.version.clone()),
                        statement: stmt,
                        at: failed_at(self.path_of(m, direction), &sql, &shown, n),
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
            }
            let ms = t0.elapsed().as_millis() as u64;
            self.mark_done(&mut c, &mut run.records, m, direction, now, ms)
                .await
                .map_err(&fail)?;
            if tx {
                c.query_drop("COMMIT").await.map_err(&fail)?;
            }
            run.log.push(format!(
                "applied {file} ({ms} ms{})",
                if tx { ", in a transaction" } else { "" }
            ));
        }
        let _ = c.disconnect().await;
        Ok(Stop::Done)
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

fn checksum(sql: &str) -> Vec<u8> {
    use sha2::{Digest, Sha384};
    Sha384::digest(sql.as_bytes()).to_vec()
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
        match self.format {
            SqlFormat::Sqlx => "_sqlx_migrations",
            _ => "schema_migrations",
        }
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
        let command = format!("{} force {target} (native)", self.tool_name());
        let work = async {
            let mut c = self.connect(db).await?;
            let state = self.read_state(&mut c).await?;
            let to = target
                .resolve(&self.order, state.current(&self.order).as_deref())
                .map_err(|e| mysql_async::Error::Other(e.into()))?;
            let upto = to
                .as_ref()
                .and_then(|r| self.order.iter().position(|o| o == r));
            let table = self.version_table().to_string();
            c.query_drop(format!("DELETE FROM `{table}`")).await?;
            match (self.format, upto) {
                (_, None) => {}
                (SqlFormat::GolangMigrate, Some(i)) => {
                    c.exec_drop(
                        "INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 0)",
                        (self.order[i].parse::<i64>().unwrap_or(0),),
                    )
                    .await?
                }
                (SqlFormat::Dbmate, Some(i)) => {
                    for v in &self.order[..=i] {
                        c.exec_drop(
                            "INSERT INTO `schema_migrations` (version) VALUES (?)",
                            (v.clone(),),
                        )
                        .await?;
                    }
                }
                (SqlFormat::Sqlx, Some(i)) => {
                    for m in &self.migrations[..=i] {
                        c.exec_drop(
                            "INSERT INTO `_sqlx_migrations` (version, description, success, checksum, execution_time) VALUES (?, ?, 1, ?, 0)",
                            (m.version.parse::<i64>().unwrap_or(0), m.name.clone(), checksum(m.up.as_deref().unwrap_or(""))),
                        )
                        .await?;
                    }
                }
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
            let s = self.read_state(&mut c).await;
            let _ = c.disconnect().await;
            Ok::<_, DbError>(s?)
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
        match self.format {
            SqlFormat::GolangMigrate => ToolCommands {
                upgrade: "migrate -path migrations -database \"mysql://…\" up".into(),
                current: "migrate -path migrations -database \"mysql://…\" version".into(),
                downgrade_to: "migrate -path migrations -database \"mysql://…\" goto".into(),
            },
            SqlFormat::Dbmate => ToolCommands {
                upgrade: "dbmate up".into(),
                current: "dbmate status".into(),
                downgrade_to: "dbmate rollback".into(),
            },
            SqlFormat::Sqlx => ToolCommands {
                upgrade: "sqlx migrate run".into(),
                current: "sqlx migrate info".into(),
                downgrade_to: "sqlx migrate revert --target-version".into(),
            },
        }
    }

    fn versions(&self) -> Vec<(String, String)> {
        vec![(
            format!("{} (native)", self.tool_name()),
            env!("CARGO_PKG_VERSION").to_string(),
        )]
    }
}
