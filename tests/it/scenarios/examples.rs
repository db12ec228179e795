//! `--scenario all` on the example projects gives the truthful verdicts —
//! the seed's six results on drifted production, and the defects hand-testing missed.

use crate::common;

use common::harness;
use serde_json::Value;

fn steps(s: &Value) -> Vec<Value> {
    s["steps"].as_array().cloned().unwrap_or_default()
}

fn all_text(s: &Value) -> String {
    serde_json::to_string(s).unwrap()
}

#[test]
fn seed_with_production_drift_passes_the_seeds_six_and_flags_the_chain() {
    let r = harness(&["--db", "local", "--scenario", "all"], &[]);
    assert_eq!(r.code, 1, "chain fails, so the run fails: {}", r.stderr);
    for id in [
        "upgrade",
        "idempotency",
        "downgrade",
        "reproduce-error",
        "reapply",
        "verify-head",
        "api-token-unique",
    ] {
        assert_eq!(
            r.status(id),
            "passed",
            "{id}: {}",
            r.scenario(id)["details"]
        );
    }
    let repro = r.scenario("reproduce-error");
    assert!(
        repro["details"]
            .as_str()
            .unwrap()
            .contains("1054 Unknown column 'user.api_token'"),
        "{}",
        repro["details"]
    );
    // The app command fails exactly as production did, and works at head.
    let app = steps(&repro)
        .into_iter()
        .find(|s| s["action"] == "app_command")
        .unwrap();
    assert_eq!(app["status"], "passed");
    assert_eq!(app["error"]["code"], 1054);
    let head = steps(&r.scenario("verify-head"));
    assert!(
        head.iter()
            .any(|s| s["action"] == "model_check" && s["status"] == "passed"),
        "{head:?}"
    );
    assert_eq!(r.status("chain"), "failed");
    let j = r.json();
    assert_eq!(j["status"], "failed");
    assert_eq!(j["head"], "d1f2e3c4b5a6");
    assert_eq!(j["baseline"], "c682ef478e45");
    assert_eq!(j["schema_version"], 2);
    assert_eq!(j["server"]["provider"], "local");
}

#[test]
fn seed_from_a_clean_chain_reports_what_the_seed_missed() {
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            "examples/flask-seed/harness.clean.toml",
            "--scenario",
            "chain,downgrade",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let chain = r.scenario("chain");
    assert_eq!(chain["status"], "failed");
    let st = steps(&chain);
    let d1f2 = st
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .unwrap_or("")
                .contains("downgrade d1f2e3c4b5a6")
        })
        .unwrap();
    assert_eq!(d1f2["status"], "failed");
    let diff = d1f2["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert_eq!(
        diff,
        [
            "- column user.api_token varchar(64) NULL (created by 3e5106ee570c)",
            "- index ix_user_api_token on user (api_token) UNIQUE (created by 3e5106ee570c)"
        ]
    );
    let e3 = st
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .unwrap_or("")
                .contains("downgrade 3e5106ee570c")
        })
        .unwrap();
    assert_eq!(e3["status"], "failed");
    assert_eq!(e3["error"]["code"], 1091);
    assert_eq!(e3["revision"], "3e5106ee570c");

    let down = r.scenario("downgrade");
    assert_eq!(down["status"], "failed");
    let text = all_text(&down);
    assert!(
        text.contains("- column user.api_token varchar(64) NULL"),
        "{text}"
    );
    let loss: Vec<Value> = steps(&down)
        .iter()
        .flat_map(|s| s["data_loss"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(loss.len(), 1, "{loss:?}");
    assert_eq!(loss[0]["table"], "user");
    assert_eq!(loss[0]["column"], "api_token");
    // Every seeded row's value: three distinct tokens at the column's 64-character limit (its
    // unique index forbids a duplicate) and NULL.
    assert_eq!(loss[0]["lost"], 4);
    assert_eq!(loss[0]["reason"], "column dropped");
}

#[test]
fn broken_seed_fails_idempotency_and_hotfix_with_1060() {
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            "examples/flask-seed/harness.broken.toml",
            "--scenario",
            "upgrade,idempotency,reapply",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.status("upgrade"),
        "passed",
        "the first run works on drifted production"
    );
    for id in ["idempotency", "reapply"] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "failed", "{id}");
        let bad = steps(&s)
            .into_iter()
            .find(|x| x["status"] == "failed")
            .unwrap();
        assert_eq!(bad["revision"], "d1f2e3c4b5a6", "{id}");
        assert_eq!(bad["error"]["code"], 1060, "{id}");
        assert_eq!(
            bad["error"]["message"], "Duplicate column name 'api_token'",
            "{id}"
        );
    }
    // In reapply it is the hot-fix variant that fails: the re-apply after rollback worked.
    let re = steps(&r.scenario("reapply"));
    let hot = re.iter().position(|s| s["action"] == "hotfix").unwrap();
    assert_eq!(re[hot]["status"], "passed");
    assert!(re[..hot].iter().all(|s| s["status"] == "passed"), "{re:?}");
}

