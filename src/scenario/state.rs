//! What one scenario carries from step to step (`ScenarioState`), what a step returns
//! (`StepOutcome`), and the baseline the run prepares once for every scenario.

use std::collections::HashMap;

use super::result::StepResult;
use crate::data::TableContents;
use crate::driver::{DbTarget, Target};
use crate::schema::Snapshot;

/// What one scenario accumulates as it goes: its database, named snapshots, seeded data.
pub struct ScenarioState {
    pub db: DbTarget,
    pub snapshots: HashMap<String, Snapshot>,
    pub seeded: Option<(Snapshot, Vec<TableContents>)>,
    /// The last downgrade step: the revision it started from and its target, for blaming
    /// what a later assertion finds on the revision it undid.
    pub downgraded: Option<(Option<String>, Target)>,
    used: Vec<String>,
}

impl ScenarioState {
    pub fn new(db: DbTarget) -> Self {
        let used = vec![db.database.clone()];
        ScenarioState {
            db,
            snapshots: HashMap::new(),
            seeded: None,
            downgraded: None,
            used,
        }
    }

    /// Records a database this scenario created, so it is dropped at the end.
    pub fn created(&mut self, database: String) {
        self.used.push(database);
    }

    /// Every database this scenario created (to drop at the end).
    pub fn databases(&self) -> Vec<String> {
        self.used.clone()
    }

    /// The one revision the last downgrade undid: what a schema or data assertion after it
    /// blames. None when it undid several (the walk and the round trips, which go one
    /// revision at a time, name the culprit) or the start is unknown.
    pub fn undone(&self, order: &[String]) -> Option<String> {
        let (from, to) = self.downgraded.as_ref()?;
        let from = order.iter().position(|o| Some(o) == from.as_ref())?;
        let to = match to {
            Target::Base => None,
            Target::Revision(r) => Some(order.iter().position(|o| o == r)?),
            Target::Head | Target::Relative(_) => return None,
        };
        (from == to.map_or(0, |t| t + 1)).then(|| order[from].clone())
    }
}

pub struct StepOutcome {
    pub results: Vec<StepResult>,
    /// Set when the scenario as a whole does not apply (e.g. nothing to reproduce).
    pub skip_scenario: Option<crate::said::Said>,
}

impl From<StepResult> for StepOutcome {
    fn from(r: StepResult) -> Self {
        StepOutcome {
            results: vec![r],
            skip_scenario: None,
        }
    }
}

/// The baseline state as the run prepared it once, in a database of its own: what each
/// scenario starting at the baseline gets a copy of.
pub struct BaselineTemplate {
    pub(crate) database: String,
    pub(crate) results: Vec<StepResult>,
    pub(crate) snapshot: Option<Snapshot>,
}
