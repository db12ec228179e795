//! Folding the reports of `--partition K/N` runs back into the one summary an unpartitioned
//! run would have written (pure; `crate::merge` reads the files and checks they fit).
//!
//! Partition 1 ran the whole-chain scenarios: their results are its. A per-revision scenario
//! (round trips, crash-resume, online DDL) ran in every partition, each on its own revisions:
//! its steps are the partitions' steps in chain order — a step every partition's spine
//! produced alike (a revision the spine could not pass) kept once — and its status, warnings
//! and one-line details are concluded from them as the runner concludes them. The findings
//! are derived again from the merged scenarios, so a defect two partitions saw is one finding.

use super::summary::{RunStatus, RunSummary, Timings};
use crate::config::History;
use crate::data::SeedNotes;
use crate::said::{Said, Summed};
use crate::scenario::result::{Warning, WarningKind};
use crate::scenario::{ScenarioResult, Status, StepResult};

/// One summary from the partitions of one run (each `partition` set, all of one chain and
/// server, every partition present: `crate::merge` checks that before).
pub fn fold_partitions(mut parts: Vec<RunSummary>) -> RunSummary {
    parts.sort_by_key(|p| p.partition.as_ref().map_or(0, |q| q.index));
    let order: Vec<String> = parts[0]
        .chain
        .revisions
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let position = |rev: &str| order.iter().position(|o| o == rev);
    let first = parts[0].clone();
    let scenarios: Vec<ScenarioResult> = first
        .scenarios
        .iter()
        .map(|s| {
            let results: Vec<&ScenarioResult> = parts
                .iter()
                .filter_map(|p| p.scenarios.iter().find(|r| r.id == s.id))
                .collect();
            merge_scenario(&results, &position)
        })
        .collect();
    let findings = super::findings::derive(&first.chain, &first.scope, &scenarios);
    let nothing_new = first.scope.new.is_empty() && first.scope.history == History::Informational;
    let broken = parts.iter().find(|p| p.status == RunStatus::Error);
    RunSummary {
        status: match broken {
            Some(_) => RunStatus::Error,
            None => RunStatus::of(&scenarios, false, nothing_new),
        },
        started_at: parts
            .iter()
            .map(|p| p.started_at)
            .min()
            .unwrap_or(first.started_at),
        finished_at: parts
            .iter()
            .map(|p| p.finished_at)
            .max()
            .unwrap_or(first.finished_at),
        partition: None,
        seeding: seeding(&parts),
        findings,
        scenarios,
        timings: timings(&parts),
        error: parts.iter().find_map(|p| {
            let q = p.partition.as_ref()?;
            p.error
                .as_ref()
                .map(|e| format!("partition {}/{}: {e}", q.index, q.count))
        }),
        ..first
    }
}

/// The partitions ran side by side: the merged run took as long as the slowest one; tool
/// and harness time add up (as they do over concurrent scenarios).
fn timings(parts: &[RunSummary]) -> Timings {
    let max = |f: fn(&Timings) -> u64| parts.iter().map(|p| f(&p.timings)).max().unwrap_or(0);
    let sum = |f: fn(&Timings) -> u64| parts.iter().map(|p| f(&p.timings)).sum();
    Timings {
        total_ms: max(|t| t.total_ms),
        server_start_ms: max(|t| t.server_start_ms),
        server_wait_ms: max(|t| t.server_wait_ms),
        tool_ms: sum(|t| t.tool_ms),
        harness_ms: sum(|t| t.harness_ms),
    }
}

/// Each seeding cause once over all partitions; every table counted once.
fn seeding(parts: &[RunSummary]) -> SeedNotes {
    let mut tables: Vec<String> = Vec::new();
    for t in parts
        .iter()
        .filter_map(|p| p.partition.as_ref())
        .flat_map(|q| &q.seeded_tables)
    {
        if !tables.contains(t) {
            tables.push(t.clone());
        }
    }
    let mut out = SeedNotes::default();
    for p in parts {
        out.absorb(&p.seeding, &tables);
    }
    if out.is_clean() {
        SeedNotes::default()
    } else {
        out
    }
}

