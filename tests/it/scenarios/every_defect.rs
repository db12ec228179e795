//! Every defect of a chain in one run, each at its own revision with the server's
//! code — a second broken downgrade, up → down → up failures (1062, 1060), downgrades that
//! fail only with rows written after the upgrade (1265, 1406, 1452), half-applied steps and
//! their retry, crash-resume, and the SQL-directory tools' own behaviour. Real MariaDB
//! servers (local process), real Alembic, the fixture chains of `tests/fixtures/`.

use crate::common;

use std::time::Duration;

use common::{harness, Run};
use migration_harness::config::Config;
use migration_harness::driver::{load_driver, DbTarget, Target};
use migration_harness::provision::{LocalProvisioner, Provisioner};
use migration_harness::redact::Redactor;
use serde_json::Value;

const SCENARIOS: &str = "chain,round-trip,crash-resume";

fn run(config: &str) -> Run {
    let cfg = format!("tests/fixtures/{config}");
    harness(
        &["--config", &cfg, "--db", "local", "--scenario", SCENARIOS],
        &[],
    )
}

/// `(revision, code)` of every failed step of `scenario`, in report order.
fn failures(r: &Run, scenario: &str) -> Vec<(String, Option<u64>)> {
    r.scenario(scenario)["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["status"] == "failed")
        .map(|s| {
            (
                s["revision"].as_str().unwrap_or("").to_string(),
                s["error"]["code"].as_u64(),
            )
        })
        .collect()
}

fn step<'a>(r: &'a Value, title_start: &str) -> &'a Value {
    r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["title"].as_str().unwrap_or("").starts_with(title_start))
        .unwrap_or_else(|| panic!("no step starting with {title_start}: {r}"))
}

fn pair(rev: &str, code: u64) -> (String, Option<u64>) {
    (rev.to_string(), Some(code))
}

