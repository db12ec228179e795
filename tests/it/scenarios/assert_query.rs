//! `assert_query` on a real server: a project scenario checks what a data migration left
//! (the dbmate example's slug backfill), and a wrong expectation fails the step with both
//! row sets in report.json, report.md and junit.xml.

use crate::common;

use common::{copy_dir, harness, repo};
use serde_json::Value;

/// A scenario whose books (`books`, the VALUES of an INSERT) exist before the slug
/// migration, followed by `checks` after it.
fn scenario(id: &str, books: &str, checks: &str) -> String {
    format!(
        r#"
id = "{id}"
title = "Book slugs"
summary = "what the slug migration does to existing books"

[[steps]]
action = "upgrade"
target = "20240201000000"

[[steps]]
action = "sql"
sql = "INSERT INTO authors (id, name) VALUES (1, 'Ann')"
expect = "ok"

[[steps]]
action = "sql"
sql = "INSERT INTO books (author_id, title) VALUES {books}"
expect = "ok"

[[steps]]
action = "upgrade"
target = "head"
{checks}"#
    )
}

/// The backfill as it is: every book gets its slug, ids keep them apart.
const BACKFILLED: &str = r#"
[[steps]]
action = "assert_query"
sql = "SELECT slug, isbn FROM books ORDER BY id"
rows = [["rust-book-1", "null"], ["rust-book-2", "null"]]

[[steps]]
action = "assert_query"
sql = "SELECT count(*) FROM books WHERE slug IS NULL"
rows = [[0]]
"#;

/// Expecting what the backfill does not do; and a query that would write.
const WRONG: &str = r#"
[[steps]]
action = "assert_query"
sql = "SELECT slug FROM books"
rows = [["rust-book"]]

[[steps]]
action = "assert_query"
sql = "DELETE FROM books"
rows = []

[[steps]]
action = "assert_query"
sql = "SELECT count(*) FROM books"
rows = [["1"]]
"#;

fn project() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("examples/dbmate"), d.path());
    let dir = d.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let two = "(1, 'Rust Book'), (1, 'Rust Book')";
    let one = "(1, 'Rust Book')";
    let files = [
        ("book-slugs", scenario("book-slugs", two, BACKFILLED)),
        ("book-slugs-wrong", scenario("book-slugs-wrong", one, WRONG)),
    ];
    for (id, text) in files {
        std::fs::write(dir.join(format!("{id}.toml")), text).unwrap();
    }
    d
}

fn queries(r: &common::Run, id: &str) -> Vec<Value> {
    r.scenario(id)["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "assert_query")
        .cloned()
        .collect()
}

#[test]
fn assert_query_passes_on_the_rows_a_data_migration_left_and_fails_showing_both_sets() {
    let d = project();
    let config = d.path().join("harness.toml").display().to_string();
    let r = harness(
        &[
            "--config",
            &config,
            "--db",
            "local",
            "--scenario",
            "book-slugs,book-slugs-wrong",
            "--format",
            "md,json,junit",
        ],
        &[],
    );
    assert_eq!(
        r.code, 1,
        "the wrong expectation fails the run: {}",
        r.stderr
    );
    assert_eq!(
        r.status("book-slugs"),
        "passed",
        "{}",
        r.scenario("book-slugs")
    );
    for q in queries(&r, "book-slugs") {
        assert_eq!(q["status"], "passed", "{q}");
    }

    assert_eq!(r.status("book-slugs-wrong"), "failed");
    let wrong = queries(&r, "book-slugs-wrong");
    let slug = &wrong[0];
    assert_eq!(slug["status"], "failed", "{slug}");
    assert_eq!(
        slug["query"]["expected"],
        serde_json::json!([["rust-book"]])
    );
    assert_eq!(
        slug["query"]["actual"],
        serde_json::json!([["rust-book-1"]])
    );
    // The session is read-only: the DELETE is refused and the row is still there.
    let delete = &wrong[1];
    assert_eq!(delete["status"], "failed", "{delete}");
    assert_eq!(delete["error"]["code"], 1792, "{delete}");
    assert_eq!(wrong[2]["status"], "passed", "{}", wrong[2]);

    let both = "expected 1 row(s): [[\"rust-book\"]]; actual 1 row(s): [[\"rust-book-1\"]]";
    assert!(
        r.file("report.md").contains(both),
        "{}",
        r.file("report.md")
    );
    let junit = r.file("junit.xml");
    assert!(
        junit.contains("expected 1 row(s): [[&quot;rust-book&quot;]]; actual 1 row(s): [[&quot;rust-book-1&quot;]]"),
        "{junit}"
    );
}
