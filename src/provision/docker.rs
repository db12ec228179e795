//! Talks to the Docker engine directly (bollard, as re-exported by testcontainers) for what
//! testcontainers does not offer: a ping, the engine version, and finding labelled leftovers.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers_modules::testcontainers::bollard::{
    models::ContainerSummary,
    query_parameters::{ListContainersOptions, RemoveContainerOptions},
    Docker,
};

/// Label put on every container the harness starts; its value is the run id.
pub const RUN_LABEL: &str = "io.migration-harness.run";
/// The harness process that owns the container (`clean` keeps containers of live ones).
pub const PID_LABEL: &str = "io.migration-harness.pid";

#[derive(Debug, Clone)]
pub struct DockerEngine {
    pub host: String,
    pub version: String,
    pub api_version: String,
}

fn client() -> Result<Docker, String> {
    Docker::connect_with_defaults().map_err(|e| e.to_string())
}

pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// The engine answering at DOCKER_HOST (or the default socket), or why none does.
pub async fn docker_engine() -> Result<DockerEngine, String> {
    let host = docker_host();
    let docker = client()?;
    let v = tokio::time::timeout(Duration::from_secs(5), docker.version())
        .await
        .map_err(|_| format!("{host}: no answer within 5 s"))?
        .map_err(|e| format!("{host}: {e}"))?;
    Ok(DockerEngine {
        host,
        version: v.version.unwrap_or_default(),
        api_version: v.api_version.unwrap_or_default(),
    })
}

fn label_filter(run_id: Option<&str>) -> HashMap<String, Vec<String>> {
    let value = match run_id {
        Some(r) => format!("{RUN_LABEL}={r}"),
        None => RUN_LABEL.to_string(),
    };
    HashMap::from([("label".to_string(), vec![value])])
}

/// Containers carrying the harness label (of one run, or of any run).
async fn list_labelled(run_id: Option<&str>) -> Result<Vec<ContainerSummary>, String> {
    client()?
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(label_filter(run_id)),
            ..Default::default()
        }))
        .await
        .map_err(|e| e.to_string())
}

/// Ids of containers carrying the harness label (of one run, or of any run).
pub async fn labelled_containers(run_id: Option<&str>) -> Result<Vec<String>, String> {
    Ok(list_labelled(run_id)
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect())
}

/// Labelled containers with the pid of the harness that started them.
pub async fn labelled_containers_with_pids() -> Result<Vec<(String, Option<i32>)>, String> {
    Ok(list_labelled(None)
        .await?
        .into_iter()
        .filter_map(|c| {
            let pid = c
                .labels
                .as_ref()
                .and_then(|l| l.get(PID_LABEL))
                .and_then(|p| p.parse().ok());
            c.id.map(|id| (id, pid))
        })
        .collect())
}

pub async fn remove_container(id: &str) -> Result<(), String> {
    client()?
        .remove_container(
            id,
            Some(RemoveContainerOptions {
                force: true,
                v: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| e.to_string())
}

pub async fn container_running(id: &str) -> bool {
    let Ok(docker) = client() else { return false };
    match docker.inspect_container(id, None).await {
        Ok(info) => info.state.and_then(|s| s.running).unwrap_or(false),
        Err(_) => false,
    }
}

pub async fn kill_container(id: &str) -> Result<(), String> {
    client()?
        .kill_container(id, None)
        .await
        .map_err(|e| e.to_string())
}
