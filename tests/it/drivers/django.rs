//! Django both ways, against real servers and real Django 5.2: the in-process Django worker
//! (`tool = "django"`: graph, statements, half-applied, crash-resume, irreversible, worker
//! faults) on MariaDB and MySQL 9.7, and the command driver listing a Django project's
//! revisions itself and reading its shared `django_migrations` table.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use migration_harness::config::Config;
use migration_harness::driver::{load_driver, DbTarget, Outcome, StatementSource, Target};
use migration_harness::provision::{LocalProvisioner, Provisioner};
use migration_harness::redact::Redactor;
use serde_json::Value;

const FAULTS: &str = "tests/fixtures/django-faults/harness.toml";
const MYSQL: &str = "migration-harness/mysql:9.7";

/// The venv `scripts/setup-env.sh` prepared for the Django example's requirements.
fn django_python() -> PathBuf {
    migration_harness::driver::python::cached_venv(
        &common::repo().join("examples/django/requirements.txt"),
    )
    .expect("Django venv prepared by scripts/setup-env.sh (prepare --config examples/django/harness.toml)")
}

fn findings(j: &Value) -> Vec<Value> {
    j["findings"].as_array().cloned().unwrap_or_default()
}

fn finding<'a>(all: &'a [Value], kind: &str, revision: &str) -> &'a Value {
    all.iter()
        .find(|f| f["kind"] == kind && f["revision"] == revision)
        .unwrap_or_else(|| panic!("no {kind} finding on {revision}: {all:#?}"))
}

/// What the worker must report on any server: the graph in one order across apps with the
/// cross-app dependency, the failing statement 2 and the statement that stayed applied, the
/// irreversible migration as such, crash points that do not recover.
fn assert_faults_reported(run: &common::Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let j = run.json();
    let ids: Vec<&str> = j["chain"]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "accounts.0001_initial",
            "accounts.0002_customer_email",
            "api.0001_initial",
            "api.0002_apikey_label",
            "api.0003_legacy_keys_irreversible",
            "api.0004_apikey_scope"
        ]
    );
    let all = findings(&j);
    let up = finding(&all, "upgrade_fails", "api.0004_apikey_scope");
    assert_eq!(up["severity"], "blocking");
    assert_eq!(up["error"]["code"], 1060);
    assert!(
        up["statement"]
            .as_str()
            .unwrap()
            .contains("ADD COLUMN scope"),
        "{up}"
    );
    assert_eq!(up["left_behind"]["statements_applied"], 1, "{up}");
    assert_eq!(up["left_behind"]["failed_statement"], 2, "{up}");
    let half = finding(&all, "half_applied", "api.0004_apikey_scope");
    assert!(
        half["statement"]
            .as_str()
            .unwrap()
            .contains("ADD COLUMN `scope` varchar(20) NULL"),
        "the statement that stayed applied: {half}"
    );
    let irreversible = all
        .iter()
        .find(|f| {
            f["revision"] == "api.0003_legacy_keys_irreversible"
                && f["summary"]
                    .as_str()
                    .unwrap_or("")
                    .contains("is irreversible")
        })
        .unwrap_or_else(|| panic!("irreversible not reported: {all:#?}"));
    assert_ne!(irreversible["severity"], "blocking");
    let down = finding(&all, "downgrade_fails", "api.0003_legacy_keys_irreversible");
    assert!(
        down.to_string().contains("IrreversibleError"),
        "the walk down names Django's refusal: {down}"
    );
    assert!(!down.to_string().contains(" at 0x"), "{down}");
    let resumable = finding(&all, "not_resumable", "api.0002_apikey_label");
    assert!(
        resumable.to_string().contains("1060"),
        "a crash after the AddField crash-loops on redeploy: {resumable}"
    );
}

#[test]
fn django_worker_reports_graph_half_applied_crash_points_and_irreversible_on_mariadb() {
    let run = common::harness(
        &[
            "--config",
            FAULTS,
            "--db",
            "local",
            "--scenario",
            "chain,crash-resume,upgrade",
        ],
        &[],
    );
    assert_faults_reported(&run);
    let tool = run.json()["tool"].to_string();
    assert!(tool.contains("Django worker"), "{tool}");
}

