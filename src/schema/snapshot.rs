//! Reads a `Snapshot` of one database from information_schema (the only I/O in `schema`).

use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row};

use super::model::{Column, ForeignKey, Index, IndexColumn, Snapshot, Table};
use super::normalize::{normalize_collation, normalize_default, normalize_extra, normalize_type};
use crate::db::ident;
use crate::provision::Engine;

fn s(row: &Row, i: usize) -> Option<String> {
    row.get::<Option<String>, _>(i).flatten()
}

fn n(row: &Row, i: usize) -> Option<i64> {
    row.get::<Option<i64>, _>(i).flatten()
}

/// Snapshot of `db`, leaving out `exclude` (the migration tool's own version table, whose
/// presence depends on history rather than on the schema the migrations define).
pub async fn take_snapshot(
    conn: &mut Conn,
    db: &str,
    engine: Engine,
    exclude: &[String],
) -> Result<Snapshot, mysql_async::Error> {
    let mut snap = Snapshot::default();
    let skip = |t: &str| exclude.iter().any(|e| e.eq_ignore_ascii_case(t));

    let tables: Vec<Row> = conn
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
            (db,),
        )
        .await?;
    for r in &tables {
        let name = s(r, 0).unwrap_or_default();
        if !skip(&name) {
            snap.tables.insert(
                name.clone(),
                Table {
                    name,
                    ..Default::default()
                },
            );
        }
    }

    let cols: Vec<Row> = conn
        .exec(
            "SELECT TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, COLLATION_NAME \
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
            (db,),
        )
        .await?;
    for r in &cols {
        let Some(t) = snap.tables.get_mut(&s(r, 0).unwrap_or_default()) else {
            continue;
        };
        let name = s(r, 1).unwrap_or_default();
        t.columns.insert(
            name.clone(),
            Column {
                name,
                position: n(r, 2).unwrap_or(0) as u32,
                column_type: normalize_type(&s(r, 3).unwrap_or_default()),
                nullable: s(r, 4).as_deref() == Some("YES"),
                default: normalize_default(s(r, 5).as_deref()),
                extra: normalize_extra(&s(r, 6).unwrap_or_default()),
                collation: normalize_collation(s(r, 7).as_deref()),
            },
        );
    }

    let stats: Vec<Row> = conn
        .exec(
            "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART \
             FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX",
            (db,),
        )
        .await?;
    for r in &stats {
        let Some(t) = snap.tables.get_mut(&s(r, 0).unwrap_or_default()) else {
            continue;
        };
        let name = s(r, 1).unwrap_or_default();
        let idx = t.indexes.entry(name.clone()).or_insert_with(|| Index {
            name,
            unique: n(r, 2) == Some(0),
            columns: Vec::new(),
        });
        idx.columns.push(IndexColumn {
            name: s(r, 3).unwrap_or_default(),
            sub_part: n(r, 4).map(|v| v as u32),
        });
    }

    let fks: Vec<Row> = conn
        .exec(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
                    r.UPDATE_RULE, r.DELETE_RULE \
             FROM information_schema.KEY_COLUMN_USAGE k \
             JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
               ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
             WHERE k.TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME IS NOT NULL \
             ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION",
            (db,),
        )
        .await?;
    for r in &fks {
        let Some(t) = snap.tables.get_mut(&s(r, 0).unwrap_or_default()) else {
            continue;
        };
        let name = s(r, 1).unwrap_or_default();
        let fk = t
            .foreign_keys
            .entry(name.clone())
            .or_insert_with(|| ForeignKey {
                name,
                columns: Vec::new(),
                ref_table: s(r, 3).unwrap_or_default(),
                ref_columns: Vec::new(),
                on_update: s(r, 5).unwrap_or_default(),
                on_delete: s(r, 6).unwrap_or_default(),
            });
        fk.columns.push(s(r, 2).unwrap_or_default());
        fk.ref_columns.push(s(r, 4).unwrap_or_default());
    }

    // MariaDB's CHECK_CONSTRAINTS names the table; MySQL's does not (names are unique per schema).
    let checks_sql = match engine {
        Engine::Mariadb => "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?",
        Engine::Mysql => "SELECT tc.TABLE_NAME, tc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc \
                          JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
                          WHERE tc.TABLE_SCHEMA = ? AND tc.CONSTRAINT_TYPE = 'CHECK'",
    };
    match conn.exec::<Row, _, _>(checks_sql, (db,)).await {
        Ok(rows) => {
            for r in &rows {
                if let Some(t) = snap.tables.get_mut(&s(r, 0).unwrap_or_default()) {
                    let clause = s(r, 2)
                        .unwrap_or_default()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ");
                    t.checks.insert(s(r, 1).unwrap_or_default(), clause);
                }
            }
        }
        // Servers before CHECK support (MySQL 5.7) have no such table: no checks to compare.
        Err(mysql_async::Error::Server(e)) if e.code == 1109 => {}
        Err(e) => return Err(e),
    }

    for t in snap.tables.values_mut() {
        let row: Option<Row> = conn
            .query_first(format!(
                "SHOW CREATE TABLE {}.{}",
                ident(db),
                ident(&t.name)
            ))
            .await?;
        let create = row.and_then(|r| s(&r, 1)).unwrap_or_default();
        t.create_sql = strip_auto_increment(&create);
    }
    Ok(snap)
}

fn strip_auto_increment(create: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r" AUTO_INCREMENT=\d+").expect("regex"))
        .replace(create, "")
        .into_owned()
}
