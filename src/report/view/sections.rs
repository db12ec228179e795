//! The per-scenario sections of the full report (HTML): each step on a line, alike steps
//! folded, the failing statement, the tool output worth reading, schema diff and warnings.

use crate::report::online::{self, OnlineTable};
use crate::scenario::model::Aspect as Covers;
use crate::scenario::{ScenarioResult, Start, Status, StepPhase, StepResult};

use super::super::group::{shorten, Grouper, Member};
use super::super::summary::RunSummary;
use super::text::{class, condense, secs, tail_lines};

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
    /// Online DDL: per revision, how each schema change runs (the `online_ddl` step).
    pub online: Vec<OnlineTable>,
    /// Older revisions whose changes block nothing, not tabulated.
    pub online_omitted: usize,
    /// Said once, under the online-DDL tables.
    pub online_note: Option<&'static str>,
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
    let (lead, items): (String, Vec<Member>) = match s.status {
        Status::Failed | Status::Error => (
            String::new(),
            s.steps
                .iter()
                .filter(|st| matches!(st.status, Status::Failed | Status::Error))
                .filter(|st| st.demoted.is_none())
                .map(|st| {
                    g.member(
                        st.message.as_ref().unwrap_or(&st.title),
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
                .map(|w| g.member(w, w.revision.clone()))
                .collect(),
        ),
        _ => (String::new(), Vec::new()),
    };
    if items.is_empty() {
        return shorten(&s.details.to_string(), 200);
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
        let mut k = format!("{:?}|{}", st.status, g.template_of(&st.title));
        for t in st.message.iter().chain(st.details.iter()) {
            k.push('|');
            k.push_str(&g.template_of(t));
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
            .filter_map(|x| x.revision.clone())
            .collect();
        let repeat = (j - i > 1).then(|| {
            if more.is_empty() {
                format!("{} more like it", j - i - 1)
            } else {
                format!("{} more like it: {}", j - i - 1, g.list(&more))
            }
        });
        out.push(StepLine {
            class: class(st.status),
            title: st.title.to_string(),
            repeat,
            seconds: secs(steps[i..j].iter().map(|x| x.duration_ms).sum()),
            message: st.message.as_ref().map(ToString::to_string),
            statement: st
                .statement
                .as_ref()
                .map(|q| q.text().to_string())
                .filter(|x| st.status != Status::Passed && !x.is_empty()),
            // The message is printed just above; a detail repeating it adds nothing.
            details: st
                .details
                .iter()
                .map(ToString::to_string)
                .filter(|d| st.message.as_ref().is_none_or(|m| m != d.as_str()))
                .collect(),
        });
        i = j;
    }
    out
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
            .any(|st| st.message.as_ref() == Some(&w.message))
    };
    let (echo, own): (Vec<_>, Vec<_>) = s.warnings.iter().partition(|w| echoes(w));
    let mut out: Vec<String> = g
        .group(own.iter().map(|w| g.member(*w, w.revision.clone())))
        .iter()
        .map(|x| g.full(x))
        .collect();
    out.extend(
        g.group(echo.iter().map(|w| g.member(*w, w.revision.clone())))
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
        .filter(|st| st.phase == StepPhase::Exercise)
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
    let (online, online_omitted) = online::tables(&s.steps, &summary.scope.new);
    let mut diff: Vec<String> = Vec::new();
    for d in s.steps.iter().flat_map(|st| st.diff.iter()) {
        let line = d.to_string();
        if !diff.contains(&line) {
            diff.push(line);
        }
    }
    Section {
        number: n,
        id: s.id.clone(),
        title: s.title.clone(),
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
        reason: s.reason.as_ref().map(ToString::to_string),
        warnings: section_warnings(s, g),
        seconds: secs(s.duration_ms),
        database: s.database.clone().unwrap_or_else(|| "—".into()),
        online,
        online_omitted,
        online_note: s
            .steps
            .iter()
            .any(|st| st.online_ddl.is_some())
            .then_some(online::METADATA_LOCK_NOTE),
    }
}
/// The test summary table: one row per scenario with its one-line verdict (`short`).
pub fn rows(summary: &RunSummary, short: &[String]) -> Vec<SummaryRow> {
    summary
        .scenarios
        .iter()
        .zip(short)
        .enumerate()
        .map(|(i, (s, details))| SummaryRow {
            number: i + 1,
            id: s.id.clone(),
            title: s.title.clone(),
            mark: s.status.mark(),
            class: class(s.status),
            word: s.status.word(),
            details: details.clone(),
        })
        .collect()
}

/// Every scenario's section, a long text printed twice referring to its first print.
pub fn sections(summary: &RunSummary, g: &Grouper) -> Vec<Section> {
    let mut sections: Vec<Section> = summary
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| section(i + 1, s, summary, g))
        .collect();
    refer_to_first(&mut sections);
    sections
}
