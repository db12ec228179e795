//! `Server`: one running MySQL/MariaDB, whoever started it, handing out fresh databases.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use serde::Serialize;

use crate::db::{ident, ConnInfo};
use crate::error::{HarnessError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Container,
    Local,
    Url,
}

/// How the run came to this server: what was asked for and, when `--db auto` had to fall
/// back, what did not work. The console says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    /// The mode (and image or binary) the command line or config named.
    Requested,
    /// `--db auto`: the image asked for (or the default) started.
    AutoImage,
    /// `--db auto`: the default image could not be started (no registry?); the newest
    /// locally built MySQL image was used instead.
    AutoLocalImage { wanted: String, reason: String },
    /// `--db auto`: no container could be started; a local server binary was used.
    AutoLocalBinary { reason: String },
}

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
            counter: AtomicUsize::new(0),
            created: Mutex::new(Vec::new()),
            handle: tokio::sync::Mutex::new(handle),
        }
    }

    /// Reads the version string from the server itself.
    pub async fn read_version(conn: &ConnInfo) -> Result<String> {
        let mut c = conn
            .connect(None)
            .await
            .map_err(|e| HarnessError::env(format!("cannot connect to {conn:?}: {e}")))?;
        let v: Option<String> = c
            .query_first("SELECT VERSION()")
            .await
            .map_err(|e| HarnessError::env(format!("SELECT VERSION() failed: {e}")))?;
        let _ = c.disconnect().await;
        Ok(v.unwrap_or_default())
    }

    /// A connection without a default database (for CREATE/DROP DATABASE).
    pub async fn admin(&self) -> Result<Conn> {
        self.conn
            .connect(None)
            .await
            .map_err(|e| HarnessError::env(format!("lost the server at {:?}: {e}", self.conn)))
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
        .map_err(|e| HarnessError::env(format!("CREATE DATABASE {name} failed: {e}")))?;
        let _ = c.disconnect().await;
        self.created.lock().expect("lock").push(name.clone());
        Ok(name)
    }

    /// Drops a database this run created; refuses any other name.
    pub async fn drop_database(&self, name: &str) -> Result<()> {
        if !self.owns(name) {
            return Err(HarnessError::usage(format!(
                "refusing to drop `{name}`: this run did not create it"
            )));
        }
        let mut c = self.admin().await?;
        c.query_drop(format!("DROP DATABASE IF EXISTS {}", ident(name)))
            .await
            .map_err(|e| HarnessError::env(format!("DROP DATABASE {name} failed: {e}")))?;
        let _ = c.disconnect().await;
        self.created.lock().expect("lock").retain(|n| n != name);
        Ok(())
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
            None => Err(HarnessError::usage("a URL server is not ours to kill")),
        }
    }

    /// Drops every database this run created, then stops what the provider started.
    /// Safe to call twice; errors are collected, not short-circuited.
    pub async fn teardown(&self) -> Result<()> {
        let mut errors = Vec::new();
        let handle = self.handle.lock().await.take();
        // A container or temp server vanishes whole; dropping its databases first would
        // only cost time. An existing server keeps living, so clean up inside it.
        if handle.is_none() || self.provider == ProviderKind::Url {
            for name in self.created_databases() {
                if let Err(e) = self.drop_database(&name).await {
                    errors.push(e.to_string());
                }
            }
        }
        if let Some(h) = handle {
            if let Err(e) = h.stop().await {
                errors.push(e.to_string());
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(HarnessError::env(format!(
                "cleanup incomplete: {}",
                errors.join("; ")
            )))
        }
    }
}
