//! Folds what the steps found into `Finding`s: one per defect however many scenarios saw
//! it, scratch database names removed, each linked to the earlier finding that caused it,
//! ranked (new revisions first, blocking before warnings). Pure: no I/O.

use std::collections::HashMap;

use regex::Regex;

use super::summary::ChainView;
use crate::chain::{Finding as GraphFinding, FindingKind as GraphKind, Severity as GraphSeverity};
use crate::config::History;
use crate::driver::FailedStatement;
use crate::findings::{Defect, Finding, FindingId, Kind, Place, Retry, Seen, Severity};
use crate::said::{Left, Quoted, Said};
use crate::scenario::model::StrictnessKey;
use crate::scenario::plan::Scope;
use crate::scenario::result::WarningKind;
use crate::scenario::{ScenarioResult, Status, StepAction, StepResult};

/// The run's findings, ranked, with ids `F1`… in that order.
pub fn derive(chain: &ChainView, scope: &Scope, scenarios: &[ScenarioResult]) -> Vec<Finding> {
    let clean = Normalizer::new();
    let mut fold = Fold::default();
    for g in &chain.findings {
        let counted = match g.severity {
            GraphSeverity::Error => Severity::Blocking,
            GraphSeverity::Warning => Severity::Warning,
        };
        let kind = match g.kind {
            GraphKind::MissingDown { .. } | GraphKind::IrreversibleDowngrade => {
                Kind::EmptyDowngrade
            }
            GraphKind::MissingUp | GraphKind::EmptyUpgrade => Kind::EmptyUpgrade,
            _ => Kind::Graph,
        };
        // An old revision's empty file is history like its failures; a broken graph
        // blocks whatever its age.
        let old = g.revision.as_ref().is_some_and(|r| !scope.new.contains(r));
        let counted = if kind != Kind::Graph && old && scope.history == History::Informational {
            Severity::History
        } else {
            counted
        };
        let d = Defect::new(kind, g.revision.as_deref(), Said::from(g.clone()));
        fold.add(
            d,
            Place::GraphLoad,
            "load the migrations",
            counted,
            (0, 0, 0),
        );
    }
    for (si, s) in scenarios.iter().enumerate() {
        let at = |i: usize, k: usize| (si + 1, i, k);
        let scenario = || Place::Scenario(s.id.clone());
        let mut any_step = false;
        for (i, st) in s.steps.iter().enumerate() {
            for w in &st.warnings {
                // Seeding limits are run information (`RunSummary::seeding`), never findings.
                let kind = match w.kind {
                    // The graph's warnings are folded above; others (a tool that would not
                    // list its heads) are the graph's too.
                    WarningKind::Chain if !repeats_graph(&w.message, &chain.findings) => {
                        Kind::Graph
                    }
                    _ => continue,
                };
                let counted = Severity::Warning;
                let d = Defect::new(kind, w.revision.as_deref(), clean.said(&w.message));
                fold.add(d, scenario(), &st.title.to_string(), counted, at(i, 0));
            }
            if !matches!(st.status, Status::Failed | Status::Error) {
                continue;
            }
            any_step = true;
            let counted = match st.demoted {
                None => Severity::Blocking,
                Some(WarningKind::History) => Severity::History,
                Some(_) => Severity::Warning,
            };
            for (k, d) in defects_of(st).into_iter().enumerate() {
                fold.add(
                    clean.defect(d),
                    scenario(),
                    &st.title.to_string(),
                    counted,
                    at(i, k),
                );
            }
        }
        if s.status == Status::Error && !any_step {
            let why = s.reason.clone().unwrap_or_else(|| s.details.clone());
            let d = Defect::new(Kind::ScenarioError, None, clean.said(&why));
            fold.add(
                d,
                scenario(),
                &s.title,
                Severity::Blocking,
                at(usize::MAX, 0),
            );
        }
    }
    fold.finish(chain, scope)
}

