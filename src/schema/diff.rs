//! `diff()`: what changed from one snapshot to another, as `Change`s that name the object's
//! kind and print like `+ column user.api_token varchar(64) NULL` or `- view v_orders …`;
//! `warnings()`: differences that do not fail a comparison (column order).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::model::{Column, ForeignKey, Index, Snapshot, Table};
use super::normalize::is_auto_name;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// A table option (engine, collation, row format, comment, partitioning, versioning).
    ModifyTableOption {
        table: String,
        option: String,
        before: String,
        after: String,
    },
    /// The fallback: the model saw no difference but the normalised `SHOW CREATE TABLE`
    /// lines differ (something the model does not cover).
    ModifyTableDefinition {
        table: String,
        removed: Vec<String>,
        added: Vec<String>,
    },
    AddObject {
        kind: ObjectKind,
        name: String,
        definition: String,
    },
    DropObject {
        kind: ObjectKind,
        name: String,
        definition: String,
    },
    ModifyObject {
        kind: ObjectKind,
        name: String,
        before: String,
        after: String,
    },
}

/// Schema objects other than tables, each compared as one normalised definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    View,
    Trigger,
    Procedure,
    Function,
    Event,
    Sequence,
}

impl ObjectKind {
    pub fn keyword(self) -> &'static str {
        match self {
            ObjectKind::View => "VIEW",
            ObjectKind::Trigger => "TRIGGER",
            ObjectKind::Procedure => "PROCEDURE",
            ObjectKind::Function => "FUNCTION",
            ObjectKind::Event => "EVENT",
            ObjectKind::Sequence => "SEQUENCE",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keyword().to_ascii_lowercase())
    }
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
            | Change::ModifyCheck { table, .. }
            | Change::ModifyTableOption { table, .. }
            | Change::ModifyTableDefinition { table, .. } => table,
            Change::AddObject { name, .. }
            | Change::DropObject { name, .. }
            | Change::ModifyObject { name, .. } => name,
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
                let (b, a) = if before.collation != after.collation {
                    (before.with_collation(), after.with_collation())
                } else {
                    (before.to_string(), after.to_string())
                };
                write!(f, "~ column {table}.{}: {b} → {a}", after.name)
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
            Change::ModifyTableOption {
                table,
                option,
                before,
                after,
            } => write!(f, "~ table {table} {option}: {before:?} → {after:?}"),
            Change::ModifyTableDefinition {
                table,
                removed,
                added,
            } => {
                write!(f, "~ table {table} definition (SHOW CREATE TABLE):")?;
                for l in removed {
                    write!(f, " -[{l}]")?;
                }
                for l in added {
                    write!(f, " +[{l}]")?;
                }
                Ok(())
            }
            Change::AddObject {
                kind,
                name,
                definition,
            } => write!(f, "+ {kind} {name} {definition}"),
            Change::DropObject {
                kind,
                name,
                definition,
            } => write!(f, "- {kind} {name} {definition}"),
            Change::ModifyObject {
                kind,
                name,
                before,
                after,
            } => write!(f, "~ {kind} {name}: {before} → {after}"),
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
    objects(
        ObjectKind::View,
        &before.views,
        &after.views,
        |v| v.to_string(),
        &mut out,
    );
    objects(
        ObjectKind::Trigger,
        &before.triggers,
        &after.triggers,
        |t| t.to_string(),
        &mut out,
    );
    let routines = |s: &Snapshot, kind: super::model::RoutineKind| -> BTreeMap<String, String> {
        s.routines
            .values()
            .filter(|r| r.kind == kind)
            .map(|r| (r.name.clone(), r.definition.clone()))
            .collect()
    };
    for (ok, rk) in [
        (ObjectKind::Procedure, super::model::RoutineKind::Procedure),
        (ObjectKind::Function, super::model::RoutineKind::Function),
    ] {
        objects(
            ok,
            &routines(before, rk),
            &routines(after, rk),
            String::clone,
            &mut out,
        );
    }
    objects(
        ObjectKind::Event,
        &before.events,
        &after.events,
        |e| e.to_string(),
        &mut out,
    );
    objects(
        ObjectKind::Sequence,
        &before.sequences,
        &after.sequences,
        |q| q.definition.clone(),
        &mut out,
    );
    out
}

fn objects<T>(
    kind: ObjectKind,
    before: &BTreeMap<String, T>,
    after: &BTreeMap<String, T>,
    show: impl Fn(&T) -> String,
    out: &mut Vec<Change>,
) {
    for (name, b) in before {
        match after.get(name) {
            None => out.push(Change::DropObject {
                kind,
                name: name.clone(),
                definition: show(b),
            }),
            Some(a) if show(a) != show(b) => out.push(Change::ModifyObject {
                kind,
                name: name.clone(),
                before: show(b),
                after: show(a),
            }),
            Some(_) => {}
        }
    }
    for (name, a) in after {
        if !before.contains_key(name) {
            out.push(Change::AddObject {
                kind,
                name: name.clone(),
                definition: show(a),
            });
        }
    }
}

