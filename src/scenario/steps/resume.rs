//! `crash_resume`: for every revision whose migration sends several statements, stop it
//! after statement k (as a crashed deploy would), deploy again, and check the schema reaches
//! the clean install's. MySQL DDL commits as it goes, so a re-run meets what already ran.

use crate::findings::{Defect, Kind};
use futures_util::StreamExt;

use super::super::context::RunContext;
use super::super::result::{StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::common::snapshot;
use super::fork::clone_database;
use crate::driver::{DbTarget, Outcome, StatementSource, Target};
use crate::schema::{diff, Snapshot};

/// How the deploy after a crash ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resume {
    /// The re-run reached the clean install's schema.
    Recovers,
    /// The re-run failed: the deploy would crash-loop.
    CrashLoops(String),
    /// The tool refuses to run until someone intervenes (a dirty version); what deploying
    /// again does after the documented fix (forcing the version back to the parent).
    Blocked(String, String),
    /// The re-run succeeded but left a different schema.
    Diverges(String),
    /// The harness could not set the crash up.
    NotMeasured(String),
}

pub async fn crash_resume(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let title = "crash-resume: stop after each statement, deploy again";
    if ctx.plan.chain.has_errors() {
        return StepResult::new(StepAction::CrashResume, title)
            .skip("the revision graph is broken")
            .into();
    }
    let order = ctx.plan.order().to_vec();
    let spine = state.db.clone();
    let mut out = Vec::new();
    let mut left_out = 0;
    for rev in &order {
        if !ctx.plan.exercises(rev) {
            // Only the spine moves on: the revisions under test start from its state.
            let e = ctx
                .driver
                .upgrade(&spine, &Target::Revision(rev.clone()))
                .await;
            if !e.ok() {
                out.push(unreachable(rev));
                break;
            }
            // Another partition's revision is its own business, not one left out.
            left_out += usize::from(!ctx.plan.in_policy(rev));
            continue;
        }
        // The parent state, kept aside before the spine moves on.
        let parent = match clone_database(ctx, &spine).await {
            Ok(n) => n,
            Err(e) => {
                out.push(
                    StepResult::new(StepAction::CrashResume, format!("crash-resume {rev}"))
                        .skip(format!("cannot copy the parent state: {e}")),
                );
                break;
            }
        };
        let e = ctx
            .driver
            .upgrade(&spine, &Target::Revision(rev.clone()))
            .await;
        let n = e
            .statements
            .iter()
            .filter(|s| {
                s.source == StatementSource::Migration && s.revision.as_deref() == Some(rev)
            })
            .count();
        if !e.ok() {
            let _ = ctx.server.drop_database(&parent).await;
            out.push(unreachable(rev));
            break;
        }
        if e.statements.is_empty() {
            let _ = ctx.server.drop_database(&parent).await;
            return skip_all(title, "statement capture unavailable for this driver");
        }
        if n < 2 {
            let _ = ctx.server.drop_database(&parent).await;
            // Said for the revisions under test only: on a long chain the rest is noise.
            if ctx.plan.scope.new.contains(rev) {
                let mut r = StepResult::new(StepAction::CrashResume, format!("crash-resume {rev}"))
                    .detail(format!(
                    "{rev} sends {n} statement(s): there is no point between statements to stop at"
                ));
                r.revision = Some(rev.clone());
                out.push(r);
            }
            continue;
        }
        let clean = match snapshot(ctx, &spine).await {
            Ok(s) => s,
            Err(err) => {
                let _ = ctx.server.drop_database(&parent).await;
                out.push(
                    StepResult::new(StepAction::CrashResume, format!("crash-resume {rev}"))
                        .error(err),
                );
                break;
            }
        };
        let started = std::time::Instant::now();
        let parent_db = ctx.db(&parent);
        let pos = order.iter().position(|o| o == rev).unwrap_or(0);
        let prev = pos.checked_sub(1).map(|j| order[j].as_str());
        let verdicts: Vec<(usize, Resume)> = futures_util::stream::iter(1..n)
            .map(|k| {
                let parent_db = parent_db.clone();
                let clean = &clean;
                async move { (k, crash_point(ctx, &parent_db, rev, prev, k, clean).await) }
            })
            .buffered(ctx.jobs.max(1))
            .collect()
            .await;
        let _ = ctx.server.drop_database(&parent).await;
        let mut r = verdict(rev, n, &verdicts);
        r.duration_ms = started.elapsed().as_millis() as u64;
        out.push(r);
    }
    if out.is_empty() {
        out.push(
            StepResult::new(StepAction::CrashResume, title)
                .detail("no revision sends more than one statement: nothing can stop half-way"),
        );
    }
    out.extend(super::common::older_left_out(
        StepAction::CrashResume,
        left_out,
        "crashed",
    ));
    StepOutcome {
        results: out,
        skip_scenario: None,
    }
}

/// The spine could not go up through `rev`: nothing after it can be reached.
fn unreachable(rev: &str) -> StepResult {
    StepResult::new(StepAction::CrashResume, format!("crash-resume {rev}")).skip(format!(
        "{rev} does not upgrade on a clean database; later revisions are not reachable"
    ))
}

fn skip_all(title: &str, why: &str) -> StepOutcome {
    StepOutcome {
        results: vec![StepResult::new(StepAction::CrashResume, title).skip(why)],
        skip_scenario: Some(why.to_string()),
    }
}

