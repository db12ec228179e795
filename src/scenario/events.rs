//! Events the runner emits while it works; reporters (console, summary) fold them.

use super::result::{ScenarioResult, StepResult};

#[derive(Debug, Clone)]
pub enum Event {
    ScenarioStarted { id: String, title: String },
    StepFinished { scenario: String, step: StepResult },
    ScenarioFinished { result: ScenarioResult },
}
