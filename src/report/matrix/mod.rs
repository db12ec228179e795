//! The server matrix as the report sinks render it: its data (`model.rs`, which
//! `matrix::fold` computes) and one renderer per format — markdown, HTML (askama,
//! `templates/matrix.html`), JSON and JUnit. The files, GitHub and console sinks implement
//! `Sink<MatrixSummary>` beside their `Sink<RunSummary>`, so a matrix renders through the
//! same `render_sinks` fan-out as a run.

mod html;
mod json;
mod junit;
mod markdown;
mod model;
mod wording;

pub use html::render_html;
pub use json::render_json;
pub use junit::render_junit;
pub use markdown::render_markdown;
pub use model::{
    Answer, Cell, CellStatus, DdlStatementRef, Divergence, Failure, Matrix, MatrixRow,
    MatrixSummary, Peak, ServerColumn, ServerOutcome, ServerRun,
};
pub use wording::{divergence_text, verdict_line};

use super::format::Format;
use super::pr_comment::MARKER;

/// How the matrix answers one `--format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    /// The format's file, with this text.
    File(Format, String),
    /// A format about one run's findings and their files (SARIF, GitLab Code Quality):
    /// only each server's own report has it, under `servers/<label>/`.
    PerServer(Format),
}

/// Every requested format, in order; `report.json` always (the matrix's contract, which
/// embeds every server's report), as a matrix child always writes its own.
pub fn render_all(m: &MatrixSummary, formats: &[Format]) -> Vec<Rendered> {
    let mut formats = formats.to_vec();
    if !formats.contains(&Format::Json) {
        formats.push(Format::Json);
    }
    formats
        .iter()
        .map(|f| {
            let text = match f {
                Format::Markdown => render_markdown(m),
                Format::Html => render_html(m),
                Format::Json => render_json(m),
                Format::Junit => render_junit(m),
                // The matrix summary is what a PR or a release needs to know of it.
                Format::PrComment => format!("{MARKER}\n{}", render_markdown(m)),
                Format::ReleaseNotes => render_markdown(m),
                Format::Sarif | Format::GitlabCodequality => return Rendered::PerServer(*f),
            };
            Rendered::File(*f, text)
        })
        .collect()
}

/// A hand-built matrix for the renderers' tests: two servers, one scenario diverging
/// (a UUID column refused on MariaDB 10.5 only), one passing everywhere.
#[cfg(test)]
pub(crate) fn fixture() -> MatrixSummary {
    use super::RunStatus;
    let column = |label: &str, name: &str, status: RunStatus, exit_code: i32| ServerColumn {
        label: label.into(),
        target: format!(
            "migration-harness/{}",
            label.replace("mariadb-", "mariadb:")
        ),
        name: name.into(),
        version: Some(format!("{}-MariaDB", name.trim_start_matches("MariaDB "))),
        status,
        exit_code,
        peak_memory: Peak {
            harness_kib: Some(300 * 1024),
            container_kib: Some(250 * 1024),
        },
        error: None,
    };
    let uuid = Failure {
        code: Some(4161),
        revision: Some("000002".into()),
        action: crate::scenario::StepAction::Upgrade,
        message: "Unknown data type: 'UUID'".into(),
    };
    let cell = |status, failure| Cell { status, failure };
    MatrixSummary {
        project: "uuid-matrix".into(),
        matrix: Matrix {
            status: RunStatus::Failed,
            exit_code: 1,
            servers: vec![
                column("mariadb-10.5", "MariaDB 10.5.23", RunStatus::Failed, 1),
                column("mariadb-11.8", "MariaDB 11.8.3", RunStatus::Passed, 0),
            ],
            scenarios: vec![
                MatrixRow {
                    scenario: "upgrade".into(),
                    title: "Initial Upgrade".into(),
                    cells: vec![
                        cell(CellStatus::Failed, Some(uuid.clone())),
                        cell(CellStatus::Passed, None),
                    ],
                },
                MatrixRow {
                    scenario: "chain".into(),
                    title: "Migration Chain Verification".into(),
                    cells: vec![
                        cell(CellStatus::Passed, None),
                        cell(CellStatus::Passed, None),
                    ],
                },
            ],
            divergences: vec![Divergence {
                scenario: "upgrade".into(),
                failing: vec!["MariaDB 10.5.23".into()],
                passing: vec!["MariaDB 11.8.3".into()],
                outcomes: vec![
                    ServerOutcome {
                        server: "MariaDB 10.5.23".into(),
                        status: Answer::Status(CellStatus::Failed),
                        failure: Some(uuid),
                    },
                    ServerOutcome {
                        server: "MariaDB 11.8.3".into(),
                        status: Answer::Status(CellStatus::Passed),
                        failure: None,
                    },
                ],
                statement: None,
            }],
        },
        runs: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_format_is_a_matrix_file_or_said_to_be_per_server() {
        let all = Format::parse_list(
            "md,html,json,junit,pr-comment,sarif,release-notes,gitlab-codequality",
        )
        .unwrap();
        let out = render_all(&fixture(), &all);
        assert_eq!(out.len(), all.len());
        let per_server: Vec<Format> = out
            .iter()
            .filter_map(|r| match r {
                Rendered::PerServer(f) => Some(*f),
                Rendered::File(..) => None,
            })
            .collect();
        assert_eq!(per_server, [Format::Sarif, Format::GitlabCodequality]);
        let pr = out.iter().find_map(|r| match r {
            Rendered::File(Format::PrComment, t) => Some(t),
            _ => None,
        });
        assert!(
            pr.unwrap().starts_with(MARKER),
            "the action finds its comment"
        );
    }

    #[test]
    fn json_is_always_written_even_when_not_asked_for() {
        let out = render_all(&fixture(), &[Format::Markdown]);
        let formats: Vec<Format> = out
            .iter()
            .filter_map(|r| match r {
                Rendered::File(f, _) => Some(*f),
                Rendered::PerServer(_) => None,
            })
            .collect();
        assert_eq!(formats, [Format::Markdown, Format::Json]);
    }
}
