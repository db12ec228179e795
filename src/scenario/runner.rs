//! Runs a `Plan`: each scenario on its own fresh database, several at once (`--jobs`),
//! each in its own task (a panic is an `error` for that scenario alone), and applies the
//! verdict policy (opinionated checks, history). What it finds leaves only as `Event`s.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::sync::mpsc::UnboundedSender;

use super::context::RunContext;
use super::events::Event;
use super::model::{Reach, ScenarioFile, Start, Step, StrictnessKey};
use super::plan::{Disposition, PlannedScenario, Scope};
use super::result::{ScenarioResult, Status, StepAction, StepResult, Warning, WarningKind};
use super::state::{ScenarioState, StepOutcome};
use super::steps;
use crate::config::{ScenariosConfig, Strictness};
use crate::said::{Quoted, Run, Said, Summed};

/// Runs every planned scenario, `jobs` at a time, started in plan order; each reports its
/// result as `Event::ScenarioFinished` when it ends, so results arrive in the order the
/// scenarios finish. Each runs in its own task, so a panic in one becomes an `error` result
/// for it and the others still run and report.
pub async fn run_plan(ctx: Arc<RunContext>, events: UnboundedSender<Event>) {
    let jobs = ctx.jobs.max(1);
    let planned = ctx.plan.scenarios.clone();
    futures_util::stream::iter(planned)
        .for_each_concurrent(jobs, |p| {
            let ctx = ctx.clone();
            let events = events.clone();
            async move {
                let blank = ScenarioResult::of(&p.file);
                let task = tokio::spawn({
                    let events = events.clone();
                    async move { run_scenario(&ctx, &p, &events).await }
                });
                // Cancelling the run (SIGINT, SIGTERM) drops this future: take the task with it,
                // as the plain future it replaced would have gone.
                let _abort = AbortOnDrop(task.abort_handle());
                if let Err(e) = task.await {
                    // Its databases are on the server's list; teardown drops them.
                    let why: Said = Summed::Panicked {
                        why: Quoted::new(panic_message(e)),
                    }
                    .into();
                    let result = ScenarioResult {
                        status: Status::Error,
                        details: why.clone(),
                        reason: Some(why),
                        ..blank
                    };
                    let _ = events.send(Event::ScenarioFinished {
                        result: Box::new(result),
                    });
                }
            }
        })
        .await
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(p) => p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "(no message)".into()),
        Err(e) => e.to_string(),
    }
}

/// The server stopped answering: its process is gone, or it refuses a new connection (a
/// killed server closes its port a moment before its process can be reaped).
async fn server_gone(ctx: &RunContext) -> bool {
    if !ctx.server.alive().await {
        return true;
    }
    match tokio::time::timeout(Duration::from_secs(10), ctx.server.admin()).await {
        Ok(Ok(c)) => {
            let _ = c.disconnect().await;
            false
        }
        _ => true,
    }
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
        let r = ScenarioResult {
            status: Status::Skipped,
            details: why.clone(),
            reason: Some(why.clone()),
            ..ScenarioResult::of(f)
        };
        let _ = events.send(Event::ScenarioFinished {
            result: Box::new(r.clone()),
        });
        return r;
    }
    let _ = events.send(Event::ScenarioStarted {
        id: f.id.clone(),
        title: f.title.clone(),
    });
    let started = Instant::now();
    let mut result = ScenarioResult::of(f);
    if ctx.server_lost.load(Ordering::SeqCst) {
        result.status = Status::Error;
        result.reason = Some(Summed::ServerLost.into());
        result.details = Summed::ServerLost.into();
        let _ = events.send(Event::ScenarioFinished {
            result: Box::new(result.clone()),
        });
        return result;
    }
    let db = match ctx.server.create_database().await {
        Ok(d) => d,
        Err(e) => {
            result.status = Status::Error;
            result.reason = Some(Said::raised(&e));
            result.details = Said::raised(&e);
            // The error says whether the server is gone; no second probe.
            ctx.server_lost.store(e.is_server_lost(), Ordering::SeqCst);
            let _ = events.send(Event::ScenarioFinished {
                result: Box::new(result.clone()),
            });
            return result;
        }
    };
    result.database = Some(db.clone());
    // Debug builds only: lets the tests prove a panic stays inside its scenario.
    #[cfg(debug_assertions)]
    if std::env::var("MH_TEST_PANIC_SCENARIO").is_ok_and(|v| v == f.id) {
        panic!("injected by MH_TEST_PANIC_SCENARIO={}", f.id);
    }
    let mut state = ScenarioState::new(ctx.db(&db));
    let ran = execute(ctx, f, &mut state, &mut result, events).await;
    // Drop every database the scenario used, whatever happened.
    for name in state.databases() {
        let _ = ctx.server.drop_database(&name).await;
    }
    finish(ctx, f, &mut result, ran, started).await;
    let _ = events.send(Event::ScenarioFinished {
        result: Box::new(result.clone()),
    });
    result
}

