//! Check and fixture steps: schema and version assertions, data seeding and preservation,
//! probes, the app command, the model check, reset and hot-fix.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::Expect;
use super::super::result::{Status, StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::baseline::{prepare_baseline, run_sql_list};
use super::common::{from_execution, meets, revision_of, snapshot, target_of};
use super::text::short;
use crate::data;
use crate::db::{ident, server_error, DbError};
use crate::driver::{DbTarget, Outcome};
use crate::findings::{differences, Defect, Kind};
use crate::said::{
    Check, Common, Exercise, Fate, HotfixSource, LostIn, ProbeName, Quoted, Said, Target as Named,
};
use crate::scenario::steps::Unmet;
use crate::schema::{diff, hotfix_ddl, Snapshot};

/// A target as `label` shows it, typed: a revision id the wording masks in its template.
fn named(ctx: &RunContext, t: &str) -> Named {
    match t {
        "baseline" => Named::Baseline(ctx.plan.baseline.clone()),
        "head" => Named::Head(ctx.plan.head.clone()),
        r if ctx.plan.order().iter().any(|o| o == r) => Named::Revision(r.to_string()),
        w => Named::Word(w.to_string()),
    }
}

pub async fn reference_snapshot(
    ctx: &RunContext,
    state: &mut ScenarioState,
    name: &str,
    target: &str,
) -> StepResult {
    let title = Check::ReferenceTitle {
        target: named(ctx, target),
        name: name.to_string(),
    };
    let scratch = match ctx.server.create_database().await {
        Ok(d) => d,
        Err(e) => {
            return StepResult::new(StepAction::ReferenceSnapshot, title).error(Said::raised(e))
        }
    };
    let db = ctx.db(&scratch);
    let e = ctx.driver.upgrade(&db, &target_of(ctx, target)).await;
    let mut out = from_execution(
        StepAction::ReferenceSnapshot,
        title.clone(),
        &e,
        revision_of(ctx, target),
    );
    if out.status == Status::Passed {
        match snapshot(ctx, &db).await {
            Ok(s) => {
                out.details.push(
                    Check::CleanInstallTables {
                        tables: s.tables.len(),
                        target: named(ctx, target),
                    }
                    .into(),
                );
                state.snapshots.insert(name.to_string(), s);
            }
            Err(e) => out = out.error(e),
        }
    }
    let _ = ctx.server.drop_database(&scratch).await;
    out
}

pub async fn assert_schema_equals(
    ctx: &RunContext,
    state: &ScenarioState,
    name: &str,
) -> StepResult {
    let name_ = || name.to_string();
    let r = StepResult::new(
        StepAction::AssertSchemaEquals,
        Check::SchemaEqualsTitle { name: name_() },
    );
    let Some(expected) = state.snapshots.get(name) else {
        return r.error(Check::NoSnapshotTaken { name: name_() });
    };
    let actual = match snapshot(ctx, &state.db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    let changes = diff(expected, &actual);
    // Column order is reported, never failed on (schema::warnings).
    let r = crate::schema::warnings(expected, &actual)
        .into_iter()
        .fold(r, |r, w| {
            r.detail(Check::SchemaWarning {
                warning: Quoted::new(w),
            })
        });
    if changes.is_empty() {
        return r.detail(Check::SchemaIdentical {
            name: name_(),
            tables: actual.tables.len(),
        });
    }
    let mut r = r.fail(Check::SchemaDiffers {
        name: name_(),
        differences: changes.len(),
    });
    r.diff = differences(changes);
    let d = match (state.undone(ctx.plan.order()), &state.downgraded) {
        (Some(rev), _) => Defect::new(
            Kind::DowngradeLeavesSchema,
            Some(&rev),
            Check::DowngradeLeavesSchema {
                revision: rev.clone(),
                name: name_(),
            },
        ),
        // Several revisions undone at once: which one left what is the walk's to say; the
        // report files this under the walk's finding with the same differences.
        (None, Some((from, to))) => Defect::new(
            Kind::DowngradeLeavesSchema,
            None,
            Check::DowngradesLeaveSchema {
                from: from.clone(),
                to: match to {
                    crate::driver::Target::Revision(r) => Named::Revision(r.clone()),
                    other => Named::Word(other.to_string()),
                },
                name: name_(),
            },
        ),
        (None, None) => Defect::new(
            Kind::SchemaMismatch,
            None,
            Check::SchemaMismatch { name: name_() },
        ),
    };
    let diff = r.diff.clone();
    r.defect(d.with_diff(diff))
}

pub async fn assert_version(ctx: &RunContext, db: &DbTarget, target: &str) -> StepResult {
    let rev = revision_of(ctx, target);
    let r = StepResult::new(
        StepAction::AssertVersion,
        Check::VersionTitle {
            target: named(ctx, target),
        },
    );
    match ctx.driver.version(db).await {
        Err(e) => r.error(Check::VersionUnreadable {
            error: Quoted::new(e),
        }),
        Ok(state) => match state.check_at(rev.as_deref(), ctx.plan.order()) {
            Ok(()) => r.detail(Check::VersionHolds {
                table: ctx.driver.version_table().to_string(),
                rows: state.rows.clone(),
            }),
            Err(e) => {
                let mut r = r.fail(Said::raised(e));
                r.revision = rev;
                r
            }
        },
    }
}

pub fn report_diff(state: &ScenarioState, from: &str, to: &str) -> StepResult {
    let (from_, to_) = (from.to_string(), to.to_string());
    let mut r = StepResult::new(
        StepAction::ReportDiff,
        Check::DiffTitle {
            from: from_.clone(),
            to: to_.clone(),
        },
    );
    match (state.snapshots.get(from), state.snapshots.get(to)) {
        (Some(a), Some(b)) => {
            r.diff = differences(diff(a, b));
            let changes = r.diff.len();
            r.detail(Check::SchemaChanges { changes })
        }
        _ => r.error(Common::SnapshotsNeeded {
            from: from_,
            to: to_,
        }),
    }
}

pub async fn sql_step(ctx: &RunContext, db: &DbTarget, sql: &str, expect: Expect) -> StepResult {
    let mut r = StepResult::new(
        StepAction::Sql,
        Check::SqlTitle {
            expect: expect.into(),
            sql: Quoted::new(short(sql, 100)),
        },
    );
    r.expect = Some(expect);
    let result = async {
        let mut c = db.connect().await?;
        let r = c.query_drop(sql).await.map_err(DbError::at(sql));
        let _ = c.disconnect().await;
        r
    };
    match tokio::time::timeout(db.timeout, result).await {
        Err(_) => super::common::killed_at_timeout(ctx, db, r).await,
        Ok(res) => {
            let err = res.as_ref().err().and_then(DbError::server_error);
            let mut r = r;
            r.error = err.clone();
            match meets(expect, res.is_ok(), err.as_ref()) {
                Ok(()) => r,
                Err(m) => r.fail(Said::raised(m)),
            }
        }
    }
}

pub async fn seed_data(ctx: &RunContext, state: &mut ScenarioState) -> StepResult {
    let r = StepResult::new(StepAction::SeedData, Exercise::SeedTitle);
    let snap = match snapshot(ctx, &state.db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    // The same production-shaped rows the round trip seeds, so a later narrowing, copy or
    // unique index meets the data that breaks it in every scenario that seeds.
    let plan = data::generate_with(
        &snap,
        &ctx.exclude(),
        data::SeedOptions {
            first_row: 0,
            shape: data::SeedShape::Extremes,
            ..Default::default()
        },
    );
    let work = async {
        let mut c = state.db.connect().await?;
        let seeding = data::apply_seed(&mut c, &plan).await?;
        let tables: Vec<String> = plan.inserts.iter().map(|i| i.table.clone()).collect();
        let contents = data::read_contents(&mut c, &state.db.database, &snap, &tables).await?;
        let _ = c.disconnect().await;
        Ok::<_, DbError>((seeding, contents))
    };
    match work.await {
        Err(e) => r.error(Exercise::SeedingFailed {
            error: Quoted::new(e),
        }),
        Ok((seeding, contents)) => {
            let mut r = r;
            let rows: usize = contents.iter().map(|t| t.rows.len()).sum();
            r.details.push(
                Exercise::Seeded {
                    rows,
                    tables: contents.iter().map(|t| t.table.clone()).collect(),
                }
                .into(),
            );
            // What could not be seeded is run information, never a finding.
            r.seeding.push(seeding);
            state.seeded = Some((snap, contents));
            r
        }
    }
}

pub async fn assert_data_preserved(ctx: &RunContext, state: &ScenarioState) -> StepResult {
    let r = StepResult::new(StepAction::AssertDataPreserved, Exercise::PreservedTitle);
    let Some((shape, before)) = &state.seeded else {
        return r.error(Exercise::NoSeed);
    };
    let tables: Vec<String> = before.iter().map(|t| t.table.clone()).collect();
    let work = async {
        let mut c = state.db.connect().await?;
        let after = data::read_contents(&mut c, &state.db.database, shape, &tables).await?;
        let _ = c.disconnect().await;
        Ok::<_, DbError>(after)
    };
    let after = match work.await {
        Ok(a) => a,
        Err(e) => return r.error(e),
    };
    let values: usize = before.iter().map(|t| t.rows.len() * t.columns.len()).sum();
    if values == 0 {
        // Nothing was compared: that is no evidence the data survived.
        return r.skip(Exercise::NothingSeeded);
    }
    let loss = data::compare(before, &after);
    if loss.is_empty() {
        return r.detail(Exercise::DataIntact {
            values,
            tables: before.len(),
        });
    }
    let lost: usize = loss.iter().map(|l| l.lost).sum();
    let mut r = r.fail(Exercise::DataLostOnRollback {
        lost,
        places: lost_in(&loss),
    });
    // Each loss line is `DataLoss`'s own wording (crate::data).
    r.details = loss.iter().map(Said::raised).collect();
    let revision = state.undone(ctx.plan.order());
    let summary = Exercise::DataLost {
        revision: revision.clone(),
        losses: loss.iter().map(Quoted::new).collect(),
    };
    r.data_loss = loss;
    r.defect(Defect::new(Kind::DataLost, revision.as_deref(), summary))
}

fn lost_in(loss: &[data::DataLoss]) -> Vec<LostIn> {
    loss.iter()
        .map(|l| LostIn {
            table: l.table.clone(),
            column: l.column.clone(),
        })
        .collect()
}

/// ORM-style probe: `SELECT user.id AS user_id, … FROM user`, as SQLAlchemy writes it.
fn orm_select(table: &crate::schema::Table) -> String {
    let mut cols: Vec<&crate::schema::Column> = table.columns.values().collect();
    cols.sort_by_key(|c| c.position);
    format!(
        "SELECT {} FROM {} LIMIT 1",
        cols.iter()
            .map(|c| format!(
                "{}.{} AS {}",
                ident(&table.name),
                ident(&c.name),
                ident(&format!("{}_{}", table.name, c.name))
            ))
            .collect::<Vec<_>>()
            .join(", "),
        ident(&table.name)
    )
}

struct Probe {
    name: ProbeName,
    sql: String,
    /// Columns one of which the error must name (derived probes).
    missing: Vec<String>,
    /// Written by the user: any server error reproduces the failure (a missing table is
    /// 1146, not 1054); derived probes must match the step's expectation exactly.
    declared: bool,
}

fn derive_probes(model: &Snapshot, against: Option<&Snapshot>, exclude: &[String]) -> Vec<Probe> {
    let mut out = Vec::new();
    for (name, t) in &model.tables {
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(name)) {
            continue;
        }
        let missing: Vec<String> = match against {
            None => vec![],
            Some(a) => match a.tables.get(name) {
                None => continue,
                Some(at) => t
                    .columns
                    .keys()
                    .filter(|c| !at.columns.contains_key(*c))
                    .cloned()
                    .collect(),
            },
        };
        if against.is_some() && missing.is_empty() {
            continue;
        }
        out.push(Probe {
            name: ProbeName::Model {
                table: name.clone(),
            },
            sql: orm_select(t),
            missing,
            declared: false,
        });
    }
    out
}

pub async fn probes(
    ctx: &RunContext,
    state: &ScenarioState,
    model: &str,
    against: Option<&str>,
    expect: Expect,
    skip_if_none: bool,
) -> StepOutcome {
    let r = StepResult::new(
        StepAction::Probes,
        Exercise::ProbesTitle {
            expect: expect.into(),
        },
    );
    let Some(m) = state.snapshots.get(model) else {
        let name = model.to_string();
        return r.error(Common::NoSnapshot { name }).into();
    };
    let a = match against {
        Some(n) => match state.snapshots.get(n) {
            Some(s) => Some(s),
            None => {
                let name = n.to_string();
                return r.error(Common::NoSnapshot { name }).into();
            }
        },
        None => None,
    };
    let mut list = derive_probes(m, a, &ctx.exclude());
    // `release = "previous"` probes are the previous release's queries (the compat check).
    let today = ctx
        .probes
        .iter()
        .filter(|p| p.release == crate::compat::Release::Next);
    list.extend(today.map(|p| Probe {
        name: ProbeName::Declared(p.name.clone()),
        sql: p.sql.clone(),
        missing: vec![],
        declared: true,
    }));
    if list.is_empty() {
        if skip_if_none {
            return StepOutcome {
                results: vec![r.skip(Exercise::NothingToProbe)],
                skip_scenario: Some(Exercise::NothingToProbe.into()),
            };
        }
        return r.skip(Exercise::NoProbes).into();
    }
    let mut r = r;
    let mut conn = match state.db.connect().await {
        Ok(c) => c,
        Err(e) => return r.error(e).into(),
    };
    let mut failures = Vec::new();
    for p in &list {
        let res = tokio::time::timeout(state.db.timeout, conn.query_drop(p.sql.as_str())).await;
        let res = match res {
            Ok(x) => x,
            Err(_) => {
                failures.push(
                    Exercise::ProbeTimedOut {
                        probe: p.name.clone(),
                    }
                    .into(),
                );
                break;
            }
        };
        let err = res.as_ref().err().and_then(server_error);
        let wanted = match (expect, p.declared) {
            (Expect::Error(_), true) => Expect::AnyError,
            (e, _) => e,
        };
        let verdict = meets(wanted, res.is_ok(), err.as_ref()).and_then(|()| {
            match (&err, p.missing.is_empty()) {
                (Some(e), false)
                    if !p.missing.iter().any(|c| {
                        e.message.contains(&format!("{c}'")) || e.message.contains(&format!(".{c}"))
                    }) =>
                {
                    Err(Unmet::NamesNoMissingColumn {
                        missing: p.missing.clone(),
                        error: e.clone(),
                    })
                }
                _ => Ok(()),
            }
        });
        if r.error.is_none() {
            r.error = err.clone();
        }
        match verdict {
            Ok(()) => r.details.push(
                Exercise::ProbeAsExpected {
                    probe: p.name.clone(),
                    error: err.as_ref().map(Quoted::new),
                }
                .into(),
            ),
            Err(why) => {
                let unmet = Said::from(Exercise::ProbeUnmet {
                    probe: p.name.clone(),
                    why: Quoted::new(why),
                });
                r.details.push(unmet.clone());
                failures.push(unmet);
            }
        }
        r.details.push(
            Exercise::ProbeQuery {
                sql: Quoted::new(short(&p.sql, 300)),
            }
            .into(),
        );
    }
    let _ = conn.disconnect().await;
    if expect == Expect::Ok {
        r.error = None;
    }
    if failures.is_empty() {
        r.into()
    } else {
        r.fail(Said::All(failures)).into()
    }
}

pub async fn app_command(ctx: &RunContext, db: &DbTarget, expect: Expect) -> StepResult {
    let Some(cmd) = &ctx.app_command else {
        return StepResult::new(StepAction::AppCommand, Exercise::AppTitle)
            .skip(Exercise::NoAppCommand);
    };
    let e = ctx.driver.app_command(db, cmd).await;
    let command = || cmd.to_string();
    let title = Exercise::AppCommandTitle {
        command: command(),
        expect: expect.into(),
    };
    let mut r = from_execution(StepAction::AppCommand, title, &e, None);
    match &e.outcome {
        Outcome::TimedOut { .. } | Outcome::NotStarted { .. } => r,
        _ => {
            r.status = Status::Passed;
            r.message = None;
            match meets(expect, e.ok(), e.error.as_ref()) {
                Ok(()) => r.detail(Exercise::AppAsExpected {
                    command: command(),
                    error: e.error.as_ref().map(Quoted::new),
                    exit: e.exit_code.unwrap_or(0),
                }),
                Err(m) => r.fail(Exercise::AppUnmet {
                    command: command(),
                    why: Quoted::new(m),
                }),
            }
        }
    }
}

pub async fn model_check(ctx: &RunContext, db: &DbTarget) -> StepResult {
    let Some(e) = ctx.driver.model_check(db).await else {
        return StepResult::new(StepAction::ModelCheck, Exercise::ModelTitle)
            .skip(Exercise::NoModelCheck);
    };
    if let Outcome::NotStarted { reason } = &e.outcome {
        // The tool's own words for why it could not start.
        return StepResult::new(StepAction::ModelCheck, Exercise::ModelTitle)
            .skip(Said::raised(reason));
    }
    let title = Exercise::ModelCommandTitle {
        command: e.command.clone(),
    };
    let r = from_execution(StepAction::ModelCheck, title, &e, None);
    if r.status == Status::Passed {
        r.detail(Exercise::NoPendingModelChanges)
    } else {
        let msg = e
            .log()
            .lines()
            .filter(|l| l.contains("New upgrade operations") || l.contains("detected"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut r = r;
        if !msg.is_empty() {
            r.message = Some(
                Exercise::ModelDisagrees {
                    output: Quoted::new(short(&msg, 400)),
                }
                .into(),
            );
        }
        r
    }
}

pub async fn reset(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let mut r = StepResult::new(StepAction::Reset, Check::ResetTitle);
    let name = match ctx.server.create_database().await {
        Ok(n) => n,
        Err(e) => return r.error(Said::raised(e)).into(),
    };
    let old = std::mem::replace(&mut state.db, ctx.db(&name));
    state.created(name.clone());
    let _ = ctx.server.drop_database(&old.database).await;
    let baseline_snapshot = state.snapshots.remove("baseline");
    let mut results = prepare_baseline(ctx, state).await;
    if let Some(s) = baseline_snapshot {
        state.snapshots.entry("baseline".into()).or_insert(s);
    }
    let ok = results.iter().all(|s| s.status == Status::Passed);
    r = if ok {
        r.detail(Check::NowWorkingIn { database: name })
    } else {
        r.fail(Check::NotAtBaseline)
    };
    results.insert(0, r);
    StepOutcome {
        results,
        skip_scenario: None,
    }
}

pub async fn hotfix(ctx: &RunContext, state: &ScenarioState, from: &str, to: &str) -> StepResult {
    let (from, to) = (from.to_string(), to.to_string());
    let r = StepResult::new(
        StepAction::Hotfix,
        Check::HotfixTitle {
            from: from.clone(),
            to: to.clone(),
        },
    );
    let (Some(a), Some(b)) = (state.snapshots.get(&from), state.snapshots.get(&to)) else {
        return r.error(Common::SnapshotsNeeded { from, to });
    };
    let (sql, source) = if ctx.hotfix_sql.is_empty() {
        (hotfix_ddl(a, b), HotfixSource::Derived)
    } else {
        (ctx.hotfix_sql.clone(), HotfixSource::Configured)
    };
    if sql.is_empty() {
        return r.detail(Check::SameSchema { from, to });
    }
    let mut r = r;
    r.details.push(Check::HotfixDdl { source }.into());
    // One statement at a time, so each is labelled by what the server answered to it.
    let mut refused = None;
    for (i, stmt) in sql.iter().enumerate() {
        match run_sql_list(&state.db, std::slice::from_ref(stmt)).await {
            Ok(ms) => r.duration_ms += ms,
            Err((_, e)) => {
                refused = Some((i, e));
                break;
            }
        }
    }
    let at = refused
        .as_ref()
        .map(|(i, e)| (*i, server_error(e).map(|s| s.code)));
    r.details
        .extend(hotfix_labels(&sql, at).into_iter().map(Said::from));
    match refused {
        None => r,
        Some((i, e)) => {
            r.error = server_error(&e);
            r.fail(Check::HotfixRefused {
                error: Quoted::new(e),
                statement: Quoted::new(short(&sql[i], 200)),
            })
        }
    }
}

/// What became of each hot-fix statement: `applied` only once the server accepted it; the
/// refused one names the server's code (or `refused (no server code)` when the connection
/// failed); those after it never ran.
fn hotfix_labels(sql: &[String], refused: Option<(usize, Option<u16>)>) -> Vec<Check> {
    sql.iter()
        .enumerate()
        .map(|(i, s)| Check::Statement {
            fate: match refused {
                Some((at, code)) if i == at => Fate::Refused(code),
                Some((at, _)) if i > at => Fate::NotRun,
                _ => Fate::Applied,
            },
            sql: Quoted::new(s),
        })
        .collect()
}

#[cfg(test)]
mod hotfix_tests {
    use super::hotfix_labels;

    #[test]
    fn only_accepted_statements_are_labelled_applied() {
        let sql: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let labels = |refused| -> Vec<String> {
            hotfix_labels(&sql, refused)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            labels(Some((1, Some(1091)))),
            ["applied: A", "refused (1091): B", "not run: C"]
        );
        assert_eq!(
            labels(Some((0, None))),
            ["refused (no server code): A", "not run: B", "not run: C"]
        );
        assert_eq!(labels(None), ["applied: A", "applied: B", "applied: C"]);
    }
}
