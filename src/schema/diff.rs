//! `diff()`: what changed from one snapshot to another, as `Change`s that print like
//! `+ column user.api_token varchar(64) NULL`; `hotfix_ddl()`: SQL that applies them by hand.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::model::{Column, ForeignKey, Index, Snapshot, Table};
use crate::db::ident;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "change")]
pub enum Change {
    AddTable {
        table: String,
    },
    DropTable {
        table: String,
    },
    AddColumn {
        table: String,
        column: Column,
    },
    DropColumn {
        table: String,
        column: Column,
    },
    ModifyColumn {
        table: String,
        before: Column,
        after: Column,
    },
    AddIndex {
        table: String,
        index: Index,
    },
    DropIndex {
        table: String,
        index: Index,
    },
    ModifyIndex {
        table: String,
        before: Index,
        after: Index,
    },
    AddForeignKey {
        table: String,
        fk: ForeignKey,
    },
    DropForeignKey {
        table: String,
        fk: ForeignKey,
    },
    ModifyForeignKey {
        table: String,
        before: ForeignKey,
        after: ForeignKey,
    },
    AddCheck {
        table: String,
        name: String,
        clause: String,
    },
    DropCheck {
        table: String,
        name: String,
        clause: String,
    },
    ModifyCheck {
        table: String,
        name: String,
        before: String,
        after: String,
    },
}

impl Change {
    pub fn table(&self) -> &str {
        match self {
            Change::AddTable { table }
            | Change::DropTable { table }
            | Change::AddColumn { table, .. }
            | Change::DropColumn { table, .. }
            | Change::ModifyColumn { table, .. }
            | Change::AddIndex { table, .. }
            | Change::DropIndex { table, .. }
            | Change::ModifyIndex { table, .. }
            | Change::AddForeignKey { table, .. }
            | Change::DropForeignKey { table, .. }
            | Change::ModifyForeignKey { table, .. }
            | Change::AddCheck { table, .. }
            | Change::DropCheck { table, .. }
            | Change::ModifyCheck { table, .. } => table,
        }
    }
}

fn index_label(i: &Index) -> String {
    if i.name == "PRIMARY" {
        "primary key".to_string()
    } else {
        format!("index {}", i.name)
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::AddTable { table } => write!(f, "+ table {table}"),
            Change::DropTable { table } => write!(f, "- table {table}"),
            Change::AddColumn { table, column } => {
                write!(f, "+ column {table}.{} {column}", column.name)
            }
            Change::DropColumn { table, column } => {
                write!(f, "- column {table}.{} {column}", column.name)
            }
            Change::ModifyColumn {
                table,
                before,
                after,
            } => {
                write!(f, "~ column {table}.{}: {before} → {after}", after.name)
            }
            Change::AddIndex { table, index } => {
                write!(f, "+ {} on {table} {index}", index_label(index))
            }
            Change::DropIndex { table, index } => {
                write!(f, "- {} on {table} {index}", index_label(index))
            }
            Change::ModifyIndex {
                table,
                before,
                after,
            } => {
                write!(f, "~ {} on {table}: {before} → {after}", index_label(after))
            }
            Change::AddForeignKey { table, fk } => {
                write!(f, "+ foreign key {table}.{} {fk}", fk.name)
            }
            Change::DropForeignKey { table, fk } => {
                write!(f, "- foreign key {table}.{} {fk}", fk.name)
            }
            Change::ModifyForeignKey {
                table,
                before,
                after,
            } => {
                write!(
                    f,
                    "~ foreign key {table}.{}: {before} → {after}",
                    after.name
                )
            }
            Change::AddCheck {
                table,
                name,
                clause,
            } => write!(f, "+ check {table}.{name} ({clause})"),
            Change::DropCheck {
                table,
                name,
                clause,
            } => write!(f, "- check {table}.{name} ({clause})"),
            Change::ModifyCheck {
                table,
                name,
                before,
                after,
            } => {
                write!(f, "~ check {table}.{name}: ({before}) → ({after})")
            }
        }
    }
}

enum Delta<'a, T> {
    Added(&'a T),
    Dropped(&'a T),
    Modified(&'a T, &'a T),
}

fn diff_maps<'a, T>(
    before: &'a BTreeMap<String, T>,
    after: &'a BTreeMap<String, T>,
    same: impl Fn(&T, &T) -> bool,
) -> Vec<Delta<'a, T>> {
    let mut out = Vec::new();
    for (k, b) in before {
        match after.get(k) {
            None => out.push(Delta::Dropped(b)),
            Some(a) if !same(b, a) => out.push(Delta::Modified(b, a)),
            Some(_) => {}
        }
    }
    for (k, a) in after {
        if !before.contains_key(k) {
            out.push(Delta::Added(a));
        }
    }
    out
}

