//! Findings as typed data: the `Defect` a step records where it detects one, and the
//! deduplicated `Finding` a report shows once, with where it was seen and what caused it.
//! Vocabulary only; folding defects into findings lives in `report::findings`.

mod difference;

pub use difference::{differences, joined, same_change, DiffNote, SchemaDifference};

use serde::{Deserialize, Serialize};

use std::fmt;

use crate::compat::Incompatibility;
use crate::db::ServerError;
use crate::driver::{FailedStatement, SourceLine};
use crate::said::{Masked, Revs, Said, Words};

pub use crate::said::unqualified;

/// What is wrong. A finding's kind says what failed, not which scenario saw it: a broken
/// downgrade is `downgrade_fails` whether the walk, a round trip or the rollback hit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The revision graph is broken (duplicate id, missing parent, cycle, several heads, …).
    Graph,
    /// The server (or the tool) refused a migration's upgrade.
    UpgradeFails,
    /// The server (or the tool) refused a migration's downgrade.
    DowngradeFails,
    /// A downgrade ran but left a schema other than its parent's.
    DowngradeLeavesSchema,
    /// Rows seeded before a downgrade did not survive it.
    DataLost,
    /// Up → down → up: the second upgrade failed or gave another schema.
    RoundTripFails,
    /// A failed step left some of its statements applied, and running it again fails.
    HalfApplied,
    /// A deploy that crashed half-way through the migration cannot simply be run again.
    NotResumable,
    /// Running the head's upgrade again over its own changes fails (idempotency check).
    NotIdempotent,
    /// Migrating over the hand-applied hot-fix fails (hot-fix check).
    HotfixFails,
    /// The production error the scenario expected did not occur (reproduce-error check).
    ErrorNotReproduced,
    /// The schema differs from the one expected (a clean install, a snapshot).
    SchemaMismatch,
    /// The application's model and the schema disagree (model check, model queries).
    ModelMismatch,
    /// The deploy command cannot start (the app queries the schema at import).
    DeployBlocked,
    /// A migration whose upgrade is empty (or missing).
    EmptyUpgrade,
    /// A migration whose downgrade is empty, missing, or refuses to run.
    EmptyDowngrade,
    /// Any other check of a scenario that failed (an `sql` expectation, the version table).
    CheckFailed,
    /// A scenario could not run (a tool that would not start, a timeout, a lost server).
    ScenarioError,
    /// A schema change copies its table or locks out its writers for the whole statement.
    BlocksWrites,
    /// The previous release's code fails on the new schema (during a rolling deploy).
    BreaksPreviousRelease,
    /// The new release's code fails on the old schema (deployed before its migration).
    CodeAheadOfSchema,
}

impl Kind {
    /// Words for one line of a report: `downgrade fails`.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Graph => "revision graph",
            Kind::UpgradeFails => "upgrade fails",
            Kind::DowngradeFails => "downgrade fails",
            Kind::DowngradeLeavesSchema => "downgrade leaves the schema changed",
            Kind::DataLost => "downgrade loses data",
            Kind::RoundTripFails => "up → down → up fails",
            Kind::HalfApplied => "half-applied",
            Kind::NotResumable => "not resumable after a crash",
            Kind::NotIdempotent => "not idempotent",
            Kind::HotfixFails => "fails over the hot-fix",
            Kind::ErrorNotReproduced => "error not reproduced",
            Kind::SchemaMismatch => "schema differs",
            Kind::ModelMismatch => "model and schema disagree",
            Kind::DeployBlocked => "deploy blocked",
            Kind::EmptyUpgrade => "empty upgrade",
            Kind::EmptyDowngrade => "empty downgrade",
            Kind::CheckFailed => "check failed",
            Kind::ScenarioError => "could not run",
            Kind::BlocksWrites => "blocks writes",
            Kind::BreaksPreviousRelease => "breaks the previous release",
            Kind::CodeAheadOfSchema => "code ahead of schema",
        }
    }
}

/// How a finding counts. Ordered: the worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Fails the run.
    Blocking,
    /// Reported, does not fail the run: an opinionated check set to `warn`, a graph warning.
    Warning,
    /// A revision outside the gate's scope (before `--since` or the baseline).
    History,
}

impl Severity {
    pub fn word(self) -> &'static str {
        match self {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
            Severity::History => "history",
        }
    }
}

/// What a run again of a failed step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Retry {
    Recovers,
    Fails {
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ServerError>,
        /// The statement the re-run failed at (not necessarily the first run's).
        #[serde(flatten)]
        statement: Option<FailedStatement>,
        /// The tool's last words when the server said nothing.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        message: String,
    },
}

/// What a failed step left behind in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftBehind {
    /// Migration statements that ran (and stay applied) before the failing one.
    pub statements_applied: usize,
    /// 1-based position of the failing statement, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_statement: Option<usize>,
    /// `still at 3e5106ee570c` or `moved from 000003 to 000002 (dirty)`.
    pub version_table: String,
    /// Schema changes the failed step made (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<SchemaDifference>,
    pub retry: Retry,
}

impl LeftBehind {
    /// Applied statements or schema changes stay after the failure.
    pub fn is_half_applied(&self) -> bool {
        self.statements_applied > 0 || !self.changed.is_empty()
    }
}

/// One defect as a step saw it. The step's result carries it; the report folds equal
/// defects seen by several steps into one `Finding`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defect {
    pub kind: Kind,
    /// The revision whose migration is at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ServerError>,
    /// The statement the server refused.
    #[serde(flatten)]
    pub statement: Option<FailedStatement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left_behind: Option<LeftBehind>,
    /// Where the refused statement is written (file and line), when the driver knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_at: Option<SourceLine>,
    /// One line: what is wrong, expected vs actual.
    pub summary: Said,
    /// Schema differences (`- column user.api_token …`), typed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff: Vec<SchemaDifference>,
    /// Code and schema out of step: whose code, which table and column, what caused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compat: Option<Incompatibility>,
}

