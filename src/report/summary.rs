//! `RunSummary`: the whole run folded into one serialisable value — the JSON contract
//! (`schema_version: 3`) and the input of every renderer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::scenario::info::{ChainView, HarnessInfo, RevisionView, ServerInfo, ToolInfo};
use crate::scenario::plan::Scope;
use crate::scenario::{ScenarioResult, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Passed,
    Failed,
    /// The run could not finish its job (server died, environment broke).
    Error,
    /// Nothing was tested: every scenario skipped, or no revision in the gate's scope.
    /// Never reported as a pass.
    Skipped,
}

impl RunStatus {
    pub fn exit_code(self) -> i32 {
        match self {
            RunStatus::Passed => crate::error::exit::PASSED,
            RunStatus::Failed => crate::error::exit::FAILED,
            RunStatus::Error => crate::error::exit::ENVIRONMENT,
            RunStatus::Skipped => crate::error::exit::NOTHING_TESTED,
        }
    }

    /// Folds scenario results: a lost server is an environment error; any failed or
    /// errored scenario fails the run; a run passes only when a scenario passed and the
    /// scope held a revision to judge (`nothing_new`: it did not).
    pub fn of(scenarios: &[ScenarioResult], server_lost: bool, nothing_new: bool) -> RunStatus {
        if server_lost {
            RunStatus::Error
        } else if scenarios
            .iter()
            .any(|s| matches!(s.status, Status::Failed | Status::Error))
        {
            RunStatus::Failed
        } else if nothing_new || !scenarios.iter().any(|s| s.status == Status::Passed) {
            RunStatus::Skipped
        } else {
            RunStatus::Passed
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timings {
    /// The whole run, from reading the config to the last scenario.
    pub total_ms: u64,
    pub server_start_ms: u64,
    /// How much of the server's start the run waited for: the start overlaps the venv, the
    /// worker, the revision graph and the plan.
    pub server_wait_ms: u64,
    /// Time spent in migration-tool processes (summed over concurrent scenarios).
    pub tool_ms: u64,
    /// Everything else (total minus the wait for the server and the tools): snapshots,
    /// data, probes, database setup, the worker's start and the harness itself.
    pub harness_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunSummary {
    pub schema_version: u32,
    pub status: RunStatus,
    pub project: String,
    pub head: Option<String>,
    pub baseline: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub harness: HarnessInfo,
    pub server: ServerInfo,
    pub tool: ToolInfo,
    pub os: String,
    pub chain: ChainView,
    /// The revisions the gate judged; failures of the others are warnings.
    pub scope: Scope,
    /// Present on a partial report (`--partition K/N`): `merge` folds the partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<PartialRun>,
    /// What seeding could not do, each cause once: run information, never a finding.
    #[serde(default, skip_serializing_if = "crate::data::SeedNotes::is_clean")]
    pub seeding: crate::data::SeedNotes,
    /// Every defect once, ranked: new revisions first, blocking before warnings.
    pub findings: Vec<crate::findings::Finding>,
    pub scenarios: Vec<ScenarioResult>,
    pub timings: Timings,
    /// Why the run as a whole stopped early, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a partition's report says of itself, for `merge`: which partition, which revisions'
/// per-revision work it did, and the tables its seeds met (the merged `seeding` counts each
/// table once over all partitions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialRun {
    pub index: usize,
    pub count: usize,
    /// Base → head.
    pub revisions: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeded_tables: Vec<String>,
}

impl PartialRun {
    pub fn partition(&self) -> crate::partition::Partition {
        crate::partition::Partition {
            index: self.index,
            count: self.count,
        }
    }
}

/// `report.json`'s `schema_version`: 3 made `diff` entries typed objects; 2 added `findings`.
pub const SCHEMA_VERSION: u32 = 3;

impl RunSummary {
    pub fn scenario(&self, id: &str) -> Option<&ScenarioResult> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    pub fn count(&self, st: Status) -> usize {
        self.scenarios.iter().filter(|s| s.status == st).count()
    }
}

/// Marks each revision from the steps of the scenario that walks the chain (`walker`, the
/// one whose file has a `walk` step; worst status wins).
pub fn revision_marks(
    revisions: &mut [RevisionView],
    scenarios: &[ScenarioResult],
    walker: Option<&str>,
) {
    let Some(chain) = walker.and_then(|id| scenarios.iter().find(|s| s.id == id)) else {
        return;
    };
    if chain.status == Status::Skipped {
        return;
    }
    for r in revisions.iter_mut() {
        let steps: Vec<&crate::scenario::StepResult> = chain
            .steps
            .iter()
            .filter(|s| s.revision.as_deref() == Some(&r.id))
            .collect();
        r.status = if steps
            .iter()
            .any(|s| matches!(s.status, Status::Failed | Status::Error))
        {
            Status::Failed
        } else if steps.is_empty() {
            Status::Skipped
        } else {
            Status::Passed
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(id: &str, status: Status) -> ScenarioResult {
        ScenarioResult {
            status,
            ..ScenarioResult::skipped(id, id, "")
        }
    }

    #[test]
    fn skipped_never_counts_as_passed() {
        let all_skipped = [
            scenario("a", Status::Skipped),
            scenario("b", Status::Skipped),
        ];
        assert_eq!(
            RunStatus::of(&all_skipped, false, false),
            RunStatus::Skipped
        );
        assert_eq!(RunStatus::Skipped.exit_code(), 4);
        assert_eq!(RunStatus::of(&[], false, false), RunStatus::Skipped);
        let one = [
            scenario("a", Status::Passed),
            scenario("b", Status::Skipped),
        ];
        assert_eq!(RunStatus::of(&one, false, false), RunStatus::Passed);
        assert_eq!(
            RunStatus::of(&one, false, true),
            RunStatus::Skipped,
            "no revision in scope: nothing of the change was judged"
        );
        let failed = [
            scenario("a", Status::Failed),
            scenario("b", Status::Skipped),
        ];
        assert_eq!(RunStatus::of(&failed, false, true), RunStatus::Failed);
        assert_eq!(RunStatus::of(&one, true, false), RunStatus::Error);
    }
}

/// Test summaries written as the few JSON fields a test cares about, the rest filled with a
/// plain passing run's: the same path a report.json read back takes.
#[cfg(test)]
pub(crate) mod fixture {
    use serde_json::{json, Value};

    use super::RunSummary;

    fn fill(v: &mut Value, defaults: Value) {
        if let (Some(obj), Value::Object(d)) = (v.as_object_mut(), defaults) {
            for (k, dv) in d {
                obj.entry(k).or_insert(dv);
            }
        }
    }

    /// `partial`'s fields over a minimal run; its scenarios and steps filled the same way.
    pub(crate) fn summary(partial: Value) -> RunSummary {
        let mut v = partial;
        fill(
            &mut v,
            json!({
                "schema_version": 3, "status": "passed", "project": "p", "head": null,
                "baseline": null, "started_at": "2026-01-01T00:00:00Z",
                "finished_at": "2026-01-01T00:00:01Z",
                "harness": { "name": "migration-harness", "version": "0" },
                "server": { "engine": "mariadb", "version": "10.11.14-MariaDB", "provider": "local" },
                "tool": { "kind": "sqldir", "commands": { "upgrade": "up", "current": "c", "downgrade_to": "d" }, "versions": [] },
                "os": "test", "chain": { "revisions": [], "heads": [], "findings": [] },
                "scope": { "new": [], "history": "informational" },
                "findings": [], "scenarios": [],
                "timings": { "total_ms": 0, "server_start_ms": 0, "server_wait_ms": 0, "tool_ms": 0, "harness_ms": 0 }
            }),
        );
        for s in v["scenarios"].as_array_mut().into_iter().flatten() {
            fill(
                s,
                json!({ "title": "", "status": "passed", "duration_ms": 0, "details": "", "steps": [] }),
            );
            for st in s["steps"].as_array_mut().into_iter().flatten() {
                fill(
                    st,
                    json!({ "action": "upgrade", "title": "", "status": "passed", "duration_ms": 0 }),
                );
            }
        }
        serde_json::from_value(v).expect("a summary")
    }
}
