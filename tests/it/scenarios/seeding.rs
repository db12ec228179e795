//! Seeded rows against real servers: rows compared as multisets (an association table without
//! a primary key survives a new covering index), seeds that respect foreign keys (a parent
//! row refused by a CHECK takes its children with it: no orphan, no 1452, and the refusal is
//! run information, not a finding), and seeds in production's shapes (a TEXT at its limit
//! copied into CHAR(40), a LONGTEXT copied back into VARCHAR(200), both 1406; the `downgrade`
//! scenario's own seed meets a narrow staging column, 1406).
//! Server: `MH_TEST_IMAGE` (container) or `MH_TEST_SERVER_BINARY`, else the local mariadbd.

use crate::common;

use common::{harness, Run};
use serde_json::Value;

fn server_args() -> Vec<String> {
    if let Ok(image) = std::env::var("MH_TEST_IMAGE") {
        return vec!["--db".into(), "container".into(), "--image".into(), image];
    }
    let mut a = vec!["--db".into(), "local".into()];
    if let Ok(bin) = std::env::var("MH_TEST_SERVER_BINARY") {
        a.extend(["--server-binary".into(), bin]);
    }
    a
}

fn run(fixture: &str, scenarios: &str) -> Run {
    let cfg = format!("tests/fixtures/{fixture}/harness.toml");
    let mut args: Vec<String> = vec![
        "--config".into(),
        cfg,
        "--scenario".into(),
        scenarios.into(),
    ];
    args.extend(server_args());
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    harness(&args, &[])
}

fn findings(r: &Run) -> Vec<Value> {
    r.json()["findings"].as_array().cloned().unwrap_or_default()
}

/// `(revision, kind, code)` of every finding.
fn found(r: &Run) -> Vec<(String, String, Option<u64>)> {
    findings(r)
        .iter()
        .map(|f| {
            (
                f["revision"].as_str().unwrap_or("").to_string(),
                f["kind"].as_str().unwrap_or("").to_string(),
                f["error"]["code"].as_u64(),
            )
        })
        .collect()
}

#[test]
fn association_table_without_primary_key_survives_an_index_a_noop_and_a_column() {
    let r = run("clean/association-table", "all");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(findings(&r).is_empty(), "{:?}", found(&r));
    // The round trips did compare rows of the keyless table.
    let trips = r.scenario("round-trip");
    let details: Vec<String> = trips["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["details"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d.as_str().map(str::to_string))
        .collect();
    assert!(
        details
            .iter()
            .filter(|d| d.contains("seeded values survived the downgrade"))
            .count()
            >= 3,
        "{details:?}"
    );
}

#[test]
fn parent_refused_by_a_check_leaves_no_orphan_and_no_1452() {
    let r = run("seeding/check-parent", "chain,round-trip,downgrade");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(findings(&r).is_empty(), "{:?}", found(&r));
    let j = r.json();
    let notes = j["seeding"]["notes"].as_array().expect("seeding notes");
    let refused = notes
        .iter()
        .find(|n| n["table"] == "runs" && n["cause"] == "refused")
        .expect("the refusal is run information");
    // MySQL 3819, MariaDB 4025: a CHECK constraint refused the row.
    let code = refused["error"]["code"].as_u64().unwrap();
    assert!(code == 3819 || code == 4025, "{refused}");
    assert!(
        notes.iter().any(|n| n["table"] == "run_steps"
            && n["cause"] == "dependent"
            && n["parent"] == "runs"),
        "{notes:?}"
    );
    let md = r.file("report.md");
    assert!(
        md.contains("**Run information** (not findings): seeded"),
        "{md}"
    );
    assert!(!md.contains("not seeded"), "no seeding line as a finding");
    // Rows did go in, and the foreign key re-added by 000002 found every parent.
    let trips = r.scenario("round-trip").to_string();
    assert!(trips.contains("all ") && trips.contains("seeded values survived"));
    assert!(!trips.contains("1452"));
}

#[test]
fn text_at_its_limit_copied_into_char40_fails_1406() {
    let r = run("seeding/text-to-char40", "chain,round-trip");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        found(&r).contains(&("000002".into(), "upgrade_fails".into(), Some(1406))),
        "{:?}",
        found(&r)
    );
}

#[test]
fn longtext_copied_back_into_varchar200_on_downgrade_fails_1406() {
    let r = run("seeding/longtext-downgrade", "chain,round-trip");
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        found(&r).contains(&("000002".into(), "downgrade_fails".into(), Some(1406))),
        "{:?}",
        found(&r)
    );
}

/// The `downgrade` scenario seeds the baseline in production's shapes too: a body at TEXT's
/// 65,535-byte limit meets the downgrade's VARCHAR(200) staging column (1406). With three
/// short rows the same downgrade passed and the scenario said "seeded data intact".
#[test]
fn downgrade_scenario_seeds_text_at_its_limit_so_a_narrow_staging_column_fails_1406() {
    let r = run("seeding/downgrade-staging-column", "downgrade");
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.scenario("downgrade")["status"], "failed");
    assert!(
        found(&r).contains(&("000002".into(), "downgrade_fails".into(), Some(1406))),
        "{:?}",
        found(&r)
    );
}

#[test]
fn a_self_reference_seeds_with_checks_on_and_only_a_cycle_turns_them_off_said_so() {
    let r = run("seeding/fk-cycle", "chain,round-trip,downgrade");
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(findings(&r).is_empty(), "{:?}", found(&r));
    let j = r.json();
    let unchecked: Vec<&str> = j["seeding"]["unchecked"]
        .as_array()
        .expect("the cycle is run information")
        .iter()
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(
        unchecked,
        ["a", "b"],
        "the self-referencing `node` is no cycle"
    );
    assert!(r
        .file("report.md")
        .contains("seeded with FOREIGN_KEY_CHECKS=0 (their foreign keys form a cycle): a, b"));
}
