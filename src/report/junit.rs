//! JUnit XML (quick-junit): one testcase per scenario; failures carry the message and the
//! step log so CI systems show them natively.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::RunSummary;
use crate::scenario::Status;

fn step_log(s: &crate::scenario::ScenarioResult) -> String {
    let mut out = String::new();
    for st in &s.steps {
        out.push_str(&format!(
            "[{}] {} ({} ms)\n",
            st.status.word(),
            st.title,
            st.duration_ms
        ));
        if let Some(m) = &st.message {
            out.push_str(&format!("    {m}\n"));
        }
        for d in st.details.iter().chain(st.diff.iter()) {
            out.push_str(&format!("    {d}\n"));
        }
        if let Some(l) = &st.log {
            if st.status != Status::Passed {
                for line in l
                    .lines()
                    .rev()
                    .take(40)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    out.push_str(&format!("    | {line}\n"));
                }
            }
        }
    }
    out
}

pub fn render_junit(s: &RunSummary) -> String {
    let mut report = Report::new("migration-harness");
    let mut suite = TestSuite::new(format!("migrations {}", s.head.as_deref().unwrap_or("?")));
    for sc in &s.scenarios {
        let status = match sc.status {
            Status::Passed => TestCaseStatus::success(),
            Status::Skipped => {
                let mut st = TestCaseStatus::skipped();
                st.set_message(sc.details.clone());
                st
            }
            Status::Failed | Status::Error => {
                let mut st = TestCaseStatus::non_success(if sc.status == Status::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                });
                st.set_message(sc.details.clone());
                st.set_type(
                    sc.first_problem()
                        .map(|p| p.action.clone())
                        .unwrap_or_else(|| "scenario".into()),
                );
                st.set_description(step_log(sc));
                st
            }
        };
        let mut tc = TestCase::new(format!("{} - {}", sc.id, sc.title), status);
        tc.set_classname("migration-harness");
        tc.set_time(Duration::from_millis(sc.duration_ms));
        tc.set_system_out(step_log(sc));
        suite.add_test_case(tc);
    }
    report.add_test_suite(suite);
    report.to_string().expect("junit serialises")
}