/// Whether a walk's warning is one of the graph checks' own findings, which `derive` folds
/// from `chain.findings` already. A warning of this run is the finding itself, compared as a
/// value. One read back from report.json (`merge`) is only the sentence the file kept: a
/// graph finding's sentence is a function of the finding (`said::graph`), so it is that
/// finding when it says that finding's words (`Said`'s equality, as for every message read
/// back); report.json holds nothing else to tell it by.
fn repeats_graph(message: &Said, graph: &[GraphFinding]) -> bool {
    match message {
        Said::Graph(g) => graph.contains(g),
        Said::Recorded(_) => graph.iter().any(|g| *message == Said::from(g.clone())),
        _ => false,
    }
}

/// The step's own defects, the kind set by the opinionated check it ran under; a failed
/// step that typed none is classified by its action.
fn defects_of(st: &StepResult) -> Vec<Defect> {
    let mut out = st.defects.clone();
    if out.is_empty() {
        let summary = st.message.clone().unwrap_or_else(|| st.title.clone());
        let kind = match (st.status, st.action) {
            (Status::Error, _) => Kind::ScenarioError,
            (_, StepAction::Probes | StepAction::ModelCheck) => Kind::ModelMismatch,
            (_, StepAction::Hotfix) => Kind::HotfixFails,
            (_, StepAction::CrashResume) => Kind::NotResumable,
            (_, StepAction::Deploy | StepAction::Upgrade) => Kind::UpgradeFails,
            (_, StepAction::Downgrade) => Kind::DowngradeFails,
            (_, StepAction::AssertSchemaEquals) => Kind::SchemaMismatch,
            (_, StepAction::AssertDataPreserved) => Kind::DataLost,
            (_, StepAction::ChainChecks) => Kind::Graph,
            _ => Kind::CheckFailed,
        };
        let d = Defect::new(kind, st.revision.as_deref(), summary)
            .with_error(st.error.clone(), st.statement.clone())
            .with_diff(st.diff.clone());
        out.push(d);
    }
    for d in &mut out {
        d.kind = match (st.check, d.kind) {
            (Some(StrictnessKey::Idempotency), Kind::UpgradeFails | Kind::SchemaMismatch) => {
                Kind::NotIdempotent
            }
            (
                Some(StrictnessKey::Hotfix),
                Kind::UpgradeFails | Kind::SchemaMismatch | Kind::CheckFailed,
            ) => Kind::HotfixFails,
            (Some(StrictnessKey::ReproduceError), Kind::CheckFailed | Kind::ModelMismatch) => {
                Kind::ErrorNotReproduced
            }
            (_, k) => k,
        };
    }
    out
}

/// Removes what differs between two sightings of one defect: the scratch database's name
/// (`'mh_2611241818265973_17.tags'` → `'tags'`) and a statement's position label.
struct Normalizer {
    bare: Regex,
}

impl Normalizer {
    fn new() -> Self {
        Normalizer {
            bare: Regex::new(r"\bmh_[0-9a-f]{8,}_[0-9]+\b").expect("valid regex"),
        }
    }

    fn text(&self, s: &str) -> String {
        let s = crate::findings::unqualified(s);
        self.bare.replace_all(&s, "‹database›").into_owned()
    }

    /// Text the run did not word is cleaned; a typed message names no scratch database.
    fn said(&self, s: &Said) -> Said {
        s.map_text(|t| self.text(t))
    }

    fn defect(&self, mut d: Defect) -> Defect {
        d.summary = self.said(&d.summary);
        if let Some(e) = &mut d.error {
            e.message = self.text(&e.message);
        }
        d.statement = d
            .statement
            .map(|s| FailedStatement::sql(self.text(s.sql.trim())));
        // Schema differences are typed and read without the database's qualifier already.
        if let Some(l) = &mut d.left_behind {
            if let Retry::Fails { error, message, .. } = &mut l.retry {
                *message = self.text(message);
                if let Some(e) = error {
                    e.message = self.text(&e.message);
                }
            }
        }
        d
    }
}

/// What makes two sightings one finding: kind, revision, server code, and for the kinds
/// without a code of their own (graph, seeding, a scenario that could not run) the text.
type Key = (Kind, Option<String>, Option<u16>, Option<String>);

