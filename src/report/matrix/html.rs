//! The matrix's `report.html` (`templates/matrix.html`, askama with HTML escaping): the
//! verdict, the divergences, the scenario × server table with each cell's failure on hover
//! and in a list, and each server with a link to its own report. One self-contained page.

use askama::Template;

use super::model::{CellStatus, MatrixSummary};
use super::wording::{divergence_text, failure_lines};
use crate::report::html::mark_svg;
use crate::report::RunStatus;

/// One cell: its CSS class (ours, never report text), its word, and the failure it carries.
struct CellView {
    class: &'static str,
    word: &'static str,
    failure: String,
}

struct RowView {
    scenario: String,
    title: String,
    cells: Vec<CellView>,
}

struct ServerView {
    name: String,
    target: String,
    class: &'static str,
    word: &'static str,
    exit_code: i32,
    memory: String,
    label: String,
}

#[derive(Template)]
#[template(path = "matrix.html")]
struct MatrixHtml<'a> {
    project: &'a str,
    status_class: &'static str,
    verdict: String,
    /// Scenario ids sharing one sentence, and the sentence.
    divergences: Vec<(String, String)>,
    servers: Vec<ServerView>,
    rows: Vec<RowView>,
    /// `upgrade on MariaDB 10.5.23: 4161 at 000002 — …`
    failures: Vec<String>,
    /// A server's name and why it has no (whole) report.
    errors: Vec<(String, String)>,
}

impl MatrixHtml<'_> {
    fn mark(&self, class: &str) -> &'static str {
        mark_svg(class)
    }
}

fn cell_class(s: CellStatus) -> (&'static str, &'static str) {
    match s {
        CellStatus::Passed => ("pass", "pass"),
        CellStatus::Failed => ("fail", "FAIL"),
        CellStatus::Error => ("error", "error"),
        CellStatus::Skipped => ("skip", "skip"),
        CellStatus::Missing => ("skip", "none"),
    }
}

fn run_class(s: RunStatus) -> (&'static str, &'static str) {
    match s {
        RunStatus::Passed => ("pass", "passed"),
        RunStatus::Failed => ("fail", "failed"),
        RunStatus::Error => ("error", "error"),
        RunStatus::Skipped => ("skip", "nothing tested"),
    }
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "—".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0))
}

fn divergence_groups(ms: &MatrixSummary) -> Vec<(String, String)> {
    let mut groups: Vec<(Vec<&str>, String)> = Vec::new();
    for d in &ms.matrix.divergences {
        let text = divergence_text(d);
        match groups.iter_mut().find(|(_, t)| *t == text) {
            Some((ids, _)) => ids.push(&d.scenario),
            None => groups.push((vec![&d.scenario], text)),
        }
    }
    groups
        .into_iter()
        .map(|(ids, t)| (ids.join(", "), t))
        .collect()
}

fn rows(ms: &MatrixSummary) -> Vec<RowView> {
    ms.matrix
        .scenarios
        .iter()
        .map(|r| RowView {
            scenario: r.scenario.clone(),
            title: r.title.clone(),
            cells: r
                .cells
                .iter()
                .map(|c| {
                    let (class, word) = cell_class(c.status);
                    CellView {
                        class,
                        word,
                        failure: c
                            .failure
                            .as_ref()
                            .map(|f| f.to_string())
                            .unwrap_or_default(),
                    }
                })
                .collect(),
        })
        .collect()
}

fn servers(ms: &MatrixSummary) -> Vec<ServerView> {
    ms.matrix
        .servers
        .iter()
        .map(|c| {
            let (class, word) = run_class(c.status);
            ServerView {
                name: c.name.clone(),
                target: c.target.clone(),
                class,
                word,
                exit_code: c.exit_code,
                memory: format!(
                    "{} + {}",
                    mib(c.peak_memory.container_kib),
                    mib(c.peak_memory.harness_kib)
                ),
                label: c.label.clone(),
            }
        })
        .collect()
}

pub fn render_html(ms: &MatrixSummary) -> String {
    let m = &ms.matrix;
    let (status_class, word) = run_class(m.status);
    let failures = failure_lines(m);
    MatrixHtml {
        project: &ms.project,
        status_class,
        verdict: format!(
            "{} over {} servers (exit code {})",
            match m.status {
                RunStatus::Passed => "Passed on every server".to_string(),
                _ => word.to_uppercase(),
            },
            m.servers.len(),
            m.exit_code
        ),
        divergences: divergence_groups(ms),
        servers: servers(ms),
        rows: rows(ms),
        failures,
        errors: m
            .servers
            .iter()
            .filter_map(|c| c.error.clone().map(|e| (c.name.clone(), e)))
            .collect(),
    }
    .render()
    .expect("matrix html template renders")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn the_page_has_the_scenario_by_server_table_and_escapes_report_text() {
        let mut ms = fixture();
        ms.matrix.servers[1].error = Some("<b>no image</b>".into());
        let html = render_html(&ms);
        assert!(
            html.contains("<th>Scenario</th><th>MariaDB 10.5.23</th><th>MariaDB 11.8.3</th>"),
            "{html}"
        );
        assert_eq!(html.matches("<tr class=\"scenario\">").count(), 2, "{html}");
        assert!(
            html.contains("FAILED over 2 servers (exit code 1)"),
            "{html}"
        );
        assert!(
            html.contains("<strong>upgrade</strong> fails on MariaDB 10.5.23 only"),
            "{html}"
        );
        assert!(html.contains("Unknown data type: &#39;UUID&#39;"), "{html}");
        assert!(
            html.contains("href=\"servers/mariadb-11.8/report.html\""),
            "{html}"
        );
        assert!(html.contains("&#60;b&#62;no image&#60;/b&#62;"), "{html}");
        assert!(!html.contains("<b>no image"), "{html}");
    }
}