/// Which part of a scenario a step result belongs to, for the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Bringing the database to the baseline before the scenario's own steps.
    Prepare,
    /// The scenario's own steps, under an opinionated check or none.
    Own {
        check: Option<StrictnessKey>,
        attributed: Attribution,
    },
}

/// Whether a result's revision names the migration that ran, not merely the step's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribution {
    /// An assertion's expected revision, a deploy's starting point, or none.
    Target,
    /// A failure the driver pinned on a revision, or a per-revision check (round trip,
    /// crash-resume) that exercises each revision on its own database.
    Ran,
    /// One step of the walk, which visits the revisions in order: a failure stops it.
    Walk,
}

/// What `execute` leaves for the verdict: the part each result belongs to (parallel to
/// `result.steps`) and why the scenario as a whole stopped, if it did.
struct Ran {
    parts: Vec<Part>,
    skip: Option<Said>,
    /// Failed steps the verdict policy counted as warnings, decided as each step finished.
    demoted: Vec<Warning>,
}

/// Runs the start phase and the steps.
async fn execute(
    ctx: &RunContext,
    f: &ScenarioFile,
    state: &mut ScenarioState,
    result: &mut ScenarioResult,
    events: &UnboundedSender<Event>,
) -> Ran {
    let mut ran = Ran {
        parts: vec![],
        skip: None,
        demoted: vec![],
    };
    let mut push = |result: &mut ScenarioResult, mut s: StepResult, part: Part| {
        if let Part::Own { check, .. } = part {
            s.check = check;
        }
        // The scratch database's name is no part of a message: every sink reads alike.
        unqualify(&mut s);
        // Judged before it is sent: every sink sees how the failure counts.
        if s.status == Status::Failed {
            if let Some(w) = verdict(&ctx.plan.scope, &ctx.plan.policy, &s, part) {
                s.demoted = Some(w.kind);
                ran.demoted.push(w);
            }
        }
        let _ = events.send(Event::StepFinished {
            scenario: f.id.clone(),
            step: Box::new(s.clone()),
        });
        result.steps.push(s);
        ran.parts.push(part);
    };
    if f.start == Start::Baseline {
        let prep = steps::prepare_baseline(ctx, state).await;
        let ok = prep.iter().all(|s| s.status == Status::Passed);
        for s in prep {
            push(result, s, Part::Prepare);
        }
        if !ok {
            result.reason = Some(
                Summed::NotAtBaseline {
                    baseline: ctx.plan.baseline.clone(),
                }
                .into(),
            );
            return ran;
        }
    }
    // A file whose check begins part-way (`begin_check`) runs its setup steps outside it:
    // their failures are defects of their own, never the check's warnings.
    let mut check = if f.steps.iter().any(|s| matches!(s, Step::BeginCheck { .. })) {
        None
    } else {
        f.strictness
    };
    for step in &f.steps {
        if let Step::BeginCheck { check: key } = step {
            check = Some(*key);
            if ctx.plan.policy.strictness(*key) == Strictness::Off {
                let key = key.key();
                let s = StepResult::new(StepAction::BeginCheck, Run::CheckTitle { key })
                    .skip(Run::CheckOff { key });
                push(
                    result,
                    s,
                    Part::Own {
                        check,
                        attributed: Attribution::Target,
                    },
                );
                break;
            }
            continue;
        }
        let StepOutcome {
            results,
            skip_scenario,
        } = steps::run_step(ctx, state, step).await;
        let stop = results
            .iter()
            .any(|r| matches!(r.status, Status::Failed | Status::Error))
            && !step.is_check();
        for r in results {
            let attributed = match step.reach() {
                Reach::Walk => Attribution::Walk,
                Reach::EachRevision => Attribution::Ran,
                Reach::Migrates { target }
                    if r.revision.is_some() && r.revision != steps::revision_of(ctx, target) =>
                {
                    Attribution::Ran
                }
                Reach::Migrates { .. } | Reach::Target => Attribution::Target,
            };
            push(result, r, Part::Own { check, attributed });
        }
        if skip_scenario.is_some() {
            ran.skip = skip_scenario;
            return ran;
        }
        if stop {
            break;
        }
    }
    ran
}

