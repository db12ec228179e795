//! Oracle MySQL as a first-class server: the locally built image and its `mysqld` run as a
//! local process, both handing out working databases with the server's shipped settings.

use crate::common;

use std::time::Duration;

use migration_harness::provision::{
    labelled_containers, ContainerProvisioner, Engine, LocalProvisioner, ProviderKind, Provisioner,
    Server,
};
use migration_harness::redact::Redactor;
use mysql_async::prelude::Queryable;

/// A database works, and the server runs as shipped: the binary log on, functions without
/// DETERMINISTIC refused (`log_bin_trust_function_creators` off).
async fn exercise_mysql(server: &Server) {
    assert_eq!(server.engine, Engine::Mysql, "{}", server.version);
    assert!(server.version.starts_with("9.7."), "{}", server.version);
    let db = server.create_database().await.unwrap();
    let mut c = server.conn.connect(Some(&db)).await.unwrap();
    c.query_drop("CREATE TABLE t (id int PRIMARY KEY, v varchar(10))")
        .await
        .unwrap();
    c.query_drop("INSERT INTO t VALUES (1, 'x')").await.unwrap();
    let got: Option<i64> = c.query_first("SELECT id FROM t").await.unwrap();
    assert_eq!(got, Some(1));
    let (log_bin, trust): (i64, i64) = c
        .query_first("SELECT @@log_bin, @@log_bin_trust_function_creators")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((log_bin, trust), (1, 0), "binary log as MySQL ships it");
    c.disconnect().await.unwrap();
}

#[tokio::test]
async fn local_mysqld_starts_with_its_own_datadir_and_leaves_nothing() {
    let run_id = "tmylocal";
    let p = LocalProvisioner::new(common::mysqld(), Duration::from_secs(120));
    let server = p
        .provision(run_id, &Redactor::new())
        .await
        .expect("mysqld starts as a local process");
    eprintln!("local MySQL ready in {} ms", server.startup_ms);
    assert_eq!(server.provider, ProviderKind::Local);
    assert_eq!(common::temp_dirs_matching(run_id).len(), 1);
    exercise_mysql(&server).await;
    // `--secure-file-priv` points inside the run's temp dir (MySQL aborts without one).
    let mut c = server.conn.connect(None).await.unwrap();
    let priv_dir: Option<String> = c.query_first("SELECT @@secure_file_priv").await.unwrap();
    let priv_dir = priv_dir.unwrap_or_default();
    assert!(
        priv_dir.contains(&format!("mh-local-{run_id}-")),
        "{priv_dir}"
    );
    c.disconnect().await.unwrap();
    server.teardown().await.unwrap();
    assert!(
        common::temp_dirs_matching(run_id).is_empty(),
        "temp dir left"
    );
    assert!(
        common::processes_matching(&format!("mh-local-{run_id}-")).is_empty(),
        "mysqld left running"
    );
}

#[tokio::test]
async fn mysql_image_starts_as_shipped_and_leaves_no_container() {
    let run_id = "tmycontainer";
    let p = ContainerProvisioner::new(&common::mysql_image(), Duration::from_secs(180));
    let server = p
        .provision(run_id, &Redactor::new())
        .await
        .expect("the MySQL image starts");
    eprintln!("MySQL container ready in {} ms", server.startup_ms);
    assert_eq!(server.provider, ProviderKind::Container);
    exercise_mysql(&server).await;
    server.teardown().await.unwrap();
    assert!(labelled_containers(Some(run_id)).await.unwrap().is_empty());
}

#[test]
fn auto_runs_on_the_locally_built_mysql_image_when_the_default_cannot_be_pulled() {
    // No registry here: `mysql:8.0` cannot be pulled, `migration-harness/mysql:9.7` is built.
    let run = common::harness(
        &[
            "--config",
            "examples/golang-migrate/harness.toml",
            "--db",
            "auto",
            "--scenario",
            "upgrade",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // The console's progress lines go to stderr.
    let chosen = run
        .stderr
        .lines()
        .find(|l| l.contains("--db auto chose"))
        .unwrap_or_else(|| panic!("the console says nothing of the choice:\n{}", run.stderr));
    assert!(
        chosen.contains("locally built image migration-harness/mysql:9.7")
            && chosen.contains("mysql:8.0 could not be started"),
        "{chosen}"
    );
    let server = &run.json()["server"];
    assert_eq!(server["engine"], "mysql", "{server}");
    assert_eq!(server["provider"], "container", "{server}");
}

/// The trigger fixture on the local MySQL, migrations run as `migrate_as`.
fn trigger_migration_as(migrate_as: &str, scenarios: &str) -> common::Run {
    let proj = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("tests/fixtures/engines/trigger-as-app"),
        proj.path(),
    );
    let cfg = proj.path().join("harness.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "[migrations]",
            &format!("[server]\nmigrate_as = \"{migrate_as}\"\n\n[migrations]"),
        ),
    )
    .unwrap();
    let mysqld = common::mysqld();
    common::harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            "local",
            "--server-binary",
            mysqld.to_str().unwrap(),
            "--scenario",
            scenarios,
            "--format",
            "json",
        ],
        &[],
    )
}

