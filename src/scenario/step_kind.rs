//! What a step result is, as data: its `StepAction` (the step type, the name report.json
//! writes as `action`) and its `StepPhase` (preparing the scenario's start or exercising
//! the migrations). Later stages match on these, never on a step's title.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The step type a result belongs to: one per scenario `Step` variant, plus the results
/// the per-revision steps emit one of per revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepAction {
    Upgrade,
    Downgrade,
    Stamp,
    Snapshot,
    ReferenceSnapshot,
    AssertSchemaEquals,
    AssertVersion,
    AssertQuery,
    ReportDiff,
    Sql,
    SeedData,
    AssertDataPreserved,
    Probes,
    AppCommand,
    ModelCheck,
    ChainChecks,
    Walk,
    Deploy,
    RoundTrips,
    /// One revision's up → down → up (the `round_trips` step emits one per revision).
    RoundTrip,
    CrashResume,
    OnlineDdl,
    Reset,
    Hotfix,
    BeginCheck,
    ReleaseCode,
}

impl StepAction {
    /// The name scenario files and report.json use: `assert_schema_equals`.
    pub fn name(self) -> &'static str {
        match self {
            StepAction::Upgrade => "upgrade",
            StepAction::Downgrade => "downgrade",
            StepAction::Stamp => "stamp",
            StepAction::Snapshot => "snapshot",
            StepAction::ReferenceSnapshot => "reference_snapshot",
            StepAction::AssertSchemaEquals => "assert_schema_equals",
            StepAction::AssertVersion => "assert_version",
            StepAction::AssertQuery => "assert_query",
            StepAction::ReportDiff => "report_diff",
            StepAction::Sql => "sql",
            StepAction::SeedData => "seed_data",
            StepAction::AssertDataPreserved => "assert_data_preserved",
            StepAction::Probes => "probes",
            StepAction::AppCommand => "app_command",
            StepAction::ModelCheck => "model_check",
            StepAction::ChainChecks => "chain_checks",
            StepAction::Walk => "walk",
            StepAction::Deploy => "deploy",
            StepAction::RoundTrips => "round_trips",
            StepAction::RoundTrip => "round_trip",
            StepAction::CrashResume => "crash_resume",
            StepAction::OnlineDdl => "online_ddl",
            StepAction::Reset => "reset",
            StepAction::Hotfix => "hotfix",
            StepAction::BeginCheck => "begin_check",
            StepAction::ReleaseCode => "release_code",
        }
    }
}

impl StepAction {
    /// The short name of a step family whose results each stand for one revision (or for
    /// the family as a whole, when it is skipped or fails before any revision): `round trip`
    /// for `round trip 000021`. `None` for the actions whose title is their name.
    pub fn family(self) -> Option<&'static str> {
        match self {
            StepAction::RoundTrips => Some("round trips"),
            StepAction::RoundTrip => Some("round trip"),
            StepAction::CrashResume => Some("crash-resume"),
            StepAction::OnlineDdl => Some("online DDL"),
            StepAction::Deploy => Some("deploy"),
            _ => None,
        }
    }
}

impl fmt::Display for StepAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which leg of the walk a per-revision upgrade or downgrade belongs to: the action says
/// `upgrade` on the way up and up again alike, so the JUnit case (`walk up again 000021`)
/// and the report's grouping read the leg here, never in the title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WalkLeg {
    Up,
    Down,
    UpAgain,
}

impl WalkLeg {
    /// `walk up again`: the leg's name in a test case or a line of the report.
    pub fn name(self) -> &'static str {
        match self {
            WalkLeg::Up => "walk up",
            WalkLeg::Down => "walk down",
            WalkLeg::UpAgain => "walk up again",
        }
    }
}

/// Which part of a scenario a step belongs to: bringing a fresh database to where the
/// scenario starts (upgrade to the baseline, the drift fixture), or the scenario proper.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepPhase {
    /// Preparing the start state; the report leaves its command and log out of the
    /// scenario's section, which is about the migrations under test.
    Prepare,
    #[default]
    Exercise,
}

impl StepPhase {
    pub fn is_exercise(&self) -> bool {
        *self == StepPhase::Exercise
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_step_names_the_action_its_file_spells() {
        use crate::scenario::model::Step;
        let steps = [
            Step::Upgrade {
                target: "head".into(),
            },
            Step::AssertSchemaEquals { name: "a".into() },
            Step::AssertQuery {
                sql: "SELECT 1".into(),
                rows: vec![vec![Some("1".into())]],
            },
            Step::SeedData,
            Step::ChainChecks,
            Step::RoundTrips {
                parent: Default::default(),
            },
            Step::OnlineDdl,
            Step::Hotfix {
                from: "a".into(),
                to: "b".into(),
            },
        ];
        for step in steps {
            let json = serde_json::to_value(&step).unwrap();
            assert_eq!(json["action"], step.action().name(), "{step:?}");
        }
    }

    #[test]
    fn an_action_serializes_as_the_name_it_displays() {
        for a in [
            StepAction::AssertSchemaEquals,
            StepAction::RoundTrip,
            StepAction::OnlineDdl,
            StepAction::ReleaseCode,
        ] {
            let json = serde_json::to_value(a).unwrap();
            assert_eq!(json, a.name(), "{a:?}");
            assert_eq!(a.to_string(), a.name());
            let back: StepAction = serde_json::from_value(json).unwrap();
            assert_eq!(back, a);
        }
    }
}
