//! What every scenario of a run shares: the server, the driver, the plan and the run's
//! settings (`RunContext`), below both the runner and the steps.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::plan::Plan;
use super::state::BaselineTemplate;
use crate::config::{ProbeConfig, ProductionConfig};
use crate::driver::{DbTarget, MigrationDriver};
use crate::provision::Server;

/// Everything a scenario needs, shared by all of them.
pub struct RunContext {
    pub server: Arc<Server>,
    pub driver: Arc<dyn MigrationDriver>,
    pub plan: Plan,
    pub setup_sql: Vec<String>,
    pub hotfix_sql: Vec<String>,
    pub probes: Vec<ProbeConfig>,
    pub app_command: Option<String>,
    /// `[production]`: row counts for online-DDL estimates.
    pub production: ProductionConfig,
    /// The release production runs today (`--since`, `[compat] previous`), if named.
    pub previous: Option<Arc<crate::previous::PreviousRelease>>,
    pub timeout: Duration,
    pub jobs: usize,
    /// Set when the server stopped answering: the remaining scenarios are `error`.
    pub server_lost: AtomicBool,
    /// The baseline, prepared once for the scenarios that start there (`prepare_baseline`).
    pub baseline_template: tokio::sync::OnceCell<BaselineTemplate>,
}

impl RunContext {
    pub fn db(&self, name: &str) -> DbTarget {
        DbTarget {
            conn: self.server.migration_conn().clone(),
            database: name.to_string(),
            timeout: self.timeout,
        }
    }

    pub fn exclude(&self) -> Vec<String> {
        vec![self.driver.version_table().to_string()]
    }
}
