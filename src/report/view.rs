//! `ReportView`: what the human reports show, derived from a `RunSummary` — section texts,
//! confidence ratings, GO / NO-GO, recommendations, the chain diagram and the timeline.
//! Nothing here is hard-coded praise: every line comes from a result.

use crate::scenario::model::Aspect as Covers;
use crate::scenario::{ScenarioResult, Start, Status, StepResult};

use super::group::{shorten, Grouper};
use super::summary::{RunStatus, RunSummary};
use crate::config::ToolKind;
use crate::findings::{Finding, Severity};

pub struct SummaryRow {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub mark: &'static str,
    pub class: &'static str,
    pub word: &'static str,
    pub details: String,
}

pub struct StepLine {
    pub mark: &'static str,
    pub class: &'static str,
    pub title: String,
    /// Consecutive steps that said the same thing about other revisions, folded into this
    /// one: `29 more like it: 000048 … 000020`.
    pub repeat: Option<String>,
    pub seconds: String,
    pub message: Option<String>,
    /// The statement the server refused (failing steps only).
    pub statement: Option<String>,
    pub details: Vec<String>,
}

pub struct Section {
    pub number: usize,
    pub id: String,
    pub title: String,
    pub mark: &'static str,
    pub word: &'static str,
    pub status_class: &'static str,
    pub command: Option<String>,
    pub from: String,
    pub to: String,
    pub log: String,
    pub steps: Vec<StepLine>,
    pub diff: Vec<String>,
    pub data_loss: Vec<String>,
    pub quoted_error: Option<String>,
    pub reason: Option<String>,
    pub warnings: Vec<String>,
    pub seconds: String,
    pub database: String,
}

/// One ranked finding (or a group of alike ones) on one line.
pub struct FindingLine {
    pub mark: &'static str,
    pub class: &'static str,
    /// `F3`, or `F3–F32` for a group of alike findings.
    pub id: Option<String>,
    pub text: String,
}

pub struct ChainLine {
    pub mark: &'static str,
    pub class: &'static str,
    pub id: String,
    pub description: String,
    pub note: String,
}

pub struct Aspect {
    pub name: &'static str,
    pub stars: String,
    /// 0 (not rated) to 5, for the HTML meter.
    pub rating: u8,
    pub notes: String,
}

/// One reason in the conclusion: the scenario's verdict on one line.
pub struct Conclusion {
    pub mark: &'static str,
    pub class: &'static str,
    pub text: String,
}

pub struct Bar {
    pub y: u32,
    pub x: f64,
    pub width: f64,
    pub class: &'static str,
    pub tip: String,
}

pub struct ReportView {
    pub head: String,
    pub date: String,
    pub tester: String,
    pub status_mark: &'static str,
    pub status_class: &'static str,
    pub status_text: String,
    pub go: bool,
    pub rows: Vec<SummaryRow>,
    /// Every finding once, ranked: new revisions first, blocking before warnings.
    pub findings: Vec<FindingLine>,
    /// `2 blocking, 1 warning, 4 history`.
    pub findings_counts: String,
    /// What seeding could not do (run information, never a finding); None when it did all.
    pub seeding: Option<String>,
    pub sections: Vec<Section>,
    pub chain: Vec<ChainLine>,
    pub chain_findings: Vec<String>,
    pub chain_status: String,
    pub mermaid: String,
    pub confidence: Vec<Aspect>,
    pub prerequisites: Vec<String>,
    pub deploy_steps: Vec<String>,
    pub blockers: Vec<String>,
    pub rollback_note: String,
    pub rollback_steps: Vec<String>,
    pub environment: Vec<(String, String)>,
    pub conclusion: Vec<Conclusion>,
    pub bars: Vec<Bar>,
    pub timeline_height: u32,
    pub timeline_scale: String,
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

pub fn class(st: Status) -> &'static str {
    match st {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::Error => "error",
    }
}

