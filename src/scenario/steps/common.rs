//! What every step shares: targets named in scenario files, a driver's `Execution` turned
//! into a `StepResult`, snapshots, and whether an outcome meets what a step expects.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::Expect;
use super::super::result::StepResult;
use crate::db::ServerError;
use crate::driver::{DbTarget, Execution, Outcome, Target};
use crate::findings::{Defect, Kind};
use crate::schema::{self, Snapshot};

/// What a per-revision step says of the older revisions `[scenarios] per_revision = "new"`
/// left out: a skip, not a pass, since nothing was checked for them.
pub(crate) fn older_left_out(
    action: &'static str,
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
    action: &str,
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
            if let Some(p) = &point {
                s.details.push(format!(
                    "failed at {}: {}",
                    p.position(),
                    one_line(&p.statement)
                ));
                for (i, a) in p.applied_before.iter().enumerate() {
                    s.details.push(format!(
                        "statement {} had run and stays applied (MySQL DDL commits as it goes): {}",
                        i + 1,
                        one_line(a)
                    ));
                }
            }
            let at = |r: &str| match &point {
                Some(p) => format!("{r}, {}", p.position()),
                None => r.to_string(),
            };
            // Other actions (the app, the model check) are classified by the report.
            let kind = match action {
                "upgrade" => Some(Kind::UpgradeFails),
                "downgrade" => Some(Kind::DowngradeFails),
                _ => None,
            };
            let why = match &e.error {
                Some(err) => err.to_string(),
                None => crate::driver::process::last_line(&e.log()),
            };
            let summary = match &s.revision {
                Some(r) => format!("{action} of {r} failed: {why}"),
                None => format!("{action} failed: {why}"),
            };
            s.defects.extend(kind.map(|kind| {
                Defect::new(kind, s.revision.as_deref(), summary)
                    .with_error(
                        e.error.clone(),
                        point
                            .as_ref()
                            .map(|p| p.statement.clone())
                            .or_else(|| e.failed_statement.clone()),
                    )
                    .with_statement_at(e.failed_at.clone())
            }));
            let what = match (&e.error, &e.failed_revision) {
                (Some(err), Some(r)) => format!("`{}` failed at {}: {err}", e.command, at(r)),
                (Some(err), None) => format!("`{}` failed: {err}", e.command),
                (None, _) => format!(
                    "`{}` failed{}: {}",
                    e.command,
                    e.exit_code
                        .map(|c| format!(" (exit {c})"))
                        .unwrap_or_default(),
                    crate::driver::process::last_line(&e.log())
                ),
            };
            s.fail(what)
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

/// An upgrade failing after a downgrade undid it (the walk's way up again, a scenario's
/// re-application): it went up once already, so this is the round trip's defect.
pub(crate) fn again_after_downgrade(r: &mut StepResult) {
    for d in &mut r.defects {
        d.kind = Kind::RoundTripFails;
        if let Some(rev) = d.revision.clone() {
            d.summary = d.summary.replacen(
                &format!("upgrade of {rev} failed"),
                &format!("upgrade of {rev} again after its downgrade failed"),
                1,
            );
        }
    }
}

/// A statement on one line, shortened for a message.
pub fn one_line(sql: &str) -> String {
    let s = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        format!("{}…", s.chars().take(300).collect::<String>())
    } else {
        s
    }
}

/// Kills every server connection still working in `db` (after a timeout, a hung
/// migration's session keeps its locks until killed).
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
}

pub(crate) async fn after(ctx: &RunContext, db: &DbTarget, e: &Execution) {
    if matches!(e.outcome, Outcome::TimedOut { .. }) {
        kill_connections(ctx, &db.database).await;
    }
}

pub async fn snapshot(ctx: &RunContext, db: &DbTarget) -> Result<Snapshot, String> {
    let mut c = db
        .conn
        .connect(Some(&db.database))
        .await
        .map_err(|e| e.to_string())?;
    let s = schema::take_snapshot(&mut c, &db.database, ctx.server.engine, &ctx.exclude())
        .await
        .map_err(|e| e.to_string());
    let _ = c.disconnect().await;
    s
}

/// Does `(ok, error)` meet `expect`? Returns what was expected vs what happened on failure.
pub fn meets(expect: Expect, ok: bool, error: Option<&ServerError>) -> Result<(), String> {
    match (expect, ok, error) {
        (Expect::Ok, true, _) => Ok(()),
        (Expect::Ok, false, Some(e)) => Err(format!("expected success, got {e}")),
        (Expect::Ok, false, None) => Err("expected success, it failed".into()),
        (Expect::AnyError, false, _) => Ok(()),
        (Expect::Error(c), false, Some(e)) if e.code == c => Ok(()),
        (Expect::Error(c), false, Some(e)) => Err(format!("expected error {c}, got {e}")),
        (Expect::Error(c), false, None) => Err(format!(
            "expected error {c}, it failed without a server error"
        )),
        (Expect::AnyError | Expect::Error(_), true, _) => {
            Err(format!("expected {}, it succeeded", String::from(expect)))
        }
    }
}
