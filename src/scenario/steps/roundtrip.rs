//! `round_trips`: for every revision r, on its own database at r's parent state — seed rows,
//! up r, seed rows in r's new shapes, down r (schema and rows must come back), up r again
//! (schema must equal the first). Trips are independent, so a failure at r never hides r+1,
//! and run in parallel within `--jobs`.

use futures_util::StreamExt;

use super::super::context::RunContext;
use super::super::model::ParentState;
use super::super::result::{StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::common::snapshot;
use super::fork::parent_state;
use super::halfapplied::{measure, HalfApplied};
use crate::data::{self, SeedOptions, SeedShape, TableContents};
use crate::db::DbError;
use crate::db::ServerError;
use crate::driver::{DbTarget, Execution, FailedStatement, Target, VersionState};
use crate::findings::{differences, joined, Defect, Kind, SchemaDifference};
use crate::said::{Common, Made, Quoted, RoundTrip, Said, TripCall, Walk};
use crate::scenario::steps::error::StepError;
use crate::schema::{diff, Snapshot};

/// One trip to run: the revision, its parent, and a database already at the parent (or the
/// reason none could be made).
struct Trip {
    index: usize,
    rev: String,
    parent: Option<String>,
    db: Result<(String, Made), StepError>,
}

pub async fn round_trips(
    ctx: &RunContext,
    state: &mut ScenarioState,
    how: ParentState,
) -> StepOutcome {
    if ctx.plan.chain.has_errors() {
        return StepResult::new(StepAction::RoundTrips, RoundTrip::Title)
            .skip(Common::NotRunBecauseGraphBroken)
            .into();
    }
    let order = ctx.plan.order().to_vec();
    let left_out = order.iter().filter(|r| !ctx.plan.in_policy(r)).count();
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
                    Some(revision) => Err(StepError::Unreachable {
                        revision: revision.clone(),
                    }),
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
                    unreachable = Some(rev.clone());
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
        StepAction::RoundTrip,
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
) -> Result<data::SeedReport, DbError> {
    let plan = data::generate_with(
        shape,
        exclude,
        SeedOptions {
            first_row,
            shape: SeedShape::Extremes,
            ..Default::default()
        },
    );
    let mut c = db.connect().await?;
    let report = data::apply_seed(&mut c, &plan).await?;
    let _ = c.disconnect().await;
    Ok(report)
}

async fn contents(
    db: &DbTarget,
    shape: &Snapshot,
    exclude: &[String],
) -> Result<Vec<TableContents>, DbError> {
    let tables: Vec<String> = shape
        .tables
        .keys()
        .filter(|t| !exclude.iter().any(|e| e.eq_ignore_ascii_case(t)))
        .cloned()
        .collect();
    let mut c = db.connect().await?;
    let r = data::read_contents(&mut c, &db.database, shape, &tables)
        .await
        .map_err(DbError::from);
    let _ = c.disconnect().await;
    r
}

/// What one trip found: problems in order (as lines and as typed defects), the first
/// server error among them.
#[derive(Default)]
struct Findings {
    problems: Vec<Said>,
    defects: Vec<Defect>,
    error: Option<ServerError>,
    statement: Option<FailedStatement>,
}

impl Findings {
    /// A tool call that failed: `summary` says which, `h` what it left behind.
    fn failed(&mut self, d: Defect, e: &Execution, h: HalfApplied) {
        if self.error.is_none() {
            self.error = e.error.clone();
            self.statement = e.failed_statement.clone();
        }
        self.problems
            .push(Said::All(vec![d.summary.clone(), h.summary()]));
        self.defects.push(
            d.with_error(e.error.clone(), e.refused_statement())
                .with_statement_at(e.failed_at.clone())
                .with_left_behind(Some(h.left)),
        );
    }

    /// A problem found by comparing, not refused by the server.
    fn found(&mut self, line: Said, d: Defect) {
        self.problems.push(line);
        self.defects.push(d);
    }
}

async fn run_trip(ctx: &RunContext, t: Trip) -> (usize, StepResult) {
    let mut r = StepResult::new(
        StepAction::RoundTrip,
        RoundTrip::TripTitle { rev: t.rev.clone() },
    );
    r.revision = Some(t.rev.clone());
    let started = std::time::Instant::now();
    let (name, made) = match t.db {
        Ok(x) => x,
        Err(why) => {
            return (t.index, r.skip(why));
        }
    };
    r.details.push(
        RoundTrip::DatabaseAt {
            parent: t.parent.clone(),
            made,
        }
        .into(),
    );
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
    r: StepResult,
) -> StepResult {
    let mut t = TripRun {
        ctx,
        db,
        rev,
        parent,
        exclude: ctx.exclude(),
        r,
        f: Findings::default(),
    };
    match t.run().await {
        Ok(()) | Err(Cut::ToolFailed) => finish(t.r, t.f),
        Err(Cut::Error(e)) => t.r.error(e),
    }
}

/// Why a trip stopped before its end.
enum Cut {
    /// The harness could not go on (a snapshot, seeding): the trip is an error.
    Error(Said),
    /// A tool call failed: what was found so far is the verdict.
    ToolFailed,
}

impl From<DbError> for Cut {
    fn from(e: DbError) -> Self {
        Cut::Error(e.into())
    }
}

/// The two tool calls a trip makes.
#[derive(Clone, Copy)]
enum Call {
    Up,
    Down,
}

/// One trip under way: where, what it found so far.
struct TripRun<'a> {
    ctx: &'a RunContext,
    db: &'a DbTarget,
    rev: &'a str,
    parent: Option<&'a str>,
    exclude: Vec<String>,
    r: StepResult,
    f: Findings,
}

