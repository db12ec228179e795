//! `Collector`: folds the event stream into the `RunSummary` every report renders from —
//! scenarios in plan order however they finished, tool time summed from the step events.

use std::collections::HashMap;

use super::summary::{revision_marks, PartialRun, RunStatus, RunSummary, ServerInfo, Timings};
use crate::config::History;
use crate::said::{Said, Summed};
use crate::scenario::events::RunStart;
use crate::scenario::{Event, ScenarioResult, Status};

/// The stream ended without an event the summary needs: the run broke off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("the run never started (no RunStarted event)")]
    RunStarted,
    #[error("no server was ready (no ServerReady event)")]
    ServerReady,
    #[error("the run did not finish (no RunFinished event)")]
    RunFinished,
}

#[derive(Debug, Default)]
pub struct Collector {
    start: Option<RunStart>,
    server: Option<(ServerInfo, u64, u64)>,
    finished: HashMap<String, ScenarioResult>,
    /// Each scenario's steps as they were reported, for a result that lost them (a panic).
    steps: HashMap<String, Vec<crate::scenario::StepResult>>,
    tool_ms: u64,
    end: Option<(bool, u64)>,
    interrupted: Option<&'static str>,
}

impl Collector {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn event(&mut self, ev: &Event) {
        match ev {
            Event::RunStarted(s) => self.start = Some((**s).clone()),
            Event::ServerReady {
                server,
                startup_ms,
                waited_ms,
            } => self.server = Some((server.clone(), *startup_ms, *waited_ms)),
            Event::ScenarioStarted { .. } => {}
            // Summed here, not from the finished results: a scenario that panicked after
            // running tools still spent that time.
            Event::StepFinished { scenario, step } => {
                self.tool_ms += step.tool_ms();
                self.steps
                    .entry(scenario.clone())
                    .or_default()
                    .push((**step).clone());
            }
            Event::ScenarioFinished { result } => {
                let mut result = (**result).clone();
                // A scenario that panicked reports no steps: keep what it did report, its
                // failures before the panic included.
                if result.steps.is_empty() {
                    result.steps = self.steps.remove(&result.id).unwrap_or_default();
                }
                self.finished.insert(result.id.clone(), result);
            }
            Event::RunFinished {
                server_lost,
                total_ms,
            } => self.end = Some((*server_lost, *total_ms)),
            Event::Interrupted { signal, total_ms } => {
                self.end = Some((false, *total_ms));
                self.interrupted = Some(signal);
            }
        }
    }

