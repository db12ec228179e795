//! The revision graph: `Chain` (revisions in order base → head) and `verify()`, which reports
//! duplicate ids, missing parents, cycles, several heads, orphan files and irreversible
//! downgrades as data. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How a tool records its version: one row (Alembic, golang-migrate) or a row per applied
/// revision (dbmate, sqlx, goose, Django).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionStyle {
    Single,
    PerRevision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DowngradeKind {
    /// The revision has a downgrade that does something.
    Present,
    /// `def downgrade(): pass`, an empty `.down.sql`, or no `-- migrate:down` body.
    Empty,
    /// No downgrade at all (no `.down.sql`, no function).
    Missing,
    /// The tool refuses to reverse it (a Django `RunPython`/`RunSQL` without a reverse).
    Irreversible,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    pub id: String,
    /// Parents; two or more for a merge revision, none for a base.
    pub parents: Vec<String>,
    pub description: String,
    pub file: Option<PathBuf>,
    /// 1-based line of the revision id in `file` (for annotations).
    pub line: Option<usize>,
    pub downgrade: DowngradeKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branch_labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
}

impl Revision {
    pub fn new(id: &str, parents: &[&str], description: &str) -> Self {
        Revision {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            description: description.into(),
            file: None,
            line: None,
            downgrade: DowngradeKind::Present,
            branch_labels: vec![],
            depends_on: vec![],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FindingKind {
    DuplicateId,
    MissingParent {
        parent: String,
    },
    Cycle {
        path: Vec<String>,
    },
    MultipleHeads {
        heads: Vec<String>,
    },
    NoRevisions,
    OrphanFile {
        file: PathBuf,
    },
    MissingDown {
        /// The tool refuses to reverse it (`DowngradeKind::Irreversible`) rather than the
        /// revision having none; written only when true, so a plain missing downgrade reads
        /// as it always did.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        irreversible: bool,
    },
    MissingUp,
    IrreversibleDowngrade,
    EmptyUpgrade,
    ToolDisagrees {
        tool_heads: Vec<String>,
    },
    /// The tool could not load the scripts; the graph was parsed from the files instead.
    ToolCouldNotLoad {
        reason: String,
    },
}

/// One finding of `verify()`, as data: its sentence is written by `said::graph` (report.json
/// keeps it next to the data as `message`, which reading it back ignores).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(flatten)]
    pub kind: FindingKind,
    pub revision: Option<String>,
}

/// Where the graph came from: the tool itself, or the files read without executing them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum GraphSource {
    /// Migration files are the graph (SQL directories).
    #[default]
    Files,
    /// Loaded by the tool's own code (Alembic's `ScriptDirectory`).
    Tool { name: String },
    /// The tool could not load the scripts, so the files were parsed instead.
    FilesFallback { reason: String },
}

impl std::fmt::Display for GraphSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphSource::Files => f.write_str("read from the migration files"),
            GraphSource::Tool { name } => write!(f, "loaded by {name}"),
            GraphSource::FilesFallback { reason } => write!(
                f,
                "parsed from the files without executing them (the scripts could not be imported: {reason})"
            ),
        }
    }
}

/// The revisions of a project as its tool knows them, plus files that fit no revision.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Chain {
    pub revisions: Vec<Revision>,
    pub source: GraphSource,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<PathBuf>,
    /// Downgrades are required: an empty one is an error, not a warning.
    #[serde(skip)]
    pub require_downgrades: bool,
    /// Revisions whose up migration is empty (a SQL file with nothing to run).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub empty_upgrades: Vec<String>,
}

/// The result of `verify()`: an order from base to head (when one exists) and the findings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainReport {
    pub order: Vec<String>,
    pub heads: Vec<String>,
    pub findings: Vec<Finding>,
}

impl ChainReport {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    pub fn head(&self) -> Option<&str> {
        (self.heads.len() == 1).then(|| self.heads[0].as_str())
    }

    /// The error findings, in the order found (a skipped scenario's reason names them).
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
    }
}

/// A revision the user named that the chain cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnresolvedRevision {
    #[error("unknown revision `{id}`; valid: {}", valid.join(", "))]
    Unknown { id: String, valid: Vec<String> },
    #[error("`{id}` is ambiguous: {}", matches.join(", "))]
    Ambiguous { id: String, matches: Vec<String> },
}

