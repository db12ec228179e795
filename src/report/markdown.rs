//! Markdown report (`templates/report.md`, askama, unescaped): the seed report's sections,
//! filled from the run. Text from tools goes through `cell`/`line`/`fence` so it cannot break
//! a table row or close a code block.

use askama::Template;

use super::summary::RunSummary;
use super::view::{self, ReportView};
use crate::scenario::Status;

#[derive(Template)]
#[template(path = "report.md")]
struct MarkdownReport<'a> {
    s: &'a RunSummary,
    v: &'a ReportView,
}

impl MarkdownReport<'_> {
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

    /// Indents a block under a list item (four spaces) so it stays inside the bullet.
    fn indent(&self, s: &str) -> String {
        s.trim_end()
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn fence_all(&self, lines: &[String]) -> String {
        view::md_fence(&lines.join("\n"))
    }

    fn counts(&self) -> String {
        format!(
            "{} passed, {} failed, {} errors, {} skipped",
            self.s.count(Status::Passed),
            self.s.count(Status::Failed),
            self.s.count(Status::Error),
            self.s.count(Status::Skipped)
        )
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