    /// The whole run as one value. The only place a `RunSummary` is put together.
    pub fn finish(mut self) -> Result<RunSummary, Missing> {
        let start = self.start.ok_or(Missing::RunStarted)?;
        let (server, server_start_ms, server_wait_ms) = self.server.ok_or(Missing::ServerReady)?;
        let (server_lost, total_ms) = self.end.ok_or(Missing::RunFinished)?;
        let scenarios: Vec<ScenarioResult> = start
            .plan
            .iter()
            .map(|p| {
                self.finished.remove(&p.id).unwrap_or_else(|| {
                    let why: Said = match self.interrupted {
                        Some(sig) => Summed::Interrupted {
                            signal: sig.to_string(),
                        }
                        .into(),
                        None => Summed::NoResult.into(),
                    };
                    ScenarioResult {
                        status: Status::Error,
                        ..ScenarioResult::skipped(&p.id, &p.title, why)
                    }
                })
            })
            .collect();
        let mut chain = start.chain;
        revision_marks(&mut chain.revisions, &scenarios, start.walker.as_deref());
        let scope = start.scope;
        let nothing_new = scope.new.is_empty() && scope.history == History::Informational;
        let tool_ms = self.tool_ms;
        let findings = super::findings::derive(&chain, &scope, &scenarios);
        let seeds = || {
            scenarios
                .iter()
                .flat_map(|s| &s.steps)
                .flat_map(|st| &st.seeding)
        };
        let seeding = crate::data::SeedNotes::fold(seeds());
        let partition = start.partition.map(|(p, revisions)| PartialRun {
            index: p.index,
            count: p.count,
            revisions,
            seeded_tables: crate::data::SeedNotes::tables_met(seeds()),
        });
        Ok(RunSummary {
            schema_version: super::SCHEMA_VERSION,
            // An interrupted run is incomplete whatever finished before the signal.
            status: match self.interrupted {
                Some(_) => RunStatus::Error,
                None => RunStatus::of(&scenarios, server_lost, nothing_new),
            },
            project: start.project,
            head: start.head,
            baseline: start.baseline,
            started_at: start.started_at,
            finished_at: start.started_at + chrono::Duration::milliseconds(total_ms as i64),
            harness: start.harness,
            server,
            tool: start.tool,
            os: start.os,
            chain,
            scope,
            partition,
            seeding,
            findings,
            scenarios,
            timings: Timings {
                total_ms,
                server_start_ms,
                server_wait_ms,
                tool_ms,
                harness_ms: total_ms.saturating_sub(server_wait_ms + tool_ms),
            },
            error: match self.interrupted {
                Some(sig) => Some(format!(
                    "interrupted by {sig}: the scenarios that had not finished were stopped"
                )),
                None => server_lost.then(|| {
                    "the server stopped answering during the run; remaining scenarios were not run"
                        .to_string()
                }),
            },
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{DbMode, ToolKind};
    use crate::driver::ToolCommands;
    use crate::provision::{Engine, ProviderKind};
    use crate::report::{ChainView, HarnessInfo, RevisionView, ToolInfo};
    use crate::scenario::plan::Scope;
    use crate::scenario::{PlannedId, StepAction, StepResult};

    pub(crate) const PLAN: [&str; 4] = ["chain", "upgrade", "idempotency", "downgrade"];

    fn revision(id: &str) -> RevisionView {
        RevisionView {
            id: id.into(),
            description: String::new(),
            parents: vec![],
            status: Status::Skipped,
            file: None,
            line: None,
        }
    }

    pub(crate) fn started(new: &[&str]) -> Event {
        started_with(&["a", "b"], new)
    }

    /// A run over the chain `revisions` (the last is the head, the one before the
    /// baseline) judging the revisions `new`.
    pub(crate) fn started_with(revisions: &[&str], new: &[&str]) -> Event {
        let n = revisions.len();
        Event::RunStarted(Box::new(RunStart {
            run_id: "2611241800000abc".into(),
            started_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).expect("time"),
            db: DbMode::Local,
            project: "p".into(),
            head: revisions.last().map(|r| r.to_string()),
            baseline: (n > 1).then(|| revisions[n - 2].to_string()),
            plan: PLAN
                .iter()
                .map(|id| PlannedId {
                    id: id.to_string(),
                    title: format!("{id} title"),
                })
                .collect(),
            scope: Scope {
                since: None,
                new: new.iter().map(|s| s.to_string()).collect(),
                history: History::Informational,
            },
            partition: None,
            chain: ChainView {
                revisions: revisions.iter().map(|r| revision(r)).collect(),
                heads: revisions
                    .last()
                    .map(|r| r.to_string())
                    .into_iter()
                    .collect(),
                findings: vec![],
            },
            walker: Some("chain".into()),
            tool: ToolInfo {
                kind: ToolKind::Sqldir,
                commands: ToolCommands {
                    upgrade: "up".into(),
                    current: "current".into(),
                    downgrade_to: "down".into(),
                },
                versions: vec![],
            },
            harness: HarnessInfo {
                name: "migration-harness".into(),
                version: "0".into(),
            },
            os: "test".into(),
        }))
    }

    pub(crate) fn server_ready() -> Event {
        Event::ServerReady {
            server: ServerInfo {
                engine: Engine::Mariadb,
                version: "10.11".into(),
                provider: ProviderKind::Local,
                image: None,
                settings: vec![],
                choice: crate::provision::Choice::Requested,
                profile: None,
            },
            startup_ms: 500,
            waited_ms: 500,
        }
    }

    /// A step that ran the migration tool for `ms` at `revision`.
    pub(crate) fn tool_step(revision: &str, ms: u64, status: Status) -> StepResult {
        StepResult {
            status,
            revision: Some(revision.into()),
            duration_ms: ms,
            command: Some("up".into()),
            ..StepResult::new(StepAction::Upgrade, format!("upgrade → {revision}"))
        }
    }

    pub(crate) fn step(scenario: &str, s: &StepResult) -> Event {
        Event::StepFinished {
            scenario: scenario.into(),
            step: Box::new(s.clone()),
        }
    }

    pub(crate) fn finished(id: &str, status: Status, steps: Vec<StepResult>) -> Event {
        Event::ScenarioFinished {
            result: Box::new(ScenarioResult {
                status,
                steps,
                ..ScenarioResult::skipped(id, &format!("{id} title"), "")
            }),
        }
    }

    fn fold(events: &[Event]) -> Result<RunSummary, Missing> {
        let mut c = Collector::new();
        for e in events {
            c.event(e);
        }
        c.finish()
    }

    fn ids(s: &RunSummary) -> Vec<&str> {
        s.scenarios.iter().map(|x| x.id.as_str()).collect()
    }

    #[test]
    fn folds_out_of_order_results_into_plan_order() {
        let up = tool_step("b", 300, Status::Passed);
        let walk_a = tool_step("a", 150, Status::Passed);
        let walk_b = tool_step("b", 50, Status::Failed);
        // The panicked scenario ran a tool before it panicked; its result has no steps.
        let before_panic = tool_step("a", 100, Status::Passed);
        let events = vec![
            started(&["b"]),
            server_ready(),
            Event::ScenarioStarted {
                id: "chain".into(),
                title: "chain title".into(),
            },
            Event::ScenarioStarted {
                id: "upgrade".into(),
                title: "upgrade title".into(),
            },
            step("upgrade", &up),
            finished("upgrade", Status::Passed, vec![up.clone()]),
            finished("idempotency", Status::Skipped, vec![]),
            step("chain", &walk_a),
            step("downgrade", &before_panic),
            Event::ScenarioFinished {
                result: Box::new(ScenarioResult {
                    status: Status::Error,
                    reason: Some("internal error (panic): boom".into()),
                    ..ScenarioResult::skipped("downgrade", "downgrade title", "")
                }),
            },
            step("chain", &walk_b),
            finished("chain", Status::Failed, vec![walk_a, walk_b]),
            Event::RunFinished {
                server_lost: false,
                total_ms: 5_000,
            },
        ];
        let s = fold(&events).expect("a whole run");
        assert_eq!(ids(&s), PLAN);
        let statuses: Vec<Status> = s.scenarios.iter().map(|x| x.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Failed,
                Status::Passed,
                Status::Skipped,
                Status::Error
            ]
        );
        assert_eq!(
            s.scenario("downgrade")
                .and_then(|d| d.reason.as_ref())
                .map(ToString::to_string)
                .as_deref(),
            Some("internal error (panic): boom")
        );
        assert_eq!(s.status, RunStatus::Failed);
        assert_eq!(s.timings.tool_ms, 300 + 150 + 50 + 100);
        assert_eq!(s.timings.server_start_ms, 500);
        assert_eq!(s.timings.total_ms, 5_000);
        assert_eq!(s.timings.harness_ms, 5_000 - 500 - 600);
        assert_eq!(
            (s.finished_at - s.started_at).num_milliseconds(),
            5_000,
            "finished = started + total"
        );
        let marks: Vec<(&str, Status)> = s
            .chain
            .revisions
            .iter()
            .map(|r| (r.id.as_str(), r.status))
            .collect();
        assert_eq!(marks, [("a", Status::Passed), ("b", Status::Failed)]);
        assert_eq!(s.server.version, "10.11");
        assert!(s.error.is_none());
    }

    #[test]
    fn run_status_comes_from_the_stream() {
        let passed = |new: &[&str], lost: bool| {
            let mut events = vec![started(new), server_ready()];
            events.extend(PLAN.iter().map(|id| finished(id, Status::Passed, vec![])));
            events.push(Event::RunFinished {
                server_lost: lost,
                total_ms: 10,
            });
            fold(&events).expect("a whole run")
        };
        assert_eq!(passed(&["b"], false).status, RunStatus::Passed);
        assert_eq!(
            passed(&[], false).status,
            RunStatus::Skipped,
            "no revision in scope: nothing of the change was judged"
        );
        let lost = passed(&["b"], true);
        assert_eq!(lost.status, RunStatus::Error);
        assert!(lost.error.as_deref().is_some_and(|e| e.contains("stopped")));
    }

    #[test]
    fn a_scenario_without_a_result_is_an_error_and_a_cut_stream_is_missing() {
        let events = vec![
            started(&["b"]),
            server_ready(),
            finished("downgrade", Status::Passed, vec![]),
            Event::RunFinished {
                server_lost: false,
                total_ms: 10,
            },
        ];
        let s = fold(&events).expect("a whole run");
        assert_eq!(ids(&s), PLAN);
        assert_eq!(s.count(Status::Error), 3);
        assert_eq!(s.status, RunStatus::Failed);
        assert_eq!(
            fold(&events[..3]).err(),
            Some(Missing::RunFinished),
            "no RunFinished"
        );
        assert_eq!(fold(&events[1..]).err(), Some(Missing::RunStarted));
        assert_eq!(
            fold(&[events[0].clone(), events[3].clone()]).err(),
            Some(Missing::ServerReady)
        );
    }

    #[test]
    fn a_panicked_scenario_keeps_the_steps_it_reported() {
        let failed = tool_step("b", 20, Status::Failed);
        let events = vec![
            started(&["b"]),
            server_ready(),
            step("upgrade", &failed),
            // The panic's result: error, no steps.
            finished("upgrade", Status::Error, vec![]),
            Event::RunFinished {
                server_lost: false,
                total_ms: 10,
            },
        ];
        let s = fold(&events).expect("a whole run");
        let up = s.scenario("upgrade").unwrap();
        assert_eq!(up.status, Status::Error);
        assert_eq!(up.steps.len(), 1, "the failure before the panic is kept");
        assert_eq!(up.steps[0].status, Status::Failed);
    }
}
