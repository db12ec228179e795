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

/// Tags of the images present on the engine whose repository is one of `repositories`
/// (e.g. `migration-harness/mysql`), in the order of `repositories`, newest version first.
pub async fn local_images(repositories: &[&str]) -> Result<Vec<String>, String> {
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
        .map_err(|e| e.to_string())?;
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
