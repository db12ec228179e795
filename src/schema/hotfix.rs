//! `hotfix_ddl()`: the DDL a person would type to turn one snapshot's schema into another's
//! (the seed's "hot-fix"), ordered so that it applies: renames first, then drops (foreign
//! keys before the indexes and columns they use), then creates (tables before the foreign
//! keys that point at them, indexes before foreign keys that need them).

use std::collections::BTreeSet;

use super::diff::{diff, diff_table, Change, ObjectKind};
use super::model::{Column, ForeignKey, Index, IndexKind, Snapshot, Table};
use super::normalize::is_auto_name;
use crate::db::{ident, literal};

/// Where a statement goes in the script; statements run phase by phase, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Views, triggers, routines, events and sequences that go or change: dropped while the
    /// tables they name still exist.
    DropObjects,
    Rename,
    DropForeignKeys,
    DropChecks,
    DropIndexes,
    DropColumns,
    DropTables,
    CreateTables,
    /// Before columns: a column written without COLLATE takes the table's new default.
    TableOptions,
    Columns,
    Keys,
    AddChecks,
    AddForeignKeys,
    CreateObjects,
}

/// DDL that turns the schema of `before` into that of `target`. Tables are created from the
/// target's `SHOW CREATE TABLE`, everything else from the normalised model.
///
/// A table or column that disappears while one with another name and the same definition
/// appears is taken as renamed (`RENAME TABLE` / `RENAME COLUMN`): dropping and re-adding
/// would lose its rows, and a person reviewing the script can still turn a rename back into
/// a drop and an add; the reverse mistake cannot be undone.
pub fn hotfix_ddl(before: &Snapshot, target: &Snapshot) -> Vec<String> {
    let mut out: Vec<(Phase, String)> = Vec::new();
    let mut start = before.clone();
    rename_tables(&mut start, target, &mut out);
    rename_columns(&mut start, target, &mut out);
    let changes = diff(&start, target);
    let new_tables: Vec<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::AddTable { table } => Some(table.as_str()),
            _ => None,
        })
        .collect();
    for table in creation_order(&new_tables, target) {
        if let Some(t) = target
            .tables
            .get(table)
            .filter(|t| !t.create_sql.is_empty())
        {
            out.push((Phase::CreateTables, t.create_sql.clone()));
        }
    }
    for c in &changes {
        statements(c, &start, target, &mut out);
    }
    // Stable: within a phase, statements keep the diff's order (tables by name).
    out.sort_by_key(|(p, _)| *p);
    out.into_iter().map(|(_, s)| s).collect()
}

