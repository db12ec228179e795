//! `Server`: one running MySQL/MariaDB, whoever started it, handing out fresh databases.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mysql_async::prelude::Queryable;
use serde::{Deserialize, Serialize};

use super::{AdminCall, ProvisionError};
use crate::config::MigrateAs;
use crate::db::{ident, ConnInfo, DbError};
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Mysql,
    Mariadb,
}

impl Engine {
    pub fn from_version(version: &str) -> Engine {
        if version.to_ascii_lowercase().contains("mariadb") {
            Engine::Mariadb
        } else {
            Engine::Mysql
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Container,
    Local,
    Url,
}

/// How the run came to this server: what was asked for and, when `--db auto` had to fall
/// back, what did not work. The console says it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    /// The mode (and image or binary) the command line or config named.
    #[default]
    Requested,
    /// `--db auto`: the image asked for (or the default) started.
    AutoImage,
    /// `--db auto`: the default image could not be started (no registry?); the newest
    /// locally built MySQL image was used instead.
    AutoLocalImage { wanted: String, reason: String },
    /// `--db auto`: no container could be started; a local server binary was used.
    AutoLocalBinary { reason: String },
}

/// The server settings that decide verdicts (read from the server) and the account the
/// migrations run as: the same in every mode, like production, and said in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// `@@log_bin`: on for MySQL 8+ as shipped, off for MariaDB.
    pub binary_log: bool,
    /// `@@log_bin_trust_function_creators`: off as shipped; with the binary log on, a user
    /// without SUPER then cannot create triggers or functions (1419).
    pub log_bin_trust_function_creators: bool,
    pub migrate_as: MigrateAs,
}

/// `8.0.36`, `9.7.4-2`, `10.11.19-MariaDB-…` → (major, minor).
pub fn version_numbers(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// A password nobody can guess within a run (redacted from every output).
pub(crate) fn random_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("mh-{:016x}", h.finish())
}

/// Hosts the application user is created for: `%`, and `localhost` because an anonymous
/// `''@'localhost'` (MariaDB's install-db) would otherwise take a loopback login.
const APP_HOSTS: &[&str] = &["%", "localhost"];

/// What a provider must undo at the end (remove the container, stop the process).
#[async_trait::async_trait]
pub trait ServerHandle: Send + Sync {
    async fn stop(self: Box<Self>) -> Result<()>;
    /// Is the server still up? Used to tell a dead server from a failing migration.
    async fn alive(&self) -> bool;
    /// Kills the server abruptly (fault tests: "the server dies mid-run").
    async fn kill(&self) -> Result<()>;
}

/// A running server. Databases it hands out are named `mh_<run>_<n>`, and it drops exactly
/// those on teardown — with `--db url` the server is someone else's.
pub struct Server {
    pub engine: Engine,
    pub version: String,
    pub provider: ProviderKind,
    pub image: Option<String>,
    pub conn: ConnInfo,
    pub run_id: String,
    pub startup_ms: u64,
    /// Throwaway-server settings the harness applied (empty for a server it does not own).
    pub settings: Vec<String>,
    pub choice: Choice,
    pub profile: Option<Profile>,
    /// The schema-scoped account migrations run as (`migrate_as = "app"`).
    app: Option<ConnInfo>,
    counter: AtomicUsize,
    created: Mutex<Vec<String>>,
    handle: tokio::sync::Mutex<Option<Box<dyn ServerHandle>>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Server({:?} {} via {:?} at {:?})",
            self.engine, self.version, self.provider, self.conn
        )
    }
}

pub const DB_PREFIX: &str = "mh_";

impl Server {
    pub fn new(
        provider: ProviderKind,
        conn: ConnInfo,
        version: String,
        run_id: &str,
        handle: Option<Box<dyn ServerHandle>>,
    ) -> Server {
        Server {
            engine: Engine::from_version(&version),
            version,
            provider,
            image: None,
            conn,
            run_id: run_id.to_string(),
            startup_ms: 0,
            settings: Vec::new(),
            choice: Choice::Requested,
            profile: None,
            app: None,
            counter: AtomicUsize::new(0),
            created: Mutex::new(Vec::new()),
            handle: tokio::sync::Mutex::new(handle),
        }
    }

    /// Reads the version string from the server itself.
    pub async fn read_version(conn: &ConnInfo) -> Result<String> {
        let mut c =
            conn.connect(None)
                .await
                .map_err(ProvisionError::admin(AdminCall::Connect {
                    server: format!("{conn:?}"),
                }))?;
        let v: Option<String> =
            c.query_first("SELECT VERSION()")
                .await
                .map_err(|e| ProvisionError::Admin {
                    call: AdminCall::ReadVersion,
                    source: DbError::at("SELECT VERSION()")(e),
                })?;
        let _ = c.disconnect().await;
        Ok(v.unwrap_or_default())
    }

    /// The account migrations, setup SQL, probes and snapshots use on the run's databases:
    /// the application user, or root with `migrate_as = "root"`.
    pub fn migration_conn(&self) -> &ConnInfo {
        self.app.as_ref().unwrap_or(&self.conn)
    }