impl Chain {
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.id == id)
    }

    /// Resolves a user-given revision as Alembic does: exact id, a branch label (`label` or
    /// `label@head`, the newest revision of that branch), or a unique id prefix.
    pub fn resolve(&self, id: &str) -> Result<String, UnresolvedRevision> {
        if self.get(id).is_some() {
            return Ok(id.to_string());
        }
        let (label, at_head) = match id.strip_suffix("@head") {
            Some(l) => (l, true),
            None => (id, false),
        };
        if let Some(labelled) = self
            .revisions
            .iter()
            .find(|r| r.branch_labels.iter().any(|b| b == label))
        {
            return Ok(if at_head {
                self.branch_head(&labelled.id)
            } else {
                labelled.id.clone()
            });
        }
        let matches: Vec<&str> = self
            .revisions
            .iter()
            .filter(|r| r.id.starts_with(id))
            .map(|r| r.id.as_str())
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.to_string()),
            [] => Err(UnresolvedRevision::Unknown {
                id: id.to_string(),
                valid: self.revisions.iter().map(|r| r.id.clone()).collect(),
            }),
            many => Err(UnresolvedRevision::Ambiguous {
                id: id.to_string(),
                matches: many.iter().map(|m| m.to_string()).collect(),
            }),
        }
    }

    /// The newest revision reachable upwards from `from` along one line of children
    /// (Alembic's `label@head`); stops at a fork, a merge still counts as the branch's head.
    fn branch_head(&self, from: &str) -> String {
        let mut cur = from.to_string();
        loop {
            let children: Vec<&Revision> = self
                .revisions
                .iter()
                .filter(|r| r.parents.contains(&cur))
                .collect();
            match children.as_slice() {
                [one] => cur = one.id.clone(),
                _ => return cur,
            }
        }
    }

    pub fn verify(&self) -> ChainReport {
        let mut findings = Vec::new();
        let mut found = |severity: Severity, kind: FindingKind, rev: Option<&str>| {
            findings.push(Finding {
                severity,
                kind,
                revision: rev.map(str::to_string),
            })
        };
        if self.revisions.is_empty() {
            found(Severity::Error, FindingKind::NoRevisions, None);
        }

        let mut by_id: BTreeMap<&str, &Revision> = BTreeMap::new();
        for r in &self.revisions {
            if by_id.insert(r.id.as_str(), r).is_some() {
                found(Severity::Error, FindingKind::DuplicateId, Some(&r.id));
            }
        }
        for r in &self.revisions {
            for p in r.parents.iter().chain(r.depends_on.iter()) {
                if !by_id.contains_key(p.as_str()) {
                    let kind = FindingKind::MissingParent { parent: p.clone() };
                    found(Severity::Error, kind, Some(&r.id));
                }
            }
        }
        if let Some(path) = find_cycle(&by_id) {
            let first = path[0].clone();
            found(Severity::Error, FindingKind::Cycle { path }, Some(&first));
        }

        let referenced: BTreeSet<&str> = self
            .revisions
            .iter()
            .flat_map(|r| r.parents.iter().map(String::as_str))
            .collect();
        let heads: Vec<String> = by_id
            .keys()
            .filter(|id| !referenced.contains(*id))
            .map(|s| s.to_string())
            .collect();
        if heads.len() > 1 {
            let kind = FindingKind::MultipleHeads {
                heads: heads.clone(),
            };
            found(Severity::Error, kind, None);
        }
        if let GraphSource::FilesFallback { reason } = &self.source {
            let kind = FindingKind::ToolCouldNotLoad {
                reason: reason.clone(),
            };
            found(Severity::Warning, kind, None);
        }
        for f in &self.orphans {
            found(
                Severity::Warning,
                FindingKind::OrphanFile { file: f.clone() },
                None,
            );
        }
        let downgrades = if self.require_downgrades {
            Severity::Error
        } else {
            Severity::Warning
        };
        for r in &self.revisions {
            let kind = match r.downgrade {
                DowngradeKind::Present => continue,
                DowngradeKind::Empty => FindingKind::IrreversibleDowngrade,
                DowngradeKind::Missing => FindingKind::MissingDown {
                    irreversible: false,
                },
                DowngradeKind::Irreversible => FindingKind::MissingDown { irreversible: true },
            };
            found(downgrades, kind, Some(&r.id));
        }
        for id in &self.empty_upgrades {
            found(Severity::Warning, FindingKind::EmptyUpgrade, Some(id));
        }
        let order = if findings
            .iter()
            .any(|f| matches!(f.kind, FindingKind::Cycle { .. } | FindingKind::DuplicateId))
        {
            Vec::new()
        } else {
            topo_order(&self.revisions)
        };
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        ChainReport {
            order,
            heads,
            findings,
        }
    }
}