fn statements(c: &Change, start: &Snapshot, target: &Snapshot, out: &mut Vec<(Phase, String)>) {
    let mut push = |p: Phase, s: String| out.push((p, s));
    match c {
        Change::AddTable { .. } => {} // created in dependency order by the caller
        Change::DropTable { table } => {
            // Its own foreign keys first: the table it points at may be dropped too.
            if let Some(t) = start.tables.get(table) {
                for fk in t.foreign_keys.values() {
                    push(Phase::DropForeignKeys, drop_fk(table, fk));
                }
            }
            push(Phase::DropTables, format!("DROP TABLE {}", ident(table)));
        }
        Change::AddColumn { table, column } => push(
            Phase::Columns,
            format!(
                "ALTER TABLE {} ADD COLUMN {}",
                ident(table),
                column_def(column, table_collation(target, table))
            ),
        ),
        Change::DropColumn { table, column } => {
            push(Phase::DropColumns, drop_column(table, column))
        }
        Change::ModifyColumn {
            table,
            before,
            after,
        } => {
            let def = column_def(after, table_collation(target, table));
            // A generated column's expression or storage cannot be changed in place
            // (MODIFY is refused for VIRTUAL ↔ STORED); its values come from the other
            // columns, so it is dropped and added again.
            if before.is_generated() || after.is_generated() {
                push(Phase::DropColumns, drop_column(table, before));
                push(
                    Phase::Columns,
                    format!("ALTER TABLE {} ADD COLUMN {def}", ident(table)),
                );
            } else {
                push(
                    Phase::Columns,
                    format!("ALTER TABLE {} MODIFY COLUMN {def}", ident(table)),
                );
            }
        }
        Change::AddIndex { table, index } if is_primary(index) => push(
            Phase::Keys,
            format!(
                "ALTER TABLE {} ADD PRIMARY KEY ({})",
                ident(table),
                index_cols(index)
            ),
        ),
        Change::DropIndex { table, index } if is_primary(index) => push(
            Phase::DropIndexes,
            format!("ALTER TABLE {} DROP PRIMARY KEY", ident(table)),
        ),
        // One statement: the table is never without its key, and an AUTO_INCREMENT column
        // (which must be a key) stays valid throughout.
        Change::ModifyIndex { table, after, .. } if is_primary(after) => push(
            Phase::Keys,
            format!(
                "ALTER TABLE {} DROP PRIMARY KEY, ADD PRIMARY KEY ({})",
                ident(table),
                index_cols(after)
            ),
        ),
        Change::AddIndex { table, index } => push(
            Phase::Keys,
            format!(
                "CREATE {}INDEX {} ON {} ({})",
                index_prefix(index),
                ident(&index.name),
                ident(table),
                index_cols(index)
            ),
        ),
        Change::DropIndex { table, index } => push(
            Phase::DropIndexes,
            format!("DROP INDEX {} ON {}", ident(&index.name), ident(table)),
        ),
        Change::ModifyIndex { table, after, .. } => push(
            Phase::Keys,
            format!(
                "ALTER TABLE {0} DROP INDEX {1}, ADD {2}INDEX {1} ({3})",
                ident(table),
                ident(&after.name),
                index_prefix(after),
                index_cols(after)
            ),
        ),
        Change::AddForeignKey { table, fk } => push(Phase::AddForeignKeys, add_fk(table, fk)),
        Change::DropForeignKey { table, fk } => push(Phase::DropForeignKeys, drop_fk(table, fk)),
        Change::ModifyForeignKey {
            table,
            before,
            after,
        } => {
            push(Phase::DropForeignKeys, drop_fk(table, before));
            push(Phase::AddForeignKeys, add_fk(table, after));
        }
        Change::AddCheck {
            table,
            name,
            clause,
        } => push(Phase::AddChecks, add_check(table, name, clause)),
        Change::DropCheck { table, name, .. } => push(Phase::DropChecks, drop_check(table, name)),
        Change::ModifyCheck {
            table, name, after, ..
        } => {
            push(Phase::DropChecks, drop_check(table, name));
            push(Phase::AddChecks, add_check(table, name, after));
        }
        Change::ModifyTableOption {
            table,
            option,
            after,
            ..
        } => {
            if let Some(s) = table_option_ddl(table, option, after) {
                push(Phase::TableOptions, s);
            }
        }
        // Nothing the model can spell: the person reads the diff.
        Change::ModifyTableDefinition { .. } => {}
        Change::DropObject { kind, name, .. } => push(Phase::DropObjects, drop_object(*kind, name)),
        Change::AddObject { kind, name, .. } => {
            if let Some(s) = create_object(*kind, name, target) {
                push(Phase::CreateObjects, s);
            }
        }
        Change::ModifyObject { kind, name, .. } => {
            push(Phase::DropObjects, drop_object(*kind, name));
            if let Some(s) = create_object(*kind, name, target) {
                push(Phase::CreateObjects, s);
            }
        }
    }
}

fn is_primary(i: &Index) -> bool {
    i.name == "PRIMARY"
}

