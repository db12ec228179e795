//! Compares seeded table contents with a later state as multisets of rows: matched by the
//! primary key, else by a non-null unique key, else as whole rows with their multiplicity —
//! never by position, because the order a server returns rows in changes with its indexes.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// How the rows of a table are told apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", tag = "by", content = "columns")]
pub enum RowKey {
    Primary(Vec<String>),
    /// A unique key whose columns are all NOT NULL (so it identifies every row).
    Unique(Vec<String>),
    /// No such key: a row is its values, and equal rows count by multiplicity.
    #[default]
    WholeRow,
}

impl RowKey {
    /// The key a table's rows are told apart by: its primary key, else its first unique key
    /// (by name) over whole NOT NULL columns, else whole rows.
    pub fn of(table: &crate::schema::Table) -> RowKey {
        let plain = |ix: &crate::schema::Index| {
            ix.columns.iter().all(|c| {
                c.expression.is_none()
                    && c.sub_part.is_none()
                    && table.columns.get(&c.name).is_some_and(|col| !col.nullable)
            })
        };
        let names = |ix: &crate::schema::Index| ix.columns.iter().map(|c| c.name.clone()).collect();
        if let Some(pk) = table.indexes.get("PRIMARY").filter(|ix| plain(ix)) {
            return RowKey::Primary(names(pk));
        }
        table
            .indexes
            .values()
            .find(|ix| ix.unique && ix.name != "PRIMARY" && plain(ix))
            .map(|ix| RowKey::Unique(names(ix)))
            .unwrap_or(RowKey::WholeRow)
    }

    pub fn columns(&self) -> &[String] {
        match self {
            RowKey::Primary(c) | RowKey::Unique(c) => c,
            RowKey::WholeRow => &[],
        }
    }
}

/// One table's rows, values as SQL literals (`NULL`, `'abc'`, `12`), in no meaningful order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableContents {
    pub table: String,
    pub columns: Vec<String>,
    pub key: RowKey,
    pub rows: Vec<Vec<String>>,
}

/// Counts of equal rows: the multiset a table's rows form.
fn counts(rows: &[Vec<String>]) -> HashMap<&[String], usize> {
    let mut m: HashMap<&[String], usize> = HashMap::new();
    for r in rows {
        *m.entry(r.as_slice()).or_default() += 1;
    }
    m
}

impl TableContents {
    /// The rows of `self` that `earlier` does not account for (multiset difference over
    /// whole rows): what was added since.
    pub fn added_since(&self, earlier: &TableContents) -> TableContents {
        let earlier = earlier.project(|c| self.columns.iter().any(|s| s == c));
        let mut left = if earlier.columns == self.columns {
            counts(&earlier.rows)
        } else {
            HashMap::new()
        };
        let rows = self
            .rows
            .iter()
            .filter(|r| match left.get_mut(r.as_slice()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            })
            .cloned()
            .collect();
        TableContents {
            rows,
            ..self.clone()
        }
    }

    /// The same rows with only the columns `keep` accepts (a key losing a column falls back
    /// to whole rows).
    pub fn project(&self, keep: impl Fn(&str) -> bool) -> TableContents {
        let idx: Vec<usize> = (0..self.columns.len())
            .filter(|i| keep(&self.columns[*i]))
            .collect();
        let key = if self.key.columns().iter().all(|k| keep(k)) {
            self.key.clone()
        } else {
            RowKey::WholeRow
        };
        TableContents {
            table: self.table.clone(),
            columns: idx.iter().map(|i| self.columns[*i].clone()).collect(),
            key,
            rows: self
                .rows
                .iter()
                .map(|r| idx.iter().map(|i| r[*i].clone()).collect())
                .collect(),
        }
    }
}

/// A row whose key (or most of whose values) matched but whose values differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedRow {
    pub before: Vec<String>,
    pub after: Vec<String>,
}

/// What became of one table's rows: over `columns` (those both states have), which rows of
/// `before` are missing, which of `after` nothing in `before` accounts for, which changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDiff {
    pub table: String,
    pub columns: Vec<String>,
    pub key: RowKey,
    /// `before` had the table and `after` does not.
    pub table_dropped: bool,
    /// Columns of `before` that `after` lacks: their values are gone from every found row.
    pub dropped_columns: Vec<String>,
    /// Rows of `before` found unchanged.
    pub unchanged: usize,
    pub missing: Vec<Vec<String>>,
    pub added: Vec<Vec<String>>,
    pub changed: Vec<ChangedRow>,
}

impl TableDiff {
    /// Rows of `before` still there, changed or not.
    pub fn found(&self) -> usize {
        self.unchanged + self.changed.len()
    }
}

/// Above this many comparisons the leftover rows of a keyless table are not paired up by
/// likeness (they stay missing and added).
const PAIRING_BUDGET: usize = 1_000_000;

