//! Runs a `SeedPlan` and reads table contents back (the I/O half of `data`).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use std::collections::HashMap;

use super::compare::{RowKey, TableContents};
use super::generate::{InsertPlan, SeedPlan};
use super::seeded::{SeedIssue, SeedReport, TableSeed};
use crate::db::{ident, ServerError};
use crate::schema::Snapshot;

/// Inserts the plan's rows, parents first with foreign-key checks on (off only for tables in
/// a foreign-key cycle, and said so). A batch the server refuses is retried row by row; a
/// refused row is left out together with every planned row that references it, so no child
/// row ever points at a parent row that is not there. What could not be seeded is the
/// harness's own limit, returned as data: never a finding about the migration.
pub async fn apply_seed(
    conn: &mut Conn,
    plan: &SeedPlan,
) -> Result<SeedReport, mysql_async::Error> {
    let mut report = SeedReport::default();
    for (t, why) in &plan.skipped {
        report.tables.push(TableSeed {
            table: t.clone(),
            planned: 0,
            inserted: 0,
            issues: vec![SeedIssue::Unsupported { why: why.clone() }],
        });
    }
    // Per table, which planned rows are in.
    let mut present: HashMap<&str, Vec<bool>> = HashMap::new();
    for ins in &plan.inserts {
        let mut issues = Vec::new();
        let mut orphans: Vec<(usize, &str)> = Vec::new();
        let wanted: Vec<usize> = (0..ins.rows.len())
            .filter(|k| {
                let gone = ins.needs[*k].iter().find(|r| {
                    present
                        .get(r.table.as_str())
                        .is_some_and(|p| !p.get(r.row).copied().unwrap_or(false))
                });
                if let Some(r) = gone {
                    orphans.push((*k, r.table.as_str()));
                }
                gone.is_none()
            })
            .collect();
        if let Some((_, parent)) = orphans.first() {
            issues.push(SeedIssue::Dependent {
                rows: orphans.len(),
                parent: parent.to_string(),
            });
        }
        if ins.in_cycle {
            conn.query_drop("SET SESSION FOREIGN_KEY_CHECKS = 0")
                .await?;
            report.unchecked.push(ins.table.clone());
        }
        let inserted = insert_rows(conn, ins, &wanted).await;
        if ins.in_cycle {
            conn.query_drop("SET SESSION FOREIGN_KEY_CHECKS = 1")
                .await?;
        }
        let (inserted, refused) = inserted?;
        if let Some((n, error)) = refused {
            issues.push(SeedIssue::Refused { rows: n, error });
        }
        let mut is_in = vec![false; ins.rows.len()];
        for k in &inserted {
            is_in[*k] = true;
        }
        present.insert(&ins.table, is_in);
        report.tables.push(TableSeed {
            table: ins.table.clone(),
            planned: ins.rows.len(),
            inserted: inserted.len(),
            issues,
        });
    }
    Ok(report)
}

/// Inserts `which` rows of `ins`: all at once, or row by row when the server refuses the
/// batch. Returns the rows in, and how many were refused with the first refusal.
async fn insert_rows(
    conn: &mut Conn,
    ins: &InsertPlan,
    which: &[usize],
) -> Result<(Vec<usize>, Option<(usize, ServerError)>), mysql_async::Error> {
    if which.is_empty() {
        return Ok((vec![], None));
    }
    match conn.query_drop(ins.sql_of(which)).await {
        Ok(()) => return Ok((which.to_vec(), None)),
        Err(e) if crate::db::server_error(&e).is_none() => return Err(e),
        Err(_) => {}
    }
    let mut ok = Vec::new();
    let mut refused: Option<(usize, ServerError)> = None;
    for k in which {
        match conn.query_drop(ins.sql_of(&[*k])).await {
            Ok(()) => ok.push(*k),
            Err(e) => match crate::db::server_error(&e) {
                Some(ServerError { code, message }) => {
                    let first = ServerError {
                        code,
                        message: unqualified(&message),
                    };
                    refused = Some(match refused {
                        Some((n, f)) => (n + 1, f),
                        None => (1, first),
                    });
                }
                None => return Err(e),
            },
        }
    }
    Ok((ok, refused))
}

/// The server's message without the scratch database's name (`mh_…_3`.`runs` → `runs`),
/// so every seed's refusal reads alike.
fn unqualified(message: &str) -> String {
    static QUALIFIER: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"`mh_[0-9a-f]{8,}_[0-9]+`\.").expect("valid regex")
    });
    crate::findings::unqualified(&QUALIFIER.replace_all(message, ""))
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
        let key = RowKey::of(table);
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
    key: &RowKey,
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
        key: key.clone(),
        rows: rows
            .into_iter()
            .map(|r| r.unwrap().iter().map(literal).collect())
            .collect(),
    }))
}
