//! The pull-request comment (`--format pr-comment`, `templates/pr-comment.md`): the same
//! summary as report.md under a stable first-line marker, so a CI step finds its own comment
//! and updates it in place instead of adding one per push. GitHub refuses comments over
//! 65,536 characters; the summary is bounded well below ([`LIMIT`]).

use askama::Template;

use super::markdown::MarkdownText;
use super::summary::RunSummary;
use super::view::ReportView;

/// The first line of every comment the harness writes: what the action searches for.
pub const MARKER: &str = "<!-- migration-harness:report -->";
/// The most characters a comment body may have (GitHub's limit is 65,536).
pub const LIMIT: usize = 60_000;

#[derive(Template)]
#[template(path = "pr-comment.md")]
struct PrComment<'a> {
    s: &'a RunSummary,
    v: &'a ReportView,
    marker: &'static str,
}

impl MarkdownText for PrComment<'_> {
    fn summary(&self) -> &RunSummary {
        self.s
    }
}

pub(super) fn render_view(s: &RunSummary, v: &ReportView) -> String {
    let body = PrComment {
        s,
        v,
        marker: MARKER,
    }
    .render()
    .expect("pr-comment template renders");
    bounded(body)
}

/// The digest is bounded by construction; should a pathological project name or server
/// message still push it over, the body is cut at a line and says so.
fn bounded(body: String) -> String {
    if body.chars().count() <= LIMIT {
        return body;
    }
    let note = "\n\n… (cut to fit a comment: see the full report in the job's artifacts)\n";
    let keep = LIMIT - note.chars().count();
    let cut: String = body.chars().take(keep).collect();
    let at = cut.rfind('\n').unwrap_or(cut.len());
    format!("{}{note}", &cut[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_body_is_cut_at_a_line_under_the_limit() {
        let body = format!("{MARKER}\n{}", "x".repeat(100).repeat(1000));
        let long = format!("{MARKER}\n{}", vec!["y".repeat(99); 1000].join("\n"));
        for b in [body, long] {
            let out = bounded(b);
            assert!(out.chars().count() <= LIMIT);
            assert!(out.starts_with(MARKER));
            assert!(out.ends_with("artifacts)\n"));
        }
        assert_eq!(bounded("short".into()), "short");
    }
}
