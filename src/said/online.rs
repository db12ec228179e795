//! What the online-DDL step says: per revision, how many schema changes it asks of the
//! server and which of them block writes (the verdict and estimate worded by `online`).

use std::fmt;

use super::words::{Quoted, Revs, Words};
use crate::online::{Estimate, Verdict};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Online {
    Title,
    /// The parent state of a revision could not be copied.
    CannotCopyParent {
        error: Quoted,
    },
    CaptureUnavailable,
    RevisionTitle {
        revision: String,
    },
    /// `revision` fails on a clean database: the probing stops.
    Unreachable {
        revision: String,
    },
    NoTableChanges,
    /// Statement `index` was not timed with `[production] rows`.
    NotTimed {
        index: usize,
        why: Quoted,
    },
    /// A revision's line: `changes` statements probed.
    Asked {
        revision: String,
        changes: usize,
    },
    /// One statement that blocks writes: the defect's summary.
    Blocks {
        revision: String,
        index: usize,
        table: Option<String>,
        verdict: Verdict,
        estimate: Option<Estimate>,
    },
    /// `blocking` of a revision's `changes` statements block writes.
    BlockWrites {
        blocking: usize,
        revision: String,
        changes: usize,
    },
}

impl Words for Online {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Online::Title => f.write_str("online DDL: how each schema change holds up writers"),
            Online::CannotCopyParent { error } => {
                write!(f, "cannot copy the parent state: {error}")
            }
            Online::CaptureUnavailable => {
                f.write_str("statement capture unavailable for this driver")
            }
            Online::RevisionTitle { revision } => write!(f, "online DDL {}", revs.id(revision)),
            Online::Unreachable { revision } => write!(
                f,
                "{} does not upgrade on a clean database; later revisions are not reachable",
                revs.id(revision)
            ),
            Online::NoTableChanges => {
                f.write_str("no revision sends a statement that changes a table's definition")
            }
            Online::NotTimed { index, why } => write!(
                f,
                "statement {index} not timed at production scale (harness limitation: {why})"
            ),
            Online::Asked { revision, changes } => write!(
                f,
                "online DDL {}: {changes} schema change(s) asked of the server",
                revs.id(revision)
            ),
            Online::Blocks {
                revision,
                index,
                table,
                verdict,
                estimate,
            } => {
                write!(
                    f,
                    "{} statement {index} on `{}`: {verdict}",
                    revs.id(revision),
                    table.as_deref().unwrap_or("?")
                )?;
                match estimate {
                    Some(e) => write!(f, " — {e}"),
                    None => Ok(()),
                }
            }
            Online::BlockWrites {
                blocking,
                revision,
                changes,
            } => write!(
                f,
                "{blocking} of {}'s {changes} schema change(s) block writes",
                revs.id(revision)
            ),
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Online::CannotCopyParent { error } => vec![error],
            Online::NotTimed { why, .. } => vec![why],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::online::{Algorithm, Attempt, Blocking};
    use crate::said::{Masked, Said};

    #[test]
    fn a_blocking_statement_masks_its_revision() {
        let b = Online::Blocks {
            revision: "r2".into(),
            index: 2,
            table: Some("orders".into()),
            verdict: Verdict::Probed {
                accepted: Attempt {
                    algorithm: Algorithm::Copy,
                    lock: None,
                },
                blocking: Blocking::Copy,
            },
            estimate: None,
        };
        assert_eq!(
            Masked::shown(&b),
            "r2 statement 2 on `orders`: copy (blocks writes)"
        );
        assert_eq!(
            Masked(&b).to_string(),
            "‹rev› statement 2 on `orders`: copy (blocks writes)"
        );
    }

    #[test]
    fn why_a_statement_was_not_timed_is_cleaned() {
        let s = Said::from(Online::NotTimed {
            index: 3,
            why: Quoted::new("copying failed in mh_26112418182659_3"),
        });
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "statement 3 not timed at production scale (harness limitation: copying failed in ‹database›)"
        );
    }
}