#[test]
fn django_worker_reports_the_same_on_mysql_9_7() {
    docker_image_present(MYSQL);
    let run = common::harness(
        &[
            "--config",
            FAULTS,
            "--db",
            "container",
            "--image",
            MYSQL,
            "--scenario",
            "chain,crash-resume,upgrade",
        ],
        &[],
    );
    assert_faults_reported(&run);
    let server = &run.json()["server"];
    assert_eq!(server["engine"], "mysql", "{server}");
    assert!(
        server["version"].as_str().unwrap().starts_with("9.7"),
        "{server}"
    );
}

fn docker_image_present(image: &str) {
    let ok = std::process::Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(ok, "{image} missing: scripts/setup-env.sh builds it");
}

#[test]
fn the_clean_django_example_passes_every_scenario_with_no_blocking_finding() {
    let run = common::harness(
        &[
            "--config",
            "examples/django/harness.toml",
            "--db",
            "local",
            "--scenario",
            "all",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let j = run.json();
    let blocking: Vec<Value> = findings(&j)
        .into_iter()
        .filter(|f| f["severity"] == "blocking")
        .collect();
    assert!(blocking.is_empty(), "{blocking:#?}");
    // The deploy rehearsal ran the real `manage.py migrate` with the project's settings.
    assert_eq!(run.status("deploy"), "passed", "{}", run.scenario("deploy"));
}

#[test]
fn command_templates_list_django_revisions_and_read_only_their_apps_rows() {
    let run = common::harness(
        &[
            "--config",
            "examples/django/harness.command.toml",
            "--db",
            "local",
            "--scenario",
            "chain",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let j = run.json();
    let ids: Vec<&str> = j["chain"]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    // `showmigrations api --plan`'s order, nothing listed by hand.
    assert_eq!(
        ids,
        [
            "accounts.0001_initial",
            "api.0001_initial",
            "accounts.0002_customer_email",
            "api.0002_apikey_label"
        ]
    );
    assert!(findings(&j).is_empty(), "{:#?}", findings(&j));
    assert!(
        !run.stdout.contains("version table holds"),
        "{}",
        run.stdout
    );
    // The walk down from head unapplied one app at a time.
    let commands = run.scenario("chain").to_string();
    assert!(
        commands.contains("manage.py migrate api 0001_initial"),
        "{commands}"
    );
    assert!(
        commands.contains("manage.py migrate accounts zero"),
        "{commands}"
    );
}

/// The faults fixture in a temp dir, with MH_FAULT_FILE pointing at `fault` in it.
fn fault_project() -> (tempfile::TempDir, PathBuf) {
    let proj = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("tests/fixtures/django-faults"),
        proj.path(),
    );
    let fault = proj.path().join("fault");
    let cfg = format!(
        "[migrations]\ntool = \"django\"\n[migrations.env]\nMH_FAULT_FILE = \"{}\"\n[python]\npython = \"{}\"\n",
        fault.display(),
        django_python().display()
    );
    std::fs::write(proj.path().join("harness.toml"), cfg).unwrap();
    (proj, fault)
}

async fn local_db(run_id: &str) -> (migration_harness::provision::Server, DbTarget) {
    let server = LocalProvisioner::new(
        migration_harness::provision::find_server_binary().expect("mariadbd"),
        Duration::from_secs(60),
    )
    .provision(run_id, &Redactor::new())
    .await
    .expect("server");
    let name = server.create_database().await.unwrap();
    let db = DbTarget {
        conn: server.conn.clone(),
        database: name,
        timeout: Duration::from_secs(60),
    };
    (server, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_is_captured_with_the_migration_that_sent_it() {
    let (proj, _) = fault_project();
    let cfg = Config::load(&proj.path().join("harness.toml")).unwrap();
    let driver = load_driver(&cfg, &Redactor::new(), false).await.unwrap();
    let (server, db) = local_db("djstmt").await;
    let e = driver
        .upgrade(&db, &Target::Revision("api.0002_apikey_label".into()))
        .await;
    assert!(e.ok(), "{}", e.log());
    let of = |rev: &str| -> Vec<String> {
        e.statements
            .iter()
            .filter(|s| {
                s.revision.as_deref() == Some(rev) && s.source == StatementSource::Migration
            })
            .map(|s| s.sql.clone())
            .collect()
    };
    assert!(of("accounts.0001_initial")[0].starts_with("CREATE TABLE `accounts_customer`"));
    // The RunPython data migration's ORM statement, parameters inlined.
    let data = of("api.0002_apikey_label");
    assert!(
        data.iter()
            .any(|s| s.starts_with("UPDATE `api_apikey`") && s.contains("'legacy'")),
        "{data:#?}"
    );
    assert!(e
        .statements
        .iter()
        .any(|s| s.source == StatementSource::VersionTable && s.sql.contains("django_migrations")));
    let v = driver.version(&db).await.unwrap();
    assert_eq!(v.rows.len(), 4, "{:?}", v.rows);
    // A stop after statement 1 of api.0004 leaves its ADD COLUMN and no version row.
    let crash = driver
        .upgrade_interrupted(&db, &Target::Head, 1)
        .await
        .expect("the Django driver interrupts");
    assert!(!crash.ok());
    assert!(
        crash.error.is_none(),
        "a simulated crash is no server error"
    );
    let sent: Vec<&str> = crash
        .statements
        .iter()
        .filter(|s| {
            s.revision.as_deref() == Some("api.0004_apikey_scope")
                && s.source == StatementSource::Migration
        })
        .map(|s| s.sql.as_str())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains("ADD COLUMN `scope`"), "{sent:?}");
    assert_eq!(driver.version(&db).await.unwrap().rows.len(), 5);
    drop(driver);
    server.teardown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_or_killed_django_worker_is_reported_and_replaced() {
    let (proj, fault) = fault_project();
    let marker = proj.path().display().to_string();
    let cfg = Config::load(&proj.path().join("harness.toml")).unwrap();
    let driver = load_driver(&cfg, &Redactor::new(), false).await.unwrap();
    let (server, mut db) = local_db("djfault").await;
    let before = Target::Revision("api.0003_legacy_keys_irreversible".into());
    assert!(driver.upgrade(&db, &before).await.ok());

    std::fs::write(&fault, "hang").unwrap();
    db.timeout = Duration::from_secs(3);
    let hung = driver.upgrade(&db, &Target::Head).await;
    assert_eq!(hung.outcome, Outcome::TimedOut { seconds: 3 });
    assert!(hung.stderr.contains("the Django worker"), "{}", hung.stderr);

    std::fs::write(&fault, "kill").unwrap();
    db.timeout = Duration::from_secs(60);
    let killed = driver.upgrade(&db, &Target::Head).await;
    assert_eq!(killed.outcome, Outcome::Failed);
    assert!(
        killed.stderr.contains("killed by signal 9"),
        "{}",
        killed.stderr
    );

    std::fs::remove_file(&fault).unwrap();
    let down = driver
        .downgrade(&db, &Target::Revision("api.0001_initial".into()))
        .await;
    assert!(
        !down.ok() && down.log().contains("IrreversibleError"),
        "a fresh worker runs the next command and meets the irreversible api.0003: {}",
        down.log()
    );
    let again = driver.upgrade(&db, &Target::Head).await;
    assert_eq!(
        again.error.as_ref().map(|e| e.code),
        Some(1060),
        "{}",
        again.log()
    );
    assert!(
        again
            .failed_statement
            .as_deref()
            .is_some_and(|s| s.contains("ADD COLUMN scope")),
        "{:?}",
        again.failed_statement
    );
    drop(driver);
    assert!(
        common::wait_until(Duration::from_secs(5), || common::processes_matching(
            &marker
        )
        .is_empty()),
        "workers outlive their driver: {:?}",
        common::processes_matching(&marker)
    );
    server.teardown().await.unwrap();
}

#[test]
fn an_unknown_app_label_is_a_configuration_error_naming_the_apps() {
    let proj = tempfile::tempdir().unwrap();
    common::copy_dir(&common::repo().join("examples/django"), proj.path());
    let cfg = proj.path().join("harness.toml");
    std::fs::write(
        &cfg,
        format!(
            "[migrations]\ntool = \"django\"\napp = \"acounts\"\n[python]\npython = \"{}\"\n",
            django_python().display()
        ),
    )
    .unwrap();
    let run = common::harness(&["--config", cfg.to_str().unwrap(), "--db", "local"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("acounts") && run.stderr.contains("accounts, api"),
        "{}",
        run.stderr
    );
}
