//! Messages more than one step says: a missing snapshot, a broken graph.

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
