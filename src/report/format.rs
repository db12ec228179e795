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
                    .ok_or_else(|| HarnessError::UnknownValue {
                        what: "format",
                        value: f.to_string(),
                        valid: Self::NAMES
                            .iter()
                            .map(|(_, n, _)| n[0].to_string())
                            .collect(),
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

#[cfg(test)]
mod tests {
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