#[test]
fn golang_migrate_example_runs_all_scenarios_truthfully() {
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            "examples/golang-migrate/harness.toml",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for id in [
        "chain",
        "upgrade",
        "idempotency",
        "downgrade",
        "reproduce-error",
        "reapply",
        "verify-head",
    ] {
        assert_eq!(
            r.status(id),
            "passed",
            "{id}: {}",
            r.scenario(id)["details"]
        );
    }
    assert!(r.scenario("reproduce-error")["details"]
        .as_str()
        .unwrap()
        .contains("1146"));
    let verify = steps(&r.scenario("verify-head"));
    assert!(verify
        .iter()
        .any(|s| s["action"] == "model_check" && s["status"] == "skipped"));
}

/// Issue 11 policy defaults on a plain-ALTER chain: the opinionated checks it cannot pass
/// (re-running an ADD COLUMN, upgrading over the same change applied by hand) are warnings.
#[test]
fn dbmate_plain_alter_chain_passes_with_warnings_under_the_default_policy() {
    let r = harness(
        &["--db", "local", "--config", "examples/dbmate/harness.toml"],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["status"], "passed");
    for (id, key) in [("idempotency", "idempotency"), ("reapply", "hotfix")] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "passed", "{id}");
        let w = &s["warnings"][0];
        assert_eq!(w["kind"], "check", "{s}");
        assert_eq!(w["check"], key, "{s}");
        assert!(
            w["message"]
                .as_str()
                .unwrap()
                .contains("1060 Duplicate column name 'slug'"),
            "{s}"
        );
    }
    // The failing step is still in the report, as it happened.
    let hot = steps(&r.scenario("reapply"));
    assert!(hot
        .iter()
        .any(|s| s["status"] == "failed" && s["error"]["code"] == 1060));
    assert!(r.scenario("reproduce-error")["details"]
        .as_str()
        .unwrap()
        .contains("1054 Unknown column 'books.slug'"));
    for id in ["chain", "upgrade", "downgrade", "verify-head"] {
        assert_eq!(
            r.status(id),
            "passed",
            "{id}: {}",
            r.scenario(id)["details"]
        );
    }
}

#[test]
fn container_provider_runs_the_demo_scenarios() {
    let image = common::image();
    let r = harness(
        &[
            "--db",
            "container",
            "--image",
            &image,
            "--scenario",
            "upgrade,downgrade,verify-head",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["server"]["provider"], "container");
    assert_eq!(j["server"]["engine"], "mariadb");
    assert_eq!(j["server"]["image"], image.as_str());
    let run_id = common::run_id_of(&r);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt
        .block_on(migration_harness::provision::labelled_containers(Some(
            &run_id,
        )))
        .unwrap();
    assert!(left.is_empty(), "containers left: {left:?}");
}

#[test]
fn broken_revision_graph_fails_chain_and_skips_the_rest() {
    let d = tempfile::tempdir().unwrap();
    common::copy_dir(
        &common::repo().join("examples/golang-migrate/migrations"),
        &d.path().join("migrations"),
    );
    // A down file without its up: the graph has an orphan, and no 000004 can be applied.
    std::fs::write(
        d.path().join("migrations/000004_gone.down.sql"),
        "DROP TABLE x;",
    )
    .unwrap();
    std::fs::remove_file(d.path().join("migrations/000002_create_orders.down.sql")).unwrap();
    std::fs::write(
        d.path().join("harness.toml"),
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\nrequire_downgrades = true\n",
    )
    .unwrap();
    let cfg = d.path().join("harness.toml");
    let r = harness(&["--db", "local", "--config", cfg.to_str().unwrap()], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.status("chain"), "failed");
    assert!(r.scenario("chain")["details"]
        .as_str()
        .unwrap()
        .contains("000002 has no down migration"));
    for id in ["upgrade", "downgrade", "verify-head"] {
        let s = r.scenario(id);
        assert_eq!(s["status"], "skipped", "{id}");
        assert!(
            s["reason"]
                .as_str()
                .unwrap()
                .contains("revision graph is broken"),
            "{s}"
        );
    }
}
