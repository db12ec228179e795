//! The verdict policy, against a real local server: the gate's scope (the baseline or
//! `--since` on a real git repository), opinionated checks `off | warn | required`, skips
//! that never pass (exit 4), a panic kept inside its scenario, and scenario-file typos
//! refused at load with file:line.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::harness;
use serde_json::Value;

/// A golang-migrate project: `files` into `migrations/`, `toml` appended to harness.toml.
fn project(files: &[(&str, &str)], toml: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("migrations")).unwrap();
    for (name, text) in files {
        std::fs::write(d.path().join("migrations").join(name), text).unwrap();
    }
    write_config(d.path(), toml);
    d
}

fn write_config(dir: &Path, toml: &str) {
    std::fs::write(
        dir.join("harness.toml"),
        format!("[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\n{toml}"),
    )
    .unwrap();
}

fn cfg(d: &tempfile::TempDir) -> String {
    d.path().join("harness.toml").display().to_string()
}

const FIRST: &[(&str, &str)] = &[
    (
        "000001_accounts.up.sql",
        "CREATE TABLE accounts (id int NOT NULL AUTO_INCREMENT, name varchar(40) NOT NULL, PRIMARY KEY (id));",
    ),
    ("000001_accounts.down.sql", "DROP TABLE accounts;"),
    (
        "000002_orders.up.sql",
        "CREATE TABLE orders (id int NOT NULL AUTO_INCREMENT, account_id int NOT NULL, PRIMARY KEY (id));",
    ),
    ("000002_orders.down.sql", "DROP TABLE orders;"),
];

/// 000003's downgrade forgets to drop the column its upgrade added.
const LATER: &[(&str, &str)] = &[
    (
        "000003_email.up.sql",
        "ALTER TABLE accounts ADD COLUMN email varchar(80) NULL;",
    ),
    ("000003_email.down.sql", "SELECT 1;"),
    (
        "000004_notes.up.sql",
        "CREATE TABLE notes (id int NOT NULL AUTO_INCREMENT, body text NULL, PRIMARY KEY (id));",
    ),
    ("000004_notes.down.sql", "DROP TABLE notes;"),
];

const DROP_EMAIL: &str = "ALTER TABLE accounts DROP COLUMN email;";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=harness-test",
            "-c",
            "user.email=t@example.com",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn warnings(s: &Value) -> Vec<Value> {
    s["warnings"].as_array().cloned().unwrap_or_default()
}

