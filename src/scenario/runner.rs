//! Runs a `Plan`: each scenario on its own fresh database, several at once (`--jobs`),
//! emitting `Event`s; returns results in plan order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::events::Event;
use super::model::{ScenarioFile, Start, StrictnessKey};
use super::plan::{Disposition, Plan, PlannedScenario};
use super::result::{ScenarioResult, Status, StepResult};
use super::steps::{self, ScenarioState, StepOutcome};
use crate::config::{ProbeConfig, Strictness};
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
    pub idempotency: Strictness,
    /// `[scenarios] resumable`: how crash-resume findings count.
    pub resumable: Strictness,
    pub timeout: Duration,
    pub jobs: usize,
    /// Set when the server stopped answering: the remaining scenarios are `error`.
    pub server_lost: AtomicBool,
}

impl RunContext {
    pub fn db(&self, name: &str) -> DbTarget {
        DbTarget {
            conn: self.server.conn.clone(),
            database: name.to_string(),
            timeout: self.timeout,
        }
    }

    pub fn exclude(&self) -> Vec<String> {
        vec![self.driver.version_table().to_string()]
    }
}

pub async fn run_plan(ctx: Arc<RunContext>, events: UnboundedSender<Event>) -> Vec<ScenarioResult> {
    let jobs = ctx.jobs.max(1);
    let planned = ctx.plan.scenarios.clone();
    futures_util::stream::iter(planned.into_iter().map(|p| {
        let ctx = ctx.clone();
        let events = events.clone();
        async move { run_scenario(&ctx, &p, &events).await }
    }))
    .buffered(jobs)
    .collect()
    .await
}

fn fill(template: &str, ctx: &RunContext, first_error: Option<String>) -> String {
    template
        .replace("{baseline}", ctx.plan.baseline.as_deref().unwrap_or("base"))
        .replace("{head}", ctx.plan.head.as_deref().unwrap_or("head"))
        .replace("{count}", &ctx.plan.order().len().to_string())
        .replace("{error}", &first_error.unwrap_or_default())
}

async fn run_scenario(
    ctx: &RunContext,
    p: &PlannedScenario,
    events: &UnboundedSender<Event>,
) -> ScenarioResult {
    let f = &p.file;
    if let Disposition::Skip(why) = &p.disposition {
        let r = ScenarioResult::skipped(&f.id, &f.title, why);
        let _ = events.send(Event::ScenarioFinished { result: r.clone() });
        return r;
    }
    let _ = events.send(Event::ScenarioStarted {
        id: f.id.clone(),
        title: f.title.clone(),
    });
    let started = Instant::now();
    let mut result = ScenarioResult {
        id: f.id.clone(),
        title: f.title.clone(),
        status: Status::Passed,
        duration_ms: 0,
        details: String::new(),
        reason: None,
        warnings: vec![],
        database: None,
        steps: vec![],
    };
    if ctx.server_lost.load(Ordering::SeqCst) {
        result.status = Status::Error;
        result.reason = Some("the server stopped answering earlier in this run".into());
        result.details = result.reason.clone().unwrap_or_default();
        let _ = events.send(Event::ScenarioFinished {
            result: result.clone(),
        });
        return result;
    }
    let db = match ctx.server.create_database().await {
        Ok(d) => d,
        Err(e) => {
            result.status = Status::Error;
            result.reason = Some(e.to_string());
            result.details = e.to_string();
            ctx.server_lost
                .store(!ctx.server.alive().await, Ordering::SeqCst);
            let _ = events.send(Event::ScenarioFinished {
                result: result.clone(),
            });
            return result;
        }
    };
    result.database = Some(db.clone());
    let mut state = ScenarioState::new(ctx.db(&db));
    let outcome = execute(ctx, f, &mut state, &mut result, events).await;
    // Drop every database the scenario used, whatever happened.
    for name in state.databases() {
        let _ = ctx.server.drop_database(&name).await;
    }
    finish(ctx, f, &mut result, outcome, started).await;
    let _ = events.send(Event::ScenarioFinished {
        result: result.clone(),
    });
    result
}

