//! Online DDL asked of real servers: each schema change of the `online-ddl` fixture chain
//! (an ADD COLUMN at the end, an index, a column type change, a STORED generated column, a
//! primary key change) classified as MariaDB 10.5, 10.11, 11.8 and MySQL 9.7 answer it; the
//! `[scenarios] online_ddl` key at each value; a `[production]` estimate with its measured
//! points; and the clean cases (instant/online-only chains, the bundled examples).

use crate::common;

use std::path::Path;
use std::process::Command;

use common::{harness, Run};
use serde_json::Value;

const MYSQL: &str = "migration-harness/mysql:9.7";

fn image_exists(image: &str) -> bool {
    Command::new("docker")
        .args(["image", "inspect", image])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The online-ddl scenario's steps that carry classifications, by revision.
fn classified(report: &Value) -> Vec<(String, Value)> {
    let s = report["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["id"] == "online-ddl")
        .expect("online-ddl scenario");
    s["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|st| {
            let d = st.get("online_ddl")?;
            Some((
                d["revision"].as_str()?.to_string(),
                d["statements"][0].clone(),
            ))
        })
        .collect()
}

fn statement(report: &Value, rev: &str) -> Value {
    classified(report)
        .into_iter()
        .find(|(r, _)| r == rev)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no classification of {rev}"))
}

fn findings_of(report: &Value, kind: &str) -> Vec<Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["kind"] == kind)
        .cloned()
        .collect()
}

