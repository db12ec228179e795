//! Executes one `Step` against a scenario's database and turns what happened into
//! `StepResult`s (expected vs actual). The chain walk and probes live in their own files.

mod baseline;
mod changes;
mod checks;
mod common;
mod compat;
mod deploy;
mod error;
mod failure;
mod fork;
mod halfapplied;
mod online;
mod online_timing;
mod query;
mod resume;
mod roundtrip;
mod text;
mod tracked;
mod walk;

use super::context::RunContext;
use super::model::Step;
use super::result::{StepAction, StepResult};
use super::state::{ScenarioState, StepOutcome};
use crate::said::{Call, Run};

pub(crate) use baseline::prepare_baseline;
pub(crate) use common::revision_of;
use common::{after, again_after_downgrade, from_execution, label, snapshot, target_of};
pub use error::Unmet;

pub async fn run_step(ctx: &RunContext, state: &mut ScenarioState, step: &Step) -> StepOutcome {
    let started = std::time::Instant::now();
    let mut outcome = run_step_inner(ctx, state, step).await;
    if let [one] = outcome.results.as_mut_slice() {
        if one.duration_ms == 0 {
            one.duration_ms = started.elapsed().as_millis() as u64;
        }
    }
    outcome
}

async fn run_step_inner(ctx: &RunContext, state: &mut ScenarioState, step: &Step) -> StepOutcome {
    let db = state.db.clone();
    match step {
        Step::Upgrade { target } | Step::Downgrade { target } | Step::Stamp { target } => {
            let t = target_of(ctx, target);
            let down = matches!(step, Step::Downgrade { .. });
            // Where a downgrade starts: the revision it undoes first is the one to blame.
            let from = if down {
                ctx.driver
                    .version(&db)
                    .await
                    .ok()
                    .and_then(|v| v.current(ctx.plan.order()))
            } else {
                None
            };
            let e = match step {
                Step::Upgrade { .. } => ctx.driver.upgrade(&db, &t).await,
                Step::Downgrade { .. } => ctx.driver.downgrade(&db, &t).await,
                _ => ctx.driver.stamp(&db, &t).await,
            };
            after(ctx, &db, &e).await;
            let came_down = state.downgraded.is_some();
            state.downgraded = down.then(|| (from, t.clone()));
            let call = match step {
                Step::Upgrade { .. } => Call::Upgrade,
                Step::Downgrade { .. } => Call::Downgrade,
                _ => Call::Stamp,
            };
            let title = Run::Migrate {
                call,
                target: label(ctx, target),
            };
            let mut r = from_execution(step.action(), title, &e, revision_of(ctx, target));
            if down && e.failed_revision.is_none() {
                // The driver could not say which migration failed: not the target (it is
                // what the downgrade goes to), the one it undid if it undid one.
                let undone = state.undone(ctx.plan.order());
                for d in &mut r.defects {
                    d.revision = undone.clone();
                }
            }
            if came_down && matches!(step, Step::Upgrade { .. }) {
                again_after_downgrade(&mut r, &e);
            }
            r.into()
        }
        Step::Snapshot { name } => match snapshot(ctx, &db).await {
            Ok(s) => {
                let r = StepResult::new(StepAction::Snapshot, snapshot_title(name)).detail(
                    Run::SnapshotTaken {
                        tables: s.tables.len(),
                        name: name.clone(),
                    },
                );
                state.snapshots.insert(name.clone(), s);
                r.into()
            }
            Err(e) => StepResult::new(StepAction::Snapshot, snapshot_title(name))
                .error(e)
                .into(),
        },
        Step::ReferenceSnapshot { name, target } => {
            checks::reference_snapshot(ctx, state, name, target)
                .await
                .into()
        }
        Step::AssertSchemaEquals { name } => {
            checks::assert_schema_equals(ctx, state, name).await.into()
        }
        Step::AssertVersion { target } => checks::assert_version(ctx, &db, target).await.into(),
        Step::AssertQuery { sql, rows } => query::assert_query(ctx, &db, sql, rows).await.into(),
        Step::ReportDiff { from, to } => checks::report_diff(state, from, to).into(),
        Step::Sql { sql, expect } => checks::sql_step(ctx, &db, sql, *expect).await.into(),
        Step::SeedData => checks::seed_data(ctx, state).await.into(),
        Step::AssertDataPreserved => checks::assert_data_preserved(ctx, state).await.into(),
        Step::Probes {
            model,
            against,
            expect,
            skip_if_none,
        } => {
            checks::probes(
                ctx,
                state,
                model,
                against.as_deref(),
                *expect,
                *skip_if_none,
            )
            .await
        }
        Step::AppCommand { expect } => checks::app_command(ctx, &db, *expect).await.into(),
        Step::ModelCheck => checks::model_check(ctx, &db).await.into(),
        Step::ChainChecks => walk::chain_checks(ctx, &db).await.into(),
        Step::Walk => walk::walk(ctx, state).await,
        Step::Deploy => deploy::deploy(ctx, state).await,
        Step::RoundTrips { parent } => roundtrip::round_trips(ctx, state, *parent).await,
        Step::CrashResume => resume::crash_resume(ctx, state).await,
        Step::OnlineDdl => online::online_ddl(ctx, state).await,
        Step::Reset => checks::reset(ctx, state).await,
        Step::Hotfix { from, to } => checks::hotfix(ctx, state, from, to).await.into(),
        Step::ReleaseCode { release } => compat::release_code(ctx, state, *release).await,
        // A marker the runner reads; nothing to execute.
        Step::BeginCheck { .. } => StepOutcome {
            results: vec![],
            skip_scenario: None,
        },
    }
}

fn snapshot_title(name: &str) -> Run {
    Run::SnapshotTitle {
        name: name.to_string(),
    }
}
