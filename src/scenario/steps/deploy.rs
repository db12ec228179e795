//! The deploy rehearsal: the production command as a real process with the project's own
//! app. A failure before any migration ran (the app queries its models at import while the
//! schema is behind them) is named as what it is: a deploy that cannot start. Which of the
//! two happened is read from the database (version table and schema), not from log lines.

use super::super::context::RunContext;
use super::super::result::{Status, StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::baseline::prepare_baseline;
use super::common::{after, from_execution, snapshot};
use super::halfapplied::measure;
use crate::driver::{DbTarget, Execution, Target, VersionState};
use crate::findings::{Defect, Kind};
use crate::said::{Blocked, Deploy, Partly, Quoted, Said};
use crate::scenario::steps::error::StepError;
use crate::schema::{diff, Snapshot};

/// `app.py:54 (create_app)`: the innermost traceback frame in the project's own code (not
/// in a venv or the standard library), where the app ran the failing query.
pub fn project_frame(traceback: &str) -> Option<String> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r#"File "([^"]+)", line (\d+), in (\S+)"#).expect("regex")
    });
    re.captures_iter(traceback)
        .filter(|c| {
            let f = &c[1];
            !(f.contains("/site-packages/")
                || f.contains("/dist-packages/")
                || f.contains("/lib/python")
                || f.starts_with('<'))
        })
        .last()
        .map(|c| {
            let file = std::path::Path::new(&c[1])
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| c[1].to_string());
            format!("{file}:{} ({})", &c[2], &c[3])
        })
}

/// `user.api_token` out of "Unknown column 'user.api_token' in 'SELECT'".
fn unknown_column(message: &str) -> Option<&str> {
    message
        .strip_prefix("Unknown column '")
        .and_then(|r| r.split('\'').next())
}

/// What a failed deploy did to the database, read from the database itself: the version
/// table and the schema compared with the state the deploy started from. Never from the
/// tool's log, whose lines depend on the app's logging setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    /// The version table is at the baseline and the schema is the baseline's: no
    /// migration ran (the app failed before, typically at import).
    Nothing,
    /// A migration ran part-way: `failing` (the revision after the one the version table
    /// holds) left schema changes, or earlier revisions of the deploy stay applied.
    Partly { failing: Option<String> },
    /// The version table reached head: every migration ran, the command failed after them.
    AllMigrated,
}

/// Judges a failed deploy from the version it left (`current`, None = base) and whether
/// the schema differs from what that version should have.
pub fn judge(
    order: &[String],
    baseline: Option<&str>,
    current: Option<&str>,
    schema_changed: bool,
) -> Left {
    if current.is_some() && current == order.last().map(String::as_str) {
        return Left::AllMigrated;
    }
    if current == baseline && !schema_changed {
        return Left::Nothing;
    }
    let next = match current {
        None => order.first(),
        Some(c) => order
            .iter()
            .position(|r| r == c)
            .and_then(|i| order.get(i + 1)),
    };
    Left::Partly {
        failing: next.cloned(),
    }
}

