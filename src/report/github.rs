//! GitHub Actions: the markdown summary into `$GITHUB_STEP_SUMMARY`, and one `::error`
//! (`::warning`, `::notice`) annotation per finding, at its revision's migration file;
//! `Github` is the sink that does both when a run ends. For a server matrix (whose children
//! write neither): the matrix markdown once, every server's annotations once each, and one
//! `::warning` per divergence.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::matrix::{divergence_text, MatrixSummary};
use super::sink::{Outcome, Sink};
use super::summary::RunSummary;
use crate::error::Result;
use crate::findings::Severity;

/// The GitHub Actions sink: reads `$GITHUB_STEP_SUMMARY` and `$GITHUB_ACTIONS` when the run
/// ends, so outside Actions it does nothing.
pub struct Github {
    /// Annotation paths are relative to this directory (the checkout).
    root: PathBuf,
}

impl Github {
    pub fn new(root: PathBuf) -> Self {
        Github { root }
    }
}

impl Sink for Github {
    fn finish(&mut self, summary: &RunSummary, done: &mut Vec<Outcome>) -> Result<()> {
        if std::env::var_os("GITHUB_STEP_SUMMARY").is_some() {
            // A step summary that cannot be written does not change the verdict.
            if let Ok(true) = append_step_summary(&super::render_step_summary(summary)) {
                done.push(Outcome::StepSummary);
            }
        }
        if std::env::var_os("GITHUB_ACTIONS").is_some() {
            for a in annotations(summary, &self.root) {
                println!("{a}");
            }
        }
        Ok(())
    }
}

impl Sink<MatrixSummary> for Github {
    fn finish(&mut self, m: &MatrixSummary, done: &mut Vec<Outcome>) -> Result<()> {
        if std::env::var_os("GITHUB_STEP_SUMMARY").is_some() {
            if let Ok(true) = append_step_summary(&super::matrix::render_markdown(m)) {
                done.push(Outcome::StepSummary);
            }
        }
        if std::env::var_os("GITHUB_ACTIONS").is_some() {
            for a in matrix_annotations(m, &self.root) {
                println!("{a}");
            }
        }
        Ok(())
    }
}

/// Each server's finding annotations, one line once however many servers found it, then a
/// `::warning` per divergence (which says on which servers).
pub fn matrix_annotations(m: &MatrixSummary, root: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in m.runs.iter().filter_map(|r| r.report.as_ref()) {
        for a in annotations(s, root) {
            if !out.contains(&a) {
                out.push(a);
            }
        }
    }
    out.extend(m.matrix.divergences.iter().map(|d| {
        format!(
            "::warning title={}::{}",
            escape_prop(&format!(
                "migration-harness divergence between servers: {}",
                d.scenario
            )),
            escape_data(&divergence_text(d))
        )
    }));
    out
}

/// Appends the report to `$GITHUB_STEP_SUMMARY` when the variable is set.
pub fn append_step_summary(markdown: &str) -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else {
        return Ok(false);
    };
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(markdown.as_bytes())?;
    f.write_all(b"\n")?;
    Ok(true)
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One annotation per finding (not per sighting): `::error` for blocking findings,
/// `::warning` for warnings, `::notice` for history, at the revision's migration file when
/// it has one, paths relative to `root`. The syntax is GitHub's workflow commands
/// (docs.github.com/actions/reference/workflow-commands-for-github-actions).
pub fn annotations(s: &RunSummary, root: &Path) -> Vec<String> {
    s.findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Blocking => "error",
                Severity::Warning => "warning",
                Severity::History => "notice",
            };
            let title = escape_prop(&format!(
                "migration-harness {}: {}{}",
                f.id,
                f.defect.kind.words(),
                f.defect
                    .revision
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ));
            let msg = escape_data(&super::view::finding_text(f));
            match &f.file {
                Some(file) => {
                    let p = Path::new(file);
                    let rel = p.strip_prefix(root).unwrap_or(p);
                    format!(
                        "::{level} file={},line={},title={title}::{msg}",
                        escape_prop(&rel.display().to_string()),
                        f.line.unwrap_or(1)
                    )
                }
                None => format!("::{level} title={title}::{msg}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::matrix::fixture;

    #[test]
    fn a_matrix_divergence_is_one_warning_naming_the_scenario() {
        let a = matrix_annotations(&fixture(), Path::new("/repo"));
        assert_eq!(
            a,
            [
                "::warning title=migration-harness divergence between servers%3A upgrade::\
              fails on MariaDB 10.5.23 only: 4161 at 000002 — Unknown data type: 'UUID'"
            ]
        );
    }
}
