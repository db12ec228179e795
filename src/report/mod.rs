//! Reports: the sinks the run's event stream feeds (`sink`: console, collector, files,
//! GitHub), the `RunSummary` the collector folds, and one renderer per format (markdown and
//! HTML through askama, JSON, JUnit).

mod collect;
mod console;
mod files;
pub mod findings;
mod github;
mod group;
mod html;
mod json;
mod junit;
mod markdown;
mod sink;
mod summary;
mod view;

pub use collect::{Collector, Missing};
pub use console::Console;
pub use files::ReportFiles;
pub use github::{annotations, append_step_summary, Github};
pub use html::render_html;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use sink::{Dispatcher, Outcome, Sink};
pub use summary::{
    revision_marks, ChainView, HarnessInfo, RevisionView, RunStatus, RunSummary, ServerInfo,
    Timings, ToolInfo, SCHEMA_VERSION,
};

use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
    Junit,
}

impl Format {
    pub fn parse_list(s: &str) -> Result<Vec<Format>> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|f| match f {
                "md" | "markdown" => Ok(Format::Markdown),
                "html" => Ok(Format::Html),
                "json" => Ok(Format::Json),
                "junit" | "xml" => Ok(Format::Junit),
                other => Err(HarnessError::usage(format!(
                    "unknown format `{other}`; valid: md, html, json, junit"
                ))),
            })
            .collect()
    }

    /// The `--format` word for it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Json => "json",
            Format::Junit => "junit",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
        }
    }
}

/// Renders each requested format once; markdown and HTML share one view model.
pub fn render_all(s: &RunSummary, formats: &[Format]) -> Vec<(Format, String)> {
    let v = view::build(s);
    formats
        .iter()
        .map(|f| {
            let text = match f {
                Format::Markdown => markdown::render_view(s, &v),
                Format::Html => html::render_view(s, &v),
                Format::Json => render_json(s),
                Format::Junit => render_junit(s),
            };
            (*f, text)
        })
        .collect()
}

/// Writes rendered reports into `dir`; returns the paths written.
pub fn write_reports(rendered: &[(Format, String)], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| HarnessError::env(format!("cannot create {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for (f, text) in rendered {
        let p = dir.join(f.file_name());
        std::fs::write(&p, text)
            .map_err(|e| HarnessError::env(format!("cannot write {}: {e}", p.display())))?;
        out.push(p);
    }
    Ok(out)
}
