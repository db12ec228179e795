//! Release notes (`--format release-notes`, `templates/release-notes.md`): the one-screen
//! summary people paste into a release — verdict, counts, the findings under test one line
//! each, the rollback note — linking to the full report attached to the release.

use askama::Template;

use super::markdown::MarkdownText;
use super::summary::RunSummary;
use super::view::ReportView;

#[derive(Template)]
#[template(path = "release-notes.md")]
struct ReleaseNotes<'a> {
    s: &'a RunSummary,
    v: &'a ReportView,
    /// Where the full report is (`--report-url`, else the asset's file name).
    url: &'a str,
}

impl ReleaseNotes<'_> {
    fn report_link(&self) -> &str {
        self.url
    }
}

impl MarkdownText for ReleaseNotes<'_> {
    fn summary(&self) -> &RunSummary {
        self.s
    }
}

pub(super) fn render_view(s: &RunSummary, v: &ReportView, url: Option<&str>) -> String {
    ReleaseNotes {
        s,
        v,
        url: url.unwrap_or("report.html"),
    }
    .render()
    .expect("release-notes template renders")
}
