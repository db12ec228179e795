//! `ProvisionError`: why no server could be started or prepared, as data (which image or
//! binary, which server, what the engine or server said); `Display` adds the ways to proceed.

use std::path::PathBuf;

use crate::db::DbError;

use super::docker::DockerError;

/// What the image must be, said after every container failure.
pub const WORKING_IMAGES: &str = "The image must run a MySQL 8.0+ or MariaDB 10.5+ server that logs `port: 3306` and honours MYSQL_ROOT_PASSWORD: the official mysql:8.0, mysql:8.4, mariadb:10.11, mariadb:11.8, or the locally built migration-harness/mysql:9.7 and migration-harness/mariadb:10.5/10.11/11.8 (scripts/build-images.sh).";

/// The three ways to get a server, said when none was found.
pub fn alternatives() -> &'static str {
    "ways to proceed:\n  \
     1. start a Docker engine (or set DOCKER_HOST) and use --db container [--image mariadb:11]\n  \
     2. install a server binary (Debian: apt-get install mariadb-server) and use --db local [--server-binary PATH]\n  \
     3. point at an existing server you may create databases on: --db url --database-url mysql://USER:PASS@HOST:PORT/"
}

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// `--db container` without an engine.
    #[error("--db container: Docker engine unreachable at {0}.\n{alt}", alt = alternatives())]
    NoDockerEngine(#[source] DockerError),
    /// `--db auto`: neither an engine nor a binary.
    #[error("no server available: Docker engine unreachable ({0}) and no mariadbd/mysqld binary found.\n{alt}", alt = alternatives())]
    NoServer(#[source] DockerError),
    /// `--db local` without a binary.
    #[error("--db local: no mariadbd or mysqld found on PATH or in /usr/sbin, /usr/local/mysql/bin.\n{alt}", alt = alternatives())]
    NoServerBinary,
    /// The engine could not create or start the container.
    #[error("could not start container {image}: {reason}\n(no image registry? build or load the image locally; or use --db local)\n{WORKING_IMAGES}")]
    ContainerStart { image: String, reason: String },
    /// The container started but no server answered in time.
    #[error("container {image} did not become ready within {seconds} s: {reason}\nlast log lines:\n{log_tail}\n{WORKING_IMAGES}")]
    ContainerNotReady {
        image: String,
        seconds: u64,
        reason: NotReady,
        log_tail: String,
    },
    /// Neither testcontainers nor the engine API could remove the container.
    #[error("could not remove container {id}: {first}; {api}")]
    ContainerRemoval {
        id: String,
        first: String,
        api: DockerError,
    },
    /// The server binary could not be run at all.
    #[error("--db local: cannot run {}: {source}.\n{alt}", binary.display(), alt = alternatives())]
    BinaryUnrunnable {
        binary: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `mariadb-install-db` / `mysqld --initialize-insecure` failed.
    #[error("initialising the datadir failed ({status}):\n{output}")]
    DatadirInit { status: String, output: String },
    /// The local server never answered (after the retries on a taken port).
    #[error("local server {} did not start: {reason}\nlast log lines:\n{log_tail}", binary.display())]
    LocalNotStarted {
        binary: PathBuf,
        reason: NotReady,
        log_tail: String,
    },
    /// MySQL older than 8.0.
    #[error("the server is MySQL {version}: MySQL 8.0 or newer is needed (MySQL 5.x is end-of-life and lacks the data dictionary the snapshots read).\n\
             Works: MySQL 8.0, 8.4, 9.x (e.g. --image mysql:8.4, or migration-harness/mysql:9.7 from scripts/build-images.sh), MariaDB 10.5 and newer.")]
    UnsupportedServer { version: String },
    /// The account cannot create the schema-scoped application user.
    #[error("the server refuses the application user {user} ({step}: {source}).\n\
             Migrations run as a schema-scoped user by default, as in production; the account {admin} needs CREATE USER and GRANT OPTION to create it.\n\
             Works: grant those, or set [server] migrate_as = \"root\" in harness.toml to run migrations as {admin}.")]
    AppUserRefused {
        user: String,
        admin: String,
        step: &'static str,
        #[source]
        source: DbError,
    },
    /// What the harness asks of the server for itself failed.
    #[error("{call}: {source}")]
    Admin {
        call: AdminCall,
        #[source]
        source: DbError,
    },
    /// A database this run did not create is never dropped.
    #[error("refusing to drop `{database}`: this run did not create it")]
    NotOwned { database: String },
    /// No loopback port could be reserved for a local server.
    #[error("no free port: {0}")]
    NoFreePort(#[source] std::io::Error),
    /// Fault injection: the local server could not be killed.
    #[error("{0}")]
    Kill(#[source] std::io::Error),
    /// Fault injection asked to kill a server given by URL.
    #[error("a URL server is not ours to kill")]
    NotOursToKill,
    /// `--db url`: the server named could not be reached (message already redacted).
    #[error("--db url: {0}")]
    UrlUnreachable(String),
}

/// Why a started server did not count as ready.
#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("no mapped port for 3306: {0}")]
    NoMappedPort(String),
    #[error("no `port: 3306` line in the server log")]
    NoPortLine,
    #[error("the container exited before a server listened: not a MySQL/MariaDB server image?")]
    ContainerExited,
    #[error("server exited: {0}")]
    ServerExited(String),
    /// The port answered, but from a server whose datadir is not ours.
    #[error(
        "port {port} answered with another server (datadir {datadir}): Address already in use"
    )]
    PortTaken { port: u16, datadir: String },
    #[error("port {port}: cannot read @@datadir: Address already in use")]
    DatadirUnreadable { port: u16 },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl NotReady {
    /// Another process took the port between the probe and the server's bind: retry.
    pub fn port_taken(&self) -> bool {
        matches!(
            self,
            NotReady::PortTaken { .. } | NotReady::DatadirUnreadable { .. }
        )
    }
}