/// Python tracebacks shrink to their last frame and the exception line: the frames of
/// SQLAlchemy and PyMySQL tell a release manager nothing.
fn condense(log: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut frames = 0usize;
    let mut in_tb = false;
    for line in log.lines() {
        if line.starts_with("Traceback (most recent call last)") {
            in_tb = true;
            frames = 0;
            out.push(line.to_string());
            continue;
        }
        if in_tb && (line.starts_with(' ') || line.trim().is_empty()) {
            frames += 1;
            continue;
        }
        if in_tb {
            in_tb = false;
            if frames > 0 {
                out.push(format!("  [… {frames} traceback lines omitted …]"));
            }
        }
        out.push(line.to_string());
    }
    out.join("\n")
}

/// Keeps the last `n` lines of a log: the end is where the failure is.
fn tail_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() <= n {
        return s.to_string();
    }
    format!(
        "[… {} earlier lines omitted …]\n{}",
        lines.len() - n,
        lines[lines.len() - n..].join("\n")
    )
}

/// Lines longer than this are printed in full once; a repeat becomes a reference.
const LONG: usize = 160;

/// A long message or detail already printed in an earlier section (two scenarios running the
/// same query, say) is shortened to a reference to the first one.
fn refer_to_first(sections: &mut [Section]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for sec in sections.iter_mut() {
        for st in &mut sec.steps {
            for t in st.message.iter_mut().chain(st.details.iter_mut()) {
                if t.chars().count() <= LONG {
                    continue;
                }
                match seen.get(t.as_str()) {
                    Some(&n) if n != sec.number => {
                        *t = format!("{} (in full in Test {n})", shorten(t, 100));
                    }
                    _ => {
                        seen.insert(t.clone(), sec.number);
                    }
                }
            }
        }
    }
}

/// The scenario's verdict on one line: its problems (or warnings) grouped by revision, the
/// first clause of each. The full text is printed once, in the scenario's section.
pub fn scenario_short(s: &ScenarioResult, g: &Grouper) -> String {
    let (lead, items): (String, Vec<(String, Option<String>)>) = match s.status {
        Status::Failed | Status::Error => (
            String::new(),
            s.steps
                .iter()
                .filter(|st| matches!(st.status, Status::Failed | Status::Error))
                .filter(|st| st.demoted.is_none())
                .map(|st| {
                    (
                        st.message.clone().unwrap_or_else(|| st.title.clone()),
                        st.revision.clone(),
                    )
                })
                .collect(),
        ),
        Status::Passed if !s.warnings.is_empty() => (
            format!(
                "passed with {} warning{}: ",
                s.warnings.len(),
                if s.warnings.len() == 1 { "" } else { "s" }
            ),
            s.warnings
                .iter()
                .map(|w| (w.to_string(), w.revision.clone()))
                .collect(),
        ),
        _ => (String::new(), Vec::new()),
    };
    if items.is_empty() {
        return shorten(&s.details, 200);
    }
    let groups = g.group(items);
    let budget = if groups.len() == 1 { 220 } else { 120 };
    let mut parts: Vec<String> = groups.iter().take(2).map(|x| g.short(x, budget)).collect();
    if groups.len() > 2 {
        parts.push(format!("and {} more", groups.len() - 2));
    }
    format!("{lead}{}", parts.join("; "))
}

/// Steps that said the same thing about consecutive revisions fold into one line.
fn step_lines(steps: &[StepResult], g: &Grouper) -> Vec<StepLine> {
    let key = |st: &StepResult| -> String {
        let mut k = format!("{:?}|{}", st.status, g.template(&st.title).0);
        for t in st.message.iter().chain(st.details.iter()) {
            k.push('|');
            k.push_str(&g.template(t).0);
        }
        k
    };
    let keys: Vec<String> = steps.iter().map(key).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let mut j = i + 1;
        while j < steps.len() && keys[j] == keys[i] {
            j += 1;
        }
        let st = &steps[i];
        let more: Vec<String> = steps[i + 1..j]
            .iter()
            .filter_map(|x| x.revision.clone().or_else(|| g.template(&x.title).1))
            .collect();
        let repeat = (j - i > 1).then(|| {
            if more.is_empty() {
                format!("{} more like it", j - i - 1)
            } else {
                format!("{} more like it: {}", j - i - 1, g.list(&more))
            }
        });
        out.push(StepLine {
            mark: st.status.mark(),
            class: class(st.status),
            title: st.title.clone(),
            repeat,
            seconds: secs(steps[i..j].iter().map(|x| x.duration_ms).sum()),
            message: st.message.clone(),
            statement: st
                .statement
                .as_deref()
                .map(statement_text)
                .filter(|x| st.status != Status::Passed && !x.is_empty()),
            // The message is printed just above; a detail repeating it adds nothing.
            details: st
                .details
                .iter()
                .filter(|d| Some(*d) != st.message.as_ref())
                .cloned()
                .collect(),
        });
        i = j;
    }
    out
}

