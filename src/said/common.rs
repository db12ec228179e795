//! Messages more than one step says: a missing snapshot, a broken graph; and the target a
//! step names, as several families word it.

use std::fmt;

use super::words::{Revs, Words};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Common {
    /// A per-revision step cannot order the revisions.
    NotRunBecauseGraphBroken,
    /// A step names a snapshot no earlier step took.
    NoSnapshot { name: String },
    /// A comparison needs two snapshots an earlier step takes.
    SnapshotsNeeded { from: String, to: String },
}

impl Words for Common {
    fn words(&self, f: &mut fmt::Formatter<'_>, _revs: Revs) -> fmt::Result {
        match self {
            Common::NotRunBecauseGraphBroken => f.write_str("the revision graph is broken"),
            Common::NoSnapshot { name } => write!(f, "no snapshot named `{name}`"),
            Common::SnapshotsNeeded { from, to } => {
                write!(f, "snapshots `{from}` and `{to}` are needed first")
            }
        }
    }
}

/// A target a step names, as its title shows it: `baseline (ae10…)`, `head (3e51…)`, a
/// revision id, or a word the scenario wrote (`base`, `-1`, a branch label).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The baseline revision, `None` when the chain's base is the baseline.
    Baseline(Option<String>),
    /// The head revision, `None` when the chain has none.
    Head(Option<String>),
    Revision(String),
    Word(String),
}

impl Words for Target {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Target::Baseline(r) => {
                write!(
                    f,
                    "baseline ({})",
                    r.as_deref().map_or("base", |r| revs.id(r))
                )
            }
            Target::Head(r) => write!(f, "head ({})", r.as_deref().map_or("?", |r| revs.id(r))),
            Target::Revision(r) => f.write_str(revs.id(r)),
            Target::Word(w) => f.write_str(w),
        }
    }
}

/// A target as shown, for a title still formatted by hand.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words(f, Revs::Shown)
    }
}