/// The database at one point of the trip: its schema and version table.
struct Point {
    snap: Snapshot,
    version: Option<VersionState>,
}

impl TripRun<'_> {
    /// Rows in the parent's shapes, then up; rows in r's new shapes, then down (schema and
    /// rows must come back); up again (the schema must equal the first upgrade's).
    async fn run(&mut self) -> Result<(), Cut> {
        let parent = self.point().await?;
        let seeded_first = self.seed_parent(&parent.snap).await?;
        self.call(Call::Up, &parent, Kind::UpgradeFails, TripCall::Up)
            .await?;
        let first = self.point().await?;
        let before_rows = self
            .seed_upgraded(&parent.snap, &first.snap, seeded_first)
            .await?;
        self.call(Call::Down, &first, Kind::DowngradeFails, TripCall::Down)
            .await?;
        let after_down = self.point().await?;
        self.check_schema_restored(&parent.snap, &after_down.snap);
        self.check_rows_survived(&parent.snap, &before_rows).await?;
        let again = TripCall::UpAgain;
        self.call(Call::Up, &after_down, Kind::RoundTripFails, again)
            .await?;
        self.check_up_again(&first.snap).await
    }

    async fn point(&self) -> Result<Point, Cut> {
        let snap = snapshot(self.ctx, self.db).await?;
        let version = self.ctx.driver.version(self.db).await.ok();
        Ok(Point { snap, version })
    }

    async fn exec(&self, call: Call) -> Execution {
        match call {
            Call::Up => {
                let up = Target::Revision(self.rev.to_string());
                self.ctx.driver.upgrade(self.db, &up).await
            }
            Call::Down => {
                let down = match self.parent {
                    Some(p) => Target::Revision(p.to_string()),
                    None => Target::Base,
                };
                self.ctx.driver.downgrade(self.db, &down).await
            }
        }
    }

    /// Runs the upgrade or downgrade of r from `before`; when it fails, measures what it
    /// left behind (by retrying it) and records the defect: "`<up|down>grade of r <how>`
    /// failed: …".
    async fn call(
        &mut self,
        call: Call,
        before: &Point,
        kind: Kind,
        how: TripCall,
    ) -> Result<(), Cut> {
        let e = self.exec(call).await;
        if e.ok() {
            return Ok(());
        }
        let retry = self.exec(call);
        let h = measure(self.ctx, self.db, &before.snap, &before.version, &e, retry).await;
        let rev = self.rev;
        let said = RoundTrip::CallFailed {
            call: how,
            rev: rev.to_string(),
            why: why(&e),
        };
        let d = Defect::new(kind, Some(rev), said);
        self.f.failed(d, &e, h);
        Err(Cut::ToolFailed)
    }

    async fn contents(&self, snap: &Snapshot) -> Result<Vec<TableContents>, Cut> {
        Ok(contents(self.db, snap, &self.exclude).await?)
    }

    /// Seeds `snap`'s tables; `shapes_of` None = the parent state, else r's new shapes.
    async fn seed(
        &mut self,
        snap: &Snapshot,
        offset: usize,
        shapes_of: Option<String>,
    ) -> Result<(), Cut> {
        match seed(self.db, snap, &self.exclude, offset).await {
            Ok(s) => {
                let rows = s.rows();
                self.r
                    .details
                    .push(RoundTrip::Seeded { rows, shapes_of }.into());
                self.r.seeding.push(s);
                Ok(())
            }
            Err(e) => Err(Cut::Error(RoundTrip::SeedingFailed(Quoted::new(e)).into())),
        }
    }

    /// Seeds the parent state; returns the rows seeded.
    async fn seed_parent(&mut self, parent: &Snapshot) -> Result<Vec<TableContents>, Cut> {
        let unseeded = self.contents(parent).await?;
        self.seed(parent, 0, None).await?;
        Ok(data::seeded_rows(&unseeded, &self.contents(parent).await?))
    }

    /// Seeds r's new shapes; returns what must survive the downgrade: the rows seeded, not
    /// rows a migration wrote.
    async fn seed_upgraded(
        &mut self,
        parent: &Snapshot,
        first: &Snapshot,
        seeded_first: Vec<TableContents>,
    ) -> Result<Vec<TableContents>, Cut> {
        let upgraded = self.contents(parent).await?;
        self.seed(first, 100, Some(self.rev.to_string())).await?;
        let c = self.contents(parent).await?;
        // Kept as separate entries: the two reads may see different columns (an upgrade may
        // drop one), and `compare` matches each entry on its own. Only what r's own schema
        // still holds can be asked back of its downgrade: a column the upgrade dropped took
        // its values with it.
        let mut rows: Vec<TableContents> = seeded_first
            .iter()
            .filter_map(|t| {
                let now = first.tables.get(&t.table)?;
                Some(t.project(|c| now.columns.contains_key(c)))
            })
            .collect();
        rows.extend(data::seeded_rows(&upgraded, &c));
        Ok(rows)
    }

    fn check_schema_restored(&mut self, parent: &Snapshot, after_down: &Snapshot) {
        let of = self.parent.map(str::to_string);
        let changes = diff(parent, after_down);
        if changes.is_empty() {
            self.r.details.push(RoundTrip::Restored { of }.into());
            return;
        }
        let lines = differences(changes);
        self.r.diff.extend(lines.iter().cloned());
        let what = |diff| Walk::NotRestored {
            rev: self.rev.to_string(),
            of: of.clone(),
            diff,
        };
        self.f.found(
            what(Some(Quoted::new(joined(&lines, "; ")))).into(),
            Defect::new(Kind::DowngradeLeavesSchema, Some(self.rev), what(None)).with_diff(lines),
        );
    }

    async fn check_rows_survived(
        &mut self,
        parent: &Snapshot,
        before_rows: &[TableContents],
    ) -> Result<(), Cut> {
        let values: usize = before_rows
            .iter()
            .map(|t| t.rows.len() * t.columns.len())
            .sum();
        if values == 0 {
            self.r.details.push(RoundTrip::NothingSeeded.into());
            return Ok(());
        }
        let after = self.contents(parent).await?;
        let loss = data::merge_losses(data::compare(before_rows, &after));
        if loss.is_empty() {
            self.r
                .details
                .push(RoundTrip::ValuesSurvived { values }.into());
            return Ok(());
        }
        let what = RoundTrip::LostRows {
            rev: self.rev.to_string(),
            losses: Quoted::new(
                loss.iter()
                    .map(|l| l.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        self.f.found(
            what.clone().into(),
            Defect::new(Kind::DataLost, Some(self.rev), what),
        );
        self.r.data_loss.extend(loss);
        Ok(())
    }

    async fn check_up_again(&mut self, first: &Snapshot) -> Result<(), Cut> {
        let again = snapshot(self.ctx, self.db).await?;
        let changes = diff(first, &again);
        if changes.is_empty() {
            self.r.details.push(RoundTrip::UpAgainEqual.into());
            return Ok(());
        }
        self.r.diff.extend(
            changes
                .iter()
                .cloned()
                .map(SchemaDifference::after_up_again),
        );
        let lines = differences(changes);
        let what = RoundTrip::UpAgainDiffers {
            rev: self.rev.to_string(),
        };
        self.f.found(
            what.clone().into(),
            Defect::new(Kind::RoundTripFails, Some(self.rev), what).with_diff(lines),
        );
        Ok(())
    }
}

/// The server's error, else the tool's last line (None: it said nothing).
fn why(e: &Execution) -> Option<Quoted> {
    match &e.error {
        Some(err) => Some(Quoted::new(err)),
        None => e
            .stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| Quoted::new(l.trim())),
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
    r.fail(Said::All(f.problems))
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
            Defect::new(Kind::UpgradeFails, Some("1"), Said::raised("first")),
            &e,
            left(),
        );
        e.error = Some(ServerError {
            code: 1060,
            message: "Duplicate column".into(),
        });
        f.failed(
            Defect::new(Kind::RoundTripFails, Some("1"), Said::raised("second")),
            &e,
            left(),
        );
        let t = RoundTrip::TripTitle { rev: "1".into() };
        let r = finish(StepResult::new(StepAction::RoundTrip, t), f);
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.error.unwrap().code, 1062);
        assert_eq!(
            r.message.map(|m| m.to_string()).as_deref(),
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
