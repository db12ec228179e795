//! `online_ddl`: for every revision, on a scratch copy of its parent state with seeded rows,
//! each schema-changing statement it sends is tried with the least blocking clause first
//! (`online::ladder`); the first the server accepts is how it runs in production. The spine
//! that captures the statements is the only database the real migration runs on.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;

use super::super::context::RunContext;
use super::super::model::ParentState;
use super::super::result::{StepAction, StepResult};
use super::super::state::{ScenarioState, StepOutcome};
use super::common::snapshot;
use super::fork::{clone_database, parent_state};
use super::online_timing::time_at_scale;
use crate::data::{self, SeedOptions};
use crate::db::DbError;
use crate::db::ServerError;
use crate::driver::{DbTarget, FailedStatement, StatementSource, Target};
use crate::findings::{Defect, Kind};
use crate::online::{
    classify, ladder, with_clause, Algorithm, Blocking, ClauseForm, DdlStatement, Metadata,
    Refusal, RevisionDdl, StatementKind, Verdict,
};
use crate::said::{Common, Online, Quoted, Said};
use crate::scenario::steps::error::StepError;

/// The server's "not supported" answers to an ALGORITHM or LOCK clause.
const NOT_SUPPORTED: &[u16] = &[1845, 1846];

pub async fn online_ddl(ctx: &RunContext, state: &mut ScenarioState) -> StepOutcome {
    let title = || StepResult::new(StepAction::OnlineDdl, Online::Title);
    if ctx.plan.chain.has_errors() {
        return title().skip(Common::NotRunBecauseGraphBroken).into();
    }
    let order = ctx.plan.order().to_vec();
    let spine = state.db.clone();
    let mut out = Vec::new();
    let mut left_out = 0;
    for (i, rev) in order.iter().enumerate() {
        let target = Target::Revision(rev.clone());
        if !ctx.plan.exercises(rev) {
            if !ctx.driver.upgrade(&spine, &target).await.ok() {
                out.push(unreachable(rev));
                break;
            }
            // Another partition's revision is its own business, not one left out.
            left_out += usize::from(!ctx.plan.in_policy(rev));
            continue;
        }
        let prev = i.checked_sub(1).map(|j| order[j].as_str());
        let parent = match parent_state(ctx, ParentState::Clone, Some(&spine), prev).await {
            Ok((n, _)) => n,
            Err(e) => {
                out.push(step(rev).skip(Online::CannotCopyParent {
                    error: Quoted::new(e),
                }));
                break;
            }
        };
        let e = ctx.driver.upgrade(&spine, &target).await;
        if !e.ok() || e.statements.is_empty() {
            let _ = ctx.server.drop_database(&parent).await;
            if !e.ok() {
                out.push(unreachable(rev));
                break;
            }
            return StepOutcome {
                results: vec![title().skip(Online::CaptureUnavailable)],
                // The scenario's reason stays text this round.
                skip_scenario: Some(Online::CaptureUnavailable.into()),
            };
        }
        let sent: Vec<String> = e
            .statements
            .iter()
            .filter(|s| {
                s.source == StatementSource::Migration && s.revision.as_deref() == Some(rev)
            })
            .map(|s| s.sql.clone())
            .collect();
        if sent.iter().all(|s| classify(s) == StatementKind::Other) {
            let _ = ctx.server.drop_database(&parent).await;
            continue;
        }
        let started = std::time::Instant::now();
        // Nothing to ask the server: tables created, dropped or renamed are what they are.
        if !sent
            .iter()
            .any(|s| matches!(classify(s), StatementKind::Alter { .. }))
        {
            let _ = ctx.server.drop_database(&parent).await;
            out.push(verdict(rev, metadata_only(rev, &sent)));
            continue;
        }
        let r = revision(ctx, rev, &ctx.db(&parent), &sent).await;
        let _ = ctx.server.drop_database(&parent).await;
        // A lost server ends the probing: every later revision would fail the same way.
        let lost = r.as_ref().err().is_some_and(StepError::is_server_lost);
        let mut r = r.unwrap_or_else(|e| step(rev).error(e));
        r.duration_ms = started.elapsed().as_millis() as u64;
        out.push(r);
        if lost {
            break;
        }
    }
    if out.is_empty() {
        out.push(title().detail(Online::NoTableChanges));
    }
    out.extend(super::common::older_left_out(
        StepAction::OnlineDdl,
        left_out,
        "probed",
    ));
    StepOutcome {
        results: out,
        skip_scenario: None,
    }
}

fn step(rev: &str) -> StepResult {
    let mut r = StepResult::new(
        StepAction::OnlineDdl,
        Online::RevisionTitle {
            revision: rev.to_string(),
        },
    );
    r.revision = Some(rev.to_string());
    r
}

fn unreachable(rev: &str) -> StepResult {
    step(rev).skip(Online::Unreachable {
        revision: rev.to_string(),
    })
}

