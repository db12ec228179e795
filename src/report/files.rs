//! `ReportFiles`: the sink that writes the requested formats (`Format::NAMES`) into the
//! run's directory, and a copy into `reports/latest` when no `--output-dir` was given.

use std::path::{Path, PathBuf};

use super::sink::{Outcome, Sink};
use super::summary::RunSummary;
use super::{render_all_in, write_reports, Format, RenderContext};
use crate::error::Result;

pub struct ReportFiles {
    formats: Vec<Format>,
    /// `--output-dir`; without it, `reports/<started>-<head>` plus `reports/latest`.
    output_dir: Option<PathBuf>,
    ctx: RenderContext,
}

impl ReportFiles {
    pub fn new(formats: Vec<Format>, output_dir: Option<PathBuf>, ctx: RenderContext) -> Self {
        ReportFiles {
            formats,
            output_dir,
            ctx,
        }
    }

    fn dir(&self, s: &RunSummary) -> PathBuf {
        match &self.output_dir {
            Some(d) => d.clone(),
            None => PathBuf::from("reports").join(format!(
                "{}-{}",
                s.started_at.format("%Y%m%dT%H%M%SZ"),
                s.head.as_deref().unwrap_or("nohead")
            )),
        }
    }
}

impl Sink for ReportFiles {
    fn finish(&mut self, summary: &RunSummary, done: &mut Vec<Outcome>) -> Result<()> {
        let dir = self.dir(summary);
        let rendered = render_all_in(summary, &self.formats, &self.ctx);
        let paths = write_reports(&rendered, &dir)?;
        if self.output_dir.is_none() {
            let latest = dir.parent().unwrap_or(Path::new("reports")).join("latest");
            let _ = std::fs::remove_dir_all(&latest);
            let _ = write_reports(&rendered, &latest);
        }
        done.extend(paths.into_iter().map(Outcome::Report));
        Ok(())
    }
}
