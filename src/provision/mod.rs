//! Server provisioning: the `Provisioner` trait, the `Server` every provider hands out, and
//! `provision()`, which picks a provider for `--db auto|container|local|url`.

mod container;
mod contract;
mod docker;
mod local;
mod server;
pub mod tuning;
mod url;

pub use container::ContainerProvisioner;
pub use contract::{
    alternatives, ProvisionRequest, Provisioner, DEFAULT_IMAGE, LOCAL_MYSQL_REPOSITORY,
    SERVER_REPOSITORIES,
};
pub use docker::{
    docker_engine, image_present, labelled_containers, labelled_containers_with_pids, local_images,
    remove_container, DockerEngine, PID_LABEL, RUN_LABEL,
};
pub use local::{find_server_binary, LocalProvisioner, TEMP_PREFIX};
pub use server::{version_numbers, Choice, Engine, Profile, ProviderKind, Server, ServerHandle};
pub use url::UrlProvisioner;

use crate::config::DbMode;
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

/// Provisions the server the request names; `auto` prefers a container, then a local binary.
pub async fn provision(
    req: &ProvisionRequest,
    run_id: &str,
    redactor: &Redactor,
) -> Result<Server> {
    let mut server = start(req, run_id, redactor).await?;
    // A server that cannot serve this run must not be left running.
    let checked = async {
        server.check_supported()?;
        server.read_profile(req.migrate_as, redactor).await
    }
    .await;
    match checked {
        Ok(()) => Ok(server),
        Err(e) => {
            if let Err(t) = server.teardown().await {
                tracing::warn!("{t}");
            }
            Err(e)
        }
    }
}

async fn start(req: &ProvisionRequest, run_id: &str, redactor: &Redactor) -> Result<Server> {
    match req.mode {
        DbMode::Container => container_of(req).provision(run_id, redactor).await,
        DbMode::Local => local_of(req)?.provision(run_id, redactor).await,
        DbMode::Url => url_of(req, redactor)?.provision(run_id, redactor).await,
        // A URL given with `auto` means that server.
        DbMode::Auto if req.database_url.is_some() => {
            url_of(req, redactor)?.provision(run_id, redactor).await
        }
        DbMode::Auto => auto(req, run_id, redactor).await,
    }
}

/// `--db auto`: the image asked for (default `mysql:8.0`); when the default cannot be started
/// (no registry), the newest locally built `migration-harness/mysql` image; then a local
/// server binary. The server records which one and why.
async fn auto(req: &ProvisionRequest, run_id: &str, redactor: &Redactor) -> Result<Server> {
    let local = local_of(req).ok();
    if let Err(d) = docker_engine().await {
        let Some(l) = local else {
            return Err(HarnessError::env(format!(
                "no server available: Docker engine unreachable ({d}) and no mariadbd/mysqld binary found.\n{}",
                alternatives()
            )));
        };
        let mut s = l.provision(run_id, redactor).await?;
        s.choice = Choice::AutoLocalBinary {
            reason: format!("no Docker engine answers ({d})"),
        };
        return Ok(s);
    }
    let mut failure = match container_of(req).provision(run_id, redactor).await {
        Ok(mut s) => {
            s.choice = Choice::AutoImage;
            return Ok(s);
        }
        Err(e) => e,
    };
    if req.image == DEFAULT_IMAGE {
        let built = local_images(&[LOCAL_MYSQL_REPOSITORY])
            .await
            .unwrap_or_default();
        if let Some(image) = built.first() {
            let p = ContainerProvisioner::new(image, req.startup_timeout);
            match p.provision(run_id, redactor).await {
                Ok(mut s) => {
                    s.choice = Choice::AutoLocalImage {
                        wanted: req.image.clone(),
                        reason: first_line(&failure),
                    };
                    return Ok(s);
                }
                Err(e) => failure = e,
            }
        }
    }
    let Some(l) = local else { return Err(failure) };
    let mut s = l.provision(run_id, redactor).await?;
    s.choice = Choice::AutoLocalBinary {
        reason: format!("no container could be started: {}", first_line(&failure)),
    };
    Ok(s)
}

fn first_line(e: &HarnessError) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
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