/// Changes that turn `before` into `after`, grouped by table in name order.
pub fn diff(before: &Snapshot, after: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for (name, b) in &before.tables {
        match after.tables.get(name) {
            None => out.push(Change::DropTable {
                table: name.clone(),
            }),
            Some(a) => diff_table(b, a, &mut out),
        }
    }
    for name in after.tables.keys() {
        if !before.tables.contains_key(name) {
            out.push(Change::AddTable {
                table: name.clone(),
            });
        }
    }
    out
}

fn diff_table(b: &Table, a: &Table, out: &mut Vec<Change>) {
    let t = &b.name;
    let mut v = Vec::new();
    for d in diff_maps(&b.columns, &a.columns, |x, y| x.same_definition(y)) {
        v.push(match d {
            Delta::Added(c) => Change::AddColumn {
                table: t.clone(),
                column: c.clone(),
            },
            Delta::Dropped(c) => Change::DropColumn {
                table: t.clone(),
                column: c.clone(),
            },
            Delta::Modified(x, y) => Change::ModifyColumn {
                table: t.clone(),
                before: x.clone(),
                after: y.clone(),
            },
        });
    }
    for d in diff_maps(&b.indexes, &a.indexes, |x, y| x == y) {
        v.push(match d {
            Delta::Added(i) => Change::AddIndex {
                table: t.clone(),
                index: i.clone(),
            },
            Delta::Dropped(i) => Change::DropIndex {
                table: t.clone(),
                index: i.clone(),
            },
            Delta::Modified(x, y) => Change::ModifyIndex {
                table: t.clone(),
                before: x.clone(),
                after: y.clone(),
            },
        });
    }
    for d in diff_maps(&b.foreign_keys, &a.foreign_keys, |x, y| x == y) {
        v.push(match d {
            Delta::Added(f) => Change::AddForeignKey {
                table: t.clone(),
                fk: f.clone(),
            },
            Delta::Dropped(f) => Change::DropForeignKey {
                table: t.clone(),
                fk: f.clone(),
            },
            Delta::Modified(x, y) => Change::ModifyForeignKey {
                table: t.clone(),
                before: x.clone(),
                after: y.clone(),
            },
        });
    }
    for (name, clause) in &b.checks {
        match a.checks.get(name) {
            None => v.push(Change::DropCheck {
                table: t.clone(),
                name: name.clone(),
                clause: clause.clone(),
            }),
            Some(c) if c != clause => v.push(Change::ModifyCheck {
                table: t.clone(),
                name: name.clone(),
                before: clause.clone(),
                after: c.clone(),
            }),
            Some(_) => {}
        }
    }
    for (name, clause) in &a.checks {
        if !b.checks.contains_key(name) {
            v.push(Change::AddCheck {
                table: t.clone(),
                name: name.clone(),
                clause: clause.clone(),
            });
        }
    }
    out.extend(v);
}

fn column_def(c: &Column) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.column_type);
    s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
    if let Some(d) = &c.default {
        let is_expr =
            d.starts_with("CURRENT_TIMESTAMP") || d.parse::<f64>().is_ok() || d.starts_with("b'");
        if is_expr {
            s.push_str(&format!(" DEFAULT {d}"));
        } else {
            s.push_str(&format!(" DEFAULT {}", crate::db::literal(d)));
        }
    }
    if c.is_auto_increment() {
        s.push_str(" AUTO_INCREMENT");
    } else if let Some(on_update) = c.extra.strip_prefix("on update ") {
        s.push_str(&format!(" ON UPDATE {}", on_update.to_ascii_uppercase()));
    }
    s
}

