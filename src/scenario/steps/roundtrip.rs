//! `round_trips`: for every revision r, on its own database at r's parent state — seed rows,
//! up r, seed rows in r's new shapes, down r (schema and rows must come back), up r again
//! (schema must equal the first). Trips are independent, so a failure at r never hides r+1,
//! and run in parallel within `--jobs`.

use futures_util::StreamExt;

use super::super::context::RunContext;
use super::super::model::ParentState;
use super::super::result::StepResult;
use super::super::state::{ScenarioState, StepOutcome};
use super::common::snapshot;
use super::fork::parent_state;
use super::halfapplied::{measure, HalfApplied};
use crate::data::{self, SeedOptions, SeedShape, TableContents};
use crate::db::ServerError;
use crate::driver::{DbTarget, Execution, Target};
use crate::findings::{Defect, Kind};
use crate::schema::{diff, Snapshot};

/// One trip to run: the revision, its parent, and a database already at the parent (or the
/// reason none could be made).
struct Trip {
    index: usize,
    rev: String,
    parent: Option<String>,
    db: Result<(String, &'static str), String>,
}

pub async fn round_trips(
    ctx: &RunContext,
    state: &mut ScenarioState,
    how: ParentState,
) -> StepOutcome {
    let title = "round trips: up → down → up for every revision";
    if ctx.plan.chain.has_errors() {
        return StepResult::new("round_trips", title)
            .skip("the revision graph is broken")
            .into();
    }
    let order = ctx.plan.order().to_vec();
    let left_out = order.iter().filter(|r| !ctx.plan.exercises(r)).count();
    let jobs = ctx.jobs.max(1);
    let spine = state.db.clone();
    let (tx, rx) = tokio::sync::mpsc::channel::<Trip>(jobs);
    // The spine walks up once; each parent state is cloned from it (or rebuilt), so the
    // cost stays linear in the chain while the trips run side by side.
    let producer = async move {
        let mut unreachable: Option<String> = None;
        for (i, rev) in order.iter().enumerate() {
            if ctx.plan.exercises(rev) {
                let parent = i.checked_sub(1).map(|j| order[j].clone());
                let db = match &unreachable {
                    Some(why) => Err(why.clone()),
                    None => parent_state(ctx, how, Some(&spine), parent.as_deref()).await,
                };
                let trip = Trip {
                    index: i,
                    rev: rev.clone(),
                    parent,
                    db,
                };
                if tx.send(trip).await.is_err() {
                    break;
                }
            }
            if unreachable.is_none() && how == ParentState::Clone {
                let e = ctx
                    .driver
                    .upgrade(&spine, &Target::Revision(rev.clone()))
                    .await;
                if !e.ok() {
                    unreachable = Some(format!(
                        "not reachable: upgrading {rev} fails on a clean database"
                    ));
                }
            }
        }
    };
    let consumer =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|t| (t, rx)) })
            .map(|t| run_trip(ctx, t))
            .buffer_unordered(jobs)
            .collect::<Vec<(usize, StepResult)>>();
    let ((), mut results) = tokio::join!(producer, consumer);
    results.sort_by_key(|(i, _)| *i);
    let mut results: Vec<StepResult> = results.into_iter().map(|(_, r)| r).collect();
    results.extend(super::common::older_left_out(
        "round_trip",
        left_out,
        "round-tripped",
    ));
    StepOutcome {
        results,
        skip_scenario: None,
    }
}

/// Seeds every table of `shape` (rows numbered after `first_row`); says what went in and
/// the harness's own limits met on the way.
async fn seed(
    db: &DbTarget,
    shape: &Snapshot,
    exclude: &[String],
    first_row: usize,
) -> Result<data::SeedReport, String> {
    let plan = data::generate_with(
        shape,
        exclude,
        SeedOptions {
            first_row,
            shape: SeedShape::Extremes,
            ..Default::default()
        },
    );
    let mut c = db
        .conn
        .connect(Some(&db.database))
        .await
        .map_err(|e| e.to_string())?;
    let report = data::apply_seed(&mut c, &plan)
        .await
        .map_err(|e| e.to_string())?;
    let _ = c.disconnect().await;
    Ok(report)
}