/// The SQL of a failing statement without the driver's `statement 1 of 3:` label.
pub fn statement_text(s: &str) -> String {
    let s = s.trim();
    match s.split_once(':') {
        Some((label, rest))
            if label.starts_with("statement ")
                && label[10..]
                    .split(" of ")
                    .all(|n| n.trim().parse::<u32>().is_ok()) =>
        {
            rest.trim().to_string()
        }
        _ => s.to_string(),
    }
}

/// The tool output worth reading: the failing steps' (the first few), else everything,
/// bounded either way — the end of a log is where the failure is.
fn section_log(main_steps: &[&StepResult]) -> String {
    let failing: Vec<&&StepResult> = main_steps
        .iter()
        .filter(|st| st.status != Status::Passed && st.log.is_some())
        .collect();
    let chosen: Vec<&StepResult> = if failing.is_empty() {
        main_steps.to_vec()
    } else {
        failing.iter().take(3).map(|st| **st).collect()
    };
    let mut log = String::new();
    for st in &chosen {
        if let Some(l) = &st.log {
            let l: Vec<&str> = l.lines().filter(|x| !x.trim().is_empty()).collect();
            if let Some(c) = &st.command {
                log.push_str(&format!("$ {c}\n"));
            }
            log.push_str(&tail_lines(&condense(&l.join("\n")), 25));
            log.push('\n');
        }
    }
    let mut log = tail_lines(log.trim_end(), 60);
    if failing.len() > 3 {
        log.push_str(&format!(
            "\n[… output of {} more failing steps omitted …]",
            failing.len() - 3
        ));
    }
    log
}

/// Warnings grouped; one that only repeats a (demoted) step's message above is referred
/// to on one short line instead of printed a second time.
fn section_warnings(s: &ScenarioResult, g: &Grouper) -> Vec<String> {
    let echoes = |w: &crate::scenario::result::Warning| {
        s.steps
            .iter()
            .any(|st| st.message.as_deref() == Some(w.message.as_str()))
    };
    let (echo, own): (Vec<_>, Vec<_>) = s.warnings.iter().partition(|w| echoes(w));
    let mut out: Vec<String> = g
        .group(own.iter().map(|w| (w.to_string(), w.revision.clone())))
        .iter()
        .map(|x| g.full(x))
        .collect();
    out.extend(
        g.group(echo.iter().map(|w| (w.to_string(), w.revision.clone())))
            .iter()
            .map(|x| {
                format!(
                    "{} (counted as a warning; in full in the steps above)",
                    g.short(x, 140)
                )
            }),
    );
    out
}