#[test]
fn since_judges_what_git_saw_change_and_reports_older_revisions_as_history() {
    let d = project(FIRST, "");
    git(d.path(), &["init", "-q"]);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-qm", "first two"]);
    git(d.path(), &["tag", "v1"]);
    for (name, text) in LATER {
        std::fs::write(d.path().join("migrations").join(name), text).unwrap();
    }
    // 000003 is committed after v1, 000004 is not even committed: both are new since v1.
    git(d.path(), &["add", "migrations/000003_email.up.sql"]);
    git(d.path(), &["add", "migrations/000003_email.down.sql"]);
    git(d.path(), &["commit", "-qm", "email"]);
    let config = cfg(&d);
    let base = [
        "--db",
        "local",
        "--config",
        config.as_str(),
        "--scenario",
        "chain",
    ];

    let since = harness(&[&base[..], &["--since", "v1"]].concat(), &[]);
    assert_eq!(since.code, 1, "{}", since.stderr);
    let j = since.json();
    let ids: Vec<String> = j["chain"]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(j["scope"]["since"], "v1");
    assert_eq!(j["scope"]["new"], serde_json::json!([ids[2], ids[3]]));
    let chain = since.scenario("chain");
    assert_eq!(
        chain["status"], "failed",
        "000003 is new: its downgrade counts"
    );
    assert!(
        chain["details"]
            .as_str()
            .unwrap()
            .contains(&format!("downgrade of {} does not restore", ids[2])),
        "{chain}"
    );

    // Without --since the new revision is the one after the baseline (head's parent,
    // 000003): 000003's defect is history, a warning that does not fail the run.
    let after_baseline = harness(&base, &[]);
    assert_eq!(after_baseline.code, 0, "{}", after_baseline.stderr);
    assert_eq!(
        after_baseline.json()["scope"]["new"],
        serde_json::json!([ids[3]])
    );
    let chain = after_baseline.scenario("chain");
    assert_eq!(chain["status"], "passed");
    let w = warnings(&chain);
    assert!(
        w.iter()
            .any(|w| w["kind"] == "history" && w["revision"] == ids[2].as_str()),
        "{w:?}"
    );
    assert!(chain["details"]
        .as_str()
        .unwrap()
        .starts_with("passed with warnings"));
    // The failing step stays in the report as it happened, marked as counted as history.
    let down3 = chain["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "failed")
        .cloned()
        .unwrap();
    assert_eq!(down3["revision"], ids[2].as_str());
    assert_eq!(down3["demoted"], "history");

    // A round trip exercises each revision on its own database: 000003's failure there is
    // history too, and 000004's clean trip is what the gate judged.
    let trips = harness(
        &[
            "--db",
            "local",
            "--config",
            config.as_str(),
            "--scenario",
            "round-trip",
        ],
        &[],
    );
    assert_eq!(trips.code, 0, "{}", trips.stderr);
    let rt = trips.scenario("round-trip");
    assert_eq!(rt["status"], "passed", "{rt}");
    let trip3 = rt["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["revision"] == ids[2].as_str() && s["action"] == "round_trip")
        .cloned()
        .unwrap();
    assert_eq!(trip3["status"], "failed", "{trip3}");
    assert_eq!(trip3["demoted"], "history", "{trip3}");

    // history = "strict" judges every revision again.
    write_config(d.path(), "[scenarios]\nhistory = \"strict\"\n");
    let strict = harness(&base, &[]);
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    assert_eq!(strict.status("chain"), "failed");

    // Everything committed: nothing changed since HEAD, nothing to judge: exit 4.
    write_config(d.path(), "");
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-qm", "notes"]);
    let none = harness(&[&base[..], &["--since", "HEAD"]].concat(), &[]);
    assert_eq!(none.code, 4, "{}", none.stderr);
    assert_eq!(none.json()["status"], "skipped");
    assert_eq!(none.json()["scope"]["new"], serde_json::json!([]));

    // A ref git does not know is a usage error naming it.
    let bad = harness(&[&base[..], &["--since", "no-such-ref"]].concat(), &[]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("no-such-ref"), "{}", bad.stderr);
}

#[test]
fn off_checks_are_skipped_and_a_run_that_tested_nothing_exits_4() {
    let mut files: Vec<(&str, &str)> = FIRST.iter().chain(&LATER[..1]).copied().collect();
    files.push(("000003_email.down.sql", DROP_EMAIL));
    let d = project(
        &files,
        "[scenarios]\nidempotency = \"off\"\nhotfix = \"off\"\n",
    );
    let config = cfg(&d);
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &config,
            "--scenario",
            "idempotency",
        ],
        &[],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["status"], "skipped");
    let idem = r.scenario("idempotency");
    assert_eq!(idem["status"], "skipped");
    assert!(
        idem["reason"]
            .as_str()
            .unwrap()
            .contains("idempotency = \"off\""),
        "{idem}"
    );
    let md = r.file("report.md");
    assert!(md.contains("NOTHING TESTED"), "{md}");
    assert!(!md.contains("PASSED"), "{md}");
    assert!(
        md.lines().any(|l| l.contains("Migration Idempotency")
            && l.contains("SKIP")
            && l.contains("idempotency = \"off\"")),
        "{md}"
    );
    assert!(
        r.file("report.html")
            .contains("Migration Idempotency: not tested — idempotency = &#34;off&#34;"),
        "the conclusion says why"
    );
    assert!(r.stderr.contains("NOTHING TESTED"), "{}", r.stderr);

    // With hotfix off, reapply runs its first half and skips the hand-applied one.
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &config,
            "--scenario",
            "idempotency,reapply",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let re = r.scenario("reapply");
    assert_eq!(re["status"], "passed");
    let steps = re["steps"].as_array().unwrap();
    assert!(!steps.iter().any(|s| s["action"] == "hotfix"), "{re}");
    let last = steps.last().unwrap();
    assert_eq!(last["status"], "skipped");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .contains("hotfix = \"off\""));
}

