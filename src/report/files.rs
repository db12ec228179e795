//! `ReportFiles`: the sink that writes the requested formats (`Format::NAMES`) into the
//! run's directory, and a copy into `reports/latest` when no `--output-dir` was given; for a
//! matrix, the matrix's formats into the matrix's directory (each server's own reports are
//! its child's, under `servers/<label>/`).

use std::path::{Path, PathBuf};

use super::matrix::{self, MatrixSummary, Rendered};
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

impl Sink<MatrixSummary> for ReportFiles {
    fn finish(&mut self, m: &MatrixSummary, done: &mut Vec<Outcome>) -> Result<()> {
        let dir = self.output_dir.clone().unwrap_or_else(|| {
            PathBuf::from("reports").join(format!(
                "{}-matrix",
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ))
        });
        let mut files = Vec::new();
        for r in matrix::render_all(m, &self.formats) {
            match r {
                Rendered::File(f, text) => files.push((f, text)),
                Rendered::PerServer(f) => done.push(Outcome::PerServerOnly(f)),
            }
        }
        let paths = write_reports(&files, &dir)?;
        done.extend(paths.into_iter().map(Outcome::Report));
        Ok(())
    }
}
