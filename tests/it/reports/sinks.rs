//! One event stream feeds every sink: on real local runs, the console (live lines and the
//! verdict line) and report.json say the same thing, scenarios in plan order even when
//! `--jobs 3` finishes them out of order, a panicked scenario included.

use crate::common;

use std::collections::HashMap;

use common::{harness, Run};

const FIXTURE: &str = "tests/fixtures/two-broken-downs/sql/harness.toml";

fn run(env: &[(&str, &str)]) -> Run {
    harness(
        &[
            "--config",
            FIXTURE,
            "--db",
            "local",
            "--scenario",
            "all",
            "--jobs",
            "3",
        ],
        env,
    )
}

/// Scenario ids in plan order, as `--list-scenarios` prints them.
fn plan_order() -> Vec<String> {
    let out = std::process::Command::new(common::bin())
        .current_dir(common::repo())
        .args(["--config", FIXTURE, "--list-scenarios"])
        .output()
        .expect("list scenarios");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

fn word(status: &str) -> &'static str {
    match status {
        "passed" => "PASS",
        "failed" => "FAIL",
        "skipped" => "SKIP",
        "error" => "ERROR",
        other => panic!("unknown status {other}"),
    }
}

/// Asserts the console and report.json agree; returns report.json's status per scenario.
fn console_and_report_agree(run: &Run) -> HashMap<String, String> {
    let j = run.json();
    let scenarios = j["scenarios"].as_array().expect("scenarios");
    let ids: Vec<String> = scenarios
        .iter()
        .map(|s| s["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        ids,
        plan_order(),
        "report.json lists scenarios in plan order"
    );
    let status: HashMap<String, String> = scenarios
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap_or_default().to_string(),
                s["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let count = |st: &str| status.values().filter(|v| *v == st).count();

    // The verdict line: `FAILED — NO-GO: 4 passed, 4 failed, 0 errors, 2 skipped in …`.
    let verdict = regex::Regex::new(
        r"(PASSED|FAILED|ERROR|NOTHING TESTED) — [^:]*: (\d+) passed, (\d+) failed, (\d+) errors, (\d+) skipped",
    )
    .unwrap();
    let c = verdict
        .captures(&run.stderr)
        .unwrap_or_else(|| panic!("no verdict line in:\n{}", run.stderr));
    let n = |i: usize| c[i].parse::<usize>().unwrap();
    assert_eq!(
        (n(2), n(3), n(4), n(5)),
        (
            count("passed"),
            count("failed"),
            count("error"),
            count("skipped")
        ),
        "console counts vs report.json; stderr:\n{}",
        run.stderr
    );
    let run_word = match j["status"].as_str() {
        Some("passed") => "PASSED",
        Some("failed") => "FAILED",
        Some("error") => "ERROR",
        _ => "NOTHING TESTED",
    };
    assert_eq!(&c[1], run_word);

    // The live line each scenario printed when it finished (timestamped, unlike the table).
    let live =
        regex::Regex::new(r"(?m)^\[\d\d:\d\d:\d\d\] \S+ +(\S+) +(PASS|FAIL|SKIP|ERROR) ").unwrap();
    let lines: HashMap<String, String> = live
        .captures_iter(&run.stderr)
        .map(|c| (c[1].to_string(), c[2].to_string()))
        .collect();
    assert_eq!(lines.len(), ids.len(), "one live line per scenario");
    for (id, st) in &status {
        assert_eq!(
            lines.get(id).map(String::as_str),
            Some(word(st)),
            "live line of {id} vs report.json"
        );
    }
    status
}

#[test]
fn console_and_report_json_agree_on_a_real_run() {
    let r = run(&[]);
    let status = console_and_report_agree(&r);
    assert_eq!(r.code, 1, "two broken downgrades fail the run");
    let n = |st: &str| status.values().filter(|v| *v == st).count();
    assert!(
        n("passed") > 0 && n("failed") > 0,
        "a run with both outcomes, so equal counts say something: {status:?}"
    );
    // Step by step too: the live line of each failed step says how it counts, as
    // report.json does (the verdict is applied before the step is sent).
    let j = r.json();
    let mut demoted = 0;
    for sc in j["scenarios"].as_array().unwrap() {
        let id = sc["id"].as_str().unwrap();
        for st in sc["steps"].as_array().unwrap() {
            if st["status"] != "failed" {
                continue;
            }
            let title = st["title"].as_str().unwrap();
            let live: Vec<&str> = r
                .stderr
                .lines()
                .filter(|l| l.contains(&format!(" {id} ")) && l.contains(&format!("FAIL {title}")))
                .collect();
            assert!(!live.is_empty(), "no live line for {id} / {title}");
            let warned = live.iter().all(|l| l.ends_with("(counted as a warning)"));
            assert_eq!(warned, !st["demoted"].is_null(), "{id} / {title}: {live:?}");
            demoted += usize::from(warned);
        }
    }
    assert!(
        demoted > 0,
        "a history failure, so the check says something"
    );
}

#[test]
fn a_panicked_scenario_is_an_error_in_both_and_the_rest_still_report() {
    let r = run(&[("MH_TEST_PANIC_SCENARIO", "upgrade")]);
    let status = console_and_report_agree(&r);
    assert_eq!(status.get("upgrade").map(String::as_str), Some("error"));
    assert!(
        r.scenario("upgrade")["reason"]
            .as_str()
            .is_some_and(|w| w.contains("injected by MH_TEST_PANIC_SCENARIO")),
        "the panic's message is the reason"
    );
    assert_eq!(
        status.get("verify-head").map(String::as_str),
        Some("passed")
    );
    assert_eq!(r.code, 1);
}
