//! `--format sarif` on real runs against a local MariaDB: the file validates against the
//! official SARIF 2.1.0 schema (vendored in tests/fixtures/sarif/), one result per finding,
//! a rule per kind, and each result at the line that sent the failing statement — the
//! `drop_index` line of the seed's 3e5106ee570c (Alembic, from the worker's capture) and the
//! second `DROP INDEX` of a dbmate file (SQL directories, the statement's own line).

use crate::common;

use common::{harness, Run};
use serde_json::Value;

fn validate(doc: &Value) {
    let text = std::fs::read_to_string(
        common::repo().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"),
    )
    .unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let v = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "not valid SARIF 2.1.0: {errors:#?}");
}

fn sarif(r: &Run) -> Value {
    let text = r.file("report.sarif");
    assert!(!text.is_empty(), "no report.sarif: {}", r.stderr);
    serde_json::from_str(&text).expect("report.sarif is JSON")
}

/// The result for `rule` at `revision`.
fn result<'a>(doc: &'a Value, rule: &str, revision: &str) -> &'a Value {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == rule && r["properties"]["revision"] == revision)
        .unwrap_or_else(|| panic!("no {rule} result for {revision}: {doc:#}"))
}

fn location(r: &Value) -> (String, u64) {
    let p = &r["locations"][0]["physicalLocation"];
    (
        p["artifactLocation"]["uri"].as_str().unwrap().to_string(),
        p["region"]["startLine"].as_u64().unwrap(),
    )
}

/// The 1-based line of `needle` in a repository file, after `after`.
fn line_of(path: &str, after: &str, needle: &str) -> u64 {
    let text = std::fs::read_to_string(common::repo().join(path)).unwrap();
    let start = text.find(after).unwrap();
    let at = start + text[start..].find(needle).unwrap();
    text[..at].matches('\n').count() as u64 + 1
}

#[test]
fn seed_sarif_validates_and_points_at_the_failing_drop_index_line() {
    let r = harness(
        &[
            "--db",
            "local",
            "--scenario",
            "chain,deploy",
            "--format",
            "json,sarif",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = sarif(&r);
    validate(&doc);
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let findings = r.json()["findings"].as_array().unwrap().len();
    assert_eq!(results.len(), findings, "one result per finding");

    let file = "examples/flask-seed/migrations/versions/3e5106ee570c_api_token_fields.py";
    let drop = result(&doc, "downgrade_fails", "3e5106ee570c");
    assert_eq!(
        location(drop),
        (
            file.to_string(),
            line_of(file, "def downgrade", "drop_index('ix_user_api_token')")
        )
    );
    // History counts as a note; the revision under test's findings as errors.
    assert_eq!(drop["level"], "note");
    assert!(results.iter().any(|x| x["level"] == "error"), "{doc:#}");
    // Every result's rule is declared, by the kind's name.
    let rules: Vec<&str> = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for x in results {
        let i = x["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i], x["ruleId"].as_str().unwrap());
    }
}

#[test]
fn sql_directory_sarif_points_at_the_statement_that_failed() {
    let r = harness(
        &[
            "--config",
            "tests/fixtures/half-applied/sql/harness.toml",
            "--db",
            "local",
            "--scenario",
            "chain",
            "--format",
            "json,sarif",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = sarif(&r);
    validate(&doc);
    let file = "tests/fixtures/half-applied/sql/migrations/20240102000000_child_indexes.sql";
    let down = result(&doc, "downgrade_fails", "20240102000000");
    // Statement 2 of the down section is refused (1553): its line, not the file's first.
    assert_eq!(
        location(down),
        (
            file.to_string(),
            line_of(file, "-- migrate:down", "DROP INDEX ix_child_parent")
        )
    );
    assert_eq!(down["level"], "error");
}
