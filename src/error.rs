//! `HarnessError`: every way a run can stop early, each mapped to one exit code (DESIGN.md §1).

use std::path::PathBuf;

/// Exit codes of the CLI contract.
pub mod exit {
    pub const PASSED: i32 = 0;
    pub const FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const ENVIRONMENT: i32 = 3;
    /// Every selected scenario skipped, or no revision in the gate's scope.
    pub const NOTHING_TESTED: i32 = 4;
    pub const SIGINT: i32 = 130;
    pub const SIGTERM: i32 = 143;
}

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// Bad command line or a value that names nothing (unknown scenario, bad baseline).
    #[error("{0}")]
    Usage(String),
    /// `harness.toml` is malformed; always points at the spot.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    /// `merge` was given reports that do not add up (missing, malformed, of other runs).
    #[error(transparent)]
    Merge(#[from] crate::merge::MergeError),
    /// The machine cannot run what was asked: no Docker, no server binary, tool missing,
    /// server would not start or died.
    #[error("{0}")]
    Environment(String),
    /// SIGINT / SIGTERM arrived; cleanup already ran.
    #[error("interrupted by {0}")]
    Interrupted(&'static str),
}

impl HarnessError {
    pub fn exit_code(&self) -> i32 {
        match self {
            HarnessError::Usage(_) | HarnessError::Config { .. } | HarnessError::Merge(_) => {
                exit::USAGE
            }
            HarnessError::Environment(_) => exit::ENVIRONMENT,
            HarnessError::Interrupted("SIGTERM") => exit::SIGTERM,
            HarnessError::Interrupted(_) => exit::SIGINT,
        }
    }

    pub fn env(msg: impl Into<String>) -> Self {
        HarnessError::Environment(msg.into())
    }

    pub fn usage(msg: impl Into<String>) -> Self {
        HarnessError::Usage(msg.into())
    }
}

pub type Result<T, E = HarnessError> = std::result::Result<T, E>;
