//! Reads a `Snapshot` of one database from information_schema and `SHOW CREATE …` (the only
//! I/O in `schema`); `build` interprets the rows.

use std::collections::{BTreeMap, BTreeSet};

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};

use super::build::{build, CreateKind, Record, Recorded};
use super::model::Snapshot;
use super::normalize::DefaultSpelling;
use crate::db::ident;
use crate::provision::Engine;

fn cell(v: &Value) -> Option<String> {
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(f) => Some(f.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn record(row: &Row) -> Record {
    row.columns_ref()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c.name_str().to_ascii_uppercase(),
                row.as_ref(i).and_then(cell),
            )
        })
        .collect()
}

async fn records(conn: &mut Conn, sql: &str, db: &str) -> Result<Vec<Record>, mysql_async::Error> {
    records_in(conn, sql, db, None).await
}

/// Foreign-key columns with their rules. Read as two queries joined here: the server joins
/// two information_schema tables by materialising both per row, four times slower than
/// reading each once (measured on a 200-table schema: 4.3 ms against 1.1 ms).
async fn foreign_keys(
    conn: &mut Conn,
    db: &str,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<Record>, mysql_async::Error> {
    let tn = filter("TABLE_NAME", only);
    let columns = records_in(
        conn,
        &format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, REFERENCED_TABLE_NAME, \
                    REFERENCED_COLUMN_NAME \
             FROM information_schema.KEY_COLUMN_USAGE \
             WHERE TABLE_SCHEMA = ? AND REFERENCED_TABLE_NAME IS NOT NULL{tn}"
        ),
        db,
        only,
    )
    .await?;
    if columns.is_empty() {
        return Ok(columns);
    }
    let rules = records_in(
        conn,
        &format!(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE \
             FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?{tn}"
        ),
        db,
        only,
    )
    .await?;
    let key = |r: &Record| {
        (
            r.get("TABLE_NAME").cloned().flatten(),
            r.get("CONSTRAINT_NAME").cloned().flatten(),
        )
    };
    let by_constraint: std::collections::HashMap<_, &Record> =
        rules.iter().map(|r| (key(r), r)).collect();
    Ok(columns
        .into_iter()
        .filter_map(|mut c| {
            let rule = by_constraint.get(&key(&c))?;
            for k in ["UPDATE_RULE", "DELETE_RULE"] {
                c.insert(k.to_string(), rule.get(k).cloned().flatten());
            }
            Some(c)
        })
        .collect())
}

/// `SHOW CREATE …` statements sent together in one multi-statement query.
const SHOW_CREATE_BATCH: usize = 100;

/// Snapshot of `db`, leaving out `exclude` (the migration tool's own version table, whose
/// presence depends on history rather than on the schema the migrations define).
pub async fn take_snapshot(
    conn: &mut Conn,
    db: &str,
    engine: Engine,
    exclude: &[String],
) -> Result<Snapshot, mysql_async::Error> {
    let rec = read(conn, db, engine, None).await?;
    Ok(build(&rec, db, exclude))
}

/// Everything a snapshot reads, for every table: what `take_snapshot_since` starts from.
pub async fn read_all(
    conn: &mut Conn,
    db: &str,
    engine: Engine,
) -> Result<Recorded, mysql_async::Error> {
    read(conn, db, engine, None).await
}

/// A snapshot that re-reads only the tables in `touched` (names a step's statements used),
/// those created or dropped since `prev`, the views, and the tables whose foreign keys point
/// at a touched one; the other tables' rows are `prev`'s, and so are their built tables
/// (`prev_snapshot`, what `build` made of `prev`): only what was read again is built, so a
/// step costs what it changed, not the size of the schema. Views, triggers, routines and
/// events are always read in full. Returns the snapshot and what it read, for the next call.
pub async fn take_snapshot_since(
    conn: &mut Conn,
    db: &str,
    engine: Engine,
    exclude: &[String],
    prev: Recorded,
    prev_snapshot: Snapshot,
    touched: &BTreeSet<String>,
) -> Result<(Snapshot, Recorded), mysql_async::Error> {
    let names = records(
        conn,
        "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
        db,
    )
    .await?;
    let now: Vec<(String, String)> = names
        .iter()
        .map(|r| (field(r, "TABLE_NAME"), field(r, "TABLE_TYPE")))
        .collect();
    let refresh = to_refresh(&prev, &now, touched);
    // Most tables changed: one full read is cheaper than filtering.
    if refresh.len() * 2 > now.len().max(1) {
        let rec = read(conn, db, engine, None).await?;
        return Ok((build(&rec, db, exclude), rec));
    }
    let fresh = read(conn, db, engine, Some(&refresh)).await?;
    let snapshot = splice(prev_snapshot, build(&fresh, db, exclude), &refresh);
    Ok((snapshot, merge(prev, fresh, &refresh)))
}

