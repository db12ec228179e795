//! The in-process Alembic worker against real servers, real Alembic and Flask —
//! the graph from Alembic itself, statement capture, the deploy rehearsal, worker faults,
//! and `init` on every example.

use crate::common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use migration_harness::config::Config;
use migration_harness::driver::{load_driver, DbTarget, Outcome, Target};
use migration_harness::provision::{LocalProvisioner, Provisioner};
use migration_harness::redact::Redactor;
use serde_json::Value;

/// The venv `scripts/setup-env.sh` prepared for the repository's requirements.txt.
fn venv_python() -> String {
    migration_harness::driver::python::cached_venv(&common::repo().join("requirements.txt"))
        .expect("venv prepared by scripts/setup-env.sh (cargo run -- prepare)")
        .display()
        .to_string()
}

/// The harness on a copied project (whose relative `[python]` paths no longer resolve),
/// with the prepared venv, against a local server.
fn run_with_venv(cfg: &Path, scenarios: &str) -> common::Run {
    let py = venv_python();
    common::harness(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            "local",
            "--scenario",
            scenarios,
        ],
        &[("MH_PYTHON", &py)],
    )
}

fn steps(scenario: &Value) -> Vec<Value> {
    scenario["steps"].as_array().cloned().unwrap_or_default()
}

