//! The `chain` scenario's steps: graph checks, and the walk base → head → base → head with
//! a snapshot at every revision, naming the revision that created what a downgrade drops;
//! a failure is measured and the walk continues on a rebuilt database.

use std::collections::{BTreeSet, HashMap};

use super::super::context::RunContext;
use super::super::result::{Status, StepAction, StepResult, WalkLeg, WarningKind};
use super::super::state::{ScenarioState, StepOutcome};
use super::common::{again_after_downgrade, from_execution};
use super::halfapplied::measure;
use super::tracked::Tracker;
use crate::chain::Severity;
use crate::driver::{DbTarget, Execution, Target};
use crate::findings::{differences, joined, same_change, Defect, Kind, SchemaDifference};
use crate::said::{Common, Quoted, Said, Verb, Walk};
use crate::scenario::steps::error::StepError;
use crate::schema::{diff, Change, Snapshot};

pub async fn chain_checks(ctx: &RunContext, db: &DbTarget) -> StepResult {
    let report = &ctx.plan.chain;
    let n = ctx.driver.chain().revisions.len();
    let mut r = StepResult::new(StepAction::ChainChecks, Walk::ChecksTitle);
    r.details.push(
        match report.head() {
            Some(h) => Walk::SingleHead {
                n,
                head: h.to_string(),
            },
            None => Walk::Heads {
                n,
                heads: report.heads.clone(),
            },
        }
        .into(),
    );
    r.details
        .push(Walk::GraphSource(Quoted::new(&ctx.driver.chain().source)).into());
    for f in &report.findings {
        match f.severity {
            Severity::Error => r.details.push(Walk::GraphError(f.clone()).into()),
            // The finding itself (`Said::Graph`): the report knows it for one the graph
            // reported already and does not count it twice.
            Severity::Warning => r = r.warn(WarningKind::Chain, f.clone()),
        }
    }
    let mut errors: Vec<Said> = report.errors().cloned().map(Said::from).collect();
    if !report.has_errors() {
        match ctx.driver.tool_heads(db).await {
            Some(Ok(tool)) => {
                let mine: BTreeSet<&String> = report.heads.iter().collect();
                let theirs: BTreeSet<&String> = tool.iter().collect();
                if mine == theirs {
                    r.details.push(Walk::ToolAgrees { heads: tool }.into());
                } else {
                    errors.push(
                        Walk::ToolDisagrees {
                            tool,
                            files: report.heads.clone(),
                        }
                        .into(),
                    );
                }
            }
            Some(Err(e)) => {
                r = r.warn(
                    WarningKind::Chain,
                    Walk::ToolHeadsUnknown(Quoted::new(e.to_string().lines().last().unwrap_or(""))),
                )
            }
            None => {}
        }
    }
    if errors.is_empty() {
        r
    } else {
        r.fail(Said::All(errors))
    }
}

/// What a change drops, as a key to look up in earlier snapshots.
fn dropped_object(c: &Change) -> Option<(&'static str, String, String)> {
    match c {
        Change::DropTable { table } => Some(("table", table.clone(), String::new())),
        Change::DropColumn { table, column } => {
            Some(("column", table.clone(), column.name.clone()))
        }
        Change::DropIndex { table, index } => Some(("index", table.clone(), index.name.clone())),
        Change::DropForeignKey { table, fk } => Some(("fk", table.clone(), fk.name.clone())),
        _ => None,
    }
}

fn has(s: &Snapshot, kind: &str, table: &str, name: &str) -> bool {
    let Some(t) = s.tables.get(table) else {
        return false;
    };
    match kind {
        "table" => true,
        "column" => t.columns.contains_key(name),
        "index" => t.indexes.contains_key(name),
        _ => t.foreign_keys.contains_key(name),
    }
}

/// Each change with, for an object it drops, the first revision on the way up whose schema
/// had the object (`- column user.api_token … (created by 3e5106ee570c)`).
fn annotate(
    changes: Vec<Change>,
    order: &[String],
    snaps: &HashMap<String, Snapshot>,
) -> Vec<SchemaDifference> {
    changes
        .into_iter()
        .map(|c| {
            let origin = dropped_object(&c).and_then(|(kind, t, n)| {
                order
                    .iter()
                    .find(|r| snaps.get(*r).is_some_and(|s| has(s, kind, &t, &n)))
                    .cloned()
            });
            SchemaDifference::created_by(c, origin)
        })
        .collect()
}