fn two_broken_downs(variant: &str, r1: &str, r2: &str, r3: &str) {
    let r = run(&format!("two-broken-downs/{variant}/harness.toml"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Both downgrades, the upper one first, and the walk still reaches base and head.
    assert_eq!(failures(&r, "chain"), [pair(r3, 1051), pair(r2, 1091)]);
    let chain = r.scenario("chain");
    assert_eq!(
        step(&chain, &format!("walk down: downgrade {r1}"))["status"],
        "passed"
    );
    assert_eq!(
        step(&chain, &format!("walk up again: upgrade → {r3}"))["status"],
        "passed"
    );
    assert_eq!(failures(&r, "round-trip"), [pair(r2, 1091), pair(r3, 1051)]);
}

#[test]
fn second_broken_downgrade_below_the_first_is_reported_sql() {
    two_broken_downs("sql", "000001", "000002", "000003");
}

#[test]
fn second_broken_downgrade_below_the_first_is_reported_goose() {
    two_broken_downs("goose", "00001", "00002", "00003");
}

#[test]
fn second_broken_downgrade_below_the_first_is_reported_alembic() {
    two_broken_downs("alembic", "0001aaaaaaa", "0002aaaaaaa", "0003aaaaaaa");
}

fn reupgrade(fixture: &str, rev: &str, code: u64) {
    let r = run(fixture);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = failures(&r, "round-trip");
    assert_eq!(f, [pair(rev, code)], "{}", r.scenario("round-trip"));
    let trip = r.scenario("round-trip");
    let s = step(&trip, &format!("round trip {rev}"));
    assert!(
        s["message"].as_str().unwrap().contains(&format!(
            "upgrade of {rev} again after its downgrade failed: {code}"
        )),
        "{s}"
    );
}

#[test]
fn up_down_up_fails_1062_when_the_downgrade_deletes_two_of_three_rows() {
    reupgrade("reupgrade-1062/sql/harness.toml", "000002", 1062);
    reupgrade("reupgrade-1062/alembic/harness.toml", "0002aaaaaaa", 1062);
}

#[test]
fn up_down_up_fails_1060_after_an_empty_downgrade() {
    reupgrade("reupgrade-1060/sql/harness.toml", "20240102000000", 1060);
    reupgrade("reupgrade-1060/alembic/harness.toml", "0002aaaaaaa", 1060);
}

fn narrowing(variant: &str, revs: [&str; 4]) {
    let r = run(&format!("narrowing/{variant}/harness.toml"));
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Without rows the walk passes: only rows written after the upgrade show the defects.
    assert_eq!(r.status("chain"), "passed");
    assert_eq!(
        failures(&r, "round-trip"),
        [
            pair(revs[1], 1265),
            pair(revs[2], 1406),
            pair(revs[3], 1406)
        ]
    );
    let trip = r.scenario("round-trip");
    assert_eq!(
        step(&trip, &format!("round trip {}", revs[0]))["status"],
        "passed"
    );
    let deeper = step(&trip, &format!("round trip {}", revs[3]));
    assert!(
        deeper["message"].as_str().unwrap().starts_with(&format!(
            "upgrade of {} with seeded rows failed: 1406",
            revs[3]
        )),
        "{deeper}"
    );
}

#[test]
fn narrowing_downgrades_fail_only_with_rows_written_after_the_upgrade_sql() {
    narrowing("sql", ["000001", "000002", "000003", "000004"]);
}

#[test]
fn narrowing_downgrades_fail_only_with_rows_written_after_the_upgrade_alembic() {
    narrowing(
        "alembic",
        ["0001aaaaaaa", "0002aaaaaaa", "0003aaaaaaa", "0004aaaaaaa"],
    );
}

#[test]
fn fk_recreated_towards_an_empty_table_fails_1452_only_with_rows() {
    for (variant, rev) in [("sql", "000002"), ("alembic", "0002aaaaaaa")] {
        let r = run(&format!("fk-1452/{variant}/harness.toml"));
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert_eq!(r.status("chain"), "passed", "{variant}");
        assert_eq!(failures(&r, "round-trip"), [pair(rev, 1452)], "{variant}");
    }
}

#[test]
fn half_applied_downgrade_says_what_ran_and_the_retry_code() {
    let r = run("half-applied/sql/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let rev = "20240102000000";
    assert_eq!(failures(&r, "chain"), [pair(rev, 1553)]);
    assert_eq!(failures(&r, "round-trip"), [pair(rev, 1553)]);
    let chain = r.scenario("chain");
    let m = step(&chain, &format!("walk down: downgrade {rev}"))["message"]
        .as_str()
        .unwrap()
        .to_string();
    for want in [
        "half-applied: 1 statement(s) of 20240102000000 ran before statement 2 failed",
        "version table still at 20240101000000, 20240102000000",
        "changed: - index ix_child_code on child (code)",
        "re-running the same step fails with 1091",
    ] {
        assert!(m.contains(want), "{want} not in: {m}");
    }

    // Alembic, through the worker's statement hook.
    let r = run("half-applied/alembic/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let chain = r.scenario("chain");
    let m = step(&chain, "walk down: downgrade 0002aaaaaaa")["message"]
        .as_str()
        .unwrap()
        .to_string();
    for want in [
        "1553",
        "half-applied: 1 statement(s) of 0002aaaaaaa ran before statement 2 failed",
        "version table still at 0002aaaaaaa",
        "changed: - index ix_child_code on child (code)",
        "re-running the same step fails with 1091",
    ] {
        assert!(m.contains(want), "{want} not in: {m}");
    }
}

fn crash_resume(variant: &str, r1: &str, r2: &str) {
    let r = run(&format!("resume/{variant}/harness.toml"));
    assert_eq!(r.code, 1, "resumable = \"required\": {}", r.stderr);
    let s = r.scenario("crash-resume");
    let first = step(&s, &format!("crash-resume {r1}"));
    assert_eq!(first["status"], "passed", "{first}");
    assert!(first["details"][0]
        .as_str()
        .unwrap()
        .contains("crash after statement 1 of 2: deploying again recovers"));
    let second = step(&s, &format!("crash-resume {r2}"));
    assert_eq!(second["status"], "failed");
    assert!(
        second["message"]
            .as_str()
            .unwrap()
            .contains("crash after statement 1 of 2: deploying again fails with 1060"),
        "{second}"
    );
}

#[test]
fn crash_resume_tells_the_migration_that_recovers_from_the_one_that_crash_loops_sql() {
    crash_resume("sql", "20240101000000", "20240102000000");
}

#[test]
fn crash_resume_tells_the_migration_that_recovers_from_the_one_that_crash_loops_alembic() {
    crash_resume("alembic", "0001aaaaaaa", "0002aaaaaaa");
}

#[test]
fn crash_resume_warns_by_default_and_golang_migrate_stays_dirty() {
    // The bundled golang-migrate example: clean, but a crash leaves the version dirty, which
    // golang-migrate refuses to move until `force`d — a warning under the default policy.
    let r = harness(
        &[
            "--config",
            "examples/golang-migrate/harness.toml",
            "--db",
            "local",
            "--scenario",
            SCENARIOS,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.status("round-trip"), "passed");
    let s = r.scenario("crash-resume");
    assert_eq!(s["status"], "passed");
    let w = s["warnings"].to_string();
    assert!(w.contains("Dirty database version"), "{w}");
}

#[test]
fn clean_dbmate_chain_passes_every_new_check() {
    let r = harness(
        &[
            "--config",
            "examples/dbmate/harness.toml",
            "--db",
            "local",
            "--scenario",
            SCENARIOS,
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for id in ["chain", "round-trip", "crash-resume"] {
        assert_eq!(r.status(id), "passed", "{id}: {}", r.scenario(id));
    }
    let trips = r.scenario("round-trip")["steps"].as_array().unwrap().len();
    assert_eq!(trips, 3, "one trip per revision");
}

#[test]
fn clean_goose_chain_passes_every_new_check() {
    let r = run("goose/harness.toml");
    assert_eq!(r.code, 0, "{}", r.stderr);
    for id in ["chain", "round-trip", "crash-resume"] {
        assert_eq!(r.status(id), "passed", "{id}: {}", r.scenario(id));
    }
    let trips = r.scenario("round-trip")["steps"].as_array().unwrap().len();
    assert_eq!(trips, 3, "one trip per revision");
}

#[test]
fn golang_migrate_sends_a_zero_byte_file_and_the_server_answers_1065() {
    let r = run("golang-empty-file/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let chain = r.scenario("chain");
    assert!(
        step(&chain, "revision graph checks")["warnings"]
            .to_string()
            .contains("000002 has an empty up migration"),
        "{chain}"
    );
    assert_eq!(failures(&r, "chain"), [pair("000002", 1065)]);
    // A runner that skips empty files: nothing fails, the finding stays a warning.
    let r = run("golang-empty-file/harness.skip.toml");
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn duplicate_versions_are_a_configuration_error_naming_both_files() {
    let r = run("duplicate-versions/harness.toml");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("001_a.up.sql") && r.stderr.contains("1_b.up.sql"),
        "{}",
        r.stderr
    );
}

/// sqlx: a changed file of an applied migration is refused on the next run
/// ("previously applied but has been modified"), as `sqlx migrate run` does.
#[tokio::test]
async fn sqlx_verifies_checksums_of_applied_migrations() {
    let proj = tempfile::tempdir().unwrap();
    let dir = proj.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id int);").unwrap();
    std::fs::write(dir.join("1_a.down.sql"), "DROP TABLE a;").unwrap();
    std::fs::write(dir.join("2_b.up.sql"), "CREATE TABLE b (id int);").unwrap();
    std::fs::write(dir.join("2_b.down.sql"), "DROP TABLE b;").unwrap();
    let toml = proj.path().join("harness.toml");
    std::fs::write(
        &toml,
        "[migrations]\ntool = \"sqldir\"\nformat = \"sqlx\"\ndir = \"migrations\"\n",
    )
    .unwrap();
    let bin = migration_harness::provision::find_server_binary().expect("mariadbd");
    let s = LocalProvisioner::new(bin, Duration::from_secs(60))
        .provision("defsqlx", &Redactor::new())
        .await
        .expect("server");
    let db = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(60),
    };
    let d = load_driver(&Config::load(&toml).unwrap(), &Redactor::new(), false)
        .await
        .unwrap();
    let e = d.upgrade(&db, &Target::Revision("1".into())).await;
    assert!(e.ok(), "{}", e.log());
    assert!(
        e.statements
            .iter()
            .any(|s| s.sql.starts_with("CREATE TABLE a")),
        "statements are captured: {:?}",
        e.statements
    );
    std::fs::write(dir.join("1_a.up.sql"), "CREATE TABLE a (id bigint);").unwrap();
    let d = load_driver(&Config::load(&toml).unwrap(), &Redactor::new(), false)
        .await
        .unwrap();
    let e = d.upgrade(&db, &Target::Head).await;
    assert!(!e.ok());
    assert!(
        e.stderr
            .contains("migration 1 was previously applied but has been modified"),
        "{}",
        e.stderr
    );
    s.teardown().await.unwrap();
}

/// dbmate wraps a migration in a transaction (its DML rolls back on failure, DDL cannot);
/// golang-migrate does not, and a failed down marks the version it was moving *to* dirty.
#[tokio::test]
async fn sqldir_transactions_and_golang_dirty_target_follow_the_tools() {
    let bin = migration_harness::provision::find_server_binary().expect("mariadbd");
    let s = LocalProvisioner::new(bin, Duration::from_secs(60))
        .provision("deftx", &Redactor::new())
        .await
        .expect("server");
    let mut conn = s.conn.connect(None).await.unwrap();
    use mysql_async::prelude::Queryable;

    for (format, files, kept) in [
        (
            "dbmate",
            vec![
                ("1_t.sql", "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n"),
                ("2_rows.sql", "-- migrate:up\nINSERT INTO t VALUES (1);\nINSERT INTO missing VALUES (1);\n-- migrate:down\nDELETE FROM t;\n"),
            ],
            0i64,
        ),
        (
            "golang-migrate",
            vec![
                ("1_t.up.sql", "CREATE TABLE t (id int);"),
                ("1_t.down.sql", "DROP TABLE t;"),
                ("2_rows.up.sql", "INSERT INTO t VALUES (1);\nINSERT INTO missing VALUES (1);"),
                ("2_rows.down.sql", "DELETE FROM t;"),
            ],
            1,
        ),
    ] {
        let proj = tempfile::tempdir().unwrap();
        std::fs::create_dir(proj.path().join("m")).unwrap();
        for (n, t) in &files {
            std::fs::write(proj.path().join("m").join(n), t).unwrap();
        }
        let toml = proj.path().join("harness.toml");
        std::fs::write(
            &toml,
            format!("[migrations]\ntool = \"sqldir\"\nformat = \"{format}\"\ndir = \"m\"\n"),
        )
        .unwrap();
        let d = load_driver(&Config::load(&toml).unwrap(), &Redactor::new(), false)
            .await
            .unwrap();
        let db = DbTarget {
            conn: s.conn.clone(),
            database: s.create_database().await.unwrap(),
            timeout: Duration::from_secs(60),
        };
        let e = d.upgrade(&db, &Target::Head).await;
        assert_eq!(e.error.as_ref().map(|x| x.code), Some(1146), "{format}");
        let fp = e.failure_point().expect("capture");
        assert_eq!(fp.position().to_string(), "statement 2", "{format}");
        let n: Option<i64> = conn
            .query_first(format!("SELECT COUNT(*) FROM `{}`.t", db.database))
            .await
            .unwrap();
        assert_eq!(n, Some(kept), "{format}: rows of the failed migration");
    }

    // golang-migrate: a failed down of 2 leaves 1 (its target) dirty.
    let proj = tempfile::tempdir().unwrap();
    std::fs::create_dir(proj.path().join("m")).unwrap();
    for (n, t) in [
        ("1_t.up.sql", "CREATE TABLE t (id int);"),
        ("1_t.down.sql", "DROP TABLE t;"),
        ("2_u.up.sql", "CREATE TABLE u (id int);"),
        ("2_u.down.sql", "DROP TABLE nope;"),
    ] {
        std::fs::write(proj.path().join("m").join(n), t).unwrap();
    }
    let toml = proj.path().join("harness.toml");
    std::fs::write(
        &toml,
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ndir = \"m\"\n",
    )
    .unwrap();
    let d = load_driver(&Config::load(&toml).unwrap(), &Redactor::new(), false)
        .await
        .unwrap();
    let db = DbTarget {
        conn: s.conn.clone(),
        database: s.create_database().await.unwrap(),
        timeout: Duration::from_secs(60),
    };
    assert!(d.upgrade(&db, &Target::Head).await.ok());
    let e = d.downgrade(&db, &Target::Revision("1".into())).await;
    assert_eq!(e.error.as_ref().map(|x| x.code), Some(1051));
    let v = d.version(&db).await.unwrap();
    assert_eq!((v.rows, v.dirty), (vec!["1".to_string()], true));
    let _ = conn.disconnect().await;
    s.teardown().await.unwrap();
}