#[test]
fn opinionated_checks_warn_by_default_and_fail_when_required() {
    // A plain ADD COLUMN at head: cannot run over its own change.
    let files: Vec<(&str, &str)> = FIRST.iter().chain(&LATER[..1]).copied().collect();
    let mut files = files;
    files.push((
        "000003_email.down.sql",
        "ALTER TABLE accounts DROP COLUMN email;",
    ));
    let d = project(&files, "");
    let config = cfg(&d);
    let args = [
        "--db",
        "local",
        "--config",
        config.as_str(),
        "--scenario",
        "idempotency,reapply",
    ];
    let r = harness(&args, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (id, key) in [("idempotency", "idempotency"), ("reapply", "hotfix")] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "passed", "{id}");
        let w = warnings(&s);
        assert_eq!(w[0]["kind"], "check", "{w:?}");
        assert_eq!(w[0]["check"], key, "{w:?}");
        assert!(w[0]["message"].as_str().unwrap().contains("1060"), "{w:?}");
    }
    write_config(
        d.path(),
        "[scenarios]\nidempotency = \"required\"\nhotfix = \"required\"\n",
    );
    let r = harness(&args, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.status("idempotency"), "failed");
    assert_eq!(r.status("reapply"), "failed");
}

#[test]
fn a_panic_in_one_scenario_is_its_error_and_the_others_still_report() {
    let d = project(FIRST, "");
    let config = cfg(&d);
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &config,
            "--scenario",
            "upgrade,idempotency,downgrade",
            "--jobs",
            "2",
        ],
        &[("MH_TEST_PANIC_SCENARIO", "idempotency")],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let idem = r.scenario("idempotency");
    assert_eq!(idem["status"], "error");
    assert!(
        idem["reason"]
            .as_str()
            .unwrap()
            .contains("internal error (panic): injected by MH_TEST_PANIC_SCENARIO"),
        "{idem}"
    );
    for id in ["upgrade", "downgrade"] {
        assert_eq!(r.status(id), "passed", "{id}: {}", r.scenario(id));
    }
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        assert!(!r.file(f).is_empty(), "{f} missing");
    }
    assert!(r.file("junit.xml").contains("idempotency"));
}

#[test]
fn scenario_file_typos_exit_2_with_file_and_line_before_any_server_starts() {
    let d = project(FIRST, "");
    let dir = d.path().join("scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let snapshot = dir.join("snap.toml");
    std::fs::write(
        &snapshot,
        "id = \"snap\"\ntitle = \"T\"\nsummary = \"s\"\n\n[[steps]]\naction = \"upgrade\"\ntarget = \"head\"\n\n[[steps]]\naction = \"assert_schema_equals\"\nname = \"baselin\"\n",
    )
    .unwrap();
    // `--db url` with a port nothing listens on: reaching provisioning would exit 3.
    let args = [
        "--config",
        &cfg(&d),
        "--db",
        "url",
        "--database-url",
        "mysql://root:x@127.0.0.1:1/",
    ];
    let r = harness(&args, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{}:11:1: assert_schema_equals reads snapshot `baselin`",
            snapshot.display()
        )),
        "{}",
        r.stderr
    );
    std::fs::write(
        &snapshot,
        "id = \"snap\"\ntitle = \"T\"\nsummary = \"s\"\n\n[[steps]]\naction = \"upgrade\"\ntarget = \"haed\"\n",
    )
    .unwrap();
    let r = harness(&args, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{}:7:1: target `haed`", snapshot.display())),
        "{}",
        r.stderr
    );
    std::fs::write(
        &snapshot,
        "id = \"snap\"\ntitle = \"T\"\nsummary = \"s\"\n\n[[steps]]\naction = \"upgrdae\"\ntarget = \"head\"\n",
    )
    .unwrap();
    let r = harness(&args, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("{}:", snapshot.display())) && r.stderr.contains("upgrdae"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_seed_example_requires_what_its_own_tests_demand_and_defaults_would_only_warn() {
    // examples/flask-seed/harness.broken.toml sets the seed's checks to "required" (and
    // scenarios.rs shows them failing with 1060); the same project under the default policy
    // passes with those failures as warnings.
    let seed = common::repo().join("examples/flask-seed");
    let text = std::fs::read_to_string(seed.join("harness.broken.toml")).unwrap();
    let (project, policy) = text
        .split_once("\n# The seed report's own tests")
        .expect("the seed config states its policy");
    assert!(
        policy.contains("idempotency = \"required\"") && policy.contains("hotfix = \"required\"")
    );
    let project = project
        .replace(
            "dir = \"migrations-broken/versions\"",
            &format!(
                "workdir = \"{0}\"\ndir = \"{0}/migrations-broken/versions\"",
                seed.display()
            ),
        )
        .replace(
            "requirements = \"../../requirements.txt\"",
            &format!(
                "requirements = \"{}\"",
                common::repo().join("requirements.txt").display()
            ),
        );
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("harness.toml"), project).unwrap();
    let config = cfg(&d);
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &config,
            "--scenario",
            "idempotency,reapply",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (id, key) in [("idempotency", "idempotency"), ("reapply", "hotfix")] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "passed", "{id}");
        let w = &s["warnings"][0];
        assert_eq!(w["check"], key, "{s}");
        assert!(
            w["message"]
                .as_str()
                .unwrap()
                .contains("1060 Duplicate column name 'api_token'"),
            "{s}"
        );
    }
}