/// A fresh database at `at` (None = empty), upgraded from clean, replacing the walk's
/// database, so a failure does not end the walk.
async fn rebuild(
    ctx: &RunContext,
    state: &mut ScenarioState,
    at: Option<&str>,
) -> Result<Walk, StepError> {
    let name = ctx.server.create_database().await?;
    state.created(name.clone());
    let old = std::mem::replace(&mut state.db, ctx.db(&name));
    let _ = ctx.server.drop_database(&old.database).await;
    if let Some(rev) = at {
        let e = ctx
            .driver
            .upgrade(&state.db, &Target::Revision(rev.to_string()))
            .await;
        if !e.ok() {
            return Err(StepError::rebuild(rev, true, &e));
        }
    }
    Ok(Walk::ContinuedRebuilt {
        at: at.map(str::to_string),
    })
}

/// A walk step from its tool call, titled by the walk.
fn walk_step(action: StepAction, title: Walk, e: &Execution, rev: String) -> StepResult {
    from_execution(action, title, e, Some(rev))
}

fn outcome(results: Vec<StepResult>) -> StepOutcome {
    StepOutcome {
        results,
        skip_scenario: None,
    }
}

/// Adds the half-applied measurement of a failed step to its result.
/// What a failed rebuild says: the walk cannot go on.
struct FailedRebuild(StepError);

impl FailedRebuild {
    fn into_step(self, verb: Verb) -> StepResult {
        StepResult::new(StepAction::Walk, Walk::RebuildAfterFailed(verb)).error(self.0)
    }
}

/// A failed walk step, on the way down or up: measure what it left behind (half-applied
/// state, a retry), then rebuild the state `at` from a clean database so the walk goes on.
#[allow(clippy::too_many_arguments)]
async fn after_failure<F>(
    ctx: &RunContext,
    state: &mut ScenarioState,
    before: Option<&Snapshot>,
    version_before: &Option<crate::driver::VersionState>,
    e: &Execution,
    retry: F,
    r: &mut StepResult,
    at: Option<&str>,
) -> Result<(), FailedRebuild>
where
    F: std::future::Future<Output = Execution>,
{
    if r.status == Status::Failed {
        let db = state.db.clone();
        explain_failure(ctx, &db, before, version_before, e, retry, r).await;
    }
    let note = rebuild(ctx, state, at).await.map_err(FailedRebuild)?;
    r.details.push(note.into());
    Ok(())
}

async fn explain_failure<F>(
    ctx: &RunContext,
    db: &DbTarget,
    before: Option<&Snapshot>,
    version_before: &Option<crate::driver::VersionState>,
    e: &Execution,
    retry: F,
    r: &mut StepResult,
) where
    F: std::future::Future<Output = Execution>,
{
    let Some(before) = before else { return };
    let h = measure(ctx, db, before, version_before, e, retry).await;
    let summary = h.summary();
    r.details.extend(h.lines.iter().cloned());
    r.details.push(h.retry_line());
    if let Some(d) = r.defects.last_mut() {
        d.left_behind = Some(h.left);
    }
    if let Some(m) = r.message.take() {
        r.message = Some(Said::All(vec![m, summary]));
    }
}

/// Walks base → head → base → head one revision at a time. A failure is reported at its
/// revision, measured (what it left half-applied, whether a re-run recovers), and the walk
/// goes on from a database rebuilt from clean, so every failure of the walk shows.
pub async fn walk(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    if ctx.plan.chain.has_errors() {
        return outcome(vec![
            StepResult::new(StepAction::Walk, Walk::Title).skip(Common::NotRunBecauseGraphBroken)
        ]);
    }
    let mut tracker = Tracker::new();
    let base = match tracker.snapshot(ctx, &state.db, None).await {
        Ok(s) => s,
        Err(e) => {
            return outcome(vec![StepResult::new(
                StepAction::Walk,
                Walk::EmptySnapshotTitle,
            )
            .error(e)])
        }
    };
    let mut w = WalkRun {
        ctx,
        order: ctx.plan.order().to_vec(),
        snaps: HashMap::new(),
        tracker,
        base,
        now_snap: None,
        out: Vec::new(),
    };
    if w.run(state).await.is_ok() {
        if let Some(n) = w.tracker.verified() {
            w.out.push(
                StepResult::new(StepAction::Walk, Walk::VerifyTitle).detail(Walk::Verified { n }),
            );
        }
    }
    outcome(w.out)
}

