//! Server provisioning: the `Provisioner` trait, the `Server` every provider hands out, and
//! `provision()`, which picks a provider for `--db auto|container|local|url`.

mod container;
mod docker;
mod local;
mod server;
pub mod tuning;
mod url;

pub use container::ContainerProvisioner;
pub use docker::{
    docker_engine, labelled_containers, labelled_containers_with_pids, remove_container,
    DockerEngine, PID_LABEL, RUN_LABEL,
};
pub use local::{find_server_binary, LocalProvisioner, TEMP_PREFIX};
pub use server::{Engine, ProviderKind, Server, ServerHandle};
pub use url::UrlProvisioner;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::DbMode;
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

#[async_trait::async_trait]
pub trait Provisioner: Send + Sync {
    /// Starts (or connects to) a server and returns it ready for `SELECT 1`.
    async fn provision(&self, run_id: &str, redactor: &Redactor) -> Result<Server>;
}

/// What the user asked for, after CLI and config are merged.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionRequest {
    pub mode: DbMode,
    pub image: String,
    pub binary: Option<PathBuf>,
    pub database_url: Option<String>,
    pub startup_timeout: Duration,
}

pub const DEFAULT_IMAGE: &str = "mysql:8.0";

pub fn alternatives() -> &'static str {
    "ways to proceed:\n  \
     1. start a Docker engine (or set DOCKER_HOST) and use --db container [--image mariadb:11]\n  \
     2. install a server binary (Debian: apt-get install mariadb-server) and use --db local [--server-binary PATH]\n  \
     3. point at an existing server you may create databases on: --db url --database-url mysql://USER:PASS@HOST:PORT/"
}

/// Provisions the server the request names; `auto` prefers a container, then a local binary.
pub async fn provision(
    req: &ProvisionRequest,
    run_id: &str,
    redactor: &Redactor,
) -> Result<Server> {
    match req.mode {
        DbMode::Container => container_of(req).provision(run_id, redactor).await,
        DbMode::Local => local_of(req)?.provision(run_id, redactor).await,
        DbMode::Url => url_of(req, redactor)?.provision(run_id, redactor).await,
        // A URL given with `auto` means that server.
        DbMode::Auto if req.database_url.is_some() => {
            url_of(req, redactor)?.provision(run_id, redactor).await
        }
        DbMode::Auto => {
            let engine = docker_engine().await;
            let local = local_of(req).ok();
            match (engine, local) {
                (Ok(_), local) => match container_of(req).provision(run_id, redactor).await {
                    Ok(s) => Ok(s),
                    Err(e) => match local {
                        Some(l) => {
                            tracing::warn!("container provisioning failed ({e}); falling back to a local server");
                            l.provision(run_id, redactor).await
                        }
                        None => Err(e),
                    },
                },
                (Err(_), Some(l)) => {
                    tracing::info!("no Docker engine answers; using a local server binary");
                    l.provision(run_id, redactor).await
                }
                (Err(d), None) => Err(HarnessError::env(format!(
                    "no server available: Docker engine unreachable ({d}) and no mariadbd/mysqld binary found.\n{}",
                    alternatives()
                ))),
            }
        }
    }
}

fn url_of(req: &ProvisionRequest, redactor: &Redactor) -> Result<UrlProvisioner> {
    let url = req.database_url.as_deref().ok_or_else(|| {
        HarnessError::usage(
            "--db url needs --database-url mysql://USER:PASS@HOST:PORT/ (or MH_DATABASE_URL)",
        )
    })?;
    redactor.add(url);
    UrlProvisioner::new(url)
}

fn container_of(req: &ProvisionRequest) -> ContainerProvisioner {
    ContainerProvisioner::new(&req.image, req.startup_timeout)
}

fn local_of(req: &ProvisionRequest) -> Result<LocalProvisioner> {
    let binary = match &req.binary {
        Some(b) => b.clone(),
        None => find_server_binary().ok_or_else(|| {
            HarnessError::env(format!(
                "--db local: no mariadbd or mysqld found on PATH or in /usr/sbin, /usr/local/mysql/bin.\n{}",
                alternatives()
            ))
        })?,
    };
    Ok(LocalProvisioner::new(binary, req.startup_timeout))
}
