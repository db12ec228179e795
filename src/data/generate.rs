//! Plans seed rows from a schema snapshot: type-correct values, parents before children,
//! row *k* of a child pointing at row *k* of its parent (each row knows the parent rows it
//! needs, so the applier can leave it out when one was refused), distinct values where unique.

use std::collections::{BTreeMap, BTreeSet};

use crate::db::{ident, literal};
use crate::schema::{Column, Snapshot, Table};

pub const ROWS: usize = 3;

/// A planned row of another table (or of this one) that a row references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowRef {
    pub table: String,
    /// 0-based index into that table's `InsertPlan::rows`.
    pub row: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InsertPlan {
    pub table: String,
    pub columns: Vec<String>,
    /// SQL literals, one vector per row.
    pub rows: Vec<Vec<String>>,
    /// For each row, the planned parent rows its foreign keys point at.
    pub needs: Vec<Vec<RowRef>>,
    /// The table is in a foreign-key cycle: it cannot be seeded after all its parents.
    pub in_cycle: bool,
}

impl InsertPlan {
    pub fn sql(&self) -> String {
        self.sql_of(&(0..self.rows.len()).collect::<Vec<_>>())
    }

    /// The INSERT of the rows at `which` only.
    pub fn sql_of(&self, which: &[usize]) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES {}",
            ident(&self.table),
            self.columns
                .iter()
                .map(|c| ident(c))
                .collect::<Vec<_>>()
                .join(", "),
            which
                .iter()
                .map(|i| format!("({})", self.rows[*i].join(", ")))
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

/// Parents first (Kahn over FK edges); tables in a cycle follow in name order (second of
/// the pair: the applier seeds those with FOREIGN_KEY_CHECKS=0 and says so).
fn fk_order(snap: &Snapshot) -> (Vec<String>, BTreeSet<String>) {
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
    let mut cyclic = BTreeSet::new();
    for t in deps.keys() {
        if !done.contains(t) {
            out.push(t.to_string());
            cyclic.insert(t.to_string());
        }
    }
    (out, cyclic)
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

/// How seed rows look: `Typical` short values, or `Extremes` — the shapes a production table
/// holds: the longest value each type accepts in the first row (VARCHAR(n) exactly n
/// characters, TEXT at its 65,535-byte limit, MEDIUMTEXT/LONGTEXT/BLOBs longer than any
/// VARCHAR, a 4-byte UTF-8 character where the charset takes one, the largest number, the
/// latest date), the shortest in the second (empty string, smallest number, earliest date),
/// the first row's values again in the third wherever no unique key forbids duplicates,
/// every ENUM/SET label, and NULL in the last row where NULL is allowed.
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
        "date" => Some(literal("9999-12-31")),
        "datetime" => Some(literal("9999-12-31 23:59:59")),
        // A day short of 2038-01-19 03:14:07 UTC, so any session time zone accepts it.
        "timestamp" => Some(literal("2038-01-18 03:14:07")),
        "time" => Some(literal("838:59:59")),
        "year" => Some("2155".into()),
        _ => None,
    }
}

/// The smallest value of a number or date column.
fn min_value(col: &Column) -> Option<String> {
    let t = col.column_type.as_str();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let unsigned = t.contains("unsigned");
    match base {
        "tinyint" if t.starts_with("tinyint(1)") => Some("0".into()),
        "tinyint" | "smallint" | "mediumint" | "int" | "bigint" | "decimal" | "numeric"
            if unsigned =>
        {
            Some("0".into())
        }
        "tinyint" => Some("-128".into()),
        "smallint" => Some("-32768".into()),
        "mediumint" => Some("-8388608".into()),
        "int" => Some("-2147483648".into()),
        "bigint" => Some("-9223372036854775808".into()),
        "decimal" | "numeric" => max_value(col).map(|m| format!("-{m}")),
        "date" => Some(literal("1000-01-01")),
        "datetime" => Some(literal("1000-01-01 00:00:00")),
        "timestamp" => Some(literal("1970-01-02 00:00:00")),
        "time" => Some(literal("-838:59:59")),
        "year" => Some("1901".into()),
        "char" | "varchar" | "tinytext" | "text" | "mediumtext" | "longtext" | "binary"
        | "varbinary" | "tinyblob" | "blob" | "mediumblob" | "longblob" => Some(literal("")),
        _ => None,
    }
}

/// Longer than any VARCHAR (65,535 bytes at most, so at most 65,535 characters).
const PAST_ANY_VARCHAR: usize = 65_600;

/// How many bytes the column's character set spends on its widest character (1 for binary
/// and single-byte sets), and a character that wide.
fn widest_char(table: &Table, col: &Column) -> Option<char> {
    let coll = col
        .collation
        .as_deref()
        .unwrap_or(table.options.collation.as_str());
    if coll.starts_with("utf8mb4") {
        Some('😀')
    } else if coll.starts_with("utf8") {
        Some('€')
    } else {
        None
    }
}