/// One scenario from its partitions' results. A result without steps (a whole-chain
/// scenario partitions 2..N skipped, a partition with no revision of its own) adds nothing
/// unless it is an error.
fn merge_scenario(
    results: &[&ScenarioResult],
    position: &dyn Fn(&str) -> Option<usize>,
) -> ScenarioResult {
    let worked: Vec<&ScenarioResult> = results
        .iter()
        .copied()
        .filter(|r| !r.steps.is_empty() || r.status == Status::Error)
        .collect();
    match worked.as_slice() {
        [] => return results[0].clone(),
        [one] => return (*one).clone(),
        _ => {}
    }
    let steps = merge_steps(&worked, position);
    let status = [Status::Error, Status::Failed, Status::Passed]
        .into_iter()
        .find(|st| worked.iter().any(|r| r.status == *st))
        .unwrap_or(Status::Skipped);
    let warnings = warnings_of(&steps);
    let like = worked.iter().find(|r| r.status == status).copied();
    let mut out = ScenarioResult {
        status,
        duration_ms: worked.iter().map(|r| r.duration_ms).sum(),
        warnings,
        steps,
        reason: like.and_then(|r| r.reason.clone()),
        ..worked[0].clone()
    };
    out.details = details(&out, like, &worked);
    if status == Status::Skipped {
        out.reason = Some(out.details.clone());
    }
    out
}

/// The partitions' steps in chain order; a step several partitions produced alike (the
/// spine stopping at a revision) once; a passing note that names no revision ("no revision
/// sends more than one statement") only when no partition checked a revision.
fn merge_steps(
    worked: &[&ScenarioResult],
    position: &dyn Fn(&str) -> Option<usize>,
) -> Vec<StepResult> {
    type Key = (String, String, Option<String>, Status, Option<String>);
    // Read back from report.json, the words are all that is left of the messages.
    let key = |s: &StepResult| -> Key {
        (
            s.action.to_string(),
            s.title.to_string(),
            s.revision.clone(),
            s.status,
            s.message.as_ref().map(ToString::to_string),
        )
    };
    let mut seen: Vec<Key> = Vec::new();
    let mut at_revision: Vec<(usize, StepResult)> = Vec::new();
    let mut rest: Vec<StepResult> = Vec::new();
    for s in worked.iter().flat_map(|r| &r.steps) {
        let k = key(s);
        if seen.contains(&k) {
            continue;
        }
        seen.push(k);
        match s.revision.as_deref().and_then(position) {
            Some(p) => at_revision.push((p, s.clone())),
            None => rest.push(s.clone()),
        }
    }
    at_revision.sort_by_key(|(p, _)| *p);
    if !at_revision.is_empty() {
        rest.retain(|s| s.status != Status::Passed);
    }
    at_revision
        .into_iter()
        .map(|(_, s)| s)
        .chain(rest)
        .collect()
}

/// The scenario's warnings as the runner collects them: the demoted failures in step order,
/// then the steps' own warnings. A per-revision step's failure is pinned on the revision
/// it ran, so a demoted one names it.
fn warnings_of(steps: &[StepResult]) -> Vec<Warning> {
    let demoted = steps
        .iter()
        .filter(|s| s.status == Status::Failed)
        .filter_map(|s| {
            let kind = s.demoted?;
            Some(Warning {
                kind,
                check: s.check.filter(|_| kind == WarningKind::Check),
                revision: s.revision.clone(),
                message: s.message.clone().unwrap_or_else(|| s.title.clone()),
            })
        });
    let own = steps.iter().flat_map(|s| s.warnings.iter().cloned());
    demoted.chain(own).collect::<Vec<_>>()
}

