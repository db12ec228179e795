//! Typed, deduplicated findings on real runs against a local MariaDB — one
//! finding per defect however many scenarios hit it, scratch names removed, ranked, and
//! linked to the finding that caused it.

use crate::common;

use common::harness;
use serde_json::Value;

fn findings(j: &Value) -> Vec<Value> {
    j["findings"].as_array().cloned().unwrap_or_default()
}

fn of_kind<'a>(f: &'a [Value], kind: &str) -> Vec<&'a Value> {
    f.iter().filter(|x| x["kind"] == kind).collect()
}

fn scenarios_seen(f: &Value) -> Vec<String> {
    f["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap().to_string())
        .collect()
}

fn run(config: &str) -> common::Run {
    harness(
        &["--db", "local", "--config", config, "--scenario", "all"],
        &[],
    )
}

#[test]
fn each_broken_downgrade_is_one_finding_however_many_scenarios_hit_it() {
    let r = run("tests/fixtures/two-broken-downs/sql/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = r.json();
    assert_eq!(j["schema_version"], 2);
    let f = findings(&j);
    let downs = of_kind(&f, "downgrade_fails");
    assert_eq!(downs.len(), 2, "{downs:#?}");

    // 000003 is the revision under test: blocking, and every scenario that rolled it back
    // is listed on the one finding.
    let d3 = downs.iter().find(|x| x["revision"] == "000003").unwrap();
    assert_eq!(d3["error"]["code"], 1051);
    assert_eq!(d3["error"]["message"], "Unknown table 'tags'");
    assert_eq!(d3["statement"], "DROP TABLE tags");
    assert_eq!(d3["severity"], "blocking");
    assert_eq!(d3["new"], true);
    let seen = scenarios_seen(d3);
    for s in ["chain", "round-trip", "downgrade", "reapply"] {
        assert!(seen.contains(&s.to_string()), "{s} missing from {seen:?}");
    }
    // 000002 was deployed before: history, seen by the walk and the round trips.
    let d2 = downs.iter().find(|x| x["revision"] == "000002").unwrap();
    assert_eq!(d2["error"]["code"], 1091);
    assert_eq!(d2["severity"], "history");
    assert_eq!(d2["new"], false);
    assert_eq!(scenarios_seen(d2), ["chain", "round-trip"]);

    // Scratch database names never reach a finding: equal defects read the same.
    let text = serde_json::to_string(&j["findings"]).unwrap();
    assert!(!text.contains("mh_"), "{text}");

    // Ranked: new revisions first, then blocking before warnings; ids in that order.
    let rank: Vec<(bool, String, String)> = f
        .iter()
        .map(|x| {
            (
                x["new"].as_bool().unwrap(),
                x["severity"].as_str().unwrap().to_string(),
                x["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(rank[0], (true, "blocking".into(), "F1".into()), "{rank:?}");
    let first_old = rank.iter().position(|r| !r.0).unwrap();
    assert!(rank[first_old..].iter().all(|r| !r.0), "{rank:?}");
    assert!(
        rank[..first_old]
            .windows(2)
            .all(|w| !(w[0].1 == "warning" && w[1].1 == "blocking")),
        "{rank:?}"
    );

    // The summary shows the blocking finding in full and nothing of history under the
    // revisions under test; history is counted apart. The HTML lists each finding once.
    let md = r.file("report.md");
    let under_test = md
        .split("## Findings on the revisions under test")
        .nth(1)
        .and_then(|t| t.split("## History").next())
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        under_test.contains("### ❌ F1 · blocking · downgrade fails · `000003`"),
        "{under_test}"
    );
    assert!(
        under_test.contains("downgrade of 000003 failed: 1051"),
        "{under_test}"
    );
    assert!(!under_test.contains("000002 failed"), "{under_test}");
    let history = md.split("## History").nth(1).unwrap();
    assert!(
        history
            .lines()
            .any(|l| l.starts_with("| downgrade fails | 1 | 000002 |")),
        "{history}"
    );
    let html = r.file("report.html");
    assert_eq!(
        html.matches("blocking · downgrade of 000003 failed: 1051")
            .count(),
        // The findings table, the grouped list and "fix these first".
        3,
        "{html}"
    );
    // The console ranks them too.
    assert!(
        r.stderr.lines().any(|l| l.trim_start().starts_with("F1 ")
            && l.contains("blocking · downgrade of 000003 failed: 1051")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_failing_re_upgrade_is_linked_to_the_downgrade_that_left_its_column() {
    let r = run("tests/fixtures/reupgrade-1060/sql/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let leaves = of_kind(&f, "downgrade_leaves_schema");
    assert_eq!(leaves.len(), 1, "{f:#?}");
    let trips = of_kind(&f, "round_trip_fails");
    assert_eq!(
        trips.len(),
        1,
        "the round trip and the re-application are one: {f:#?}"
    );
    let trip = trips[0];
    assert_eq!(trip["error"]["code"], 1060);
    let seen = scenarios_seen(trip);
    assert!(seen.contains(&"round-trip".to_string()) && seen.contains(&"reapply".to_string()));
    assert_eq!(trip["caused_by"], serde_json::json!([leaves[0]["id"]]));
    assert!(leaves[0]["diff"][0]
        .as_str()
        .unwrap()
        .contains("account.nickname"));
}

#[test]
fn a_half_applied_downgrade_is_a_finding_linked_to_the_failure_that_left_it() {
    let r = run("tests/fixtures/half-applied/sql/harness.toml");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let fail = of_kind(&f, "downgrade_fails");
    let fail = fail
        .iter()
        .find(|x| x["left_behind"]["statements_applied"] == 1)
        .unwrap_or_else(|| panic!("no half-applied downgrade: {f:#?}"));
    assert_eq!(fail["left_behind"]["failed_statement"], 2);
    assert_eq!(fail["left_behind"]["retry"]["outcome"], "fails");
    let half = of_kind(&f, "half_applied");
    assert_eq!(half.len(), 1, "{f:#?}");
    assert_eq!(half[0]["caused_by"], serde_json::json!([fail["id"]]));
    assert_eq!(half[0]["revision"], fail["revision"]);
    // The re-run's error and the statement it names belong together.
    let message = half[0]["error"]["message"].as_str().unwrap();
    let object = message.split('`').nth(1).unwrap();
    let statement = half[0]["statement"].as_str().unwrap();
    assert!(statement.contains(object), "{message} vs {statement}");
}

#[test]
fn on_the_seed_the_old_revisions_broken_downgrade_is_traced_to_the_new_one() {
    let r = harness(
        &["--db", "local", "--scenario", "chain,round-trip,deploy"],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let cause = f
        .iter()
        .find(|x| x["kind"] == "downgrade_leaves_schema" && x["revision"] == "d1f2e3c4b5a6")
        .unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(cause["severity"], "blocking");
    let effect = f
        .iter()
        .find(|x| x["kind"] == "downgrade_fails" && x["revision"] == "3e5106ee570c")
        .unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(effect["severity"], "history");
    assert_eq!(effect["error"]["code"], 1091);
    assert_eq!(effect["caused_by"], serde_json::json!([cause["id"]]));
    let blocked = of_kind(&f, "deploy_blocked");
    assert_eq!(blocked.len(), 1);
    assert_eq!(blocked[0]["error"]["code"], 1054);
    // New revisions' blocking findings come before the history one.
    let pos = |x: &Value| f.iter().position(|y| y["id"] == x["id"]).unwrap();
    assert!(pos(cause) < pos(effect) && pos(blocked[0]) < pos(effect));
}

#[test]
fn what_the_walk_down_left_is_not_blamed_on_the_first_revision_going_up_again() {
    // 000002's downgrade forgets its view: the walk up again meets the view at 000001 (not
    // 000001's doing) and 000002's CREATE VIEW fails with 1050 (the leftover's doing).
    let r = harness(
        &[
            "--db",
            "local",
            "--config",
            "examples/schema-objects/harness.toml",
            "--scenario",
            "chain",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let ids: Vec<String> = r.json()["chain"]["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !f.iter().any(|x| x["revision"] == ids[0].as_str()),
        "nothing is {}'s fault: {f:#?}",
        ids[0]
    );
    let leaves = of_kind(&f, "downgrade_leaves_schema");
    assert_eq!(leaves.len(), 1, "{f:#?}");
    assert!(leaves[0]["diff"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("view v_orders")));
    let again = of_kind(&f, "round_trip_fails");
    assert_eq!(again.len(), 1, "{f:#?}");
    assert_eq!(again[0]["error"]["code"], 1050);
    assert_eq!(again[0]["caused_by"], serde_json::json!([leaves[0]["id"]]));
    let chain = r.scenario("chain");
    let first_up_again = chain["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["title"]
                .as_str()
                .unwrap()
                .starts_with("walk up again: upgrade")
        })
        .unwrap();
    assert_eq!(first_up_again["status"], "passed", "{first_up_again}");
    assert!(first_up_again["details"][0]
        .as_str()
        .unwrap()
        .contains("carried from earlier steps"));
}

fn fixture(name: &str) -> common::Run {
    run(&format!("tests/fixtures/findings/{name}/harness.toml"))
}

#[test]
fn a_rollback_over_several_revisions_is_filed_under_the_revision_that_left_the_difference() {
    // Baseline 000001; 000003's downgrade does nothing. The rollback 000003 → 000001 sees
    // the leftover column too, but 000002's downgrade is correct: nothing is blamed on it.
    let r = fixture("multi-revision-downgrade");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let leaves = of_kind(&f, "downgrade_leaves_schema");
    assert_eq!(leaves.len(), 1, "{f:#?}");
    assert_eq!(leaves[0]["revision"], "000003");
    let seen = scenarios_seen(leaves[0]);
    assert!(seen.contains(&"downgrade".to_string()), "{seen:?}");
    assert!(
        !f.iter()
            .any(|x| x["revision"] == "000002" && x["kind"] != "not_idempotent"),
        "{f:#?}"
    );
}

#[test]
fn an_error_on_a_same_named_column_of_another_table_is_not_linked() {
    // 000003 leaves item.extra behind; 000002's downgrade fails on box.extra, which never
    // existed: unrelated, and also seen in 000002's own round trip where 000003 never ran.
    let r = fixture("unrelated-column");
    let f = findings(&r.json());
    let unknown = f
        .iter()
        .find(|x| x["error"]["code"] == 1054)
        .unwrap_or_else(|| panic!("{f:#?}"));
    assert_eq!(unknown["revision"], "000002");
    assert!(unknown.get("caused_by").is_none(), "{unknown:#?}");
}

#[test]
fn empty_files_are_two_findings_and_a_failed_setup_is_not_a_check_warning() {
    let r = fixture("empty-files");
    assert_eq!(r.code, 1, "{}", r.stderr);
    let f = findings(&r.json());
    let up = of_kind(&f, "empty_upgrade");
    let down = of_kind(&f, "empty_downgrade");
    assert_eq!((up.len(), down.len()), (1, 1), "{f:#?}");
    // The upgrade's 1065 is the empty up file's doing, seen wherever 000002 went up; the
    // idempotency scenario's first upgrade is setup, not its check.
    let sent = of_kind(&f, "upgrade_fails");
    assert_eq!(sent.len(), 1, "{f:#?}");
    assert_eq!(sent[0]["error"]["code"], 1065);
    assert_eq!(sent[0]["caused_by"], serde_json::json!([up[0]["id"]]));
    assert!(of_kind(&f, "not_idempotent").is_empty(), "{f:#?}");
    assert_eq!(r.status("idempotency"), "failed");
}
