//! The short formats stay short on any chain: generated 123-revision runs (all clean, every
//! revision failing, 100+ history findings) rendered through the real collector and
//! templates — report.md under 25 KB, the PR comment under its limit — while report.html
//! and report.json keep every finding. Pure: the summaries are folded from events.

use super::collect::tests::{finished, server_ready, started_with};
use super::collect::Collector;
use super::{render_all, render_json, Format, RunSummary};
use crate::db::ServerError;
use crate::driver::FailedStatement;
use crate::findings::{Defect, Kind, LeftBehind, Retry, SchemaDifference};
use crate::scenario::{Event, Status, StepAction, StepResult};
use crate::schema::{Change, Index, IndexColumn};

const REVISIONS: usize = 123;
const MD_LIMIT: usize = 25 * 1024;

fn ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("{i:06}")).collect()
}

/// A walk step at `rev`: passed, or failed with a defect of `kind` carrying a long
/// statement, the server's error and what the failure left behind.
fn walk_step(rev: &str, kind: Option<Kind>) -> StepResult {
    let mut st = StepResult::new(StepAction::Downgrade, format!("walk down {rev}"));
    st.revision = Some(rev.into());
    st.duration_ms = 40;
    let Some(kind) = kind else { return st };
    let statement = format!(
        "ALTER TABLE orders_{rev} DROP INDEX ix_orders_{rev}_customer_and_created_at, DROP COLUMN legacy_reference_{rev}, ALGORITHM=INPLACE, LOCK=NONE"
    );
    let error = ServerError {
        code: 1091,
        message: format!(
            "Can't DROP INDEX `ix_orders_{rev}_customer_and_created_at`; check that it exists"
        ),
    };
    st.status = Status::Failed;
    st.error = Some(error.clone());
    st.statement = Some(FailedStatement::sql(statement.clone()));
    st.message = Some(format!("downgrade of {rev} failed: {error}").into());
    st.details = vec![format!("failed at statement 2 of 2: {statement}").into()];
    st.log = Some("x\n".repeat(40));
    st.defects = vec![Defect::new(
        kind,
        Some(rev),
        format!("downgrade of {rev} failed: {error}"),
    )
    .with_error(Some(error.clone()), Some(FailedStatement::sql(statement)))
    .with_left_behind(Some(LeftBehind {
        statements_applied: 1,
        failed_statement: Some(2),
        version_table: format!("still at {rev}"),
        changed: vec![SchemaDifference::of(Change::DropIndex {
            table: format!("orders_{rev}"),
            index: Index {
                name: format!("ix_orders_{rev}_status"),
                unique: false,
                columns: vec![IndexColumn::column("status")],
                kind: Default::default(),
                visible: true,
            },
        })],
        retry: Retry::Fails {
            error: Some(error),
            statement: None,
            message: String::new(),
        },
    }))];
    st
}

/// Folds a run of the `chain` scenario over a 123-revision chain, `kind_of` choosing
/// each revision's defect; `new` is how many revisions at the head the gate judges.
fn run(new: usize, kind_of: impl Fn(usize) -> Option<Kind>) -> RunSummary {
    let revs = ids(REVISIONS);
    let refs: Vec<&str> = revs.iter().map(String::as_str).collect();
    let steps: Vec<StepResult> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| walk_step(r, kind_of(i)))
        .collect();
    let failed = steps.iter().any(|s| s.status == Status::Failed);
    let status = if failed {
        Status::Failed
    } else {
        Status::Passed
    };
    let events = vec![
        started_with(&refs, &refs[REVISIONS - new..]),
        server_ready(),
        finished("chain", status, steps.clone()),
        finished("upgrade", status, steps),
        finished("idempotency", Status::Passed, vec![]),
        finished("downgrade", Status::Passed, vec![]),
        Event::RunFinished {
            server_lost: false,
            total_ms: 60_000,
        },
    ];
    let mut c = Collector::new();
    for e in &events {
        c.event(e);
    }
    c.finish().expect("a whole run")
}

const KINDS: [Kind; 4] = [
    Kind::DowngradeFails,
    Kind::EmptyDowngrade,
    Kind::NotResumable,
    Kind::HalfApplied,
];

