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

    fn mark(&self, class: &str) -> &'static str {
        mark_svg(class)
    }

    /// Five boxes, `n` filled: the confidence rating without star glyphs.
    fn meter(&self, n: &u8) -> String {
        if *n == 0 {
            return r#"<span class="meta">not rated</span>"#.to_string();
        }
        let boxes: String = (0..5)
            .map(|i| {
                if i < *n {
                    r#"<i class="on"></i>"#
                } else {
                    "<i></i>"
                }
            })
            .collect();
        format!(
            r#"<span class="meter{}" role="img" aria-label="{n} of 5">{boxes}</span>"#,
            if *n <= 2 { " low" } else { "" }
        )
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

/// A pass/fail mark drawn as inline SVG (coloured by the class's CSS), not an emoji that
/// depends on the viewer's fonts. `class` is one of ours, never report text.
pub(super) fn mark_svg(class: &str) -> &'static str {
    match class {
        "pass" => {
            r#"<svg class="mark pass" viewBox="0 0 16 16" role="img" aria-label="pass"><circle cx="8" cy="8" r="8"/><path d="M4.5 8.5l2.3 2.3L11.5 5.8"/></svg>"#
        }
        "fail" => {
            r#"<svg class="mark fail" viewBox="0 0 16 16" role="img" aria-label="fail"><circle cx="8" cy="8" r="8"/><path d="M5.5 5.5l5 5M10.5 5.5l-5 5"/></svg>"#
        }
        "skip" => {
            r#"<svg class="mark skip" viewBox="0 0 16 16" role="img" aria-label="skipped"><circle cx="8" cy="8" r="8"/><path d="M5 8h6"/></svg>"#
        }
        "warn" => {
            r#"<svg class="mark warn" viewBox="0 0 16 16" role="img" aria-label="warning"><rect width="16" height="16" rx="3"/><path d="M8 4.2v4.8M8 11.6v.2"/></svg>"#
        }
        _ => {
            r#"<svg class="mark error" viewBox="0 0 16 16" role="img" aria-label="error"><rect width="16" height="16" rx="3"/><path d="M8 4.2v4.8M8 11.6v.2"/></svg>"#
        }
    }
}