impl Defect {
    pub fn new(kind: Kind, revision: Option<&str>, summary: impl Into<Said>) -> Self {
        Defect {
            kind,
            revision: revision.map(str::to_string),
            error: None,
            statement: None,
            left_behind: None,
            statement_at: None,
            summary: summary.into(),
            diff: vec![],
            compat: None,
        }
    }

    pub fn with_error(
        mut self,
        error: Option<ServerError>,
        statement: Option<FailedStatement>,
    ) -> Self {
        self.error = error;
        self.statement = statement;
        self
    }

    pub fn with_statement_at(mut self, at: Option<SourceLine>) -> Self {
        self.statement_at = at;
        self
    }

    pub fn with_diff(mut self, diff: Vec<SchemaDifference>) -> Self {
        self.diff = diff;
        self
    }

    pub fn with_compat(mut self, i: Incompatibility) -> Self {
        self.compat = Some(i);
        self
    }

    pub fn with_left_behind(mut self, l: Option<LeftBehind>) -> Self {
        self.left_behind = l;
        self
    }
}

/// Where a defect was seen: in a scenario, or loading the migrations (the revision graph's
/// own findings, before any scenario ran).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Scenario(String),
    GraphLoad,
}

impl Place {
    /// The scenario id, or `revision graph` (report.json's `seen_in[].scenario`).
    pub fn name(&self) -> &str {
        match self {
            Place::Scenario(id) => id,
            Place::GraphLoad => "revision graph",
        }
    }

    pub fn is_scenario(&self, id: &str) -> bool {
        matches!(self, Place::Scenario(s) if s == id)
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Read back from report.json (`merge`): scenario ids are slugs, so the graph's name is
/// never one of them.
impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(match name.as_str() {
            "revision graph" => Place::GraphLoad,
            _ => Place::Scenario(name),
        })
    }
}

/// Where a finding was seen: a scenario, one of its steps, and how that sighting counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    pub scenario: Place,
    pub step: String,
    pub counted: Severity,
}

/// A finding's rank, from 1: written `F1`, `F2`, … (report.json's `id` and `caused_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FindingId(pub usize);

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "F{}", self.0)
    }
}

impl Serialize for FindingId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for FindingId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        id.strip_prefix('F')
            .and_then(|n| n.parse().ok())
            .map(FindingId)
            .ok_or_else(|| serde::de::Error::custom(format!("finding id `{id}` is not F<number>")))
    }
}

/// `F2, F5`: ids as a report lists them.
pub fn id_list(ids: &[FindingId]) -> String {
    ids.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A defect, once: every sighting folded in, ranked, and linked to what caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// `F1`, `F2`, … in rank order; `caused_by` refers to these.
    pub id: FindingId,
    /// The worst of its sightings.
    pub severity: Severity,
    /// The revision is one the gate judges (new since `--since` or after the baseline);
    /// findings that name no revision count as new.
    pub new: bool,
    /// The migration file and line for annotations: the failing statement's when the
    /// driver knew it, else the revision's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// What is wrong (kind, revision, error, statement, …), as its sightings said it.
    #[serde(flatten)]
    pub defect: Defect,
    pub seen_in: Vec<Seen>,
    /// Ids of earlier findings that explain this one (see `report::findings::link`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused_by: Vec<FindingId>,
}

impl Finding {
    /// What is wrong in one line: the summary, led by the kind's words unless the summary
    /// already says it (`downgrade of 000003 failed: …`).
    pub fn headline(&self) -> String {
        Masked::shown(&Headline(self))
    }
}

/// A finding's headline as a wording, so the report can group alike ones by its template.
pub struct Headline<'a>(pub &'a Finding);

impl Words for Headline<'_> {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        let d = &self.0.defect;
        match d.kind {
            Kind::UpgradeFails
            | Kind::DowngradeFails
            | Kind::DowngradeLeavesSchema
            | Kind::DataLost
            | Kind::RoundTripFails
            | Kind::NotResumable
            | Kind::DeployBlocked
            | Kind::EmptyUpgrade
            | Kind::EmptyDowngrade => d.summary.words(f, revs),
            k => {
                write!(f, "{}: ", k.words())?;
                d.summary.words(f, revs)
            }
        }
    }

    fn worded(&self) -> bool {
        self.0.defect.summary.worded()
    }
}

impl Finding {
    /// The scenarios that saw it, in order, each once.
    pub fn scenarios(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for s in &self.seen_in {
            if !out.contains(&s.scenario.name()) {
                out.push(s.scenario.name());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_statement_serializes_as_sql_and_position_wherever_it_sits() {
        let retry = Retry::Fails {
            error: None,
            statement: Some(FailedStatement::at("DROP INDEX ix ON item", 1, 2)),
            message: String::new(),
        };
        assert_eq!(
            serde_json::to_value(&retry).unwrap(),
            serde_json::json!({"outcome": "fails", "statement": "DROP INDEX ix ON item",
                               "statement_position": {"index": 1, "total": 2}})
        );
        let d = Defect::new(Kind::UpgradeFails, Some("r1"), "upgrade of r1 failed")
            .with_error(None, Some(FailedStatement::sql("ALTER TABLE t ADD x int")));
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["statement"], "ALTER TABLE t ADD x int");
        assert!(json.get("statement_position").is_none(), "{json}");
        let none = serde_json::to_value(Defect::new(Kind::Graph, None, "x")).unwrap();
        assert!(none.get("statement").is_none(), "{none}");
    }
}
