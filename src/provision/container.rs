//! `ContainerProvisioner`: a MySQL/MariaDB container through testcontainers, labelled with the
//! run id, removed at the end; readiness is the final server's `port: 3306` line plus `SELECT 1`.

use std::time::{Duration, Instant};

use testcontainers_modules::testcontainers::{
    core::{IntoContainerPort, Mount, WaitFor},
    runners::AsyncRunner,
    ContainerAsync, GenericImage, ImageExt,
};
use tokio::io::AsyncReadExt;

use super::docker::{self, PID_LABEL, RUN_LABEL};
use super::{NotReady, ProviderKind, ProvisionError, Provisioner, Server, ServerHandle};
use crate::db::{wait_ready, ConnInfo};
use crate::error::Result;
use crate::redact::Redactor;

pub struct ContainerProvisioner {
    image: String,
    timeout: Duration,
}

impl ContainerProvisioner {
    pub fn new(image: &str, timeout: Duration) -> Self {
        ContainerProvisioner {
            image: image.to_string(),
            timeout,
        }
    }
}

fn split_image(image: &str) -> (String, String) {
    // A registry port (`host:5000/img`) is not a tag: only a colon after the last slash is.
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(i) => (
            image[..last_slash + i].to_string(),
            image[last_slash + i + 1..].to_string(),
        ),
        None => (image.to_string(), "latest".to_string()),
    }
}

#[async_trait::async_trait]
impl Provisioner for ContainerProvisioner {
    async fn provision(&self, run_id: &str, redactor: &Redactor) -> Result<Server> {
        let started = Instant::now();
        if let Err(e) = docker::docker_engine().await {
            return Err(ProvisionError::NoDockerEngine(e).into());
        }
        let password = super::server::random_password();
        redactor.add(&password);
        let (name, tag) = split_image(&self.image);
        let request = GenericImage::new(name, tag)
            .with_exposed_port(3306.tcp())
            .with_wait_for(WaitFor::Nothing)
            .with_env_var("MYSQL_ROOT_PASSWORD", password.clone())
            .with_env_var("MARIADB_ROOT_PASSWORD", password.clone())
            .with_label(RUN_LABEL, run_id)
            .with_label(PID_LABEL, std::process::id().to_string())
            // The official images and ours pass extra arguments on to the server; the
            // datadir (official: /var/lib/mysql, ours: /var/lib/mh-mysql) lives in memory.
            .with_cmd(super::tuning::flags().iter().copied())
            .with_startup_timeout(self.timeout);
        let request = if super::tuning::enabled() {
            request
                .with_mount(Mount::tmpfs_mount("/var/lib/mysql"))
                .with_mount(Mount::tmpfs_mount("/var/lib/mh-mysql"))
        } else {
            request
        };
        let container = request
            .start()
            .await
            .map_err(|e| ProvisionError::ContainerStart {
                image: self.image.clone(),
                reason: e.to_string(),
            })?;
        let id = container.id().to_string();
        match wait_until_ready(&container, &password, self.timeout).await {
            Ok(conn) => {
                let version = Server::read_version(&conn).await?;
                let mut server = Server::new(
                    ProviderKind::Container,
                    conn,
                    version,
                    run_id,
                    Some(Box::new(ContainerHandle {
                        container: Some(container),
                        id,
                    })),
                );
                server.image = Some(self.image.clone());
                server.settings = super::tuning::describe(super::tuning::enabled());
                server.startup_ms = started.elapsed().as_millis() as u64;
                Ok(server)
            }
            Err(reason) => {
                let log_tail = last_log_lines(&container, 20).await;
                let _ = container.rm().await;
                Err(ProvisionError::ContainerNotReady {
                    image: self.image.clone(),
                    seconds: self.timeout.as_secs(),
                    reason,
                    log_tail,
                }
                .into())
            }
        }
    }
}

/// Waits for the final server's `port: 3306` line (the official images' init server says
/// `port: 0`), then for `SELECT 1` — both before one deadline.
async fn wait_until_ready(
    container: &ContainerAsync<GenericImage>,
    password: &str,
    timeout: Duration,
) -> std::result::Result<ConnInfo, NotReady> {
    let start = Instant::now();
    let port = container
        .get_host_port_ipv4(3306.tcp())
        .await
        .map_err(|e| NotReady::NoMappedPort(e.to_string()))?;
    let conn = ConnInfo {
        host: "127.0.0.1".into(),
        port,
        user: "root".into(),
        password: password.to_string(),
        pools: Default::default(),
    };
    loop {
        if start.elapsed() > timeout {
            return Err(NotReady::NoPortLine);
        }
        if !docker::container_running(container.id()).await {
            return Err(NotReady::ContainerExited);
        }
        let logs = all_logs(container).await;
        if logs.lines().any(|l| announces_port(l, 3306)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    wait_ready(&conn, timeout.saturating_sub(start.elapsed())).await?;
    Ok(conn)
}

/// Whether a server log line announces the classic port exactly: MySQL's X plugin logs
/// `port: 33060` first, which must not count as `port: 3306`.
fn announces_port(line: &str, port: u16) -> bool {
    let needle = format!("port: {port}");
    line.match_indices(&needle).any(|(i, m)| {
        !line[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

async fn all_logs(container: &ContainerAsync<GenericImage>) -> String {
    let mut out = Vec::new();
    let _ = container.stdout(false).read_to_end(&mut out).await;
    let _ = container.stderr(false).read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn last_log_lines(container: &ContainerAsync<GenericImage>, n: usize) -> String {
    let logs = all_logs(container).await;
    let lines: Vec<&str> = logs.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

struct ContainerHandle {
    container: Option<ContainerAsync<GenericImage>>,
    id: String,
}

#[async_trait::async_trait]
impl ServerHandle for ContainerHandle {
    async fn stop(mut self: Box<Self>) -> Result<()> {
        if let Some(c) = self.container.take() {
            if let Err(e) = c.rm().await {
                // Fall back to a forced removal through the engine API.
                docker::remove_container(&self.id).await.map_err(|api| {
                    ProvisionError::ContainerRemoval {
                        id: self.id.clone(),
                        first: e.to_string(),
                        api,
                    }
                })?;
            }
        }
        Ok(())
    }

    async fn alive(&self) -> bool {
        docker::container_running(&self.id).await
    }

    async fn kill(&self) -> Result<()> {
        Ok(docker::kill_container(&self.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::{announces_port, split_image};

    #[test]
    fn readiness_needs_the_classic_port_not_the_x_plugins() {
        let x = "[Server] X Plugin ready for connections. Bind-address: '::' port: 33060, socket: /var/run/mysqld/mysqlx.sock";
        let classic = "/usr/sbin/mysqld: ready for connections. Version: '9.7.4-2'  socket: '/run/mysqld/mysqld.sock'  port: 3306  (Debian).";
        let init = "ready for connections. Version: '8.0.36'  socket: '/var/run/mysqld/mysqld.sock'  port: 0  MySQL";
        assert!(!announces_port(x, 3306));
        assert!(announces_port(classic, 3306));
        assert!(!announces_port(init, 3306));
        assert!(announces_port("port: 3306", 3306));
    }

    #[test]
    fn splits_image_names() {
        assert_eq!(split_image("mysql:8.0"), ("mysql".into(), "8.0".into()));
        assert_eq!(split_image("mariadb"), ("mariadb".into(), "latest".into()));
        assert_eq!(
            split_image("localhost:5000/mh/mariadb:10.11"),
            ("localhost:5000/mh/mariadb".into(), "10.11".into())
        );
    }
}
