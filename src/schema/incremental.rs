//! What an incremental snapshot reads again after a step, decided from the words of the
//! step's statements and the last snapshot's rows, and how the fresh rows and objects are
//! merged into the last ones (pure: `snapshot.rs` does the reading).
//!
//! The rule that makes it sound: a statement that creates, drops, renames or alters a
//! table, view, trigger, routine or event names it, or names the kind of object it changes
//! (`CREATE TRIGGER`, `DROP PROCEDURE`). Statements whose text hides what they do
//! (`CALL`, `PREPARE`, …) never get here: the tracker reads everything after them.
//! `MH_SNAPSHOT=verify` compares every incremental snapshot with a full read.

use std::collections::{BTreeMap, BTreeSet};

use super::build::{CreateKind, Record, Recorded};
use super::model::Snapshot;

/// More words than this and the tables are listed in full: one scan of the schema is
/// cheaper than a query with thousands of parameters (a data migration's INSERT).
const MAX_LISTED_NAMES: usize = 500;

/// The tables the server listed after a step (name, TABLE_TYPE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// Only those among the statements' words and the last snapshot's views.
    Named(Vec<(String, String)>),
    /// Every table of the schema.
    All(Vec<(String, String)>),
}

/// A schema-wide list of objects, read in full or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WideList {
    Views,
    Triggers,
    Routines,
    Events,
}

impl WideList {
    pub const ALL: [WideList; 4] = [
        WideList::Views,
        WideList::Triggers,
        WideList::Routines,
        WideList::Events,
    ];

    /// The list's query, `schema` standing for the database (a `?` parameter or a literal).
    pub fn query(self, schema: &str) -> String {
        match self {
            WideList::Views => {
                format!("SELECT * FROM information_schema.VIEWS WHERE TABLE_SCHEMA = {schema}")
            }
            WideList::Triggers => {
                format!("SELECT * FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = {schema}")
            }
            WideList::Routines => format!(
                "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = {schema}"
            ),
            WideList::Events => {
                format!("SELECT * FROM information_schema.EVENTS WHERE EVENT_SCHEMA = {schema}")
            }
        }
    }

    /// The `SHOW CREATE` results that belong to this list.
    fn owns(self, kind: CreateKind) -> bool {
        matches!(
            (self, kind),
            (WideList::Triggers, CreateKind::Trigger)
                | (
                    WideList::Routines,
                    CreateKind::Procedure | CreateKind::Function
                )
                | (WideList::Events, CreateKind::Event)
        )
    }
}

pub fn field(r: &Record, key: &str) -> String {
    r.get(key).cloned().flatten().unwrap_or_default()
}

fn lower(names: &BTreeSet<String>) -> BTreeSet<String> {
    names.iter().map(|n| n.to_lowercase()).collect()
}

/// The names to list the tables by (the statements' words, which hold each name as written
/// and lower-cased, and the last snapshot's views), or None to list every table.
pub fn listed_names(prev: &Recorded, touched: &BTreeSet<String>) -> Option<BTreeSet<String>> {
    if touched.len() > MAX_LISTED_NAMES {
        return None;
    }
    let mut names = touched.clone();
    names.extend(views(prev));
    Some(names)
}

fn views(prev: &Recorded) -> impl Iterator<Item = String> + '_ {
    prev.tables
        .iter()
        .filter(|r| field(r, "TABLE_TYPE") == "VIEW")
        .map(|r| field(r, "TABLE_NAME"))
}

/// The tables whose rows must be read again (lower-cased names are compared: an
/// over-approximation is only slower): those the statements name, those created or
/// dropped since, every view (a view's columns follow the tables it selects from) and the
/// children of a named parent (renaming or changing the parent changes the child's rows).
pub fn to_refresh(
    prev: &Recorded,
    listing: &Listing,
    touched: &BTreeSet<String>,
) -> BTreeSet<String> {
    let touched = lower(touched);
    let before: BTreeSet<String> = prev.tables.iter().map(|r| field(r, "TABLE_NAME")).collect();
    let (now, listed_before) = match listing {
        // A table created or dropped is named by the statement that did it.
        Listing::Named(now) => (
            now,
            before
                .iter()
                .filter(|n| touched.contains(&n.to_lowercase()))
                .cloned()
                .collect(),
        ),
        Listing::All(now) => (now, before.clone()),
    };
    let after: BTreeSet<String> = now.iter().map(|(n, _)| n.clone()).collect();
    let mut out: BTreeSet<String> = after
        .iter()
        .chain(before.iter())
        .filter(|n| touched.contains(&n.to_lowercase()))
        .cloned()
        .collect();
    out.extend(after.symmetric_difference(&listed_before).cloned());
    out.extend(
        now.iter()
            .filter(|(_, ty)| ty == "VIEW")
            .map(|(n, _)| n.clone()),
    );
    out.extend(views(prev));
    let parents = out.clone();
    out.extend(
        prev.foreign_keys
            .iter()
            .filter(|r| parents.contains(&field(r, "REFERENCED_TABLE_NAME")))
            .map(|r| field(r, "TABLE_NAME")),
    );
    out
}

