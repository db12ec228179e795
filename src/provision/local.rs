//! `LocalProvisioner`: a `mariadbd`/`mysqld` started with `--no-defaults` in a fresh temp
//! datadir on a free loopback port; stopped and deleted at the end.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::{Engine, NotReady, ProviderKind, ProvisionError, Provisioner, Server, ServerHandle};
use crate::db::{wait_ready, ConnInfo};
use crate::error::{HarnessError, IoAction, Result};
use crate::redact::Redactor;

/// Prefix of the temp dirs holding local servers (`clean` looks for it).
pub const TEMP_PREFIX: &str = "mh-local-";

pub struct LocalProvisioner {
    binary: PathBuf,
    timeout: Duration,
    /// A fixed port instead of a free one picked at start.
    port: Option<u16>,
}

const SEARCH_DIRS: &[&str] = &[
    "/usr/sbin",
    "/usr/local/sbin",
    "/usr/local/mysql/bin",
    "/usr/bin",
];

/// `mariadbd` or `mysqld` on PATH or in the usual sbin directories.
pub fn find_server_binary() -> Option<PathBuf> {
    for name in ["mariadbd", "mysqld"] {
        if let Ok(p) = which::which(name) {
            return Some(p);
        }
        for d in SEARCH_DIRS {
            let p = Path::new(d).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn sibling_tool(binary: &Path, names: &[&str]) -> Option<PathBuf> {
    let dirs = binary
        .parent()
        .into_iter()
        .map(Path::to_path_buf)
        .chain(
            binary
                .parent()
                .and_then(Path::parent)
                .map(|p| p.join("bin")),
        )
        .chain(SEARCH_DIRS.iter().map(PathBuf::from));
    let dirs: Vec<PathBuf> = dirs.collect();
    for n in names {
        if let Ok(p) = which::which(n) {
            return Some(p);
        }
        for d in &dirs {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

fn free_port() -> std::io::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

impl LocalProvisioner {
    pub fn new(binary: PathBuf, timeout: Duration) -> Self {
        LocalProvisioner {
            binary,
            timeout,
            port: None,
        }
    }

    pub fn with_port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    async fn engine(&self) -> Result<Engine> {
        let out = Command::new(&self.binary)
            .arg("--version")
            .output()
            .await
            .map_err(|source| ProvisionError::BinaryUnrunnable {
                binary: self.binary.clone(),
                source,
            })?;
        Ok(Engine::from_version(&String::from_utf8_lossy(&out.stdout)))
    }

    async fn init_datadir(&self, engine: Engine, data: &Path) -> Result<()> {
        std::fs::create_dir_all(scratch_tmp(data))
            .map_err(HarnessError::io(IoAction::Create, scratch_tmp(data)))?;
        let mut cmd = match engine {
            Engine::Mariadb => {
                let tool = sibling_tool(&self.binary, &["mariadb-install-db", "mysql_install_db"])
                    .ok_or(HarnessError::MissingTool {
                        tool: "mariadb-install-db",
                        install: "apt-get install mariadb-server",
                    })?;
                let mut c = Command::new(tool);
                c.arg("--no-defaults")
                    .arg(format!("--datadir={}", data.display()))
                    // Its own tmpdir: servers started side by side must not share
                    // `#sql-temptable-*` names in /tmp (install-db passes this to mariadbd).
                    .arg(format!("--tmpdir={}", scratch_tmp(data).display()))
                    .arg("--auth-root-authentication-method=normal")
                    .arg("--skip-test-db");
                c
            }
            Engine::Mysql => {
                let mut c = Command::new(&self.binary);
                c.arg("--no-defaults")
                    .arg("--initialize-insecure")
                    .arg(format!("--datadir={}", data.display()))
                    .arg(format!("--tmpdir={}", scratch_tmp(data).display()))
                    .arg(secure_file_priv(data)?);
                c
            }
        };
        if is_root() {
            cmd.arg("--user=root");
        }
        let program = cmd.as_std().get_program().to_owned();
        let out = cmd.stdin(Stdio::null()).output().await.map_err(|source| {
            ProvisionError::BinaryUnrunnable {
                binary: PathBuf::from(program),
                source,
            }
        })?;
        if !out.status.success() {
            return Err(ProvisionError::DatadirInit {
                status: out.status.to_string(),
                output: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            }
            .into());
        }
        Ok(())
    }

    fn spawn(&self, engine: Engine, dir: &Path, port: u16) -> Result<Child> {
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--no-defaults")
            .arg(format!("--datadir={}", dir.join("data").display()))
            .arg(format!("--socket={}", dir.join("sock").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .arg(format!("--port={port}"))
            .arg(format!(
                "--tmpdir={}",
                scratch_tmp(&dir.join("data")).display()
            ))
            .arg("--bind-address=127.0.0.1")
            // The binary log stays as the server ships it (on for MySQL 8+, off for
            // MariaDB), as in a container and in production: it decides 1418/1419.
            .arg("--innodb-buffer-pool-size=64M")
            .args(super::tuning::flags());
        if engine == Engine::Mysql {
            cmd.arg("--mysqlx=OFF")
                .arg(secure_file_priv(&dir.join("data"))?);
        }
        if is_root() {
            cmd.arg("--user=root");
        }
        // Own process group: a Ctrl-C at the terminal reaches the harness, which stops the
        // server in order, instead of killing the server under a running migration.
        cmd.process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        Ok(cmd
            .spawn()
            .map_err(|source| ProvisionError::BinaryUnrunnable {
                binary: self.binary.clone(),
                source,
            })?)
    }
}

/// The server's private tmpdir, beside its datadir.
fn scratch_tmp(data: &Path) -> PathBuf {
    data.parent().unwrap_or(data).join("tmp")
}

/// MySQL aborts at start when `--secure-file-priv` names no existing directory (its built-in
/// default is the package's /var/lib/mysql-files): point it at one inside the temp dir.
fn secure_file_priv(data: &Path) -> Result<String> {
    let files = data.parent().unwrap_or(data).join("files");
    std::fs::create_dir_all(&files).map_err(HarnessError::io(IoAction::Create, &files))?;
    Ok(format!("--secure-file-priv={}", files.display()))
}

#[async_trait::async_trait]
impl Provisioner for LocalProvisioner {
    async fn provision(&self, run_id: &str, _redactor: &Redactor) -> Result<Server> {
        let started = Instant::now();
        let engine = self.engine().await?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{TEMP_PREFIX}{run_id}-"))
            .tempdir_in(super::tuning::scratch_root())
            .map_err(HarnessError::io(
                IoAction::Create,
                super::tuning::scratch_root(),
            ))?;
        let _ = std::fs::write(
            dir.path().join("harness.pid"),
            std::process::id().to_string(),
        );
        let data = dir.path().join("data");
        self.init_datadir(engine, &data).await?;

        // A free port can be taken between our probe and the server's bind: retry.
        let mut last: Option<(NotReady, String)> = None;
        for _attempt in 0..3 {
            let port = match self.port {
                Some(p) => p,
                None => free_port().map_err(ProvisionError::NoFreePort)?,
            };
            let mut child = self.spawn(engine, dir.path(), port)?;
            let conn = ConnInfo {
                host: "127.0.0.1".into(),
                port,
                user: "root".into(),
                password: String::new(),
                pools: Default::default(),
            };
            let deadline = self.timeout.saturating_sub(started.elapsed());
            let ready = tokio::select! {
                r = wait_ready(&conn, deadline) => r.map_err(NotReady::from),
                status = child.wait() => Err(NotReady::ServerExited(status.map(|s| s.to_string()).unwrap_or_default())),
            };
            // Between our port probe and the server's bind, another process may take the
            // port; then `SELECT 1` answers from a server that is not ours. Only one whose
            // datadir is ours counts.
            let ready = match ready {
                Ok(()) => match datadir_of(&conn).await {
                    Some(d) if same_dir(&d, &data) => Ok(()),
                    Some(datadir) => Err(NotReady::PortTaken { port, datadir }),
                    None => Err(NotReady::DatadirUnreadable { port }),
                },
                Err(e) => Err(e),
            };
            match ready {
                Ok(()) => {
                    let version = Server::read_version(&conn).await?;
                    let mut server = Server::new(
                        ProviderKind::Local,
                        conn,
                        version,
                        run_id,
                        Some(Box::new(LocalHandle {
                            child: tokio::sync::Mutex::new(Some(child)),
                            dir: Some(dir),
                        })),
                    );
                    server.startup_ms = started.elapsed().as_millis() as u64;
                    server.settings =
                        super::tuning::describe(data.starts_with(Path::new("/dev/shm")));
                    return Ok(server);
                }
                Err(e) => {
                    let _ = child.kill().await;
                    let log =
                        std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
                    let tail: Vec<&str> = log.lines().rev().take(15).collect();
                    let retry = e.port_taken()
                        || log.contains("Address already in use")
                        || log.contains("Can't start server: Bind");
                    last = Some((e, tail.into_iter().rev().collect::<Vec<_>>().join("\n")));
                    if !retry {
                        break;
                    }
                }
            }
        }
        let (reason, log_tail) = last.expect("the loop ran at least once");
        Err(ProvisionError::LocalNotStarted {
            binary: self.binary.clone(),
            reason,
            log_tail,
        }
        .into())
    }
}

async fn datadir_of(conn: &ConnInfo) -> Option<String> {
    use mysql_async::prelude::Queryable;
    let mut c = conn.connect(None).await.ok()?;
    let d: Option<String> = c.query_first("SELECT @@datadir").await.ok()?;
    let _ = c.disconnect().await;
    d
}

fn same_dir(reported: &str, ours: &Path) -> bool {
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(Path::new(reported.trim_end_matches('/'))) == canon(ours)
}

struct LocalHandle {
    child: tokio::sync::Mutex<Option<Child>>,
    dir: Option<tempfile::TempDir>,
}

#[async_trait::async_trait]
impl ServerHandle for LocalHandle {
    async fn stop(mut self: Box<Self>) -> Result<()> {
        if let Some(mut child) = self.child.lock().await.take() {
            if let Some(pid) = child.id() {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
            }
            if tokio::time::timeout(Duration::from_secs(20), child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            dir.close()
                .map_err(HarnessError::io(IoAction::Remove, path))?;
        }
        Ok(())
    }

    async fn alive(&self) -> bool {
        match self.child.lock().await.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    async fn kill(&self) -> Result<()> {
        if let Some(c) = self.child.lock().await.as_mut() {
            c.start_kill().map_err(ProvisionError::Kill)?;
            let _ = c.wait().await;
        }
        Ok(())
    }
}
