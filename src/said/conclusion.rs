//! What a scenario's one line says when no step says it: why it was skipped or stopped, its
//! conclusion from its steps' messages, and a warning's lead. Generic over the message type
//! it nests (`Said`), so this file does not import the one that imports it.

use std::fmt;

use super::words::{Quoted, Revs, Words};
use crate::chain::Finding;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Summed<S> {
    /// The scenario's task panicked.
    Panicked {
        why: Quoted,
    },
    /// An earlier scenario found the server gone.
    ServerLost,
    /// The server stopped answering during this scenario.
    ServerDied,
    NotAtBaseline {
        baseline: Option<String>,
    },
    EveryStepSkipped,
    NothingTested {
        why: Box<S>,
    },
    /// A walk stopped at a history revision before reaching these revisions.
    NothingNewTested {
        before: Vec<String>,
        why: Box<S>,
    },
    PassedWithWarnings {
        warnings: Vec<S>,
    },
    /// What counts against the run: the scenario's reason (if any), then its problems.
    Failed {
        reason: Option<Box<S>>,
        problems: Vec<S>,
    },
    Interrupted {
        signal: String,
    },
    NoResult,
    /// A partition other than the first skips the whole-chain scenarios.
    OtherPartition {
        partition: String,
        count: usize,
    },
    /// The scenario's check is set to `off`.
    Off {
        key: String,
    },
    /// The revision graph's error findings, worded by `said::graph`.
    GraphBroken {
        errors: Vec<Finding>,
    },
    /// A warning, led by the check that demoted it or the history revision it is about.
    Warned {
        lead: Lead,
        message: Box<S>,
    },
}

/// What leads a warning's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lead {
    /// A check set to `warn`: its `[scenarios]` key.
    Check(String),
    /// A revision before the ones under test.
    History(String),
    None,
}

fn joined<S: Words>(f: &mut fmt::Formatter<'_>, revs: Revs, parts: &[S]) -> fmt::Result {
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        p.words(f, revs)?;
    }
    Ok(())
}

impl<S: Words> Words for Summed<S> {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Summed::Panicked { why } => write!(f, "internal error (panic): {why}"),
            Summed::ServerLost => f.write_str("the server stopped answering earlier in this run"),
            Summed::ServerDied => f.write_str(
                "the server stopped answering (died or was killed) during this scenario",
            ),
            Summed::NotAtBaseline { baseline } => write!(
                f,
                "could not bring a fresh database to the baseline {}",
                baseline.as_deref().map_or("base", |b| revs.id(b))
            ),
            Summed::EveryStepSkipped => f.write_str("every step was skipped"),
            Summed::NothingTested { why } => {
                f.write_str("nothing was tested: ")?;
                why.words(f, revs)
            }
            Summed::NothingNewTested { before, why } => {
                let names: Vec<&str> = before.iter().map(|r| revs.id(r)).collect();
                write!(
                    f,
                    "nothing new was tested: it stopped before {} (",
                    names.join(", ")
                )?;
                why.words(f, revs)?;
                f.write_str(")")
            }
            Summed::PassedWithWarnings { warnings } => {
                f.write_str("passed with warnings: ")?;
                joined(f, revs, warnings)
            }
            Summed::Failed { reason, problems } => match reason {
                Some(r) if problems.is_empty() => r.words(f, revs),
                Some(r) => {
                    r.words(f, revs)?;
                    f.write_str(": ")?;
                    joined(f, revs, problems)
                }
                None => joined(f, revs, problems),
            },
            Summed::Interrupted { signal } => {
                write!(f, "interrupted by {signal} before it finished")
            }
            Summed::NoResult => f.write_str("the run ended before this scenario reported a result"),
            Summed::OtherPartition { partition, count } => write!(
                f,
                "partition {partition}: the whole-chain scenarios run in partition 1/{count}"
            ),
            Summed::Off { key } => write!(f, "{key} = \"off\" in harness.toml"),
            Summed::GraphBroken { errors } => {
                f.write_str("revision graph is broken: ")?;
                joined(f, revs, errors)
            }
            Summed::Warned { lead, message } => {
                match lead {
                    Lead::Check(key) => write!(f, "{key} = \"warn\": ")?,
                    Lead::History(r) => write!(
                        f,
                        "history ({}, before the revisions under test): ",
                        revs.id(r)
                    )?,
                    Lead::None => {}
                }
                message.words(f, revs)
            }
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Summed::Panicked { why } => vec![why],
            Summed::NothingTested { why } | Summed::NothingNewTested { why, .. } => {
                why.quoted_mut()
            }
            Summed::Warned { message, .. } => message.quoted_mut(),
            Summed::PassedWithWarnings { warnings } => {
                warnings.iter_mut().flat_map(|w| w.quoted_mut()).collect()
            }
            Summed::Failed { reason, problems } => reason
                .iter_mut()
                .flat_map(|r| r.quoted_mut())
                .chain(problems.iter_mut().flat_map(|p| p.quoted_mut()))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn worded(&self) -> bool {
        match self {
            Summed::NothingTested { why } | Summed::NothingNewTested { why, .. } => why.worded(),
            Summed::Warned { message, .. } => message.worded(),
            Summed::PassedWithWarnings { warnings } => warnings.iter().all(|w| w.worded()),
            Summed::Failed { reason, problems } => {
                reason.iter().all(|r| r.worded()) && problems.iter().all(|p| p.worded())
            }
            _ => true,
        }
    }
}