/// Findings being folded: one entry per key, sightings in the order seen.
#[derive(Default)]
struct Fold {
    entries: Vec<Entry>,
    index: HashMap<Key, usize>,
}

impl Fold {
    fn add(&mut self, d: Defect, scenario: Place, step: &str, counted: Severity, at: At) {
        // Same kind at the same revision with the same server code is the same defect; a
        // warning with no code is told apart by its text, and so is each blocking statement
        // of a revision (two copies answer with the same 1846).
        let code = d.error.as_ref().map(|e| e.code);
        let text = matches!(
            d.kind,
            Kind::Graph
                | Kind::ScenarioError
                | Kind::BlocksWrites
                | Kind::BreaksPreviousRelease
                | Kind::CodeAheadOfSchema
        )
        .then(|| d.summary.to_string());
        let key = (d.kind, d.revision.clone(), code, text);
        let found = self.index.get(&key).copied();
        let seen = Seen {
            scenario,
            step: step.to_string(),
            counted,
        };
        match found {
            Some(i) => {
                let e = &mut self.entries[i];
                e.severity = e.severity.min(counted);
                if !e
                    .seen
                    .iter()
                    .any(|s| s.scenario == seen.scenario && s.step == seen.step)
                {
                    e.seen.push(seen);
                }
                e.at.push(at);
                // The walk's line with its blame and the rollback's without are one difference.
                for line in d.diff {
                    if !e.defect.diff.iter().any(|l| l.same_change(&line)) {
                        e.defect.diff.push(line);
                    }
                }
                if e.defect.left_behind.is_none() {
                    e.defect.left_behind = d.left_behind;
                }
                if e.defect.statement.is_none() {
                    e.defect.statement = d.statement;
                }
                if e.defect.statement_at.is_none() {
                    e.defect.statement_at = d.statement_at;
                }
            }
            None => {
                self.index.insert(key, self.entries.len());
                self.entries.push(Entry {
                    defect: d,
                    seen: vec![seen],
                    at: vec![at],
                    severity: counted,
                    linked: vec![],
                });
            }
        }
    }

    fn finish(mut self, chain: &ChainView, scope: &Scope) -> Vec<Finding> {
        self.absorb();
        self.deploy_is_code_ahead();
        self.half_applied();
        let causes = causes(&self.entries);
        let pos: HashMap<&str, usize> = chain
            .revisions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let is_new = |r: &Option<String>| match r {
            None => true,
            Some(r) => scope.new.iter().any(|n| n == r),
        };
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        // New revisions first, then blocking before warnings, then by kind (so alike
        // findings get neighbouring ids and group on one line), the newest revision first.
        order.sort_by_key(|&i| {
            let e = &self.entries[i];
            let p = e
                .defect
                .revision
                .as_deref()
                .and_then(|r| pos.get(r).copied());
            (
                !is_new(&e.defect.revision),
                e.severity,
                e.defect.kind,
                std::cmp::Reverse(p.map_or(usize::MAX, |p| p + 1)),
                i,
            )
        });
        let id_of: HashMap<usize, FindingId> = order
            .iter()
            .enumerate()
            .map(|(rank, &i)| (i, FindingId(rank + 1)))
            .collect();
        order
            .iter()
            .map(|&i| {
                let e = &self.entries[i];
                let d = &e.defect;
                let rev = d
                    .revision
                    .as_deref()
                    .and_then(|r| chain.revisions.iter().find(|x| x.id == r));
                Finding {
                    id: id_of[&i],
                    severity: e.severity,
                    new: is_new(&d.revision),
                    file: d
                        .statement_at
                        .as_ref()
                        .map(|a| a.file.clone())
                        .or_else(|| rev.and_then(|r| r.file.clone())),
                    line: match &d.statement_at {
                        Some(a) => Some(a.line),
                        None => rev.and_then(|r| r.line),
                    },
                    defect: d.clone(),
                    seen_in: e.seen.clone(),
                    caused_by: causes[i].iter().map(|c| id_of[c]).collect(),
                }
            })
            .collect()
    }

