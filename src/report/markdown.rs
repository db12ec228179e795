//! Markdown report (`templates/report.md`, askama, unescaped): the summary that fits any
//! chain (`view::digest`), linking to report.html and report.json for every step. The
//! summary itself is `templates/summary.md`, shared with the PR comment, the release notes
//! and the job summary. Text from tools goes through `cell`/`line`/`fence` so it cannot
//! break a table row or close a code block.

use askama::Template;

use super::summary::RunSummary;
use super::view::{self, ReportView};
use crate::scenario::Status;

/// The text helpers every markdown template calls as `self.…`.
pub(super) trait MarkdownText {
    fn summary(&self) -> &RunSummary;

    fn cell(&self, s: &str) -> String {
        view::md_cell(s)
    }

    fn line(&self, s: &str) -> String {
        view::md_line(s)
    }

    fn code(&self, s: &str) -> String {
        view::md_code(s)
    }

    fn fence(&self, s: &str) -> String {
        view::md_fence(s)
    }

    /// A table cell kept to one short line.
    fn short_cell(&self, s: &str) -> String {
        view::md_cell(&super::group::shorten(s, 240))
    }

    /// A list item kept to one short line.
    fn short_line(&self, s: &str) -> String {
        view::md_line(&super::group::shorten(s, 240))
    }

    /// Indents a block under a list item (four spaces) so it stays inside the bullet.
    fn indent(&self, s: &str) -> String {
        s.trim_end()
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn counts(&self) -> String {
        let s = self.summary();
        format!(
            "{} passed, {} failed, {} errors, {} skipped",
            s.count(Status::Passed),
            s.count(Status::Failed),
            s.count(Status::Error),
            s.count(Status::Skipped)
        )
    }

    /// `MariaDB 10.11.14`.
    fn server(&self) -> String {
        let s = self.summary();
        let engine = match s.server.engine {
            crate::provision::Engine::Mariadb => "MariaDB",
            _ => "MySQL",
        };
        format!("{engine} {}", s.server.version)
    }
}

#[derive(Template)]
#[template(path = "report.md")]
struct MarkdownReport<'a> {
    s: &'a RunSummary,
    v: &'a ReportView,
}

impl MarkdownText for MarkdownReport<'_> {
    fn summary(&self) -> &RunSummary {
        self.s
    }
}

pub fn render_markdown(s: &RunSummary) -> String {
    render_view(s, &view::build(s))
}

pub(super) fn render_view(s: &RunSummary, v: &ReportView) -> String {
    MarkdownReport { s, v }
        .render()
        .expect("markdown template renders")
}