/// The schema-wide lists a step can have changed: the ones whose kind its statements name,
/// the triggers of a table read again (dropping or renaming a table takes its triggers
/// along), and the views whenever there are views or the statements name one.
pub fn wide_to_read(
    prev: &Recorded,
    touched: &BTreeSet<String>,
    refresh: &BTreeSet<String>,
) -> Vec<WideList> {
    let touched = lower(touched);
    let says = |w: &[&str]| w.iter().any(|w| touched.contains(*w));
    let mut out = Vec::new();
    if says(&["view"]) || views(prev).next().is_some() {
        out.push(WideList::Views);
    }
    let on_refreshed = prev
        .triggers
        .iter()
        .any(|r| refresh.contains(&field(r, "EVENT_OBJECT_TABLE")));
    if says(&["trigger"]) || on_refreshed {
        out.push(WideList::Triggers);
    }
    if says(&["procedure", "function"]) {
        out.push(WideList::Routines);
    }
    if says(&["event"]) {
        out.push(WideList::Events);
    }
    out
}

/// `prev` with the rows of `refresh` replaced by `fresh`'s, and the schema-wide lists in
/// `wide` replaced by `fresh`'s (the others are `prev`'s, with their `SHOW CREATE` text).
/// Takes `prev` by value: its rows move into the result instead of being copied, as a walk
/// keeps only the latest.
pub fn merge(
    prev: Recorded,
    fresh: Recorded,
    refresh: &BTreeSet<String>,
    wide: &[WideList],
) -> Recorded {
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
    let pick =
        |list: WideList, old: Vec<Record>, new: Vec<Record>| choose(wide.contains(&list), new, old);
    let mut tables = keep(prev.tables, fresh.tables);
    tables.sort_by_cached_key(table_of);
    let mut creates: BTreeMap<(CreateKind, String), String> = prev
        .creates
        .into_iter()
        .filter(|((k, n), _)| match k {
            CreateKind::Table | CreateKind::Sequence => !refresh.contains(n),
            _ => !wide.iter().any(|w| w.owns(*k)),
        })
        .collect();
    creates.extend(fresh.creates);
    Recorded {
        tables,
        columns: keep(prev.columns, fresh.columns),
        statistics: keep(prev.statistics, fresh.statistics),
        foreign_keys: keep(prev.foreign_keys, fresh.foreign_keys),
        checks: keep(prev.checks, fresh.checks),
        views: pick(WideList::Views, prev.views, fresh.views),
        triggers: pick(WideList::Triggers, prev.triggers, fresh.triggers),
        routines: pick(WideList::Routines, prev.routines, fresh.routines),
        events: pick(WideList::Events, prev.events, fresh.events),
        creates,
        defaults: fresh.defaults,
    }
}

/// `prev` with the tables and sequences of `refresh` replaced by `fresh`'s and the
/// schema-wide objects of `wide` replaced by `fresh`'s: what `build` makes of `merge`'s
/// rows, since `build` makes each table from that table's rows alone. Takes `prev` by
/// value: its tables move into the result instead of being copied.
pub fn splice(
    mut prev: Snapshot,
    fresh: Snapshot,
    refresh: &BTreeSet<String>,
    wide: &[WideList],
) -> Snapshot {
    prev.tables.retain(|name, _| !refresh.contains(name));
    prev.tables.extend(fresh.tables);
    prev.sequences.retain(|name, _| !refresh.contains(name));
    prev.sequences.extend(fresh.sequences);
    let fresh_if = |list: WideList| wide.contains(&list);
    Snapshot {
        tables: prev.tables,
        sequences: prev.sequences,
        views: choose(fresh_if(WideList::Views), fresh.views, prev.views),
        triggers: choose(fresh_if(WideList::Triggers), fresh.triggers, prev.triggers),
        routines: choose(fresh_if(WideList::Routines), fresh.routines, prev.routines),
        events: choose(fresh_if(WideList::Events), fresh.events, prev.events),
    }
}

/// `fresh` when the list was read again, else what the last snapshot had.
fn choose<T>(read_again: bool, fresh: T, prev: T) -> T {
    if read_again {
        fresh
    } else {
        prev
    }
}

#[cfg(test)]
mod tests;