/// Differences that do not make two schemas unequal: column order (Alembic re-adds a
/// dropped column at the end; no application that names its columns notices).
pub fn warnings(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    for (name, b) in &before.tables {
        let Some(a) = after.tables.get(name) else {
            continue;
        };
        let order = |t: &Table, other: &Table| {
            let mut cols: Vec<&Column> = t
                .columns
                .values()
                .filter(|c| other.columns.contains_key(&c.name))
                .collect();
            cols.sort_by_key(|c| c.position);
            cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>()
        };
        let (ob, oa) = (order(b, a), order(a, b));
        if ob != oa {
            out.push(format!(
                "column order of table {name} differs: ({}) → ({})",
                ob.join(", "),
                oa.join(", ")
            ));
        }
    }
    out
}

/// Constraints the server named (`t_ibfk_2`, `t_chk_1`, `CONSTRAINT_1`) are keyed by their
/// definition, so the same schema reached through another history compares equal.
fn fk_keyed(t: &Table) -> BTreeMap<String, ForeignKey> {
    t.foreign_keys
        .values()
        .map(|fk| {
            let key = if is_auto_name(&t.name, &fk.name) {
                format!("\u{0}{fk}")
            } else {
                fk.name.clone()
            };
            (key, fk.clone())
        })
        .collect()
}

fn check_keyed(t: &Table) -> BTreeMap<String, (String, String)> {
    t.checks
        .iter()
        .map(|(name, clause)| {
            let key = if is_auto_name(&t.name, name) {
                format!("\u{0}{clause}")
            } else {
                name.clone()
            };
            (key, (name.clone(), clause.clone()))
        })
        .collect()
}

pub(super) fn diff_table(b: &Table, a: &Table, out: &mut Vec<Change>) {
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
    let (bf, af) = (fk_keyed(b), fk_keyed(a));
    // Display leaves the name out: under a user-chosen name the key already matched.
    for d in diff_maps(&bf, &af, |x, y| x.to_string() == y.to_string()) {
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
    let (bc, ac) = (check_keyed(b), check_keyed(a));
    for d in diff_maps(&bc, &ac, |x, y| x.1 == y.1) {
        v.push(match d {
            Delta::Added((name, clause)) => Change::AddCheck {
                table: t.clone(),
                name: name.clone(),
                clause: clause.clone(),
            },
            Delta::Dropped((name, clause)) => Change::DropCheck {
                table: t.clone(),
                name: name.clone(),
                clause: clause.clone(),
            },
            Delta::Modified((name, x), (_, y)) => Change::ModifyCheck {
                table: t.clone(),
                name: name.clone(),
                before: x.clone(),
                after: y.clone(),
            },
        });
    }
    for ((option, x), (_, y)) in b.options.fields().into_iter().zip(a.options.fields()) {
        if x != y {
            v.push(Change::ModifyTableOption {
                table: t.clone(),
                option: option.to_string(),
                before: x,
                after: y,
            });
        }
    }
    // Only when the model is blind to the difference: otherwise it would say it twice.
    if v.is_empty()
        && !b.create_lines.is_empty()
        && !a.create_lines.is_empty()
        && b.create_lines != a.create_lines
    {
        v.push(Change::ModifyTableDefinition {
            table: t.clone(),
            removed: b
                .create_lines
                .iter()
                .filter(|l| !a.create_lines.contains(l))
                .cloned()
                .collect(),
            added: a
                .create_lines
                .iter()
                .filter(|l| !b.create_lines.contains(l))
                .cloned()
                .collect(),
        });
    }
    out.extend(v);
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
                columns: vec![IndexColumn::column("id")],
                kind: Default::default(),
                visible: true,
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
                    columns: vec![IndexColumn::column("api_token")],
                    kind: Default::default(),
                    visible: true,
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

    fn with_fk(name: &str, on_delete: &str) -> Snapshot {
        let mut s = user_table(false);
        let t = s.tables.get_mut("user").unwrap();
        t.foreign_keys.insert(
            name.into(),
            ForeignKey {
                name: name.into(),
                columns: vec!["id".into()],
                ref_table: "account".into(),
                ref_columns: vec!["id".into()],
                on_update: "RESTRICT".into(),
                on_delete: on_delete.into(),
            },
        );
        s
    }

    #[test]
    fn auto_named_constraints_compare_by_definition() {
        assert!(diff(
            &with_fk("user_ibfk_1", "CASCADE"),
            &with_fk("user_ibfk_2", "CASCADE")
        )
        .is_empty());
        // A user-chosen name is part of the schema.
        assert_eq!(
            diff(&with_fk("fk_a", "CASCADE"), &with_fk("fk_b", "CASCADE")).len(),
            2
        );
        let d = diff(
            &with_fk("user_ibfk_1", "CASCADE"),
            &with_fk("user_ibfk_1", "SET NULL"),
        );
        assert_eq!(
            d.len(),
            2,
            "a changed auto-named FK is a drop and an add: {d:?}"
        );
    }

    #[test]
    fn column_order_is_a_warning_not_a_difference() {
        let placed = |token: u32, id: u32| {
            let mut s = user_table(true);
            let t = s.tables.get_mut("user").unwrap();
            t.columns.get_mut("api_token").unwrap().position = token;
            t.columns.get_mut("id").unwrap().position = id;
            s
        };
        let (a, b) = (placed(1, 2), placed(2, 1));
        assert!(diff(&a, &b).is_empty());
        assert_eq!(
            warnings(&a, &b),
            ["column order of table user differs: (api_token, id) → (id, api_token)"]
        );
    }
}
