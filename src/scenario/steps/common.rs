//! What every step shares: targets named in scenario files, a driver's `Execution` turned
//! into a `StepResult`, snapshots, and whether an outcome meets what a step expects.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::Expect;
use super::super::result::{StepAction, StepResult};
use super::text::short;
use crate::db::DbError;
use crate::db::ServerError;
use crate::driver::{DbTarget, Execution, Outcome, Target};
use crate::findings::{Defect, Kind};
use crate::said::{
    Call, CallFailed, Failed, How, Quoted, Run, Said, StopLine, Target as Named, Tried,
};
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
        StepResult::new(action, Run::OlderTitle).skip(Run::OlderLeftOut {
            left_out,
            done: done.to_string(),
        })
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

/// `head (d1f2e3c4b5a6)`, `baseline (c682ef478e45)`, or the target as written (a
/// revision of the chain when it names one).
pub fn label(ctx: &RunContext, t: &str) -> Named {
    match t {
        "baseline" => Named::Baseline(ctx.plan.baseline.clone()),
        "head" => Named::Head(ctx.plan.head.clone()),
        r if ctx.plan.order().iter().any(|o| o == r) => Named::Revision(r.to_string()),
        other => Named::Word(other.to_string()),
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
    title: impl Into<Said>,
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
            let stops = point
                .as_ref()
                .map(|p| StopLine::of(p, |sql| short(sql, 300)))
                .unwrap_or_default();
            s.details.extend(stops.into_iter().map(Said::from));
            // Other actions (the app, the model check) are classified by the report.
            let kind = match action {
                StepAction::Upgrade => Some((Kind::UpgradeFails, Call::Upgrade)),
                StepAction::Downgrade => Some((Kind::DowngradeFails, Call::Downgrade)),
                _ => None,
            };
            s.defects.extend(kind.map(|(kind, call)| {
                let summary = failed_summary(call, Tried::First, s.revision.as_deref(), e);
                Defect::new(kind, s.revision.as_deref(), summary)
                    .with_error(e.error.clone(), e.refused_statement())
                    .with_statement_at(e.failed_at.clone())
            }));
            let how = match &e.error {
                Some(error) => How::Refused {
                    error: Quoted::new(error),
                    revision: e
                        .failed_revision
                        .clone()
                        .map(|r| (r, point.as_ref().map(|p| p.position()))),
                },
                None => How::Exited {
                    code: e.exit_code,
                    last_line: Quoted::new(crate::driver::process::last_line(&e.log())),
                },
            };
            s.fail(CallFailed {
                command: Quoted::new(&e.command),
                how,
            })
        }
        Outcome::TimedOut { seconds } => s.error(Run::CallTimedOut {
            command: Quoted::new(&e.command),
            seconds: *seconds,
        }),
        Outcome::NotStarted { reason } => s.error(Run::CouldNotRun {
            command: Quoted::new(&e.command),
            reason: Quoted::new(reason),
        }),
    }
}

/// A failed call's defect summary (`upgrade of 3e51 failed: 1060 …`): the server's error,
/// else the tool's last words.
pub(crate) fn failed_summary(
    call: Call,
    tried: Tried,
    revision: Option<&str>,
    e: &Execution,
) -> Said {
    let why = match &e.error {
        Some(err) => Quoted::new(err),
        None => Quoted::new(crate::driver::process::last_line(&e.log())),
    };
    Failed {
        call,
        tried,
        revision: revision.map(str::to_string),
        why,
    }
    .into()
}

/// An upgrade failing after a downgrade undid it (the walk's way up again, a scenario's
/// re-application): it went up once already, so this is the round trip's defect. `e` is
/// the upgrade's execution that `r` was made from.
pub(crate) fn again_after_downgrade(r: &mut StepResult, e: &Execution) {
    for d in &mut r.defects {
        d.kind = Kind::RoundTripFails;
        if d.revision.is_some() {
            d.summary = failed_summary(
                Call::Upgrade,
                Tried::AgainAfterDowngrade,
                d.revision.as_deref(),
                e,
            );
        }
    }
}

/// Kills every server connection still working in `db` (after a timeout, a hung
/// migration's session keeps its locks until killed).
/// `r` as an error after its statement outlived the step timeout: the statement's
/// connections are killed first, so the next step does not wait on its locks.
pub async fn killed_at_timeout(ctx: &RunContext, db: &DbTarget, r: StepResult) -> StepResult {
    kill_connections(ctx, &db.database).await;
    r.error(Run::KilledAtTimeout {
        seconds: db.timeout.as_secs(),
    })
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
