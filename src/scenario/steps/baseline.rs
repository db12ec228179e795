//! The baseline every scenario starting there gets: prepared once per run in a database of
//! its own and copied, or replayed by a scenario whose state cannot be copied.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::result::{Status, StepAction, StepPhase, StepResult};
use super::super::state::{BaselineTemplate, ScenarioState};
use super::common::{after, from_execution, snapshot};
use super::fork;
use crate::db::server_error;
use crate::driver::{DbTarget, Target};
use crate::said::{Check, Fate, Left, Quoted, Said};

/// Whether scenarios copy the run's prepared baseline (`MH_PREPARE=replay`: each replays
/// the chain up to it, as the copy stands for).
pub(crate) fn copy_prepared() -> bool {
    std::env::var("MH_PREPARE").map_or(true, |v| v != "replay")
}

/// Brings a fresh database to the baseline (upgrade, drift fixture, snapshot). The run
/// prepares it once and each scenario gets a copy of its tables and rows, as the round trips
/// copy their parent states; a scenario replays it itself when that state cannot be copied
/// (views, triggers, routines) or its preparation failed (so each reports its own failure).
pub async fn prepare_baseline(ctx: &RunContext, state: &mut ScenarioState) -> Vec<StepResult> {
    if !copy_prepared() {
        return replay_baseline(ctx, state).await;
    }
    let template = ctx
        .baseline_template
        .get_or_init(|| async {
            let name = match ctx.server.create_database().await {
                Ok(n) => n,
                Err(e) => {
                    return BaselineTemplate {
                        database: String::new(),
                        results: vec![StepResult {
                            phase: StepPhase::Prepare,
                            ..StepResult::new(StepAction::Sql, Left::PrepareTitle)
                                .error(Said::raised(e))
                        }],
                        snapshot: None,
                    }
                }
            };
            let mut scratch = ScenarioState::new(ctx.db(&name));
            let results = replay_baseline(ctx, &mut scratch).await;
            BaselineTemplate {
                database: name,
                results,
                snapshot: scratch.snapshots.remove("baseline"),
            }
        })
        .await;
    let prepared = template.results.iter().all(|r| r.status == Status::Passed);
    if let (true, Some(snap)) = (prepared, &template.snapshot) {
        let started = std::time::Instant::now();
        let from = ctx.db(&template.database);
        match fork::copy_into(ctx, &from, &state.db.database).await {
            Ok(()) => {
                state.snapshots.insert("baseline".into(), snap.clone());
                let copied = started.elapsed().as_millis() as u64;
                return template
                    .results
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut r = r.clone();
                        r.duration_ms = if i == 0 { copied } else { 0 };
                        if i == 0 {
                            r.details.push(Left::PreparedOnce.into());
                        }
                        r
                    })
                    .collect();
            }
            Err(_) => {
                // A half-made copy is no fresh database: replay on a new one.
                if let Ok(name) = ctx.server.create_database().await {
                    state.created(name.clone());
                    state.db = ctx.db(&name);
                }
            }
        }
    }
    replay_baseline(ctx, state).await
}

/// Upgrades a fresh database to the baseline and applies the drift fixture: the steps of
/// the `Prepare` phase.
pub(crate) async fn replay_baseline(
    ctx: &RunContext,
    state: &mut ScenarioState,
) -> Vec<StepResult> {
    let mut out = prepare_steps(ctx, state).await;
    for r in &mut out {
        r.phase = StepPhase::Prepare;
    }
    out
}

async fn prepare_steps(ctx: &RunContext, state: &mut ScenarioState) -> Vec<StepResult> {
    let mut out = Vec::new();
    if let Some(b) = &ctx.plan.baseline {
        let e = ctx
            .driver
            .upgrade(&state.db, &Target::Revision(b.clone()))
            .await;
        after(ctx, &state.db, &e).await;
        let r = from_execution(
            StepAction::Upgrade,
            Left::UpgradeToBaseline {
                revision: b.clone(),
            },
            &e,
            Some(b.clone()),
        );
        let ok = r.status == Status::Passed;
        out.push(r);
        if !ok {
            return out;
        }
    }
    if !ctx.setup_sql.is_empty() {
        let mut r = StepResult::new(StepAction::Sql, Left::DriftFixtureTitle);
        match run_sql_list(&state.db, &ctx.setup_sql).await {
            Ok(ms) => {
                r.duration_ms = ms;
                r.details = ctx
                    .setup_sql
                    .iter()
                    .map(|s| {
                        Check::Statement {
                            fate: Fate::Applied,
                            sql: Quoted::new(s),
                        }
                        .into()
                    })
                    .collect();
            }
            Err((stmt, err)) => {
                r = r.fail(Left::DriftFixtureRefused {
                    error: Quoted::new(&err),
                    statement: Quoted::new(stmt),
                });
                r.error = server_error(&err);
                out.push(r);
                return out;
            }
        }
        out.push(r);
    }
    match snapshot(ctx, &state.db).await {
        Ok(s) => {
            state.snapshots.insert("baseline".into(), s);
        }
        Err(e) => {
            out.push(StepResult::new(StepAction::Snapshot, Left::SnapshotBaselineTitle).error(e))
        }
    }
    out
}

pub(crate) async fn run_sql_list(
    db: &DbTarget,
    sql: &[String],
) -> Result<u64, (String, mysql_async::Error)> {
    let start = std::time::Instant::now();
    let mut c = db
        .connect()
        .await
        .map_err(|e| (String::new(), e.into_source()))?;
    for s in sql {
        let r = tokio::time::timeout(db.timeout, c.query_drop(s.as_str())).await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err((s.clone(), e)),
            Err(_) => {
                return Err((
                    s.clone(),
                    mysql_async::Error::Other(
                        format!("timed out after {} s", db.timeout.as_secs()).into(),
                    ),
                ))
            }
        }
    }
    let _ = c.disconnect().await;
    Ok(start.elapsed().as_millis() as u64)
}