    /// Refuses servers the harness does not support, naming what was found and what works.
    pub fn check_supported(&self) -> Result<()> {
        match (self.engine, version_numbers(&self.version)) {
            (Engine::Mysql, Some((major, _))) if major < 8 => {
                Err(ProvisionError::UnsupportedServer {
                    version: self.version.clone(),
                }
                .into())
            }
            _ => Ok(()),
        }
    }

    /// Reads the verdict-deciding settings and, for `migrate_as = "app"`, creates the
    /// application user (all privileges on this run's databases only, granted as each is
    /// created; no SUPER) and checks it can log in.
    pub async fn read_profile(&mut self, migrate_as: MigrateAs, redactor: &Redactor) -> Result<()> {
        let mut c = self.admin().await?;
        let sql = "SELECT @@log_bin, @@log_bin_trust_function_creators";
        let row: Option<(Option<i64>, Option<i64>)> =
            c.query_first(sql)
                .await
                .map_err(|e| ProvisionError::Admin {
                    call: AdminCall::ReadSettings,
                    source: DbError::at(sql)(e),
                })?;
        let (log_bin, trust) = row.unwrap_or_default();
        self.profile = Some(Profile {
            binary_log: log_bin.unwrap_or(0) != 0,
            log_bin_trust_function_creators: trust.unwrap_or(0) != 0,
            migrate_as,
        });
        if migrate_as == MigrateAs::App {
            let app = ConnInfo {
                user: format!("mh_app_{}", self.run_id),
                password: random_password(),
                // Its own connections: a pool belongs to one login.
                pools: Default::default(),
                ..self.conn.clone()
            };
            redactor.add(&app.password);
            let refused = |step: &'static str, source: DbError| ProvisionError::AppUserRefused {
                user: app.user.clone(),
                admin: self.conn.user.clone(),
                step,
                source,
            };
            for host in APP_HOSTS {
                c.query_drop(format!(
                    "CREATE USER '{}'@'{host}' IDENTIFIED BY '{}'",
                    app.user, app.password
                ))
                .await
                .map_err(|e| refused("CREATE USER", e.into()))?;
                // Once one exists, teardown drops it (and the other, if any).
                self.app = Some(app.clone());
                // MariaDB: one grant on the pattern of this run's database names covers
                // them all. MySQL deprecates such patterns and reads them literally under
                // `partial_revokes`, so there each database is granted as it is created:
                // find out now, not in every scenario, whether this account may grant at
                // all (GRANT OPTION).
                let on = match self.engine {
                    Engine::Mariadb => format!("`{}`", run_pattern(&self.run_id)),
                    Engine::Mysql => format!("`mh_{}_grant_probe`", self.run_id),
                };
                c.query_drop(format!(
                    "GRANT ALL PRIVILEGES ON {on}.* TO '{}'@'{host}'",
                    app.user
                ))
                .await
                .map_err(|e| refused("GRANT", e.into()))?;
            }
            let _ = c.disconnect().await;
            let a = app.connect(None).await.map_err(|e| refused("login", e))?;
            let _ = a.disconnect().await;
        } else {
            let _ = c.disconnect().await;
        }
        Ok(())
    }

    async fn drop_app_user(&self) -> Result<()> {
        let Some(app) = &self.app else { return Ok(()) };
        let mut c = self.admin().await?;
        for host in APP_HOSTS {
            c.query_drop(format!("DROP USER IF EXISTS '{}'@'{host}'", app.user))
                .await
                .map_err(|e| ProvisionError::Admin {
                    call: AdminCall::DropUser {
                        user: app.user.clone(),
                    },
                    source: e.into(),
                })?;
        }
        let _ = c.disconnect().await;
        Ok(())
    }

    /// A connection without a default database (for CREATE/DROP DATABASE).
    pub async fn admin(&self) -> Result<crate::db::Pooled> {
        Ok(self
            .conn
            .connect(None)
            .await
            .map_err(ProvisionError::admin(AdminCall::Lost {
                server: format!("{:?}", self.conn),
            }))?)
    }

    /// Creates a new, empty database owned by this run.
    pub async fn create_database(&self) -> Result<String> {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let name = format!("{DB_PREFIX}{}_{n}", self.run_id);
        let mut c = self.admin().await?;
        c.query_drop(format!(
            "CREATE DATABASE {} CHARACTER SET utf8mb4",
            ident(&name)
        ))
        .await
        .map_err(|e| ProvisionError::Admin {
            call: AdminCall::CreateDatabase { name: name.clone() },
            source: e.into(),
        })?;
        if let Some(app) = self.app.as_ref().filter(|_| self.engine == Engine::Mysql) {
            for host in APP_HOSTS {
                c.query_drop(format!(
                    "GRANT ALL PRIVILEGES ON {}.* TO '{}'@'{host}'",
                    ident(&name),
                    app.user
                ))
                .await
                .map_err(|e| ProvisionError::Admin {
                    call: AdminCall::Grant { name: name.clone() },
                    source: e.into(),
                })?;
            }
        }
        let _ = c.disconnect().await;
        self.created.lock().expect("lock").push(name.clone());
        Ok(name)
    }

    /// Drops a database this run created; refuses any other name.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        if !self.owns(name) {
            return Err(ProvisionError::NotOwned {
                database: name.to_string(),
            }
            .into());
        }
        self.forget(name).await;
        let mut c = self.admin().await?;
        c.query_drop(format!("DROP DATABASE IF EXISTS {}", ident(name)))
            .await
            .map_err(|e| ProvisionError::Admin {
                call: AdminCall::DropDatabase { name: name.into() },
                source: e.into(),
            })?;
        let _ = c.disconnect().await;
        self.created.lock().expect("lock").retain(|n| n != name);
        Ok(())
    }

    /// Closes the pooled connections to `name`, of both logins: before the database is
    /// dropped, or after its connections were killed (a killed connection must not be
    /// handed out again).
    pub async fn forget(&self, name: &str) {
        self.conn.forget(name).await;
        if let Some(app) = &self.app {
            app.forget(name).await;
        }
    }

    /// True for databases this run created and has not dropped yet.
    pub fn owns(&self, name: &str) -> bool {
        self.created.lock().expect("lock").iter().any(|n| n == name)
    }

    pub fn created_databases(&self) -> Vec<String> {
        self.created.lock().expect("lock").clone()
    }

    pub async fn alive(&self) -> bool {
        match self.handle.lock().await.as_ref() {
            Some(h) => h.alive().await,
            None => crate::db::wait_ready(&self.conn, std::time::Duration::from_secs(2))
                .await
                .is_ok(),
        }
    }

    /// Kills the server abruptly; only for fault-injection tests.
    pub async fn kill(&self) -> Result<()> {
        match self.handle.lock().await.as_ref() {
            Some(h) => h.kill().await,
            None => Err(ProvisionError::NotOursToKill.into()),
        }
    }

    /// Drops every database this run created, then stops what the provider started.
    /// Safe to call twice; errors are collected, not short-circuited.
    pub async fn teardown(&self) -> Result<()> {
        let mut errors = Vec::new();
        let handle = self.handle.lock().await.take();
        // The application login's connections go before its user does.
        if let Some(app) = &self.app {
            app.pools.close_all().await;
        }
        // A container or temp server vanishes whole; dropping its databases first would
        // only cost time. An existing server keeps living, so clean up inside it.
        if handle.is_none() || self.provider == ProviderKind::Url {
            for name in self.created_databases() {
                if let Err(e) = self.drop_database(&name).await {
                    errors.push(e);
                }
            }
            if let Err(e) = self.drop_app_user().await {
                errors.push(e);
            }
        }
        self.conn.pools.close_all().await;
        if let Some(h) = handle {
            if let Err(e) = h.stop().await {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(HarnessError::CleanupIncomplete(errors))
        }
    }
}

