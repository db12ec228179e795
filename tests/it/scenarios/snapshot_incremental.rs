//! The walk's incremental snapshots (only the tables a step's statements named are read
//! again) against full reads, on a real local server, over the changes that touch a table
//! without naming it: a renamed foreign-key parent, views, triggers (and a table dropped
//! with its trigger), checks, routines and events.

use crate::common;

use common::harness;

const CHAIN: &[(&str, &str, &str)] = &[
    (
        // Tables no later step names: an incremental snapshot keeps their rows (when most
        // tables changed it reads everything, which would test nothing).
        "000000_filler",
        "CREATE TABLE f1 (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE f2 (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE f3 (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE f4 (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE f5 (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE f6 (id int NOT NULL, PRIMARY KEY (id));",
        "DROP TABLE f1, f2, f3, f4, f5, f6;",
    ),
    (
        "000001_parent_child",
        "CREATE TABLE parent (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TABLE child (id int NOT NULL, parent_id int NOT NULL, PRIMARY KEY (id), \
         CONSTRAINT fk_child_parent FOREIGN KEY (parent_id) REFERENCES parent (id));",
        "DROP TABLE child;\nDROP TABLE parent;",
    ),
    (
        "000002_rename_parent",
        // child's foreign key now names `account`, though no statement names child.
        "RENAME TABLE parent TO account;",
        "RENAME TABLE account TO parent;",
    ),
    (
        "000003_view",
        "CREATE VIEW v_accounts AS SELECT id FROM account;",
        "DROP VIEW v_accounts;",
    ),
    (
        "000004_account_name",
        "ALTER TABLE account ADD COLUMN name varchar(20) NULL;",
        "ALTER TABLE account DROP COLUMN name;",
    ),
    (
        "000005_trigger",
        "CREATE TRIGGER trg_child BEFORE INSERT ON child FOR EACH ROW SET NEW.id = NEW.id;",
        "DROP TRIGGER trg_child;",
    ),
    (
        "000006_check_and_index",
        "ALTER TABLE child ADD CONSTRAINT chk_child_id CHECK (id > 0);\n\
         CREATE INDEX ix_child_both ON child (id, parent_id);",
        "DROP INDEX ix_child_both ON child;\nALTER TABLE child DROP CONSTRAINT chk_child_id;",
    ),
    (
        "000007_rename_back_and_untouched",
        "CREATE TABLE quiet (id int NOT NULL, PRIMARY KEY (id));\n\
         RENAME TABLE account TO parent;",
        "RENAME TABLE parent TO account;\nDROP TABLE quiet;",
    ),
    (
        // Only the kind of object is named: the routines and events are read again.
        "000008_routine_and_event",
        "CREATE FUNCTION f_one() RETURNS int DETERMINISTIC RETURN 1;\n\
         CREATE EVENT ev_noop ON SCHEDULE EVERY 1 DAY DO SELECT 1;",
        "DROP EVENT ev_noop;\nDROP FUNCTION f_one;",
    ),
    (
        // Dropping a table drops its trigger, though no statement of the walk down says
        // TRIGGER; the table's name is listed as written (`Mixed`, not `mixed`).
        "000009_triggered_table",
        "CREATE TABLE `Mixed` (id int NOT NULL, PRIMARY KEY (id));\n\
         CREATE TRIGGER trg_mixed BEFORE INSERT ON `Mixed` FOR EACH ROW SET NEW.id = NEW.id;",
        "DROP TABLE `Mixed`;",
    ),
];

#[test]
fn incremental_snapshots_equal_full_reads_along_a_walk() {
    walk_verified(&["--db", "local"]);
}

/// MySQL's information_schema compares table names by case, MariaDB's does not.
#[test]
fn incremental_snapshots_equal_full_reads_along_a_walk_on_mysql() {
    let image = common::mysql_image();
    walk_verified(&["--db", "container", "--image", &image]);
}

