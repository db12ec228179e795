//! Reports: the sinks the run's event stream feeds (`sink`: console, collector, files,
//! GitHub), the `RunSummary` the collector folds, and one renderer per format (markdown and
//! HTML through askama, JSON, JUnit, …), each registered once in `Format::NAMES` and
//! `render_all_in`. Adding a format: docs/architecture.md.

mod codequality;
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
    /// The summary as a pull-request comment body, under a stable marker.
    PrComment,
    /// SARIF 2.1.0 for code scanning.
    Sarif,
    /// The one-screen summary for a release's notes.
    ReleaseNotes,
    /// GitLab Code Quality issues for the merge request.
    GitlabCodequality,
}

/// What a renderer needs beyond the summary: where the checkout is (SARIF paths are
/// relative to it) and where the full report will be published (release notes link to it).
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    pub root: PathBuf,
    pub report_url: Option<String>,
}

impl Format {
    /// Every format: its names on the command line (the first is the canonical one) and
    /// the file it is written to.
    const NAMES: [(Format, &'static [&'static str], &'static str); 8] = [
        (Format::Markdown, &["md", "markdown"], "report.md"),
        (Format::Html, &["html"], "report.html"),
        (Format::Json, &["json"], "report.json"),
        (Format::Junit, &["junit", "xml"], "junit.xml"),
        (Format::PrComment, &["pr-comment"], "pr-comment.md"),
        (Format::Sarif, &["sarif"], "report.sarif"),
        (Format::ReleaseNotes, &["release-notes"], "release-notes.md"),
        (
            Format::GitlabCodequality,
            &["gitlab-codequality"],
            "gl-code-quality-report.json",
        ),
    ];

    pub fn parse_list(s: &str) -> Result<Vec<Format>> {
        s.split(',')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|f| {
                Self::NAMES
                    .iter()
                    .find(|(_, names, _)| names.contains(&f))
                    .map(|(fmt, _, _)| *fmt)
                    .ok_or_else(|| {
                        let valid: Vec<&str> = Self::NAMES.iter().map(|(_, n, _)| n[0]).collect();
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
        self.entry().1[0]
    }

    pub fn file_name(self) -> &'static str {
        self.entry().2
    }

    fn entry(self) -> &'static (Format, &'static [&'static str], &'static str) {
        Self::NAMES
            .iter()
            .find(|(f, _, _)| *f == self)
            .expect("every format is in NAMES")
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
                Format::GitlabCodequality => codequality::render_codequality(s, &ctx.root),
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

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn every_format_parses_back_from_its_name_and_writes_its_own_file() {
        let mut files = Vec::new();
        for (f, names, file) in Format::NAMES {
            for n in names {
                assert_eq!(Format::parse_list(n).unwrap(), [f], "{n}");
            }
            assert_eq!(f.name(), names[0]);
            assert_eq!(f.file_name(), file);
            files.push(file);
        }
        files.sort();
        files.dedup();
        assert_eq!(files.len(), Format::NAMES.len(), "two formats, one file");
        let e = Format::parse_list("tap").unwrap_err().to_string();
        assert!(e.contains("gitlab-codequality"), "{e}");
    }
}