fn section(n: usize, s: &ScenarioResult, summary: &RunSummary, g: &Grouper) -> Section {
    let main_steps: Vec<&StepResult> = s
        .steps
        .iter()
        .filter(|st| !st.title.starts_with("prepare:"))
        .collect();
    let command = main_steps.iter().find_map(|st| st.command.clone());
    let log = section_log(&main_steps);
    let head = summary.head.clone().unwrap_or_default();
    let baseline = summary.baseline.clone().unwrap_or_else(|| "base".into());
    let (from, to) = match (s.start, s.aspect) {
        (Start::Empty, _) => ("base".to_string(), head),
        (Start::Baseline, Some(Covers::Rollback)) => (head, baseline),
        (Start::Baseline, _) => (baseline, head),
    };
    // A passed step that carries a server error expected it (e.g. 1054 after rollback).
    let expected_error = s
        .steps
        .iter()
        .find(|st| st.status == Status::Passed && st.error.is_some());
    let quoted_error = if s.status == Status::Passed {
        expected_error
            .and_then(|st| st.error.as_ref())
            .map(|e| format!("({}, \"{}\")", e.code, e.message))
    } else {
        s.first_problem()
            .and_then(|p| p.error.as_ref())
            .map(|e| format!("({}, \"{}\")", e.code, e.message))
    };
    let mut diff: Vec<String> = Vec::new();
    for d in s.steps.iter().flat_map(|st| st.diff.iter()) {
        if !diff.contains(d) {
            diff.push(d.clone());
        }
    }
    Section {
        number: n,
        id: s.id.clone(),
        title: s.title.clone(),
        mark: s.status.mark(),
        word: s.status.word(),
        status_class: class(s.status),
        command,
        from,
        to,
        log,
        steps: step_lines(&s.steps, g),
        diff,
        data_loss: s
            .steps
            .iter()
            .flat_map(|st| st.data_loss.iter().map(|d| d.to_string()))
            .collect(),
        quoted_error,
        reason: s.reason.clone(),
        warnings: section_warnings(s, g),
        seconds: secs(s.duration_ms),
        database: s.database.clone().unwrap_or_else(|| "—".into()),
    }
}

fn stars(st: Option<Status>, warnings: bool) -> (String, u8) {
    let n = match (st, warnings) {
        (Some(Status::Passed), false) => 5,
        (Some(Status::Passed), true) => 4,
        (Some(Status::Failed), _) => 1,
        _ => 0,
    };
    let s = if n == 0 {
        "— not rated".to_string()
    } else {
        format!("{}{}", "⭐".repeat(n as usize), "☆".repeat(5 - n as usize))
    };
    (s, n)
}

