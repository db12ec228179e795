//! Reports: the sinks the run's event stream feeds (`sink`: console, collector, files,
//! GitHub), the `RunSummary` the collector folds, and one renderer per format (markdown and
//! HTML through askama, JSON, JUnit).

mod collect;
mod console;
mod files;
pub mod findings;
mod format;
mod github;
mod group;
mod html;
mod json;
mod junit;
mod markdown;
pub mod online;
pub mod pr_comment;
mod release_notes;
mod render;
mod sarif;
#[cfg(test)]
mod scale_tests;
mod sink;
mod summary;
mod view;

pub use collect::{Collector, Missing};
pub use console::Console;
pub use files::ReportFiles;
pub use format::{Format, RenderContext};
pub use github::{annotations, append_step_summary, Github};
pub use html::render_html;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use render::{render_all, render_all_in, render_step_summary, write_reports};
pub use sarif::render_sarif;
pub use sink::{Dispatcher, Outcome, Sink};
pub use summary::{
    revision_marks, ChainView, HarnessInfo, RevisionView, RunStatus, RunSummary, ServerInfo,
    Timings, ToolInfo, SCHEMA_VERSION,
};
