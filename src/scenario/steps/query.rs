//! `assert_query`: a read-only query on the scenario's database whose rows must be the
//! expected ones — the check a data migration needs ("after r5 no user is left without an
//! api_token"). A mismatch fails the step carrying both row sets (`QueryRows`).

use mysql_async::prelude::Queryable;

use super::super::context::RunContext;
use super::super::result::{StepAction, StepResult};
use super::text::one_line;
use crate::data::{cell_of, rows_text, QueryRows, Row};
use crate::db::DbError;
use crate::driver::DbTarget;
use crate::said::{Check, Quoted, Said};

pub async fn assert_query(
    ctx: &RunContext,
    db: &DbTarget,
    sql: &str,
    expected: &[Row],
) -> StepResult {
    let r = StepResult::new(
        StepAction::AssertQuery,
        Check::QueryTitle {
            sql: Quoted::new(one_line(sql)),
            rows: expected.len(),
        },
    );
    match tokio::time::timeout(db.timeout, read_rows(db, sql)).await {
        Err(_) => super::common::killed_at_timeout(ctx, db, r).await,
        Ok(Err(e)) => {
            let mut r = r;
            r.error = e.server_error();
            r.fail(Check::QueryFailed {
                error: Quoted::new(e),
            })
        }
        Ok(Ok(actual)) => judge(r, sql, expected, actual),
    }
}

/// Passes on the same rows in the same order; fails carrying both sets otherwise.
fn judge(r: StepResult, sql: &str, expected: &[Row], actual: Vec<Row>) -> StepResult {
    if actual == expected {
        return r.detail(Check::QueryReturned {
            rows: Quoted::new(rows_text(&actual)),
        });
    }
    let rows = QueryRows {
        sql: sql.to_string(),
        expected: expected.to_vec(),
        actual,
    };
    // `QueryRows` words the two row sets itself (crate::data).
    let mut r = r.fail(Said::raised(&rows));
    r.query = Some(Box::new(rows));
    r
}

/// The rows as the text protocol sends them, in a read-only session: the assertion reads
/// the database, it never changes what the next step meets.
async fn read_rows(db: &DbTarget, sql: &str) -> Result<Vec<Row>, DbError> {
    let mut c = db.connect().await?;
    let read_only = "SET SESSION TRANSACTION READ ONLY";
    c.query_drop(read_only)
        .await
        .map_err(DbError::at(read_only))?;
    let rows: Result<Vec<mysql_async::Row>, DbError> = c.query(sql).await.map_err(DbError::at(sql));
    let _ = c.disconnect().await;
    Ok(rows?
        .into_iter()
        .map(|row| row.unwrap().into_iter().map(cell_of).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Status;

    fn titled() -> StepResult {
        let title = Check::QueryTitle {
            sql: Quoted::new("q"),
            rows: 1,
        };
        StepResult::new(StepAction::AssertQuery, title)
    }

    fn rows(cells: &[&[Option<&str>]]) -> Vec<Row> {
        cells
            .iter()
            .map(|r| r.iter().map(|c| c.map(str::to_string)).collect())
            .collect()
    }

    #[test]
    fn the_same_rows_in_the_same_order_pass() {
        let want = rows(&[&[Some("1"), None]]);
        let r = judge(titled(), "SELECT 1, NULL", &want, want.clone());
        assert_eq!(r.status, Status::Passed);
        assert!(r.query.is_none());
    }

    #[test]
    fn other_rows_fail_carrying_both_sets() {
        let want = rows(&[&[Some("0")]]);
        let got = rows(&[&[Some("3")]]);
        let r = judge(
            titled(),
            "SELECT count(*) FROM user WHERE api_token IS NULL",
            &want,
            got.clone(),
        );
        assert_eq!(r.status, Status::Failed);
        let q = r.query.as_deref().expect("typed rows");
        assert_eq!((&q.expected, &q.actual), (&want, &got));
        // NULL is not the text `null`.
        let text_null = judge(
            titled(),
            "SELECT 'null'",
            &rows(&[&[None]]),
            rows(&[&[Some("null")]]),
        );
        assert_eq!(text_null.status, Status::Failed);
    }
}