#[test]
fn trigger_by_the_application_user_is_a_1419_finding_with_its_half_applied_state() {
    let run = trigger_migration_as("app", "chain");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let j = run.json();
    assert_eq!(j["server"]["profile"]["binary_log"], true);
    assert_eq!(j["server"]["profile"]["migrate_as"], "app");
    let findings = j["findings"].as_array().unwrap();
    let failed = findings
        .iter()
        .find(|f| f["kind"] == "upgrade_fails")
        .unwrap_or_else(|| panic!("no upgrade_fails finding: {findings:#?}"));
    assert_eq!(failed["revision"], "000002");
    assert_eq!(failed["error"]["code"], 1419);
    assert!(
        failed["statement"]
            .as_str()
            .unwrap_or("")
            .starts_with("CREATE TRIGGER orders_audit"),
        "{failed}"
    );
    // What the failed migration left behind: its first statement applied.
    let left = &failed["left_behind"];
    assert_eq!(left["statements_applied"], 1, "{failed}");
    assert_eq!(left["failed_statement"], 2, "{failed}");
    let changed: Vec<&str> = left["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .map(|c| c["line"].as_str().unwrap())
        .collect();
    assert_eq!(changed, ["+ table order_audit"], "{failed}");
    assert_eq!(left["changed"][0]["change"], "add_table");
}

#[test]
fn the_same_trigger_applies_when_migrations_run_as_root() {
    let run = trigger_migration_as("root", "chain,upgrade");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["server"]["profile"]["migrate_as"], "root");
    assert_eq!(run.json()["findings"], serde_json::json!([]));
}

/// A MySQL-only schema: invisible column and index, functional index, expression default,
/// a check that is NOT ENFORCED.
const MYSQL_SCHEMA: &[&str] = &[
    "CREATE TABLE item (id int PRIMARY KEY, sku varchar(20) NOT NULL, note text, \
     secret int INVISIBLE, token char(36) DEFAULT (uuid()), price int NOT NULL, \
     KEY ix_note ((left(note, 10))), KEY ix_sku (sku) INVISIBLE, \
     CONSTRAINT chk_price CHECK (price > 0) NOT ENFORCED)",
];

