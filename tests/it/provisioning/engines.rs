//! The real-server suite on both engines in one process: every example and defect fixture
//! runs as a two-server matrix (MariaDB 10.11's `mariadbd` and Oracle MySQL 9.7's `mysqld`,
//! local processes, production settings: binary log as shipped, migrations as an application
//! user). Every scenario must give the same verdict and the same first error on both, except
//! where the engines truly differ — listed here with each engine's code.

use crate::common;

use std::collections::BTreeSet;
use std::sync::Mutex;

use serde_json::Value;

const SCENARIOS: &str = "chain,round-trip,crash-resume,upgrade";

/// Every example and every defect fixture (the SQL twin where an Alembic twin tests the same
/// chain through another driver).
const CONFIGS: &[&str] = &[
    "examples/flask-seed/harness.toml",
    "examples/alembic-basic/harness.toml",
    "examples/seed-alembic/harness.toml",
    "examples/dbmate/harness.toml",
    "examples/golang-migrate/harness.toml",
    "examples/schema-objects/harness.toml",
    "examples/uuid-matrix/harness.toml",
    "tests/fixtures/alembic-graph/harness.toml",
    "tests/fixtures/findings/empty-files/harness.toml",
    "tests/fixtures/findings/multi-revision-downgrade/harness.toml",
    "tests/fixtures/findings/unrelated-column/harness.toml",
    "tests/fixtures/fk-1452/sql/harness.toml",
    "tests/fixtures/golang-empty-file/harness.toml",
    "tests/fixtures/half-applied/sql/harness.toml",
    "tests/fixtures/narrowing/sql/harness.toml",
    "tests/fixtures/resume/sql/harness.toml",
    "tests/fixtures/reupgrade-1060/sql/harness.toml",
    "tests/fixtures/reupgrade-1062/sql/harness.toml",
    "tests/fixtures/two-broken-downs/sql/harness.toml",
    "tests/fixtures/engines/trigger-as-app/harness.toml",
    "tests/fixtures/engines/function-not-deterministic/harness.toml",
    "tests/fixtures/engines/unique-key-drop-column/harness.toml",
    "tests/fixtures/engines/fk-drop-parent/harness.toml",
    "tests/fixtures/engines/drop-table-list/harness.toml",
    "tests/fixtures/engines/uuid-default/harness.toml",
];