/// Probes every statement of `rev` on the scratch copy `parent` — or, when production's
/// sizes ask for timings, on a copy of it, so the timings start from the parent state —
/// then times the ones that grow with the table.
async fn revision(
    ctx: &RunContext,
    rev: &str,
    parent: &DbTarget,
    sent: &[String],
) -> Result<StepResult, StepError> {
    let timed = !ctx.production.rows.is_empty();
    let scratch = if timed {
        clone_database(ctx, parent).await?
    } else {
        parent.database.clone()
    };
    let db = ctx.db(&scratch);
    let probed = async {
        let shape = snapshot(ctx, &db).await?;
        let mut c = db.connect().await?;
        let plan = data::generate_with(&shape, &ctx.exclude(), SeedOptions::default());
        data::apply_seed(&mut c, &plan)
            .await
            .map_err(DbError::from)?;
        let r = tokio::time::timeout(ctx.timeout, probe_all(&mut c, ctx, sent)).await;
        let _ = c.disconnect().await;
        r.map_err(|_| StepError::ProbeTimedOut {
            seconds: ctx.timeout.as_secs(),
        })?
        .map_err(StepError::from)
    }
    .await;
    if timed {
        let _ = ctx.server.drop_database(&scratch).await;
    }
    let mut statements = probed?;
    let mut untimed = Vec::new();
    for s in statements.iter_mut() {
        let (Some(table), Verdict::Probed { accepted, blocking }) = (&s.table, &s.verdict) else {
            continue;
        };
        let Some(rows) = ctx
            .production
            .rows_of(table)
            .filter(|_| blocking.grows_with_rows())
        else {
            continue;
        };
        match time_at_scale(ctx, parent, sent, s.index - 1, *accepted, table, rows).await {
            Ok(e) => s.estimate = Some(e),
            Err(why) => untimed.push(Online::NotTimed {
                index: s.index,
                why: Quoted::new(why),
            }),
        }
    }
    let mut r = verdict(
        rev,
        RevisionDdl {
            revision: rev.to_string(),
            statements,
        },
    );
    r.details.extend(untimed.into_iter().map(Said::from));
    Ok(r)
}

/// A revision without an ALTER: its table statements classified without running them.
fn metadata_only(rev: &str, sent: &[String]) -> RevisionDdl {
    let statements = sent
        .iter()
        .enumerate()
        .filter_map(|(k, sql)| {
            let (table, what) = match classify(sql) {
                StatementKind::CreateTable { table } => (table, Metadata::CreateTable),
                StatementKind::DropTable { table } => (table, Metadata::DropTable),
                StatementKind::RenameTable { table } => (table, Metadata::RenameTable),
                StatementKind::Alter { .. } | StatementKind::Other => return None,
            };
            Some(DdlStatement {
                index: k + 1,
                sql: sql.clone(),
                table: Some(table),
                verdict: Verdict::Metadata { what },
                refusals: vec![],
                estimate: None,
            })
        })
        .collect();
    RevisionDdl {
        revision: rev.to_string(),
        statements,
    }
}

/// Every statement in order on one connection: probed when the clauses apply, else run as
/// written, so each statement meets the state the ones before it left.
async fn probe_all(
    c: &mut Conn,
    ctx: &RunContext,
    sent: &[String],
) -> Result<Vec<DdlStatement>, DbError> {
    let mut out = Vec::new();
    for (k, sql) in sent.iter().enumerate() {
        let mut st = DdlStatement {
            index: k + 1,
            sql: sql.clone(),
            table: None,
            verdict: Verdict::Metadata {
                what: Metadata::CreateTable,
            },
            refusals: vec![],
            estimate: None,
        };
        let what = match classify(sql) {
            StatementKind::Alter { table, form } => {
                st.table = Some(table);
                let (verdict, refusals) = probe(c, ctx, sql, form).await?;
                st.verdict = verdict;
                st.refusals = refusals;
                let stop = matches!(st.verdict, Verdict::Failed { .. });
                out.push(st);
                if stop {
                    break;
                }
                continue;
            }
            StatementKind::CreateTable { table } => (table, Metadata::CreateTable),
            StatementKind::DropTable { table } => (table, Metadata::DropTable),
            StatementKind::RenameTable { table } => (table, Metadata::RenameTable),
            StatementKind::Other => {
                // A refused data statement leaves a state the migration never reaches: the
                // upgrade's own scenarios report it; the probing stops here.
                if as_written(c, sql).await?.is_err() {
                    break;
                }
                continue;
            }
        };
        st.table = Some(what.0);
        st.verdict = match as_written(c, sql).await? {
            Ok(()) => Verdict::Metadata { what: what.1 },
            Err(error) => Verdict::Failed { error },
        };
        let stop = matches!(st.verdict, Verdict::Failed { .. });
        out.push(st);
        if stop {
            break;
        }
    }
    Ok(out)
}

/// Runs `sql` as the migration wrote it: Err(the server is lost) or Ok(the server's answer).
async fn as_written(c: &mut Conn, sql: &str) -> Result<Result<(), ServerError>, DbError> {
    match c.query_drop(sql).await {
        Ok(()) => Ok(Ok(())),
        Err(e) => {
            let e = DbError::at(sql)(e);
            match e.server_error() {
                Some(refused) if !e.is_server_lost() => Ok(Err(refused)),
                _ => Err(e),
            }
        }
    }
}