/// Same columns (names and definitions) and the same indexes: the table moved, it was not
/// rebuilt. Constraint names are left out: auto-generated ones carry the table's name.
fn same_shape(a: &Table, b: &Table) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns
            .iter()
            .all(|(n, c)| b.columns.get(n).is_some_and(|d| c.same_definition(d)))
        && a.indexes == b.indexes
}

fn rename_tables(start: &mut Snapshot, target: &Snapshot, out: &mut Vec<(Phase, String)>) {
    let gone: Vec<String> = start
        .tables
        .keys()
        .filter(|t| !target.tables.contains_key(*t))
        .cloned()
        .collect();
    let mut taken = BTreeSet::new();
    for old in gone {
        let found = target
            .tables
            .iter()
            .filter(|(n, _)| !start.tables.contains_key(*n) && !taken.contains(*n))
            .find(|(_, t)| same_shape(&start.tables[&old], t))
            .map(|(n, _)| n.clone());
        let Some(new) = found else { continue };
        taken.insert(new.clone());
        out.push((
            Phase::Rename,
            format!("RENAME TABLE {} TO {}", ident(&old), ident(&new)),
        ));
        let mut t = start.tables.remove(&old).unwrap_or_default();
        t.name = new.clone();
        // The server renames the constraints it named after the table (`old_ibfk_1` →
        // `new_ibfk_1`; MySQL's `old_chk_1` too), keeping their numbers.
        let auto = |name: &str| match name.strip_prefix(old.as_str()) {
            Some(rest) if is_auto_name(&old, name) => format!("{new}{rest}"),
            _ => name.to_string(),
        };
        t.foreign_keys = std::mem::take(&mut t.foreign_keys)
            .into_values()
            .map(|mut fk| {
                fk.name = auto(&fk.name);
                (fk.name.clone(), fk)
            })
            .collect();
        t.checks = std::mem::take(&mut t.checks)
            .into_iter()
            .map(|(n, c)| (auto(&n), c))
            .collect();
        start.tables.insert(new.clone(), t);
        // InnoDB re-points foreign keys at the renamed table by itself.
        for other in start.tables.values_mut() {
            for fk in other.foreign_keys.values_mut() {
                if fk.ref_table == old {
                    fk.ref_table = new.clone();
                }
            }
        }
    }
}

fn rename_columns(start: &mut Snapshot, target: &Snapshot, out: &mut Vec<(Phase, String)>) {
    for (name, t) in start.tables.iter_mut() {
        let Some(goal) = target.tables.get(name) else {
            continue;
        };
        let mut changes = Vec::new();
        diff_table(t, goal, &mut changes);
        let mut added: Vec<&Column> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddColumn { column, .. } => Some(column),
                _ => None,
            })
            .collect();
        added.sort_by_key(|c| c.position);
        let mut dropped: Vec<&Column> = changes
            .iter()
            .filter_map(|c| match c {
                Change::DropColumn { column, .. } => Some(column),
                _ => None,
            })
            .collect();
        dropped.sort_by_key(|c| c.position);
        let mut taken = BTreeSet::new();
        let mut renames = Vec::new();
        for old in dropped {
            if let Some(new) = added
                .iter()
                .find(|n| !taken.contains(&n.name) && same_column(old, n))
            {
                taken.insert(new.name.clone());
                renames.push((old.name.clone(), new.name.clone()));
            }
        }
        for (old, new) in renames {
            out.push((
                Phase::Rename,
                format!(
                    "ALTER TABLE {} RENAME COLUMN {} TO {}",
                    ident(name),
                    ident(&old),
                    ident(&new)
                ),
            ));
            rename_column(t, &old, &new);
        }
    }
}

/// The definition alike, the name aside.
fn same_column(a: &Column, b: &Column) -> bool {
    a.same_definition(&Column {
        name: a.name.clone(),
        ..b.clone()
    })
}