/// The walk ended early; its results say why.
struct Stopped;

/// The walk under way: the schema recorded at each revision on the way up, and the results.
struct WalkRun<'a> {
    ctx: &'a RunContext,
    order: Vec<String>,
    /// The schema at each revision on the first way up.
    snaps: HashMap<String, Snapshot>,
    tracker: Tracker,
    /// The empty database's schema.
    base: Snapshot,
    /// The schema the database really has now (what a failed step is measured against).
    now_snap: Option<Snapshot>,
    out: Vec<StepResult>,
}

impl WalkRun<'_> {
    async fn run(&mut self, state: &mut ScenarioState) -> Result<(), Stopped> {
        let top = self.up(state).await.ok_or(Stopped)?;
        if top + 1 < self.order.len() {
            // The walk down starts where the clean upgrade stopped.
            if let Err(e) = rebuild(self.ctx, state, Some(&self.order[top])).await {
                self.out
                    .push(StepResult::new(StepAction::Walk, Walk::RebuildForDownTitle).error(e));
                return Err(Stopped);
            }
        }
        let carried = self.down(state, top).await?;
        self.up_again(state, top, carried).await
    }

    /// Up, one revision at a time, as far as a clean database goes; the last revision
    /// reached.
    async fn up(&mut self, state: &ScenarioState) -> Option<usize> {
        let ctx = self.ctx;
        let mut top: Option<usize> = None;
        for (i, rev) in self.order.clone().iter().enumerate() {
            let db = state.db.clone();
            let version_before = ctx.driver.version(&db).await.ok();
            let target = Target::Revision(rev.clone());
            let e = ctx.driver.upgrade(&db, &target).await;
            let title = Walk::UpTitle { rev: rev.clone() };
            let mut r = walk_step(StepAction::Upgrade, title, &e, rev.clone());
            r.walk = Some(WalkLeg::Up);
            if r.status == Status::Passed {
                match self.tracker.snapshot(ctx, &db, Some(&e)).await {
                    Ok(s) => {
                        self.snaps.insert(rev.clone(), s);
                        top = Some(i);
                    }
                    Err(err) => r = r.error(err),
                }
            } else if r.status == Status::Failed {
                let before = if i == 0 {
                    Some(&self.base)
                } else {
                    self.snaps.get(&self.order[i - 1])
                };
                let retry = ctx.driver.upgrade(&db, &target);
                explain_failure(ctx, &db, before, &version_before, &e, retry, &mut r).await;
            }
            let ok = r.status == Status::Passed;
            self.out.push(r);
            if !ok {
                break;
            }
        }
        top
    }

    /// Down from `top` to base, one revision at a time; only discrepancies new at a step
    /// are its fault. Returns the differences the walk down left.
    async fn down(&mut self, state: &mut ScenarioState, top: usize) -> Result<Carried, Stopped> {
        let mut carried = Carried::default();
        self.now_snap = self.snaps.get(&self.order[top]).cloned();
        for i in (0..=top).rev() {
            self.down_one(state, i, &mut carried).await?;
        }
        Ok(carried)
    }

    async fn down_one(
        &mut self,
        state: &mut ScenarioState,
        i: usize,
        carried: &mut Carried,
    ) -> Result<(), Stopped> {
        let ctx = self.ctx;
        let rev = self.order[i].clone();
        let db = state.db.clone();
        let to = i.checked_sub(1).map(|j| self.order[j].clone());
        let target = to.clone().map_or(Target::Base, Target::Revision);
        let version_before = ctx.driver.version(&db).await.ok();
        let e = ctx.driver.downgrade(&db, &target).await;
        let title = Walk::DownTitle {
            rev: rev.clone(),
            to: to.clone(),
        };
        let mut r = walk_step(StepAction::Downgrade, title, &e, rev.clone());
        r.walk = Some(WalkLeg::Down);
        r.revision = Some(rev.clone());
        if r.status != Status::Passed {
            if let Some(err) = &e.error {
                r.message = Some(
                    Walk::DowngradeFailed {
                        rev: rev.clone(),
                        error: Quoted::new(err),
                    }
                    .into(),
                );
            }
            let at = to;
            let retry = ctx.driver.downgrade(&db, &target);
            let before = self.now_snap.as_ref();
            let recovered = after_failure(
                ctx,
                state,
                before,
                &version_before,
                &e,
                retry,
                &mut r,
                at.as_deref(),
            )
            .await;
            self.out.push(r);
            if let Err(failed_rebuild) = recovered {
                self.out.push(failed_rebuild.into_step(Verb::Downgrade));
                return Err(Stopped);
            }
            carried.clear();
            self.now_snap = Some(self.recorded_below(i).clone());
            return Ok(());
        }
        let actual = match self.tracker.snapshot(ctx, &db, Some(&e)).await {
            Ok(s) => s,
            Err(err) => {
                self.out.push(r.error(err));
                return Err(Stopped);
            }
        };
        let expected = self.recorded_below(i);
        let (r, now) = self.judge_down(r, &rev, &to, expected, &actual, carried);
        *carried = now;
        self.now_snap = Some(actual);
        self.out.push(r);
        Ok(())
    }

    /// What the way up recorded just below revision `i` (the empty database below the first).
    fn recorded_below(&self, i: usize) -> &Snapshot {
        match i {
            0 => &self.base,
            _ => &self.snaps[&self.order[i - 1]],
        }
    }

    /// Compares the schema after the downgrade of `rev` with the one recorded at `to`
    /// (None = base); fails the step for differences it added. Returns every difference now.
    fn judge_down(
        &self,
        mut r: StepResult,
        rev: &str,
        to: &Option<String>,
        expected: &Snapshot,
        actual: &Snapshot,
        carried: &Carried,
    ) -> (StepResult, Carried) {
        let changes = diff(expected, actual);
        let now = Carried::of(&changes);
        let new = carried.new_in(changes);
        if now.is_empty() {
            r.details
                .push(Walk::EqualsRecorded { at: to.clone() }.into());
        } else if new.is_empty() {
            // Equality would be a false claim: what an earlier downgrade left is still here.
            r.details.push(Walk::Carried { n: now.len() }.into());
        } else {
            r.diff = annotate(new, &self.order, &self.snaps);
            let what = |diff| Walk::NotRestored {
                rev: rev.to_string(),
                of: to.clone(),
                diff,
            };
            let msg = what(Some(Quoted::new(joined(&r.diff, "; "))));
            let d = Defect::new(Kind::DowngradeLeavesSchema, Some(rev), what(None))
                .with_diff(r.diff.clone());
            r = r.fail(msg).defect(d);
        }
        (r, now)
    }

    /// Up again, one revision at a time, each compared with the way up. What the walk down
    /// left behind is exactly what a second deploy meets, so it is not cleaned away.
    async fn up_again(
        &mut self,
        state: &mut ScenarioState,
        top: usize,
        carried: Carried,
    ) -> Result<(), Stopped> {
        if !carried.is_empty() {
            self.out.push(
                StepResult::new(StepAction::Walk, Walk::UpAgainWalkTitle)
                    .detail(Walk::WalkingUpAgain { n: carried.len() }),
            );
        }
        // As on the way down, only a difference new at a step is its fault: what the walk
        // down left is still there when the first revisions go up again.
        let mut carried_up = carried;
        for rev in self.order.clone().iter().take(top + 1) {
            self.up_again_one(state, rev, &mut carried_up).await?;
        }
        Ok(())
    }

    async fn up_again_one(
        &mut self,
        state: &mut ScenarioState,
        rev: &str,
        carried_up: &mut Carried,
    ) -> Result<(), Stopped> {
        let ctx = self.ctx;
        let db = state.db.clone();
        let target = Target::Revision(rev.to_string());
        let version_before = ctx.driver.version(&db).await.ok();
        let e = ctx.driver.upgrade(&db, &target).await;
        let title = Walk::UpAgainTitle {
            rev: rev.to_string(),
        };
        let mut r = walk_step(StepAction::Upgrade, title, &e, rev.to_string());
        r.walk = Some(WalkLeg::UpAgain);
        r.revision = Some(rev.to_string());
        again_after_downgrade(&mut r, &e);
        if r.status == Status::Passed {
            match self.tracker.snapshot(ctx, &db, Some(&e)).await {
                Ok(s) => {
                    let (judged, now) = self.judge_up_again(r, rev, &s, carried_up);
                    r = judged;
                    *carried_up = now;
                    self.now_snap = Some(s);
                }
                Err(err) => r = r.error(err),
            }
            self.out.push(r);
            return Ok(());
        }
        let retry = ctx.driver.upgrade(&db, &target);
        let before = self.now_snap.as_ref();
        let recovered = after_failure(
            ctx,
            state,
            before,
            &version_before,
            &e,
            retry,
            &mut r,
            Some(rev),
        )
        .await;
        self.out.push(r);
        if let Err(failed_rebuild) = recovered {
            self.out.push(failed_rebuild.into_step(Verb::Upgrade));
            return Err(Stopped);
        }
        // Rebuilt from clean at `rev`: nothing is carried any more.
        carried_up.clear();
        self.now_snap = self.snaps.get(rev).cloned();
        Ok(())
    }

    /// Compares the schema after upgrading `rev` again with the first way up; fails the
    /// step for differences it added. Returns every difference now.
    fn judge_up_again(
        &self,
        mut r: StepResult,
        rev: &str,
        again: &Snapshot,
        carried_up: &Carried,
    ) -> (StepResult, Carried) {
        let changes = diff(&self.snaps[rev], again);
        let now = Carried::of(&changes);
        let new: Vec<SchemaDifference> = differences(carried_up.new_in(changes));
        if now.is_empty() {
            r.details.push(Walk::EqualsFirstWayUp.into());
        } else if new.is_empty() {
            r.details.push(Walk::Carried { n: now.len() }.into());
        } else {
            r.diff = new;
            let msg = Walk::SecondUpgradeDiffers {
                rev: rev.to_string(),
            };
            let d =
                Defect::new(Kind::RoundTripFails, Some(rev), msg.clone()).with_diff(r.diff.clone());
            r = r.fail(msg).defect(d);
        }
        (r, now)
    }
}

