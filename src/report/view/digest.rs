//! `Digest`: the summary every short format prints (report.md, the PR comment, the release
//! notes, the job summary). Sized by what is wrong, not by the chain: the findings on the
//! revisions under test one by one (at most [`CARDS`]), the rest as grouped lines, and the
//! history (revisions before the ones under test) as counts per kind with a few examples.

use crate::findings::{id_list, joined, Finding, FindingId, LeftBehind, Retry, Severity};

use super::super::group::{shorten, Grouper};
use super::super::summary::RunSummary;
use super::findings::{finding_lines, severity_mark, FindingLine};
use super::wording::fix_for;

/// Findings under test printed in full; the others are grouped lines.
pub const CARDS: usize = 10;
/// Grouped lines of findings under test beyond the cards.
pub const MORE_LINES: usize = 15;
/// History groups (one per kind) shown, and examples per group.
pub const HISTORY_GROUPS: usize = 12;
pub const EXAMPLES: usize = 3;

/// One finding on a revision under test, with what a reviewer needs to act on it.
pub struct Card {
    pub id: String,
    pub mark: &'static str,
    pub severity: &'static str,
    pub kind: &'static str,
    pub revision: Option<String>,
    /// `migrations/000003_x.down.sql:2`.
    pub location: Option<String>,
    pub headline: String,
    /// `1091 Can't DROP 'ix'; check that column/key exists`.
    pub error: Option<String>,
    pub statement: Option<String>,
    /// What the failure left applied, on one line.
    pub left_behind: Option<String>,
    /// The finding's own fix when it knows one (compat's expand/contract line), else its kind's.
    pub hint: String,
    pub seen_in: String,
    pub caused_by: Option<String>,
}

/// History findings of one kind: how many, on which revisions, the first few.
pub struct HistoryGroup {
    pub kind: &'static str,
    pub count: usize,
    pub revisions: String,
    pub examples: Vec<String>,
}

pub struct Digest {
    /// `2 blocking, 1 warning, 4 history`.
    pub counts: String,
    pub cards: Vec<Card>,
    /// Findings under test beyond the cards, alike ones grouped.
    pub more: Vec<FindingLine>,
    /// Findings under test neither carded nor listed (see the full report).
    pub omitted: usize,
    pub history: Vec<HistoryGroup>,
    pub history_total: usize,
    /// History kinds beyond [`HISTORY_GROUPS`].
    pub history_omitted: usize,
}

/// A finding the gate judges: on a revision under test (or none), and not history.
fn under_test(f: &Finding) -> bool {
    f.severity != Severity::History && f.new
}

pub fn build(summary: &RunSummary, g: &Grouper) -> Digest {
    let judged: Vec<&Finding> = summary.findings.iter().filter(|f| under_test(f)).collect();
    let cards: Vec<Card> = judged.iter().take(CARDS).map(|f| card(f)).collect();
    let carded: Vec<FindingId> = judged.iter().take(CARDS).map(|f| f.id).collect();
    let rest = finding_lines(summary, g, |f| under_test(f) && !carded.contains(&f.id));
    let listed = rest.len().min(MORE_LINES);
    let in_listed: usize = rest[..listed].iter().map(|l| l.members).sum();
    let history = history(summary, g);
    Digest {
        counts: super::findings::findings_counts(summary),
        omitted: judged.len() - cards.len() - in_listed,
        cards,
        more: rest.into_iter().take(MORE_LINES).collect(),
        history_total: summary.findings.len() - judged.len(),
        history_omitted: history.len().saturating_sub(HISTORY_GROUPS),
        history: history.into_iter().take(HISTORY_GROUPS).collect(),
    }
}

fn card(f: &Finding) -> Card {
    let d = &f.defect;
    let (mark, _) = severity_mark(f.severity);
    Card {
        id: f.id.to_string(),
        mark,
        severity: f.severity.word(),
        kind: d.kind.words(),
        revision: d.revision.clone(),
        location: f.file.as_ref().map(|file| match f.line {
            Some(l) => format!("{file}:{l}"),
            None => file.clone(),
        }),
        headline: shorten(&f.headline(), 300),
        error: d.error.as_ref().map(|e| shorten(&e.to_string(), 300)),
        statement: d
            .statement
            .as_ref()
            .map(|q| q.text())
            .filter(|q| !q.trim().is_empty())
            .map(|q| shorten_block(q, 600)),
        left_behind: d.left_behind.as_ref().map(left_behind),
        hint: fix_for(d),
        seen_in: shorten(&f.scenarios().join(", "), 200),
        caused_by: (!f.caused_by.is_empty()).then(|| shorten(&id_list(&f.caused_by), 100)),
    }
}

/// A statement kept as lines (it is printed in a code block), cut at `max` characters.
fn shorten_block(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// `1 of 2 statements applied before statement 2 failed; version table still at 3e51…;
/// running it again fails: 1091 …`.
pub fn left_behind(l: &LeftBehind) -> String {
    let mut parts = Vec::new();
    if l.is_half_applied() {
        parts.push(match l.failed_statement {
            Some(n) => format!(
                "{} statement(s) applied before statement {n} failed",
                l.statements_applied
            ),
            None => format!("{} statement(s) applied", l.statements_applied),
        });
    } else {
        parts.push("nothing applied".to_string());
    }
    parts.push(format!("version table {}", l.version_table));
    if !l.changed.is_empty() {
        parts.push(format!(
            "schema changed: {}",
            shorten(&joined(&l.changed, "; "), 200)
        ));
    }
    parts.push(match &l.retry {
        Retry::Recovers => "running it again recovers".to_string(),
        Retry::Fails { error: Some(e), .. } => {
            format!("running it again fails: {}", shorten(&e.to_string(), 160))
        }
        Retry::Fails { message, .. } if !message.is_empty() => {
            format!("running it again fails: {}", shorten(message, 160))
        }
        Retry::Fails { .. } => "running it again fails".to_string(),
    });
    parts.join("; ")
}

/// History findings grouped by kind, in order of first sight (ranked order).
fn history(summary: &RunSummary, g: &Grouper) -> Vec<HistoryGroup> {
    let mut groups: Vec<(crate::findings::Kind, Vec<&Finding>)> = Vec::new();
    for f in summary.findings.iter().filter(|f| !under_test(f)) {
        match groups.iter_mut().find(|(k, _)| *k == f.defect.kind) {
            Some((_, v)) => v.push(f),
            None => groups.push((f.defect.kind, vec![f])),
        }
    }
    groups
        .into_iter()
        .map(|(kind, members)| {
            let mut revisions: Vec<String> = Vec::new();
            for r in members.iter().filter_map(|f| f.defect.revision.as_ref()) {
                if !revisions.contains(r) {
                    revisions.push(r.clone());
                }
            }
            HistoryGroup {
                kind: kind.words(),
                count: members.len(),
                revisions: shorten(&g.list(&revisions), 120),
                examples: members
                    .iter()
                    .take(EXAMPLES)
                    .map(|f| format!("{}: {}", f.id, shorten(&f.headline(), 140)))
                    .collect(),
            }
        })
        .collect()
}