/// Drops `mh_<run>_<n>.` qualifiers from what a step quotes (its database is on the
/// scenario); what it says (`Said`) was unqualified when the words were raised.
fn unqualify(s: &mut StepResult) {
    use crate::findings::unqualified;
    s.log = s.log.as_deref().map(unqualified);
    if let Some(e) = &mut s.error {
        e.message = unqualified(&e.message);
    }
    for d in s.defects.iter_mut() {
        if let Some(e) = &mut d.error {
            e.message = unqualified(&e.message);
        }
        if let Some(l) = &mut d.left_behind {
            if let crate::findings::Retry::Fails { error, message, .. } = &mut l.retry {
                *message = unqualified(message);
                if let Some(e) = error {
                    e.message = unqualified(&e.message);
                }
            }
        }
    }
}

/// How one failed step counts: against the run, or as a warning.
fn verdict(
    scope: &Scope,
    policy: &ScenariosConfig,
    step: &StepResult,
    part: Part,
) -> Option<Warning> {
    let message = step.message.clone().unwrap_or_else(|| step.title.clone());
    let Part::Own { check, attributed } = part else {
        // Without the baseline nothing of the change could be tested: that always counts.
        return None;
    };
    // Only a failure pinned on the migration that ran can be history: an assertion's
    // revision is the one it expected, a deploy's the one it started from.
    let ran_revision = step
        .revision
        .as_deref()
        .filter(|_| attributed != Attribution::Target);
    if !scope.judged(ran_revision) {
        return Some(Warning {
            kind: WarningKind::History,
            check: None,
            revision: ran_revision.map(str::to_string),
            message,
        });
    }
    match check {
        Some(k) if policy.strictness(k) == Strictness::Warn => Some(Warning {
            kind: WarningKind::Check,
            check: Some(k),
            revision: step.revision.clone(),
            message,
        }),
        _ => None,
    }
}

/// A scenario's status from its steps, and the new revisions a history failure kept the
/// walk from reaching (then nothing new was tested).
struct Concluded {
    status: Status,
    unreached: Vec<String>,
}

/// Skipped never counts as passed: a scenario passes only when one of its own steps was
/// checked (passed, or failed a check set to `warn`). An error outranks a failure, a failure
/// a pass. A walk that a history failure stopped before the new revisions tested nothing new.
fn conclude(
    steps: &[StepResult],
    parts: &[Part],
    demoted: &[Warning],
    new: &[String],
    skipped: bool,
) -> Concluded {
    let mut tested = false;
    let mut failed = false;
    let mut errored = false;
    // Revisions a migration step ran cleanly (the walk's).
    let mut reached: Vec<&str> = Vec::new();
    let mut walked = false;
    for (step, part) in steps.iter().zip(parts) {
        if let Part::Own {
            attributed: Attribution::Walk,
            ..
        } = part
        {
            walked = true;
            if step.status == Status::Passed {
                reached.extend(step.revision.as_deref());
            }
        }
        match step.status {
            Status::Passed => tested |= matches!(part, Part::Own { .. }),
            Status::Skipped => {}
            Status::Error => errored = true,
            Status::Failed => match step.demoted {
                None => failed = true,
                Some(kind) => tested |= kind == WarningKind::Check,
            },
        }
    }
    let unreached: Vec<String> = new
        .iter()
        .filter(|n| !reached.contains(&n.as_str()))
        .cloned()
        .collect();
    let history_stopped =
        walked && !unreached.is_empty() && demoted.iter().any(|w| w.kind == WarningKind::History);
    let status = if skipped {
        Status::Skipped
    } else if errored {
        Status::Error
    } else if failed {
        Status::Failed
    } else if tested && !history_stopped {
        Status::Passed
    } else {
        Status::Skipped
    };
    Concluded {
        status,
        unreached: if history_stopped {
            unreached
        } else {
            Vec::new()
        },
    }
}