#[test]
fn graph_shapes_load_from_alembic_and_walk() {
    // Merge (black-formatted tuple), depends_on, a branch label as a target, dotted ids,
    // and no [migrations] dir (alembic.ini's script_location is read).
    let run = common::harness(
        &[
            "--config",
            "tests/fixtures/alembic-graph/harness.toml",
            "--db",
            "local",
            "--scenario",
            "chain,label-target,upgrade,downgrade",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let j = run.json();
    assert_eq!(j["head"], "v3.2.0.a");
    let revs = j["chain"]["revisions"].as_array().unwrap();
    let m3 = revs.iter().find(|r| r["id"] == "m3").unwrap();
    assert_eq!(m3["parents"], serde_json::json!(["feat_a1", "b.2"]));
    let chain = run.scenario("chain");
    let details: Vec<String> = steps(&chain)
        .iter()
        .flat_map(|s| s["details"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d.as_str().map(str::to_string))
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("loaded by Alembic ScriptDirectory")),
        "{details:?}"
    );
    // Every revision was walked down, the branch point included.
    let downs: Vec<String> = steps(&chain)
        .iter()
        .filter(|s| s["action"] == "downgrade")
        .map(|s| s["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(downs.len(), 5, "{downs:?}");
    assert_eq!(run.status("label-target"), "passed");
}

#[test]
fn a_dashed_revision_id_is_named_as_alembic_rejects_it() {
    let proj = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("tests/fixtures/alembic-graph"),
        proj.path(),
    );
    let head = proj.path().join("migrations/versions/0005_head.py");
    let text = std::fs::read_to_string(&head).unwrap();
    std::fs::write(&head, text.replace("\"v3.2.0.a\"", "\"v3-2\"")).unwrap();
    let cfg = proj.path().join("harness.toml");
    let run = run_with_venv(&cfg, "chain");
    let j = run.json();
    let finding = j["chain"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "tool_could_not_load")
        .cloned()
        .unwrap_or_else(|| panic!("no fallback finding: {}", j["chain"]));
    assert!(
        finding["reason"]
            .as_str()
            .unwrap()
            .contains("'-' not allowed"),
        "{finding}"
    );
    // The files were still read: the dashed head is in the graph.
    assert_eq!(j["head"], "v3-2");
}

#[test]
fn a_migration_failing_at_its_third_statement_names_it_and_the_two_before() {
    let proj = common::alembic_project_with_head(
        "from alembic import op\nimport sqlalchemy as sa",
        "    op.add_column('widget', sa.Column('x1', sa.Integer()))\n    op.add_column('widget', sa.Column('x2', sa.Integer()))\n    op.add_column('widget', sa.Column('x1', sa.Integer()))",
    );
    let cfg = proj.path().join("harness.toml");
    let run = run_with_venv(&cfg, "upgrade");
    assert_eq!(run.code, 1, "{}", run.stderr);
    let s = steps(&run.scenario("upgrade"))
        .into_iter()
        .find(|s| s["status"] == "failed")
        .expect("a failed step");
    assert_eq!(s["revision"], "d4e5f6a7b8c9");
    assert_eq!(s["error"]["code"], 1060);
    let stmt = s["statement"].as_str().unwrap();
    assert!(stmt.contains("ADD COLUMN x1"), "{stmt}");
    assert!(
        s["message"].as_str().unwrap().contains("statement 3"),
        "{s}"
    );
    let details: Vec<&str> = s["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let ran: Vec<&&str> = details.iter().filter(|d| d.contains("had run")).collect();
    assert_eq!(ran.len(), 2, "{details:?}");
    assert!(ran[0].contains("x1") && ran[1].contains("x2"), "{ran:?}");
    // The full report shows the statement too.
    assert!(run.file("report.html").contains("ADD COLUMN x1"));
}

#[test]
fn the_deploy_rehearsal_reports_an_import_time_query_once_and_the_rest_still_pass() {
    // The seed's app queries `user` at import; at the drifted baseline `api_token` is missing.
    let run = common::harness(
        &[
            "--db",
            "local",
            "--scenario",
            "deploy,upgrade,downgrade,reapply,verify-head",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let deploy = run.scenario("deploy");
    assert_eq!(deploy["status"], "failed");
    let msg = deploy["steps"][deploy["steps"].as_array().unwrap().len() - 1]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.starts_with("deploy blocked: app.py:"), "{msg}");
    assert!(
        msg.contains("`user.api_token`") && msg.contains("1054"),
        "{msg}"
    );
    assert!(msg.contains("No migration ran"), "{msg}");
    for id in ["upgrade", "downgrade", "reapply", "verify-head"] {
        assert_eq!(run.status(id), "passed", "{id}: {}", run.scenario(id));
    }
    // One finding, not five: only the deploy step carries the 1054.
    let j = run.json();
    let with_1054 = j["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(steps)
        .filter(|s| s["error"]["code"] == 1054)
        .count();
    assert_eq!(with_1054, 1);
}

/// The deploy step of a `deploy` run on the half-applying fixture, with `extra` flags.
fn half_applied_deploy(extra: &[&str]) -> (common::Run, Value) {
    let mut args = vec![
        "--config",
        "tests/fixtures/deploy-half-applied/harness.toml",
        "--db",
        "local",
        "--scenario",
        "deploy",
    ];
    args.extend_from_slice(extra);
    let run = common::harness(&args, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let step = steps(&run.scenario("deploy"))
        .into_iter()
        .find(|s| s["action"] == "deploy")
        .expect("a deploy step");
    (run, step)
}

fn assert_says(msg: &str, wants: &[&str]) {
    for want in wants {
        assert!(msg.contains(want), "{want} not in: {msg}");
    }
}

#[test]
fn a_deploy_that_half_applies_says_so_with_the_changes_that_stayed() {
    // The fixture's alembic.ini configures no logging: no `Running upgrade` line. Version
    // table unmoved, yet two of 0003's statements ran: read from the database.
    let (run, step) = half_applied_deploy(&[]);
    assert_eq!(step["status"], "failed");
    assert_eq!(step["revision"], "0003dddddddd");
    let msg = step["message"].as_str().unwrap_or_default();
    assert_says(
        msg,
        &[
            "deploy half-applied: `",
            "failed in 0003dddddddd with 1060",
            "version table still at 0002dddddddd",
            "+ column widget.size",
            "+ index ix_widget_size on widget",
            "re-running the same step fails with 1060",
        ],
    );
    assert!(!msg.contains("No migration ran"), "{msg}");
    let j = run.json();
    let kinds: Vec<(String, String)> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap_or("").to_string(),
                f["revision"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for kind in ["upgrade_fails", "half_applied"] {
        assert!(
            kinds.contains(&(kind.to_string(), "0003dddddddd".to_string())),
            "{kind} at 0003dddddddd not in {kinds:?}"
        );
    }
    assert!(
        !kinds.iter().any(|(k, _)| k == "deploy_blocked"),
        "{kinds:?}"
    );

    // From an older baseline the deploy applies 0002 cleanly first: the changes 0003 left
    // are measured against a clean stop at 0002, not against the baseline.
    let (_, step) = half_applied_deploy(&["--baseline", "0001dddddddd"]);
    let msg = step["message"].as_str().unwrap_or_default();
    assert_says(
        msg,
        &[
            "deploy half-applied: `",
            "failed in 0003dddddddd after applying up to 0002dddddddd with 1060",
            "version table moved from 0001dddddddd to 0002dddddddd",
            "changed: + column widget.size",
        ],
    );
    assert!(
        !msg.contains("widget.name"),
        "0002's own column is no leftover: {msg}"
    );
}

fn fault_project() -> (tempfile::TempDir, PathBuf) {
    let proj = common::alembic_project_with_head(
        "import os, signal, time\nfrom alembic import op\nimport sqlalchemy as sa",
        "    f = os.environ['MH_FAULT_FILE']\n    mode = open(f).read().strip() if os.path.exists(f) else ''\n    if mode == 'hang':\n        time.sleep(600)\n    if mode == 'kill':\n        os.kill(os.getpid(), signal.SIGKILL)\n    op.add_column('widget', sa.Column('x9', sa.Integer()))",
    );
    let fault = proj.path().join("fault");
    let cfg = format!(
        "[migrations]\ntool = \"alembic\"\nalembic_ini = \"alembic.ini\"\ndir = \"migrations/versions\"\n[migrations.env]\nMH_FAULT_FILE = \"{}\"\n[python]\npython = \"{}\"\n",
        fault.display(),
        venv_python()
    );
    std::fs::write(proj.path().join("harness.toml"), cfg).unwrap();
    (proj, fault)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_or_killed_worker_is_reported_replaced_and_leaves_nothing() {
    let (proj, fault) = fault_project();
    let marker = proj.path().display().to_string();
    let server = LocalProvisioner::new(
        migration_harness::provision::find_server_binary().expect("mariadbd"),
        Duration::from_secs(60),
    )
    .provision("wkfault", &Redactor::new())
    .await
    .expect("server");
    let cfg = Config::load(&proj.path().join("harness.toml")).unwrap();
    let driver = load_driver(&cfg, &Redactor::new(), false).await.unwrap();
    let name = server.create_database().await.unwrap();
    let mut db = DbTarget {
        conn: server.conn.clone(),
        database: name,
        timeout: Duration::from_secs(60),
    };
    let parent = Target::Revision("c3d2e1f0a9b8".into());
    assert!(driver.upgrade(&db, &parent).await.ok());

    std::fs::write(&fault, "hang").unwrap();
    db.timeout = Duration::from_secs(3);
    let hung = driver.upgrade(&db, &Target::Head).await;
    assert_eq!(hung.outcome, Outcome::TimedOut { seconds: 3 });
    assert!(hung.stderr.contains("it was killed"), "{}", hung.stderr);
    assert!(
        common::wait_until(Duration::from_secs(5), || common::workers_matching(&marker)
            .is_empty()),
        "hung worker left running: {:?}",
        common::workers_matching(&marker)
    );

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
    let ok = driver.upgrade(&db, &Target::Head).await;
    assert!(
        ok.ok(),
        "a fresh worker runs the next command: {}",
        ok.log()
    );
    assert_eq!(
        driver.version(&db).await.unwrap().rows,
        ["d4e5f6a7b8c9"],
        "the version moved"
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
fn init_writes_a_config_that_runs_on_every_example() {
    for example in ["flask-seed", "alembic-basic", "golang-migrate", "dbmate"] {
        let proj = tempfile::tempdir().unwrap();
        common::copy_dir(&common::repo().join("examples").join(example), proj.path());
        for f in std::fs::read_dir(proj.path()).unwrap().flatten() {
            let n = f.file_name().to_string_lossy().into_owned();
            if n.starts_with("harness") && n.ends_with(".toml") {
                std::fs::remove_file(f.path()).unwrap();
            }
        }
        let init = std::process::Command::new(common::bin())
            .arg("init")
            .arg(proj.path())
            .output()
            .unwrap();
        assert!(init.status.success(), "{example}: {init:?}");
        let cfg = proj.path().join("harness.toml");
        let run = run_with_venv(&cfg, "upgrade,verify-head");
        assert_eq!(
            run.code,
            0,
            "{example}: {}\n{}\n{}",
            std::fs::read_to_string(&cfg).unwrap(),
            run.stdout,
            run.stderr
        );
    }
    // A second init refuses to overwrite.
    let again = std::process::Command::new(common::bin())
        .args(["init", "examples/dbmate"])
        .current_dir(common::repo())
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(Path::new(&common::repo().join("examples/dbmate/harness.toml")).exists());
}