fn aspect(summary: &RunSummary, name: &'static str, covers: Option<Covers>) -> Aspect {
    let all: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| covers.is_none() || s.aspect == covers)
        .collect();
    let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    let results: Vec<&ScenarioResult> = all
        .into_iter()
        .filter(|s| s.status != Status::Skipped)
        .collect();
    let worst = results.iter().map(|s| s.status).max_by_key(|s| match s {
        Status::Passed => 0,
        Status::Skipped => 1,
        Status::Failed => 2,
        Status::Error => 3,
    });
    let warnings = results.iter().any(|s| !s.warnings.is_empty());
    let (stars, rating) = stars(worst, warnings);
    // A reference to the section, not the problem again: it is printed in full once.
    let notes = match worst {
        None => "not tested in this run".to_string(),
        Some(Status::Passed) if warnings => format!("passed with warnings ({})", ids.join(", ")),
        Some(Status::Passed) => format!("passed: {}", ids.join(", ")),
        Some(_) => results
            .iter()
            .filter(|s| s.status != Status::Passed)
            .map(|s| {
                format!(
                    "{} {} (Test {})",
                    s.id,
                    s.status.word(),
                    test_number(summary, &s.id)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    Aspect {
        name,
        stars,
        rating,
        notes,
    }
}

fn test_number(summary: &RunSummary, id: &str) -> usize {
    summary
        .scenarios
        .iter()
        .position(|s| s.id == id)
        .map_or(0, |i| i + 1)
}

fn mermaid(summary: &RunSummary) -> String {
    let mut m = String::from("graph TD\n");
    let esc = |s: &str| s.replace('"', "#quot;").replace(['\n', '\r'], " ");
    for (i, r) in summary.chain.revisions.iter().enumerate() {
        m.push_str(&format!(
            "  r{i}[\"{} {}<br/>{}\"]\n",
            r.status.mark(),
            esc(&r.id),
            esc(&r.description)
        ));
    }
    for (i, r) in summary.chain.revisions.iter().enumerate() {
        for p in &r.parents {
            if let Some(pi) = summary.chain.revisions.iter().position(|x| &x.id == p) {
                m.push_str(&format!("  r{pi} --> r{i}\n"));
            }
        }
    }
    m
}

/// `F1, F3–F32`: finding numbers, runs of three or more as a range.
fn id_ranges(ids: &[usize]) -> String {
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

fn severity_mark(s: Severity) -> (&'static str, &'static str) {
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
    let mut out = format!("{} · {}", f.severity.word(), f.headline());
    if !f.defect.diff.is_empty() {
        out.push_str(&format!(": {}", shorten(&f.defect.diff.join("; "), 200)));
    }
    if let Some(q) = f
        .defect
        .statement
        .as_deref()
        .filter(|q| !q.trim().is_empty())
    {
        out.push_str(&format!(" · statement: {}", shorten(q, 120)));
    }
    if causes == Causes::Named && !f.caused_by.is_empty() {
        out.push_str(&format!(" · caused by {}", f.caused_by.join(", ")));
    }
    if let Some(c) = &f.defect.compat {
        out.push_str(&format!(" · fix: {}", c.fix()));
    }
    out
}

fn finding_number(id: &str) -> Option<usize> {
    id.strip_prefix('F')?.parse().ok()
}

/// The findings `keep` selects, ranked; alike ones that differ only in their revision are
/// one line (`30 × warning · empty migration: ‹rev› … — 000020 … 000049`).
pub(super) fn finding_lines(
    summary: &RunSummary,
    g: &Grouper,
    keep: impl Fn(&Finding) -> bool,
) -> Vec<FindingLine> {
    let kept: Vec<&Finding> = summary.findings.iter().filter(|f| keep(f)).collect();
    let key = |f: &Finding| {
        format!(
            "{} · seen in {}",
            describe(f, Causes::Omitted),
            f.scenarios().join(", ")
        )
    };
    let keys: Vec<String> = kept.iter().map(|f| key(f)).collect();
    let templates: Vec<String> = keys.iter().map(|k| g.template(k).0).collect();
    let groups = g.group(
        keys.iter()
            .zip(&kept)
            .map(|(k, f)| (k.clone(), f.defect.revision.clone())),
    );
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
                    id: Some(first.id.clone()),
                    text: finding_text(first),
                };
            }
            let causes: Vec<usize> = members
                .iter()
                .flat_map(|f| f.caused_by.iter())
                .filter_map(|c| finding_number(c))
                .collect();
            let mut text = g.full(grp);
            if !causes.is_empty() {
                text.push_str(&format!(" · caused by {}", id_ranges(&causes)));
            }
            let ids: Vec<usize> = members
                .iter()
                .filter_map(|f| finding_number(&f.id))
                .collect();
            FindingLine {
                mark,
                class,
                id: Some(id_ranges(&ids)),
                text,
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

pub fn build(summary: &RunSummary) -> ReportView {
    let head = summary
        .head
        .clone()
        .unwrap_or_else(|| "(no single head)".into());
    let go = summary.status == RunStatus::Passed;
    let cmds = &summary.tool.commands;
    let baseline = summary.baseline.clone().unwrap_or_else(|| "base".into());
    let failing: Vec<&ScenarioResult> = summary
        .scenarios
        .iter()
        .filter(|s| matches!(s.status, Status::Failed | Status::Error))
        .collect();

    let g = Grouper::new(summary.chain.revisions.iter().map(|r| r.id.as_str()));
    let short: Vec<String> = summary
        .scenarios
        .iter()
        .map(|s| scenario_short(s, &g))
        .collect();
    let rows = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| SummaryRow {
            number: i + 1,
            id: s.id.clone(),
            title: s.title.clone(),
            mark: s.status.mark(),
            class: class(s.status),
            word: s.status.word(),
            details: short[i].clone(),
        })
        .collect();
    let mut sections: Vec<Section> = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| section(i + 1, s, summary, &g))
        .collect();
    refer_to_first(&mut sections);

    let baseline_id = summary.baseline.clone();
    let chain = summary
        .chain
        .revisions
        .iter()
        .map(|r| ChainLine {
            mark: r.status.mark(),
            class: class(r.status),
            id: r.id.clone(),
            description: r.description.clone(),
            note: if Some(&r.id) == summary.head.as_ref() {
                "← NEW (head)".into()
            } else if Some(&r.id) == baseline_id.as_ref() {
                "← production (baseline)".into()
            } else {
                String::new()
            },
        })
        .collect();
    // The chain's findings are in the ranked list already: refer to them, not repeat them.
    let walkers: Vec<&str> = summary
        .scenarios
        .iter()
        .filter(|s| s.steps.iter().any(|st| st.action == "chain_checks"))
        .map(|s| s.id.as_str())
        .collect();
    let chain_ids: Vec<usize> = summary
        .findings
        .iter()
        .filter(|f| {
            f.seen_in.iter().any(|x| {
                x.scenario == super::findings::GRAPH || walkers.contains(&x.scenario.as_str())
            })
        })
        .filter_map(|f| finding_number(&f.id))
        .collect();
    let chain_findings: Vec<String> = if chain_ids.is_empty() {
        vec![]
    } else {
        vec![format!(
            "{} (listed under the Test Summary)",
            id_ranges(&chain_ids)
        )]
    };
    let n = summary.chain.revisions.len();
    // Alembic and Flask-Migrate link revisions by down_revision; SQL directories by the
    // order of their version numbers.
    let linked = match summary.tool.kind {
        ToolKind::Alembic | ToolKind::Flask => "linked by down_revision",
        ToolKind::Sqldir => "versions in order",
        ToolKind::Command => "in the order the tool lists them",
    };
    let chain_status = if summary.chain.errors() > 0 {
        format!(
            "{n} migrations; the revision graph is broken ({} error(s))",
            summary.chain.errors()
        )
    } else if summary
        .chain
        .revisions
        .iter()
        .any(|r| r.status == Status::Failed)
    {
        format!(
            "{n} migrations {linked} as one chain, but the walk base → head → base found defects"
        )
    } else if summary
        .chain
        .revisions
        .iter()
        .all(|r| r.status == Status::Passed)
    {
        format!("All {n} migrations {linked} as one chain, each upgrade and downgrade verified against real schema snapshots")
    } else {
        format!("{n} migrations {linked} as one chain (the walk did not cover every revision)")
    };

    let confidence = vec![
        aspect(summary, "Upgrade", Some(Covers::Upgrade)),
        aspect(summary, "Idempotency", Some(Covers::Idempotency)),
        aspect(summary, "Rollback Safety", Some(Covers::Rollback)),
        aspect(
            summary,
            "Error Reproduction",
            Some(Covers::ErrorReproduction),
        ),
        {
            let mut a = aspect(summary, "Production Ready", None);
            if go {
                a.notes = format!(
                    "{} of {} scenarios passed",
                    summary.count(Status::Passed),
                    summary.scenarios.len()
                );
            }
            a
        },
    ];

    let prerequisites = vec![
        "Back up the production database before deployment (e.g. `mysqldump --single-transaction DB > backup.sql`)".to_string(),
        "Run this harness against a copy of production's schema if it may have drifted ([baseline] setup_sql)".to_string(),
        "Have the rollback procedure below ready".to_string(),
    ];
    let deploy_steps = vec![
        "Deploy the new code with the migration".to_string(),
        format!("Run: `{}`", cmds.upgrade),
        format!("Verify: `{}` shows {head}", cmds.current),
        "Verify: the application starts without \"Unknown column\" (1054) errors".to_string(),
        "Monitor logs for errors".to_string(),
    ];
    let short_of = |id: &str| {
        let i = test_number(summary, id);
        (i, short.get(i.wrapping_sub(1)).cloned().unwrap_or_default())
    };
    // What to fix first: the blocking findings, ranked; a failed scenario whose failure
    // typed no finding (none should) still shows.
    let mut blockers: Vec<String> =
        finding_lines(summary, &g, |f| f.severity == Severity::Blocking)
            .into_iter()
            .map(|l| match l.id {
                Some(id) => format!("{id}: {}", l.text),
                None => l.text,
            })
            .collect();
    blockers.extend(
        failing
            .iter()
            .filter(|s| {
                !summary.findings.iter().any(|f| {
                    f.severity == Severity::Blocking && f.seen_in.iter().any(|x| x.scenario == s.id)
                })
            })
            .map(|s| {
                let (i, text) = short_of(&s.id);
                format!("{} ({}): {text} — Test {i}", s.title, s.id)
            }),
    );
    // The rollback production would run: from the baseline, not the chain walk from empty.
    let down = summary
        .scenarios
        .iter()
        .find(|s| s.aspect == Some(Covers::Rollback) && s.start == Start::Baseline);
    let down_ok = down.is_some_and(|d| d.status == Status::Passed);
    // Claim only what the scenario checked: rows restored only when it seeded rows.
    let seeded = down.is_some_and(|d| {
        d.steps
            .iter()
            .any(|st| st.action == "seed_data" && st.status == Status::Passed)
    });
    let (rollback_note, rollback_steps) = if down_ok {
        (
            if seeded {
                format!("The downgrade {head} → {baseline} was verified with rows seeded: the schema and the seeded rows were restored.")
            } else {
                format!("The downgrade {head} → {baseline} was verified on the schema only (no rows were seeded): the schema was restored; data was not checked.")
            },
            vec![
                "Stop the application".to_string(),
                format!("Run: `{} {baseline}`", cmds.downgrade_to),
                format!("Verify: `{}` shows {baseline}", cmds.current),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    } else {
        (
            match down {
                Some(d) if d.status != Status::Skipped => format!(
                    "Do NOT rely on the downgrade: {} (Test {}). Restore from the backup instead.",
                    short_of(&d.id).1,
                    test_number(summary, &d.id)
                ),
                _ => "The downgrade was not verified in this run: restore from the backup."
                    .to_string(),
            },
            vec![
                "Stop the application".to_string(),
                "Restore the database from the backup: `mysql -u USER -p DB < backup.sql`"
                    .to_string(),
                "Redeploy the previous code version".to_string(),
                "Restart the application".to_string(),
            ],
        )
    };

    let mut environment = vec![
        ("OS".to_string(), summary.os.clone()),
        (
            "Harness".to_string(),
            format!("{} {}", summary.harness.name, summary.harness.version),
        ),
    ];
    environment.extend(
        summary
            .tool
            .versions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    environment.push((
        "Database".to_string(),
        format!(
            "{} {}",
            match summary.server.engine {
                crate::provision::Engine::Mariadb => "MariaDB",
                _ => "MySQL",
            },
            summary.server.version
        ),
    ));
    environment.push((
        "Server provider".to_string(),
        format!("{:?}", summary.server.provider).to_lowercase(),
    ));
    if let Some(i) = &summary.server.image {
        environment.push(("Image".to_string(), i.clone()));
    }
    if !summary.server.settings.is_empty() {
        environment.push((
            "Server settings".to_string(),
            format!(
                "throwaway: {}",
                summary
                    .server
                    .settings
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    environment.push((
        "Database names".to_string(),
        "a fresh `mh_<run>_<n>` database per scenario, dropped afterwards".into(),
    ));
    let t = &summary.timings;
    environment.push((
        "Test duration".to_string(),
        format!(
            "{} (server start {}, tool processes {}, harness {})",
            secs(t.total_ms),
            secs(t.server_start_ms),
            secs(t.tool_ms),
            secs(t.harness_ms)
        ),
    ));

    let line = |s: &ScenarioResult, text: String| Conclusion {
        mark: s.status.mark(),
        class: class(s.status),
        text,
    };
    let conclusion = if go {
        summary
            .scenarios
            .iter()
            .filter(|s| s.status == Status::Passed)
            .map(|s| line(s, format!("{}: {}", s.title, short_of(&s.id).1)))
            .collect()
    } else if summary.status == RunStatus::Skipped {
        // Nothing was tested: say why, scenario by scenario — never a pass.
        let mut v: Vec<Conclusion> = summary
            .scenarios
            .iter()
            .map(|s| {
                line(
                    s,
                    format!("{}: not tested — {}", s.title, short_of(&s.id).1),
                )
            })
            .collect();
        if summary.scope.new.is_empty() {
            v.push(Conclusion {
                mark: Status::Skipped.mark(),
                class: class(Status::Skipped),
                text: match &summary.scope.since {
                    Some(r) => format!("no revision was added or changed since `{r}`"),
                    None => "no revision after the baseline".to_string(),
                },
            });
        }
        v
    } else {
        failing
            .iter()
            .map(|s| {
                let (i, text) = short_of(&s.id);
                line(s, format!("{}: {text} (Test {i})", s.title))
            })
            .collect()
    };

    // Timeline: one row per scenario, its steps side by side, scaled to the longest one.
    let longest = summary
        .scenarios
        .iter()
        .map(|s| s.steps.iter().map(|x| x.duration_ms).sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let width = 560.0;
    let mut bars = Vec::new();
    for (i, s) in summary.scenarios.iter().enumerate() {
        let mut x = 0.0;
        for st in &s.steps {
            let w = (st.duration_ms as f64 / longest as f64) * width;
            bars.push(Bar {
                y: 8 + i as u32 * 22,
                x: 120.0 + x,
                width: w.max(1.0),
                class: class(st.status),
                tip: format!("{}: {} ({})", s.id, st.title, secs(st.duration_ms)),
            });
            x += w;
        }
    }

    ReportView {
        head: head.clone(),
        date: summary
            .started_at
            .format("%B %-d, %Y %H:%M UTC")
            .to_string(),
        tester: format!(
            "{} {} (automated)",
            summary.harness.name, summary.harness.version
        ),
        status_mark: if go {
            "✅"
        } else if summary.status == RunStatus::Error {
            "⚠️"
        } else {
            "❌"
        },
        status_class: match summary.status {
            RunStatus::Passed => "pass",
            RunStatus::Failed => "fail",
            RunStatus::Error => "error",
            RunStatus::Skipped => "skip",
        },
        status_text: match summary.status {
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
        },
        go,
        rows,
        findings: finding_lines(summary, &g, |_| true),
        findings_counts: findings_counts(summary),
        seeding: (!summary.seeding.is_clean()).then(|| summary.seeding.to_string()),
        sections,
        chain,
        chain_findings,
        chain_status,
        mermaid: mermaid(summary),
        confidence,
        prerequisites,
        deploy_steps,
        blockers,
        rollback_note,
        rollback_steps,
        environment,
        conclusion,
        bars,
        timeline_height: 16 + summary.scenarios.len() as u32 * 22,
        timeline_scale: secs(longest),
    }
}

/// Markdown table cell: no pipe or newline may break the row.
pub fn md_cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// Markdown inline text on one line (bullets): newlines flattened.
pub fn md_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// A fence longer than any backtick run inside `s`, so content cannot close it.
pub fn md_fence(s: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

/// Inline code that survives backticks in its content.
pub fn md_code(s: &str) -> String {
    let s = md_line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let f = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{f} {s} {f}")
    } else {
        format!("{f}{s}{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_label_is_dropped() {
        assert_eq!(
            statement_text("statement 1 of 3: ALTER TABLE t"),
            "ALTER TABLE t"
        );
        assert_eq!(statement_text("statement 2 of 2:"), "");
        assert_eq!(
            statement_text("UPDATE t SET a = 'x:y'"),
            "UPDATE t SET a = 'x:y'"
        );
    }

    #[test]
    fn markdown_escapes_hold() {
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
        assert_eq!(md_fence("x ``` y"), "````");
        assert_eq!(md_fence("plain"), "```");
        assert_eq!(md_code("a`b"), "`` a`b ``");
    }
}
