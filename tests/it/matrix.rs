//! A server matrix in one invocation. The uuid-matrix example adds a UUID column,
//! a type MariaDB has only from 10.7: on 10.5, 10.11 and 11.8 (`[server] matrix` in its
//! harness.toml) the run must fail on 10.5 only and say so as a divergence.

use crate::common;

use serde_json::Value;

#[test]
fn uuid_column_fails_on_mariadb_10_5_only_and_is_a_divergence() {
    let run = common::harness(
        &[
            "--config",
            "examples/uuid-matrix/harness.toml",
            "--scenario",
            "upgrade,downgrade",
            "--format",
            "md,json",
        ],
        &[],
    );
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let j = run.json();
    let m = &j["matrix"];
    let names: Vec<&str> = m["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[0].starts_with("MariaDB 10.5."), "{names:?}");
    assert!(names[1].starts_with("MariaDB 10.11."), "{names:?}");
    assert!(names[2].starts_with("MariaDB 11.8."), "{names:?}");

    let divergences = m["divergences"].as_array().unwrap();
    let scenarios: Vec<&str> = divergences
        .iter()
        .map(|d| d["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(scenarios, ["upgrade", "downgrade"], "{divergences:#?}");
    for d in divergences {
        assert_eq!(d["failing"], serde_json::json!([names[0]]));
        let summary = d["summary"].as_str().unwrap();
        assert!(
            summary.starts_with(&format!("fails on {} only: 4161 at 000002", names[0]))
                && summary.contains("UUID"),
            "{summary}"
        );
    }
    // Every scenario passes on the two newer servers.
    for row in m["scenarios"].as_array().unwrap() {
        let cells: Vec<&str> = row["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["status"].as_str().unwrap())
            .collect();
        assert_eq!(cells, ["failed", "passed", "passed"], "{row}");
    }
    // Each server's own full report sits beside the matrix and is embedded in it.
    for (i, label) in ["mariadb-10.5", "mariadb-10.11", "mariadb-11.8"]
        .iter()
        .enumerate()
    {
        let own = run
            .out
            .path()
            .join("servers")
            .join(label)
            .join("report.json");
        let own: Value = serde_json::from_str(&std::fs::read_to_string(&own).unwrap()).unwrap();
        assert_eq!(j["runs"][i]["report"]["server"], own["server"]);
    }
    let md = run.file("report.md");
    assert!(md.contains("| Scenario | MariaDB 10.5."), "{md}");
    assert!(
        md.contains(&format!(
            "- **upgrade, downgrade** fails on {} only: 4161 at 000002",
            names[0]
        )),
        "{md}"
    );
}

/// A test case's name and its failure's message.
type Case = (String, Option<String>);

/// Each `<testsuite>`'s name and its cases, from a JUnit file.
fn junit_suites(xml: &str) -> Vec<(String, Vec<Case>)> {
    use quick_xml::events::Event;
    let attr = |e: &quick_xml::events::BytesStart, name: &str| {
        e.try_get_attribute(name)
            .unwrap()
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap()
                    .into_owned()
            })
            .unwrap_or_default()
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed JUnit XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testsuite" => suites.push((attr(&e, "name"), Vec::new())),
                b"testcase" => {
                    let suite = suites.last_mut().expect("a case inside a suite");
                    suite.1.push((attr(&e, "name"), None));
                }
                b"failure" | b"error" => {
                    let case = suites.last_mut().and_then(|s| s.1.last_mut());
                    case.expect("a failure inside a case").1 = Some(attr(&e, "message"));
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    suites
}

#[test]
fn servers_that_both_fail_differently_diverge_each_quoted_in_every_format() {
    // 10.5 refuses the UUID type (4161), 10.11 the UUID_v7() default (1901).
    let summary_dir = tempfile::tempdir().unwrap();
    let step_summary = summary_dir.path().join("step-summary.md");
    let run = common::harness(
        &[
            "--config",
            "tests/fixtures/uuid-v7/harness.toml",
            "--image",
            "migration-harness/mariadb:10.5,migration-harness/mariadb:10.11",
            "--scenario",
            "upgrade",
            "--format",
            "md,html,json,junit,sarif",
        ],
        &[("GITHUB_STEP_SUMMARY", step_summary.to_str().unwrap())],
    );
    assert_eq!(
        run.code, 1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    let m = &run.json()["matrix"];
    let divergences = m["divergences"].as_array().unwrap();
    assert_eq!(divergences.len(), 1, "{divergences:#?}");
    let d = &divergences[0];
    assert_eq!(d["scenario"], "upgrade");
    assert_eq!(d["failing"].as_array().unwrap().len(), 2, "{d}");
    let codes: Vec<u64> = d["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["failure"]["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [4161, 1901], "{d}");
    let summary = d["summary"].as_str().unwrap();
    for want in [
        "differs between servers: failed on MariaDB 10.5.",
        "4161 at 000002 — Unknown data type: 'UUID'",
        "failed on MariaDB 10.11.",
        "1901 at 000002 — Function or expression '`UUID_v7`()' cannot be used in the DEFAULT clause",
    ] {
        assert!(summary.contains(want), "{want} not in {summary}");
    }
    let md = run.file("report.md");
    assert!(md.contains(&format!("- **upgrade** {summary}")), "{md}");

    // The same sinks as a run: every format the matrix has is a file beside report.md.
    for f in ["report.md", "report.html", "report.json", "junit.xml"] {
        assert!(run.out.path().join(f).exists(), "no matrix {f}");
    }
    // SARIF is about one run's findings: each server's own report has it, the matrix not.
    assert!(!run.out.path().join("report.sarif").exists());
    assert!(run
        .out
        .path()
        .join("servers/mariadb-10.5/report.sarif")
        .exists());
    assert!(
        run.stderr
            .contains("sarif: about one run's findings, so only in each server's own report"),
        "{}",
        run.stderr
    );

    let suites = junit_suites(&run.file("junit.xml"));
    let names: Vec<&str> = suites.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(suites.len(), 2, "one suite per server: {names:?}");
    assert!(names[0].starts_with("MariaDB 10.5."), "{names:?}");
    assert!(names[1].starts_with("MariaDB 10.11."), "{names:?}");
    for ((_, cases), code) in suites.iter().zip(["4161", "1901"]) {
        assert_eq!(cases.len(), 1, "one case per scenario: {cases:?}");
        let (name, failure) = &cases[0];
        assert!(name.starts_with("upgrade"), "{name}");
        let failure = failure.as_deref().expect("a failing case");
        assert!(
            failure.starts_with(&format!("{code} at 000002")),
            "{failure}"
        );
    }

    let html = run.file("report.html");
    assert!(
        html.contains("<thead><tr><th>Scenario</th><th>MariaDB 10.5."),
        "{html}"
    );
    assert_eq!(html.matches("<tr class=\"scenario\">").count(), 1, "{html}");
    assert_eq!(html.matches("<td class=\"cell fail\"").count(), 2, "{html}");

    // The matrix's markdown lands in the step summary once; the children write none.
    let written = std::fs::read_to_string(&step_summary).unwrap();
    assert_eq!(written, format!("{md}\n"));
    assert_eq!(written.matches("# Server Matrix").count(), 1, "{written}");
    assert!(
        run.stderr
            .contains("appended the matrix report to $GITHUB_STEP_SUMMARY"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("matrix FAILED — NO-GO: 2 servers, 1 divergence, exit code 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_image_on_the_command_line_overrides_the_config_matrix() {
    let image = common::image();
    let run = common::harness(
        &[
            "--config",
            "examples/uuid-matrix/harness.toml",
            "--scenario",
            "upgrade",
            "--image",
            &image,
            "--db",
            "container",
        ],
        &[],
    );
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert!(run.json()["matrix"].is_null());
    assert_eq!(run.status("upgrade"), "passed");
}

#[test]
fn image_list_with_db_local_is_a_usage_error() {
    let run = common::harness(
        &[
            "--config",
            "examples/uuid-matrix/harness.toml",
            "--image",
            "a:1,b:2",
            "--db",
            "local",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot run under --db local"),
        "{}",
        run.stderr
    );
}
