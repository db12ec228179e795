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
use crate::said::{AfterCrash, AfterForce, Common, NotMeasured, Quoted, Resume, Said};
use crate::schema::{diff, Snapshot};

pub async fn crash_resume(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    if ctx.plan.chain.has_errors() {
        return StepResult::new(StepAction::CrashResume, Resume::Title)
            .skip(Common::NotRunBecauseGraphBroken)
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
                    StepResult::new(StepAction::CrashResume, rev_title(rev))
                        .skip(Resume::CannotCopyParent(Quoted::new(e))),
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
            return skip_all(Resume::NoCapture);
        }
        if n < 2 {
            let _ = ctx.server.drop_database(&parent).await;
            // Said for the revisions under test only: on a long chain the rest is noise.
            if ctx.plan.scope.new.contains(rev) {
                let mut r = StepResult::new(StepAction::CrashResume, rev_title(rev)).detail(
                    Resume::TooFewStatements {
                        rev: rev.clone(),
                        n,
                    },
                );
                r.revision = Some(rev.clone());
                out.push(r);
            }
            continue;
        }
        let clean = match snapshot(ctx, &spine).await {
            Ok(s) => s,
            Err(err) => {
                let _ = ctx.server.drop_database(&parent).await;
                out.push(StepResult::new(StepAction::CrashResume, rev_title(rev)).error(err));
                break;
            }
        };
        let started = std::time::Instant::now();
        let parent_db = ctx.db(&parent);
        let pos = order.iter().position(|o| o == rev).unwrap_or(0);
        let prev = pos.checked_sub(1).map(|j| order[j].as_str());
        let verdicts: Vec<(usize, AfterCrash)> = futures_util::stream::iter(1..n)
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
            StepResult::new(StepAction::CrashResume, Resume::Title).detail(Resume::NothingToStop),
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

fn rev_title(rev: &str) -> Resume {
    Resume::RevTitle {
        rev: rev.to_string(),
    }
}

/// The spine could not go up through `rev`: nothing after it can be reached.
fn unreachable(rev: &str) -> StepResult {
    StepResult::new(StepAction::CrashResume, rev_title(rev)).skip(Resume::Unreachable {
        rev: rev.to_string(),
    })
}

fn skip_all(why: Resume) -> StepOutcome {
    StepOutcome {
        skip_scenario: Some(why.clone().into()),
        results: vec![StepResult::new(StepAction::CrashResume, Resume::Title).skip(why)],
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
) -> AfterCrash {
    let not_measured =
        |e: &dyn std::fmt::Display| AfterCrash::NotMeasured(NotMeasured::Harness(Quoted::new(e)));
    let name = match clone_database(ctx, parent).await {
        Ok(n) => n,
        Err(e) => return not_measured(&e),
    };
    let db = ctx.db(&name);
    let target = Target::Revision(rev.to_string());
    let v = async {
        let Some(e) = ctx.driver.upgrade_interrupted(&db, &target, k).await else {
            return AfterCrash::NotMeasured(NotMeasured::CannotStop);
        };
        if e.error.is_some()
            || matches!(
                e.outcome,
                Outcome::TimedOut { .. } | Outcome::NotStarted { .. }
            )
        {
            return AfterCrash::NotMeasured(NotMeasured::StopFailed {
                k,
                output: Quoted::new(e.stderr.trim()),
            });
        }
        let again = ctx.driver.upgrade(&db, &target).await;
        if !again.ok() {
            return match &again.error {
                Some(err) => AfterCrash::CrashLoops(Quoted::new(err)),
                None => {
                    // golang-migrate's `force`, sqlx's "remove the row": back to the parent.
                    let to = prev.map_or(Target::Base, |p| Target::Revision(p.to_string()));
                    let forced = ctx.driver.stamp(&db, &to).await;
                    let after = if !forced.ok() {
                        AfterForce::ForceFailed
                    } else {
                        let e = ctx.driver.upgrade(&db, &target).await;
                        match (&e.error, e.ok()) {
                            (_, true) => match snapshot(ctx, &db).await {
                                Ok(s) if diff(clean, &s).is_empty() => AfterForce::Recovers,
                                Ok(_) => AfterForce::UnlikeClean,
                                Err(e) => AfterForce::Unreadable(Quoted::new(e)),
                            },
                            (Some(err), false) => AfterForce::FailsWith(Quoted::new(err)),
                            (None, false) => AfterForce::Fails(Quoted::new(e.stderr.trim())),
                        }
                    };
                    AfterCrash::Blocked {
                        tool: Quoted::new(again.stderr.trim()),
                        after,
                    }
                }
            };
        }
        match snapshot(ctx, &db).await {
            Ok(s) => {
                let changes = diff(clean, &s);
                if changes.is_empty() {
                    AfterCrash::Recovers
                } else {
                    AfterCrash::Diverges(Quoted::new(
                        changes
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ))
                }
            }
            Err(e) => not_measured(&e),
        }
    }
    .await;
    let _ = ctx.server.drop_database(&name).await;
    v
}

/// One step result per revision; `warn` keeps the findings as warnings.
/// A failed step when a crash point does not recover; `[scenarios] resumable` decides in
/// the runner whether that fails the run (`required`) or is a warning (`warn`, the default).
fn verdict(rev: &str, n: usize, verdicts: &[(usize, AfterCrash)]) -> StepResult {
    let mut r = StepResult::new(
        StepAction::CrashResume,
        Resume::VerdictTitle {
            rev: rev.to_string(),
            n,
        },
    );
    r.revision = Some(rev.to_string());
    let mut problems = Vec::new();
    for (k, v) in verdicts {
        let point = Resume::Point {
            k: *k,
            n,
            after: v.clone(),
        };
        match v {
            AfterCrash::Recovers | AfterCrash::NotMeasured(_) => r.details.push(point.into()),
            AfterCrash::CrashLoops(_) | AfterCrash::Blocked { .. } | AfterCrash::Diverges(_) => {
                problems.push(point)
            }
        }
    }
    if problems.is_empty() {
        return r;
    }
    // One line for the finding: how many crash points fail, and the first one's outcome.
    let summary = if problems.len() == 1 {
        Resume::NotResumable {
            rev: rev.to_string(),
            problems: problems.clone(),
        }
    } else {
        Resume::NotResumableCount {
            rev: rev.to_string(),
            failing: problems.len(),
            points: verdicts.len(),
            first: Box::new(problems[0].clone()),
        }
    };
    r.details.extend(problems.iter().cloned().map(Said::from));
    let msg = Resume::NotResumable {
        rev: rev.to_string(),
        problems,
    };
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
            (1, AfterCrash::Recovers),
            (
                2,
                AfterCrash::CrashLoops(Quoted::new("1060 (42S21): Duplicate column name 'b'")),
            ),
        ];
        let r = verdict("2", 3, &v);
        assert_eq!(r.status, Status::Failed);
        assert!(r
            .message
            .unwrap()
            .to_string()
            .contains("crash after statement 2 of 3"));
        let ok = verdict("2", 3, &[(1, AfterCrash::Recovers)]);
        assert_eq!(ok.status, Status::Passed);
    }
}