/// What the server does on RENAME COLUMN: indexes and foreign keys follow the column.
fn rename_column(t: &mut Table, old: &str, new: &str) {
    if let Some(mut c) = t.columns.remove(old) {
        c.name = new.to_string();
        t.columns.insert(new.to_string(), c);
    }
    for i in t.indexes.values_mut() {
        for c in &mut i.columns {
            if c.name == old {
                c.name = new.to_string();
            }
        }
    }
    for fk in t.foreign_keys.values_mut() {
        for c in &mut fk.columns {
            if c == old {
                *c = new.to_string();
            }
        }
    }
}

/// New tables, each after the new tables its foreign keys point at (a cycle, which no
/// order satisfies, keeps name order for the rest).
fn creation_order<'a>(new: &[&'a str], target: &Snapshot) -> Vec<&'a str> {
    let mut done: Vec<&str> = Vec::new();
    let mut left: Vec<&str> = new.to_vec();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            target.tables.get(*t).is_none_or(|tab| {
                tab.foreign_keys
                    .values()
                    .all(|fk| fk.ref_table == *t || !left.contains(&fk.ref_table.as_str()))
            })
        });
        done.push(left.remove(ready.unwrap_or(0)));
    }
    done
}

fn drop_column(table: &str, c: &Column) -> String {
    format!(
        "ALTER TABLE {} DROP COLUMN {}",
        ident(table),
        ident(&c.name)
    )
}

fn drop_fk(table: &str, fk: &ForeignKey) -> String {
    format!(
        "ALTER TABLE {} DROP FOREIGN KEY {}",
        ident(table),
        ident(&fk.name)
    )
}

/// An auto-named key (`t_ibfk_1`) is added without a name, as it was first written: the
/// server numbers it, and names its supporting index after the column as it did the first
/// time (given `CONSTRAINT t_ibfk_1`, MariaDB swaps the column-named index it made for one
/// named `t_ibfk_1`, and the schema no longer matches).
fn add_fk(table: &str, fk: &ForeignKey) -> String {
    let list = |v: &[String]| v.iter().map(|c| ident(c)).collect::<Vec<_>>().join(", ");
    let name = if is_auto_name(table, &fk.name) {
        String::new()
    } else {
        format!("CONSTRAINT {} ", ident(&fk.name))
    };
    format!(
        "ALTER TABLE {} ADD {name}FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {} ON UPDATE {}",
        ident(table),
        list(&fk.columns),
        ident(&fk.ref_table),
        list(&fk.ref_columns),
        fk.on_delete,
        fk.on_update
    )
}

fn add_check(table: &str, name: &str, clause: &str) -> String {
    format!(
        "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({clause})",
        ident(table),
        ident(name)
    )
}

/// `DROP CONSTRAINT` drops a check on MariaDB 10.2+ and MySQL 8.0.19+.
fn drop_check(table: &str, name: &str) -> String {
    format!(
        "ALTER TABLE {} DROP CONSTRAINT {}",
        ident(table),
        ident(name)
    )
}

fn drop_object(kind: ObjectKind, name: &str) -> String {
    format!("DROP {} {}", kind.keyword(), ident(name))
}

/// The character set a collation belongs to (`utf8mb4_bin` → `utf8mb4`).
fn charset_of(collation: &str) -> &str {
    collation.split('_').next().unwrap_or(collation)
}