async fn mysql_schema_after(server: &Server, sql: &[&str]) -> migration_harness::schema::Snapshot {
    let db = server.create_database().await.unwrap();
    let mut c = server.conn.connect(Some(&db)).await.unwrap();
    for s in sql {
        c.query_drop(*s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let snap = migration_harness::schema::take_snapshot(&mut c, &db, server.engine, &[])
        .await
        .unwrap();
    c.disconnect().await.unwrap();
    snap
}

#[tokio::test]
async fn mysql_only_schema_compares_every_object_exactly() {
    use migration_harness::schema::diff;
    let server = LocalProvisioner::new(common::mysqld(), Duration::from_secs(120))
        .provision("tmyschema", &Redactor::new())
        .await
        .expect("mysqld starts");
    let base = mysql_schema_after(&server, MYSQL_SCHEMA).await;
    // The same schema reached through another history compares equal.
    let again = mysql_schema_after(
        &server,
        &[
            // (ADD COLUMN … DEFAULT (uuid()) is refused with 1674 under the binary log.)
            "CREATE TABLE item (id int PRIMARY KEY, sku varchar(20) NOT NULL, note text, token char(36) DEFAULT (uuid()), price int NOT NULL)",
            "ALTER TABLE item ADD COLUMN secret int INVISIBLE AFTER note",
            "CREATE INDEX ix_note ON item ((left(note, 10)))",
            "CREATE INDEX ix_sku ON item (sku) INVISIBLE",
            "ALTER TABLE item ADD CONSTRAINT chk_price CHECK (price > 0) NOT ENFORCED",
        ],
    )
    .await;
    let same: Vec<String> = diff(&base, &again).iter().map(|c| c.to_string()).collect();
    assert!(same.is_empty(), "{same:#?}");
    let mut failures = Vec::new();
    for (name, change, needle) in [
        (
            "column made visible",
            "ALTER TABLE item ALTER COLUMN secret SET VISIBLE",
            "item.secret",
        ),
        (
            "index made visible",
            "ALTER TABLE item ALTER INDEX ix_sku VISIBLE",
            "ix_sku",
        ),
        (
            "functional index expression",
            "ALTER TABLE item DROP INDEX ix_note, ADD INDEX ix_note ((left(note, 12)))",
            "ix_note",
        ),
        (
            "expression default",
            "ALTER TABLE item ALTER COLUMN token SET DEFAULT (left(uuid(), 8))",
            "item.token",
        ),
        (
            "check enforced",
            "ALTER TABLE item ALTER CHECK chk_price ENFORCED",
            "chk_price",
        ),
        // With another change on the table, the check still shows on its own.
        (
            "check enforced beside a column change",
            "ALTER TABLE item ALTER CHECK chk_price ENFORCED, MODIFY note mediumtext",
            "chk_price",
        ),
    ] {
        let mut sql = MYSQL_SCHEMA.to_vec();
        sql.push(change);
        let other = mysql_schema_after(&server, &sql).await;
        let changes: Vec<String> = diff(&base, &other).iter().map(|c| c.to_string()).collect();
        eprintln!("{name}: {changes:?}");
        if !changes
            .iter()
            .any(|c| c.contains(needle) && !c.contains("SHOW CREATE"))
        {
            failures.push(format!("{name}: no change naming {needle}: {changes:#?}"));
        }
    }
    server.teardown().await.unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_image_without_a_server_is_an_environment_error_naming_what_works() {
    // The MySQL image's bare root filesystem: no entrypoint, no server.
    let run = common::harness(
        &[
            "--config",
            "examples/golang-migrate/harness.toml",
            "--db",
            "container",
            "--image",
            "migration-harness/sid-mysql-rootfs:latest",
            "--scenario",
            "upgrade",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("migration-harness/sid-mysql-rootfs:latest")
            && run.stderr.contains("mysql:8.4")
            && run.stderr.contains("migration-harness/mysql:9.7"),
        "{}",
        run.stderr
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(labelled_containers(None)).unwrap_or_default();
    let ours: Vec<_> = left
        .iter()
        .filter(|id| {
            std::process::Command::new("docker")
                .args(["inspect", "--format", "{{.Config.Image}}", id])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).contains("sid-mysql-rootfs"))
                .unwrap_or(false)
        })
        .collect();
    assert!(ours.is_empty(), "containers left: {ours:?}");
}

#[test]
fn a_server_refusing_the_application_user_is_an_environment_error() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let outer = common::local_server(&rt, "tmyrefuse");
    // An account that may create the run's databases but not users.
    rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        c.query_drop("CREATE USER 'limited'@'%' IDENTIFIED BY 'pw'")
            .await
            .unwrap();
        c.query_drop("CREATE USER 'limited'@'localhost' IDENTIFIED BY 'pw'")
            .await
            .unwrap();
        for host in ["%", "localhost"] {
            c.query_drop(format!(
                "GRANT ALL PRIVILEGES ON `mh\\_%`.* TO 'limited'@'{host}'"
            ))
            .await
            .unwrap();
        }
        c.disconnect().await.unwrap();
    });
    let url = format!("mysql://limited:pw@127.0.0.1:{}/", outer.conn.port);
    let run = common::harness(
        &[
            "--config",
            "examples/golang-migrate/harness.toml",
            "--db",
            "url",
            "--database-url",
            &url,
            "--scenario",
            "upgrade",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("refuses the application user")
            && run.stderr.contains("migrate_as = \"root\""),
        "{}",
        run.stderr
    );
    let left: Vec<String> = rt.block_on(async {
        let mut c = outer.conn.connect(None).await.unwrap();
        let dbs: Vec<String> = c.query("SHOW DATABASES LIKE 'mh\\_%'").await.unwrap();
        let users: Vec<String> = c
            .query("SELECT user FROM mysql.user WHERE user LIKE 'mh\\_app\\_%'")
            .await
            .unwrap();
        c.disconnect().await.unwrap();
        dbs.into_iter().chain(users).collect()
    });
    assert!(left.is_empty(), "left behind: {left:?}");
    rt.block_on(outer.teardown()).unwrap();
}
