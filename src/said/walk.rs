//! What the `chain` scenario's walk says: the graph checks, the walk base → head → base →
//! head, its rebuilds, and a downgrade that does not restore its parent's schema (also said
//! by the round trips).

use std::fmt;

use super::words::{ids, Quoted, Revs, Words};
use crate::chain::Finding;

/// A call of the migration tool, as a step names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Upgrade,
    Downgrade,
}

impl Verb {
    pub fn word(self) -> &'static str {
        match self {
            Verb::Upgrade => "upgrade",
            Verb::Downgrade => "downgrade",
        }
    }
}

/// How a database at a parent state was made for an independent trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    Cloned,
    RebuiltFromClean,
}

impl Made {
    pub fn word(self) -> &'static str {
        match self {
            Made::Cloned => "cloned",
            Made::RebuiltFromClean => "rebuilt from clean",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    ChecksTitle,
    /// `n` revisions with one head.
    SingleHead {
        n: usize,
        head: String,
    },
    /// `n` revisions with no single head (none, or several).
    Heads {
        n: usize,
        heads: Vec<String>,
    },
    /// Where the graph came from (the graph source's own words).
    GraphSource(Quoted),
    /// An error finding of the graph checks (`said::graph` words it).
    GraphError(Finding),
    ToolAgrees {
        heads: Vec<String>,
    },
    ToolDisagrees {
        tool: Vec<String>,
        files: Vec<String>,
    },
    /// The tool's last line when asked for its heads.
    ToolHeadsUnknown(Quoted),
    /// The walk goes on from a database rebuilt at `at` (None = base).
    ContinuedRebuilt {
        at: Option<String>,
    },
    RebuildAfterFailed(Verb),
    Title,
    EmptySnapshotTitle,
    VerifyTitle,
    Verified {
        n: usize,
    },
    RebuildForDownTitle,
    UpTitle {
        rev: String,
    },
    /// `to` None = base.
    DownTitle {
        rev: String,
        to: Option<String>,
    },
    UpAgainTitle {
        rev: String,
    },
    DowngradeFailed {
        rev: String,
        error: Quoted,
    },
    /// The schema after a downgrade equals the one recorded at `at` (None = base).
    EqualsRecorded {
        at: Option<String>,
    },
    /// No difference new at this step while `n` earlier ones remain.
    Carried {
        n: usize,
    },
    /// A downgrade of `rev` leaves a schema other than `of`'s (None = base); with the
    /// differences when the message lists them.
    NotRestored {
        rev: String,
        of: Option<String>,
        diff: Option<Quoted>,
    },
    UpAgainWalkTitle,
    WalkingUpAgain {
        n: usize,
    },
    EqualsFirstWayUp,
    SecondUpgradeDiffers {
        rev: String,
    },
}

/// A revision id, or `base` for none.
fn at_or_base(revs: Revs, at: &Option<String>) -> &str {
    at.as_deref().map_or("base", |r| revs.id(r))
}

impl Words for Walk {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Walk::ChecksTitle => f.write_str("revision graph checks"),
            Walk::SingleHead { n, head } => {
                write!(f, "{n} revisions, single head {}", revs.id(head))
            }
            Walk::Heads { n, heads } => {
                write!(f, "{n} revisions, heads: ")?;
                if heads.is_empty() {
                    f.write_str("none")
                } else {
                    ids(f, revs, heads, ", ")
                }
            }
            Walk::GraphSource(s) => write!(f, "revision graph {s}"),
            Walk::GraphError(g) => {
                f.write_str("error: ")?;
                g.words(f, revs)
            }
            Walk::ToolAgrees { heads } => {
                f.write_str("the tool agrees: heads = ")?;
                ids(f, revs, heads, ", ")
            }
            Walk::ToolDisagrees { tool, files } => {
                f.write_str("the tool reports heads [")?;
                ids(f, revs, tool, ", ")?;
                f.write_str("] but the files say [")?;
                ids(f, revs, files, ", ")?;
                f.write_str("]")
            }
            Walk::ToolHeadsUnknown(line) => {
                write!(f, "could not ask the tool for its heads: {line}")
            }
            Walk::ContinuedRebuilt { at } => write!(
                f,
                "continued on a database rebuilt from clean at {}",
                at_or_base(revs, at)
            ),
            Walk::RebuildAfterFailed(v) => write!(f, "rebuild after a failed {}", v.word()),
            Walk::Title => f.write_str("walk base → head → base → head"),
            Walk::EmptySnapshotTitle => f.write_str("snapshot of the empty database"),
            Walk::VerifyTitle => f.write_str("snapshot check (MH_SNAPSHOT=verify)"),
            Walk::Verified { n } => write!(
                f,
                "{n} incremental snapshots equalled a full read of the schema"
            ),
            Walk::RebuildForDownTitle => f.write_str("rebuild for the walk down"),
            Walk::UpTitle { rev } => write!(f, "walk up: upgrade → {}", revs.id(rev)),
            Walk::DownTitle { rev, to } => write!(
                f,
                "walk down: downgrade {} → {}",
                revs.id(rev),
                at_or_base(revs, to)
            ),
            Walk::UpAgainTitle { rev } => write!(f, "walk up again: upgrade → {}", revs.id(rev)),
            Walk::DowngradeFailed { rev, error } => {
                write!(f, "downgrade of {} failed: {error}", revs.id(rev))
            }
            Walk::EqualsRecorded { at } => write!(
                f,
                "schema equals the one recorded at {} on the way up",
                at_or_base(revs, at)
            ),
            Walk::Carried { n } => write!(
                f,
                "no new difference at this step; {n} difference{} carried from earlier steps remain{}",
                if *n == 1 { "" } else { "s" },
                if *n == 1 { "s" } else { "" }
            ),
            Walk::NotRestored { rev, of, diff } => {
                write!(
                    f,
                    "downgrade of {} does not restore the schema of {}",
                    revs.id(rev),
                    at_or_base(revs, of)
                )?;
                match diff {
                    Some(d) => write!(f, ": {d}"),
                    None => Ok(()),
                }
            }
            Walk::UpAgainWalkTitle => f.write_str("walk up again"),
            Walk::WalkingUpAgain { n } => write!(
                f,
                "the walk down left {n} difference(s) from the empty database; walking up again on it"
            ),
            Walk::EqualsFirstWayUp => f.write_str("schema equals the one recorded on the first way up"),
            Walk::SecondUpgradeDiffers { rev } => write!(
                f,
                "the second upgrade to {} gives a different schema than the first",
                revs.id(rev)
            ),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Walk::GraphSource(q)
            | Walk::ToolHeadsUnknown(q)
            | Walk::DowngradeFailed { error: q, .. } => vec![q],
            Walk::NotRestored { diff, .. } => diff.iter_mut().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_walk_step_names_its_revisions_shown_and_masked() {
        let t = Walk::DownTitle {
            rev: "3e5106ee570c".into(),
            to: None,
        };
        assert_eq!(
            Masked::shown(&t),
            "walk down: downgrade 3e5106ee570c → base"
        );
        assert_eq!(Masked(&t).to_string(), "walk down: downgrade ‹rev› → base");
        let h = Walk::Heads {
            n: 3,
            heads: vec!["a1".into(), "b2".into()],
        };
        assert_eq!(Masked(&h).to_string(), "3 revisions, heads: ‹rev›, ‹rev›");
    }

    #[test]
    fn the_server_error_in_a_failed_downgrade_is_cleaned_by_map_text() {
        let s = Said::from(Walk::DowngradeFailed {
            rev: "7".into(),
            error: Quoted::new("1091 (42000): Can't DROP 'mh_0123456789ab_3.x'; secret"),
        });
        assert_eq!(
            s.to_string(),
            "downgrade of 7 failed: 1091 (42000): Can't DROP 'x'; secret"
        );
        let cleaned = s.map_text(|t| t.replace("secret", "…"));
        assert_eq!(
            cleaned.to_string(),
            "downgrade of 7 failed: 1091 (42000): Can't DROP 'x'; …"
        );
        assert_eq!(
            cleaned.template().as_deref(),
            Some("downgrade of ‹rev› failed: 1091 (42000): Can't DROP 'x'; …")
        );
    }

    #[test]
    fn carried_differences_are_counted_not_called_equal() {
        let n = |n| Masked::shown(&Walk::Carried { n });
        assert_eq!(
            n(2),
            "no new difference at this step; 2 differences carried from earlier steps remain"
        );
        assert_eq!(
            n(1),
            "no new difference at this step; 1 difference carried from earlier steps remains"
        );
        assert!(!n(3).contains("equals"));
    }
}
