//! Production-scale timing for `online_ddl`: the statement run with the clause the server
//! accepted, on scratch copies of the parent state whose table was filled to each of the
//! `[production] sample_rows` sizes, extrapolated to `[production] rows`.

use std::time::Instant;

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::common::snapshot;
use super::fork::clone_database;
use crate::data::{self, SeedIssue, SeedOptions};
use crate::driver::DbTarget;
use crate::online::{classify, with_clause, Attempt, Estimate, Sample, StatementKind};

/// Rows per INSERT while filling a table.
const BATCH: usize = 2_000;

/// Times statement `k` (0-based) of `sent` at both sample sizes of `table`.
pub async fn time_at_scale(
    ctx: &RunContext,
    parent: &DbTarget,
    sent: &[String],
    k: usize,
    accepted: Attempt,
    table: &str,
    production_rows: u64,
) -> Result<Estimate, String> {
    let StatementKind::Alter { form, .. } = classify(&sent[k]) else {
        return Err("the statement takes no ALGORITHM clause".into());
    };
    let sql = with_clause(&sent[k], form, accepted);
    let [small, large] = ctx.production.samples();
    let a = sample(ctx, parent, &sent[..k], &sql, table, small).await?;
    let b = sample(ctx, parent, &sent[..k], &sql, table, large).await?;
    Estimate::extrapolate(production_rows, a, b).ok_or_else(|| "two equal sizes".into())
}

/// One timing on its own copy: the statements before it, `rows` rows in `table`, then it.
async fn sample(
    ctx: &RunContext,
    parent: &DbTarget,
    before: &[String],
    sql: &str,
    table: &str,
    rows: u64,
) -> Result<Sample, String> {
    let name = clone_database(ctx, parent).await?;
    let db = ctx.db(&name);
    let timed = async {
        let mut c = db
            .conn
            .connect(Some(&name))
            .await
            .map_err(|e| e.to_string())?;
        for s in before {
            c.query_drop(s).await.map_err(|e| e.to_string())?;
        }
        fill(ctx, &db, &mut c, table, rows).await?;
        let t0 = Instant::now();
        c.query_drop(sql).await.map_err(|e| e.to_string())?;
        let ms = t0.elapsed().as_millis() as u64;
        let _ = c.disconnect().await;
        Ok(Sample { rows, ms })
    }
    .await;
    let _ = ctx.server.drop_database(&name).await;
    timed
}

/// Fills `table` with `rows` generated rows in its current shape, a batch at a time.
async fn fill(
    ctx: &RunContext,
    db: &DbTarget,
    c: &mut mysql_async::Conn,
    table: &str,
    rows: u64,
) -> Result<(), String> {
    let shape = snapshot(ctx, db).await?;
    let others: Vec<String> = shape
        .tables
        .keys()
        .filter(|t| !t.eq_ignore_ascii_case(table))
        .cloned()
        .collect();
    let mut done = 0usize;
    while (done as u64) < rows {
        let n = BATCH.min(rows as usize - done);
        let plan = data::generate_with(
            &shape,
            &others,
            SeedOptions {
                first_row: done,
                rows: Some(n),
                ..Default::default()
            },
        );
        if plan.inserts.is_empty() {
            return Err(format!("the generator cannot fill `{table}`"));
        }
        let report = data::apply_seed(c, &plan)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(issue) = report.tables.iter().flat_map(|t| t.issues.iter()).next() {
            return Err(match issue {
                SeedIssue::Refused { error, .. } => {
                    format!("the server refused generated rows for `{table}`: {error}")
                }
                SeedIssue::Unsupported { why } => why.clone(),
                SeedIssue::Dependent { parent, .. } => {
                    format!("rows of `{table}` need rows of `{parent}` that could not be seeded")
                }
            });
        }
        done += n;
    }
    Ok(())
}
