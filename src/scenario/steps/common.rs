//! What every step shares: targets named in scenario files, a driver's `Execution` turned
//! into a `StepResult`, snapshots, and whether an outcome meets what a step expects.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::Expect;
use super::super::result::{StepAction, StepResult};
use super::failure::{CallFailed, Failed, How, StopLine, Tried};
use crate::db::DbError;
use crate::db::ServerError;
use crate::driver::{DbTarget, Execution, Outcome, Target};
use crate::findings::{Defect, Kind};
use crate::scenario::steps::Unmet;
use crate::schema::{self, Snapshot};

/// What a per-revision step says of the older revisions `[scenarios] per_revision = "new"`
/// left out: a skip, not a pass, since nothing was checked for them.
pub(crate) fn older_left_out(
    action: StepAction,
    left_out: usize,
    done: &str,
) -> Option<StepResult> {
    (left_out > 0).then(|| {
        StepResult::new(action, "older revisions").skip(format!(
            "{left_out} revision(s) before the revisions under test were not {done} \
             ([scenarios] per_revision = \"new\")"
        ))
    })
}

/// `baseline`/`head`/`base`/revision/`±N` → a driver target.
pub fn target_of(ctx: &RunContext, t: &str) -> Target {
    match t {
        "baseline" => match &ctx.plan.baseline {
            Some(b) => Target::Revision(b.clone()),
            None => Target::Base,
        },
        other => match Target::parse(other) {
            // Branch labels (`feature`, `feature@head`) and id prefixes name a revision.
            Target::Revision(r) if !ctx.plan.order().contains(&r) => {
                match ctx.driver.chain().resolve(&r) {
                    Ok(id) => Target::Revision(id),
                    Err(_) => Target::Revision(r),
                }
            }
            t => t,
        },
    }
}

/// `head (d1f2e3c4b5a6)`, `baseline (c682ef478e45)`, or the target as written.
pub fn label(ctx: &RunContext, t: &str) -> String {
    match t {
        "baseline" => format!(
            "baseline ({})",
            ctx.plan.baseline.as_deref().unwrap_or("base")
        ),
        "head" => format!("head ({})", ctx.plan.head.as_deref().unwrap_or("?")),
        other => other.to_string(),
    }
}

/// The revision a target names, for the version assertion and the report.
pub fn revision_of(ctx: &RunContext, t: &str) -> Option<String> {
    match target_of(ctx, t) {
        Target::Head => ctx.plan.head.clone(),
        Target::Base => None,
        Target::Revision(r) => Some(r),
        Target::Relative(_) => None,
    }
}

/// Turns a tool call into a step result: pass, fail (with the server's error), or error
/// (timed out, tool missing).
pub fn from_execution(
    action: StepAction,
    title: String,
    e: &Execution,
    revision: Option<String>,
) -> StepResult {
    let mut s = StepResult::new(action, title);
    s.command = Some(e.command.clone());
    s.exit_code = e.exit_code;
    s.duration_ms = e.duration_ms;
    let log = e.log();
    s.log = (!log.trim().is_empty()).then_some(log);
    s.error = e.error.clone();
    s.statement = e.failed_statement.clone();
    s.revision = e.failed_revision.clone().or(revision);
    match &e.outcome {
        Outcome::Succeeded => s,
        Outcome::Failed => {
            let point = e.failure_point();
            let stops = point.as_ref().map(StopLine::of).unwrap_or_default();
            s.details
                .extend(stops.iter().map(crate::said::Said::raised));
            // Other actions (the app, the model check) are classified by the report.
            let kind = match action {
                StepAction::Upgrade => Some(Kind::UpgradeFails),
                StepAction::Downgrade => Some(Kind::DowngradeFails),
                _ => None,
            };
            let summary = failed_summary(action, Tried::First, s.revision.as_deref(), e);
            s.defects.extend(kind.map(|kind| {
                Defect::new(kind, s.revision.as_deref(), summary)
                    .with_error(e.error.clone(), e.refused_statement())
                    .with_statement_at(e.failed_at.clone())
            }));
            let how = match &e.error {
                Some(error) => How::Refused {
                    error: error.clone(),
                    revision: e
                        .failed_revision
                        .clone()
                        .map(|r| (r, point.as_ref().map(|p| p.position()))),
                },
                None => How::Exited {
                    code: e.exit_code,
                    last_line: crate::driver::process::last_line(&e.log()),
                },
            };
            s.fail(crate::said::Said::raised(CallFailed {
                command: e.command.clone(),
                how,
            }))
        }
        Outcome::TimedOut { seconds } => s.error(format!(
            "`{}` timed out after {seconds} s and was killed",
            e.command
        )),
        Outcome::NotStarted { reason } => {
            s.error(format!("`{}` could not run: {reason}", e.command))
        }
    }
}

