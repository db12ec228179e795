//! Every driver upgrades, reads its version from the version table, downgrades one
//! step, stamps without DDL and upgrades again — against a real server, real tools.

use crate::common;

use std::path::Path;
use std::time::Duration;

use migration_harness::config::Config;
use migration_harness::driver::{load_driver, DbTarget, MigrationDriver, Outcome, Target};
use migration_harness::provision::{LocalProvisioner, Provisioner, Server};
use migration_harness::redact::Redactor;
use mysql_async::prelude::Queryable;

async fn server(run: &str) -> Server {
    let bin = migration_harness::provision::find_server_binary().expect("mariadbd");
    LocalProvisioner::new(bin, Duration::from_secs(60))
        .provision(run, &Redactor::new())
        .await
        .expect("server")
}

async fn driver(config: &str) -> Box<dyn MigrationDriver> {
    let cfg = Config::load(&common::repo().join(config)).expect("config");
    load_driver(&cfg, &Redactor::new(), false)
        .await
        .expect("driver")
}

async fn column_exists(s: &Server, db: &str, table: &str, column: &str) -> bool {
    let mut c = s.conn.connect(None).await.unwrap();
    let n: Option<i64> = c
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
            (db, table, column),
        )
        .await
        .unwrap();
    c.disconnect().await.unwrap();
    n == Some(1)
}

async fn index_exists(s: &Server, db: &str, table: &str, index: &str) -> bool {
    let mut c = s.conn.connect(None).await.unwrap();
    let n: Option<i64> = c
        .exec_first(
            "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = ?",
            (db, table, index),
        )
        .await
        .unwrap();
    c.disconnect().await.unwrap();
    n.unwrap_or(0) > 0
}

async fn object_exists(s: &Server, db: &str, table: &str, column: Option<&str>) -> bool {
    match column {
        Some(i) if i.starts_with("ix_") => index_exists(s, db, table, i).await,
        Some(c) => column_exists(s, db, table, c).await,
        None => {
            let mut c = s.conn.connect(None).await.unwrap();
            let n: Option<i64> = c
                .exec_first("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", (db, table))
                .await
                .unwrap();
            c.disconnect().await.unwrap();
            n == Some(1)
        }
    }
}

/// upgrade head → version head; downgrade -1 → version parent, head's change gone; stamp head
/// → version head, still no DDL; stamp -1 and upgrade again → change back.
async fn lifecycle(config: &str, head_object: (&str, Option<&str>)) {
    let s = server(&format!("drv{}", config.len())).await;
    let d = driver(config).await;
    let order = d.chain().verify().order;
    let (head, parent) = (
        order[order.len() - 1].clone(),
        order[order.len() - 2].clone(),
    );
    let db = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(120),
    };
    let (table, column) = head_object;

    let e = d.upgrade(&db, &Target::Head).await;
    assert!(e.ok(), "{config}: upgrade head: {}", e.log());
    let v = d.version(&db).await.unwrap();
    v.check_at(Some(&head), &order)
        .unwrap_or_else(|m| panic!("{config}: {m}"));
    assert!(object_exists(&s, &db.database, table, column).await);

    let e = d.downgrade(&db, &Target::Relative(-1)).await;
    assert!(e.ok(), "{config}: downgrade -1: {}", e.log());
    d.version(&db)
        .await
        .unwrap()
        .check_at(Some(&parent), &order)
        .unwrap_or_else(|m| panic!("{config}: {m}"));
    assert!(
        !object_exists(&s, &db.database, table, column).await,
        "{config}: head's change still there after downgrade"
    );

    let e = d.stamp(&db, &Target::Head).await;
    assert!(e.ok(), "{config}: stamp head: {}", e.log());
    d.version(&db)
        .await
        .unwrap()
        .check_at(Some(&head), &order)
        .unwrap_or_else(|m| panic!("{config}: {m}"));
    assert!(
        !object_exists(&s, &db.database, table, column).await,
        "{config}: stamp ran DDL"
    );

    let e = d.stamp(&db, &Target::Relative(-1)).await;
    assert!(e.ok(), "{config}: stamp -1: {}", e.log());
    let e = d.upgrade(&db, &Target::Head).await;
    assert!(e.ok(), "{config}: upgrade again: {}", e.log());
    d.version(&db)
        .await
        .unwrap()
        .check_at(Some(&head), &order)
        .unwrap_or_else(|m| panic!("{config}: {m}"));
    assert!(object_exists(&s, &db.database, table, column).await);
    s.teardown().await.unwrap();
}

#[tokio::test]
async fn alembic_driver_lifecycle() {
    lifecycle(
        "examples/alembic-basic/harness.toml",
        ("widget", Some("ix_widget_name")),
    )
    .await;
}

#[tokio::test]
async fn flask_driver_lifecycle() {
    lifecycle(
        "examples/flask-seed/harness.clean.toml",
        ("user", Some("api_token")),
    )
    .await;
}

#[tokio::test]
async fn golang_migrate_driver_lifecycle() {
    lifecycle(
        "examples/golang-migrate/harness.toml",
        ("order_events", None),
    )
    .await;
}

#[tokio::test]
async fn dbmate_driver_lifecycle() {
    lifecycle("examples/dbmate/harness.toml", ("books", Some("slug"))).await;
}

#[tokio::test]
async fn command_driver_lifecycle() {
    lifecycle(
        "examples/alembic-basic/harness.command.toml",
        ("widget", Some("ix_widget_name")),
    )
    .await;
}

#[tokio::test]
async fn sqlx_layout_lifecycle() {
    // sqlx reversible migrations use golang-migrate's file names; only the version table differs.
    let d = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("examples/golang-migrate/migrations"),
        &d.path().join("migrations"),
    );
    std::fs::write(
        d.path().join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"sqlx\"\n",
    )
    .unwrap();
    let cfg = d.path().join("harness.toml");
    lifecycle(cfg.to_str().unwrap(), ("order_events", None)).await;
}

