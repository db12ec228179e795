//! The report formats (`--format`), their names on the command line and their file names,
//! and what a renderer needs beyond the summary.

use std::path::PathBuf;

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
