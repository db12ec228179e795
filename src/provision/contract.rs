//! What a run asks of a provider (`ProvisionRequest`), the `Provisioner` trait every provider
//! implements, and the images and binaries the harness knows how to start.

use std::path::PathBuf;
use std::time::Duration;

use super::server::Server;
use crate::config::{DbMode, MigrateAs};
use crate::error::Result;
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
    pub migrate_as: MigrateAs,
}

pub const DEFAULT_IMAGE: &str = "mysql:8.0";

/// Image repositories holding MySQL or MariaDB servers: the official ones, then the ones
/// `scripts/build-images.sh` builds where no registry is reachable.
pub const SERVER_REPOSITORIES: &[&str] = &[
    "mysql",
    "mariadb",
    LOCAL_MYSQL_REPOSITORY,
    "migration-harness/mariadb",
];

/// The locally built Oracle MySQL images (`--db auto` uses the newest when the default image
/// cannot be pulled).
pub const LOCAL_MYSQL_REPOSITORY: &str = "migration-harness/mysql";

pub fn alternatives() -> &'static str {
    "ways to proceed:\n  \
     1. start a Docker engine (or set DOCKER_HOST) and use --db container [--image mariadb:11]\n  \
     2. install a server binary (Debian: apt-get install mariadb-server) and use --db local [--server-binary PATH]\n  \
     3. point at an existing server you may create databases on: --db url --database-url mysql://USER:PASS@HOST:PORT/"
}
