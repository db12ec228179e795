//! `plan()`: which scenarios run, against which head and baseline — pure, decided before any
//! server starts, so bad input fails fast with exit 2.

use serde::{Deserialize, Serialize};

use crate::chain::{Chain, ChainReport, UnresolvedRevision};
use crate::config::{History, ScenariosConfig, Strictness};
use crate::error::{HarnessError, Result};
use crate::partition::Partition;
use crate::said::{Said, Summed};
use crate::settings::ScenarioSelection;

use super::model::{ScenarioFile, Step};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Run,
    Skip(Said),
}

#[derive(Debug, Clone)]
pub struct PlannedScenario {
    pub file: ScenarioFile,
    pub disposition: Disposition,
}

/// Which revisions the gate judges. The others are history: deployed long ago, their
/// failures are reported but do not fail the run (unless `history = "strict"`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// The git ref of `--since`; None: the revisions after the baseline are new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// New revisions, base → head.
    pub new: Vec<String>,
    pub history: History,
}

impl Scope {
    /// Does a failure at `revision` count for the gate? A failure not tied to a revision
    /// (a schema assertion, the app command) is about the change under test: it counts.
    pub fn judged(&self, revision: Option<&str>) -> bool {
        match (self.history, revision) {
            (History::Strict, _) | (_, None) => true,
            (History::Informational, Some(r)) => self.new.iter().any(|n| n == r),
        }
    }
}

/// The revisions whose files `--since` found added or changed.
#[derive(Debug, Clone)]
pub struct Changed {
    pub since: String,
    pub revisions: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub chain: ChainReport,
    pub head: Option<String>,
    /// None: the baseline is the empty database (head has no parent).
    pub baseline: Option<String>,
    pub scenarios: Vec<PlannedScenario>,
    pub scope: Scope,
    /// The `[scenarios]` settings of the opinionated checks.
    pub policy: ScenariosConfig,
    /// `--partition K/N`: this run's share of the per-revision work (None: all of it).
    pub partition: Option<Partition>,
}

impl Plan {
    pub fn order(&self) -> &[String] {
        &self.chain.order
    }

    /// Whether the per-revision checks (round trips, crash-resume, online DDL) exercise
    /// `rev` in this run: the policy asks for it and `rev` is this partition's.
    pub fn exercises(&self, rev: &str) -> bool {
        self.in_policy(rev) && self.owns(rev)
    }

    /// `[scenarios] per_revision = "new"` limits the per-revision checks to the revisions
    /// under test; the others are said to be left out.
    pub fn in_policy(&self, rev: &str) -> bool {
        self.policy.per_revision == crate::config::PerRevision::All
            || self.scope.new.iter().any(|n| n == rev)
    }

    /// Whether `rev` is this partition's (every revision is, without `--partition`).
    fn owns(&self, rev: &str) -> bool {
        match self.partition {
            None => true,
            Some(p) => self
                .order()
                .iter()
                .position(|o| o == rev)
                .is_some_and(|i| p.owns(i)),
        }
    }

    /// This run as partition `p`: its share of the per-revision work, and the whole-chain
    /// scenarios in partition 1 only (the others skip them, saying so).
    pub fn partitioned(mut self, p: Option<Partition>) -> Plan {
        self.partition = p;
        let Some(p) = p.filter(|p| !p.is_first()) else {
            return self;
        };
        for s in &mut self.scenarios {
            if s.disposition == Disposition::Run && !is_per_revision(&s.file) {
                s.disposition = Disposition::Skip(
                    Summed::OtherPartition {
                        partition: p.to_string(),
                        count: p.count,
                    }
                    .into(),
                );
            }
        }
        self
    }
}

/// A scenario that exercises each revision on its own (round trips, crash-resume, online
/// DDL): the work `--partition` splits.
pub fn is_per_revision(f: &ScenarioFile) -> bool {
    f.steps.iter().any(|s| {
        matches!(
            s,
            Step::RoundTrips { .. } | Step::CrashResume | Step::OnlineDdl
        )
    })
}