#[tokio::test]
async fn broken_seed_fails_at_d1f2_with_1060_and_fixed_upgrades_cleanly() {
    let s = server("drvbroken").await;
    let broken = driver("examples/flask-seed/harness.broken.toml").await;
    let db = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(120),
    };
    let e = broken.upgrade(&db, &Target::Head).await;
    assert_eq!(e.outcome, Outcome::Failed);
    assert_eq!(e.failed_revision.as_deref(), Some("d1f2e3c4b5a6"));
    let err = e.error.expect("server error parsed");
    assert_eq!(err.code, 1060);
    assert_eq!(err.message, "Duplicate column name 'api_token'");
    // MySQL DDL is not transactional, but the version did not move.
    broken
        .version(&db)
        .await
        .unwrap()
        .check_at(Some("c682ef478e45"), &broken.chain().verify().order)
        .unwrap();
    assert!(
        !e.command.contains("mysql+pymysql"),
        "command line carries the URL: {}",
        e.command
    );

    let fixed = driver("examples/flask-seed/harness.clean.toml").await;
    let db2 = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(120),
    };
    let e = fixed.upgrade(&db2, &Target::Head).await;
    assert!(e.ok(), "{}", e.log());
    assert!(
        e.log()
            .contains("Running upgrade c682ef478e45 -> d1f2e3c4b5a6"),
        "{}",
        e.log()
    );
    s.teardown().await.unwrap();
}

fn sql_project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("migrations")).unwrap();
    for (name, text) in files {
        std::fs::write(d.path().join("migrations").join(name), text).unwrap();
    }
    std::fs::write(d.path().join("harness.toml"), "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ninit_sql = [\"SET FOREIGN_KEY_CHECKS = 0\"]\n").unwrap();
    d
}

#[tokio::test]
async fn sqldir_runs_procedures_and_marks_a_failed_batch_dirty_naming_the_statement() {
    let proj = sql_project(&[
        ("1_proc.up.sql", "CREATE TABLE counter (n int NOT NULL);\nINSERT INTO counter VALUES (0);\nCREATE PROCEDURE bump()\nBEGIN\n  UPDATE counter SET n = n + 1;\n  IF (SELECT n FROM counter) > 10 THEN UPDATE counter SET n = 0; END IF;\nEND;\nCALL bump();\n"),
        ("1_proc.down.sql", "DROP PROCEDURE bump; DROP TABLE counter;"),
        ("2_bad.up.sql", "CREATE TABLE a (id int);\n-- the next one refers to a table that does not exist\nINSERT INTO missing_table VALUES (1);\nCREATE TABLE b (id int);\n"),
        ("2_bad.down.sql", "DROP TABLE IF EXISTS b; DROP TABLE IF EXISTS a;"),
    ]);
    let s = server("drvsql").await;
    let cfg = Config::load(&proj.path().join("harness.toml")).unwrap();
    let d = load_driver(&cfg, &Redactor::new(), false).await.unwrap();
    let db = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(60),
    };

    let e = d.upgrade(&db, &Target::Revision("1".into())).await;
    assert!(e.ok(), "{}", e.log());
    let mut c = s.conn.connect(Some(&db.database)).await.unwrap();
    let n: Option<i64> = c.query_first("SELECT n FROM counter").await.unwrap();
    assert_eq!(
        n,
        Some(1),
        "the procedure was created and called in the same batch"
    );

    let e = d.upgrade(&db, &Target::Head).await;
    assert_eq!(e.outcome, Outcome::Failed);
    assert_eq!(e.error.as_ref().map(|x| x.code), Some(1146));
    assert_eq!(e.failed_revision.as_deref(), Some("2"));
    let stmt = e
        .failed_statement
        .clone()
        .unwrap_or_else(|| panic!("{e:?}"));
    assert!(
        stmt.starts_with("statement 2 of 3: INSERT INTO missing_table"),
        "{stmt}"
    );
    let v = d.version(&db).await.unwrap();
    assert!(v.dirty, "golang-migrate marks the version dirty");
    assert_eq!(v.rows, ["2"]);
    let dirty: Vec<(i64, i64)> = c
        .query("SELECT version, dirty FROM schema_migrations")
        .await
        .unwrap();
    assert_eq!(dirty, [(2, 1)]);
    // The first statement stayed applied: MySQL DDL does not roll back.
    assert!(object_exists(&s, &db.database, "a", None).await);
    assert!(!object_exists(&s, &db.database, "b", None).await);
    // A dirty database refuses further upgrades, as golang-migrate does.
    let e = d.upgrade(&db, &Target::Head).await;
    assert!(
        e.stderr.contains("Dirty database version 2"),
        "{}",
        e.stderr
    );
    c.disconnect().await.unwrap();
    s.teardown().await.unwrap();
}

#[test]
fn chain_of_the_seed_renders_base_to_head_with_descriptions() {
    let chain = migration_harness::chain::parse_alembic_dir(Path::new(
        &common::repo().join("examples/flask-seed/migrations/versions"),
    ))
    .unwrap();
    let report = chain.verify();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    let lines: Vec<String> = report
        .order
        .iter()
        .map(|id| format!("{id} ({})", chain.get(id).unwrap().description))
        .collect();
    assert_eq!(
        lines,
        [
            "6793349c088c (Initial - password_hash resize)",
            "366e5694a9ad (OAuth columns)",
            "3e5106ee570c (API token fields + token_created_at)",
            "c682ef478e45 (Remove token_created_at)",
            "d1f2e3c4b5a6 (Fix API token column - ensure api_token exists)"
        ]
    );
}