/// `(config, scenario, MariaDB's outcome, MySQL's outcome)` where the engines truly differ.
/// An outcome is `passed` or `failed <code> at <revision>` (the scenario's first failure).
#[rustfmt::skip]
const DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    // Its trigger, created by the application user with the binary log on: 1419 on MySQL.
    ("examples/schema-objects/harness.toml", "chain", "failed downgrade failed at 000002", "failed 1419 at 000002"),
    ("examples/schema-objects/harness.toml", "crash-resume", "passed", "skipped"),
    ("examples/schema-objects/harness.toml", "findings", "downgrade_leaves_schema@000002, not_resumable@000002, round_trip_fails@000002 1050", "half_applied@000002, upgrade_fails@000002 1419"),
    ("examples/schema-objects/harness.toml", "round-trip", "failed 1050 at 000002", "failed 1419 at 000002"),
    ("examples/schema-objects/harness.toml", "upgrade", "passed", "failed 1419 at 000002"),
    // The UUID column type is MariaDB's (10.7+); MySQL has none: 1064.
    ("examples/uuid-matrix/harness.toml", "chain", "passed", "failed 1064 at 000002"),
    ("examples/uuid-matrix/harness.toml", "crash-resume", "passed", "skipped"),
    ("examples/uuid-matrix/harness.toml", "findings", "", "upgrade_fails@000002 1064"),
    ("examples/uuid-matrix/harness.toml", "round-trip", "passed", "failed 1064 at 000002"),
    ("examples/uuid-matrix/harness.toml", "upgrade", "passed", "failed 1064 at 000002"),
    // `DROP TABLE ledger, ledger_archive`: atomic on MySQL, half-applied on MariaDB.
    ("tests/fixtures/engines/drop-table-list/harness.toml", "findings", "downgrade_fails@000002 1051, half_applied@000002", "downgrade_fails@000002 1051"),
    // Dropping a referenced table: 1451 on MariaDB, 3730 on MySQL.
    ("tests/fixtures/engines/fk-drop-parent/harness.toml", "chain", "failed 1451 at 000003", "failed 3730 at 000003"),
    ("tests/fixtures/engines/fk-drop-parent/harness.toml", "findings", "downgrade_fails@000003 1451", "downgrade_fails@000003 3730"),
    ("tests/fixtures/engines/fk-drop-parent/harness.toml", "round-trip", "failed 1451 at 000003", "failed 3730 at 000003"),
    // CREATE FUNCTION without DETERMINISTIC under the binary log: 1418 on MySQL only.
    ("tests/fixtures/engines/function-not-deterministic/harness.toml", "chain", "passed", "failed 1418 at 000002"),
    ("tests/fixtures/engines/function-not-deterministic/harness.toml", "crash-resume", "passed", "skipped"),
    ("tests/fixtures/engines/function-not-deterministic/harness.toml", "findings", "not_resumable@000002", "half_applied@000002, upgrade_fails@000002 1418"),
    ("tests/fixtures/engines/function-not-deterministic/harness.toml", "round-trip", "passed", "failed 1418 at 000002"),
    ("tests/fixtures/engines/function-not-deterministic/harness.toml", "upgrade", "passed", "failed 1418 at 000002"),
    // CREATE TRIGGER by a user without SUPER under the binary log: 1419 on MySQL only.
    ("tests/fixtures/engines/trigger-as-app/harness.toml", "chain", "passed", "failed 1419 at 000002"),
    ("tests/fixtures/engines/trigger-as-app/harness.toml", "crash-resume", "passed", "skipped"),
    ("tests/fixtures/engines/trigger-as-app/harness.toml", "findings", "not_resumable@000002", "half_applied@000002, upgrade_fails@000002 1419"),
    ("tests/fixtures/engines/trigger-as-app/harness.toml", "round-trip", "passed", "failed 1419 at 000002"),
    ("tests/fixtures/engines/trigger-as-app/harness.toml", "upgrade", "passed", "failed 1419 at 000002"),
    // DROP COLUMN of a two-column unique key: 1072 on MariaDB; MySQL shrinks the key (and
    // the downgrade cannot restore it).
    ("tests/fixtures/engines/unique-key-drop-column/harness.toml", "chain", "failed 1072 at 000002", "failed downgrade failed at 000002"),
    ("tests/fixtures/engines/unique-key-drop-column/harness.toml", "crash-resume", "skipped", "passed"),
    ("tests/fixtures/engines/unique-key-drop-column/harness.toml", "findings", "upgrade_fails@000002 1072", "downgrade_leaves_schema@000002"),
    ("tests/fixtures/engines/unique-key-drop-column/harness.toml", "round-trip", "failed 1072 at 000002", "failed round_trip failed at 000002"),
    ("tests/fixtures/engines/unique-key-drop-column/harness.toml", "upgrade", "failed 1072 at 000002", "passed"),
    // ADD COLUMN … DEFAULT (uuid()) under the binary log: 1674 on MySQL only.
    ("tests/fixtures/engines/uuid-default/harness.toml", "chain", "passed", "failed 1674 at 000002"),
    ("tests/fixtures/engines/uuid-default/harness.toml", "crash-resume", "passed", "skipped"),
    ("tests/fixtures/engines/uuid-default/harness.toml", "findings", "", "upgrade_fails@000002 1674"),
    ("tests/fixtures/engines/uuid-default/harness.toml", "round-trip", "passed", "failed 1674 at 000002"),
    ("tests/fixtures/engines/uuid-default/harness.toml", "upgrade", "passed", "failed 1674 at 000002"),
];

/// A server's findings in its own report (`servers/<label>/report.json`), as
/// `kind@revision code` sorted: a half-applied state on one engine only shows here.
fn findings(run: &common::Run, label: &str) -> String {
    let path = run
        .out
        .path()
        .join("servers")
        .join(label)
        .join("report.json");
    let j: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
        .unwrap_or(Value::Null);
    let mut v: Vec<String> = j["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let mut s = format!(
                "{}@{}",
                f["kind"].as_str().unwrap_or("?"),
                f["revision"].as_str().unwrap_or("-")
            );
            if let Some(code) = f["error"]["code"].as_u64() {
                s.push_str(&format!(" {code}"));
            }
            s
        })
        .collect();
    v.sort();
    v.join(", ")
}

