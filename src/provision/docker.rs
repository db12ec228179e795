//! Talks to the Docker engine directly (bollard, as re-exported by testcontainers) for what
//! testcontainers does not offer: a ping, the engine version, and finding labelled leftovers.

use std::collections::HashMap;
use std::time::Duration;

use testcontainers_modules::testcontainers::bollard::{
    errors::Error as BollardError,
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

/// What the Docker engine did not do, as data; `Display` reads as the engine's message.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No client for DOCKER_HOST could be made.
    #[error("{0}")]
    Client(#[source] BollardError),
    /// The engine did not answer the version request in time.
    #[error("{host}: no answer within {seconds} s")]
    NoAnswer { host: String, seconds: u64 },
    /// The engine refused or failed the version request.
    #[error("{host}: {source}")]
    Unreachable {
        host: String,
        #[source]
        source: BollardError,
    },
    /// An engine call failed.
    #[error("{source}")]
    Call {
        call: DockerCall,
        #[source]
        source: BollardError,
    },
}

/// Which engine call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerCall {
    ListContainers,
    RemoveContainer { id: String },
    KillContainer { id: String },
    ListImages,
}

impl DockerError {
    fn call(call: DockerCall) -> impl FnOnce(BollardError) -> DockerError {
        move |source| DockerError::Call { call, source }
    }
}

fn client() -> Result<Docker, DockerError> {
    Docker::connect_with_defaults().map_err(DockerError::Client)
}

pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// The engine answering at DOCKER_HOST (or the default socket), or why none does.
pub async fn docker_engine() -> Result<DockerEngine, DockerError> {
    const ANSWER_WITHIN: Duration = Duration::from_secs(5);
    let host = docker_host();
    let docker = client()?;
    let v = match tokio::time::timeout(ANSWER_WITHIN, docker.version()).await {
        Err(_) => {
            return Err(DockerError::NoAnswer {
                host,
                seconds: ANSWER_WITHIN.as_secs(),
            })
        }
        Ok(Err(source)) => return Err(DockerError::Unreachable { host, source }),
        Ok(Ok(v)) => v,
    };
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
async fn list_labelled(run_id: Option<&str>) -> Result<Vec<ContainerSummary>, DockerError> {
    client()?
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(label_filter(run_id)),
            ..Default::default()
        }))
        .await
        .map_err(DockerError::call(DockerCall::ListContainers))
}

/// Ids of containers carrying the harness label (of one run, or of any run).
pub async fn labelled_containers(run_id: Option<&str>) -> Result<Vec<String>, DockerError> {
    Ok(list_labelled(run_id)
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect())
}

/// Labelled containers with the pid of the harness that started them.
pub async fn labelled_containers_with_pids() -> Result<Vec<(String, Option<i32>)>, DockerError> {
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

pub async fn remove_container(id: &str) -> Result<(), DockerError> {
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
        .map_err(DockerError::call(DockerCall::RemoveContainer {
            id: id.into(),
        }))
}

pub async fn container_running(id: &str) -> bool {
    let Ok(docker) = client() else { return false };
    match docker.inspect_container(id, None).await {
        Ok(info) => info.state.and_then(|s| s.running).unwrap_or(false),
        Err(_) => false,
    }
}

pub async fn kill_container(id: &str) -> Result<(), DockerError> {
    client()?
        .kill_container(id, None)
        .await
        .map_err(DockerError::call(DockerCall::KillContainer {
            id: id.into(),
        }))
}

/// Tags of the images present on the engine whose repository is one of `repositories`
/// (e.g. `migration-harness/mysql`), in the order of `repositories`, newest version first.
pub async fn local_images(repositories: &[&str]) -> Result<Vec<String>, DockerError> {
    use testcontainers_modules::testcontainers::bollard::query_parameters::ListImagesOptions;
    let filters = HashMap::from([(
        "reference".to_string(),
        repositories.iter().map(|r| format!("{r}:*")).collect(),
    )]);
    let images = client()?
        .list_images(Some(ListImagesOptions {
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(DockerError::call(DockerCall::ListImages))?;
    let mut tags: Vec<String> = images
        .into_iter()
        .flat_map(|i| i.repo_tags)
        .filter(|t| {
            repositories
                .iter()
                .any(|r| t.strip_prefix(r).is_some_and(|rest| rest.starts_with(':')))
        })
        .collect();
    let repo_rank = |t: &str| {
        let repo = t.rsplit_once(':').map_or(t, |(r, _)| r);
        repositories
            .iter()
            .position(|r| *r == repo)
            .unwrap_or(usize::MAX)
    };
    tags.sort_by_key(|t| (repo_rank(t), std::cmp::Reverse(version_key(t))));
    tags.dedup();
    Ok(tags)
}

/// `repo:9.7` → (9, 7): numeric parts of a tag, for ordering versions (`latest` sorts last).
fn version_key(tag: &str) -> Vec<u32> {
    let t = tag.rsplit(':').next().unwrap_or("");
    t.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Whether the engine holds the image already (no pull needed).
pub async fn image_present(image: &str) -> bool {
    match client() {
        Ok(d) => d.inspect_image(image).await.is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::version_key;

    #[test]
    fn newer_server_versions_sort_higher() {
        assert!(version_key("migration-harness/mysql:9.7") > version_key("x/mysql:8.4"));
        assert!(version_key("x/mariadb:10.11") > version_key("x/mariadb:10.5"));
        assert!(version_key("x/mysql:latest") < version_key("x/mysql:8.0"));
    }
}
