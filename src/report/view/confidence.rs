//! The confidence table: one rating per aspect, from the worst scenario covering it.

use crate::scenario::model::Aspect as Covers;
use crate::scenario::{ScenarioResult, Status};

use super::super::summary::RunSummary;

pub struct Aspect {
    pub name: &'static str,
    /// 0 (not rated) to 5, for the HTML meter.
    pub rating: u8,
    pub notes: String,
}

fn rating(st: Option<Status>, warnings: bool) -> u8 {
    match (st, warnings) {
        (Some(Status::Passed), false) => 5,
        (Some(Status::Passed), true) => 4,
        (Some(Status::Failed), _) => 1,
        _ => 0,
    }
}

fn aspect(summary: &RunSummary, name: &'static str, covers: Option<Covers>) -> Aspect {
    let all: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| covers.is_none() || s.aspect == covers)
        .collect();
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    let results: Vec<&ScenarioResult> = all
        .into_iter()
        .filter(|s| s.status != Status::Skipped)
        .collect();
    let worst = results.iter().map(|s| s.status).max_by_key(|s| match s {
        Status::Passed => 0,
        Status::Skipped => 1,
        Status::Failed => 2,
        Status::Error => 3,
    });
    let warnings = results.iter().any(|s| !s.warnings.is_empty());
    let rating = rating(worst, warnings);
    // A reference to the section, not the problem again: it is printed in full once.
    let notes = match worst {
        None => "not tested in this run".to_string(),
        Some(Status::Passed) if warnings => format!("passed with warnings ({})", ids.join(", ")),
        Some(Status::Passed) => format!("passed: {}", ids.join(", ")),
        Some(_) => results
            .iter()
            .filter(|s| s.status != Status::Passed)
            .map(|s| {
                format!(
                    "{} {} (Test {})",
                    s.id,
                    s.status.word(),
                    test_number(summary, &s.id)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    Aspect {
        name,
        rating,
        notes,
    }
}

pub fn test_number(summary: &RunSummary, id: &str) -> usize {
    summary
        .scenarios
        .iter()
        .position(|s| s.id == id)
        .map_or(0, |i| i + 1)
}
/// One row per aspect the seed report rates, and the overall readiness.
pub fn build(summary: &RunSummary) -> Vec<Aspect> {
    let go = summary.status == super::super::summary::RunStatus::Passed;
    vec![
        aspect(summary, "Upgrade", Some(Covers::Upgrade)),
        aspect(summary, "Idempotency", Some(Covers::Idempotency)),
        aspect(summary, "Rollback Safety", Some(Covers::Rollback)),
        aspect(
            summary,
            "Error Reproduction",
            Some(Covers::ErrorReproduction),
        ),
        {
            let mut a = aspect(summary, "Production Ready", None);
            if go {
                a.notes = format!(
                    "{} of {} scenarios passed",
                    summary.count(Status::Passed),
                    summary.scenarios.len()
                );
            }
            a
        },
    ]
}