#[test]
fn a_history_failure_that_stops_the_walk_before_the_new_revisions_is_not_a_pass() {
    // 000002 cannot even upgrade here; it is old (before v1), 000003 is new and never runs.
    let d = project(
        &[
            FIRST[0],
            FIRST[1],
            ("000002_broken.up.sql", "SELECT * FROM no_such_table;"),
            ("000002_broken.down.sql", "SELECT 1;"),
        ],
        "",
    );
    git(d.path(), &["init", "-q"]);
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-qm", "old"]);
    git(d.path(), &["tag", "v1"]);
    std::fs::write(d.path().join("migrations/000003_email.up.sql"), LATER[0].1).unwrap();
    std::fs::write(
        d.path().join("migrations/000003_email.down.sql"),
        DROP_EMAIL,
    )
    .unwrap();
    let config = cfg(&d);
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            &config,
            "--scenario",
            "chain",
            "--since",
            "v1",
        ],
        &[],
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    let chain = r.scenario("chain");
    assert_eq!(chain["status"], "skipped");
    assert!(
        chain["reason"]
            .as_str()
            .unwrap()
            .contains("nothing new was tested: it stopped before 000003"),
        "{chain}"
    );
    assert_eq!(chain["warnings"][0]["kind"], "history", "{chain}");
}

#[test]
fn per_revision_new_exercises_only_the_revisions_under_test() {
    let fixture = common::repo().join("tests/fixtures/two-broken-downs/sql/migrations");
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("harness.toml"),
        format!(
            "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ndir = \"{}\"\n\
             [scenarios]\nper_revision = \"new\"\n",
            fixture.display()
        ),
    )
    .unwrap();
    let config = cfg(&d);
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            config.as_str(),
            "--scenario",
            "round-trip,crash-resume",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "000003's downgrade still fails: {}", r.stderr);
    let revisions = |id: &str| -> Vec<String> {
        r.scenario(id)["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["revision"].as_str().map(str::to_string))
            .collect()
    };
    // Only 000003 (after the baseline 000002) is round-tripped and crashed.
    assert_eq!(revisions("round-trip"), ["000003"]);
    assert!(!revisions("crash-resume").contains(&"000002".to_string()));
    let skipped_note = r.scenario("round-trip")["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["title"] == "older revisions")
        .cloned()
        .unwrap();
    assert_eq!(skipped_note["status"], "skipped");
    assert!(skipped_note["message"]
        .as_str()
        .unwrap()
        .starts_with("2 revision(s) before the revisions under test"));
    // Nothing of history was looked at, so nothing of it is reported.
    let findings = r.json()["findings"].as_array().cloned().unwrap();
    assert!(
        findings.iter().all(|f| f["severity"] != "history"),
        "{findings:#?}"
    );
}
