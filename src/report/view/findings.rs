//! Findings on one line each: ranked, alike ones grouped (`30 × history · …`), with their
//! ids as ranges (`F3–F32`) and the counts per severity.

use std::fmt;

use crate::findings::{id_list, Finding, Headline, Severity};
use crate::said::{Masked, Revs, Words};
use crate::scenario::Status;

use super::super::group::{shorten, Grouper, Member};
use super::super::summary::RunSummary;

/// One ranked finding (or a group of alike ones) on one line.
pub struct FindingLine {
    pub mark: &'static str,
    pub class: &'static str,
    /// `F3`, or `F3–F32` for a group of alike findings.
    pub id: Option<String>,
    pub text: String,
    /// How many findings the line stands for.
    pub members: usize,
}

/// `F1, F3–F32`: finding numbers, runs of three or more as a range.
pub fn id_ranges(ids: &[usize]) -> String {
    let mut sorted = ids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        if j - i >= 2 {
            parts.push(format!("F{}–F{}", sorted[i], sorted[j]));
        } else {
            parts.extend(sorted[i..=j].iter().map(|n| format!("F{n}")));
        }
        i = j + 1;
    }
    parts.join(", ")
}

pub fn severity_mark(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Blocking => (Status::Failed.mark(), "fail"),
        Severity::Warning => ("⚠️", "warn"),
        Severity::History => ("ℹ️", "skip"),
    }
}

/// A finding on one line: severity, what, the statement, its cause, where it was seen.
pub fn finding_text(f: &Finding) -> String {
    let mut out = describe(f, Causes::Named);
    out.push_str(&format!(" · seen in {}", f.scenarios().join(", ")));
    out
}

/// Whether a finding's line names the findings that caused it (grouping leaves them out:
/// each member has its own cause).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Causes {
    Named,
    Omitted,
}

fn describe(f: &Finding, causes: Causes) -> String {
    Masked::shown(&Described { f, causes })
}

/// A finding's line as a wording: grouping takes alike lines' template from it, with the
/// revisions the headline and the differences name masked.
struct Described<'a> {
    f: &'a Finding,
    causes: Causes,
}

impl Words for Described<'_> {
    fn words(&self, out: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        let f = self.f;
        write!(out, "{} · ", f.severity.word())?;
        Headline(f).words(out, revs)?;
        out.write_str(&tail(f, self.causes, revs))
    }

    /// A fix names what the release's code needs, in its own words.
    fn worded(&self) -> bool {
        Headline(self.f).worded() && self.f.defect.compat.is_none()
    }
}

/// What follows the headline: the differences (shortened), the statement, the causes, a fix.
fn tail(f: &Finding, causes: Causes, revs: Revs) -> String {
    let mut out = String::new();
    if !f.defect.diff.is_empty() {
        let diff: Vec<String> = f
            .defect
            .diff
            .iter()
            .map(|d| Worded(d, revs).to_string())
            .collect();
        out.push_str(&format!(": {}", shorten(&diff.join("; "), 200)));
    }
    if let Some(q) = f
        .defect
        .statement
        .as_ref()
        .map(|q| q.text())
        .filter(|q| !q.trim().is_empty())
    {
        out.push_str(&format!(" · statement: {}", shorten(q, 120)));
    }
    if causes == Causes::Named && !f.caused_by.is_empty() {
        out.push_str(&format!(" · caused by {}", id_list(&f.caused_by)));
    }
    if let Some(c) = &f.defect.compat {
        out.push_str(&format!(" · fix: {}", c.fix()));
    }
    out
}

/// A finding as a group member: its line without causes, and where it was seen.
struct Grouped<'a>(&'a Finding);

impl Words for Grouped<'_> {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        let d = Described {
            f: self.0,
            causes: Causes::Omitted,
        };
        d.words(f, revs)?;
        write!(f, " · seen in {}", self.0.scenarios().join(", "))
    }

    fn worded(&self) -> bool {
        Described {
            f: self.0,
            causes: Causes::Omitted,
        }
        .worded()
    }
}

/// One wording rendered with the given revisions.
struct Worded<'a>(&'a dyn Words, Revs);

