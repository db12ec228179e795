//! Reports: the `RunSummary` every format renders from, and one renderer per format
//! (markdown and HTML through askama, JSON, JUnit), plus the console and GitHub sinks.

mod console;
mod github;
mod html;
mod json;
mod junit;
mod markdown;
mod summary;
mod view;

pub use console::Console;
pub use github::{annotations, append_step_summary};
pub use html::render_html;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use summary::{
    revision_marks as summary_marks, ChainView, HarnessInfo, RevisionView, RunStatus, RunSummary,
    ServerInfo, Timings, ToolInfo,
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

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
        }
    }

    pub fn render(self, s: &RunSummary) -> String {
        match self {
            Format::Markdown => render_markdown(s),
            Format::Html => render_html(s),
            Format::Json => render_json(s),
            Format::Junit => render_junit(s),
        }
    }
}

/// Writes each format into `dir`; returns the paths written.
pub fn write_reports(s: &RunSummary, formats: &[Format], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| HarnessError::env(format!("cannot create {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for f in formats {
        let p = dir.join(f.file_name());
        std::fs::write(&p, f.render(s))
            .map_err(|e| HarnessError::env(format!("cannot write {}: {e}", p.display())))?;
        out.push(p);
    }
    Ok(out)
}
