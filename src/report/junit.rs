//! JUnit XML (quick-junit): one test suite per scenario and, inside it, one test case per
//! step (`chain / walk down 000021`, `round-trip / round trip 000002`), so CI shows which
//! revision broke. A failure carries the server's code and message, the failing statement and
//! what the failed step left behind (the half-applied state).

use std::collections::HashMap;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::summary::RunSummary;
use crate::scenario::{ScenarioResult, Status, StepAction, StepPhase, StepResult};

/// `walk down 000021`: the case is named from what the step is, as data — the phase
/// (`prepare`), the walk's leg, the command a model check ran, what a `sql` step expected
/// (its statement is in the title), the step family of a
/// per-revision action (`round trip`, `deploy`) — followed by the revision; any other step
/// by its title, with the revision it ran when the title does not already name it.
fn case_name(st: &StepResult) -> String {
    let short = match (st.phase, st.walk, st.action, &st.command, st.expect) {
        (StepPhase::Prepare, ..) => Some("prepare".to_string()),
        (_, Some(leg), ..) => Some(leg.name().to_string()),
        (_, None, StepAction::ModelCheck, Some(command), _) => Some(format!("`{command}`")),
        (_, None, StepAction::Sql, _, Some(expect)) => {
            Some(format!("sql expecting {}", String::from(expect)))
        }
        (_, None, action, ..) => action.family().map(str::to_string),
    };
    let title = st.title.to_string();
    match (short, &st.revision) {
        (Some(s), Some(r)) => format!("{s} {r}"),
        (Some(s), None) => s,
        (None, Some(r)) if !title.contains(r.as_str()) => format!("{title} (at {r})"),
        (None, _) => title,
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
        out.push_str(&format!("{m}\n"));
    }
    if let Some(e) = &st.error {
        out.push_str(&format!("server error: {} {}\n", e.code, e.message));
    }
    if let Some(q) = st.statement.as_ref().map(|q| q.text()) {
        if !q.is_empty() {
            out.push_str(&format!("failing statement:\n{q}\n"));
        }
    }
    let message = st.message.as_ref().map(ToString::to_string);
    let details = st.details.iter().map(ToString::to_string);
    let diff = st.diff.iter().map(|d| d.to_string());
    for d in details.chain(diff) {
        if Some(&d) != message.as_ref() {
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
        (None, Some(m)) => m.to_string().lines().next().unwrap_or_default().to_string(),
        (None, None) => st.title.to_string(),
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
                s.set_message(m.to_string());
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
                s.set_message(sc.details.to_string());
                s
            }
            Status::Failed | Status::Error => {
                let mut s = TestCaseStatus::non_success(if sc.status == Status::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                });
                s.set_message(sc.details.to_string());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::WalkLeg;

    fn step(action: StepAction, title: &str, revision: Option<&str>) -> StepResult {
        StepResult {
            revision: revision.map(str::to_string),
            ..StepResult::new(action, title)
        }
    }

    #[test]
    fn the_walks_legs_are_named_by_the_leg_and_the_revision() {
        for (leg, action, name) in [
            (WalkLeg::Up, StepAction::Upgrade, "walk up r2"),
            (WalkLeg::Down, StepAction::Downgrade, "walk down r2"),
            (WalkLeg::UpAgain, StepAction::Upgrade, "walk up again r2"),
        ] {
            let mut st = step(action, "any words: r2 → r1", Some("r2"));
            st.walk = Some(leg);
            assert_eq!(case_name(&st), name);
        }
    }

    #[test]
    fn preparation_and_step_families_are_named_without_their_description() {
        let mut st = step(StepAction::Upgrade, "get ready somehow", Some("b1"));
        st.phase = StepPhase::Prepare;
        assert_eq!(case_name(&st), "prepare b1");
        let deploy = step(
            StepAction::Deploy,
            "deploy as production runs it",
            Some("h"),
        );
        assert_eq!(case_name(&deploy), "deploy h");
        let trips = step(StepAction::RoundTrips, "round trips for all", None);
        assert_eq!(case_name(&trips), "round trips");
    }

    #[test]
    fn a_model_check_is_named_by_the_command_it_ran() {
        let mut st = step(StepAction::ModelCheck, "model matches schema", None);
        assert_eq!(case_name(&st), "model matches schema");
        st.command = Some("flask db check".into());
        assert_eq!(case_name(&st), "`flask db check`");
    }

    #[test]
    fn a_sql_step_is_named_by_what_it_expected_not_by_its_statement() {
        let mut st = step(
            StepAction::Sql,
            "sql expecting ok: INSERT INTO t VALUES ('a: b')",
            None,
        );
        st.expect = Some(crate::scenario::model::Expect::Error(1062));
        assert_eq!(case_name(&st), "sql expecting error:1062");
    }

    #[test]
    fn a_title_with_a_colon_of_its_own_is_not_cut() {
        // An application command may hold `: `; the old cut named the case after half of it.
        let st = step(
            StepAction::AppCommand,
            "`sh -c 'echo a: b'` expecting ok",
            Some("r3"),
        );
        assert_eq!(case_name(&st), "`sh -c 'echo a: b'` expecting ok (at r3)");
        let named = step(StepAction::Upgrade, "upgrade → head (r3)", Some("r3"));
        assert_eq!(case_name(&named), "upgrade → head (r3)");
    }
}