/// Compares one table's rows as multisets (pure).
pub fn diff_table(before: &TableContents, after: Option<&TableContents>) -> TableDiff {
    let Some(after) = after else {
        return TableDiff {
            table: before.table.clone(),
            columns: before.columns.clone(),
            key: before.key.clone(),
            table_dropped: true,
            dropped_columns: vec![],
            unchanged: 0,
            missing: before.rows.clone(),
            added: vec![],
            changed: vec![],
        };
    };
    let common: Vec<String> = before
        .columns
        .iter()
        .filter(|c| after.columns.contains(c))
        .cloned()
        .collect();
    let dropped_columns = before
        .columns
        .iter()
        .filter(|c| !common.contains(c))
        .cloned()
        .collect();
    let b = before.project(|c| common.iter().any(|k| k == c));
    let a = after.project(|c| common.iter().any(|k| k == c));
    // The same column order on both sides.
    let order: Vec<usize> = common
        .iter()
        .map(|c| {
            a.columns
                .iter()
                .position(|x| x == c)
                .expect("common column")
        })
        .collect();
    let a_rows: Vec<Vec<String>> = a
        .rows
        .iter()
        .map(|r| order.iter().map(|i| r[*i].clone()).collect())
        .collect();

    // 1. Equal rows, with their multiplicity.
    let mut pool: HashMap<&[String], Vec<usize>> = HashMap::new();
    for (j, r) in a_rows.iter().enumerate().rev() {
        pool.entry(r.as_slice()).or_default().push(j);
    }
    let mut unchanged = 0;
    let mut left_b: Vec<usize> = Vec::new();
    for (i, r) in b.rows.iter().enumerate() {
        match pool.get_mut(r.as_slice()).and_then(|v| v.pop()) {
            Some(_) => unchanged += 1,
            None => left_b.push(i),
        }
    }
    let mut left_a: Vec<usize> = pool.into_values().flatten().collect();
    left_a.sort_unstable();

    // 2. What is left: paired by key, or for keyless tables by likeness.
    let key_pos: Option<Vec<usize>> = match &b.key {
        RowKey::WholeRow => None,
        k => Some(
            k.columns()
                .iter()
                .filter_map(|c| common.iter().position(|x| x == c))
                .collect(),
        ),
    };
    let mut taken = vec![false; a_rows.len()];
    let mut missing = Vec::new();
    let mut changed = Vec::new();
    let pair_by_likeness = left_b.len() * left_a.len() * common.len().max(1) <= PAIRING_BUDGET;
    for i in left_b {
        let row = &b.rows[i];
        let partner = match &key_pos {
            Some(kp) => left_a
                .iter()
                .copied()
                .find(|j| !taken[*j] && kp.iter().all(|p| a_rows[*j][*p] == row[*p])),
            None if pair_by_likeness => most_alike(row, &a_rows, &left_a, &taken),
            None => None,
        };
        match partner {
            Some(j) => {
                taken[j] = true;
                changed.push(ChangedRow {
                    before: row.clone(),
                    after: a_rows[j].clone(),
                });
            }
            None => missing.push(row.clone()),
        }
    }
    let added = left_a
        .into_iter()
        .filter(|j| !taken[*j])
        .map(|j| a_rows[j].clone())
        .collect();
    TableDiff {
        table: before.table.clone(),
        columns: common,
        key: b.key,
        table_dropped: false,
        dropped_columns,
        unchanged,
        missing,
        added,
        changed,
    }
}

/// The free row of `a_rows` sharing most values with `row`, if it shares at least half.
fn most_alike(
    row: &[String],
    a_rows: &[Vec<String>],
    candidates: &[usize],
    taken: &[bool],
) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for &j in candidates.iter().filter(|j| !taken[**j]) {
        let same = row.iter().zip(&a_rows[j]).filter(|(x, y)| x == y).count();
        if same >= 1 && same * 2 >= row.len() && best.is_none_or(|(_, s)| same > s) {
            best = Some((j, same));
        }
    }
    best.map(|(j, _)| j)
}

/// Why seeded values are gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossReason {
    #[serde(rename = "table dropped")]
    TableDropped,
    #[serde(rename = "rows deleted")]
    RowsDeleted,
    #[serde(rename = "column dropped")]
    ColumnDropped,
    #[serde(rename = "values changed")]
    ValuesChanged,
}

impl std::fmt::Display for LossReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LossReason::TableDropped => "table dropped",
            LossReason::RowsDeleted => "rows deleted",
            LossReason::ColumnDropped => "column dropped",
            LossReason::ValuesChanged => "values changed",
        })
    }
}

/// One lost row or value, for the reader to find it: the row's identifying values (its key,
/// or all its values when it has none) and, for a changed value, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostValue {
    /// `(column, value)` pairs naming the row.
    pub row: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// At most this many lost rows or values are kept per loss (the counts are exact).
pub const EXAMPLES: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataLoss {
    pub table: String,
    pub column: Option<String>,
    pub lost: usize,
    pub total: usize,
    pub reason: LossReason,
    /// The first few rows (or values) lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<LostValue>,
}