pub async fn deploy(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let db = state.db.clone();
    // The state the deploy starts from, read before it runs: what "nothing ran" means.
    let version_before = ctx.driver.version(&db).await.ok();
    let before = snapshot(ctx, &db).await;
    let Some(e) = ctx.driver.deploy(&db).await else {
        return StepOutcome {
            results: vec![],
            skip_scenario: Some(Deploy::RunNatively.into()),
        };
    };
    after(ctx, &db, &e).await;
    let title = Deploy::Title {
        command: Quoted::new(&e.command),
    };
    let r = from_execution(StepAction::Deploy, title, &e, ctx.plan.head.clone());
    if r.status != Status::Failed {
        let mut r = r;
        if r.status == Status::Passed {
            r.details.push(Deploy::RanAsProcess.into());
        }
        return r.into();
    }
    let before = match before {
        Ok(b) => b,
        Err(why) => {
            return r
                .detail(Deploy::SchemaBeforeUnreadable {
                    error: Quoted::new(why),
                })
                .into()
        }
    };
    let current = match ctx.driver.version(&db).await {
        Ok(v) => v.current(ctx.plan.order()),
        Err(why) => {
            return r
                .detail(Deploy::VersionUnreadable {
                    error: Quoted::new(why),
                })
                .into()
        }
    };
    // What the version table says should be there: the start, or a clean stop at `current`.
    let expected = if current == ctx.plan.baseline {
        Ok(before)
    } else {
        stopped_at(ctx, current.as_deref()).await
    };
    let (expected, changed) = match expected {
        Ok(x) => match snapshot(ctx, &db).await {
            Ok(now) => {
                let changed = !diff(&x, &now).is_empty();
                (x, changed)
            }
            Err(why) => {
                return r
                    .detail(Deploy::SchemaAfterUnreadable {
                        error: Quoted::new(why),
                    })
                    .into()
            }
        },
        Err(why) => return r.detail(why).into(),
    };
    match judge(
        ctx.plan.order(),
        ctx.plan.baseline.as_deref(),
        current.as_deref(),
        changed,
    ) {
        Left::Nothing => blocked(ctx, r, &e).into(),
        Left::AllMigrated => r.detail(Deploy::AllMigrated).into(),
        Left::Partly { failing } => {
            let measured = Measured {
                expected: &expected,
                version_before: &version_before,
                current: current.as_deref(),
                failing,
            };
            partly(ctx, &db, r, &e, measured).await.into()
        }
    }
}

/// The schema a deploy that stopped cleanly at `rev` would leave: the baseline (drift
/// included) on a scratch database, upgraded to `rev` by the harness.
async fn stopped_at(ctx: &RunContext, rev: Option<&str>) -> Result<Snapshot, StepError> {
    let name = ctx.server.create_database().await?;
    let mut scratch = ScenarioState::new(ctx.db(&name));
    let out = async {
        let prep = prepare_baseline(ctx, &mut scratch).await;
        if let Some(bad) = prep.iter().find(|s| s.status != Status::Passed) {
            return Err(StepError::Baseline(
                bad.message.as_ref().unwrap_or(&bad.title).to_string(),
            ));
        }
        if let Some(rev) = rev {
            let e = ctx
                .driver
                .upgrade(&scratch.db, &Target::Revision(rev.to_string()))
                .await;
            if !e.ok() {
                return Err(StepError::rebuild(rev, false, &e));
            }
        }
        Ok(snapshot(ctx, &scratch.db).await?)
    }
    .await;
    let _ = ctx.server.drop_database(&name).await;
    out
}

/// A deploy that could not start: no migration ran, the app failed first.
fn blocked(ctx: &RunContext, r: StepResult, e: &Execution) -> StepResult {
    let blocked = Blocked {
        place: project_frame(&e.log()).map(Quoted::new),
        column: e
            .error
            .as_ref()
            .and_then(|err| unknown_column(&err.message))
            .map(Quoted::new),
        command: Quoted::new(&e.command),
        error: e.error.as_ref().map(Quoted::new),
    };
    let mut r = r;
    r.revision = ctx.plan.baseline.clone();
    r.details.push(
        Deploy::NoMigrationRan {
            baseline: ctx.plan.baseline.clone(),
        }
        .into(),
    );
    // Not a migration's fault: the app's, at the baseline production runs.
    let d = Defect::new(Kind::DeployBlocked, None, Deploy::Blocked(blocked.clone()))
        .with_error(e.error.clone(), None);
    r.fail(Deploy::BlockedVerdict(blocked)).defect(d)
}

/// What `partly` compares against and blames.
struct Measured<'a> {
    /// The schema a clean stop at `current` has.
    expected: &'a Snapshot,
    version_before: &'a Option<VersionState>,
    /// The revision the version table holds after the deploy.
    current: Option<&'a str>,
    /// The revision after it, the one that failed.
    failing: Option<String>,
}

