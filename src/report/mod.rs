//! Reports: the sinks the run's event stream feeds (`sink`: console, collector, files,
//! GitHub), the `RunSummary` the collector folds, and one renderer per format (markdown and
//! HTML through askama, JSON, JUnit, …), each registered once in `format.rs`'s
//! `Format::NAMES` and `render.rs`'s `render_all_in`. Adding a format: docs/architecture.md.
//! `matrix/` is the server matrix's data and renderers, rendered through the same sinks.

mod codequality;
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
pub mod matrix;
pub mod merge;
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
pub use sink::{render as render_sinks, Dispatcher, Outcome, Sink};
#[cfg(test)]
pub(crate) use summary::fixture::summary as summary_fixture;
pub use summary::{
    revision_marks, ChainView, HarnessInfo, PartialRun, RevisionView, RunStatus, RunSummary,
    ServerInfo, Timings, ToolInfo, SCHEMA_VERSION,
};
