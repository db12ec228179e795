//! Deployment recommendations: prerequisites, the deploy steps in the tool's own commands,
//! what to fix first, and the rollback production would run (verified or not).

use crate::findings::{Kind, Severity};
use crate::scenario::model::Aspect as Covers;
use crate::scenario::{ScenarioResult, Start, Status, StepAction};

use super::super::group::Grouper;
use super::super::summary::RunSummary;
use super::confidence::test_number;
use super::findings::finding_lines;

pub struct Deployment {
    pub prerequisites: Vec<String>,
    pub steps: Vec<String>,
    pub blockers: Vec<String>,
    pub rollback: Rollback,
}

/// The rollback plan: whether the downgrade was verified, and what to run.
pub struct Rollback {
    pub note: String,
    pub steps: Vec<String>,
}

/// `short`: each scenario's one-line verdict, in plan order.
pub fn build(summary: &RunSummary, g: &Grouper, short: &[String]) -> Deployment {
    let head = summary
        .head
        .clone()
        .unwrap_or_else(|| "(no single head)".into());
    let cmds = &summary.tool.commands;
    let prerequisites = vec![
        "Back up the production database before deployment (e.g. `mysqldump --single-transaction DB > backup.sql`)".to_string(),
        "Run this harness against a copy of production's schema if it may have drifted ([baseline] setup_sql)".to_string(),
        "Have the rollback procedure below ready".to_string(),
    ];
    let deploy_steps = vec![
        "Deploy the new code with the migration".to_string(),
        format!("Run: `{}`", cmds.upgrade),
        format!("Verify: `{}` shows {head}", cmds.current),
        "Verify: the application starts without \"Unknown column\" (1054) errors".to_string(),
        "Monitor logs for errors".to_string(),
    ];
    Deployment {
        prerequisites,
        steps: deploy_steps,
        blockers: blockers(summary, g, short),
        rollback: rollback(summary, short),
    }
}

fn short_of(summary: &RunSummary, short: &[String], id: &str) -> (usize, String) {
    let i = test_number(summary, id);
    (i, short.get(i.wrapping_sub(1)).cloned().unwrap_or_default())
}

/// What to fix first: the blocking findings, ranked; a failed scenario whose failure
/// typed no finding (none should) still shows.
fn blockers(summary: &RunSummary, g: &Grouper, short: &[String]) -> Vec<String> {
    let failing: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Error))
        .collect();
    let mut blockers: Vec<String> = finding_lines(summary, g, |f| f.severity == Severity::Blocking)
        .into_iter()
        .map(|l| match l.id {
            Some(id) => format!("{id}: {}", l.text),
            None => l.text,
        })
        .collect();
    blockers.extend(
        failing
            .iter()
            .filter(|s| {
                !summary.findings.iter().any(|f| {
                    f.severity == Severity::Blocking
                        && f.seen_in.iter().any(|x| x.scenario.is_scenario(&s.id))
                })
            })
            .map(|s| {
                let (i, text) = short_of(summary, short, &s.id);
                format!("{} ({}): {text} — Test {i}", s.title, s.id)
            }),
    );
    blockers
}

/// The rollback production would run: from the baseline, not the chain walk from empty.
pub fn rollback(summary: &RunSummary, short: &[String]) -> Rollback {
    let head = summary
        .head
        .clone()
        .unwrap_or_else(|| "(no single head)".into());
    let baseline = summary.baseline.clone().unwrap_or_else(|| "base".into());
    let cmds = &summary.tool.commands;
    let down = summary
        .scenarios
        .iter()
        .find(|s| s.aspect == Some(Covers::Rollback) && s.start == Start::Baseline);
    let down_ok = down.is_some_and(|d| d.status == Status::Passed);
    // Claim only what the scenario checked: rows restored only when it seeded rows.
    let seeded = down.is_some_and(|d| {
        d.steps
            .iter()
            .any(|st| st.action == StepAction::SeedData && st.status == Status::Passed)
    });
    let (rollback_note, rollback_steps) = if down_ok {
        let verified = if seeded {
            format!("The downgrade {head} → {baseline} was verified with rows seeded: the schema and the seeded rows were restored.")
        } else {
            format!("The downgrade {head} → {baseline} was verified on the schema only (no rows were seeded): the schema was restored; data was not checked.")
        };
        (
            match unsafe_elsewhere(summary, &head) {
                // Verified from the baseline as production has it; from another start (the
                // chain built from empty) the same downgrade failed: both are true, say so.
                Some(ids) => format!(
                    "{verified} This holds from the baseline as production has it; on a database built from empty the same downgrade is not safe ({ids})."
                ),
                None => verified,
            },
            vec![
                "Stop the application".to_string(),
                format!("Run: `{} {baseline}`", cmds.downgrade_to),
                format!("Verify: `{}` shows {baseline}", cmds.current),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    } else {
        (
            match down {
                Some(d) if d.status != Status::Skipped => format!(
                    "Do NOT rely on the downgrade: {} (Test {}). Restore from the backup instead.",
                    short_of(summary, short, &d.id).1,
                    test_number(summary, &d.id)
                ),
                _ => "The downgrade was not verified in this run: restore from the backup."
                    .to_string(),
            },
            vec![
                "Stop the application".to_string(),
                "Restore the database from the backup: `mysql -u USER -p DB < backup.sql`"
                    .to_string(),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    };
    Rollback {
        note: rollback_note,
        steps: rollback_steps,
    }
}

/// The blocking findings against `head`'s downgrade (`F1, F2`), which other scenarios saw
/// from other starts than the baseline.
fn unsafe_elsewhere(summary: &RunSummary, head: &str) -> Option<String> {
    let ids: Vec<String> = summary
        .findings
        .iter()
        .filter(|f| {
            f.severity == Severity::Blocking
                && f.defect.revision.as_deref() == Some(head)
                && matches!(
                    f.defect.kind,
                    Kind::DowngradeFails | Kind::DowngradeLeavesSchema | Kind::DataLost
                )
        })
        .map(|f| f.id.to_string())
        .collect();
    (!ids.is_empty()).then(|| ids.join(", "))
}
