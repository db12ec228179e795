//! Migration drivers: one file per tool, the contract they share (`contract.rs`), and
//! `load_driver()`, which builds the one `harness.toml` names.

mod alembic;
mod alembic_log;
mod command;
mod contract;
mod django;
mod error;
mod groups;
mod per_app;
pub mod process;
pub mod python;
mod sqldir;
mod sqlsplit;
mod statement;
mod tool;
pub mod worker;

pub use alembic::PythonToolDriver;
pub use command::{parse_revision_list, CommandDriver};
pub use contract::{
    read_version_query, read_version_rows, DbTarget, Execution, MigrationDriver, Outcome, Target,
    ToolCommands, VersionState, VersionStyle,
};
pub use django::{settings_from_manage, DjangoDriver};
pub use error::{DriverError, TargetError, VersionMismatch};
pub use sqldir::SqlDirDriver;
pub use sqlsplit::split_statements;
pub use statement::{
    line_in, FailedStatement, FailurePoint, SourceLine, StatementAt, StatementOutcome,
    StatementPosition, StatementRecord, StatementSource,
};

use crate::config::{Config, ToolKind};
use crate::error::ProjectError;
use crate::error::{HarnessError, Result};
use crate::redact::Redactor;

/// Builds the driver `[migrations]` names, parsing its revision chain.
pub async fn load_driver(
    cfg: &Config,
    redactor: &Redactor,
    verbose: bool,
) -> Result<Box<dyn MigrationDriver>> {
    let m = &cfg.raw.migrations;
    let dir = cfg.migrations_dir();
    // A command tool without `format` lists its revisions itself; Django finds its apps'.
    let needs_dir = match m.tool {
        ToolKind::Command => m.format.is_some(),
        ToolKind::Django => false,
        _ => true,
    };
    if needs_dir && !dir.is_dir() {
        return Err(HarnessError::project(
            &cfg.path,
            ProjectError::NoMigrationsDir { dir },
        ));
    }
    let driver: Box<dyn MigrationDriver> = match m.tool {
        ToolKind::Alembic | ToolKind::Flask => {
            Box::new(PythonToolDriver::load(cfg, redactor, verbose).await?)
        }
        ToolKind::Sqldir => Box::new(SqlDirDriver::load(cfg, redactor)?),
        ToolKind::Command => Box::new(CommandDriver::load(cfg, redactor, verbose).await?),
        ToolKind::Django => Box::new(DjangoDriver::load(cfg, redactor, verbose).await?),
    };
    Ok(driver)
}