async fn finish(
    ctx: &RunContext,
    f: &ScenarioFile,
    result: &mut ScenarioResult,
    ran: Ran,
    started: Instant,
) {
    result.duration_ms = started.elapsed().as_millis() as u64;
    let on_pass = |first_error| fill(f.on_pass.as_deref().unwrap_or(&f.summary), ctx, first_error);
    let server = settle(result, ran, &ctx.plan.scope.new, on_pass, || {
        server_gone(ctx)
    })
    .await;
    if server == Server::Lost {
        ctx.server_lost.store(true, Ordering::SeqCst);
    }
}

/// What the probe after a failed scenario found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Answering,
    Lost,
}

/// The scenario's status, warnings and details from what its steps did. `gone` asks whether
/// the server stopped answering — only after a failure or an error, which a lost server
/// turns into an error of the scenario rather than a verdict on the migrations. Pure but
/// for `gone`, so a test passes a probe of its own.
async fn settle<G, F>(
    result: &mut ScenarioResult,
    ran: Ran,
    new: &[String],
    on_pass: impl FnOnce(Option<String>) -> String,
    gone: G,
) -> Server
where
    G: FnOnce() -> F,
    F: std::future::Future<Output = bool>,
{
    let demoted = ran.demoted;
    let verdict = conclude(&result.steps, &ran.parts, &demoted, new, ran.skip.is_some());
    result.status = verdict.status;
    let history_stopped = !verdict.unreached.is_empty();
    let unreached = verdict.unreached;
    let mut server = Server::Answering;
    if matches!(result.status, Status::Error | Status::Failed) && gone().await {
        server = Server::Lost;
        result.status = Status::Error;
        result.reason = Some(Summed::ServerDied.into());
    }
    result.warnings.extend(demoted);
    result.warnings.extend(
        result
            .steps
            .iter()
            .flat_map(|s| s.warnings.iter())
            .cloned()
            .collect::<Vec<_>>(),
    );
    let first_error = result
        .steps
        .iter()
        .find_map(|s| s.error.as_ref())
        .map(|e| format!("{} {}", e.code, e.message));
    let skip = ran.skip.or_else(|| {
        (result.status == Status::Skipped).then(|| {
            let why = Box::new(
                result
                    .warnings
                    .first()
                    .map(Warning::said)
                    .or_else(|| result.reason.clone())
                    .unwrap_or_else(|| Summed::EveryStepSkipped.into()),
            );
            if history_stopped {
                Summed::NothingNewTested {
                    before: unreached.clone(),
                    why,
                }
                .into()
            } else {
                Summed::NothingTested { why }.into()
            }
        })
    });
    result.details = match (&skip, result.status) {
        (Some(why), _) => {
            result.reason = Some(why.clone());
            why.clone()
        }
        (None, Status::Passed) if !result.warnings.is_empty() => Summed::PassedWithWarnings {
            warnings: result.warnings.iter().map(Warning::said).collect(),
        }
        .into(),
        (None, Status::Passed) => Said::raised(on_pass(first_error)),
        (None, _) => Summed::Failed {
            reason: result.reason.clone().map(Box::new),
            problems: result
                .steps
                .iter()
                // What counts against the run; demoted failures are in the warnings.
                .filter(|s| matches!(s.status, Status::Failed | Status::Error))
                .filter(|s| s.demoted.is_none())
                .map(|s| s.message.clone().unwrap_or_else(|| s.title.clone()))
                .collect(),
        }
        .into(),
    };
    server
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::History;
    use crate::said::Said;
    use crate::scenario::model::StrictnessKey;
    use crate::scenario::StepAction;

    fn scope(history: History) -> Scope {
        Scope {
            since: None,
            new: vec!["000003".into()],
            history,
        }
    }

    fn failed_at(revision: &str) -> StepResult {
        let mut r = StepResult::new(StepAction::Downgrade, Said::raised("downgrade"))
            .fail(Said::raised("1091 boom"));
        r.revision = Some(revision.into());
        r
    }

    fn own(check: Option<StrictnessKey>, attributed: Attribution) -> Part {
        Part::Own { check, attributed }
    }

    #[test]
    fn a_failure_preparing_the_baseline_always_counts() {
        let s = scope(History::Informational);
        let r = failed_at("000001");
        assert_eq!(
            verdict(&s, &ScenariosConfig::default(), &r, Part::Prepare),
            None
        );
    }

    #[test]
    fn a_failure_of_a_revision_before_the_scope_is_history_unless_history_is_strict() {
        let r = failed_at("000001");
        let w = verdict(
            &scope(History::Informational),
            &ScenariosConfig::default(),
            &r,
            own(None, Attribution::Ran),
        )
        .expect("a warning");
        assert_eq!(w.kind, WarningKind::History);
        assert_eq!(w.revision.as_deref(), Some("000001"));
        assert_eq!(w.message, "1091 boom");
        let strict = verdict(
            &scope(History::Strict),
            &ScenariosConfig::default(),
            &r,
            own(None, Attribution::Ran),
        );
        assert_eq!(strict, None, "judged like a new revision");
    }

    #[test]
    fn a_new_revision_or_an_assertions_expected_revision_counts() {
        let s = scope(History::Informational);
        let p = ScenariosConfig::default();
        let new = failed_at("000003");
        assert_eq!(verdict(&s, &p, &new, own(None, Attribution::Ran)), None);
        // An assertion names the revision it expected, not one that ran: it is about the
        // change under test whatever that revision is.
        let assertion = failed_at("000001");
        assert_eq!(
            verdict(&s, &p, &assertion, own(None, Attribution::Target)),
            None
        );
    }

    #[test]
    fn an_opinionated_check_set_to_warn_is_a_warning_and_required_counts() {
        let s = scope(History::Informational);
        let r = failed_at("000003");
        let warn = ScenariosConfig::default();
        let w = verdict(
            &s,
            &warn,
            &r,
            own(Some(StrictnessKey::Idempotency), Attribution::Ran),
        )
        .expect("a warning");
        assert_eq!(w.kind, WarningKind::Check);
        assert_eq!(w.check, Some(StrictnessKey::Idempotency));
        let required = ScenariosConfig {
            idempotency: Strictness::Required,
            ..ScenariosConfig::default()
        };
        let part = own(Some(StrictnessKey::Idempotency), Attribution::Ran);
        assert_eq!(verdict(&s, &required, &r, part), None);
    }

    fn step(status: Status, revision: &str) -> StepResult {
        let mut r = StepResult::new(StepAction::Upgrade, Said::raised("upgrade"));
        r.status = status;
        r.revision = Some(revision.into());
        r
    }

    fn history(revision: &str) -> Warning {
        Warning {
            kind: WarningKind::History,
            check: None,
            revision: Some(revision.into()),
            message: Said::raised("1091 boom"),
        }
    }

    /// A scenario whose one own step ended with `st`, settled with a probe answering `gone`
    /// (`None`: a probe that must not be asked).
    async fn settled(st: StepResult, gone: Option<bool>) -> (ScenarioResult, Server) {
        let mut result = ScenarioResult {
            steps: vec![st],
            reason: None,
            ..ScenarioResult::skipped("s", "S", "")
        };
        let ran = Ran {
            parts: vec![own(None, Attribution::Ran)],
            skip: None,
            demoted: vec![],
        };
        let new = ["000003".to_string()];
        let server = settle(
            &mut result,
            ran,
            &new,
            |_| "all good".into(),
            || async move { gone.expect("the server is probed only after a failure or an error") },
        )
        .await;
        (result, server)
    }

    #[tokio::test]
    async fn a_server_lost_during_the_scenario_turns_its_failure_into_an_error() {
        let (r, server) = settled(failed_at("000003"), Some(true)).await;
        assert_eq!(server, Server::Lost);
        assert_eq!(r.status, Status::Error);
        let reason = r
            .reason
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(reason.contains("stopped answering"), "{reason}");
        assert!(r.details.to_string().starts_with(&reason), "{}", r.details);
    }

    #[tokio::test]
    async fn a_server_still_answering_keeps_the_failure_a_verdict_on_the_migrations() {
        let (r, server) = settled(failed_at("000003"), Some(false)).await;
        assert_eq!(server, Server::Answering);
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.reason, None);
        assert_eq!(r.details, "1091 boom");
    }

    #[tokio::test]
    async fn a_passed_scenario_does_not_probe_the_server() {
        let (r, server) = settled(step(Status::Passed, "000003"), None).await;
        assert_eq!(server, Server::Answering);
        assert_eq!(r.status, Status::Passed);
        assert_eq!(r.details, "all good");
    }

    const WALK: Part = Part::Own {
        check: None,
        attributed: Attribution::Walk,
    };

    #[test]
    fn a_scenario_passes_only_when_one_of_its_own_steps_was_checked() {
        let new = ["000002".to_string()];
        let prepared = [step(Status::Passed, "000001")];
        let c = conclude(&prepared, &[Part::Prepare], &[], &new, false);
        assert_eq!(c.status, Status::Skipped, "preparing is not testing");
        let own = [
            step(Status::Passed, "000001"),
            step(Status::Passed, "000002"),
        ];
        let parts = [Part::Prepare, own_part()];
        assert_eq!(
            conclude(&own, &parts, &[], &new, false).status,
            Status::Passed
        );
        assert_eq!(
            conclude(&own, &parts, &[], &new, true).status,
            Status::Skipped
        );
    }

    fn own_part() -> Part {
        Part::Own {
            check: None,
            attributed: Attribution::Ran,
        }
    }

    #[test]
    fn an_error_outranks_a_failure_and_a_failure_a_pass() {
        let steps = [
            step(Status::Passed, "000001"),
            step(Status::Failed, "000002"),
            step(Status::Error, "000003"),
        ];
        let parts = [own_part(), own_part(), own_part()];
        assert_eq!(
            conclude(&steps, &parts, &[], &[], false).status,
            Status::Error
        );
        assert_eq!(
            conclude(&steps[..2], &parts[..2], &[], &[], false).status,
            Status::Failed
        );
    }

    #[test]
    fn a_failed_check_set_to_warn_still_tested_and_a_demoted_history_failure_did_not() {
        let mut check = step(Status::Failed, "000002");
        check.demoted = Some(WarningKind::Check);
        let c = conclude(&[check], &[own_part()], &[], &[], false);
        assert_eq!(c.status, Status::Passed);
        let mut old = step(Status::Failed, "000001");
        old.demoted = Some(WarningKind::History);
        let c = conclude(&[old], &[own_part()], &[history("000001")], &[], false);
        assert_eq!(c.status, Status::Skipped);
    }

    #[test]
    fn a_walk_stopped_by_history_before_the_new_revisions_tested_nothing_new() {
        let new = ["000003".to_string()];
        let mut stopped = step(Status::Failed, "000002");
        stopped.demoted = Some(WarningKind::History);
        let steps = [step(Status::Passed, "000001"), stopped];
        let c = conclude(&steps, &[WALK, WALK], &[history("000002")], &new, false);
        assert_eq!(c.status, Status::Skipped);
        assert_eq!(c.unreached, ["000003"]);
        // The same history failure after the walk reached the new revision: tested.
        let reached = [step(Status::Passed, "000003"), steps[1].clone()];
        let c = conclude(&reached, &[WALK, WALK], &[history("000002")], &new, false);
        assert_eq!(c.status, Status::Passed);
        assert!(c.unreached.is_empty());
    }
}
