//! `SqlDirDriver`: runs golang-migrate / sqlx / dbmate SQL directories natively over
//! mysql_async, keeping a version table compatible with each tool's own.

use std::time::{Duration, Instant};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::sqlsplit::split_statements;
use super::tool::ToolRunner;
use super::{
    DbTarget, Execution, MigrationDriver, Outcome, Target, ToolCommands, VersionState, VersionStyle,
};
use crate::chain::{parse_sql_dir, Chain, SqlMigration};
use crate::config::{Config, SqlFormat, ToolKind};
use crate::db::{is_connection_lost, server_error, ServerError};
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

pub struct SqlDirDriver {
    format: SqlFormat,
    chain: Chain,
    order: Vec<String>,
    migrations: Vec<SqlMigration>,
    init_sql: Vec<String>,
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
        let (mut chain, migrations) = parse_sql_dir(&dir, format)
            .map_err(|e| HarnessError::usage(format!("cannot read {}: {e}", dir.display())))?;
        chain.require_downgrades = m.require_downgrades;
        let order = chain.revisions.iter().map(|r| r.id.clone()).collect();
        Ok(SqlDirDriver {
            format,
            chain,
            order,
            migrations,
            init_sql: m.init_sql.clone(),
            redactor: redactor.clone(),
            tool: ToolRunner {
                cwd: cfg.workdir(),
                env: m.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                url_env: m.url_envs(),
                url_scheme: m.url_scheme.clone().unwrap_or_else(|| "mysql".into()),
                redactor: redactor.clone(),
                verbose: false,
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
        let mut c = db.conn.connect(Some(&db.database)).await?;
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

    /// Records that `version` is being applied (golang-migrate: dirty; sqlx: success = false).
    async fn mark_start(
        &self,
        c: &mut Conn,
        m: &SqlMigration,
        dir: &Direction,
    ) -> std::result::Result<(), mysql_async::Error> {
        match (self.format, dir) {
            (SqlFormat::GolangMigrate, _) => {
                c.query_drop("DELETE FROM `schema_migrations`").await?;
                c.exec_drop("INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 1)", (m.version.parse::<i64>().unwrap_or(0),)).await
            }
            (SqlFormat::Sqlx, Direction::Up) => {
                c.exec_drop(
                    "INSERT INTO `_sqlx_migrations` (version, description, success, checksum, execution_time) VALUES (?, ?, 0, ?, -1)",
                    (m.version.parse::<i64>().unwrap_or(0), m.name.clone(), checksum(m.up.as_deref().unwrap_or(""))),
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
        m: &SqlMigration,
        dir: &Direction,
        now: Option<&str>,
        ms: u64,
    ) -> std::result::Result<(), mysql_async::Error> {
        let v = m.version.parse::<i64>().unwrap_or(0);
        match (self.format, dir) {
            (SqlFormat::GolangMigrate, _) => {
                c.query_drop("DELETE FROM `schema_migrations`").await?;
                if let Some(n) = now {
                    c.exec_drop("INSERT INTO `schema_migrations` (version, dirty) VALUES (?, 0)", (n.parse::<i64>().unwrap_or(0),)).await?;
                }
                Ok(())
            }
            (SqlFormat::Dbmate, Direction::Up) => c.exec_drop("INSERT INTO `schema_migrations` (version) VALUES (?)", (m.version.clone(),)).await,
            (SqlFormat::Dbmate, Direction::Down) => c.exec_drop("DELETE FROM `schema_migrations` WHERE version = ?", (m.version.clone(),)).await,
            (SqlFormat::Sqlx, Direction::Up) => c.exec_drop("UPDATE `_sqlx_migrations` SET success = 1, execution_time = ? WHERE version = ?", (ms as i64, v)).await,
            (SqlFormat::Sqlx, Direction::Down) => c.exec_drop("DELETE FROM `_sqlx_migrations` WHERE version = ?", (v,)).await,
        }
    }

    /// Runs `sql` as one multi-statement batch; on failure names the statement the server
    /// refused (earlier statements stay applied — MySQL DDL does not roll back).
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

    async fn migrate(&self, db: &DbTarget, target: &Target, direction: Direction) -> Execution {
        let start = Instant::now();
        let command = format!(
            "{} {} {} (native)",
            self.tool_name(),
            match direction {
                Direction::Up => "up to",
                Direction::Down => "down to",
            },
            target
        );
        let deadline = db.timeout;
        let work = async {
            let mut log = Vec::new();
            let mut c = self
                .connect(db)
                .await
                .map_err(|e| (e, None, None, log.clone()))?;
            let state = self
                .read_state(&mut c)
                .await
                .map_err(|e| (e, None, None, log.clone()))?;
            if state.dirty && self.format == SqlFormat::GolangMigrate {
                let msg = format!(
                    "Dirty database version {}. Fix and force version.",
                    state.rows.join(",")
                );
                return Ok::<
                    _,
                    (
                        mysql_async::Error,
                        Option<String>,
                        Option<String>,
                        Vec<String>,
                    ),
                >((log, Some(msg)));
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
                Err(e) => return Ok((log, Some(e))),
            };
            let steps: Vec<usize> = match direction {
                Direction::Up if to >= cur_idx => {
                    ((cur_idx + 1)..=to).map(|i| i as usize).collect()
                }
                Direction::Down if to <= cur_idx => {
                    ((to + 1)..=cur_idx).rev().map(|i| i as usize).collect()
                }
                _ => {
                    return Ok((
                        log,
                        Some(format!(
                            "target {target} is on the wrong side of {}",
                            current.as_deref().unwrap_or("base")
                        )),
                    ))
                }
            };
            for i in steps {
                let m = &self.migrations[i];
                let sql = match direction {
                    Direction::Up => m.up.clone().unwrap_or_default(),
                    Direction::Down => match &m.down {
                        Some(d) => d.clone(),
                        None => {
                            return Ok((log, Some(format!("{} has no down migration", m.version))))
                        }
                    },
                };
                let file = self.file_name(m, &direction);
                self.mark_start(&mut c, m, &direction)
                    .await
                    .map_err(|e| (e, Some(m.version.clone()), None, log.clone()))?;
                let t0 = Instant::now();
                if !sql.trim().is_empty() {
                    if let Err((e, n)) = self.run_batch(&mut c, &sql).await {
                        let stmts = split_statements(&sql);
                        let stmt = stmts
                            .get(n)
                            .cloned()
                            .map(|s| format!("statement {} of {}: {s}", n + 1, stmts.len()));
                        log.push(format!("FAILED {file}"));
                        return Err((e, Some(m.version.clone()), stmt, log));
                    }
                }
                let ms = t0.elapsed().as_millis() as u64;
                let now = match direction {
                    Direction::Up => Some(m.version.as_str()),
                    Direction::Down => (i > 0).then(|| self.order[i - 1].as_str()),
                };
                self.mark_done(&mut c, m, &direction, now, ms)
                    .await
                    .map_err(|e| (e, Some(m.version.clone()), None, log.clone()))?;
                log.push(format!("applied {file} ({ms} ms)"));
            }
            let _ = c.disconnect().await;
            Ok((log, None))
        };
        let result = tokio::time::timeout(deadline, work).await;
        let duration_ms = start.elapsed().as_millis() as u64;
        let mut exec = Execution {
            command,
            outcome: Outcome::Succeeded,
            exit_code: None,
            duration_ms,
            stdout: String::new(),
            stderr: String::new(),
            error: None,
            failed_revision: None,
            failed_statement: None,
            statements: Vec::new(),
        };
        match result {
            Err(_) => {
                exec.outcome = Outcome::TimedOut {
                    seconds: deadline.as_secs(),
                }
            }
            Ok(Ok((log, None))) => exec.stdout = log.join("\n"),
            Ok(Ok((log, Some(msg)))) => {
                exec.outcome = Outcome::Failed;
                exec.stdout = log.join("\n");
                exec.stderr = msg;
            }
            Ok(Err((e, rev, stmt, log))) => {
                exec.outcome = if is_connection_lost(&e) && server_error(&e).is_none() {
                    Outcome::NotStarted {
                        reason: format!("connection lost: {e}"),
                    }
                } else {
                    Outcome::Failed
                };
                exec.stdout = log.join("\n");
                exec.error = server_error(&e);
                exec.stderr = self.redactor.redact(&match &exec.error {
                    Some(ServerError { code, message }) => format!("Error {code}: {message}"),
                    None => e.to_string(),
                });
                exec.failed_revision = rev;
                exec.failed_statement = stmt.map(|s| truncate(&s, 2000));
            }
        }
        exec
    }
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
        self.migrate(db, target, Direction::Up).await
    }

    async fn downgrade(&self, db: &DbTarget, target: &Target) -> Execution {
        self.migrate(db, target, Direction::Down).await
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

    async fn version(&self, db: &DbTarget) -> std::result::Result<VersionState, String> {
        let work = async {
            let mut c = self.connect(db).await?;
            let s = self.read_state(&mut c).await;
            let _ = c.disconnect().await;
            s
        };
        tokio::time::timeout(Duration::from_secs(30), work)
            .await
            .map_err(|_| "reading the version table timed out".to_string())?
            .map_err(|e| e.to_string())
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