/// One crash: a copy of the parent state, the migration of `rev` stopped after statement
/// `k`, then the deploy run again.
async fn crash_point(
    ctx: &RunContext,
    parent: &DbTarget,
    rev: &str,
    prev: Option<&str>,
    k: usize,
    clean: &Snapshot,
) -> Resume {
    let name = match clone_database(ctx, parent).await {
        Ok(n) => n,
        Err(e) => return Resume::NotMeasured(e.to_string()),
    };
    let db = ctx.db(&name);
    let target = Target::Revision(rev.to_string());
    let v = async {
        let Some(e) = ctx.driver.upgrade_interrupted(&db, &target, k).await else {
            return Resume::NotMeasured(
                "the driver cannot stop a migration between statements".into(),
            );
        };
        if e.error.is_some()
            || matches!(
                e.outcome,
                Outcome::TimedOut { .. } | Outcome::NotStarted { .. }
            )
        {
            return Resume::NotMeasured(format!(
                "stopping after statement {k} failed: {}",
                e.stderr.trim()
            ));
        }
        let again = ctx.driver.upgrade(&db, &target).await;
        if !again.ok() {
            return match &again.error {
                Some(err) => Resume::CrashLoops(err.to_string()),
                None => {
                    // golang-migrate's `force`, sqlx's "remove the row": back to the parent.
                    let to = prev.map_or(Target::Base, |p| Target::Revision(p.to_string()));
                    let forced = ctx.driver.stamp(&db, &to).await;
                    let after = if !forced.ok() {
                        "forcing the version back failed too".to_string()
                    } else {
                        let e = ctx.driver.upgrade(&db, &target).await;
                        match (&e.error, e.ok()) {
                            (_, true) => match snapshot(ctx, &db).await {
                                Ok(s) if diff(clean, &s).is_empty() => {
                                    "after forcing the version back to the parent, deploying again recovers".to_string()
                                }
                                Ok(_) => "after forcing the version back to the parent, deploying again leaves a schema unlike a clean install".to_string(),
                                Err(e) => e.to_string(),
                            },
                            (Some(err), false) => format!(
                                "after forcing the version back to the parent, deploying again fails with {err}"
                            ),
                            (None, false) => format!(
                                "after forcing the version back, deploying again fails: {}",
                                e.stderr.trim()
                            ),
                        }
                    };
                    Resume::Blocked(again.stderr.trim().to_string(), after)
                }
            };
        }
        match snapshot(ctx, &db).await {
            Ok(s) => {
                let changes = diff(clean, &s);
                if changes.is_empty() {
                    Resume::Recovers
                } else {
                    Resume::Diverges(
                        changes
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                }
            }
            Err(e) => Resume::NotMeasured(e.to_string()),
        }
    }
    .await;
    let _ = ctx.server.drop_database(&name).await;
    v
}

/// One step result per revision; `warn` keeps the findings as warnings.
/// A failed step when a crash point does not recover; `[scenarios] resumable` decides in
/// the runner whether that fails the run (`required`) or is a warning (`warn`, the default).
fn verdict(rev: &str, n: usize, verdicts: &[(usize, Resume)]) -> StepResult {
    let mut r = StepResult::new(
        StepAction::CrashResume,
        format!("crash-resume {rev}: stop after each of its {n} statements, deploy again"),
    );
    r.revision = Some(rev.to_string());
    let mut problems = Vec::new();
    for (k, v) in verdicts {
        let at = format!("crash after statement {k} of {n}");
        match v {
            Resume::Recovers => r
                .details
                .push(format!("{at}: deploying again recovers").into()),
            Resume::CrashLoops(e) => problems.push(format!(
                "{at}: deploying again fails with {e} (the deploy would crash-loop)"
            )),
            Resume::Blocked(msg, after) => problems.push(format!(
                "{at}: the tool refuses to run again until fixed by hand: {msg}; {after}"
            )),
            Resume::Diverges(d) => problems.push(format!(
                "{at}: deploying again succeeds but the schema differs from a clean install: {d}"
            )),
            Resume::NotMeasured(why) => r
                .details
                .push(format!("{at}: not measured (harness limitation: {why})").into()),
        }
    }
    if problems.is_empty() {
        return r;
    }
    let msg = format!("{rev} is not resumable: {}", problems.join("; "));
    // One line for the finding: how many crash points fail, and the first one's outcome.
    let points = verdicts.len();
    let summary = if problems.len() == 1 {
        format!("{rev} is not resumable: {}", problems[0])
    } else {
        format!(
            "{rev} is not resumable: {} of {points} crash points do not recover; first: {}",
            problems.len(),
            problems[0]
        )
    };
    r.details
        .extend(problems.iter().map(crate::said::Said::from));
    r.fail(msg)
        .defect(Defect::new(Kind::NotResumable, Some(rev), summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::result::Status;

    #[test]
    fn a_crash_point_that_does_not_recover_fails_the_step() {
        let v = vec![
            (1, Resume::Recovers),
            (
                2,
                Resume::CrashLoops("1060 (42S21): Duplicate column name 'b'".into()),
            ),
        ];
        let r = verdict("2", 3, &v);
        assert_eq!(r.status, Status::Failed);
        assert!(r
            .message
            .unwrap()
            .to_string()
            .contains("crash after statement 2 of 3"));
        let ok = verdict("2", 3, &[(1, Resume::Recovers)]);
        assert_eq!(ok.status, Status::Passed);
    }
}