/// The longest value of a string or blob column: `chars` characters (or bytes for byte
/// limits) starting with `seed`, ending in the widest character the charset takes.
fn longest(table: &Table, col: &Column, seed: &str) -> Option<String> {
    let t = col.column_type.as_str();
    let base = t.split(['(', ' ']).next().unwrap_or("");
    let n: usize = type_args(t)
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(0);
    // (limit, counted in bytes?, text that may end in a wide character?)
    let (limit, bytes, text) = match base {
        "char" | "varchar" if n > 0 => (n, false, true),
        "binary" | "varbinary" if n > 0 => (n, true, false),
        "tinytext" => (255, true, true),
        "text" => (65_535, true, true),
        "mediumtext" | "longtext" => (PAST_ANY_VARCHAR, false, true),
        "tinyblob" => (255, true, false),
        "blob" => (65_535, true, false),
        "mediumblob" | "longblob" => (PAST_ANY_VARCHAR, true, false),
        _ => return None,
    };
    let wide = if text { widest_char(table, col) } else { None };
    let tail_cost = match (wide, bytes) {
        (Some(w), true) => w.len_utf8(),
        (Some(_), false) => 1,
        (None, _) => 0,
    };
    let mut s: String = seed.chars().take(limit.saturating_sub(tail_cost)).collect();
    let pad = limit
        .saturating_sub(tail_cost)
        .saturating_sub(s.chars().count());
    s.extend(std::iter::repeat_n('x', pad));
    if let Some(w) = wide {
        if limit >= tail_cost {
            s.push(w);
        }
    }
    Some(literal(&s))
}

/// Is `col` part of a unique key (so no two rows may share its values)?
fn in_unique(table: &Table, col: &Column) -> bool {
    table
        .indexes
        .values()
        .any(|ix| ix.unique && ix.columns.iter().any(|c| c.name == col.name))
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
    if matches!(base, "enum" | "set") && !args.is_empty() {
        return Some(literal(&args[(k - 1) % args.len()]));
    }
    if is_json(table, col) || col.is_auto_increment() {
        return value_for(table, col, i);
    }
    let unique = in_unique(table, col);
    // Duplicates wherever no unique key forbids them: the third row repeats the first.
    let (k, i) = if k == 3 && !unique {
        (1, i - 2)
    } else {
        (k, i)
    };
    let seed = format!("{i}_{}", col.name);
    match k {
        1 => longest(table, col, &seed).or_else(|| {
            // The largest number, once per seed: a later seed takes the next one down so a
            // key never collides with an earlier seed's.
            max_value(col)
                .and_then(|m| if unique { below(&m, i - k) } else { Some(m) })
                .or_else(|| value_for(table, col, i))
        }),
        2 if !unique => min_value(col).or_else(|| value_for(table, col, i)),
        _ => match longest(table, col, &seed) {
            // Every string at its longest, as before: narrowing meets each row.
            Some(v) if matches!(base, "char" | "varchar" | "binary" | "varbinary") => Some(v),
            // Small ordinary values (the same in every seed where nothing must be unique), so
            // a CHECK on a range still lets rows in.
            _ => value_for(table, col, if unique { i } else { k }),
        },
    }
}

/// `max - n` for an integer maximum; None for decimals and dates past the first seed.
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
        // Longest, shortest, a duplicate, then one row per label, and NULL last.
        SeedShape::Extremes => table
            .columns
            .values()
            .filter(|c| c.column_type.starts_with("enum(") || c.column_type.starts_with("set("))
            .map(|c| type_args(&c.column_type).len() + 1)
            .max()
            .unwrap_or(0)
            .clamp(ROWS + 1, 65),
    }
}

/// Plans `ROWS` rows for every table of `snap` except `exclude`.
pub fn generate(snap: &Snapshot, exclude: &[String]) -> SeedPlan {
    generate_with(snap, exclude, SeedOptions::default())
}

/// Where a foreign-key column takes its values: the referenced table and column.
fn fk_sources(table: &Table) -> BTreeMap<&str, (&str, &str)> {
    let mut out = BTreeMap::new();
    for fk in table.foreign_keys.values() {
        for (c, rc) in fk.columns.iter().zip(&fk.ref_columns) {
            out.entry(c.as_str())
                .or_insert((fk.ref_table.as_str(), rc.as_str()));
        }
    }
    out
}