async fn contents(
    db: &DbTarget,
    shape: &Snapshot,
    exclude: &[String],
) -> Result<Vec<TableContents>, String> {
    let tables: Vec<String> = shape
        .tables
        .keys()
        .filter(|t| !exclude.iter().any(|e| e.eq_ignore_ascii_case(t)))
        .cloned()
        .collect();
    let mut c = db
        .conn
        .connect(Some(&db.database))
        .await
        .map_err(|e| e.to_string())?;
    let r = data::read_contents(&mut c, &db.database, shape, &tables)
        .await
        .map_err(|e| e.to_string());
    let _ = c.disconnect().await;
    r
}

/// What one trip found: problems in order (as lines and as typed defects), the first
/// server error among them.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    defects: Vec<Defect>,
    error: Option<ServerError>,
    statement: Option<String>,
}

impl Findings {
    /// A tool call that failed: `summary` says which, `h` what it left behind.
    fn failed(&mut self, d: Defect, e: &Execution, h: HalfApplied) {
        if self.error.is_none() {
            self.error = e.error.clone();
            self.statement = e.failed_statement.clone();
        }
        self.problems
            .push(format!("{}; {}", d.summary, h.summary()));
        let statement = e
            .failure_point()
            .map(|p| p.statement)
            .or_else(|| e.failed_statement.clone());
        self.defects.push(
            d.with_error(e.error.clone(), statement)
                .with_statement_at(e.failed_at.clone())
                .with_left_behind(Some(h.left)),
        );
    }

    /// A problem found by comparing, not refused by the server.
    fn found(&mut self, line: String, d: Defect) {
        self.problems.push(line);
        self.defects.push(d);
    }
}

async fn run_trip(ctx: &RunContext, t: Trip) -> (usize, StepResult) {
    let mut r = StepResult::new(
        "round_trip",
        format!("round trip {}: up → down → up", t.rev),
    );
    r.revision = Some(t.rev.clone());
    let started = std::time::Instant::now();
    let (name, made) = match t.db {
        Ok(x) => x,
        Err(why) => {
            return (t.index, r.skip(why));
        }
    };
    r.details.push(format!(
        "database at {} {made}",
        t.parent.as_deref().unwrap_or("base (empty)")
    ));
    let db = ctx.db(&name);
    let r = trip(ctx, &db, &t.rev, t.parent.as_deref(), r).await;
    let _ = ctx.server.drop_database(&name).await;
    let mut r = r;
    r.duration_ms = started.elapsed().as_millis() as u64;
    (t.index, r)
}