/// Each scenario's outcome on each server of a matrix report: `(scenario, [outcomes])`.
fn outcomes(matrix: &Value) -> Vec<(String, Vec<String>)> {
    matrix["scenarios"]
        .as_array()
        .expect("matrix scenarios")
        .iter()
        .map(|row| {
            let cells = row["cells"]
                .as_array()
                .expect("cells")
                .iter()
                .map(|c| {
                    let status = c["status"].as_str().unwrap_or("?");
                    let f = &c["failure"];
                    if f.is_null() {
                        return status.to_string();
                    }
                    // `failed 1419 at 000002`, or the action without a server code.
                    let what = match f["code"].as_u64() {
                        Some(code) => code.to_string(),
                        None => format!("{} failed", f["action"].as_str().unwrap_or("step")),
                    };
                    match f["revision"].as_str() {
                        Some(rev) => format!("{status} {what} at {rev}"),
                        None => format!("{status} {what}"),
                    }
                })
                .collect();
            (row["scenario"].as_str().unwrap_or("?").to_string(), cells)
        })
        .collect()
}

#[test]
fn every_example_and_fixture_agrees_on_mysql_and_mariadb_but_for_true_engine_differences() {
    let mariadbd = migration_harness::provision::find_server_binary().expect("mariadbd");
    let mysqld = common::mysqld();
    let servers = format!("{},{}", mariadbd.display(), mysqld.display());
    let found = Mutex::new(BTreeSet::new());
    let problems = Mutex::new(Vec::new());
    // MH_TEST_ENGINE_CONFIGS=substring narrows the list while working on one fixture.
    let only = std::env::var("MH_TEST_ENGINE_CONFIGS").unwrap_or_default();
    let configs: Vec<&str> = CONFIGS
        .iter()
        .copied()
        .filter(|c| c.contains(&only))
        .collect();
    let next = Mutex::new(configs.iter());
    // Two configs at a time: server starts wait on I/O more than on the two cores.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some(cfg) = next.lock().unwrap().next().copied() else {
                    break;
                };
                let run = common::harness(
                    &[
                        "--config",
                        cfg,
                        "--db",
                        "local",
                        "--server-binary",
                        &servers,
                        "--scenario",
                        SCENARIOS,
                        "--format",
                        "json",
                    ],
                    &[],
                );
                if !matches!(run.code, 0 | 1) {
                    problems
                        .lock()
                        .unwrap()
                        .push(format!("{cfg}: exit {}\n{}", run.code, run.stderr));
                    continue;
                }
                let j = run.json();
                let names: Vec<&str> = j["matrix"]["servers"]
                    .as_array()
                    .expect("servers")
                    .iter()
                    .map(|s| s["name"].as_str().unwrap_or(""))
                    .collect();
                assert!(
                    names.len() == 2
                        && names[0].starts_with("MariaDB 10.11.")
                        && names[1].starts_with("MySQL 9.7."),
                    "{cfg}: {names:?}"
                );
                let mut all = outcomes(&j["matrix"]);
                all.push((
                    "findings".to_string(),
                    vec![findings(&run, "mariadbd"), findings(&run, "mysqld")],
                ));
                for (scenario, o) in all {
                    if o[0] != o[1] {
                        found.lock().unwrap().insert((
                            cfg.to_string(),
                            scenario,
                            o[0].clone(),
                            o[1].clone(),
                        ));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let found = found.into_inner().unwrap();
    let expected: BTreeSet<(String, String, String, String)> = DIFFERENCES
        .iter()
        .filter(|d| configs.contains(&d.0))
        .map(|(c, s, a, b)| (c.to_string(), s.to_string(), a.to_string(), b.to_string()))
        .collect();
    let shown = |set: &BTreeSet<(String, String, String, String)>| {
        set.iter()
            .map(|(c, s, a, b)| format!("    ({c:?}, {s:?}, {a:?}, {b:?}),"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        found,
        expected,
        "engine differences changed; found:\n{}",
        shown(&found)
    );
}