/// Plans rows for every table of `snap` except `exclude`, numbered after `opts.first_row`.
/// Row k of a child points at row k of its parent (wrapping when the parent has fewer); a
/// foreign key to a table that is not seeded is NULL, or the child is left out.
pub fn generate_with(snap: &Snapshot, exclude: &[String], opts: SeedOptions) -> SeedPlan {
    let mut plan = SeedPlan::default();
    let (order, cyclic) = fk_order(snap);
    let excluded = |t: &str| exclude.iter().any(|e| e.eq_ignore_ascii_case(t));
    // Tables whose rows will be planned (a cycle's later members count as planned).
    let mut planned: BTreeSet<&str> = cyclic
        .iter()
        .map(|t| t.as_str())
        .filter(|t| !excluded(t))
        .collect();
    for name in &order {
        if excluded(name) {
            continue;
        }
        let table = &snap.tables[name];
        match plan_table(snap, table, &planned, opts) {
            Ok(mut ins) => {
                ins.in_cycle = cyclic.contains(name);
                planned.insert(name.as_str());
                plan.inserts.push(ins);
            }
            Err(why) => {
                planned.remove(name.as_str());
                plan.skipped.push((name.clone(), why.to_string()));
            }
        }
    }
    plan
}

/// Why the generator leaves a table unseeded (run information in the report, never a
/// finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unseedable {
    /// A NOT NULL foreign key to a table that is not seeded.
    #[error("column {column} references `{parent}`, which is not seeded")]
    ParentNotSeeded { column: String, parent: String },
    #[error("column {column} has type {column_type} the generator cannot fill")]
    UnfillableType { column: String, column_type: String },
    #[error("no column to fill")]
    NoColumn,
}

