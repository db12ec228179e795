//! `release_code`: one release's statements (its ORM model's INSERT, SELECT, UPDATE and
//! DELETE per mapped table, and its `[[probes]]`) on the database as it stands, inside a
//! transaction that is rolled back. A statement the schema refuses is an incompatibility,
//! blamed through `compat::blame` on the revision whose typed schema diff explains it.

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Params, Value};

use super::super::state::{ScenarioState, StepOutcome};
use super::changes::{drift_of, history, owner};
use crate::compat::{self, Blame, CodeStatement, Incompatibility, Op, Release, Role, Subject};
use crate::db::{ident, server_error, ServerError};
use crate::driver::FailedStatement;
use crate::findings::{Defect, Kind};
use crate::said::{Compat, Quoted, Said, Statement};
use crate::scenario::context::RunContext;
use crate::scenario::result::{StepAction, StepResult};
use crate::scenario::steps::error::StepError;

/// A statement the server refused, with what it lacked.
struct Refusal {
    statement: CodeStatement,
    error: ServerError,
    subject: Subject,
}

pub async fn release_code(
    ctx: &RunContext,
    state: &ScenarioState,
    release: Release,
) -> StepOutcome {
    let r = StepResult::new(StepAction::ReleaseCode, Compat::Title { release });
    let statements = match statements(ctx, state, release).await {
        Ok(s) => s,
        Err(why) => return r.skip(why).into(),
    };
    let mut conn = match state.db.connect().await {
        Ok(c) => c,
        Err(e) => return r.error(e).into(),
    };
    let ran = run_rolled_back(&mut conn, state, &statements).await;
    let _ = conn.disconnect().await;
    let (refusals, mut details) = match ran {
        Ok(x) => x,
        Err(e) => return r.error(Said::raised(e)).into(),
    };
    let mut r = r;
    details.insert(
        0,
        Compat::RolledBack {
            statements: statements.len(),
            release,
        },
    );
    r.details = details.into_iter().map(Said::from).collect();
    if refusals.is_empty() {
        return r.into();
    }
    let (revisions, clean) = match history(ctx).await {
        Ok(h) => h,
        Err(e) => {
            return r
                .error(Compat::NoHistory {
                    error: Quoted::new(e),
                })
                .into()
        }
    };
    let drift = drift_of(state, clean);
    for f in refusals {
        // A probe's qualifier may be an alias (`b.slug`): the table a change touched that
        // column of is the better guess.
        let table = f
            .statement
            .table
            .clone()
            .or_else(|| owner(&revisions, &drift, &f.subject))
            .or_else(|| f.subject.table().map(str::to_string));
        let blame = table
            .as_deref()
            .map(|t| compat::blame(release, t, &f.subject, &revisions, &drift))
            .unwrap_or(Blame::Finding(compat::Cause::Unexplained));
        let cause = match blame {
            Blame::Expand => {
                r.details.push(
                    Compat::Expand {
                        op: f.statement.op,
                        table,
                        error: Quoted::new(&f.error),
                    }
                    .into(),
                );
                continue;
            }
            Blame::Finding(c) => c,
        };
        let i = Incompatibility {
            code: release,
            table,
            column: f.subject.column().map(str::to_string),
            op: f.statement.op,
            error: f.error.clone(),
            cause,
        };
        let kind = match release {
            Release::Previous => Kind::BreaksPreviousRelease,
            Release::Next => Kind::CodeAheadOfSchema,
        };
        let revision = match &i.cause {
            compat::Cause::Revision { revision } => Some(revision.clone()),
            _ => None,
        };
        let said = Said::from(Compat::incompatible(i.clone()));
        r.details.push(said.clone());
        r.defects.push(
            Defect::new(kind, revision.as_deref(), said)
                .with_error(
                    Some(f.error),
                    Some(FailedStatement::sql(f.statement.sql.clone())),
                )
                .with_compat(i),
        );
    }
    if r.defects.is_empty() {
        return r.into();
    }
    let message = r
        .defects
        .iter()
        .map(|d| d.summary.clone())
        .collect::<Vec<_>>();
    let message = Said::All(message);
    r.error = r.defects.first().and_then(|d| d.error.clone());
    r.fail(message).into()
}

/// The release's statements: its model's, then its probes. Err: why there are none.
async fn statements(
    ctx: &RunContext,
    state: &ScenarioState,
    release: Release,
) -> Result<Vec<CodeStatement>, StepError> {
    let driver = match (release, &ctx.previous) {
        (Release::Next, _) => ctx.driver.clone(),
        (Release::Previous, Some(p)) => p.driver.clone(),
        (Release::Previous, None) => return Err(StepError::NoPreviousRelease),
    };
    let mut out = match driver.model_statements(&state.db).await {
        Some(Ok(s)) => s,
        Some(Err(e)) if !ctx.probes.iter().any(|p| p.release == release) => return Err(e.into()),
        _ => vec![],
    };
    out.extend(
        ctx.probes
            .iter()
            .filter(|p| p.release == release)
            .map(|p| CodeStatement {
                table: None,
                op: Op::Probe,
                name: Some(p.name.clone()),
                sql: p.sql.clone(),
                params: vec![],
            }),
    );
    if out.is_empty() {
        return Err(StepError::NoStatements {
            release: match release {
                Release::Previous => "previous",
                Release::Next => "next",
            },
        });
    }
    Ok(out)
}

