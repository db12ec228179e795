//! `Event`: what the run emits while it works, in order — the one source every sink (console,
//! the collector that folds the reports' `RunSummary`, the files, GitHub) reads. Data only:
//! each sink chooses its own words.

use chrono::{DateTime, Utc};

use super::info::{ChainView, HarnessInfo, ServerInfo, ToolInfo};
use super::plan::Scope;
use super::result::{ScenarioResult, StepResult};
use crate::config::DbMode;

#[derive(Debug, Clone)]
pub enum Event {
    /// First, before a server is asked for: what will run, and in which order.
    RunStarted(Box<RunStart>),
    /// The server answers; `startup_ms` is how long provisioning took, `waited_ms` how much
    /// of it the run spent waiting once everything else was ready (the start overlaps the
    /// venv, the worker, the revision graph and the plan).
    ServerReady {
        server: ServerInfo,
        startup_ms: u64,
        waited_ms: u64,
    },
    ScenarioStarted {
        id: String,
        title: String,
    },
    StepFinished {
        scenario: String,
        /// Boxed: a step result is by far the largest event.
        step: Box<StepResult>,
    },
    /// Once for every planned scenario, skipped, errored and panicked ones included, in the
    /// order they finish (not plan order when `--jobs` > 1).
    ScenarioFinished {
        result: Box<ScenarioResult>,
    },
    /// Last: every scenario has finished (or the server was lost and the rest were not run).
    RunFinished {
        server_lost: bool,
        total_ms: u64,
    },
    /// Last, instead of `RunFinished`: a signal stopped the run; what finished before it
    /// still reports, the rest is marked as not finished.
    Interrupted {
        signal: &'static str,
        total_ms: u64,
    },
}

/// One planned scenario, as the plan lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedId {
    pub id: String,
    pub title: String,
}

/// Everything about the run known before it starts.
#[derive(Debug, Clone)]
pub struct RunStart {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    /// The provider asked for (`--db`).
    pub db: DbMode,
    pub project: String,
    pub head: Option<String>,
    pub baseline: Option<String>,
    /// The scenarios in plan order: the order every report lists them in.
    pub plan: Vec<PlannedId>,
    pub scope: Scope,
    /// `--partition K/N`: the partition and the revisions whose per-revision work it does.
    pub partition: Option<(crate::partition::Partition, Vec<String>)>,
    /// Revisions in plan order, each `skipped` until the walk's results mark it.
    pub chain: ChainView,
    /// The scenario whose steps mark the revisions (the one with a `walk` step).
    pub walker: Option<String>,
    pub tool: ToolInfo,
    pub harness: HarnessInfo,
    pub os: String,
}