/// Kahn's algorithm over parent and `depends_on` edges (a dependency is applied first, as
/// Alembic does); ties keep file order so the result is stable.
fn topo_order(revs: &[Revision]) -> Vec<String> {
    let ids: BTreeSet<&str> = revs.iter().map(|r| r.id.as_str()).collect();
    let before = |r: &Revision| -> BTreeSet<String> {
        r.parents
            .iter()
            .chain(r.depends_on.iter())
            .filter(|p| ids.contains(p.as_str()))
            .cloned()
            .collect()
    };
    let mut indeg: BTreeMap<&str, usize> = revs
        .iter()
        .map(|r| (r.id.as_str(), before(r).len()))
        .collect();
    let mut out = Vec::new();
    let mut ready: Vec<&str> = revs
        .iter()
        .filter(|r| indeg[r.id.as_str()] == 0)
        .map(|r| r.id.as_str())
        .collect();
    while let Some(id) = (!ready.is_empty()).then(|| ready.remove(0)) {
        out.push(id.to_string());
        for r in revs.iter().filter(|r| before(r).contains(id)) {
            let d = indeg.get_mut(r.id.as_str()).expect("known id");
            *d -= 1;
            if *d == 0 {
                ready.push(r.id.as_str());
            }
        }
    }
    out
}

