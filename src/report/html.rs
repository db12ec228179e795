//! HTML report (`templates/report.html`, askama with HTML escaping): one self-contained page,
//! inline CSS and SVG, no network.

use askama::Template;

use super::summary::{RunStatus, RunSummary};
use super::view::{self, ReportView};

#[derive(Template)]
#[template(path = "report.html")]
struct HtmlReport<'a> {
    s: &'a RunSummary,
    v: &'a ReportView,
}

impl HtmlReport<'_> {
    fn status_class(&self) -> &'static str {
        match self.s.status {
            RunStatus::Passed => "pass",
            RunStatus::Failed => "fail",
            RunStatus::Error => "error",
            RunStatus::Skipped => "skip",
        }
    }

    fn class_of(&self, word: &str) -> &'static str {
        match word {
            "PASS" => "pass",
            "FAIL" => "fail",
            "SKIP" => "skip",
            _ => "error",
        }
    }

    fn diff_class(&self, line: &str) -> &'static str {
        match line.chars().next() {
            Some('+') => "diff-add",
            Some('-') => "diff-del",
            _ => "diff-mod",
        }
    }
}

pub fn render_html(s: &RunSummary) -> String {
    render_view(s, &view::build(s))
}

pub(super) fn render_view(s: &RunSummary, v: &ReportView) -> String {
    HtmlReport { s, v }.render().expect("html template renders")
}