/// A failed call's defect summary (`upgrade of 3e51 failed: 1060 …`): the server's error,
/// else the tool's last words.
pub(crate) fn failed_summary(
    action: StepAction,
    tried: Tried,
    revision: Option<&str>,
    e: &Execution,
) -> String {
    let why = match &e.error {
        Some(err) => err.to_string(),
        None => crate::driver::process::last_line(&e.log()),
    };
    Failed {
        action,
        tried,
        revision: revision.map(str::to_string),
        why,
    }
    .to_string()
}

/// An upgrade failing after a downgrade undid it (the walk's way up again, a scenario's
/// re-application): it went up once already, so this is the round trip's defect. `e` is
/// the upgrade's execution that `r` was made from.
pub(crate) fn again_after_downgrade(r: &mut StepResult, e: &Execution) {
    for d in &mut r.defects {
        d.kind = Kind::RoundTripFails;
        if d.revision.is_some() {
            d.summary = crate::said::Said::raised(failed_summary(
                StepAction::Upgrade,
                Tried::AgainAfterDowngrade,
                d.revision.as_deref(),
                e,
            ));
        }
    }
}

/// Kills every server connection still working in `db` (after a timeout, a hung
/// migration's session keeps its locks until killed).
/// `r` as an error after its statement outlived the step timeout: the statement's
/// connections are killed first, so the next step does not wait on its locks.
pub async fn killed_at_timeout(ctx: &RunContext, db: &DbTarget, r: StepResult) -> StepResult {
    kill_connections(ctx, &db.database).await;
    r.error(format!(
        "timed out after {} s and was killed",
        db.timeout.as_secs()
    ))
}

pub async fn kill_connections(ctx: &RunContext, db: &str) {
    let Ok(mut c) = ctx.server.admin().await else {
        return;
    };
    let ids: Vec<u64> = c
        .exec(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()",
            (db,),
        )
        .await
        .unwrap_or_default();
    for id in ids {
        let _ = c.query_drop(format!("KILL {id}")).await;
    }
    let _ = c.disconnect().await;
    // Idle pooled connections to it were killed too.
    ctx.server.forget(db).await;
}

pub(crate) async fn after(ctx: &RunContext, db: &DbTarget, e: &Execution) {
    if matches!(e.outcome, Outcome::TimedOut { .. }) {
        kill_connections(ctx, &db.database).await;
    }
}

pub async fn snapshot(ctx: &RunContext, db: &DbTarget) -> Result<Snapshot, DbError> {
    let mut c = db.connect().await?;
    let s = schema::take_snapshot(&mut c, &db.database, ctx.server.engine, &ctx.exclude())
        .await
        .map_err(DbError::from);
    let _ = c.disconnect().await;
    s
}

/// Does `(ok, error)` meet `expect`? Returns what was expected vs what happened on failure.
pub fn meets(expect: Expect, ok: bool, error: Option<&ServerError>) -> Result<(), Unmet> {
    match (expect, ok, error) {
        (Expect::Ok, true, _) => Ok(()),
        (Expect::Ok, false, got) => Err(Unmet::ExpectedSuccess { got: got.cloned() }),
        (Expect::AnyError, false, _) => Ok(()),
        (Expect::Error(c), false, Some(e)) if e.code == c => Ok(()),
        (Expect::Error(code), false, got) => Err(Unmet::ExpectedError {
            code,
            got: got.cloned(),
        }),
        (Expect::AnyError | Expect::Error(_), true, _) => {
            Err(Unmet::Succeeded { expected: expect })
        }
    }
}
