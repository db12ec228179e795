//! Renders a summary in each requested format, and writes the files.

use std::path::{Path, PathBuf};

use super::format::{Format, RenderContext};
use super::json::render_json;
use super::junit::render_junit;
use super::sarif::render_sarif;
use super::summary::RunSummary;
use super::{html, markdown, pr_comment, release_notes, view};
use crate::error::{HarnessError, Result};

/// Renders each requested format once; the human formats share one view model.
pub fn render_all(s: &RunSummary, formats: &[Format]) -> Vec<(Format, String)> {
    render_all_in(s, formats, &RenderContext::default())
}

pub fn render_all_in(
    s: &RunSummary,
    formats: &[Format],
    ctx: &RenderContext,
) -> Vec<(Format, String)> {
    let v = view::build(s);
    formats
        .iter()
        .map(|f| {
            let text = match f {
                Format::Markdown => markdown::render_view(s, &v),
                Format::Html => html::render_view(s, &v),
                Format::Json => render_json(s),
                Format::Junit => render_junit(s),
                Format::PrComment => pr_comment::render_view(s, &v),
                Format::Sarif => render_sarif(s, &ctx.root),
                Format::ReleaseNotes => {
                    release_notes::render_view(s, &v, ctx.report_url.as_deref())
                }
            };
            (*f, text)
        })
        .collect()
}

/// The summary the PR comment carries, for `$GITHUB_STEP_SUMMARY` (1 MiB limit).
pub fn render_step_summary(s: &RunSummary) -> String {
    pr_comment::render_view(s, &view::build(s))
}

/// Writes rendered reports into `dir`; returns the paths written.
pub fn write_reports(rendered: &[(Format, String)], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| HarnessError::env(format!("cannot create {}: {e}", dir.display())))?;
    let mut out = Vec::new();
    for (f, text) in rendered {
        let p = dir.join(f.file_name());
        std::fs::write(&p, text)
            .map_err(|e| HarnessError::env(format!("cannot write {}: {e}", p.display())))?;
        out.push(p);
    }
    Ok(out)
}