/// Picks scenarios (`all` or ids), checks their targets against the chain, resolves the
/// baseline and the scope, and skips what cannot run.
pub fn plan(
    chain: &Chain,
    available: Vec<ScenarioFile>,
    selection: &ScenarioSelection,
    baseline: Option<&str>,
    policy: &ScenariosConfig,
    changed: Option<&Changed>,
) -> Result<Plan> {
    for f in &available {
        f.check_targets(chain)?;
    }
    let valid = || {
        std::iter::once("all".to_string())
            .chain(available.iter().map(|s| s.id.clone()))
            .collect::<Vec<_>>()
    };
    let selected: Vec<ScenarioFile> = match selection {
        ScenarioSelection::All => available.clone(),
        ScenarioSelection::Ids(ids) => {
            let mut v = Vec::new();
            for id in ids {
                match available.iter().find(|s| s.id == *id) {
                    Some(s) if !v.iter().any(|x: &ScenarioFile| x.id == *id) => v.push(s.clone()),
                    Some(_) => {}
                    None => {
                        return Err(HarnessError::UnknownValue {
                            what: "scenario",
                            value: id.clone(),
                            valid: valid(),
                        })
                    }
                }
            }
            if v.is_empty() {
                return Err(HarnessError::EmptyFlag {
                    flag: "--scenario",
                    valid: valid(),
                });
            }
            v
        }
    };

    let report = chain.verify();
    let head = report.head().map(str::to_string);
    let baseline = match (baseline, &head) {
        (Some(b), _) => {
            let b = chain.resolve(b).map_err(|e| {
                // List the valid revisions base → head, as a person reads the chain.
                let e = match e {
                    UnresolvedRevision::Unknown { id, .. } if !report.order.is_empty() => {
                        UnresolvedRevision::Unknown {
                            id,
                            valid: report.order.clone(),
                        }
                    }
                    e => e,
                };
                HarnessError::BadFlag {
                    flag: "--baseline",
                    value: b.to_string(),
                    reason: e.to_string(),
                }
            })?;
            if let Some(h) = &head {
                let bi = report.order.iter().position(|o| *o == b);
                let hi = report.order.iter().position(|o| o == h);
                if b == *h || bi >= hi {
                    return Err(HarnessError::BadFlag {
                        flag: "--baseline",
                        reason: format!(
                            "{b} is not before head {h}; valid: {}",
                            report.order[..hi.unwrap_or(0)].join(", ")
                        ),
                        value: b,
                    });
                }
            }
            Some(b)
        }
        (None, Some(h)) => chain.get(h).and_then(|r| r.parents.first().cloned()),
        (None, None) => None,
    };

    let broken = report.has_errors().then(|| -> Said {
        Summed::GraphBroken {
            errors: report.errors().cloned().collect(),
        }
        .into()
    });
    let scenarios = selected
        .into_iter()
        .map(|file| {
            // A scenario that checks the graph is the one that reports its breakage.
            let checks_graph = file.steps.contains(&Step::ChainChecks);
            let off = file
                .strictness
                .filter(|k| policy.strictness(*k) == Strictness::Off);
            let disposition = match (&broken, off) {
                (Some(_), _) if checks_graph => Disposition::Run,
                (Some(why), _) => Disposition::Skip(why.clone()),
                (None, Some(k)) => Disposition::Skip(
                    Summed::Off {
                        key: k.key().to_string(),
                    }
                    .into(),
                ),
                (None, None) => Disposition::Run,
            };
            PlannedScenario { file, disposition }
        })
        .collect();
    let scope = scope(chain, &report, baseline.as_deref(), changed, policy.history);
    Ok(Plan {
        chain: report,
        head,
        baseline,
        scenarios,
        scope,
        policy: policy.clone(),
        partition: None,
    })
}

