//! Executes one `Step` against a scenario's database and turns what happened into
//! `StepResult`s (expected vs actual). The chain walk and probes live in their own files.

mod changes;
mod checks;
mod compat;
mod deploy;
mod error;
mod fork;
mod halfapplied;
mod online;
mod online_timing;
mod resume;
mod roundtrip;
mod tracked;
mod walk;

use std::collections::HashMap;

use mysql_async::prelude::Queryable;

use super::model::{Expect, Step};
use super::result::{Status, StepResult};
use super::runner::RunContext;
use crate::data::TableContents;
use crate::db::{server_error, DbError, ServerError};
use crate::driver::{DbTarget, Execution, Outcome, Target};
use crate::findings::{Defect, Kind};
use crate::schema::{self, Snapshot};
pub use error::Unmet;

/// What one scenario accumulates as it goes: its database, named snapshots, seeded data.
pub struct ScenarioState {
    pub db: DbTarget,
    pub snapshots: HashMap<String, Snapshot>,
    pub seeded: Option<(Snapshot, Vec<TableContents>)>,
    /// The last downgrade step: the revision it started from and its target, for blaming
    /// what a later assertion finds on the revision it undid.
    pub downgraded: Option<(Option<String>, Target)>,
    used: Vec<String>,
}

impl ScenarioState {
    pub fn new(db: DbTarget) -> Self {
        let used = vec![db.database.clone()];
        ScenarioState {
            db,
            snapshots: HashMap::new(),
            seeded: None,
            downgraded: None,
            used,
        }
    }

    /// Every database this scenario created (to drop at the end).
    pub fn databases(&self) -> Vec<String> {
        self.used.clone()
    }

    /// The one revision the last downgrade undid: what a schema or data assertion after it
    /// blames. None when it undid several (the walk and the round trips, which go one
    /// revision at a time, name the culprit) or the start is unknown.
    pub fn undone(&self, order: &[String]) -> Option<String> {
        let (from, to) = self.downgraded.as_ref()?;
        let from = order.iter().position(|o| Some(o) == from.as_ref())?;
        let to = match to {
            Target::Base => None,
            Target::Revision(r) => Some(order.iter().position(|o| o == r)?),
            Target::Head | Target::Relative(_) => return None,
        };
        (from == to.map_or(0, |t| t + 1)).then(|| order[from].clone())
    }
}

/// What a per-revision step says of the older revisions `[scenarios] per_revision = "new"`
/// left out: a skip, not a pass, since nothing was checked for them.
fn older_left_out(action: &'static str, left_out: usize, done: &str) -> Option<StepResult> {
    (left_out > 0).then(|| {
        StepResult::new(action, "older revisions").skip(format!(
            "{left_out} revision(s) before the revisions under test were not {done} \
             ([scenarios] per_revision = \"new\")"
        ))
    })
}

pub struct StepOutcome {
    pub results: Vec<StepResult>,
    /// Set when the scenario as a whole does not apply (e.g. nothing to reproduce).
    pub skip_scenario: Option<String>,
}

impl From<StepResult> for StepOutcome {
    fn from(r: StepResult) -> Self {
        StepOutcome {
            results: vec![r],
            skip_scenario: None,
        }
    }
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
pub(super) fn again_after_downgrade(r: &mut StepResult) {
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

pub(super) async fn after(ctx: &RunContext, db: &DbTarget, e: &Execution) {
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

/// The baseline state as the run prepared it once, in a database of its own: what each
/// scenario starting at the baseline gets a copy of.
pub struct BaselineTemplate {
    database: String,
    results: Vec<StepResult>,
    snapshot: Option<Snapshot>,
}

/// Whether scenarios copy the run's prepared baseline (`MH_PREPARE=replay`: each replays
/// the chain up to it, as the copy stands for).
fn copy_prepared() -> bool {
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
                        results: vec![
                            StepResult::new("sql", "prepare the baseline").error(e.to_string())
                        ],
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
                            r.details.push(
                                "the baseline was prepared once for the run; this scenario's database is a copy of its tables and rows"
                                    .into(),
                            );
                        }
                        r
                    })
                    .collect();
            }
            Err(_) => {
                // A half-made copy is no fresh database: replay on a new one.
                if let Ok(name) = ctx.server.create_database().await {
                    state.used.push(name.clone());
                    state.db = ctx.db(&name);
                }
            }
        }
    }
    replay_baseline(ctx, state).await
}

/// Upgrades a fresh database to the baseline and applies the drift fixture.
async fn replay_baseline(ctx: &RunContext, state: &mut ScenarioState) -> Vec<StepResult> {
    let mut out = Vec::new();
    if let Some(b) = &ctx.plan.baseline {
        let e = ctx
            .driver
            .upgrade(&state.db, &Target::Revision(b.clone()))
            .await;
        after(ctx, &state.db, &e).await;
        let r = from_execution(
            "upgrade",
            format!("prepare: upgrade base → baseline ({b})"),
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
        let mut r = StepResult::new("sql", "prepare: drift fixture ([baseline] setup_sql)");
        match run_sql_list(&state.db, &ctx.setup_sql).await {
            Ok(ms) => {
                r.duration_ms = ms;
                r.details = ctx
                    .setup_sql
                    .iter()
                    .map(|s| format!("applied: {s}"))
                    .collect();
            }
            Err((stmt, err)) => {
                r = r.fail(format!(
                    "drift fixture statement refused: {err} (statement: {stmt})"
                ));
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
        Err(e) => out.push(StepResult::new("snapshot", "snapshot baseline").error(e)),
    }
    out
}

async fn run_sql_list(db: &DbTarget, sql: &[String]) -> Result<u64, (String, mysql_async::Error)> {
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
            let title = format!("{} → {}", step.action(), label(ctx, target));
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
                again_after_downgrade(&mut r);
            }
            r.into()
        }
        Step::Snapshot { name } => match snapshot(ctx, &db).await {
            Ok(s) => {
                let r = StepResult::new("snapshot", format!("snapshot `{name}`"))
                    .detail(format!("{} tables captured as `{name}`", s.tables.len()));
                state.snapshots.insert(name.clone(), s);
                r.into()
            }
            Err(e) => StepResult::new("snapshot", format!("snapshot `{name}`"))
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
