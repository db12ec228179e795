//! JUnit XML (quick-junit): one test suite per scenario and, inside it, one test case per
//! step (`chain / walk down 000021`, `round-trip / round trip 000002`), so CI shows which
//! revision broke. A failure carries the server's code and message, the failing statement and
//! what the failed step left behind (the half-applied state).

use std::collections::HashMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::RunSummary;
use crate::scenario::{ScenarioResult, Status, StepResult};

/// `walk down 000021`: the step's title up to its first colon, with the revision it ran
/// when the title does not already name it.
fn case_name(st: &StepResult) -> String {
    let (label, prefixed) = match st.title.split_once(": ") {
        Some((l, _)) => (l.trim(), true),
        None => (st.title.trim(), false),
    };
    match &st.revision {
        Some(r) if label.contains(r.as_str()) => label.to_string(),
        Some(r) if prefixed => format!("{label} {r}"),
        Some(r) => format!("{label} (at {r})"),
        None => label.to_string(),
    }
}

fn tail(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// The failure's body: the full message, server error, statement and the step's
/// verification bullets (which hold the half-applied state). The tool's output goes to
/// the case's system-out.
fn failure_text(st: &StepResult) -> String {
    let mut out = String::new();
    if let Some(m) = &st.message {
        out.push_str(m);
        out.push('\n');
    }
    if let Some(e) = &st.error {
        out.push_str(&format!("server error: {} {}\n", e.code, e.message));
    }
    if let Some(q) = st.statement.as_ref().map(|q| q.text()) {
        if !q.is_empty() {
            out.push_str(&format!("failing statement:\n{q}\n"));
        }
    }
    let diff = st.diff.iter().map(|d| d.to_string());
    for d in st.details.iter().cloned().chain(diff) {
        if Some(&d) != st.message.as_ref() {
            out.push_str(&format!("  {d}\n"));
        }
    }
    if let Some(d) = &st.online_ddl {
        for l in super::online::text_lines(d) {
            out.push_str(&format!("  {l}\n"));
        }
    }
    out
}

/// One line: `1091 Can't DROP COLUMN …: ALTER TABLE t1 DROP COLUMN x`.
fn failure_message(st: &StepResult) -> String {
    let what = match (&st.error, &st.message) {
        (Some(e), _) => format!("{} {}", e.code, e.message),
        (None, Some(m)) => m.lines().next().unwrap_or_default().to_string(),
        (None, None) => st.title.clone(),
    };
    match st.statement.as_ref().map(|q| q.text()) {
        Some(q) if !q.is_empty() => format!("{what} — statement: {}", q.replace('\n', " ")),
        _ => what,
    }
}

fn step_case(sc: &ScenarioResult, st: &StepResult, name: String) -> TestCase {
    let status = match (st.status, st.demoted) {
        (Status::Passed, _) => TestCaseStatus::success(),
        // The verdict policy counted it as a warning: not a CI failure, but visible.
        (_, Some(_)) => TestCaseStatus::success(),
        (Status::Skipped, _) => {
            let mut s = TestCaseStatus::skipped();
            if let Some(m) = &st.message {
                s.set_message(m.clone());
            }
            s
        }
        (Status::Failed | Status::Error, None) => {
            let mut s = TestCaseStatus::non_success(if st.status == Status::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            });
            s.set_message(failure_message(st));
            s.set_type(st.action.to_string());
            s.set_description(failure_text(st));
            s
        }
    };
    let mut tc = TestCase::new(name, status);
    tc.set_classname(format!("migration-harness.{}", sc.id));
    tc.set_time(Duration::from_millis(st.duration_ms));
    if st.demoted.is_some() && st.status != Status::Passed {
        tc.set_system_err(format!("counted as a warning:\n{}", failure_text(st)));
    }
    if let Some(l) = &st.log {
        tc.set_system_out(tail(l, 40));
    } else if let Some(d) = st
        .online_ddl
        .as_ref()
        .filter(|_| st.status == Status::Passed)
    {
        tc.set_system_out(super::online::text_lines(d).join("\n"));
    }
    tc
}

fn scenario_suite(sc: &ScenarioResult) -> TestSuite {
    let mut suite = TestSuite::new(format!("{} - {}", sc.id, sc.title));
    suite.set_time(Duration::from_millis(sc.duration_ms));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut failing_cases = 0;
    for st in &sc.steps {
        let base = format!("{} / {}", sc.id, case_name(st));
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 {
            base
        } else {
            format!("{base} #{n}")
        };
        if matches!(st.status, Status::Failed | Status::Error) && st.demoted.is_none() {
            failing_cases += 1;
        }
        suite.add_test_case(step_case(sc, st, name));
    }
    // A scenario that failed, errored or was skipped without a step to show it still
    // needs a case saying so (a skip whose steps all ran, their failures counted as
    // history, would otherwise read as passed).
    let needs_own = match sc.status {
        Status::Failed | Status::Error => failing_cases == 0,
        Status::Skipped => !sc.steps.iter().any(|s| s.status == Status::Skipped),
        Status::Passed => sc.steps.is_empty(),
    };
    if needs_own {
        let status = match sc.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(sc.details.clone());
                s
            }
            Status::Failed | Status::Error => {
                let mut s = TestCaseStatus::non_success(if sc.status == Status::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                });
                s.set_message(sc.details.clone());
                s.set_type("scenario");
                s
            }
        };
        let mut tc = TestCase::new(format!("{} / {}", sc.id, sc.title), status);
        tc.set_classname(format!("migration-harness.{}", sc.id));
        suite.add_test_case(tc);
    }
    suite
}

pub fn render_junit(s: &RunSummary) -> String {
    let mut report = Report::new(format!(
        "migration-harness {}",
        s.head.as_deref().unwrap_or("?")
    ));
    for sc in &s.scenarios {
        report.add_test_suite(scenario_suite(sc));
    }
    report.to_string().expect("junit serialises")
}