/// Runs the start phase and the steps; returns a scenario-level skip reason if any.
async fn execute(
    ctx: &RunContext,
    f: &ScenarioFile,
    state: &mut ScenarioState,
    result: &mut ScenarioResult,
    events: &UnboundedSender<Event>,
) -> Option<String> {
    let push = |result: &mut ScenarioResult, s: StepResult| {
        let _ = events.send(Event::StepFinished {
            scenario: f.id.clone(),
            step: s.clone(),
        });
        result.steps.push(s);
    };
    if f.start == Start::Baseline {
        let prep = steps::prepare_baseline(ctx, state).await;
        let ok = prep.iter().all(|s| s.status == Status::Passed);
        for s in prep {
            push(result, s);
        }
        if !ok {
            result.reason = Some(format!(
                "could not bring a fresh database to the baseline {}",
                ctx.plan.baseline.as_deref().unwrap_or("base")
            ));
            return None;
        }
    }
    for step in &f.steps {
        let StepOutcome {
            results,
            skip_scenario,
        } = steps::run_step(ctx, state, step).await;
        let stop = results
            .iter()
            .any(|r| matches!(r.status, Status::Failed | Status::Error))
            && !step.is_check();
        for r in results {
            push(result, r);
        }
        if skip_scenario.is_some() {
            return skip_scenario;
        }
        if stop {
            break;
        }
    }
    None
}

async fn finish(
    ctx: &RunContext,
    f: &ScenarioFile,
    result: &mut ScenarioResult,
    skip: Option<String>,
    started: Instant,
) {
    result.duration_ms = started.elapsed().as_millis() as u64;
    let any = |st: Status| result.steps.iter().any(|s| s.status == st);
    result.status = if skip.is_some() {
        Status::Skipped
    } else if any(Status::Error) {
        Status::Error
    } else if any(Status::Failed) {
        Status::Failed
    } else {
        Status::Passed
    };
    if matches!(result.status, Status::Error | Status::Failed) && !ctx.server.alive().await {
        ctx.server_lost.store(true, Ordering::SeqCst);
        result.status = Status::Error;
        result.reason =
            Some("the server stopped answering (died or was killed) during this scenario".into());
    }
    // `warn` strictness: report the failure, do not fail the run.
    if f.strictness == Some(StrictnessKey::Idempotency)
        && ctx.idempotency == Strictness::Warn
        && result.status == Status::Failed
    {
        result.warnings.push(format!(
            "idempotency = \"warn\": {}",
            result
                .first_problem()
                .and_then(|s| s.message.clone())
                .unwrap_or_default()
        ));
        result.status = Status::Passed;
    }
    result.warnings.extend(
        result
            .steps
            .iter()
            .flat_map(|s| s.details.iter())
            .filter(|d| d.starts_with("warning:"))
            .cloned(),
    );
    let first_error = result
        .steps
        .iter()
        .find_map(|s| s.error.as_ref())
        .map(|e| format!("{} {}", e.code, e.message));
    result.details = match (&skip, result.status) {
        (Some(why), _) => {
            result.reason = Some(why.clone());
            why.clone()
        }
        (None, Status::Passed) if !result.warnings.is_empty() => {
            format!("passed with warnings: {}", result.warnings.join("; "))
        }
        (None, Status::Passed) => {
            fill(f.on_pass.as_deref().unwrap_or(&f.summary), ctx, first_error)
        }
        (None, _) => {
            let problems: Vec<String> = result
                .steps
                .iter()
                .filter(|s| matches!(s.status, Status::Failed | Status::Error))
                .map(|s| s.message.clone().unwrap_or_else(|| s.title.clone()))
                .collect();
            let what = problems.join("; ");
            match &result.reason {
                Some(r) if what.is_empty() => r.clone(),
                Some(r) => format!("{r}: {what}"),
                None => what,
            }
        }
    };
}