/// The differences earlier steps of the walk left, which a later step meets again: only a
/// difference new at a step is its fault. Compared as typed changes (a column's position
/// aside, as `same_change` says), never by their printed lines.
#[derive(Debug, Clone, Default, PartialEq)]
struct Carried(Vec<Change>);

impl Carried {
    /// Every difference now, each once.
    fn of(changes: &[Change]) -> Self {
        let mut kept: Vec<Change> = Vec::new();
        for c in changes {
            if !kept.iter().any(|k| same_change(k, c)) {
                kept.push(c.clone());
            }
        }
        Carried(kept)
    }

    /// The changes of `changes` not carried from an earlier step.
    fn new_in(&self, changes: Vec<Change>) -> Vec<Change> {
        changes
            .into_iter()
            .filter(|c| !self.0.iter().any(|k| same_change(k, c)))
            .collect()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod carried_tests {
    use super::Carried;
    use crate::schema::{Change, Column};

    fn dropped(name: &str, position: u32) -> Change {
        Change::DropColumn {
            table: "user".into(),
            column: Column {
                name: name.into(),
                position,
                column_type: "varchar(64)".into(),
                nullable: true,
                ..Column::default()
            },
        }
    }

    #[test]
    fn a_difference_met_again_is_carried_whatever_its_column_position() {
        let carried = Carried::of(&[dropped("api_token", 3)]);
        let new = carried.new_in(vec![dropped("api_token", 7), dropped("oauth_id", 3)]);
        assert_eq!(new, vec![dropped("oauth_id", 3)]);
    }

    #[test]
    fn every_difference_now_is_counted_once() {
        let now = Carried::of(&[dropped("a", 1), dropped("a", 2), dropped("b", 1)]);
        assert_eq!(now.len(), 2);
        assert!(Carried::default().new_in(vec![dropped("a", 1)]).len() == 1);
    }
}