fn index_cols(i: &Index) -> String {
    i.columns
        .iter()
        .map(|c| match c.sub_part {
            Some(n) => format!("{}({n})", ident(&c.name)),
            None => ident(&c.name),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// DDL a person would type to apply `changes` by hand (the seed's "hot-fix"): tables come
/// from `SHOW CREATE TABLE` of the target snapshot, the rest from the normalised model.
pub fn hotfix_ddl(changes: &[Change], target: &Snapshot) -> Vec<String> {
    let mut sql = Vec::new();
    for c in changes {
        let stmt = match c {
            Change::AddTable { table } => target.tables.get(table).map(|t| t.create_sql.clone()),
            Change::DropTable { table } => Some(format!("DROP TABLE {}", ident(table))),
            Change::AddColumn { table, column } => {
                Some(format!("ALTER TABLE {} ADD COLUMN {}", ident(table), column_def(column)))
            }
            Change::DropColumn { table, column } => {
                Some(format!("ALTER TABLE {} DROP COLUMN {}", ident(table), ident(&column.name)))
            }
            Change::ModifyColumn { table, after, .. } => {
                Some(format!("ALTER TABLE {} MODIFY COLUMN {}", ident(table), column_def(after)))
            }
            Change::AddIndex { table, index } if index.name == "PRIMARY" => {
                Some(format!("ALTER TABLE {} ADD PRIMARY KEY ({})", ident(table), index_cols(index)))
            }
            Change::AddIndex { table, index } => Some(format!(
                "CREATE {}INDEX {} ON {} ({})",
                if index.unique { "UNIQUE " } else { "" },
                ident(&index.name),
                ident(table),
                index_cols(index)
            )),
            Change::DropIndex { table, index } => {
                Some(format!("DROP INDEX {} ON {}", ident(&index.name), ident(table)))
            }
            Change::ModifyIndex { table, after, .. } => Some(format!(
                "DROP INDEX {0} ON {1}; CREATE {2}INDEX {0} ON {1} ({3})",
                ident(&after.name),
                ident(table),
                if after.unique { "UNIQUE " } else { "" },
                index_cols(after)
            )),
            Change::AddForeignKey { table, fk } | Change::ModifyForeignKey { table, after: fk, .. } => Some(format!(
                "ALTER TABLE {} ADD CONSTRAINT {} FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
                ident(table),
                ident(&fk.name),
                fk.columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", "),
                ident(&fk.ref_table),
                fk.ref_columns.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", "),
                fk.on_delete,
                fk.on_update
            )),
            Change::DropForeignKey { table, fk } => {
                Some(format!("ALTER TABLE {} DROP FOREIGN KEY {}", ident(table), ident(&fk.name)))
            }
            Change::AddCheck { table, name, clause } | Change::ModifyCheck { table, name, after: clause, .. } => {
                Some(format!("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({clause})", ident(table), ident(name)))
            }
            Change::DropCheck { table, name, .. } => {
                Some(format!("ALTER TABLE {} DROP CONSTRAINT {}", ident(table), ident(name)))
            }
        };
        // Tables created whole need no separate index/column statements afterwards.
        let table_is_new = changes
            .iter()
            .any(|o| matches!(o, Change::AddTable { table } if table == c.table()));
        if table_is_new && !matches!(c, Change::AddTable { .. }) {
            continue;
        }
        sql.extend(stmt);
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::super::model::IndexColumn;
    use super::*;

    fn user_table(with_token: bool) -> Snapshot {
        let mut t = Table {
            name: "user".into(),
            ..Default::default()
        };
        t.columns.insert(
            "id".into(),
            Column {
                name: "id".into(),
                column_type: "int".into(),
                extra: "auto_increment".into(),
                ..Default::default()
            },
        );
        t.indexes.insert(
            "PRIMARY".into(),
            Index {
                name: "PRIMARY".into(),
                unique: true,
                columns: vec![IndexColumn {
                    name: "id".into(),
                    sub_part: None,
                }],
            },
        );
        if with_token {
            t.columns.insert(
                "api_token".into(),
                Column {
                    name: "api_token".into(),
                    column_type: "varchar(64)".into(),
                    nullable: true,
                    ..Default::default()
                },
            );
            t.indexes.insert(
                "ix_user_api_token".into(),
                Index {
                    name: "ix_user_api_token".into(),
                    unique: true,
                    columns: vec![IndexColumn {
                        name: "api_token".into(),
                        sub_part: None,
                    }],
                },
            );
        }
        let mut s = Snapshot::default();
        s.tables.insert("user".into(), t);
        s
    }

    #[test]
    fn equal_snapshots_have_no_diff() {
        assert!(diff(&user_table(true), &user_table(true)).is_empty());
    }

    #[test]
    fn dropped_column_and_index_read_like_the_issue() {
        let d: Vec<String> = diff(&user_table(true), &user_table(false))
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            d,
            [
                "- column user.api_token varchar(64) NULL",
                "- index ix_user_api_token on user (api_token) UNIQUE"
            ]
        );
    }

    #[test]
    fn hotfix_ddl_adds_what_is_missing() {
        let target = user_table(true);
        let sql = hotfix_ddl(&diff(&user_table(false), &target), &target);
        assert_eq!(
            sql,
            [
                "ALTER TABLE `user` ADD COLUMN `api_token` varchar(64) NULL",
                "CREATE UNIQUE INDEX `ix_user_api_token` ON `user` (`api_token`)"
            ]
        );
    }

    #[test]
    fn modified_column_is_one_change() {
        let a = user_table(true);
        let mut b = a.clone();
        b.tables
            .get_mut("user")
            .unwrap()
            .columns
            .get_mut("api_token")
            .unwrap()
            .column_type = "varchar(128)".into();
        let d = diff(&a, &b);
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "~ column user.api_token: varchar(64) NULL → varchar(128) NULL"
        );
    }
}
