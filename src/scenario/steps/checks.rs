//! Check and fixture steps: schema and version assertions, data seeding and preservation,
//! probes, the app command, the model check, reset and hot-fix.

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::model::Expect;
use super::super::result::{Status, StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::baseline::{prepare_baseline, run_sql_list};
use super::common::{from_execution, label, meets, revision_of, snapshot, target_of};
use super::text::short;
use crate::data;
use crate::db::{ident, server_error, DbError};
use crate::driver::{DbTarget, Outcome};
use crate::findings::{differences, Defect, Kind};
use crate::scenario::steps::Unmet;
use crate::schema::{diff, hotfix_ddl, Snapshot};

pub async fn reference_snapshot(
    ctx: &RunContext,
    state: &mut ScenarioState,
    name: &str,
    target: &str,
) -> StepResult {
    let title = format!("clean install base → {} as `{name}`", label(ctx, target));
    let scratch = match ctx.server.create_database().await {
        Ok(d) => d,
        Err(e) => {
            return StepResult::new(StepAction::ReferenceSnapshot, title).error(e.to_string())
        }
    };
    let db = ctx.db(&scratch);
    let e = ctx.driver.upgrade(&db, &target_of(ctx, target)).await;
    let mut out = from_execution(
        StepAction::ReferenceSnapshot,
        title,
        &e,
        revision_of(ctx, target),
    );
    if out.status == Status::Passed {
        match snapshot(ctx, &db).await {
            Ok(s) => {
                out.details.push(
                    format!(
                        "{} tables in a clean install at {}",
                        s.tables.len(),
                        label(ctx, target)
                    )
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
    let r = StepResult::new(
        StepAction::AssertSchemaEquals,
        format!("schema equals `{name}`"),
    );
    let Some(expected) = state.snapshots.get(name) else {
        return r.error(format!(
            "no snapshot named `{name}` was taken before this step"
        ));
    };
    let actual = match snapshot(ctx, &state.db).await {
        Ok(s) => s,
        Err(e) => return r.error(e),
    };
    let changes = diff(expected, &actual);
    // Column order is reported, never failed on (schema::warnings).
    let r = crate::schema::warnings(expected, &actual)
        .into_iter()
        .fold(r, |r, w| r.detail(format!("warning: {w}")));
    if changes.is_empty() {
        return r.detail(format!(
            "schema identical to `{name}` ({} tables compared)",
            actual.tables.len()
        ));
    }
    let mut r = r.fail(format!(
        "schema differs from `{name}`: {} difference(s)",
        changes.len()
    ));
    r.diff = differences(changes);
    let d = match (state.undone(ctx.plan.order()), &state.downgraded) {
        (Some(rev), _) => Defect::new(
            Kind::DowngradeLeavesSchema,
            Some(&rev),
            format!("downgrade of {rev} does not restore the schema `{name}`"),
        ),
        // Several revisions undone at once: which one left what is the walk's to say; the
        // report files this under the walk's finding with the same differences.
        (None, Some((from, to))) => Defect::new(
            Kind::DowngradeLeavesSchema,
            None,
            format!(
                "downgrade {} → {} does not restore the schema `{name}`",
                from.as_deref().unwrap_or("?"),
                to
            ),
        ),
        (None, None) => Defect::new(
            Kind::SchemaMismatch,
            None,
            format!("schema differs from `{name}`"),
        ),
    };
    let diff = r.diff.clone();
    r.defect(d.with_diff(diff))
}

pub async fn assert_version(ctx: &RunContext, db: &DbTarget, target: &str) -> StepResult {
    let rev = revision_of(ctx, target);
    let r = StepResult::new(
        StepAction::AssertVersion,
        format!("version table says {}", label(ctx, target)),
    );
    match ctx.driver.version(db).await {
        Err(e) => r.error(format!("cannot read the version table: {e}")),
        Ok(state) => {
            let shown = if state.rows.is_empty() {
                "(empty)".to_string()
            } else {
                state.rows.join(", ")
            };
            match state.check_at(rev.as_deref(), ctx.plan.order()) {
                Ok(()) => r.detail(format!("{} holds {shown}", ctx.driver.version_table())),
                Err(e) => {
                    let mut r = r.fail(crate::said::Said::raised(e));
                    r.revision = rev;
                    r
                }
            }
        }
    }
}

pub fn report_diff(state: &ScenarioState, from: &str, to: &str) -> StepResult {
    let mut r = StepResult::new(StepAction::ReportDiff, format!("schema diff {from} → {to}"));
    match (state.snapshots.get(from), state.snapshots.get(to)) {
        (Some(a), Some(b)) => {
            r.diff = differences(diff(a, b));
            let n = r.diff.len();
            r.detail(if n == 0 {
                "no schema change".to_string()
            } else {
                format!("{n} schema change(s)")
            })
        }
        _ => r.error(format!("snapshots `{from}` and `{to}` are needed first")),
    }
}

pub async fn sql_step(ctx: &RunContext, db: &DbTarget, sql: &str, expect: Expect) -> StepResult {
    let mut r = StepResult::new(
        StepAction::Sql,
        format!(
            "sql expecting {}: {}",
            String::from(expect),
            short(sql, 100)
        ),
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
                Err(m) => r.fail(m.to_string()),
            }
        }
    }
}

pub async fn seed_data(ctx: &RunContext, state: &mut ScenarioState) -> StepResult {
    let r = StepResult::new(StepAction::SeedData, "seed rows in every table");
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
        Err(e) => r.error(format!("seeding failed: {e}")),
        Ok((seeding, contents)) => {
            let mut r = r;
            let rows: usize = contents.iter().map(|t| t.rows.len()).sum();
            r.details.push(
                format!(
                    "{rows} rows seeded in {} table(s): {}",
                    contents.len(),
                    contents
                        .iter()
                        .map(|t| t.table.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
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
    let r = StepResult::new(StepAction::AssertDataPreserved, "seeded data still there");
    let Some((shape, before)) = &state.seeded else {
        return r.error("no seed_data step ran before this one");
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
        Err(e) => return r.error(e.to_string()),
    };
    let values: usize = before.iter().map(|t| t.rows.len() * t.columns.len()).sum();
    if values == 0 {
        // Nothing was compared: that is no evidence the data survived.
        return r.skip("no seeded values to compare (no table could be seeded)");
    }
    let loss = data::compare(before, &after);
    if loss.is_empty() {
        return r.detail(format!(
            "all {values} seeded values in {} table(s) intact",
            before.len()
        ));
    }
    let lost: usize = loss.iter().map(|l| l.lost).sum();
    let mut r = r.fail(format!(
        "data lost on rollback: {lost} seeded value(s)/row(s) in {}",
        describe_loss(&loss)
    ));
    r.details = loss.iter().map(crate::said::Said::raised).collect();
    r.data_loss = loss;
    let rev = state.undone(ctx.plan.order());
    let summary = match &rev {
        Some(rev) => format!(
            "downgrade of {rev} lost seeded rows: {}",
            crate::said::Said::All(r.details.clone())
        ),
        None => format!(
            "seeded rows lost: {}",
            crate::said::Said::All(r.details.clone())
        ),
    };
    r.defect(Defect::new(Kind::DataLost, rev.as_deref(), summary))
}

fn describe_loss(loss: &[data::DataLoss]) -> String {
    loss.iter()
        .map(|l| match &l.column {
            Some(c) => format!("{}.{c}", l.table),
            None => l.table.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
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
    name: String,
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
            name: format!("model query on {name}"),
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
        format!("application queries expecting {}", String::from(expect)),
    );
    let Some(m) = state.snapshots.get(model) else {
        return r.error(format!("no snapshot named `{model}`")).into();
    };
    let a = match against {
        Some(n) => match state.snapshots.get(n) {
            Some(s) => Some(s),
            None => return r.error(format!("no snapshot named `{n}`")).into(),
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
        name: p.name.clone(),
        sql: p.sql.clone(),
        missing: vec![],
        declared: true,
    }));
    if list.is_empty() {
        let why =
            "the rolled-back schema misses nothing the head needs: no application query can fail";
        if skip_if_none {
            return StepOutcome {
                results: vec![r.skip(why)],
                skip_scenario: Some(why.into()),
            };
        }
        return r
            .skip("no probes: nothing derived and no [[probes]] in harness.toml")
            .into();
    }
    let mut r = r;
    let mut conn = match state.db.connect().await {
        Ok(c) => c,
        Err(e) => return r.error(e.to_string()).into(),
    };
    let mut failures = Vec::new();
    for p in &list {
        let res = tokio::time::timeout(state.db.timeout, conn.query_drop(p.sql.as_str())).await;
        let res = match res {
            Ok(x) => x,
            Err(_) => {
                failures.push(format!("{}: timed out", p.name));
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
        let outcome = match &err {
            Some(e) => format!("{} {}", e.code, e.message),
            None => "succeeded".to_string(),
        };
        if r.error.is_none() {
            r.error = err.clone();
        }
        match verdict {
            Ok(()) => r
                .details
                .push(format!("{}: {outcome} (as expected)", p.name).into()),
            Err(why) => {
                r.details.push(format!("{}: {why}", p.name).into());
                failures.push(format!("{}: {why}", p.name));
            }
        }
        r.details
            .push(format!("query: {}", short(&p.sql, 300)).into());
    }
    let _ = conn.disconnect().await;
    if expect == Expect::Ok {
        r.error = None;
    }
    if failures.is_empty() {
        r.into()
    } else {
        r.fail(failures.join("; ")).into()
    }
}

pub async fn app_command(ctx: &RunContext, db: &DbTarget, expect: Expect) -> StepResult {
    let Some(cmd) = &ctx.app_command else {
        return StepResult::new(StepAction::AppCommand, "application command")
            .skip("no [app_command] in harness.toml");
    };
    let e = ctx.driver.app_command(db, cmd).await;
    let title = format!("`{cmd}` expecting {}", String::from(expect));
    let mut r = from_execution(StepAction::AppCommand, title, &e, None);
    match &e.outcome {
        Outcome::TimedOut { .. } | Outcome::NotStarted { .. } => r,
        _ => {
            r.status = Status::Passed;
            r.message = None;
            match meets(expect, e.ok(), e.error.as_ref()) {
                Ok(()) => {
                    let seen = e
                        .error
                        .as_ref()
                        .map(|x| x.to_string())
                        .unwrap_or_else(|| format!("exit {}", e.exit_code.unwrap_or(0)));
                    r.detail(format!("`{cmd}`: {seen} (as expected)"))
                }
                Err(m) => r.fail(format!("`{cmd}`: {m}")),
            }
        }
    }
}

pub async fn model_check(ctx: &RunContext, db: &DbTarget) -> StepResult {
    let Some(e) = ctx.driver.model_check(db).await else {
        return StepResult::new(StepAction::ModelCheck, "model matches schema")
            .skip("this migration tool has no model check");
    };
    if let Outcome::NotStarted { reason } = &e.outcome {
        return StepResult::new(StepAction::ModelCheck, "model matches schema")
            .skip(reason.clone());
    }
    let r = from_execution(
        StepAction::ModelCheck,
        format!("`{}`: model matches schema", e.command),
        &e,
        None,
    );
    if r.status == Status::Passed {
        r.detail("no pending model changes")
    } else {
        let msg = e
            .log()
            .lines()
            .filter(|l| l.contains("New upgrade operations") || l.contains("detected"))
            .collect::<Vec<_>>()
            .join(" ");
        let mut r = r;
        if !msg.is_empty() {
            r.message = Some(format!("model and schema disagree: {}", short(&msg, 400)).into());
        }
        r
    }
}

pub async fn reset(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let mut r = StepResult::new(StepAction::Reset, "fresh database at the baseline");
    let name = match ctx.server.create_database().await {
        Ok(n) => n,
        Err(e) => return r.error(e.to_string()).into(),
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
        r.detail(format!("now working in {name}"))
    } else {
        r.fail("could not bring the new database to the baseline")
    };
    results.insert(0, r);
    StepOutcome {
        results,
        skip_scenario: None,
    }
}

pub async fn hotfix(ctx: &RunContext, state: &ScenarioState, from: &str, to: &str) -> StepResult {
    let r = StepResult::new(
        StepAction::Hotfix,
        format!("apply the {from} → {to} change by hand"),
    );
    let (Some(a), Some(b)) = (state.snapshots.get(from), state.snapshots.get(to)) else {
        return r.error(format!("snapshots `{from}` and `{to}` are needed first"));
    };
    let (sql, source) = if ctx.hotfix_sql.is_empty() {
        (hotfix_ddl(a, b), "derived from the schema diff")
    } else {
        (ctx.hotfix_sql.clone(), "[baseline] hotfix_sql")
    };
    if sql.is_empty() {
        return r.detail(format!(
            "{from} and {to} have the same schema: nothing to apply by hand"
        ));
    }
    let mut r = r;
    r.details.push(format!("hot-fix DDL ({source}):").into());
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
    r.details.extend(
        hotfix_labels(&sql, at)
            .into_iter()
            .map(crate::said::Said::from),
    );
    match refused {
        None => r,
        Some((i, e)) => {
            r.error = server_error(&e);
            r.fail(format!(
                "hot-fix statement refused: {e} (statement: {})",
                short(&sql[i], 200)
            ))
        }
    }
}

/// What became of each hot-fix statement: `applied` only once the server accepted it; the
/// refused one names the server's code (or `refused (no server code)` when the connection
/// failed); those after it never ran.
fn hotfix_labels(sql: &[String], refused: Option<(usize, Option<u16>)>) -> Vec<String> {
    sql.iter()
        .enumerate()
        .map(|(i, s)| match refused {
            Some((at, code)) if i == at => match code {
                Some(c) => format!("refused ({c}): {s}"),
                None => format!("refused (no server code): {s}"),
            },
            Some((at, _)) if i > at => format!("not run: {s}"),
            _ => format!("applied: {s}"),
        })
        .collect()
}

#[cfg(test)]
mod hotfix_tests {
    use super::hotfix_labels;

    #[test]
    fn only_accepted_statements_are_labelled_applied() {
        let sql: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        assert_eq!(
            hotfix_labels(&sql, Some((1, Some(1091)))),
            ["applied: A", "refused (1091): B", "not run: C"]
        );
        assert_eq!(
            hotfix_labels(&sql, Some((0, None))),
            ["refused (no server code): A", "not run: B", "not run: C"]
        );
        assert_eq!(
            hotfix_labels(&sql, None),
            ["applied: A", "applied: B", "applied: C"]
        );
    }
}
