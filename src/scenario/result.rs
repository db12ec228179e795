//! What running a scenario produced: `StepResult`s inside a `ScenarioResult`, as data.

use serde::{Deserialize, Serialize};

use super::model::{Aspect, Expect, ScenarioFile, Start};
pub use super::step_kind::{StepAction, StepPhase, WalkLeg};
use crate::config::StrictnessKey;
use crate::data::{DataLoss, QueryRows, SeedReport};
use crate::db::ServerError;
use crate::driver::FailedStatement;
use crate::findings::{Defect, SchemaDifference};
use crate::online::RevisionDdl;

use crate::said::{Lead, Revs, Said, Summed, Words};

/// What a warning is about; a warning never fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// An opinionated check set to `warn` failed.
    Check,
    /// A revision outside the gate's scope (history) failed.
    History,
    /// The revision graph (an empty downgrade, a tool that would not list its heads).
    Chain,
}

/// A problem reported but not counted against the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// For `check`: which `[scenarios]` key set it to `warn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<StrictnessKey>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub message: Said,
}

impl Warning {
    pub fn new(kind: WarningKind, message: impl Into<Said>) -> Self {
        Warning {
            kind,
            check: None,
            revision: None,
            message: message.into(),
        }
    }
}

impl Warning {
    /// The warning as a message: led by its check's key or its history revision.
    pub fn said(&self) -> Said {
        let lead = match (self.kind, self.check, &self.revision) {
            (WarningKind::Check, Some(k), _) => Lead::Check(k.key().to_string()),
            (WarningKind::History, _, Some(r)) => Lead::History(r.clone()),
            _ => Lead::None,
        };
        Summed::Warned {
            lead,
            message: Box::new(self.message.clone()),
        }
        .into()
    }
}

impl Words for Warning {
    fn words(&self, f: &mut std::fmt::Formatter<'_>, revs: Revs) -> std::fmt::Result {
        self.said().words(f, revs)
    }

    fn worded(&self) -> bool {
        self.message.worded()
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.words(f, Revs::Shown)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    Error,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Passed => "✅",
            Status::Failed => "❌",
            Status::Skipped => "⏭️",
            Status::Error => "⚠️",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "PASS",
            Status::Failed => "FAIL",
            Status::Skipped => "SKIP",
            Status::Error => "ERROR",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepResult {
    pub action: StepAction,
    /// Preparing the scenario's start or exercising the migrations (report.json writes
    /// `"phase": "prepare"` on the former; the latter is the default and left out).
    #[serde(default, skip_serializing_if = "StepPhase::is_exercise")]
    pub phase: StepPhase,
    /// The walk's per-revision results: which leg (`up`, `down`, `up_again`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk: Option<WalkLeg>,
    /// What a `sql` step expected of its statement (`ok`, `error`, `error:1062`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// Human line: `upgrade c682ef478e45 → head`.
    pub title: Said,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The tool's own output (bounded, redacted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ServerError>,
    /// What went wrong, in words (expected vs actual).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Said>,
    /// The statement the server refused (`statement`, and `statement_position` when the
    /// driver counted the file's statements).
    #[serde(flatten)]
    pub statement: Option<FailedStatement>,
    /// Verification bullets: what was checked and what was found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Said>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<SchemaDifference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data_loss: Vec<DataLoss>,
    /// What each seed of this step put in and what it could not (run information, folded
    /// into the report's `seeding`; never a finding).
    #[serde(skip)]
    pub seeding: Vec<SeedReport>,
    /// Problems found that do not fail the step (collected into the scenario's warnings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Set on a failed step the verdict policy counted as a warning of this kind (a check
    /// set to `warn`, or a revision outside the scope) rather than against the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub demoted: Option<WarningKind>,
    /// The opinionated check (`[scenarios]` key) this step belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<StrictnessKey>,
    /// What the step found wrong, typed; the report folds them into findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub defects: Vec<Defect>,
    /// `assert_query`: the rows expected and the rows the query returned, when they differ.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<Box<QueryRows>>,
    /// `online_ddl`: how each schema change of the revision holds up writers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub online_ddl: Option<Box<RevisionDdl>>,
}

impl StepResult {
    pub fn new(action: StepAction, title: impl Into<Said>) -> Self {
        StepResult {
            action,
            phase: StepPhase::Exercise,
            walk: None,
            expect: None,
            title: title.into(),
            status: Status::Passed,
            revision: None,
            duration_ms: 0,
            command: None,
            exit_code: None,
            log: None,
            error: None,
            message: None,
            statement: None,
            details: vec![],
            diff: vec![],
            data_loss: vec![],
            seeding: vec![],
            warnings: vec![],
            demoted: None,
            check: None,
            defects: vec![],
            query: None,
            online_ddl: None,
        }
    }

    /// Time spent in the migration tool: all of a step that ran a tool command.
    pub fn tool_ms(&self) -> u64 {
        if self.command.is_some() {
            self.duration_ms
        } else {
            0
        }
    }

    /// `message` is a typed message (its wording is under `said/`).
    pub fn fail(mut self, message: impl Into<Said>) -> Self {
        self.status = Status::Failed;
        self.message = Some(message.into());
        self
    }

    pub fn skip(mut self, message: impl Into<Said>) -> Self {
        self.status = Status::Skipped;
        self.message = Some(message.into());
        self
    }

    pub fn error(mut self, message: impl Into<Said>) -> Self {
        self.status = Status::Error;
        self.message = Some(message.into());
        self
    }

    pub fn detail(mut self, d: impl Into<Said>) -> Self {
        self.details.push(d.into());
        self
    }

    /// Records what is wrong as data (the message stays the human line).
    pub fn defect(mut self, d: Defect) -> Self {
        self.defects.push(d);
        self
    }

    pub fn warn(mut self, kind: WarningKind, message: impl Into<Said>) -> Self {
        self.warnings.push(Warning::new(kind, message));
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub duration_ms: u64,
    /// One line for the summary table (the seed's "Details" column).
    pub details: Said,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Said>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// From the scenario file: what it speaks to, and where it starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aspect: Option<Aspect>,
    /// Where it starts (the baseline or an empty database): the report's rollback advice
    /// reads it, so a merged report must too.
    #[serde(default)]
    pub start: Start,
    pub steps: Vec<StepResult>,
}

impl ScenarioResult {
    pub fn skipped(id: &str, title: &str, reason: impl Into<Said>) -> Self {
        let reason = reason.into();
        ScenarioResult {
            id: id.into(),
            title: title.into(),
            status: Status::Skipped,
            duration_ms: 0,
            details: reason.clone(),
            reason: Some(reason),
            warnings: vec![],
            database: None,
            aspect: None,
            start: Start::default(),
            steps: vec![],
        }
    }

    /// An empty result for `f`, passed until steps say otherwise.
    pub fn of(f: &ScenarioFile) -> Self {
        ScenarioResult {
            status: Status::Passed,
            details: Said::nothing(),
            reason: None,
            aspect: f.aspect,
            start: f.start,
            ..ScenarioResult::skipped(&f.id, &f.title, Said::nothing())
        }
    }

    /// First step that did not pass, for one-line explanations.
    pub fn first_problem(&self) -> Option<&StepResult> {
        self.steps
            .iter()
            .find(|s| matches!(s.status, Status::Failed | Status::Error))
    }
}