fn find_cycle(by_id: &BTreeMap<&str, &Revision>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    fn visit<'a>(
        id: &'a str,
        by_id: &BTreeMap<&'a str, &'a Revision>,
        marks: &mut BTreeMap<&'a str, Mark>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(id) {
            Some(Mark::Done) => return None,
            Some(Mark::Visiting) => {
                let start = stack.iter().position(|s| *s == id).unwrap_or(0);
                let mut path: Vec<String> = stack[start..].iter().map(|s| s.to_string()).collect();
                path.push(id.to_string());
                return Some(path);
            }
            None => {}
        }
        marks.insert(id, Mark::Visiting);
        stack.push(id);
        if let Some(r) = by_id.get(id) {
            for p in &r.parents {
                if let Some((k, _)) = by_id.get_key_value(p.as_str()) {
                    if let Some(c) = visit(k, by_id, marks, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(id, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for id in by_id.keys() {
        if let Some(c) = visit(id, by_id, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(revs: Vec<Revision>) -> ChainReport {
        Chain {
            revisions: revs,
            ..Default::default()
        }
        .verify()
    }

    #[test]
    fn linear_chain_orders_base_to_head() {
        let r = chain(vec![
            Revision::new("c", &["b"], "third"),
            Revision::new("a", &[], "first"),
            Revision::new("b", &["a"], "second"),
        ]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!(r.order, ["a", "b", "c"]);
        assert_eq!(r.head(), Some("c"));
    }

    #[test]
    fn merge_revision_is_one_head() {
        let r = chain(vec![
            Revision::new("a", &[], ""),
            Revision::new("b1", &["a"], ""),
            Revision::new("b2", &["a"], ""),
            Revision::new("m", &["b1", "b2"], "merge"),
        ]);
        assert!(!r.has_errors(), "{:?}", r.findings);
        assert_eq!(r.heads, ["m"]);
        assert_eq!(r.order.first().map(String::as_str), Some("a"));
        assert_eq!(r.order.last().map(String::as_str), Some("m"));
    }

    #[test]
    fn two_heads_are_an_error() {
        let r = chain(vec![
            Revision::new("a", &[], ""),
            Revision::new("b1", &["a"], ""),
            Revision::new("b2", &["a"], ""),
        ]);
        assert!(r.findings.iter().any(
            |f| matches!(&f.kind, FindingKind::MultipleHeads { heads } if heads == &["b1", "b2"])
        ));
        assert_eq!(r.head(), None);
    }

    #[test]
    fn missing_parent_is_named() {
        let r = chain(vec![
            Revision::new("a", &[], ""),
            Revision::new("b", &["zz"], ""),
        ]);
        let f = r
            .findings
            .iter()
            .find(|f| matches!(&f.kind, FindingKind::MissingParent { parent } if parent == "zz"))
            .unwrap();
        assert_eq!(f.revision.as_deref(), Some("b"));
        assert_eq!(f.severity, Severity::Error);
    }

    #[test]
    fn cycle_is_found_with_its_path() {
        let r = chain(vec![
            Revision::new("a", &[], ""),
            Revision::new("b", &["a", "c"], ""),
            Revision::new("c", &["b"], ""),
        ]);
        let f = r
            .findings
            .iter()
            .find(|f| matches!(f.kind, FindingKind::Cycle { .. }))
            .unwrap();
        let FindingKind::Cycle { path } = &f.kind else {
            unreachable!()
        };
        assert!(
            path.contains(&"b".to_string()) && path.contains(&"c".to_string()),
            "{path:?}"
        );
        assert_eq!(path.first(), path.last(), "a cycle ends where it starts");
        assert_eq!(f.revision.as_ref(), path.first());
        assert!(r.order.is_empty());
    }

    #[test]
    fn duplicate_id_is_an_error() {
        let r = chain(vec![
            Revision::new("a", &[], ""),
            Revision::new("a", &[], "again"),
        ]);
        assert!(r
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::DuplicateId));
    }

    #[test]
    fn irreversible_downgrade_warns_or_fails_by_config() {
        let mut rev = Revision::new("a", &[], "");
        rev.downgrade = DowngradeKind::Empty;
        let mut c = Chain {
            revisions: vec![rev],
            ..Default::default()
        };
        let w = c.verify();
        assert_eq!(w.findings[0].kind, FindingKind::IrreversibleDowngrade);
        assert_eq!(w.findings[0].severity, Severity::Warning);
        c.require_downgrades = true;
        assert!(c.verify().has_errors());
    }

    #[test]
    fn a_refused_downgrade_is_told_from_a_missing_one_and_survives_json() {
        let mut gone = Revision::new("a", &[], "");
        gone.downgrade = DowngradeKind::Missing;
        let mut refused = Revision::new("b", &["a"], "");
        refused.downgrade = DowngradeKind::Irreversible;
        let r = chain(vec![gone, refused]);
        let kinds: Vec<&FindingKind> = r.findings.iter().map(|f| &f.kind).collect();
        assert_eq!(
            kinds,
            [
                &FindingKind::MissingDown {
                    irreversible: false
                },
                &FindingKind::MissingDown { irreversible: true },
            ]
        );
        let j = serde_json::to_string(&r.findings).unwrap();
        assert_eq!(
            j,
            r#"[{"severity":"warning","kind":"missing_down","revision":"a"},{"severity":"warning","kind":"missing_down","irreversible":true,"revision":"b"}]"#
        );
        let back: Vec<Finding> = serde_json::from_str(&j).unwrap();
        assert_eq!(back, r.findings);
    }

    #[test]
    fn branch_labels_resolve_to_their_revision_or_branch_head() {
        let mut a = Revision::new("a", &[], "");
        a.branch_labels = vec!["core".into()];
        let mut f = Revision::new("f1", &["a"], "");
        f.branch_labels = vec!["feature".into()];
        let c = Chain {
            revisions: vec![
                a,
                Revision::new("b", &["a"], ""),
                f,
                Revision::new("f2", &["f1"], ""),
                Revision::new("m", &["b", "f2"], "merge"),
            ],
            ..Default::default()
        };
        assert_eq!(c.resolve("feature").unwrap(), "f1");
        assert_eq!(c.resolve("feature@head").unwrap(), "m");
        assert_eq!(c.resolve("core").unwrap(), "a");
    }

    #[test]
    fn resolve_accepts_unique_prefixes() {
        let c = Chain {
            revisions: vec![
                Revision::new("c682ef478e45", &[], ""),
                Revision::new("c6ff", &[], ""),
            ],
            ..Default::default()
        };
        assert_eq!(c.resolve("c682").unwrap(), "c682ef478e45");
        assert!(matches!(
            c.resolve("c6"),
            Err(UnresolvedRevision::Ambiguous { .. })
        ));
        assert_eq!(
            c.resolve("zz").unwrap_err().to_string(),
            "unknown revision `zz`; valid: c682ef478e45, c6ff"
        );
    }
}
