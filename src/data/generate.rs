//! Plans seed rows from a schema snapshot: type-correct values, parents before children,
//! row *i* of a child pointing at row *i* of its parent, distinct values where unique.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{ident, literal};
use crate::schema::{Column, Snapshot, Table};

pub const ROWS: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct InsertPlan {
    pub table: String,
    pub columns: Vec<String>,
    /// SQL literals, one vector per row.
    pub rows: Vec<Vec<String>>,
}

impl InsertPlan {
    pub fn sql(&self) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            ident(&self.table),
            self.columns
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", "),
            self.rows
                .iter()
                .map(|r| format!("({})", r.join(", ")))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeedPlan {
    pub inserts: Vec<InsertPlan>,
    /// Tables left out, with why (a column type we cannot fill).
    pub skipped: Vec<(String, String)>,
}

/// Parents first (Kahn over FK edges); tables in a cycle follow in name order, which is safe
/// because seeding runs with FOREIGN_KEY_CHECKS=0 and row *i* always points at row *i*.
fn fk_order(snap: &Snapshot) -> Vec<String> {
    let mut deps: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in snap.tables.values() {
        let e = deps.entry(t.name.as_str()).or_default();
        for fk in t.foreign_keys.values() {
            if fk.ref_table != t.name && snap.tables.contains_key(&fk.ref_table) {
                e.insert(fk.ref_table.as_str());
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut done: BTreeSet<&str> = BTreeSet::new();
    loop {
        let ready: Vec<&str> = deps
            .iter()
            .filter(|(t, d)| !done.contains(*t) && d.iter().all(|p| done.contains(p)))
            .map(|(t, _)| *t)
            .collect();
        if ready.is_empty() {
            break;
        }
        for t in ready {
            done.insert(t);
            out.push(t.to_string());
        }
    }
    for t in deps.keys() {
        if !done.contains(t) {
            out.push(t.to_string());
        }
    }
    out
}

fn type_args(t: &str) -> Vec<String> {
    let Some(open) = t.find('(') else {
        return vec![];
    };
    let close = t.rfind(')').unwrap_or(t.len());
    let inner = &t[open + 1..close];
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_q = false;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if in_q && chars.peek() == Some(&'\'') => {
                cur.push('\'');
                chars.next();
            }
            '\'' => in_q = !in_q,
            ',' if !in_q => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

fn is_json(table: &Table, col: &Column) -> bool {
    col.column_type == "json"
        || table
            .checks
            .values()
            .any(|c| c.contains("json_valid") && c.contains(&format!("`{}`", col.name)))
}

/// A literal for row `i` (1-based) of `col`, or None when the type is not supported.
pub fn value_for(table: &Table, col: &Column, i: usize) -> Option<String> {
    let t = col.column_type.as_str();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let args = type_args(t);
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
    let unsigned = t.contains("unsigned");
    let v = match base {
        "tinyint" if t.starts_with("tinyint(1)") => (i % 2).to_string(),
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint" => {
            (i + if unsigned { 0 } else { 10 }).to_string()
        }
        "decimal" | "numeric" => {
            let scale: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
            let int_digits = n.saturating_sub(scale);
            match (int_digits, scale) {
                (0, s) if s > 0 => format!("0.{}", i),
                (_, 0) => i.to_string(),
                (_, _) => format!("{i}.5"),
            }
        }
        "float" | "double" | "real" => format!("{i}.25"),
        "bit" => (i % 2).to_string(),
        "char" | "varchar" => {
            let s = format!("{i}_{}", col.name);
            literal(&s.chars().take(n.max(1)).collect::<String>())
        }
        "binary" | "varbinary" => {
            literal(&format!("b{i}").chars().take(n.max(1)).collect::<String>())
        }
        "tinytext" | "text" | "mediumtext" | "longtext" if is_json(table, col) => {
            literal(&format!("{{\"seed\": {i}}}"))
        }
        "json" => literal(&format!("{{\"seed\": {i}}}")),
        "tinytext" | "text" | "mediumtext" | "longtext" => {
            literal(&format!("{} row {i}", col.name))
        }
        "tinyblob" | "blob" | "mediumblob" | "longblob" => literal(&format!("blob {i}")),
        "date" => literal(&day(i)),
        "datetime" | "timestamp" => literal(&format!("{} {}", day(i), clock(i))),
        "time" => literal(&clock(i)),
        "year" => (2020 + i % 100).to_string(),
        "enum" | "set" if !args.is_empty() => literal(&args[(i - 1) % args.len()]),
        "uuid" => literal(&format!("00000000-0000-0000-0000-00000000000{i}")),
        _ => return None,
    };
    Some(v)
}

/// How seed rows look: `Typical` short values, or `Extremes` — every string at its longest,
/// the type's largest number in the first row, every ENUM/SET label (as the server spells it,
/// from COLUMN_TYPE), NULL in the last row where NULL is allowed — the rows a later narrowing
/// or NOT NULL cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeedShape {
    #[default]
    Typical,
    Extremes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedOptions {
    /// Row numbers start after this one, so a second seed never collides with the first.
    pub first_row: usize,
    pub shape: SeedShape,
    /// Rows per table instead of the shape's few (production-scale timing seeds thousands).
    pub rows: Option<usize>,
}

/// `2024-MM-DD`, distinct for the first 336 rows.
fn day(i: usize) -> String {
    let i = i.max(1) - 1;
    format!("2024-{:02}-{:02}", (i / 28) % 12 + 1, i % 28 + 1)
}

fn clock(i: usize) -> String {
    format!("10:{:02}:{:02}", (i / 60) % 60, i % 60)
}

/// The largest value an integer or decimal column holds, when the type has one.
fn max_value(col: &Column) -> Option<String> {
    let t = col.column_type.as_str();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let unsigned = t.contains("unsigned");
    let int = |signed: &str, uns: &str| Some(if unsigned { uns } else { signed }.to_string());
    match base {
        "tinyint" if t.starts_with("tinyint(1)") => None,
        "tinyint" => int("127", "255"),
        "smallint" => int("32767", "65535"),
        "mediumint" => int("8388607", "16777215"),
        "int" => int("2147483647", "4294967295"),
        "bigint" => int("9223372036854775807", "18446744073709551615"),
        "decimal" | "numeric" => {
            let args = type_args(t);
            let p: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(10);
            let s: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(0);
            let int_part = "9".repeat(p.saturating_sub(s).max(1));
            let int_part = if p == s { "0".to_string() } else { int_part };
            Some(if s > 0 {
                format!("{int_part}.{}", "9".repeat(s))
            } else {
                int_part
            })
        }
        _ => None,
    }
}

/// Row `i` (absolute) as the `k`-th of `rows` rows of this seed, in `shape`.
fn shaped_value(
    table: &Table,
    col: &Column,
    i: usize,
    k: usize,
    rows: usize,
    shape: SeedShape,
) -> Option<String> {
    if shape == SeedShape::Typical {
        return value_for(table, col, i);
    }
    let in_key = table
        .indexes
        .get("PRIMARY")
        .is_some_and(|ix| ix.columns.iter().any(|c| c.name == col.name));
    if col.nullable && !in_key && k == rows && rows > 1 {
        return Some("NULL".into());
    }
    let t = col.column_type.as_str();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let args = type_args(t);
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(0);
    match base {
        "char" | "varchar" | "binary" | "varbinary" if n > 0 => {
            let mut s = format!("{i}_{}", col.name);
            while s.chars().count() < n {
                s.push('x');
            }
            Some(literal(&s.chars().take(n).collect::<String>()))
        }
        "enum" | "set" if !args.is_empty() => Some(literal(&args[(k - 1) % args.len()])),
        // The largest number, once per seed: a later seed takes the next one down so a key
        // never collides with an earlier seed's.
        _ if k == 1 && !col.is_auto_increment() => max_value(col)
            .and_then(|m| below(&m, i - k))
            .or_else(|| value_for(table, col, i)),
        _ => value_for(table, col, i),
    }
}

/// `max - n` for an integer maximum; None for decimals past the first seed.
fn below(max: &str, n: usize) -> Option<String> {
    if n == 0 {
        return Some(max.to_string());
    }
    max.parse::<u128>()
        .ok()
        .and_then(|m| m.checked_sub(n as u128))
        .map(|v| v.to_string())
}

fn row_count(table: &Table, shape: SeedShape) -> usize {
    match shape {
        SeedShape::Typical => ROWS,
        SeedShape::Extremes => table
            .columns
            .values()
            .filter(|c| c.column_type.starts_with("enum(") || c.column_type.starts_with("set("))
            .map(|c| type_args(&c.column_type).len())
            .max()
            .unwrap_or(0)
            .clamp(ROWS, 64),
    }
}

/// Plans `ROWS` rows for every table of `snap` except `exclude`.
pub fn generate(snap: &Snapshot, exclude: &[String]) -> SeedPlan {
    generate_with(snap, exclude, SeedOptions::default())
}

/// Plans rows for every table of `snap` except `exclude`, numbered after `opts.first_row`.
/// Row k of a child points at row k of its parent (wrapping when the parent has fewer).
pub fn generate_with(snap: &Snapshot, exclude: &[String], opts: SeedOptions) -> SeedPlan {
    let mut plan = SeedPlan::default();
    for name in fk_order(snap) {
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&name)) {
            continue;
        }
        let table = &snap.tables[&name];
        let nrows = opts.rows.unwrap_or_else(|| row_count(table, opts.shape));
        // Foreign-key columns take the referenced column's value of the parent's row.
        let mut fk_source: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for fk in table.foreign_keys.values() {
            for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
                fk_source.insert(c.as_str(), (fk.ref_table.as_str(), rc.as_str()));
            }
        }
        let mut cols: Vec<&Column> = table
            .columns
            .values()
            .filter(|c| !c.is_generated())
            .collect();
        cols.sort_by_key(|c| c.position);
        let mut columns = Vec::new();
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); nrows];
        let mut unsupported = None;
        for col in cols {
            let mut vals = Vec::new();
            for k in 1..=nrows {
                let v = match fk_source.get(col.name.as_str()) {
                    Some((rt, rc)) => snap
                        .tables
                        .get(*rt)
                        .and_then(|t| t.columns.get(*rc).map(|c| (t, c)))
                        .and_then(|(t, c)| {
                            let pr = row_count(t, opts.shape);
                            let pk = (k - 1) % pr + 1;
                            shaped_value(t, c, opts.first_row + pk, pk, pr, opts.shape)
                        }),
                    None => shaped_value(table, col, opts.first_row + k, k, nrows, opts.shape),
                };
                match v {
                    Some(v) => vals.push(v),
                    None => break,
                }
            }
            if vals.len() < nrows {
                if col.nullable || col.default.is_some() {
                    continue; // leave it to NULL / its default
                }
                unsupported = Some(format!(
                    "column {} has type {} the generator cannot fill",
                    col.name, col.column_type
                ));
                break;
            }
            columns.push(col.name.clone());
            for (r, v) in rows.iter_mut().zip(vals) {
                r.push(v);
            }
        }
        match unsupported {
            Some(why) => plan.skipped.push((name.clone(), why)),
            None if columns.is_empty() => plan
                .skipped
                .push((name.clone(), "no column to fill".into())),
            None => plan.inserts.push(InsertPlan {
                table: name.clone(),
                columns,
                rows,
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ForeignKey, Index, IndexColumn};

    fn col(name: &str, t: &str, pos: u32) -> Column {
        Column {
            name: name.into(),
            column_type: t.into(),
            position: pos,
            ..Default::default()
        }
    }

    fn table(name: &str, cols: Vec<Column>) -> Table {
        let mut t = Table {
            name: name.into(),
            ..Default::default()
        };
        for c in cols {
            t.columns.insert(c.name.clone(), c);
        }
        t
    }

    #[test]
    fn values_for_every_supported_type() {
        let t = table("t", vec![]);
        let cases = [
            ("tinyint(1)", "1"),
            ("int", "11"),
            ("bigint unsigned", "1"),
            ("decimal(10,2)", "1.5"),
            ("decimal(3,3)", "0.1"),
            ("double", "1.25"),
            ("varchar(3)", "'1_c'"),
            ("char(1)", "'1'"),
            ("text", "'c row 1'"),
            ("json", "'{\"seed\": 1}'"),
            ("date", "'2024-01-01'"),
            ("datetime(6)", "'2024-01-01 10:00:01'"),
            ("time", "'10:00:01'"),
            ("year", "2021"),
            ("enum('a','b''c')", "'a'"),
            ("varbinary(16)", "'b1'"),
            ("blob", "'blob 1'"),
            ("bit(1)", "1"),
        ];
        for (ty, want) in cases {
            assert_eq!(
                value_for(&t, &col("c", ty, 1), 1).as_deref(),
                Some(want),
                "{ty}"
            );
        }
        assert_eq!(
            value_for(&t, &col("c", "enum('a','b''c')", 1), 2).as_deref(),
            Some("'b''c'")
        );
        assert_eq!(value_for(&t, &col("c", "geometry", 1), 1), None);
    }

    #[test]
    fn mariadb_json_alias_gets_json() {
        let mut t = table("t", vec![col("doc", "longtext", 1)]);
        t.checks.insert("doc".into(), "json_valid(`doc`)".into());
        assert_eq!(
            value_for(&t, &t.columns["doc"], 2).as_deref(),
            Some("'{\"seed\": 2}'")
        );
    }

    #[test]
    fn parents_come_first_and_fks_point_at_parent_rows() {
        let mut snap = Snapshot::default();
        let mut user = table(
            "user",
            vec![col("id", "int", 1), col("name", "varchar(64)", 2)],
        );
        user.indexes.insert(
            "PRIMARY".into(),
            Index {
                name: "PRIMARY".into(),
                unique: true,
                columns: vec![IndexColumn::column("id")],
                kind: Default::default(),
                visible: true,
            },
        );
        let mut post = table("post", vec![col("id", "int", 1), col("user_id", "int", 2)]);
        post.foreign_keys.insert(
            "fk".into(),
            ForeignKey {
                name: "fk".into(),
                columns: vec!["user_id".into()],
                ref_table: "user".into(),
                ref_columns: vec!["id".into()],
                on_update: "RESTRICT".into(),
                on_delete: "RESTRICT".into(),
            },
        );
        let mut audit = table(
            "audit",
            vec![col("id", "int", 1), col("shape", "geometry", 2)],
        );
        audit.columns.get_mut("shape").unwrap().nullable = false;
        snap.tables.insert("post".into(), post);
        snap.tables.insert("user".into(), user);
        snap.tables.insert("audit".into(), audit);
        snap.tables.insert(
            "alembic_version".into(),
            table(
                "alembic_version",
                vec![col("version_num", "varchar(32)", 1)],
            ),
        );
        let plan = generate(&snap, &["alembic_version".into()]);
        let order: Vec<&str> = plan.inserts.iter().map(|i| i.table.as_str()).collect();
        assert_eq!(order, ["user", "post"]);
        assert_eq!(plan.inserts[1].rows[2], ["13", "13"]);
        assert_eq!(plan.inserts[0].rows[0], ["11", "'1_name'"]);
        assert_eq!(plan.skipped.len(), 1);
        assert!(plan.inserts[0]
            .sql()
            .starts_with("INSERT INTO `user` (`id`, `name`) VALUES (11, '1_name'), "));
    }

    #[test]
    fn extremes_fill_strings_labels_nulls_and_maxima() {
        let mut snap = Snapshot::default();
        let mut t = table(
            "t",
            vec![
                col("id", "int(11)", 1),
                col("code", "varchar(5)", 2),
                col("state", "enum('New','OLD','x''y','z')", 3),
                col("note", "varchar(2)", 4),
            ],
        );
        t.columns.get_mut("note").unwrap().nullable = true;
        snap.tables.insert("t".into(), t);
        let plan = generate_with(
            &snap,
            &[],
            SeedOptions {
                first_row: 100,
                shape: SeedShape::Extremes,
                ..Default::default()
            },
        );
        let rows = &plan.inserts[0].rows;
        assert_eq!(rows.len(), 4, "one row per ENUM label");
        assert_eq!(rows[0], ["2147483547", "'101_c'", "'New'", "'10'"]);
        assert_eq!(rows[1][1], "'102_c'");
        let labels: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(labels, ["'New'", "'OLD'", "'x''y'", "'z'"]);
        assert_eq!(rows[3][3], "NULL");
        assert_eq!(
            max_value(&col("d", "decimal(5,2)", 1)).as_deref(),
            Some("999.99")
        );
        assert_eq!(
            max_value(&col("d", "tinyint(3) unsigned", 1)).as_deref(),
            Some("255")
        );
    }

    #[test]
    fn dates_stay_valid_past_row_nine() {
        let t = table("t", vec![]);
        assert_eq!(
            value_for(&t, &col("c", "date", 1), 103).as_deref(),
            Some("'2024-04-19'")
        );
    }
}
