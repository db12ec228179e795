//! `plan()`: which scenarios run, against which head and baseline — pure, decided before any
//! server starts, so bad input fails fast with exit 2.

use crate::chain::{Chain, ChainReport};
use crate::config::Strictness;
use crate::error::{HarnessError, Result};

use super::model::{ScenarioFile, StrictnessKey};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Run,
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct PlannedScenario {
    pub file: ScenarioFile,
    pub disposition: Disposition,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub chain: ChainReport,
    pub head: Option<String>,
    /// None: the baseline is the empty database (head has no parent).
    pub baseline: Option<String>,
    pub scenarios: Vec<PlannedScenario>,
}

impl Plan {
    pub fn order(&self) -> &[String] {
        &self.chain.order
    }
}

/// Picks scenarios (`all` or ids), resolves the baseline, and skips what cannot run.
pub fn plan(
    chain: &Chain,
    available: Vec<ScenarioFile>,
    selection: &str,
    baseline: Option<&str>,
    idempotency: Strictness,
) -> Result<Plan> {
    let valid = || {
        available
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let selected: Vec<ScenarioFile> = if selection.trim() == "all" {
        available.clone()
    } else {
        let mut v = Vec::new();
        for id in selection
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            match available.iter().find(|s| s.id == id) {
                Some(s) if !v.iter().any(|x: &ScenarioFile| x.id == id) => v.push(s.clone()),
                Some(_) => {}
                None => {
                    return Err(HarnessError::usage(format!(
                        "unknown scenario `{id}`; valid: all, {}",
                        valid()
                    )))
                }
            }
        }
        if v.is_empty() {
            return Err(HarnessError::usage(format!(
                "--scenario is empty; valid: all, {}",
                valid()
            )));
        }
        v
    };

    let report = chain.verify();
    let head = report.head().map(str::to_string);
    let baseline = match (baseline, &head) {
        (Some(b), _) => {
            let b = chain.resolve(b).map_err(|e| {
                // List the valid revisions base → head, as a person reads the chain.
                let e = match e.split_once("; valid: ") {
                    Some((head, _)) if !report.order.is_empty() => {
                        format!("{head}; valid: {}", report.order.join(", "))
                    }
                    _ => e,
                };
                HarnessError::usage(format!("bad --baseline: {e}"))
            })?;
            if let Some(h) = &head {
                let bi = report.order.iter().position(|o| *o == b);
                let hi = report.order.iter().position(|o| o == h);
                if b == *h || bi >= hi {
                    return Err(HarnessError::usage(format!(
                        "bad --baseline: {b} is not before head {h}; valid: {}",
                        report.order[..hi.unwrap_or(0)].join(", ")
                    )));
                }
            }
            Some(b)
        }
        (None, Some(h)) => chain.get(h).and_then(|r| r.parents.first().cloned()),
        (None, None) => None,
    };

    let broken = report
        .has_errors()
        .then(|| format!("revision graph is broken: {}", report.error_summary()));
    let scenarios = selected
        .into_iter()
        .map(|file| {
            let disposition = match (&broken, file.id.as_str(), file.strictness) {
                (Some(_), "chain", _) => Disposition::Run,
                (Some(why), _, _) => Disposition::Skip(why.clone()),
                (None, _, Some(StrictnessKey::Idempotency)) if idempotency == Strictness::Off => {
                    Disposition::Skip("idempotency = \"off\" in harness.toml".into())
                }
                _ => Disposition::Run,
            };
            PlannedScenario { file, disposition }
        })
        .collect();
    Ok(Plan {
        chain: report,
        head,
        baseline,
        scenarios,
    })
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
        let p = plan(&seed_chain(), builtin(), "all", None, Strictness::Required).unwrap();
        assert_eq!(p.head.as_deref(), Some("d1f2e3c4b5a6"));
        assert_eq!(p.baseline.as_deref(), Some("c682ef478e45"));
        assert_eq!(p.scenarios.len(), 10);
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
            "upgrade",
            Some("366e"),
            Strictness::Required,
        )
        .unwrap();
        assert_eq!(p.baseline.as_deref(), Some("366e5694a9ad"));
        let e = plan(
            &seed_chain(),
            builtin(),
            "all",
            Some("nope"),
            Strictness::Required,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("valid: 6793349c088c"), "{e}");
        let e = plan(
            &seed_chain(),
            builtin(),
            "all",
            Some("d1f2e3c4b5a6"),
            Strictness::Required,
        )
        .unwrap_err();
        assert!(e.to_string().contains("not before head"), "{e}");
    }

    #[test]
    fn unknown_scenario_lists_valid_ids() {
        let e = plan(
            &seed_chain(),
            builtin(),
            "upgrade,bogus",
            None,
            Strictness::Required,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.to_string().contains(
                "unknown scenario `bogus`; valid: all, chain, round-trip, crash-resume, upgrade"
            ),
            "{e}"
        );
    }

    #[test]
    fn broken_graph_runs_chain_and_skips_the_rest_with_reason() {
        let mut c = seed_chain();
        c.revisions[2].parents = vec!["missing".into()];
        let p = plan(&c, builtin(), "all", None, Strictness::Required).unwrap();
        assert_eq!(p.scenarios[0].disposition, Disposition::Run);
        match &p.scenarios[1].disposition {
            Disposition::Skip(why) => assert!(why.contains("missing"), "{why}"),
            d => panic!("{d:?}"),
        }
    }

    #[test]
    fn idempotency_off_is_skipped() {
        let p = plan(
            &seed_chain(),
            builtin(),
            "idempotency",
            None,
            Strictness::Off,
        )
        .unwrap();
        assert!(matches!(p.scenarios[0].disposition, Disposition::Skip(_)));
    }
}
