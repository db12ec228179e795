//! Compares seeded table contents with a later state, per table and column.

use serde::Serialize;

/// One table's rows, values as SQL literals (`NULL`, `'abc'`, `12`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableContents {
    pub table: String,
    pub columns: Vec<String>,
    /// Primary-key columns; rows are matched by them (by position when there are none).
    pub key: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl TableContents {
    fn key_of(&self, row: &[String], idx: usize) -> Vec<String> {
        if self.key.is_empty() {
            return vec![idx.to_string()];
        }
        self.key
            .iter()
            .map(|k| {
                self.columns
                    .iter()
                    .position(|c| c == k)
                    .map(|i| row[i].clone())
                    .unwrap_or_default()
            })
            .collect()
    }
}

impl TableContents {
    /// The rows of `self` whose key `earlier` does not hold: what was added since.
    pub fn added_since(&self, earlier: &TableContents) -> TableContents {
        let keys: Vec<Vec<String>> = earlier
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| earlier.key_of(r, i))
            .collect();
        let rows = self
            .rows
            .iter()
            .enumerate()
            .filter(|(i, r)| {
                self.key.is_empty() && *i >= earlier.rows.len()
                    || !self.key.is_empty() && !keys.contains(&self.key_of(r, *i))
            })
            .map(|(_, r)| r.clone())
            .collect();
        TableContents {
            rows,
            ..self.clone()
        }
    }
}

impl TableContents {
    /// The same rows with only the columns `keep` accepts.
    pub fn project(&self, keep: impl Fn(&str) -> bool) -> TableContents {
        let idx: Vec<usize> = (0..self.columns.len())
            .filter(|i| keep(&self.columns[*i]))
            .collect();
        TableContents {
            table: self.table.clone(),
            columns: idx.iter().map(|i| self.columns[*i].clone()).collect(),
            key: self.key.clone(),
            rows: self
                .rows
                .iter()
                .map(|r| idx.iter().map(|i| r[*i].clone()).collect())
                .collect(),
        }
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLoss {
    pub table: String,
    pub column: Option<String>,
    pub lost: usize,
    pub total: usize,
    pub reason: String,
}

impl std::fmt::Display for DataLoss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(
                f,
                "{}.{c}: {} of {} seeded values lost ({})",
                self.table, self.lost, self.total, self.reason
            ),
            None => write!(
                f,
                "{}: {} of {} seeded rows lost ({})",
                self.table, self.lost, self.total, self.reason
            ),
        }
    }
}

/// What of `before` is missing or changed in `after`. `before` holds only columns that
/// exist at the state the data must survive to.
pub fn compare(before: &[TableContents], after: &[TableContents]) -> Vec<DataLoss> {
    let mut out = Vec::new();
    for b in before {
        let total = b.rows.len();
        if total == 0 {
            continue;
        }
        let Some(a) = after.iter().find(|a| a.table == b.table) else {
            out.push(DataLoss {
                table: b.table.clone(),
                column: None,
                lost: total,
                total,
                reason: "table dropped".into(),
            });
            continue;
        };
        let mut rows_missing = 0;
        let mut per_col: Vec<usize> = vec![0; b.columns.len()];
        for (i, row) in b.rows.iter().enumerate() {
            let k = b.key_of(row, i);
            let found = a
                .rows
                .iter()
                .enumerate()
                .find(|(j, r)| a.key_of(r, *j) == k)
                .map(|(_, r)| r);
            let Some(arow) = found else {
                rows_missing += 1;
                continue;
            };
            for (ci, col) in b.columns.iter().enumerate() {
                match a.columns.iter().position(|c| c == col) {
                    Some(ai) if arow[ai] == row[ci] => {}
                    _ => per_col[ci] += 1,
                }
            }
        }
        if rows_missing > 0 {
            out.push(DataLoss {
                table: b.table.clone(),
                column: None,
                lost: rows_missing,
                total,
                reason: "rows deleted".into(),
            });
        }
        for (ci, col) in b.columns.iter().enumerate() {
            if per_col[ci] == 0 {
                continue;
            }
            let dropped = !a.columns.contains(col);
            out.push(DataLoss {
                table: b.table.clone(),
                column: Some(col.clone()),
                lost: per_col[ci],
                total: total - rows_missing,
                reason: if dropped {
                    "column dropped".into()
                } else {
                    "values changed".into()
                },
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(cols: &[&str], rows: &[&[&str]]) -> TableContents {
        TableContents {
            table: "user".into(),
            columns: cols.iter().map(|s| s.to_string()).collect(),
            key: vec!["id".into()],
            rows: rows
                .iter()
                .map(|r| r.iter().map(|s| s.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn identical_data_loses_nothing_even_reordered() {
        let b = tc(&["id", "api_token"], &[&["1", "'a'"], &["2", "'b'"]]);
        let a = tc(&["api_token", "id"], &[&["'b'", "2"], &["'a'", "1"]]);
        assert!(compare(&[b], &[a]).is_empty());
    }

    #[test]
    fn dropped_column_and_deleted_rows_are_counted() {
        let b = tc(
            &["id", "name", "api_token"],
            &[
                &["1", "'x'", "'a'"],
                &["2", "'y'", "'b'"],
                &["3", "'z'", "'c'"],
            ],
        );
        let a = tc(&["id", "name"], &[&["1", "'x'"], &["2", "'CHANGED'"]]);
        let loss = compare(&[b], &[a]);
        let text: Vec<String> = loss.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "user: 1 of 3 seeded rows lost (rows deleted)",
                "user.name: 1 of 2 seeded values lost (values changed)",
                "user.api_token: 2 of 2 seeded values lost (column dropped)"
            ]
        );
    }

    #[test]
    fn seeded_rows_leave_out_what_a_migration_wrote() {
        let before = tc(&["id"], &[&["1"]]);
        let after = tc(&["id"], &[&["1"], &["11"], &["12"]]);
        let s = seeded_rows(&[before], &[after]);
        assert_eq!(s[0].rows, [["11"], ["12"]]);
    }

    #[test]
    fn projection_and_merged_losses() {
        let b = tc(&["id", "gone"], &[&["1", "'x'"]]);
        assert_eq!(b.project(|c| c != "gone").columns, ["id"]);
        let l = DataLoss {
            table: "user".into(),
            column: Some("a".into()),
            lost: 2,
            total: 3,
            reason: "column dropped".into(),
        };
        let m = merge_losses(vec![l.clone(), l]);
        assert_eq!((m.len(), m[0].lost, m[0].total), (1, 4, 6));
    }

    #[test]
    fn dropped_table_loses_all_rows() {
        let b = tc(&["id"], &[&["1"]]);
        assert_eq!(compare(&[b], &[])[0].reason, "table dropped");
    }
}