fn rendered(s: &RunSummary) -> (String, String, String, String) {
    let out = render_all(
        s,
        &[
            Format::Markdown,
            Format::PrComment,
            Format::Html,
            Format::Json,
        ],
    );
    (
        out[0].1.clone(),
        out[1].1.clone(),
        out[2].1.clone(),
        out[3].1.clone(),
    )
}

/// Each failing revision gives two findings: its own, and the half-applied state it left.
fn check_short_and_complete(s: &RunSummary, findings: usize) {
    assert_eq!(s.findings.len(), findings);
    let (md, comment, html, json) = rendered(s);
    eprintln!(
        "report.md {} bytes, comment {} chars, html {} bytes",
        md.len(),
        comment.chars().count(),
        html.len()
    );
    assert!(md.len() <= MD_LIMIT, "report.md is {} bytes", md.len());
    assert!(
        comment.chars().count() < super::pr_comment::LIMIT,
        "comment is {} characters",
        comment.chars().count()
    );
    assert!(comment.starts_with(super::pr_comment::MARKER));
    // The full detail is still there, every finding in the HTML table and the JSON.
    assert_eq!(html.matches("<tr class=\"finding\"").count(), findings);
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["findings"].as_array().unwrap().len(), findings);
    assert!(md.contains("[report.html](report.html)"));
}

#[test]
fn a_clean_123_revision_chain_gives_a_short_summary() {
    let s = run(2, |_| None);
    check_short_and_complete(&s, 0);
    let (md, ..) = rendered(&s);
    assert!(md.contains("None: no blocking finding"), "{md}");
    assert!(md.len() < 8 * 1024, "{} bytes for a clean chain", md.len());
}

#[test]
fn every_revision_failing_stays_under_the_limits() {
    let s = run(REVISIONS, |i| Some(KINDS[i % KINDS.len()]));
    check_short_and_complete(&s, 2 * REVISIONS);
    let (md, ..) = rendered(&s);
    // The first findings in full, the rest grouped, and a count of what was left out.
    assert_eq!(md.matches("- **Fix:**").count(), super::view::digest::CARDS);
    assert!(md.contains("more in the full report"), "{md}");
}

#[test]
fn a_hundred_history_findings_are_counted_per_kind() {
    // The two newest revisions are judged; 110 older ones failed and are history.
    let s = run(2, |i| (i >= 10).then(|| KINDS[i % KINDS.len()]));
    check_short_and_complete(&s, 2 * (REVISIONS - 10));
    let (md, ..) = rendered(&s);
    let history = md.split("## History").nth(1).unwrap();
    let history = history.split("## Rollback plan").next().unwrap();
    let rows: Vec<&str> = history.lines().filter(|l| l.starts_with("| ")).collect();
    // The header and one row per kind.
    assert_eq!(rows.len(), 1 + KINDS.len(), "{history}");
    let failing_older = (10..REVISIONS - 2).filter(|i| i % KINDS.len() == 0).count();
    let row = rows
        .iter()
        .find(|r| r.starts_with("| downgrade fails |"))
        .unwrap_or_else(|| panic!("{history}"));
    assert!(row.contains(&format!("| {failing_older} |")), "{row}");
    assert_eq!(
        row.matches("<br>").count(),
        super::view::digest::EXAMPLES - 1,
        "{row}"
    );
}

#[test]
fn the_pr_comment_body_is_stable() {
    let s = run(2, |i| match i {
        0..=2 | 121 => Some(Kind::DowngradeFails),
        _ => None,
    });
    let (_, comment, ..) = rendered(&s);
    insta::assert_snapshot!("pr_comment_body", normalized(&comment));
}

/// The run's date and the machine's versions vary; the rest is the body as posted.
fn normalized(s: &str) -> String {
    let date = regex::Regex::new(r"\w+ \d+, \d{4} \d\d:\d\d UTC").unwrap();
    date.replace_all(s, "‹date›").into_owned()
}

#[test]
fn a_summary_read_back_is_equal_and_derives_the_same_findings() {
    let s = run(3, |i| Some(KINDS[i % KINDS.len()]));
    let json = render_json(&s);
    let back: RunSummary = serde_json::from_str(&json).expect("reads back");
    assert_eq!(
        render_json(&back),
        json,
        "serialize → deserialize → serialize"
    );
    assert!(!back.findings.is_empty());
    assert_eq!(
        super::findings::derive(&back.chain, &back.scope, &back.scenarios),
        s.findings,
        "the findings folded again from the read-back scenarios"
    );
}
