//! `DriverError`: why a driver could not read the version table, resolve a target or read a
//! tool's answer — as data (the revision, the rows, the server error); text only in `Display`.

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// Reading the version table (or another query of the driver's own) failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The target names no revision of the chain.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A Django-style id without its app.
    #[error("{id} is not APP.NAME")]
    NotAppName { id: String },
    /// The worker's graph answer had no revision list.
    #[error("the {tool} worker returned no revision list")]
    NoRevisionList { tool: &'static str },
    /// The version table could not be read in time.
    #[error("reading the version table timed out")]
    VersionTimedOut { seconds: u64 },
}

impl DriverError {
    /// The server under test is gone (not a refusal, not a bad target).
    pub fn is_server_lost(&self) -> bool {
        matches!(self, DriverError::Db(e) if e.is_server_lost())
    }
}

/// A target that names nothing in the chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("unknown revision {0}")]
    UnknownRevision(String),
    #[error("unknown current revision {0}")]
    UnknownCurrent(String),
    /// `-2` from the first revision, `+1` from the head.
    #[error("{steps:+} from {} is outside the chain", from.as_deref().unwrap_or("base"))]
    OutsideChain { steps: i32, from: Option<String> },
}

/// The version table does not say what it should.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionMismatch {
    /// golang-migrate's dirty flag is set.
    #[error("version table is dirty at {}", rows.join(", "))]
    Dirty { rows: Vec<String> },
    #[error("version table holds [{}], expected [{}]", rows.join(", "), expected.join(", "))]
    Holds {
        rows: Vec<String>,
        expected: Vec<String>,
    },
}