    /// A downgrade over several revisions that left differences names no revision; when
    /// one revision's finding has all of them, it is that finding, seen once more.
    fn absorb(&mut self) {
        let mut gone = Vec::new();
        for i in 0..self.entries.len() {
            let e = &self.entries[i];
            if e.defect.kind != Kind::DowngradeLeavesSchema
                || e.defect.revision.is_some()
                || e.defect.diff.is_empty()
            {
                continue;
            }
            let host = (0..self.entries.len()).find(|&j| {
                let c = &self.entries[j];
                j != i
                    && c.defect.kind == Kind::DowngradeLeavesSchema
                    && c.defect.revision.is_some()
                    && e.defect
                        .diff
                        .iter()
                        .all(|l| c.defect.diff.iter().any(|m| m.same_change(l)))
            });
            if let Some(j) = host {
                let (seen, at, severity) = (e.seen.clone(), e.at.clone(), e.severity);
                let c = &mut self.entries[j];
                c.severity = c.severity.min(severity);
                c.seen.extend(seen);
                c.at.extend(at);
                gone.push(i);
            }
        }
        for i in gone.into_iter().rev() {
            self.entries.remove(i);
        }
    }

    /// The deploy rehearsal that dies on a column the new code needs and the schema lacks,
    /// and the compat check that found that column missing, are one defect: the deploy's
    /// finding (it names the app's file and line) carries the compat detail and sighting.
    fn deploy_is_code_ahead(&mut self) {
        let mut gone = Vec::new();
        for i in 0..self.entries.len() {
            let Some(c) = self.entries[i].defect.compat.clone() else {
                continue;
            };
            if self.entries[i].defect.kind != Kind::CodeAheadOfSchema {
                continue;
            }
            let host = (0..self.entries.len()).find(|&j| {
                let d = &self.entries[j].defect;
                d.kind == Kind::DeployBlocked
                    && d.error
                        .as_ref()
                        .and_then(crate::compat::Subject::of)
                        .is_some_and(|s| {
                            s.column() == c.column.as_deref()
                                && (s.table().is_none() || s.table() == c.table.as_deref())
                        })
            });
            if let Some(j) = host {
                let (seen, at, severity) = (
                    self.entries[i].seen.clone(),
                    self.entries[i].at.clone(),
                    self.entries[i].severity,
                );
                let h = &mut self.entries[j];
                h.severity = h.severity.min(severity);
                h.seen.extend(seen);
                h.at.extend(at);
                h.defect.compat = Some(c);
                gone.push(i);
            }
        }
        for i in gone.into_iter().rev() {
            self.entries.remove(i);
        }
    }

    /// A failure that left statements applied, and that a re-run does not get past, is a
    /// finding of its own: the database production would be left with.
    fn half_applied(&mut self) {
        let mut extra = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let Some(l) = &e.defect.left_behind else {
                continue;
            };
            let Retry::Fails {
                error,
                message,
                statement,
            } = &l.retry
            else {
                continue;
            };
            if !l.is_half_applied() {
                continue;
            }
            let again = match error {
                Some(err) => Quoted::new(err),
                None => Quoted::new(message),
            };
            // A real process's statements are not seen: then its schema changes are what stays.
            let summary = Left::StaysApplied {
                revision: e.defect.revision.clone(),
                statements: l.statements_applied,
                failed: l.failed_statement,
                version_table: Quoted::new(&l.version_table),
                again,
            };
            let mut d = Defect::new(Kind::HalfApplied, e.defect.revision.as_deref(), summary)
                .with_diff(l.changed.clone());
            // The re-run's own error and statement: it may fail elsewhere than the first run.
            d.error = error.clone();
            d.statement = statement
                .as_ref()
                .map(|q| FailedStatement::sql(crate::findings::unqualified(q.sql.trim())));
            extra.push(Entry {
                defect: d,
                seen: e.seen.clone(),
                at: e.at.clone(),
                severity: e.severity,
                linked: vec![i],
            });
        }
        self.entries.extend(extra);
    }
}

mod entry;
mod link;

use entry::{At, Entry};
use link::causes;

#[cfg(test)]
mod tests;