/// Runs every statement in one transaction, rolled back; foreign keys are not checked
/// (made-up values would fail them for reasons no release has).
async fn run_rolled_back(
    conn: &mut Conn,
    state: &ScenarioState,
    statements: &[CodeStatement],
) -> Result<(Vec<Refusal>, Vec<Compat>), mysql_async::Error> {
    conn.query_drop("SET FOREIGN_KEY_CHECKS = 0").await?;
    conn.query_drop("START TRANSACTION").await?;
    let mut refusals: Vec<Refusal> = Vec::new();
    let mut details = Vec::new();
    for s in statements {
        let params = seeded_params(conn, s).await;
        let run = async {
            match (s.op, params) {
                (Op::Probe, _) => conn.query_drop(s.sql.as_str()).await,
                (_, p) => conn.exec_drop(s.sql.as_str(), p).await,
            }
        };
        let res = match tokio::time::timeout(state.db.timeout, run).await {
            Ok(r) => r,
            Err(_) => {
                details.push(Compat::TimedOut {
                    statement: label(s),
                });
                break;
            }
        };
        let Err(e) = res else { continue };
        let Some(error) = server_error(&e) else {
            return Err(e);
        };
        match Subject::of(&error) {
            // One finding per missing object: the first statement that hit it.
            Some(subject) if !refusals.iter().any(|f| same_object(f, s, &subject)) => refusals
                .push(Refusal {
                    statement: s.clone(),
                    error,
                    subject,
                }),
            Some(_) => {}
            None => details.push(Compat::NotJudged {
                statement: label(s),
                error: Quoted::new(&error),
            }),
        }
    }
    conn.query_drop("ROLLBACK").await?;
    Ok((refusals, details))
}

/// The same missing object, whether or not the server qualified it (an INSERT's 1054
/// names `api_token`, a SELECT's `user.api_token`).
fn same_object(f: &Refusal, s: &CodeStatement, subject: &Subject) -> bool {
    let table =
        |st: &CodeStatement, sub: &Subject| st.table.clone().or(sub.table().map(str::to_string));
    std::mem::discriminant(&f.subject) == std::mem::discriminant(subject)
        && f.subject.column() == subject.column()
        && table(&f.statement, &f.subject) == table(s, subject)
}

fn label(s: &CodeStatement) -> Statement {
    Statement {
        name: s.name.clone(),
        op: s.op,
        table: s.table.clone(),
    }
}

/// The statement's values, its key bound to a seeded row's when the table has one (so the
/// SELECT, UPDATE and DELETE touch data).
async fn seeded_params(conn: &mut Conn, s: &CodeStatement) -> Params {
    let (Some(table), true) = (&s.table, s.params.iter().any(|p| p.role == Role::Key)) else {
        return to_params(s.params.iter().map(|p| value(&p.value)).collect());
    };
    let keys: Vec<&str> = s
        .params
        .iter()
        .filter(|p| p.role == Role::Key)
        .map(|p| p.column.as_str())
        .collect();
    let sql = format!(
        "SELECT {} FROM {} LIMIT 1",
        keys.iter().map(|k| ident(k)).collect::<Vec<_>>().join(", "),
        ident(table)
    );
    let row: Option<mysql_async::Row> = conn.query_first(sql).await.ok().flatten();
    let mut seeded = row.map(|r| r.unwrap()).unwrap_or_default().into_iter();
    let mut values = Vec::new();
    let mut seen_keys = std::collections::HashMap::new();
    for p in &s.params {
        let v = if p.role == Role::Key {
            // A key column bound twice (composite keys repeat in the WHERE) keeps its value.
            seen_keys
                .entry(p.column.clone())
                .or_insert_with(|| seeded.next().unwrap_or_else(|| value(&p.value)))
                .clone()
        } else {
            value(&p.value)
        };
        values.push(v);
    }
    to_params(values)
}

fn to_params(v: Vec<Value>) -> Params {
    if v.is_empty() {
        Params::Empty
    } else {
        Params::Positional(v)
    }
}

fn value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::NULL,
        serde_json::Value::Bool(b) => Value::Int(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Double(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Bytes(s.clone().into_bytes()),
        other => Value::Bytes(other.to_string().into_bytes()),
    }
}
