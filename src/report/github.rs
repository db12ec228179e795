//! GitHub Actions: the markdown summary into `$GITHUB_STEP_SUMMARY`, and one `::error`
//! (`::warning`, `::notice`) annotation per finding, at its revision's migration file;
//! `Github` is the sink that does both when a run ends.

use std::io::Write;
use std::path::{Path, PathBuf};

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