fn walk_verified(server: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("migrations");
    std::fs::create_dir_all(&m).unwrap();
    for (name, up, down) in CHAIN {
        std::fs::write(m.join(format!("{name}.up.sql")), up).unwrap();
        std::fs::write(m.join(format!("{name}.down.sql")), down).unwrap();
    }
    std::fs::write(
        d.path().join("harness.toml"),
        // As root: MySQL refuses triggers and functions to a user without SUPER while the
        // binary log is on (1419), which is not what this test is about.
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\n\n[server]\nmigrate_as = \"root\"\n",
    )
    .unwrap();
    let cfg = d.path().join("harness.toml");
    let mut args = vec!["--config", cfg.to_str().unwrap(), "--scenario", "chain"];
    args.extend(server);
    let r = harness(&args, &[("MH_SNAPSHOT", "verify")]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, r.file("report.md"));
    let chain = r.scenario("chain");
    let steps = chain["steps"].as_array().unwrap();
    assert!(
        steps.iter().all(|s| s["status"] == "passed"),
        "{}",
        r.file("report.md")
    );
    let check = steps
        .iter()
        .find(|s| s["title"] == "snapshot check (MH_SNAPSHOT=verify)")
        .unwrap_or_else(|| panic!("no snapshot check step: {chain}"));
    let detail = check["details"][0].as_str().unwrap();
    let n: usize = detail.split_whitespace().next().unwrap().parse().unwrap();
    // Up, down and up again: one snapshot per revision each way, all but the first of the
    // walk down (after a rebuild) incremental.
    assert!(n >= 2 * CHAIN.len(), "{detail}");
}

/// A full snapshot reads its lists in one multi-statement query when the database's name
/// needs no quoting (the harness's own), and one prepared query at a time otherwise: the
/// same schema reads alike both ways, every kind of object included.
#[test]
fn a_full_snapshot_reads_alike_in_one_query_and_one_query_at_a_time() {
    use migration_harness::schema;
    use mysql_async::prelude::Queryable;

    const SCHEMA: &[&str] = &[
        "CREATE TABLE parent (id int NOT NULL, name varchar(20) DEFAULT 'x', PRIMARY KEY (id))",
        "CREATE TABLE child (id int NOT NULL, parent_id int NOT NULL, PRIMARY KEY (id), \
         KEY ix_both (id, parent_id), CONSTRAINT chk_id CHECK (id > 0), \
         CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE)",
        "CREATE VIEW v_parent AS SELECT id FROM parent",
        "CREATE TRIGGER trg_child BEFORE INSERT ON child FOR EACH ROW SET NEW.id = NEW.id",
        "CREATE FUNCTION f_one() RETURNS int DETERMINISTIC RETURN 1",
        "CREATE EVENT ev_noop ON SCHEDULE EVERY 1 DAY DO SELECT 1",
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = common::local_server(&rt, "tsnapq");
    rt.block_on(async {
        let plain = server.create_database().await.unwrap();
        let quoted = format!("{plain}-q");
        let mut admin = server.conn.connect(None).await.unwrap();
        admin
            .query_drop(format!("CREATE DATABASE `{quoted}` CHARACTER SET utf8mb4"))
            .await
            .unwrap();
        let mut snaps = Vec::new();
        for db in [&plain, &quoted] {
            let mut c = server.conn.connect(Some(db)).await.unwrap();
            for s in SCHEMA {
                c.query_drop(*s)
                    .await
                    .unwrap_or_else(|e| panic!("{s}: {e}"));
            }
            snaps.push(
                schema::take_snapshot(&mut c, db, server.engine, &[])
                    .await
                    .unwrap(),
            );
            c.disconnect().await.unwrap();
        }
        admin
            .query_drop(format!("DROP DATABASE `{quoted}`"))
            .await
            .unwrap();
        admin.disconnect().await.unwrap();
        server.drop_database(&plain).await.unwrap();
        let (one_query, one_at_a_time) = (&snaps[0], &snaps[1]);
        assert_eq!(one_query, one_at_a_time);
        let child = &one_query.tables["child"];
        assert!(
            one_query.views.contains_key("v_parent")
                && one_query.triggers.contains_key("trg_child")
                && one_query.routines.len() == 1
                && one_query.events.contains_key("ev_noop")
                && format!("{child:?}").contains("chk_id")
                && format!("{child:?}").contains("fk_parent")
                && format!("{child:?}").contains("ix_both"),
            "{one_query:#?}"
        );
    });
    rt.block_on(server.teardown()).unwrap();
}
