//! The copies a run starts its scenarios from (the prepared baseline, the round trips'
//! parent states), on a real server: what a copy keeps of the rows.

use crate::common;

use common::harness;

/// A scenario starting at the baseline works on a copy of the prepared baseline: the copy
/// keeps every stored value, including MySQL's expression-default columns (EXTRA says
/// DEFAULT_GENERATED of them, though they are not generated), and leaves generated columns
/// to the server.
#[test]
fn a_copy_of_the_baseline_keeps_expression_default_values_on_mysql() {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(
        m.join("000001_t.up.sql"),
        "CREATE TABLE t (id int NOT NULL, at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP, \
         u varchar(36) DEFAULT (uuid()), g int AS (id + 1) STORED, PRIMARY KEY (id));",
    )
    .unwrap();
    std::fs::write(m.join("000001_t.down.sql"), "DROP TABLE t;").unwrap();
    std::fs::write(
        m.join("000002_n.up.sql"),
        "ALTER TABLE t ADD COLUMN n int NULL;",
    )
    .unwrap();
    std::fs::write(m.join("000002_n.down.sql"), "ALTER TABLE t DROP COLUMN n;").unwrap();
    std::fs::write(
        d.path().join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\n\n\
         [baseline]\nrevision = \"000001\"\n\
         setup_sql = [\"INSERT INTO t (id, at, u) VALUES (1, '2001-02-03 04:05:06', 'kept')\"]\n",
    )
    .unwrap();
    let dir = d.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("copied-rows.toml"),
        r#"
id = "copied-rows"
title = "Copied rows"
summary = "the baseline's rows as setup_sql left them"

[[steps]]
action = "assert_query"
sql = "SELECT id, at, u, g FROM t"
rows = [[1, "2001-02-03 04:05:06", "kept", 2]]
"#,
    )
    .unwrap();
    let cfg = d.path().join("harness.toml");
    let image = common::mysql_image();
    let r = harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--scenario",
            "copied-rows",
            "--db",
            "container",
            "--image",
            &image,
        ],
        &[],
    );
    let s = r.scenario("copied-rows");
    let steps = s["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|st| st["details"]
            .to_string()
            .contains("is a copy of its tables and rows")),
        "the scenario did not start from a copy: {s}"
    );
    assert_eq!(s["status"], "passed", "{}", r.file("report.md"));
}
