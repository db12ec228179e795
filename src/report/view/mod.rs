//! `ReportView`: what the human reports show, derived from a `RunSummary`, one file per
//! section — the verdict here; `digest` (the summary the short formats print), `findings`,
//! `sections` (per scenario), `chain`, `confidence`, `deploy` (recommendations and the
//! rollback plan), `environment`, `conclusion` (and the timeline). Nothing here is
//! hard-coded praise: every line comes from a result.

pub mod chain;
pub mod conclusion;
pub mod confidence;
pub mod deploy;
pub mod digest;
pub mod environment;
pub mod findings;
pub mod sections;
pub mod text;
pub mod wording;

pub use findings::{finding_lines, finding_text, findings_counts};
pub use sections::scenario_short;
pub use text::{md_cell, md_code, md_fence, md_line};

use super::group::Grouper;
use super::summary::{RunStatus, RunSummary};

/// GO / NO-GO and the banner's words.
pub struct Verdict {
    pub mark: &'static str,
    pub class: &'static str,
    pub text: String,
    pub go: bool,
}

pub struct ReportView {
    pub head: String,
    pub date: String,
    pub tester: String,
    pub verdict: Verdict,
    pub rows: Vec<sections::SummaryRow>,
    /// Every finding once, ranked, alike ones grouped: new revisions first, blocking first.
    pub findings: Vec<findings::FindingLine>,
    /// Every finding once, ungrouped, for the filterable table.
    pub finding_rows: Vec<findings::FindingRow>,
    pub filters: findings::FindingFilters,
    pub digest: digest::Digest,
    /// What seeding could not do (run information, never a finding); None when it did all.
    pub seeding: Option<String>,
    pub sections: Vec<sections::Section>,
    /// The online-DDL tables for the summary (see `online_summary`).
    pub online: Vec<crate::report::online::OnlineTable>,
    /// Tables left to report.html.
    pub online_more: usize,
    /// Said once under them.
    pub online_note: Option<&'static str>,
    pub chain: chain::ChainSection,
    pub confidence: Vec<confidence::Aspect>,
    pub deployment: deploy::Deployment,
    pub environment: Vec<(String, String)>,
    pub conclusion: Vec<conclusion::Conclusion>,
    pub timeline: conclusion::Timeline,
}

pub fn build(summary: &RunSummary) -> ReportView {
    let g = Grouper::new(summary.chain.revisions.iter().map(|r| r.id.as_str()));
    let short: Vec<String> = summary
        .scenarios
        .iter()
        .map(|s| sections::scenario_short(s, &g))
        .collect();
    let finding_rows = findings::rows(summary);
    let (online, online_more) = online_summary(summary);
    ReportView {
        filters: findings::filters(&finding_rows),
        finding_rows,
        head: summary
            .head
            .clone()
            .unwrap_or_else(|| "(no single head)".into()),
        date: summary
            .started_at
            .format("%B %-d, %Y %H:%M UTC")
            .to_string(),
        tester: format!(
            "{} {} (automated)",
            summary.harness.name, summary.harness.version
        ),
        verdict: verdict(summary),
        rows: sections::rows(summary, &short),
        findings: findings::finding_lines(summary, &g, |_| true),
        digest: digest::build(summary, &g),
        seeding: (!summary.seeding.is_clean()).then(|| summary.seeding.to_string()),
        sections: sections::sections(summary, &g),
        online,
        online_more,
        online_note: summary
            .scenarios
            .iter()
            .flat_map(|s| &s.steps)
            .any(|st| st.online_ddl.is_some())
            .then_some(crate::report::online::METADATA_LOCK_NOTE),
        chain: chain::build(summary),
        confidence: confidence::build(summary),
        deployment: deploy::build(summary, &g, &short),
        environment: environment::build(summary),
        conclusion: conclusion::conclusion(summary, &short),
        timeline: conclusion::timeline(summary),
    }
}

/// At most this many online-DDL tables in the summary; the rest are in report.html.
const ONLINE_TABLES: usize = 10;

/// The summary's online-DDL tables: every revision under test, and older ones with a
/// statement that blocks writes (as the HTML sections show them), at most `ONLINE_TABLES`;
/// with the count of tables left to report.html.
fn online_summary(summary: &RunSummary) -> (Vec<crate::report::online::OnlineTable>, usize) {
    let steps = summary.scenarios.iter().flat_map(|s| &s.steps);
    let (mut tables, _) = crate::report::online::tables(steps, &summary.scope.new);
    let more = tables.len().saturating_sub(ONLINE_TABLES);
    tables.truncate(ONLINE_TABLES);
    (tables, more)
}

fn verdict(summary: &RunSummary) -> Verdict {
    // A partition saw part of the chain: its pass is no verdict on the release.
    let go = summary.status == RunStatus::Passed && summary.partition.is_none();
    let partial = summary.partition.as_ref().map_or(String::new(), |p| {
        format!(
            " (PARTIAL: partition {}/{}, {} of {} revisions; `migration-harness merge` folds the partitions into the verdict)",
            p.index,
            p.count,
            p.revisions.len(),
            summary.chain.revisions.len()
        )
    });
    Verdict {
        mark: match summary.status {
            RunStatus::Passed => "✅",
            RunStatus::Error => "⚠️",
            _ => "❌",
        },
        class: match summary.status {
            RunStatus::Passed => "pass",
            RunStatus::Failed => "fail",
            RunStatus::Error => "error",
            RunStatus::Skipped => "skip",
        },
        text: match summary.status {
            RunStatus::Passed if !partial.is_empty() => "PASSED".into(),
            RunStatus::Passed => "PASSED - PRODUCTION READY".into(),
            RunStatus::Failed => "FAILED - NOT READY FOR PRODUCTION".into(),
            RunStatus::Skipped => "NOTHING TESTED - NOT READY FOR PRODUCTION".into(),
            RunStatus::Error => format!(
                "ERROR - RUN INCOMPLETE{}",
                summary
                    .error
                    .as_ref()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default()
            ),
        } + &partial,
        go,
    }
}
