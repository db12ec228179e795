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
pub mod merge;
pub mod online;
pub mod pr_comment;
mod release_notes;
mod sarif;
#[cfg(test)]
mod scale_tests;
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
pub use sarif::render_sarif;
pub use sink::{render as render_sinks, Dispatcher, Outcome, Sink};
#[cfg(test)]
pub(crate) use summary::fixture::summary as summary_fixture;
pub use summary::{
    revision_marks, ChainView, HarnessInfo, PartialRun, RevisionView, RunStatus, RunSummary,
    ServerInfo, Timings, ToolInfo, SCHEMA_VERSION,
};

use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
    Junit,
    /// The summary as a pull-request comment body, under a stable marker.
    PrComment,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// The one-screen summary for a release's notes.
    ReleaseNotes,
}

/// What a renderer needs beyond the summary: where the checkout is (SARIF paths are
/// relative to it) and where the full report will be published (release notes link to it).
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    pub root: PathBuf,
    pub report_url: Option<String>,
}

impl Format {
    /// Every format, with its names on the command line (the first is the canonical one).
    const NAMES: [(Format, &'static [&'static str]); 7] = [
        (Format::Markdown, &["md", "markdown"]),
        (Format::Html, &["html"]),
        (Format::Json, &["json"]),
        (Format::Junit, &["junit", "xml"]),
        (Format::PrComment, &["pr-comment"]),
        (Format::Sarif, &["sarif"]),
        (Format::ReleaseNotes, &["release-notes"]),
    ];

    pub fn parse_list(s: &str) -> Result<Vec<Format>> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|f| {
                Self::NAMES
                    .iter()
                    .find(|(_, names)| names.contains(&f))
                    .map(|(fmt, _)| *fmt)
                    .ok_or_else(|| {
                        let valid: Vec<&str> = Self::NAMES.iter().map(|(_, n)| n[0]).collect();
                        HarnessError::usage(format!(
                            "unknown format `{f}`; valid: {}",
                            valid.join(", ")
                        ))
                    })
            })
            .collect()
    }

    /// The `--format` word for it.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("md", |(_, names)| names[0])
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Markdown => "report.md",
            Format::Html => "report.html",
            Format::Json => "report.json",
            Format::Junit => "junit.xml",
            Format::PrComment => "pr-comment.md",
            Format::Sarif => "report.sarif",
            Format::ReleaseNotes => "release-notes.md",
        }
    }
}

/// Renders each requested format once; the human formats share one view model.
pub fn render_all(s: &RunSummary, formats: &[Format]) -> Vec<(Format, String)> {
    render_all_in(s, formats, &RenderContext::default())
}

pub fn render_all_in(
    s: &RunSummary,
    formats: &[Format],
    ctx: &RenderContext,
) -> Vec<(Format, String)> {
    let v = view::build(s);
    formats
        .iter()
        .map(|f| {
            let text = match f {
                Format::Markdown => markdown::render_view(s, &v),
                Format::Html => html::render_view(s, &v),
                Format::Json => render_json(s),
                Format::Junit => render_junit(s),
                Format::PrComment => pr_comment::render_view(s, &v),
                Format::Sarif => render_sarif(s, &ctx.root),
                Format::ReleaseNotes => {
                    release_notes::render_view(s, &v, ctx.report_url.as_deref())
                }
            };
            (*f, text)
        })
        .collect()
}

/// The summary the PR comment carries, for `$GITHUB_STEP_SUMMARY` (1 MiB limit).
pub fn render_step_summary(s: &RunSummary) -> String {
    pr_comment::render_view(s, &view::build(s))
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
