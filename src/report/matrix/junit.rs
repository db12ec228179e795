//! The matrix's `junit.xml`: one test suite per server, one test case per scenario, so CI
//! shows which scenario failed on which server. A failing case carries the server's own
//! code and message; a scenario the servers disagree on says so in the case's output.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::model::{Cell, CellStatus, MatrixRow, MatrixSummary, ServerColumn};
use super::wording::divergence_text;

fn case_status(cell: &Cell, server: &ServerColumn) -> TestCaseStatus {
    let kind = match cell.status {
        CellStatus::Passed => return TestCaseStatus::success(),
        CellStatus::Skipped => return TestCaseStatus::skipped(),
        CellStatus::Failed => NonSuccessKind::Failure,
        CellStatus::Error | CellStatus::Missing => NonSuccessKind::Error,
    };
    let mut s = TestCaseStatus::non_success(kind);
    match (&cell.failure, cell.status) {
        (Some(f), _) => {
            s.set_message(f.to_string());
            s.set_type(f.action.to_string());
            s.set_description(format!(
                "{}{}\n",
                f.code
                    .map(|c| format!("server error: {c} "))
                    .unwrap_or_default(),
                f.message
            ));
        }
        (None, CellStatus::Missing) => {
            s.set_message(format!("no result from {}", server.name));
            s.set_type("server");
            if let Some(e) = &server.error {
                s.set_description(e.clone());
            }
        }
        (None, _) => {
            s.set_message(format!("{} on {}", cell.status.word(), server.name));
            s.set_type("scenario");
        }
    }
    s
}

fn server_suite(ms: &MatrixSummary, i: usize, server: &ServerColumn) -> TestSuite {
    let mut suite = TestSuite::new(format!("{} ({})", server.name, server.target));
    for row in &ms.matrix.scenarios {
        let Some(cell) = row.cells.get(i) else {
            continue;
        };
        suite.add_test_case(scenario_case(ms, row, cell, server));
    }
    suite
}

fn scenario_case(
    ms: &MatrixSummary,
    row: &MatrixRow,
    cell: &Cell,
    server: &ServerColumn,
) -> TestCase {
    let mut tc = TestCase::new(
        format!("{} - {}", row.scenario, row.title),
        case_status(cell, server),
    );
    tc.set_classname(format!("migration-harness.{}", server.label));
    let diverging: Vec<String> = ms
        .matrix
        .divergences
        .iter()
        .filter(|d| d.scenario == row.scenario)
        .map(|d| format!("divergence: {}", divergence_text(d)))
        .collect();
    if !diverging.is_empty() {
        tc.set_system_out(diverging.join("\n"));
    }
    tc
}

pub fn render_junit(ms: &MatrixSummary) -> String {
    let mut report = Report::new(format!("migration-harness matrix {}", ms.project));
    for (i, server) in ms.matrix.servers.iter().enumerate() {
        report.add_test_suite(server_suite(ms, i, server));
    }
    report.to_string().expect("junit serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn one_suite_per_server_one_case_per_scenario_failures_carry_the_servers_code() {
        let xml = render_junit(&fixture());
        assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
        assert_eq!(xml.matches("<testcase ").count(), 4, "{xml}");
        assert_eq!(xml.matches("<failure ").count(), 1, "{xml}");
        assert!(
            xml.contains(r#"name="MariaDB 10.5.23 (migration-harness/mariadb:10.5)" tests="2" skipped="0" errors="0" failures="1""#),
            "{xml}"
        );
        assert!(
            xml.contains("message=\"4161 at 000002 — Unknown data type: &apos;UUID&apos;\""),
            "{xml}"
        );
        assert!(
            xml.contains("divergence: fails on MariaDB 10.5.23 only"),
            "{xml}"
        );
    }

    #[test]
    fn a_server_without_result_is_an_error_case_with_its_error() {
        let mut ms = fixture();
        ms.matrix.servers[1].error = Some("image not found".into());
        for r in &mut ms.matrix.scenarios {
            r.cells[1] = Cell {
                status: CellStatus::Missing,
                failure: None,
            };
        }
        let xml = render_junit(&ms);
        assert_eq!(xml.matches("<error ").count(), 2, "{xml}");
        assert!(xml.contains("no result from MariaDB 11.8.3"), "{xml}");
        assert!(xml.contains("image not found"), "{xml}");
    }
}
