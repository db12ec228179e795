//! The matrix as data: each server's run, the scenario × server cells, the divergences
//! between servers and the verdict, which `matrix::fold` computes and the renderers beside
//! this file print. It sits below both `report` and `matrix` so the report sinks can render
//! it without `report` importing `matrix`.

use serde::{Deserialize, Serialize};

use crate::online::Blocking;
use crate::report::{RunStatus, RunSummary};
use crate::scenario::{Status, StepAction};

/// What the matrix sinks render: the folded matrix, each server's run (their reports are
/// embedded in report.json) and the project's name for the titles.
#[derive(Debug, Clone)]
pub struct MatrixSummary {
    pub project: String,
    pub matrix: Matrix,
    pub runs: Vec<ServerRun>,
}

/// What one server's child run left behind.
#[derive(Debug, Clone)]
pub struct ServerRun {
    /// Directory-safe name (`mariadb-10.5`), also the sub-directory of its reports.
    pub label: String,
    /// What was asked for: the image or the binary path.
    pub target: String,
    pub exit_code: i32,
    /// Its `report.json`, when it got that far.
    pub report: Option<RunSummary>,
    /// The last lines of its stderr, for a run that produced no report.
    pub stderr_tail: String,
    pub peak: Peak,
}

/// Peak memory of one server's run, sampled every 500 ms while it ran (short spikes between
/// samples are missed; the container figure is the cgroup's own high-water mark).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Peak {
    /// The child harness and everything it started (migration tools, a local server): the
    /// largest sum of resident set sizes seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub harness_kib: Option<u64>,
    /// The server's container: its memory cgroup's peak usage (page cache included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_kib: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerColumn {
    pub label: String,
    pub target: String,
    /// `MariaDB 10.5.23` from the server's own version string, else the label.
    pub name: String,
    pub version: Option<String>,
    /// The server's own verdict; `error` when it left no report.
    pub status: RunStatus,
    pub exit_code: i32,
    pub peak_memory: Peak,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A scenario's outcome on one server: its status, or `missing` when the server has no
/// result for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellStatus {
    Passed,
    Failed,
    Skipped,
    Error,
    Missing,
}

impl From<Status> for CellStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Passed => CellStatus::Passed,
            Status::Failed => CellStatus::Failed,
            Status::Skipped => CellStatus::Skipped,
            Status::Error => CellStatus::Error,
        }
    }
}

impl CellStatus {
    /// The word report.json writes.
    pub fn word(self) -> &'static str {
        match self {
            CellStatus::Passed => "passed",
            CellStatus::Failed => "failed",
            CellStatus::Skipped => "skipped",
            CellStatus::Error => "error",
            CellStatus::Missing => "missing",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cell {
    pub status: CellStatus,
    /// The first failing step, as this server reported it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// A scenario's first failing step on one server: the server's own code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The step's action, for a failure without a server code.
    pub action: StepAction,
    pub message: String,
}

impl std::fmt::Display for Failure {
    /// `1064 at r7 — You have an error …` (the message cut at 160 characters).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.code {
            Some(code) => write!(f, "{code}")?,
            None => write!(f, "{} failed", self.action)?,
        }
        if let Some(rev) = &self.revision {
            write!(f, " at {rev}")?;
        }
        let message: String = self.message.chars().take(160).collect();
        if !message.is_empty() {
            write!(f, " — {message}")?;
        }
        Ok(())
    }
}

impl Cell {
    /// What makes two servers' outcomes differ: the status, the failing revision and the
    /// server code (not the wording, which differs between MariaDB and MySQL).
    pub fn outcome_key(&self) -> (CellStatus, Option<&str>, Option<u64>) {
        let f = self.failure.as_ref();
        (
            self.status,
            f.and_then(|f| f.revision.as_deref()),
            f.and_then(|f| f.code),
        )
    }

    pub fn is_bad(&self) -> bool {
        matches!(self.status, CellStatus::Failed | CellStatus::Error)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixRow {
    pub scenario: String,
    pub title: String,
    /// One per server, in server order.
    pub cells: Vec<Cell>,
}

/// A scenario whose outcome differs between servers, or (with `statement`) one online-DDL
/// statement that blocks writes on some servers only. The renderers word it
/// (`fails on MariaDB 10.5.23 only: 1064 at r7 — …`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Divergence {
    pub scenario: String,
    /// The servers that failed (for a statement: where it blocks writes).
    pub failing: Vec<String>,
    pub passing: Vec<String>,
    /// Every server with a result, its status and its own failure.
    pub outcomes: Vec<ServerOutcome>,
    /// The online-DDL statement the servers answered differently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<DdlStatementRef>,
}

/// Which statement of the chain: its revision, its position in the revision, its SQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DdlStatementRef {
    pub revision: String,
    pub index: usize,
    pub sql: String,
}

/// One server's outcome of a diverging scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerOutcome {
    pub server: String,
    pub status: Answer,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
}

/// A server's answer in a divergence: the scenario's status, or for an online-DDL
/// statement how much it blocks (`instant`, `copy`, …). Written as the bare word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Status(CellStatus),
    Ddl(Blocking),
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Matrix {
    /// Over every server: the worst exit code's verdict (`skipped`: nothing tested).
    pub status: RunStatus,
    pub exit_code: i32,
    pub servers: Vec<ServerColumn>,
    pub scenarios: Vec<MatrixRow>,
    pub divergences: Vec<Divergence>,
}
