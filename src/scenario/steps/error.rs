//! `StepError`: why a step could not do its own work (a database it could not make, copy or
//! read, a state it could not rebuild) — as data; a step turns it into an `error` result,
//! and `Display` is the sentence the report shows.

use crate::db::{DbError, ServerError};
use crate::driver::{DriverError, Execution};
use crate::error::HarnessError;
use crate::scenario::model::Expect;

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// The server under test refused or lost a query of the harness's own.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A database could not be created or dropped.
    #[error(transparent)]
    Harness(#[from] HarnessError),
    /// The driver could not read the version table.
    #[error(transparent)]
    Driver(#[from] DriverError),
    /// Views, triggers, routines, events or sequences are not copied: the state is rebuilt.
    #[error("the database holds views, triggers, routines, events or sequences")]
    NotCopyable,
    /// Copying tables and rows into a new (`into_new`) or given database failed.
    #[error("{} failed: {source}", if *.into_new { "cloning" } else { "copying" })]
    Copy {
        into_new: bool,
        #[source]
        source: DbError,
    },
    /// Upgrading a fresh database to `revision` failed; `cause` is the server's error or
    /// the tool's last words.
    #[error("could not rebuild the state at {revision}{}: {cause}", if *.from_clean { " from a clean database" } else { "" })]
    Rebuild {
        revision: String,
        from_clean: bool,
        cause: String,
    },
    /// The baseline a scratch database needed could not be prepared.
    #[error("could not rebuild the state the deploy reached: {0}")]
    Baseline(String),
    /// A revision before this one failed on the clean spine, so no parent state exists.
    #[error("not reachable: upgrading {revision} fails on a clean database")]
    Unreachable { revision: String },
    /// Upgrading a fresh database to the baseline failed.
    #[error("upgrade to the baseline {revision} failed")]
    BaselineUpgrade { revision: String },
    /// Probing a revision's statements did not finish in the step's time.
    #[error("probing took longer than {seconds} s")]
    ProbeTimedOut { seconds: u64 },
    /// `release_code previous` without a previous release.
    #[error("no previous release: run with --since REF or set [compat] previous")]
    NoPreviousRelease,
    /// Neither a model nor probes give the release's statements.
    #[error("no model to read and no [[probes]] with release = \"{release}\"")]
    NoStatements { release: &'static str },
    /// Online-DDL timing: the statement cannot carry an ALGORITHM clause.
    #[error("the statement takes no ALGORITHM clause")]
    NoAlgorithmClause,
    /// Online-DDL timing: both sizes took the same time.
    #[error("two equal sizes")]
    EqualSamples,
    /// The generator could not fill a table to time a statement on it.
    #[error("{0}")]
    Fill(#[from] FillError),
    /// The release's ORM model could not be read.
    #[error("{0}")]
    Model(#[from] crate::compat::ModelUnavailable),
}

/// What a statement or command did against what the step expected of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unmet {
    #[error("expected success, {}", match got { Some(e) => format!("got {e}"), None => "it failed".into() })]
    ExpectedSuccess { got: Option<ServerError> },
    #[error("expected error {code}, {}", match got { Some(e) => format!("got {e}"), None => "it failed without a server error".into() })]
    ExpectedError { code: u16, got: Option<ServerError> },
    #[error("expected {}, it succeeded", String::from(*expected))]
    Succeeded { expected: Expect },
    /// A probe's error names none of the columns it was derived for.
    #[error("error names none of the missing columns {}: {error}", missing.join(", "))]
    NamesNoMissingColumn {
        missing: Vec<String>,
        error: ServerError,
    },
}

/// Why a table could not be filled to a production-like size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("the generator cannot fill `{table}`")]
    NoPlan { table: String },
    #[error("the server refused generated rows for `{table}`: {error}")]
    Refused { table: String, error: ServerError },
    #[error("{why}")]
    Unsupported { why: String },
    #[error("rows of `{table}` need rows of `{parent}` that could not be seeded")]
    Dependent { table: String, parent: String },
}

impl StepError {
    /// A failed upgrade of a fresh database to `revision`, with its cause.
    pub fn rebuild(revision: &str, from_clean: bool, e: &Execution) -> StepError {
        StepError::Rebuild {
            revision: revision.to_string(),
            from_clean,
            cause: e
                .error
                .as_ref()
                .map(|x| x.to_string())
                .unwrap_or_else(|| e.stderr.trim().to_string()),
        }
    }

    /// The server under test is gone: what follows on it cannot run either.
    pub fn is_server_lost(&self) -> bool {
        match self {
            StepError::Db(e) | StepError::Copy { source: e, .. } => e.is_server_lost(),
            StepError::Driver(e) => e.is_server_lost(),
            StepError::Harness(e) => e.is_server_lost(),
            _ => false,
        }
    }
}

/// A step that stops on this error says the error's own words.
impl From<StepError> for crate::said::Said {
    fn from(e: StepError) -> Self {
        crate::said::Said::raised(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuild_failures_say_where_and_why() {
        let e = StepError::Rebuild {
            revision: "a1".into(),
            from_clean: true,
            cause: "1060 Duplicate column name 'x'".into(),
        };
        assert_eq!(
            e.to_string(),
            "could not rebuild the state at a1 from a clean database: 1060 Duplicate column name 'x'"
        );
        let e = StepError::Copy {
            into_new: true,
            source: DbError::TimedOut {
                statement: "INSERT".into(),
                seconds: 2,
            },
        };
        assert_eq!(e.to_string(), "cloning failed: timed out after 2 s");
        assert!(!e.is_server_lost());
    }
}