/// The LIKE pattern of this run's database names (`mh_<run>_<n>`), its `_` escaped.
fn run_pattern(run_id: &str) -> String {
    format!("{DB_PREFIX}{run_id}_").replace('_', "\\_") + "%"
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_run_pattern_matches_only_the_runs_databases() {
        // `_` would match any one character: escaped, the pattern is the run's prefix.
        assert_eq!(super::run_pattern("26120a"), "mh\\_26120a\\_%");
    }

    use super::version_numbers;

    #[test]
    fn mysql_before_8_is_refused_naming_what_works() {
        use super::{ProviderKind, Server};
        let conn = crate::db::ConnInfo {
            host: "127.0.0.1".into(),
            port: 3306,
            user: "root".into(),
            password: String::new(),
            pools: Default::default(),
        };
        let old = Server::new(
            ProviderKind::Url,
            conn.clone(),
            "5.7.44-log".into(),
            "r",
            None,
        );
        let msg = old.check_supported().unwrap_err().to_string();
        assert!(
            msg.contains("MySQL 5.7.44-log") && msg.contains("MySQL 8.0 or newer"),
            "{msg}"
        );
        assert!(
            msg.contains("mysql:8.4") && msg.contains("MariaDB 10.5"),
            "{msg}"
        );
        for fine in ["8.0.36", "9.7.4-2", "10.5.23-MariaDB-0+deb11u1"] {
            let s = Server::new(ProviderKind::Url, conn.clone(), fine.into(), "r", None);
            assert!(s.check_supported().is_ok(), "{fine}");
        }
    }

    #[test]
    fn reads_major_and_minor_of_every_server_spelling() {
        assert_eq!(version_numbers("9.7.4-2"), Some((9, 7)));
        assert_eq!(version_numbers("5.7.44-log"), Some((5, 7)));
        assert_eq!(
            version_numbers("10.11.19-MariaDB-0+deb12u1"),
            Some((10, 11))
        );
        assert_eq!(version_numbers("garbage"), None);
    }
}