/// `prev` with the tables and sequences of `refresh` replaced by `fresh`'s and the
/// schema-wide objects (views, triggers, routines, events) all `fresh`'s: what `build` makes
/// of `merge`'s rows, since `build` makes each table from that table's rows alone. Takes
/// `prev` by value: its tables move into the result instead of being copied.
fn splice(mut prev: Snapshot, fresh: Snapshot, refresh: &BTreeSet<String>) -> Snapshot {
    prev.tables.retain(|name, _| !refresh.contains(name));
    prev.tables.extend(fresh.tables);
    prev.sequences.retain(|name, _| !refresh.contains(name));
    prev.sequences.extend(fresh.sequences);
    Snapshot {
        tables: prev.tables,
        sequences: prev.sequences,
        views: fresh.views,
        triggers: fresh.triggers,
        routines: fresh.routines,
        events: fresh.events,
    }
}

fn field(r: &Record, key: &str) -> String {
    r.get(key).cloned().flatten().unwrap_or_default()
}

/// The tables whose rows must be read again (lower-cased names are compared: an
/// over-approximation is only slower).
fn to_refresh(
    prev: &Recorded,
    now: &[(String, String)],
    touched: &BTreeSet<String>,
) -> BTreeSet<String> {
    let lower: BTreeSet<String> = touched.iter().map(|t| t.to_lowercase()).collect();
    let before: BTreeSet<String> = prev.tables.iter().map(|r| field(r, "TABLE_NAME")).collect();
    let after: BTreeSet<String> = now.iter().map(|(n, _)| n.clone()).collect();
    let mut out: BTreeSet<String> = after
        .iter()
        .chain(before.iter())
        .filter(|n| lower.contains(&n.to_lowercase()))
        .cloned()
        .collect();
    // Created or dropped since.
    out.extend(after.symmetric_difference(&before).cloned());
    // A view's columns follow the tables it selects from.
    out.extend(
        now.iter()
            .filter(|(_, ty)| ty == "VIEW")
            .map(|(n, _)| n.clone()),
    );
    out.extend(
        prev.tables
            .iter()
            .filter(|r| field(r, "TABLE_TYPE") == "VIEW")
            .map(|r| field(r, "TABLE_NAME")),
    );
    // A foreign key names its parent: renaming or changing the parent changes the child's
    // rows too.
    let parents = out.clone();
    out.extend(
        prev.foreign_keys
            .iter()
            .filter(|r| parents.contains(&field(r, "REFERENCED_TABLE_NAME")))
            .map(|r| field(r, "TABLE_NAME")),
    );
    out
}

/// `prev` with the rows of `refresh` replaced by `fresh`'s; the schema-wide lists (views,
/// triggers, routines, events) are `fresh`'s.
/// Takes `prev` by value: its rows move into the result instead of being copied, as a walk
/// keeps only the latest.
fn merge(prev: Recorded, fresh: Recorded, refresh: &BTreeSet<String>) -> Recorded {
    let table_of = |r: &Record| -> String {
        r.get("TABLE_NAME")
            .and_then(|v| v.as_deref())
            .unwrap_or_default()
            .to_string()
    };
    let keep = |rows: Vec<Record>, new: Vec<Record>| -> Vec<Record> {
        rows.into_iter()
            .filter(|r| {
                let name = r.get("TABLE_NAME").and_then(|v| v.as_deref());
                !refresh.contains(name.unwrap_or_default())
            })
            .chain(new)
            .collect()
    };
    let mut tables = keep(prev.tables, fresh.tables);
    tables.sort_by_cached_key(table_of);
    let mut creates: BTreeMap<(CreateKind, String), String> = prev
        .creates
        .into_iter()
        .filter(|((k, n), _)| {
            matches!(k, CreateKind::Table | CreateKind::Sequence) && !refresh.contains(n)
        })
        .collect();
    creates.extend(fresh.creates);
    Recorded {
        tables,
        columns: keep(prev.columns, fresh.columns),
        statistics: keep(prev.statistics, fresh.statistics),
        foreign_keys: keep(prev.foreign_keys, fresh.foreign_keys),
        checks: keep(prev.checks, fresh.checks),
        views: fresh.views,
        triggers: fresh.triggers,
        routines: fresh.routines,
        events: fresh.events,
        creates,
        defaults: fresh.defaults,
    }
}

/// `AND TABLE_NAME IN (…)` for `only`, with the names as parameters after the schema.
fn filter(column: &str, only: Option<&BTreeSet<String>>) -> String {
    match only {
        None => String::new(),
        Some(names) if names.is_empty() => " AND FALSE".to_string(),
        Some(names) => format!(" AND {column} IN ({})", vec!["?"; names.len()].join(", ")),
    }
}

async fn records_in(
    conn: &mut Conn,
    sql: &str,
    db: &str,
    only: Option<&BTreeSet<String>>,
) -> Result<Vec<Record>, mysql_async::Error> {
    let mut params: Vec<Value> = vec![Value::from(db)];
    params.extend(only.into_iter().flatten().map(|n| Value::from(n.as_str())));
    let rows: Vec<Row> = conn.exec(sql, params).await?;
    Ok(rows.iter().map(record).collect())
}

