//! Runs a `SeedPlan` and reads table contents back (the I/O half of `data`).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use super::compare::TableContents;
use super::generate::SeedPlan;
use crate::db::{ident, ServerError};
use crate::schema::Snapshot;

/// Inserts the plan's rows; returns one line per table that could not be seeded. Those are
/// the harness's own limits (a type it cannot fill, a row the server refused), said as such:
/// never a finding about the server or the migration.
pub async fn apply_seed(
    conn: &mut Conn,
    plan: &SeedPlan,
) -> Result<Vec<String>, mysql_async::Error> {
    let mut problems: Vec<String> = plan
        .skipped
        .iter()
        .map(|(t, why)| format!("{t}: not seeded (harness limitation: {why})"))
        .collect();
    conn.query_drop("SET SESSION FOREIGN_KEY_CHECKS = 0")
        .await?;
    for ins in &plan.inserts {
        if let Err(e) = conn.query_drop(ins.sql()).await {
            match crate::db::server_error(&e) {
                Some(ServerError { code, message }) => problems.push(format!(
                    "{}: not seeded (harness limitation: the generated rows were refused with {code} {message})",
                    ins.table
                )),
                None => return Err(e),
            }
        }
    }
    conn.query_drop("SET SESSION FOREIGN_KEY_CHECKS = 1")
        .await?;
    Ok(problems)
}

fn literal(v: &Value) -> String {
    match v {
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => crate::db::literal(s),
            Err(_) => format!(
                "x'{}'",
                b.iter().map(|x| format!("{x:02x}")).collect::<String>()
            ),
        },
        other => other.as_sql(false),
    }
}

/// Reads every row of `tables`, limited to the columns `shape` (a snapshot) knows.
pub async fn read_contents(
    conn: &mut Conn,
    db: &str,
    shape: &Snapshot,
    tables: &[String],
) -> Result<Vec<TableContents>, mysql_async::Error> {
    let mut out = Vec::new();
    for t in tables {
        let Some(table) = shape.tables.get(t) else {
            continue;
        };
        let mut cols: Vec<&crate::schema::Column> = table.columns.values().collect();
        cols.sort_by_key(|c| c.position);
        let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
        let key: Vec<String> = table
            .indexes
            .get("PRIMARY")
            .map(|i| i.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let sql = format!(
            "SELECT {} FROM {}.{}",
            names
                .iter()
                .map(|n| ident(n))
                .collect::<Vec<_>>()
                .join(", "),
            ident(db),
            ident(t)
        );
        let rows: Vec<Row> = match conn.query(sql).await {
            Ok(r) => r,
            // The table or a column is gone: read what is left, column by column.
            Err(mysql_async::Error::Server(e)) if e.code == 1146 || e.code == 1054 => {
                out.extend(read_surviving(conn, db, t, &names, &key).await?);
                continue;
            }
            Err(e) => return Err(e),
        };
        let rows = rows
            .into_iter()
            .map(|r| r.unwrap().iter().map(literal).collect())
            .collect();
        out.push(TableContents {
            table: t.clone(),
            columns: names,
            key,
            rows,
        });
    }
    Ok(out)
}

async fn read_surviving(
    conn: &mut Conn,
    db: &str,
    table: &str,
    names: &[String],
    key: &[String],
) -> Result<Option<TableContents>, mysql_async::Error> {
    let present: Vec<String> = conn
        .exec(
            "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
            (db, table),
        )
        .await?;
    if present.is_empty() {
        return Ok(None);
    }
    let cols: Vec<String> = names
        .iter()
        .filter(|n| present.contains(n))
        .cloned()
        .collect();
    if cols.is_empty() {
        return Ok(None);
    }
    let rows: Vec<Row> = conn
        .query(format!(
            "SELECT {} FROM {}.{}",
            cols.iter().map(|n| ident(n)).collect::<Vec<_>>().join(", "),
            ident(db),
            ident(table)
        ))
        .await?;
    Ok(Some(TableContents {
        table: table.to_string(),
        columns: cols,
        key: key.to_vec(),
        rows: rows
            .into_iter()
            .map(|r| r.unwrap().iter().map(literal).collect())
            .collect(),
    }))
}