/// A harness.toml beside nothing: the fixture's migrations by absolute path, plus `extra`.
fn config(dir: &Path, fixture: &str, extra: &str) -> String {
    let migrations = common::repo().join("tests/fixtures").join(fixture);
    let text = format!(
        "[migrations]\ntool = \"sqldir\"\nformat = \"golang-migrate\"\ndir = \"{}\"\n{extra}",
        migrations.display()
    );
    let path = dir.join("harness.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn local(cfg: &str) -> Run {
    harness(
        &[
            "--config",
            cfg,
            "--db",
            "local",
            "--scenario",
            "online-ddl",
            "--format",
            "md,html,json,junit",
        ],
        &[],
    )
}

#[test]
fn each_change_is_classified_as_each_server_answers_it() {
    let mut images = vec![
        "migration-harness/mariadb:10.5",
        "migration-harness/mariadb:10.11",
        "migration-harness/mariadb:11.8",
    ];
    if image_exists(MYSQL) {
        images.push(MYSQL);
    } else {
        eprintln!("{MYSQL} does not exist on this machine: MySQL 9.7 not tested");
    }
    let list = images.join(",");
    let run = harness(
        &[
            "--config",
            "tests/fixtures/online-ddl/sql/harness.toml",
            "--scenario",
            "online-ddl",
            "--db",
            "container",
            "--image",
            &list,
            "--format",
            "md,json",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let j = run.json();
    for (i, image) in images.iter().enumerate() {
        let r = &j["runs"][i]["report"];
        let mysql = *image == MYSQL;
        let s = |rev| statement(r, rev);
        assert_eq!(s("000001")["class"], "metadata", "{image}");
        assert_eq!(s("000001")["what"], "create_table", "{image}");
        assert_eq!(s("000002")["blocking"], "instant", "{image}");
        assert_eq!(s("000003")["blocking"], "online", "{image}");
        assert_eq!(
            s("000003")["accepted"]["algorithm"],
            if mysql { "INPLACE" } else { "NOCOPY" },
            "{image}"
        );
        for copy in ["000004", "000005"] {
            let st = s(copy);
            assert_eq!(st["blocking"], "copy", "{image} {copy}: {st}");
            let last = st["refusals"].as_array().unwrap().last().unwrap().clone();
            assert!(
                matches!(last["error"]["code"].as_u64(), Some(1845 | 1846)),
                "{image} {copy}: {last}"
            );
        }
        assert!(
            s("000004")["refusals"]
                .to_string()
                .contains("Cannot change column type"),
            "{image}"
        );
        // An indexed column's character set: a copy on 10.5 and MySQL, instant on the others.
        let old = *image == "migration-harness/mariadb:10.5" || mysql;
        assert_eq!(
            s("000006")["blocking"],
            if old { "copy" } else { "instant" },
            "{image}"
        );
        // MariaDB says the primary key change rebuilds (NOCOPY refused); MySQL takes INPLACE.
        assert_eq!(
            s("000007")["blocking"],
            if mysql { "online" } else { "online_rebuild" },
            "{image}"
        );
        let blocking = findings_of(r, "blocks_writes");
        assert_eq!(
            blocking.len(),
            if old { 3 } else { 2 },
            "{image}: {blocking:#?}"
        );
    }
    // The character-set change is the one divergence, naming the servers on both sides.
    let names: Vec<String> = j["matrix"]["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    let divergences = j["matrix"]["divergences"].as_array().unwrap();
    assert_eq!(divergences.len(), 1, "{divergences:#?}");
    let d = &divergences[0];
    assert_eq!(d["scenario"], "online-ddl");
    let mut failing = vec![names[0].clone()];
    failing.extend(names.get(3).cloned());
    assert_eq!(d["failing"], serde_json::json!(failing));
    assert_eq!(d["passing"], serde_json::json!([names[1], names[2]]));
    let summary = d["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("000006 statement 1 (ALTER TABLE orders MODIFY customer VARCHAR(60) CHARACTER SET utf8mb4 NOT NULL): copy (blocks writes) on MariaDB 10.5.")
            && summary.contains(&format!("but instant on {}, {}", names[1], names[2])),
        "{summary}"
    );
    let matrix_md = run.file("report.md");
    assert!(matrix_md.contains(summary), "{matrix_md}");
    let own =
        std::fs::read_to_string(run.out.path().join("servers/mariadb-10.5/report.md")).unwrap();
    assert!(own.contains("| `ALTER TABLE orders MODIFY total DECIMAL(12,2) NOT NULL` | orders | ⚠️ copy (blocks writes) (ALGORITHM=COPY) | 1846 ALGORITHM=INPLACE is not supported. Reason: Cannot change column type. Try ALGORITHM=COPY |"), "{own}");
    assert_eq!(own.matches("metadata lock").count(), 1, "{own}");
}

#[test]
fn online_ddl_key_turns_the_check_off_into_warnings_or_into_failures() {
    let dir = tempfile::tempdir().unwrap();
    // 000004–000007 are the revisions under test: two of them copy the table everywhere.
    let base = "\n[baseline]\nrevision = \"000003\"\n";
    let cfg = |value: &str| {
        config(
            dir.path(),
            "online-ddl/sql/migrations",
            &format!("{base}\n[scenarios]\nonline_ddl = \"{value}\"\n"),
        )
    };
    let off = local(&cfg("off"));
    assert_eq!(off.code, 4, "{}", off.stderr);
    assert_eq!(off.status("online-ddl"), "skipped");
    assert!(findings_of(&off.json(), "blocks_writes").is_empty());

    let warn = local(&cfg("warn"));
    assert_eq!(warn.code, 0, "{}", warn.stderr);
    assert_eq!(warn.status("online-ddl"), "passed");
    let j = warn.json();
    let found = findings_of(&j, "blocks_writes");
    // Two copies everywhere, a third where this server copies for the character set.
    let copies = if statement(&j, "000006")["blocking"] == "copy" {
        3
    } else {
        2
    };
    assert_eq!(found.len(), copies, "{found:#?}");
    assert!(
        found.iter().all(|f| f["severity"] == "warning"),
        "{found:#?}"
    );
    // The console names each blocking statement on its own line.
    let lines: Vec<&str> = warn
        .stderr
        .lines()
        .filter(|l| l.contains("WARN blocks writes: "))
        .collect();
    assert_eq!(lines.len(), copies, "{}\n{}", warn.stdout, warn.stderr);
    assert!(lines[0].contains("000004 statement 1 on `orders`: copy (blocks writes)"));

    let required = local(&cfg("required"));
    assert_eq!(required.code, 1, "{}", required.stderr);
    assert_eq!(required.status("online-ddl"), "failed");
    let found = findings_of(&required.json(), "blocks_writes");
    assert!(
        found.iter().all(|f| f["severity"] == "blocking"),
        "{found:#?}"
    );
    assert!(found[0]["statement"]
        .as_str()
        .unwrap()
        .starts_with("ALTER TABLE orders"));
    let junit = required.file("junit.xml");
    assert!(junit.contains("copy (blocks writes)"), "{junit}");
    let html = required.file("report.html");
    assert!(html.contains("<table class=\"online\">"), "{html}");
}

#[test]
fn production_rows_give_an_estimate_with_its_measured_points() {
    let run = local("tests/fixtures/online-ddl/sql/harness.production.toml");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let j = run.json();
    for rev in ["000004", "000005", "000007"] {
        let e = &statement(&j, rev)["estimate"];
        assert_eq!(e["production_rows"], 5_000_000, "{rev}: {e}");
        let rows: Vec<u64> = e["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["rows"].as_u64().unwrap())
            .collect();
        assert_eq!(rows, [2000, 20000], "{rev}");
        assert!(e["estimate_ms"].as_u64().unwrap() > 0, "{rev}: {e}");
    }
    // Instant and online-without-rebuild changes are never timed.
    assert!(statement(&j, "000002").get("estimate").is_none());
    assert!(statement(&j, "000003").get("estimate").is_none());
    // The character-set change is timed where this server copies for it.
    let charset = statement(&j, "000006");
    assert_eq!(
        charset.get("estimate").is_some(),
        charset["blocking"] == "copy",
        "{charset}"
    );
    let md = run.file("report.md");
    let line = md
        .lines()
        .find(|l| l.contains("MODIFY total DECIMAL(12,2)") && l.starts_with("| 1 |"))
        .expect("the type change's row");
    assert!(
        line.contains("at 5,000,000 rows; measured ")
            && line.contains(" at 2k, ")
            && line.contains(" at 20k, "),
        "{line}"
    );
    // Without the key: no timing, no estimate.
    let plain = local("tests/fixtures/online-ddl/sql/harness.toml");
    assert!(!plain.file("report.json").contains("estimate"));
}

#[test]
fn a_chain_of_instant_and_online_changes_has_no_blocks_writes_finding() {
    for variant in ["sql", "alembic"] {
        let cfg = format!("tests/fixtures/online-ddl-clean/{variant}/harness.toml");
        let run = harness(
            &[
                "--config",
                &cfg,
                "--db",
                "local",
                "--scenario",
                "online-ddl",
                "--format",
                "json,md",
            ],
            &[],
        );
        assert_eq!(run.code, 0, "{variant}: {}", run.stderr);
        assert_eq!(run.status("online-ddl"), "passed", "{variant}");
        let j = run.json();
        assert!(findings_of(&j, "blocks_writes").is_empty(), "{variant}");
        let all: Vec<Value> = classified(&j).into_iter().map(|(_, s)| s).collect();
        assert!(!all.is_empty(), "{variant}: nothing classified");
        assert!(
            run.file("report.md")
                .contains("instant (ALGORITHM=INSTANT)"),
            "{variant}"
        );
    }
}

#[test]
fn the_examples_get_no_new_blocking_finding_under_defaults() {
    for cfg in [
        "harness.toml",
        "examples/golang-migrate/harness.toml",
        "examples/dbmate/harness.toml",
        "examples/alembic-basic/harness.toml",
    ] {
        let run = harness(
            &[
                "--config",
                cfg,
                "--db",
                "local",
                "--scenario",
                "online-ddl",
                "--format",
                "json",
            ],
            &[],
        );
        assert!(matches!(run.code, 0 | 4), "{cfg}: {}", run.stderr);
        let j = run.json();
        let blocking: Vec<Value> = j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "blocking")
            .cloned()
            .collect();
        assert!(blocking.is_empty(), "{cfg}: {blocking:#?}");
    }
}
