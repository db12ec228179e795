//! GitHub Actions: the markdown summary into `$GITHUB_STEP_SUMMARY`, and `::error` (or
//! `::warning`) annotations pointing at the migration file of each failing revision; `Github`
//! is the sink that does both when a run ends.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::sink::{Outcome, Sink};
use super::summary::RunSummary;
use crate::error::Result;
use crate::scenario::Status;

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
            if let Ok(true) = append_step_summary(&super::render_markdown(summary)) {
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

/// `::error file=…,line=…,title=…::message` lines for failing revisions (`::warning` for
/// failures the verdict policy counted as warnings), paths relative to `root`.
pub fn annotations(s: &RunSummary, root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sc in &s.scenarios {
        for st in sc
            .steps
            .iter()
            .filter(|x| matches!(x.status, Status::Failed | Status::Error))
        {
            let level = match (sc.status, st.demoted) {
                (_, Some(_)) => "warning",
                (Status::Failed | Status::Error, None) => "error",
                _ => continue,
            };
            let rev = st
                .revision
                .as_ref()
                .and_then(|r| s.chain.revisions.iter().find(|x| &x.id == r));
            let msg = escape_data(st.message.as_deref().unwrap_or(&st.title));
            let title = escape_prop(&format!("migration-harness {}", sc.id));
            match rev.and_then(|r| r.file.as_ref().map(|f| (f, r.line.unwrap_or(1)))) {
                Some((file, line)) => {
                    let p = Path::new(file);
                    let rel = p.strip_prefix(root).unwrap_or(p);
                    out.push(format!(
                        "::{level} file={},line={line},title={title}::{msg}",
                        escape_prop(&rel.display().to_string())
                    ));
                }
                None => out.push(format!("::{level} title={title}::{msg}")),
            }
        }
    }
    out.sort();
    out.dedup();
    out
}