/// The harness's own calls on the server (not the migrations').
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCall {
    Connect { server: String },
    ReadVersion,
    ReadSettings,
    Lost { server: String },
    CreateDatabase { name: String },
    Grant { name: String },
    DropDatabase { name: String },
    DropUser { user: String },
}

impl std::fmt::Display for AdminCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AdminCall::Connect { server } => write!(f, "cannot connect to {server}"),
            AdminCall::ReadVersion => f.write_str("SELECT VERSION() failed"),
            AdminCall::ReadSettings => f.write_str("cannot read the server's settings"),
            AdminCall::Lost { server } => write!(f, "lost the server at {server}"),
            AdminCall::CreateDatabase { name } => write!(f, "CREATE DATABASE {name} failed"),
            AdminCall::Grant { name } => write!(f, "GRANT on {name} failed"),
            AdminCall::DropDatabase { name } => write!(f, "DROP DATABASE {name} failed"),
            AdminCall::DropUser { user } => write!(f, "DROP USER {user} failed"),
        }
    }
}

impl ProvisionError {
    /// `map_err(ProvisionError::admin(call))`.
    pub fn admin(call: AdminCall) -> impl FnOnce(DbError) -> ProvisionError {
        move |source| ProvisionError::Admin { call, source }
    }

    /// The harness was asked for something it must not do (not the machine's fault).
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            ProvisionError::NotOwned { .. } | ProvisionError::NotOursToKill
        )
    }

    /// The server is gone (rather than refusing what was asked).
    pub fn is_server_lost(&self) -> bool {
        match self {
            ProvisionError::Admin { source, .. } => source.is_server_lost(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_retried_and_a_crash_is_not() {
        let taken = NotReady::PortTaken {
            port: 3307,
            datadir: "/other".into(),
        };
        assert!(taken.port_taken());
        assert!(taken.to_string().contains("Address already in use"));
        assert!(!NotReady::ServerExited("exit status: 1".into()).port_taken());
    }

    #[test]
    fn admin_calls_say_what_failed_on_which_name() {
        let e = ProvisionError::Admin {
            call: AdminCall::CreateDatabase {
                name: "mh_1_2".into(),
            },
            source: DbError::TimedOut {
                statement: "CREATE DATABASE `mh_1_2`".into(),
                seconds: 5,
            },
        };
        assert_eq!(
            e.to_string(),
            "CREATE DATABASE mh_1_2 failed: timed out after 5 s"
        );
        assert!(!e.is_server_lost());
    }
}