/// New revisions: those whose file `--since` saw added or changed, else those after the
/// baseline (all of them when production is an empty database).
fn scope(
    chain: &Chain,
    report: &ChainReport,
    baseline: Option<&str>,
    changed: Option<&Changed>,
    history: History,
) -> Scope {
    let order: Vec<&String> = report
        .order
        .iter()
        .chain(
            chain
                .revisions
                .iter()
                .map(|r| &r.id)
                .filter(|id| !report.order.contains(id)),
        )
        .collect();
    let new = match changed {
        Some(c) => order
            .into_iter()
            .filter(|id| c.revisions.contains(id))
            .cloned()
            .collect(),
        None => {
            let after = baseline
                .and_then(|b| order.iter().position(|o| *o == b))
                .map_or(0, |i| i + 1);
            order[after..].iter().map(|s| (*s).clone()).collect()
        }
    };
    Scope {
        since: changed.map(|c| c.since.clone()),
        new,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Revision;
    use crate::scenario::builtin::builtin;

    fn seed_chain() -> Chain {
        Chain {
            revisions: vec![
                Revision::new("6793349c088c", &[], "Initial"),
                Revision::new("366e5694a9ad", &["6793349c088c"], "OAuth"),
                Revision::new("3e5106ee570c", &["366e5694a9ad"], "API token"),
                Revision::new("c682ef478e45", &["3e5106ee570c"], "Remove"),
                Revision::new("d1f2e3c4b5a6", &["c682ef478e45"], "Fix"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn default_baseline_is_heads_parent() {
        let p = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            None,
            &ScenariosConfig::default(),
            None,
        )
        .unwrap();
        assert_eq!(p.head.as_deref(), Some("d1f2e3c4b5a6"));
        assert_eq!(p.baseline.as_deref(), Some("c682ef478e45"));
        assert_eq!(p.scenarios.len(), 12);
        assert!(p
            .scenarios
            .iter()
            .all(|s| s.disposition == Disposition::Run));
    }

    #[test]
    fn baseline_by_prefix_and_bad_baselines() {
        let p = plan(
            &seed_chain(),
            builtin(),
            &"upgrade".into(),
            Some("366e"),
            &ScenariosConfig::default(),
            None,
        )
        .unwrap();
        assert_eq!(p.baseline.as_deref(), Some("366e5694a9ad"));
        let e = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            Some("nope"),
            &ScenariosConfig::default(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("valid: 6793349c088c"), "{e}");
        let e = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            Some("d1f2e3c4b5a6"),
            &ScenariosConfig::default(),
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not before head"), "{e}");
    }

    #[test]
    fn unknown_scenario_lists_valid_ids() {
        let e = plan(
            &seed_chain(),
            builtin(),
            &"upgrade,bogus".into(),
            None,
            &ScenariosConfig::default(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains(
                "unknown scenario `bogus`; valid: all, chain, round-trip, crash-resume, online-ddl, upgrade"
            ),
            "{e}"
        );
    }

    #[test]
    fn broken_graph_runs_chain_and_skips_the_rest_with_reason() {
        let mut c = seed_chain();
        c.revisions[2].parents = vec!["missing".into()];
        let p = plan(
            &c,
            builtin(),
            &"all".into(),
            None,
            &ScenariosConfig::default(),
            None,
        )
        .unwrap();
        assert_eq!(p.scenarios[0].disposition, Disposition::Run);
        match &p.scenarios[1].disposition {
            Disposition::Skip(why) => assert!(why.to_string().contains("missing"), "{why}"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn idempotency_off_is_skipped() {
        let p = plan(
            &seed_chain(),
            builtin(),
            &"idempotency".into(),
            None,
            &ScenariosConfig {
                idempotency: Strictness::Off,
                ..Default::default()
            },
            None,
        )
        .unwrap();
        assert!(matches!(p.scenarios[0].disposition, Disposition::Skip(_)));
    }

    #[test]
    fn scope_is_after_the_baseline_or_what_since_changed() {
        let cfg = ScenariosConfig::default();
        let p = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            Some("3e51"),
            &cfg,
            None,
        )
        .unwrap();
        assert_eq!(p.scope.new, ["c682ef478e45", "d1f2e3c4b5a6"]);
        assert!(p.scope.judged(Some("d1f2e3c4b5a6")));
        assert!(
            !p.scope.judged(Some("366e5694a9ad")),
            "history is informational"
        );
        assert!(p.scope.judged(None), "a failure tied to no revision counts");
        let changed = Changed {
            since: "v1".into(),
            revisions: vec!["366e5694a9ad".into()],
        };
        let p = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            None,
            &cfg,
            Some(&changed),
        )
        .unwrap();
        assert_eq!(p.scope.new, ["366e5694a9ad"]);
        assert_eq!(p.scope.since.as_deref(), Some("v1"));
        assert!(!p.scope.judged(Some("d1f2e3c4b5a6")));
        let strict = ScenariosConfig {
            history: History::Strict,
            ..Default::default()
        };
        let p = plan(
            &seed_chain(),
            builtin(),
            &"all".into(),
            None,
            &strict,
            Some(&changed),
        )
        .unwrap();
        assert!(p.scope.judged(Some("6793349c088c")));
    }

    #[test]
    fn a_target_typo_is_a_config_error_at_its_line() {
        let f = ScenarioFile::parse(
            "id = \"x\"\ntitle = \"X\"\nsummary = \"s\"\n\n[[steps]]\naction = \"upgrade\"\ntarget = \"head\"\n\n[[steps]]\naction = \"downgrade\"\ntarget = \"haed\"\n",
            std::path::Path::new("x.toml"),
        )
        .unwrap();
        let mut all = builtin();
        all.push(f);
        let e = plan(
            &seed_chain(),
            all,
            &"upgrade".into(),
            None,
            &ScenariosConfig::default(),
            None,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.starts_with("x.toml:11:1: target `haed`"), "{msg}");
    }
}