/// One table's rows, or why it cannot be seeded.
fn plan_table(
    snap: &Snapshot,
    table: &Table,
    planned: &BTreeSet<&str>,
    opts: SeedOptions,
) -> Result<InsertPlan, Unseedable> {
    let nrows = opts.rows.unwrap_or_else(|| row_count(table, opts.shape));
    let fk_source = fk_sources(table);
    let mut cols: Vec<&Column> = table
        .columns
        .values()
        .filter(|c| !c.is_generated())
        .collect();
    cols.sort_by_key(|c| c.position);
    let mut columns = Vec::new();
    let mut rows: Vec<Vec<String>> = vec![Vec::new(); nrows];
    let mut needs: Vec<Vec<RowRef>> = vec![Vec::new(); nrows];
    for col in cols {
        let mut vals = Vec::new();
        for k in 1..=nrows {
            let v = match fk_source.get(col.name.as_str()) {
                // A parent that is not seeded: NULL when allowed, else no rows at all.
                Some((rt, _)) if *rt != table.name && !planned.contains(rt) => {
                    if !col.nullable {
                        return Err(Unseedable::ParentNotSeeded {
                            column: col.name.clone(),
                            parent: rt.to_string(),
                        });
                    }
                    Some("NULL".to_string())
                }
                Some(_) if col.nullable && opts.shape == SeedShape::Extremes && k == nrows => {
                    Some("NULL".to_string())
                }
                Some((rt, rc)) => {
                    let parent = snap.tables.get(*rt);
                    let pcol = parent.and_then(|t| t.columns.get(*rc).map(|c| (t, c)));
                    pcol.and_then(|(t, c)| {
                        let pr = row_count(t, opts.shape);
                        let pk = (k - 1) % pr + 1;
                        let v = shaped_value(t, c, opts.first_row + pk, pk, pr, opts.shape)?;
                        if v != "NULL" {
                            let r = RowRef {
                                table: rt.to_string(),
                                row: pk - 1,
                            };
                            if !needs[k - 1].contains(&r) {
                                needs[k - 1].push(r);
                            }
                        }
                        Some(v)
                    })
                }
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
            return Err(Unseedable::UnfillableType {
                column: col.name.clone(),
                column_type: col.column_type.to_string(),
            });
        }
        columns.push(col.name.clone());
        for (r, v) in rows.iter_mut().zip(vals) {
            r.push(v);
        }
    }
    if columns.is_empty() {
        return Err(Unseedable::NoColumn);
    }
    Ok(InsertPlan {
        table: table.name.clone(),
        columns,
        rows,
        needs,
        in_cycle: false,
    })
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

    fn extremes(snap: &Snapshot, first_row: usize) -> SeedPlan {
        generate_with(
            snap,
            &[],
            SeedOptions {
                first_row,
                shape: SeedShape::Extremes,
                ..Default::default()
            },
        )
    }

    #[test]
    fn extremes_fill_longest_shortest_duplicates_labels_and_nulls() {
        let mut snap = Snapshot::default();
        let mut t = table(
            "t",
            vec![
                col("id", "int(11)", 1),
                col("code", "varchar(5)", 2),
                col("state", "enum('New','OLD','x''y','z')", 3),
                col("note", "varchar(2)", 4),
                col("n", "smallint", 5),
            ],
        );
        t.columns.get_mut("note").unwrap().nullable = true;
        t.indexes.insert("PRIMARY".into(), pk("id"));
        snap.tables.insert("t".into(), t);
        let rows = &extremes(&snap, 100).inserts[0].rows;
        assert_eq!(rows.len(), 5, "one row per ENUM label and a NULL row");
        // Longest, largest.
        assert_eq!(rows[0], ["2147483547", "'101_c'", "'New'", "'10'", "32767"]);
        // Shortest, smallest; the key stays distinct.
        assert_eq!(rows[1], ["112", "''", "'OLD'", "''", "-32768"]);
        // The first row again wherever no unique key forbids it.
        assert_eq!(rows[2], ["113", "'101_c'", "'x''y'", "'10'", "32767"]);
        let labels: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(labels, ["'New'", "'OLD'", "'x''y'", "'z'", "'New'"]);
        assert_eq!(rows[4][3], "NULL");
        // Each seed's largest key is its own, below the type's largest.
        assert_eq!(extremes(&snap, 0).inserts[0].rows[0][0], "2147483647");
        assert_eq!(
            max_value(&col("d", "decimal(5,2)", 1)).as_deref(),
            Some("999.99")
        );
        assert_eq!(
            min_value(&col("d", "decimal(5,2)", 1)).as_deref(),
            Some("-999.99")
        );
        assert_eq!(
            max_value(&col("d", "tinyint(3) unsigned", 1)).as_deref(),
            Some("255")
        );
    }

    fn pk(c: &str) -> Index {
        Index {
            name: "PRIMARY".into(),
            unique: true,
            columns: vec![IndexColumn::column(c)],
            kind: Default::default(),
            visible: true,
        }
    }

    fn unquoted(lit: &str) -> String {
        lit.trim_matches('\'').replace("''", "'")
    }

    #[test]
    fn longest_values_reach_each_types_limit_in_its_charset() {
        let mut t = table("t", vec![]);
        t.options.collation = "utf8mb4_general_ci".into();
        let at = |ty: &str| unquoted(&longest(&t, &col("c", ty, 1), "1_c").unwrap());
        let v = at("varchar(40)");
        assert_eq!(v.chars().count(), 40);
        assert!(v.ends_with('😀') && v.starts_with("1_c"));
        assert_eq!(at("text").len(), 65_535, "TEXT at its byte limit");
        assert_eq!(at("tinytext").len(), 255);
        assert!(
            at("mediumtext").chars().count() > 65_535,
            "past any VARCHAR"
        );
        assert!(at("longblob").len() > 65_535);
        assert!(!at("blob").contains('😀'), "bytes, not characters");
        let mut latin = col("c", "char(3)", 1);
        latin.collation = Some("latin1_swedish_ci".into());
        assert_eq!(longest(&t, &latin, "1_c").as_deref(), Some("'1_c'"));
        let mut mb3 = col("c", "varchar(4)", 1);
        mb3.collation = Some("utf8_general_ci".into());
        assert_eq!(longest(&t, &mb3, "1_c").as_deref(), Some("'1_c€'"));
    }

    #[test]
    fn child_rows_name_the_parent_rows_they_need() {
        let mut snap = Snapshot::default();
        let mut runs = table("runs", vec![col("id", "int", 1)]);
        runs.indexes.insert("PRIMARY".into(), pk("id"));
        let mut steps = table("steps", vec![col("run_id", "int", 1), col("x", "int", 2)]);
        steps.foreign_keys.insert(
            "fk".into(),
            ForeignKey {
                name: "fk".into(),
                columns: vec!["run_id".into()],
                ref_table: "runs".into(),
                ref_columns: vec!["id".into()],
                on_update: "RESTRICT".into(),
                on_delete: "RESTRICT".into(),
            },
        );
        snap.tables.insert("runs".into(), runs);
        snap.tables.insert("steps".into(), steps.clone());
        let plan = extremes(&snap, 0);
        let child = &plan.inserts[1];
        assert_eq!(child.table, "steps");
        for (k, need) in child.needs.iter().enumerate() {
            assert_eq!(
                need,
                &[RowRef {
                    table: "runs".into(),
                    row: k
                }]
            );
            assert_eq!(child.rows[k][0], plan.inserts[0].rows[k][0]);
        }
        assert!(!child.in_cycle);
        // A parent that is not seeded: a required reference leaves the child out.
        let plan = generate(&snap, &["runs".into()]);
        assert_eq!(plan.inserts.len(), 0);
        assert!(plan.skipped[0].1.contains("references `runs`"));
        // …an optional one is NULL.
        steps.columns.get_mut("run_id").unwrap().nullable = true;
        snap.tables.insert("steps".into(), steps);
        let plan = generate(&snap, &["runs".into()]);
        assert!(plan.inserts[0].rows.iter().all(|r| r[0] == "NULL"));
        assert!(plan.inserts[0].needs.iter().all(|n| n.is_empty()));
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