/// Reads the rows of every table, or only of `only`'s tables (the schema-wide lists are
/// always read in full).
async fn read(
    conn: &mut Conn,
    db: &str,
    engine: Engine,
    only: Option<&BTreeSet<String>>,
) -> Result<Recorded, mysql_async::Error> {
    let tn = filter("TABLE_NAME", only);
    let mut rec = Recorded {
        tables: records_in(conn, &format!("SELECT * FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?{tn} ORDER BY TABLE_NAME"), db, only).await?,
        columns: records_in(conn, &format!("SELECT * FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?{tn} ORDER BY TABLE_NAME, ORDINAL_POSITION"), db, only).await?,
        statistics: records_in(conn, &format!("SELECT * FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?{tn}"), db, only).await?,
        foreign_keys: foreign_keys(conn, db, only).await?,
        views: records(conn, "SELECT * FROM information_schema.VIEWS WHERE TABLE_SCHEMA = ?", db).await?,
        triggers: records(conn, "SELECT * FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?", db).await?,
        routines: records(conn, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?", db).await?,
        events: records(conn, "SELECT * FROM information_schema.EVENTS WHERE EVENT_SCHEMA = ?", db).await?,
        defaults: match engine {
            Engine::Mariadb => DefaultSpelling::Mariadb,
            Engine::Mysql => DefaultSpelling::Mysql,
        },
        ..Default::default()
    };

    // MariaDB's CHECK_CONSTRAINTS names the table; MySQL's does not (names are unique per schema).
    // MySQL's checks may be NOT ENFORCED (TABLE_CONSTRAINTS.ENFORCED); MariaDB's always are.
    let checks_sql = match engine {
        Engine::Mariadb => format!("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?{tn}"),
        Engine::Mysql => format!("SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE, tc.ENFORCED FROM information_schema.TABLE_CONSTRAINTS tc \
                          JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
                          WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'{}", filter("tc.TABLE_NAME", only)),
    };
    match records_in(conn, &checks_sql, db, only).await {
        Ok(rows) => rec.checks = rows,
        // Servers before CHECK support (MySQL 5.7) have no such table: no checks to compare.
        Err(mysql_async::Error::Server(e)) if e.code == 1109 => {}
        Err(e) => return Err(e),
    }

    let q = |name: &str| format!("{}.{}", ident(db), ident(name));
    let mut wanted: Vec<(CreateKind, String, String, usize)> = Vec::new();
    for r in &rec.tables {
        let name = r.get("TABLE_NAME").cloned().flatten().unwrap_or_default();
        match r.get("TABLE_TYPE").cloned().flatten().as_deref() {
            Some("SEQUENCE") => wanted.push((
                CreateKind::Sequence,
                name.clone(),
                format!("SHOW CREATE SEQUENCE {}", q(&name)),
                1,
            )),
            Some("BASE TABLE" | "SYSTEM VERSIONED") => wanted.push((
                CreateKind::Table,
                name.clone(),
                format!("SHOW CREATE TABLE {}", q(&name)),
                1,
            )),
            _ => {}
        }
    }
    for r in &rec.routines {
        let name = r.get("ROUTINE_NAME").cloned().flatten().unwrap_or_default();
        let (kind, kw) = match r.get("ROUTINE_TYPE").cloned().flatten().as_deref() {
            Some("FUNCTION") => (CreateKind::Function, "FUNCTION"),
            _ => (CreateKind::Procedure, "PROCEDURE"),
        };
        wanted.push((
            kind,
            name.clone(),
            format!("SHOW CREATE {kw} {}", q(&name)),
            2,
        ));
    }
    for r in &rec.triggers {
        let name = r.get("TRIGGER_NAME").cloned().flatten().unwrap_or_default();
        wanted.push((
            CreateKind::Trigger,
            name.clone(),
            format!("SHOW CREATE TRIGGER {}", q(&name)),
            2,
        ));
    }
    for r in &rec.events {
        let name = r.get("EVENT_NAME").cloned().flatten().unwrap_or_default();
        wanted.push((
            CreateKind::Event,
            name.clone(),
            format!("SHOW CREATE EVENT {}", q(&name)),
            3,
        ));
    }
    // One round trip per batch instead of one per object: a walk takes a snapshot at every
    // revision, and a long chain has hundreds of tables.
    for batch in wanted.chunks(SHOW_CREATE_BATCH) {
        let sql: Vec<&str> = batch.iter().map(|(_, _, sql, _)| sql.as_str()).collect();
        let mut result = conn.query_iter(sql.join(";\n")).await?;
        for (kind, name, _, col) in batch {
            let rows: Vec<Row> = result.collect().await?;
            let text = rows
                .first()
                .and_then(|r| r.as_ref(*col).and_then(cell))
                .unwrap_or_default();
            rec.creates.insert((*kind, name.clone()), text);
        }
        drop(result);
    }
    Ok(rec)
}

#[cfg(test)]
mod tests;
