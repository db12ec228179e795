//! Scenarios: files in one step vocabulary (`model`), the built-in ones (`builtin`), the
//! plan of what runs (`plan`, pure), the runner that executes steps and emits events
//! (`runner`), and the results it produces (`result`).

pub mod builtin;
pub mod context;
pub mod events;
pub mod info;
pub mod model;
pub mod plan;
pub mod result;
pub mod runner;
pub mod state;
pub mod step_kind;
mod steps;

pub use context::RunContext;
pub use events::{Event, PlannedId, RunStart};
pub use model::{Expect, ScenarioFile, Start, Step};
pub use plan::{plan, Disposition, Plan, PlannedScenario};
pub use result::{ScenarioResult, Status, StepResult};
pub use runner::run_plan;
pub use step_kind::{StepAction, StepPhase, WalkLeg};