async fn trip(
    ctx: &RunContext,
    db: &DbTarget,
    rev: &str,
    parent: Option<&str>,
    mut r: StepResult,
) -> StepResult {
    let exclude = ctx.exclude();
    let up = Target::Revision(rev.to_string());
    let down = match parent {
        Some(p) => Target::Revision(p.to_string()),
        None => Target::Base,
    };
    let mut f = Findings::default();
    let parent_snap = match snapshot(ctx, db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    let version_parent = ctx.driver.version(db).await.ok();

    // 1. Rows in the parent's shapes, then up.
    let unseeded = match contents(db, &parent_snap, &exclude).await {
        Ok(c) => c,
        Err(e) => return r.error(e),
    };
    match seed(db, &parent_snap, &exclude, 0).await {
        Ok(s) => {
            r.details
                .push(format!("{} rows seeded at the parent state", s.rows()));
            r.seeding.push(s);
        }
        Err(e) => return r.error(format!("seeding failed: {e}")),
    }
    let seeded_first = match contents(db, &parent_snap, &exclude).await {
        Ok(c) => data::seeded_rows(&unseeded, &c),
        Err(e) => return r.error(e),
    };
    let e = ctx.driver.upgrade(db, &up).await;
    if !e.ok() {
        let h = measure(
            ctx,
            db,
            &parent_snap,
            &version_parent,
            &e,
            ctx.driver.upgrade(db, &up),
        )
        .await;
        let d = Defect::new(
            Kind::UpgradeFails,
            Some(rev),
            format!("upgrade of {rev} with seeded rows failed: {}", why(&e)),
        );
        f.failed(d, &e, h);
        return finish(r, f);
    }
    let first = match snapshot(ctx, db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    let version_r = ctx.driver.version(db).await.ok();

    // 2. Rows in r's new shapes, then down: schema and rows must come back.
    let upgraded = match contents(db, &parent_snap, &exclude).await {
        Ok(c) => c,
        Err(e) => return r.error(e),
    };
    match seed(db, &first, &exclude, 100).await {
        Ok(s) => {
            r.details
                .push(format!("{} rows seeded in {rev}'s shapes", s.rows()));
            r.seeding.push(s);
        }
        Err(e) => return r.error(format!("seeding failed: {e}")),
    }
    // What must survive the downgrade: the rows seeded, not rows a migration wrote.
    let before_rows = match contents(db, &parent_snap, &exclude).await {
        Ok(c) => {
            // Kept as separate entries: the two reads may see different columns (an
            // upgrade may drop one), and `compare` matches each entry on its own.
            // Only what r's own schema still holds can be asked back of its downgrade: a
            // column the upgrade dropped took its values with it.
            let mut rows: Vec<TableContents> = seeded_first
                .iter()
                .filter_map(|t| {
                    let now = first.tables.get(&t.table)?;
                    Some(t.project(|c| now.columns.contains_key(c)))
                })
                .collect();
            rows.extend(data::seeded_rows(&upgraded, &c));
            rows
        }
        Err(e) => return r.error(e),
    };
    let e = ctx.driver.downgrade(db, &down).await;
    if !e.ok() {
        let h = measure(
            ctx,
            db,
            &first,
            &version_r,
            &e,
            ctx.driver.downgrade(db, &down),
        )
        .await;
        let d = Defect::new(
            Kind::DowngradeFails,
            Some(rev),
            format!(
                "downgrade of {rev} with rows written after the upgrade failed: {}",
                why(&e)
            ),
        );
        f.failed(d, &e, h);
        return finish(r, f);
    }
    let after_down = match snapshot(ctx, db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    let changes = diff(&parent_snap, &after_down);
    if changes.is_empty() {
        r.details.push(format!(
            "downgrade restored the schema of {}",
            parent.unwrap_or("base")
        ));
    } else {
        let lines: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
        r.diff.extend(lines.iter().cloned());
        let what = format!(
            "downgrade of {rev} does not restore the schema of {}",
            parent.unwrap_or("base")
        );
        f.found(
            format!("{what}: {}", lines.join("; ")),
            Defect::new(Kind::DowngradeLeavesSchema, Some(rev), what).with_diff(lines),
        );
    }
    let values: usize = before_rows
        .iter()
        .map(|t| t.rows.len() * t.columns.len())
        .sum();
    if values == 0 {
        r.details.push(
            "no seeded values to compare: the parent state has no table the harness could seed"
                .into(),
        );
    } else {
        match contents(db, &parent_snap, &exclude).await {
            Ok(after) => {
                let loss = data::merge_losses(data::compare(&before_rows, &after));
                if loss.is_empty() {
                    r.details
                        .push(format!("all {values} seeded values survived the downgrade"));
                } else {
                    let what = format!(
                        "downgrade of {rev} lost seeded rows: {}",
                        loss.iter()
                            .map(|l| l.to_string())
                            .collect::<Vec<_>>()
                            .join("; ")
                    );
                    f.found(what.clone(), Defect::new(Kind::DataLost, Some(rev), what));
                    r.data_loss.extend(loss);
                }
            }
            Err(e) => return r.error(e),
        }
    }

    // 3. Up again: the schema must equal the first upgrade's.
    let version_down = ctx.driver.version(db).await.ok();
    let e = ctx.driver.upgrade(db, &up).await;
    if !e.ok() {
        let h = measure(
            ctx,
            db,
            &after_down,
            &version_down,
            &e,
            ctx.driver.upgrade(db, &up),
        )
        .await;
        let d = Defect::new(
            Kind::RoundTripFails,
            Some(rev),
            format!(
                "upgrade of {rev} again after its downgrade failed: {}",
                why(&e)
            ),
        );
        f.failed(d, &e, h);
        return finish(r, f);
    }
    match snapshot(ctx, db).await {
        Ok(again) => {
            let changes = diff(&first, &again);
            if changes.is_empty() {
                r.details
                    .push("second upgrade gives the first upgrade's schema".into());
            } else {
                let lines: Vec<String> = changes.iter().map(|c| c.to_string()).collect();
                r.diff
                    .extend(lines.iter().map(|c| format!("after up again: {c}")));
                let what =
                    format!("upgrading {rev} again gives a different schema than the first time");
                f.found(
                    what.clone(),
                    Defect::new(Kind::RoundTripFails, Some(rev), what).with_diff(lines),
                );
            }
        }
        Err(e) => return r.error(e),
    }
    finish(r, f)
}

fn why(e: &Execution) -> String {
    match &e.error {
        Some(err) => err.to_string(),
        None => e
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("the tool failed")
            .trim()
            .to_string(),
    }
}

fn finish(mut r: StepResult, f: Findings) -> StepResult {
    if f.problems.is_empty() {
        return r;
    }
    r.error = f.error;
    r.statement = f.statement;
    r.defects = f.defects;
    r.details.extend(f.problems.iter().cloned());
    r.fail(f.problems.join("; "))
}

#[cfg(test)]
mod tests {
    use super::super::super::result::Status;
    use super::*;
    use crate::findings::{LeftBehind, Retry};

    fn left() -> HalfApplied {
        HalfApplied {
            lines: vec!["not half-applied".into()],
            left: LeftBehind {
                statements_applied: 0,
                failed_statement: Some(1),
                version_table: "still at 1".into(),
                changed: vec![],
                retry: Retry::Recovers,
            },
        }
    }

    #[test]
    fn findings_keep_the_first_server_error_and_every_defect() {
        let mut e = Execution::not_started("x".into(), String::new());
        e.error = Some(ServerError {
            code: 1062,
            message: "Duplicate entry".into(),
        });
        let mut f = Findings::default();
        f.failed(
            Defect::new(Kind::UpgradeFails, Some("1"), "first"),
            &e,
            left(),
        );
        e.error = Some(ServerError {
            code: 1060,
            message: "Duplicate column".into(),
        });
        f.failed(
            Defect::new(Kind::RoundTripFails, Some("1"), "second"),
            &e,
            left(),
        );
        let r = finish(StepResult::new("round_trip", "t"), f);
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.error.unwrap().code, 1062);
        assert_eq!(
            r.message.as_deref(),
            Some(
                "first; not half-applied; re-running the same step recovers; \
                 second; not half-applied; re-running the same step recovers"
            )
        );
        let kinds: Vec<(Kind, Option<u16>)> = r
            .defects
            .iter()
            .map(|d| (d.kind, d.error.as_ref().map(|e| e.code)))
            .collect();
        assert_eq!(
            kinds,
            [
                (Kind::UpgradeFails, Some(1062)),
                (Kind::RoundTripFails, Some(1060))
            ]
        );
        assert!(r.defects.iter().all(|d| d.left_behind.is_some()));
    }
}