/// A deploy that stopped part-way: the failing revision, what stayed applied (statements
/// when captured, else the schema changes), and whether deploying again gets past it.
async fn partly(
    ctx: &RunContext,
    db: &DbTarget,
    r: StepResult,
    e: &Execution,
    m: Measured<'_>,
) -> StepResult {
    let retry = async { ctx.driver.deploy(db).await.unwrap_or_else(|| e.clone()) };
    let mut h = measure(ctx, db, m.expected, m.version_before, e, retry).await;
    if e.statements.is_empty() {
        // A real process: its statements are not seen, the schema shows what stayed.
        h.lines[0] = Deploy::NotCaptured.into();
    }
    let failing = m.failing.or_else(|| e.failed_revision.clone());
    let why = match &e.error {
        Some(err) => Quoted::new(err),
        None => Quoted::new(crate::driver::process::last_line(&e.log())),
    };
    let summary = Deploy::Partly(Partly {
        half_applied: h.left.is_half_applied(),
        command: Quoted::new(&e.command),
        failing: failing.clone(),
        reached: m
            .current
            .filter(|c| Some(*c) != ctx.plan.baseline.as_deref())
            .map(str::to_string),
        why,
    });
    let mut r = r;
    r.revision = failing.clone();
    r.details.extend(h.lines.iter().cloned());
    r.details.push(h.retry_line());
    let d = Defect::new(Kind::UpgradeFails, failing.as_deref(), summary.clone())
        .with_error(e.error.clone(), e.failed_statement.clone())
        .with_left_behind(Some(h.left.clone()));
    r.defects.clear();
    r.fail(Said::All(vec![summary.into(), h.summary()]))
        .defect(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_frame_skips_library_frames() {
        let tb = r#"Traceback (most recent call last):
  File "/venv/lib/python3.11/site-packages/flask/cli.py", line 245, in locate_app
    app = call_factory(script_info, app, args, kwargs)
  File "/work/proj/app.py", line 54, in create_app
    User.query.filter_by(username="service").first()
  File "/venv/lib/python3.11/site-packages/sqlalchemy/orm/query.py", line 2759, in first
pymysql.err.OperationalError: (1054, "Unknown column 'user.api_token' in 'SELECT'")"#;
        assert_eq!(project_frame(tb).as_deref(), Some("app.py:54 (create_app)"));
        assert_eq!(
            unknown_column("Unknown column 'user.api_token' in 'SELECT'"),
            Some("user.api_token")
        );
    }

    fn order() -> Vec<String> {
        ["a", "b", "c"].map(String::from).to_vec()
    }

    #[test]
    fn nothing_ran_needs_the_baseline_version_and_the_baseline_schema() {
        assert_eq!(judge(&order(), Some("a"), Some("a"), false), Left::Nothing);
        assert_eq!(judge(&order(), None, None, false), Left::Nothing);
    }

    #[test]
    fn schema_changes_at_the_baseline_version_are_a_half_applied_next_revision() {
        // The case a missing `Running upgrade` line mislabelled: statements ran, the
        // version table did not move.
        assert_eq!(
            judge(&order(), Some("a"), Some("a"), true),
            Left::Partly {
                failing: Some("b".into())
            }
        );
        assert_eq!(
            judge(&order(), None, None, true),
            Left::Partly {
                failing: Some("a".into())
            }
        );
    }

    #[test]
    fn a_moved_version_short_of_head_blames_the_revision_after_it() {
        assert_eq!(
            judge(&order(), None, Some("a"), false),
            Left::Partly {
                failing: Some("b".into())
            }
        );
        assert_eq!(
            judge(&order(), Some("a"), Some("c"), false),
            Left::AllMigrated
        );
    }
}