/// The ladder on one statement: the first clause accepted, with the refusals before it.
/// A clause the server cannot parse or an error that is not a refusal ends the ladder;
/// the statement then runs as written.
async fn probe(
    c: &mut Conn,
    ctx: &RunContext,
    sql: &str,
    form: ClauseForm,
) -> Result<(Verdict, Vec<Refusal>), DbError> {
    let mut refusals: Vec<Refusal> = Vec::new();
    let mut other = None;
    for attempt in ladder(ctx.server.engine) {
        match as_written(c, &with_clause(sql, form, attempt)).await? {
            Ok(()) => {
                let nocopy_refused = refusals
                    .iter()
                    .any(|r| r.attempt.algorithm == Algorithm::Nocopy);
                let blocking = Blocking::from_accepted(attempt, nocopy_refused);
                return Ok((
                    Verdict::Probed {
                        accepted: attempt,
                        blocking,
                    },
                    refusals,
                ));
            }
            Err(error) if NOT_SUPPORTED.contains(&error.code) => {
                refusals.push(Refusal { attempt, error })
            }
            Err(error) => {
                other = Some(error);
                break;
            }
        }
    }
    let verdict = match (as_written(c, sql).await?, other) {
        (Err(error), _) => Verdict::Failed { error },
        (Ok(()), Some(error)) => Verdict::Unprobed { error },
        (Ok(()), None) => Verdict::Unprobed {
            error: refusals
                .last()
                .map(|r| r.error.clone())
                .unwrap_or(ServerError {
                    code: 0,
                    message: "every clause was refused".into(),
                }),
        },
    };
    Ok((verdict, refusals))
}

/// One step per revision; a statement that blocks writes fails it with a `blocks_writes`
/// defect, which `[scenarios] online_ddl` makes a warning (`warn`) or a failure (`required`).
fn verdict(rev: &str, ddl: RevisionDdl) -> StepResult {
    let n = ddl.statements.len();
    let mut r = StepResult::new(
        StepAction::OnlineDdl,
        Online::Asked {
            revision: rev.to_string(),
            changes: n,
        },
    );
    r.revision = Some(rev.to_string());
    let defects: Vec<Defect> = ddl
        .blocking()
        .map(|s| {
            let summary = Online::Blocks {
                revision: rev.to_string(),
                index: s.index,
                table: s.table.clone(),
                verdict: s.verdict.clone(),
                estimate: s.estimate.clone(),
            };
            Defect::new(Kind::BlocksWrites, Some(rev), summary).with_error(
                s.reason().cloned(),
                Some(FailedStatement::sql(s.sql.clone())),
            )
        })
        .collect();
    r.online_ddl = Some(Box::new(ddl));
    if defects.is_empty() {
        return r;
    }
    let mut r = r.fail(Online::BlockWrites {
        blocking: defects.len(),
        revision: rev.to_string(),
        changes: n,
    });
    for d in defects {
        r = r.defect(d);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::online::{Attempt, Lock};
    use crate::scenario::result::Status;

    fn probed(index: usize, algorithm: Algorithm, lock: Option<Lock>, b: Blocking) -> DdlStatement {
        DdlStatement {
            index,
            sql: format!("ALTER TABLE orders ADD c{index} int"),
            table: Some("orders".into()),
            verdict: Verdict::Probed {
                accepted: Attempt { algorithm, lock },
                blocking: b,
            },
            refusals: vec![],
            estimate: None,
        }
    }

    #[test]
    fn each_statement_that_blocks_writes_is_its_own_defect_and_fails_the_step() {
        let ddl = RevisionDdl {
            revision: "r2".into(),
            statements: vec![
                probed(1, Algorithm::Instant, None, Blocking::Instant),
                probed(2, Algorithm::Copy, None, Blocking::Copy),
                probed(
                    3,
                    Algorithm::Inplace,
                    Some(Lock::Shared),
                    Blocking::SharedLock,
                ),
            ],
        };
        let r = verdict("r2", ddl);
        assert_eq!(r.status, Status::Failed);
        assert_eq!(r.defects.len(), 2);
        assert!(r.defects.iter().all(|d| d.kind == Kind::BlocksWrites));
        assert_eq!(
            r.defects[0].summary,
            "r2 statement 2 on `orders`: copy (blocks writes)"
        );
        assert_eq!(
            r.defects[1].statement.as_ref().map(|q| q.sql.as_str()),
            Some("ALTER TABLE orders ADD c3 int")
        );
        assert_eq!(r.online_ddl.as_ref().unwrap().statements.len(), 3);
    }

    #[test]
    fn instant_and_online_changes_pass_without_a_defect() {
        let ddl = RevisionDdl {
            revision: "r2".into(),
            statements: vec![
                probed(1, Algorithm::Instant, None, Blocking::Instant),
                probed(
                    2,
                    Algorithm::Inplace,
                    Some(Lock::None),
                    Blocking::OnlineRebuild,
                ),
            ],
        };
        let r = verdict("r2", ddl);
        assert_eq!(r.status, Status::Passed);
        assert!(r.defects.is_empty());
    }
}
