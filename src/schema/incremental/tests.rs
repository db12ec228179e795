//! Which tables and lists an incremental snapshot reads again, and how it merges (pure: no
//! server).

use super::super::build::build;
use super::*;

fn rec(pairs: &[(&str, &str)]) -> Record {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Some(v.to_string())))
        .collect()
}

fn table(name: &str, ty: &str) -> Record {
    rec(&[("TABLE_NAME", name), ("TABLE_TYPE", ty)])
}

fn prev() -> Recorded {
    Recorded {
        tables: vec![
            table("orders", "BASE TABLE"),
            table("parent", "BASE TABLE"),
            table("child", "BASE TABLE"),
            table("v_orders", "VIEW"),
            table("quiet", "BASE TABLE"),
        ],
        columns: vec![
            rec(&[("TABLE_NAME", "orders"), ("COLUMN_NAME", "id")]),
            rec(&[("TABLE_NAME", "quiet"), ("COLUMN_NAME", "id")]),
        ],
        foreign_keys: vec![rec(&[
            ("TABLE_NAME", "child"),
            ("REFERENCED_TABLE_NAME", "parent"),
        ])],
        creates: [
            ((CreateKind::Table, "orders".to_string()), "old".to_string()),
            (
                (CreateKind::Table, "quiet".to_string()),
                "quiet".to_string(),
            ),
            (
                (CreateKind::Trigger, "t1".to_string()),
                "trigger".to_string(),
            ),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    }
}

fn names(v: &[&str]) -> Vec<(String, String)> {
    v.iter()
        .map(|n| {
            let ty = if n.starts_with("v_") {
                "VIEW"
            } else {
                "BASE TABLE"
            };
            (n.to_string(), ty.to_string())
        })
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn touched_created_dropped_views_and_children_of_touched_parents_are_read_again() {
    // `PARENT` (another spelling) is touched, `orders` was dropped, `notes` created.
    let now = Listing::All(names(&["parent", "child", "v_orders", "quiet", "notes"]));
    let r = to_refresh(&prev(), &now, &set(&["PARENT", "unrelated_word"]));
    assert_eq!(
        r,
        set(&["child", "notes", "orders", "parent", "v_orders"]),
        "quiet is neither touched nor linked"
    );
}

#[test]
fn merge_keeps_untouched_rows_and_replaces_the_refreshed_ones() {
    let fresh = Recorded {
        tables: vec![table("orders", "BASE TABLE")],
        columns: vec![
            rec(&[("TABLE_NAME", "orders"), ("COLUMN_NAME", "id")]),
            rec(&[("TABLE_NAME", "orders"), ("COLUMN_NAME", "total")]),
        ],
        creates: [((CreateKind::Table, "orders".to_string()), "new".to_string())]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    let m = merge(prev(), fresh, &set(&["orders", "v_orders"]), &WideList::ALL);
    let tables: Vec<String> = m.tables.iter().map(|r| field(r, "TABLE_NAME")).collect();
    assert_eq!(
        tables,
        ["child", "orders", "parent", "quiet"],
        "v_orders is gone"
    );
    assert_eq!(m.columns.len(), 3);
    assert_eq!(m.creates[&(CreateKind::Table, "orders".to_string())], "new");
    assert_eq!(
        m.creates[&(CreateKind::Table, "quiet".to_string())],
        "quiet"
    );
    assert!(
        !m.creates
            .contains_key(&(CreateKind::Trigger, "t1".to_string())),
        "schema-wide objects read again come from the fresh read only"
    );
}

#[test]
fn splicing_the_refreshed_tables_into_the_last_snapshot_equals_building_the_merged_rows() {
    let mut before = prev();
    before.columns.push(rec(&[
        ("TABLE_NAME", "child"),
        ("COLUMN_NAME", "parent_id"),
    ]));
    before.tables.push(table("seq_ids", "SEQUENCE"));
    before.creates.insert(
        (CreateKind::Sequence, "seq_ids".to_string()),
        "CREATE SEQUENCE `seq_ids`".to_string(),
    );
    before.triggers = vec![rec(&[
        ("TRIGGER_NAME", "t1"),
        ("EVENT_OBJECT_TABLE", "orders"),
    ])];
    // `orders` altered, `v_orders` and `seq_ids` gone, `notes` new; the trigger dropped.
    let fresh = Recorded {
        tables: vec![table("orders", "BASE TABLE"), table("notes", "BASE TABLE")],
        columns: vec![
            rec(&[("TABLE_NAME", "orders"), ("COLUMN_NAME", "id")]),
            rec(&[("TABLE_NAME", "orders"), ("COLUMN_NAME", "total")]),
            rec(&[("TABLE_NAME", "notes"), ("COLUMN_NAME", "body")]),
        ],
        statistics: vec![rec(&[
            ("TABLE_NAME", "notes"),
            ("INDEX_NAME", "PRIMARY"),
            ("COLUMN_NAME", "body"),
            ("NON_UNIQUE", "0"),
        ])],
        creates: [
            ((CreateKind::Table, "orders".to_string()), "new".to_string()),
            (
                (CreateKind::Table, "notes".to_string()),
                "notes".to_string(),
            ),
        ]
        .into_iter()
        .collect(),
        ..Default::default()
    };
    let refresh = set(&["orders", "notes", "v_orders", "seq_ids"]);
    let exclude = ["alembic_version".to_string()];
    let spliced = splice(
        build(&before, "db", &exclude),
        build(&fresh, "db", &exclude),
        &refresh,
        &WideList::ALL,
    );
    let built = build(
        &merge(before, fresh, &refresh, &WideList::ALL),
        "db",
        &exclude,
    );
    assert_eq!(spliced, built);
    assert_eq!(
        built.tables.keys().collect::<Vec<_>>(),
        ["child", "notes", "orders", "parent", "quiet"]
    );
    assert_eq!(built.tables["orders"].columns.len(), 2);
    assert!(built.triggers.is_empty() && built.sequences.is_empty());
}

#[test]
fn a_listing_by_name_sees_created_and_dropped_tables_only_among_the_words() {
    // `notes` created and `orders` dropped by name; `quiet` and `parent` are not listed
    // because no statement named them, which does not make them dropped.
    let now = Listing::Named(names(&["notes", "v_orders"]));
    let r = to_refresh(&prev(), &now, &set(&["notes", "orders", "drop", "table"]));
    assert_eq!(r, set(&["notes", "orders", "v_orders"]));
}

#[test]
fn too_many_words_list_every_table_and_views_are_always_listed() {
    let words: BTreeSet<String> = (0..=MAX_LISTED_NAMES).map(|i| format!("w{i}")).collect();
    assert_eq!(listed_names(&prev(), &words), None);
    let named = listed_names(&prev(), &set(&["Orders", "orders"])).unwrap();
    assert_eq!(named, set(&["Orders", "orders", "v_orders"]));
}

#[test]
fn schema_wide_lists_are_read_when_the_statements_can_reach_them() {
    let mut with_trigger = prev();
    with_trigger
        .tables
        .retain(|r| field(r, "TABLE_TYPE") != "VIEW");
    with_trigger.triggers = vec![rec(&[
        ("TRIGGER_NAME", "t1"),
        ("EVENT_OBJECT_TABLE", "orders"),
    ])];
    let quiet_step = set(&["alter", "table", "quiet", "add", "column", "note"]);
    assert_eq!(
        wide_to_read(&with_trigger, &quiet_step, &set(&["quiet"])),
        [],
        "a column on a table without triggers, no view, no routine"
    );
    assert_eq!(
        wide_to_read(
            &with_trigger,
            &set(&["drop", "table", "orders"]),
            &set(&["orders"])
        ),
        [WideList::Triggers],
        "dropping a table drops its triggers"
    );
    assert_eq!(
        wide_to_read(&with_trigger, &set(&["CREATE", "FUNCTION", "f"]), &set(&[])),
        [WideList::Routines]
    );
    assert_eq!(
        wide_to_read(
            &with_trigger,
            &set(&["create", "view", "v", "event"]),
            &set(&[])
        ),
        [WideList::Views, WideList::Events]
    );
    assert_eq!(
        wide_to_read(&prev(), &quiet_step, &set(&["quiet"])),
        [WideList::Views],
        "a view's columns follow its tables: read whenever there is one"
    );
}

#[test]
fn lists_not_read_again_keep_their_rows_and_their_create_text() {
    let mut before = prev();
    before.triggers = vec![rec(&[
        ("TRIGGER_NAME", "t1"),
        ("EVENT_OBJECT_TABLE", "orders"),
    ])];
    let fresh = Recorded {
        tables: vec![table("quiet", "BASE TABLE")],
        ..Default::default()
    };
    let exclude: [String; 0] = [];
    let m = merge(before.clone(), fresh.clone(), &set(&["quiet"]), &[]);
    assert_eq!(m.triggers, before.triggers);
    assert_eq!(
        m.creates[&(CreateKind::Trigger, "t1".to_string())],
        "trigger"
    );
    let spliced = splice(
        build(&before, "db", &exclude),
        build(&fresh, "db", &exclude),
        &set(&["quiet"]),
        &[],
    );
    assert_eq!(spliced.triggers, build(&m, "db", &exclude).triggers);
}