/// Adds up losses of the same table, column and reason (several seeds of one table).
pub fn merge_losses(losses: Vec<DataLoss>) -> Vec<DataLoss> {
    let mut out: Vec<DataLoss> = Vec::new();
    for l in losses {
        match out
            .iter_mut()
            .find(|o| o.table == l.table && o.column == l.column && o.reason == l.reason)
        {
            Some(o) => {
                o.lost += l.lost;
                o.total += l.total;
                let room = EXAMPLES.saturating_sub(o.examples.len());
                o.examples.extend(l.examples.into_iter().take(room));
            }
            None => out.push(l),
        }
    }
    out
}

/// What rows were seeded: `before_seed` and `after_seed` read the same tables just before and
/// just after seeding; rows a migration wrote are left out.
pub fn seeded_rows(
    before_seed: &[TableContents],
    after_seed: &[TableContents],
) -> Vec<TableContents> {
    after_seed
        .iter()
        .map(|a| match before_seed.iter().find(|b| b.table == a.table) {
            Some(b) => a.added_since(b),
            None => a.clone(),
        })
        .collect()
}

/// The values naming `row` (over `columns`): its key's, or all of them.
fn naming(columns: &[String], key: &RowKey, row: &[String]) -> Vec<(String, String)> {
    let keyed: Vec<(String, String)> = columns
        .iter()
        .zip(row)
        .filter(|(c, _)| key.columns().contains(c))
        .map(|(c, v)| (c.clone(), v.clone()))
        .collect();
    if keyed.is_empty() {
        columns.iter().cloned().zip(row.iter().cloned()).collect()
    } else {
        keyed
    }
}

/// The losses one table's diff amounts to: rows missing, values changed, columns dropped.
/// Rows `after` added are not a loss (a migration may write rows of its own).
pub fn losses_of(d: &TableDiff) -> Vec<DataLoss> {
    let total = d.found() + d.missing.len();
    if total == 0 {
        return vec![];
    }
    let missing_examples = || {
        d.missing
            .iter()
            .take(EXAMPLES)
            .map(|r| LostValue {
                row: naming(&d.columns, &d.key, r),
                before: None,
                after: None,
            })
            .collect()
    };
    if d.table_dropped {
        return vec![DataLoss {
            table: d.table.clone(),
            column: None,
            lost: total,
            total,
            reason: LossReason::TableDropped,
            examples: vec![],
        }];
    }
    let mut out = Vec::new();
    if !d.missing.is_empty() {
        out.push(DataLoss {
            table: d.table.clone(),
            column: None,
            lost: d.missing.len(),
            total,
            reason: LossReason::RowsDeleted,
            examples: missing_examples(),
        });
    }
    for (ci, col) in d.columns.iter().enumerate() {
        let hits: Vec<&ChangedRow> = d
            .changed
            .iter()
            .filter(|c| c.before[ci] != c.after[ci])
            .collect();
        if hits.is_empty() {
            continue;
        }
        out.push(DataLoss {
            table: d.table.clone(),
            column: Some(col.clone()),
            lost: hits.len(),
            total: d.found(),
            reason: LossReason::ValuesChanged,
            examples: hits
                .iter()
                .take(EXAMPLES)
                .map(|c| LostValue {
                    row: naming(&d.columns, &d.key, &c.before),
                    before: Some(c.before[ci].clone()),
                    after: Some(c.after[ci].clone()),
                })
                .collect(),
        });
    }
    for col in &d.dropped_columns {
        if d.found() > 0 {
            out.push(DataLoss {
                table: d.table.clone(),
                column: Some(col.clone()),
                lost: d.found(),
                total: d.found(),
                reason: LossReason::ColumnDropped,
                examples: vec![],
            });
        }
    }
    // Report columns in the order `before` has them.
    out
}

/// What of `before` is missing or changed in `after`. `before` holds only columns that
/// exist at the state the data must survive to.
pub fn compare(before: &[TableContents], after: &[TableContents]) -> Vec<DataLoss> {
    before
        .iter()
        .filter(|b| !b.rows.is_empty())
        .flat_map(|b| losses_of(&diff_table(b, after.iter().find(|a| a.table == b.table))))
        .collect()
}

/// At most this many characters of a value are shown in a report line.
const SHOWN: usize = 40;

fn shown(v: &str) -> String {
    if v.chars().count() <= SHOWN {
        v.to_string()
    } else {
        format!(
            "{}… ({} characters)",
            v.chars().take(SHOWN).collect::<String>(),
            v.chars().count()
        )
    }
}

impl std::fmt::Display for LostValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let row: Vec<String> = self
            .row
            .iter()
            .map(|(c, v)| format!("{c}={}", shown(v)))
            .collect();
        write!(f, "({})", row.join(", "))?;
        if let (Some(b), Some(a)) = (&self.before, &self.after) {
            write!(f, ": {} → {}", shown(b), shown(a))?;
        }
        Ok(())
    }
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(
                f,
                "{}.{c}: {} of {} seeded values lost ({})",
                self.table, self.lost, self.total, self.reason
            )?,
            None => write!(
                f,
                "{}: {} of {} seeded rows lost ({})",
                self.table, self.lost, self.total, self.reason
            )?,
        }
        if !self.examples.is_empty() {
            let shown: Vec<String> = self.examples.iter().map(|e| e.to_string()).collect();
            write!(f, " e.g. {}", shown.join("; "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
