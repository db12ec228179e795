use super::*;

fn rows(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn tc(cols: &[&str], r: &[&[&str]]) -> TableContents {
    TableContents {
        table: "user".into(),
        columns: cols.iter().map(|s| s.to_string()).collect(),
        key: RowKey::Primary(vec!["id".into()]),
        rows: rows(r),
    }
}

/// An association table: two foreign keys, no primary key.
fn link(r: &[&[&str]]) -> TableContents {
    TableContents {
        table: "author_tag".into(),
        columns: vec!["author_id".into(), "tag_id".into(), "weight".into()],
        key: RowKey::WholeRow,
        rows: rows(r),
    }
}

fn text(loss: &[DataLoss]) -> Vec<String> {
    loss.iter().map(|l| l.to_string()).collect()
}

#[test]
fn identical_data_loses_nothing_even_reordered() {
    let b = tc(&["id", "api_token"], &[&["1", "'a'"], &["2", "'b'"]]);
    let a = tc(&["api_token", "id"], &[&["'b'", "2"], &["'a'", "1"]]);
    assert!(compare(&[b], &[a]).is_empty());
}

#[test]
fn keyless_rows_in_another_order_are_the_same_rows() {
    // A new covering index makes the server return the rows in index order.
    let b = link(&[&["1", "2", "0"], &["2", "1", "9"], &["1", "1", "0"]]);
    let a = link(&[&["1", "1", "0"], &["1", "2", "0"], &["2", "1", "9"]]);
    let d = diff_table(&b, Some(&a));
    assert_eq!((d.unchanged, d.missing.len(), d.added.len()), (3, 0, 0));
    assert!(compare(&[b], &[a]).is_empty());
}

#[test]
fn keyless_duplicates_count_by_multiplicity() {
    let b = link(&[&["1", "1", "0"], &["1", "1", "0"], &["2", "2", "0"]]);
    let a = link(&[&["2", "2", "0"], &["1", "1", "0"]]);
    let d = diff_table(&b, Some(&a));
    assert_eq!(d.missing, rows(&[&["1", "1", "0"]]));
    assert!(d.added.is_empty() && d.changed.is_empty());
    assert_eq!(
        text(&losses_of(&d)),
        ["author_tag: 1 of 3 seeded rows lost (rows deleted) e.g. (author_id=1, tag_id=1, weight=0)"]
    );
    // One more copy after than before is an added row, not a loss.
    let more = link(&[
        &["1", "1", "0"],
        &["1", "1", "0"],
        &["1", "1", "0"],
        &["2", "2", "0"],
    ]);
    let d = diff_table(&b, Some(&more));
    assert_eq!(d.added, rows(&[&["1", "1", "0"]]));
    assert!(losses_of(&d).is_empty());
}

#[test]
fn keyless_changed_value_is_paired_with_its_row() {
    let b = link(&[&["1", "1", "0"], &["2", "2", "5"]]);
    let a = link(&[&["2", "2", "5"], &["1", "1", "7"]]);
    let d = diff_table(&b, Some(&a));
    assert_eq!(
        d.changed,
        [ChangedRow {
            before: vec!["1".into(), "1".into(), "0".into()],
            after: vec!["1".into(), "1".into(), "7".into()],
        }]
    );
    assert_eq!(
        text(&losses_of(&d)),
        ["author_tag.weight: 1 of 2 seeded values lost (values changed) e.g. (author_id=1, tag_id=1, weight=0): 0 → 7"]
    );
}

#[test]
fn keyed_rows_say_which_changed_which_are_missing_and_which_were_added() {
    let b = tc(
        &["id", "name"],
        &[&["1", "'x'"], &["2", "'y'"], &["3", "'z'"]],
    );
    let a = tc(
        &["id", "name"],
        &[&["3", "'z'"], &["2", "'Y'"], &["4", "'new'"]],
    );
    let d = diff_table(&b, Some(&a));
    assert_eq!(d.unchanged, 1);
    assert_eq!(d.missing, rows(&[&["1", "'x'"]]));
    assert_eq!(d.added, rows(&[&["4", "'new'"]]));
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].after, ["2", "'Y'"]);
}

#[test]
fn unique_key_identifies_rows_like_a_primary_key() {
    let mut b = tc(&["code", "n"], &[&["'a'", "1"], &["'b'", "2"]]);
    b.key = RowKey::Unique(vec!["code".into()]);
    let mut a = tc(&["code", "n"], &[&["'b'", "1"], &["'a'", "2"]]);
    a.key = b.key.clone();
    let d = diff_table(&b, Some(&a));
    assert_eq!(d.changed.len(), 2, "matched by code, both values changed");
    assert!(d.missing.is_empty() && d.added.is_empty());
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
    assert_eq!(
        text(&compare(&[b], &[a])),
        [
            "user: 1 of 3 seeded rows lost (rows deleted) e.g. (id=3)",
            "user.name: 1 of 2 seeded values lost (values changed) e.g. (id=2): 'y' → 'CHANGED'",
            "user.api_token: 2 of 2 seeded values lost (column dropped)"
        ]
    );
}

#[test]
fn seeded_rows_leave_out_what_a_migration_wrote() {
    let before = tc(&["id"], &[&["1"]]);
    let after = tc(&["id"], &[&["11"], &["1"], &["12"]]);
    let s = seeded_rows(&[before], &[after]);
    assert_eq!(s[0].rows, [["11"], ["12"]]);
    // Keyless: a seeded row equal to one already there is still a seeded row.
    let before = link(&[&["1", "1", "0"]]);
    let after = link(&[&["1", "1", "0"], &["1", "1", "0"], &["2", "2", "0"]]);
    let s = seeded_rows(&[before], &[after]);
    assert_eq!(s[0].rows, rows(&[&["1", "1", "0"], &["2", "2", "0"]]));
}

#[test]
fn projection_and_merged_losses() {
    let b = tc(&["id", "gone"], &[&["1", "'x'"]]);
    assert_eq!(b.project(|c| c != "gone").columns, ["id"]);
    assert_eq!(b.project(|c| c != "id").key, RowKey::WholeRow);
    let l = DataLoss {
        table: "user".into(),
        column: Some("a".into()),
        lost: 2,
        total: 3,
        reason: LossReason::ColumnDropped,
        examples: vec![],
    };
    let m = merge_losses(vec![l.clone(), l]);
    assert_eq!((m.len(), m[0].lost, m[0].total), (1, 4, 6));
}

#[test]
fn dropped_table_loses_all_rows() {
    let b = tc(&["id"], &[&["1"]]);
    assert_eq!(compare(&[b], &[])[0].reason, LossReason::TableDropped);
}

#[test]
fn long_values_are_shortened_in_the_line_only() {
    let long = format!("'{}'", "x".repeat(100));
    let b = tc(&["id", "body"], &[&["1", &long]]);
    let a = tc(&["id", "body"], &[&["1", "'x'"]]);
    let loss = compare(&[b], &[a]);
    assert_eq!(loss[0].examples[0].before.as_deref(), Some(long.as_str()));
    assert!(
        loss[0].to_string().contains("… (102 characters) → 'x'"),
        "{}",
        loss[0]
    );
}