/// A column definition as `CREATE`/`ALTER` takes it. A collation equal to the table's
/// default is left out, as a person would write it; another one is given with its character
/// set, since the collation alone does not change a column's character set everywhere.
fn column_def(c: &Column, table_collation: Option<&str>) -> String {
    let mut s = format!("{} {}", ident(&c.name), c.column_type);
    if let Some(coll) = c
        .collation
        .as_deref()
        .filter(|coll| Some(*coll) != table_collation)
    {
        s.push_str(&format!(
            " CHARACTER SET {} COLLATE {coll}",
            charset_of(coll)
        ));
    }
    if let Some(g) = &c.generation_expression {
        let stored = c.extra.contains("stored") || c.extra.contains("persistent");
        s.push_str(&format!(
            " GENERATED ALWAYS AS ({g}) {}",
            if stored { "STORED" } else { "VIRTUAL" }
        ));
    } else {
        s.push_str(if c.nullable { " NULL" } else { " NOT NULL" });
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {}", d.sql()));
        }
        if c.is_auto_increment() {
            s.push_str(" AUTO_INCREMENT");
        } else if let Some(on_update) = c.extra.strip_prefix("on update ") {
            s.push_str(&format!(" ON UPDATE {}", on_update.to_ascii_uppercase()));
        }
    }
    if !c.comment.is_empty() {
        s.push_str(&format!(" COMMENT {}", literal(&c.comment)));
    }
    s
}

fn index_cols(i: &Index) -> String {
    i.columns
        .iter()
        .map(|c| {
            let part = match (&c.expression, c.sub_part) {
                (Some(e), _) => format!("({e})"),
                (None, Some(n)) => format!("{}({n})", ident(&c.name)),
                (None, None) => ident(&c.name),
            };
            if c.descending {
                format!("{part} DESC")
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn table_collation<'a>(target: &'a Snapshot, table: &str) -> Option<&'a str> {
    target
        .tables
        .get(table)
        .map(|t| t.options.collation.as_str())
}

/// `UNIQUE `, `FULLTEXT `, `SPATIAL ` or nothing, before `INDEX`.
fn index_prefix(i: &Index) -> &'static str {
    match i.kind {
        IndexKind::Fulltext => "FULLTEXT ",
        IndexKind::Spatial => "SPATIAL ",
        _ if i.unique => "UNIQUE ",
        _ => "",
    }
}

fn table_option_ddl(table: &str, option: &str, after: &str) -> Option<String> {
    let t = ident(table);
    Some(match option {
        "engine" => format!("ALTER TABLE {t} ENGINE={after}"),
        "collation" => format!(
            "ALTER TABLE {t} DEFAULT CHARACTER SET {} COLLATE {after}",
            charset_of(after)
        ),
        "row format" => format!("ALTER TABLE {t} ROW_FORMAT={}", after.to_ascii_uppercase()),
        "comment" => format!("ALTER TABLE {t} COMMENT={}", literal(after)),
        "partitioning" if after.is_empty() => format!("ALTER TABLE {t} REMOVE PARTITIONING"),
        "partitioning" => format!("ALTER TABLE {t} {after}"),
        "system versioning" if after == "on" => format!("ALTER TABLE {t} ADD SYSTEM VERSIONING"),
        "system versioning" => format!("ALTER TABLE {t} DROP SYSTEM VERSIONING"),
        _ => return None,
    })
}

/// The statement that creates object `name` as `target` has it.
fn create_object(kind: ObjectKind, name: &str, target: &Snapshot) -> Option<String> {
    match kind {
        // SQL SECURITY goes before VIEW, the check option after the query.
        ObjectKind::View => target.views.get(name).map(|v| {
            let security = match v.security_type.as_str() {
                "" | "DEFINER" => String::new(),
                s => format!("SQL SECURITY {s} "),
            };
            let check = match v.check_option.as_str() {
                "" | "NONE" => String::new(),
                c => format!(" WITH {c} CHECK OPTION"),
            };
            format!(
                "CREATE OR REPLACE {security}VIEW {} AS {}{check}",
                ident(name),
                v.definition
            )
        }),
        ObjectKind::Trigger => target.triggers.get(name).map(|t| t.create_sql.clone()),
        ObjectKind::Procedure | ObjectKind::Function => target
            .routines
            .get(&format!("{kind} {name}"))
            .map(|r| r.definition.clone()),
        ObjectKind::Event => target.events.get(name).map(|e| e.create_sql.clone()),
        ObjectKind::Sequence => target.sequences.get(name).map(|q| q.definition.clone()),
    }
    .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