impl fmt::Display for Worded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.words(f, self.1)
    }
}

/// The findings `keep` selects, ranked; alike ones that differ only in their revision are
/// one line (`30 × warning · empty migration: ‹rev› … — 000020 … 000049`).
pub fn finding_lines(
    summary: &RunSummary,
    g: &Grouper,
    keep: impl Fn(&Finding) -> bool,
) -> Vec<FindingLine> {
    let kept: Vec<&Finding> = summary.findings.iter().filter(|f| keep(f)).collect();
    let members: Vec<Member> = kept
        .iter()
        .map(|f| g.member(&Grouped(f), f.defect.revision.clone()))
        .collect();
    let templates: Vec<String> = members.iter().map(|m| m.template.clone()).collect();
    let groups = g.group(members);
    groups
        .iter()
        .map(|grp| {
            let members: Vec<&&Finding> = kept
                .iter()
                .zip(&templates)
                .filter(|(_, t)| **t == grp.template)
                .map(|(f, _)| f)
                .collect();
            let first = members.first().expect("a group has members");
            let (mark, class) = severity_mark(first.severity);
            if grp.count == 1 {
                return FindingLine {
                    mark,
                    class,
                    id: Some(first.id.to_string()),
                    text: finding_text(first),
                    members: 1,
                };
            }
            let causes: Vec<usize> = members
                .iter()
                .flat_map(|f| f.caused_by.iter())
                .map(|c| c.0)
                .collect();
            let mut text = g.full(grp);
            if !causes.is_empty() {
                text.push_str(&format!(" · caused by {}", id_ranges(&causes)));
            }
            let ids: Vec<usize> = members.iter().map(|f| f.id.0).collect();
            FindingLine {
                mark,
                class,
                id: Some(id_ranges(&ids)),
                text,
                members: members.len(),
            }
        })
        .collect()
}

pub fn findings_counts(summary: &RunSummary) -> String {
    let n = |s: Severity| summary.findings.iter().filter(|f| f.severity == s).count();
    let parts: Vec<String> = [Severity::Blocking, Severity::Warning, Severity::History]
        .iter()
        .filter(|s| n(**s) > 0)
        .map(|s| format!("{} {}", n(*s), s.word()))
        .collect();
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}
/// One finding as a row of the full report's findings table, with the keys its filters use.
pub struct FindingRow {
    pub id: String,
    pub class: &'static str,
    pub severity: &'static str,
    /// The kind's JSON name (`downgrade_fails`): the filter's value.
    pub kind: String,
    pub kind_words: &'static str,
    pub revision: String,
    pub text: String,
}

/// Every finding, ungrouped: the table filters by severity, kind and revision.
pub fn rows(summary: &RunSummary) -> Vec<FindingRow> {
    summary
        .findings
        .iter()
        .map(|f| {
            let (_, class) = severity_mark(f.severity);
            FindingRow {
                id: f.id.to_string(),
                class,
                severity: f.severity.word(),
                kind: kind_id(f.defect.kind),
                kind_words: f.defect.kind.words(),
                revision: f.defect.revision.clone().unwrap_or_default(),
                text: finding_text(f),
            }
        })
        .collect()
}

/// The kind's name in report.json (`downgrade_fails`).
pub fn kind_id(k: crate::findings::Kind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The values each filter of the findings table offers, in report order, each once.
pub struct FindingFilters {
    pub severities: Vec<&'static str>,
    /// `(downgrade_fails, "downgrade fails")`.
    pub kinds: Vec<(String, &'static str)>,
    pub revisions: Vec<String>,
}

pub fn filters(rows: &[FindingRow]) -> FindingFilters {
    let mut f = FindingFilters {
        severities: vec![],
        kinds: vec![],
        revisions: vec![],
    };
    for r in rows {
        if !f.severities.contains(&r.severity) {
            f.severities.push(r.severity);
        }
        if !f.kinds.iter().any(|(k, _)| *k == r.kind) {
            f.kinds.push((r.kind.clone(), r.kind_words));
        }
        if !r.revision.is_empty() && !f.revisions.contains(&r.revision) {
            f.revisions.push(r.revision.clone());
        }
    }
    f
}