/// The one line of the summary table, concluded as the runner concludes it
/// (`runner::settle`), from the same `Summed` lines.
fn details(
    merged: &ScenarioResult,
    like: Option<&ScenarioResult>,
    worked: &[&ScenarioResult],
) -> Said {
    match merged.status {
        Status::Passed if !merged.warnings.is_empty() => Summed::PassedWithWarnings {
            warnings: merged.warnings.iter().map(Warning::said).collect(),
        }
        .into(),
        // The file's own words for a pass are the same in every partition.
        Status::Passed => like.map_or_else(Said::nothing, |r| r.details.clone()),
        Status::Skipped if worked.windows(2).all(|w| w[0].details == w[1].details) => {
            worked[0].details.clone()
        }
        Status::Skipped => Summed::NothingTested {
            why: Box::new(
                merged
                    .warnings
                    .first()
                    .map(Warning::said)
                    .unwrap_or_else(|| Summed::EveryStepSkipped.into()),
            ),
        }
        .into(),
        Status::Failed | Status::Error => Summed::Failed {
            reason: merged.reason.clone().map(Box::new),
            problems: merged
                .steps
                .iter()
                .filter(|s| matches!(s.status, Status::Failed | Status::Error))
                .filter(|s| s.demoted.is_none())
                .map(|s| s.message.clone().unwrap_or_else(|| s.title.clone()))
                .collect(),
        }
        .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(rev: &str, status: Status) -> StepResult {
        StepResult {
            status,
            revision: Some(rev.into()),
            message: (status != Status::Passed).then(|| format!("trip {rev} failed").into()),
            ..StepResult::new(
                crate::scenario::StepAction::RoundTrip,
                format!("round trip {rev}"),
            )
        }
    }

    fn result(steps: Vec<StepResult>, status: Status) -> ScenarioResult {
        ScenarioResult {
            status,
            details: "every revision round-trips".into(),
            steps,
            duration_ms: 10,
            reason: None,
            ..ScenarioResult::skipped("round-trip", "Round trips", "")
        }
    }

    fn position(rev: &str) -> Option<usize> {
        ["r1", "r2", "r3", "r4"].iter().position(|r| *r == rev)
    }

    #[test]
    fn partitions_steps_interleave_in_chain_order_and_the_worst_status_wins() {
        let one = result(
            vec![trip("r1", Status::Passed), trip("r3", Status::Failed)],
            Status::Failed,
        );
        let two = result(
            vec![trip("r2", Status::Passed), trip("r4", Status::Passed)],
            Status::Passed,
        );
        let m = merge_scenario(&[&one, &two], &position);
        let revs: Vec<&str> = m
            .steps
            .iter()
            .filter_map(|s| s.revision.as_deref())
            .collect();
        assert_eq!(revs, ["r1", "r2", "r3", "r4"]);
        assert_eq!(m.status, Status::Failed);
        assert_eq!(m.details, "trip r3 failed");
        assert_eq!(m.duration_ms, 20);
    }

    #[test]
    fn a_step_every_spine_produced_is_kept_once_and_a_lone_note_is_dropped() {
        let stuck = trip("r3", Status::Skipped);
        let note = StepResult::new(crate::scenario::StepAction::CrashResume, "crash-resume")
            .detail("nothing to stop");
        let one = result(
            vec![trip("r1", Status::Passed), stuck.clone()],
            Status::Passed,
        );
        let two = result(vec![note, stuck], Status::Skipped);
        let m = merge_scenario(&[&one, &two], &position);
        let titles: Vec<String> = m.steps.iter().map(|s| s.title.to_string()).collect();
        assert_eq!(titles, ["round trip r1", "round trip r3"]);
        assert_eq!(m.status, Status::Passed);
        assert_eq!(m.details, "every revision round-trips");
    }

    #[test]
    fn a_demoted_failure_becomes_the_merged_scenarios_warning() {
        let mut old = trip("r2", Status::Failed);
        old.demoted = Some(WarningKind::History);
        let one = result(vec![trip("r1", Status::Passed)], Status::Passed);
        let two = result(vec![old], Status::Skipped);
        let m = merge_scenario(&[&one, &two], &position);
        assert_eq!(m.status, Status::Passed);
        assert_eq!(m.warnings.len(), 1);
        assert_eq!(m.warnings[0].revision.as_deref(), Some("r2"));
        assert!(
            m.details
                .to_string()
                .starts_with("passed with warnings: history (r2"),
            "{}",
            m.details
        );
    }
}
