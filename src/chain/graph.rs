//! The revision graph: `Chain` (revisions in order base → head) and `verify()`, which reports
//! duplicate ids, missing parents, cycles, several heads, orphan files and irreversible
//! downgrades as data. Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub id: String,
    /// Parents; two or more for a merge revision, none for a base.
    pub parents: Vec<String>,
    pub description: String,
    pub file: Option<PathBuf>,
    /// 1-based line of the revision id in `file` (for annotations).
    pub line: Option<usize>,
    pub downgrade: DowngradeKind,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub branch_labels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    MissingDown,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(flatten)]
    pub kind: FindingKind,
    pub revision: Option<String>,
    pub message: String,
}

/// Where the graph came from: the tool itself, or the files read without executing them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, Default, Serialize)]
pub struct Chain {
    pub revisions: Vec<Revision>,
    pub source: GraphSource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<PathBuf>,
    /// Downgrades are required: an empty one is an error, not a warning.
    #[serde(skip)]
    pub require_downgrades: bool,
    /// Revisions whose up migration is empty (a SQL file with nothing to run).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub empty_upgrades: Vec<String>,
}

/// The result of `verify()`: an order from base to head (when one exists) and the findings.
#[derive(Debug, Clone, Serialize)]
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

    /// Error findings as one line, for "skipped because ..." reasons.
    pub fn error_summary(&self) -> String {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl Chain {
    pub fn get(&self, id: &str) -> Option<&Revision> {
        self.revisions.iter().find(|r| r.id == id)
    }

    /// Resolves a user-given revision as Alembic does: exact id, a branch label (`label` or
    /// `label@head`, the newest revision of that branch), or a unique id prefix.
    pub fn resolve(&self, id: &str) -> Result<String, String> {
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
            [] => Err(format!(
                "unknown revision `{id}`; valid: {}",
                self.revisions
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            many => Err(format!("`{id}` is ambiguous: {}", many.join(", "))),
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
        let mut err = |kind: FindingKind, rev: Option<&str>, message: String| {
            findings.push(Finding {
                severity: Severity::Error,
                kind,
                revision: rev.map(str::to_string),
                message,
            })
        };
        if self.revisions.is_empty() {
            err(FindingKind::NoRevisions, None, "no revisions found".into());
        }

        let mut by_id: BTreeMap<&str, &Revision> = BTreeMap::new();
        for r in &self.revisions {
            if by_id.insert(r.id.as_str(), r).is_some() {
                err(
                    FindingKind::DuplicateId,
                    Some(&r.id),
                    format!("revision id {} is defined more than once", r.id),
                );
            }
        }
        for r in &self.revisions {
            for p in r.parents.iter().chain(r.depends_on.iter()) {
                if !by_id.contains_key(p.as_str()) {
                    err(
                        FindingKind::MissingParent { parent: p.clone() },
                        Some(&r.id),
                        format!(
                            "{} names {} as its parent, but no such revision exists",
                            r.id, p
                        ),
                    );
                }
            }
        }
        if let Some(path) = find_cycle(&by_id) {
            err(
                FindingKind::Cycle { path: path.clone() },
                Some(&path[0]),
                format!("revision cycle: {}", path.join(" → ")),
            );
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
            err(
                FindingKind::MultipleHeads {
                    heads: heads.clone(),
                },
                None,
                format!(
                    "{} heads: {} (merge them into one)",
                    heads.len(),
                    heads.join(", ")
                ),
            );
        }
        if let GraphSource::FilesFallback { reason } = &self.source {
            findings.push(Finding {
                severity: Severity::Warning,
                kind: FindingKind::ToolCouldNotLoad {
                    reason: reason.clone(),
                },
                revision: None,
                message: format!(
                    "the tool could not load the migration scripts ({reason}); the graph was parsed from the files, and every command that needs the tool will fail the same way"
                ),
            });
        }
        for f in &self.orphans {
            findings.push(Finding {
                severity: Severity::Warning,
                kind: FindingKind::OrphanFile { file: f.clone() },
                revision: None,
                message: format!("{} is not part of any revision", f.display()),
            });
        }
        for r in &self.revisions {
            let severity = if self.require_downgrades {
                Severity::Error
            } else {
                Severity::Warning
            };
            match r.downgrade {
                DowngradeKind::Present => {}
                DowngradeKind::Empty => findings.push(Finding {
                    severity,
                    kind: FindingKind::IrreversibleDowngrade,
                    revision: Some(r.id.clone()),
                    message: format!(
                        "{} has an empty downgrade: rolling it back changes nothing",
                        r.id
                    ),
                }),
                DowngradeKind::Missing => findings.push(Finding {
                    severity,
                    kind: FindingKind::MissingDown,
                    revision: Some(r.id.clone()),
                    message: format!("{} has no down migration", r.id),
                }),
                DowngradeKind::Irreversible => findings.push(Finding {
                    severity,
                    kind: FindingKind::MissingDown,
                    revision: Some(r.id.clone()),
                    message: format!("{} is irreversible: the tool refuses to roll it back", r.id),
                }),
            }
        }
        for id in &self.empty_upgrades {
            findings.push(Finding {
                severity: Severity::Warning,
                kind: FindingKind::EmptyUpgrade,
                revision: Some(id.clone()),
                message: format!("{id} has an empty up migration: applying it changes nothing"),
            });
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
        assert!(
            f.message.contains("b") && f.message.contains("c"),
            "{}",
            f.message
        );
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
        assert!(c.resolve("c6").unwrap_err().contains("ambiguous"));
        assert!(c
            .resolve("zz")
            .unwrap_err()
            .contains("valid: c682ef478e45, c6ff"));
    }
}
