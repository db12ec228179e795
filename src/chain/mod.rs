//! Revision graph: `Chain` (revisions in order base → head) and `verify()`, which reports
//! duplicate ids, missing parents, cycles, several heads, orphan files and irreversible
//! downgrades as data. Pure: parsing of files lives in `alembic` and `sqlfiles`.

mod alembic;
pub mod alembic_ini;
mod graph;
mod sqlfiles;

pub use alembic::parse_alembic_dir;
pub use graph::{
    Chain, ChainReport, DowngradeKind, Finding, FindingKind, GraphSource, Revision, Severity,
};
pub use sqlfiles::{parse_sql_dir, SqlMigration, Transaction};
