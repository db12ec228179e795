//! What the revision graph checks say: each `chain::Finding` (a duplicate id, a missing
//! parent, a cycle, several heads, an orphan file, a missing or empty downgrade …) worded
//! from its kind and revision. `chain::verify` finds them as data; this is the one place
//! their sentences are written.

use std::fmt;

use super::words::{ids, Revs, Words};
use crate::chain::{Finding, FindingKind};

impl Words for Finding {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        // Every kind but the graph-wide ones is about `revision`.
        let rev = revs.id(self.revision.as_deref().unwrap_or("?"));
        match &self.kind {
            FindingKind::NoRevisions => f.write_str("no revisions found"),
            FindingKind::DuplicateId => write!(f, "revision id {rev} is defined more than once"),
            // The parent is named as written: no revision has that id, and two different
            // missing parents are two different mistakes, not one line "× ‹rev›".
            FindingKind::MissingParent { parent } => write!(
                f,
                "{rev} names {parent} as its parent, but no such revision exists"
            ),
            FindingKind::Cycle { path } => {
                f.write_str("revision cycle: ")?;
                ids(f, revs, path, " → ")
            }
            FindingKind::MultipleHeads { heads } => {
                write!(f, "{} heads: ", heads.len())?;
                ids(f, revs, heads, ", ")?;
                f.write_str(" (merge them into one)")
            }
            FindingKind::ToolCouldNotLoad { reason } => write!(
                f,
                "the tool could not load the migration scripts ({reason}); the graph was parsed from the files, and every command that needs the tool will fail the same way"
            ),
            FindingKind::OrphanFile { file } => {
                write!(f, "{} is not part of any revision", file.display())
            }
            FindingKind::IrreversibleDowngrade => write!(
                f,
                "{rev} has an empty downgrade: rolling it back changes nothing"
            ),
            FindingKind::MissingDown { irreversible: false } => {
                write!(f, "{rev} has no down migration")
            }
            FindingKind::MissingDown { irreversible: true } => write!(
                f,
                "{rev} is irreversible: the tool refuses to roll it back"
            ),
            FindingKind::EmptyUpgrade => write!(
                f,
                "{rev} has an empty up migration: applying it changes nothing"
            ),
            // Not found by `verify` today; worded so every kind has its sentence.
            FindingKind::MissingUp => write!(f, "{rev} has no up migration"),
            FindingKind::ToolDisagrees { tool_heads } => {
                f.write_str("the tool reports heads [")?;
                ids(f, revs, tool_heads, ", ")?;
                f.write_str("], not the heads of the files")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::Severity;
    use crate::said::{Masked, Said};

    fn finding(kind: FindingKind, revision: Option<&str>) -> Finding {
        Finding {
            severity: Severity::Warning,
            kind,
            revision: revision.map(str::to_string),
        }
    }

    #[test]
    fn an_empty_downgrade_names_its_revision_shown_and_masked() {
        let f = finding(FindingKind::IrreversibleDowngrade, Some("3e5106ee570c"));
        assert_eq!(
            Masked::shown(&f),
            "3e5106ee570c has an empty downgrade: rolling it back changes nothing"
        );
        assert_eq!(
            Masked(&f).to_string(),
            "‹rev› has an empty downgrade: rolling it back changes nothing"
        );
        let s = Said::from(f);
        assert!(matches!(s, Said::Graph(_)));
        assert_eq!(
            s.template().as_deref(),
            Some("‹rev› has an empty downgrade: rolling it back changes nothing")
        );
    }

    #[test]
    fn a_cycle_masks_every_revision_but_a_missing_parent_keeps_the_name_it_was_given() {
        let cycle = finding(
            FindingKind::Cycle {
                path: vec!["b".into(), "c".into(), "b".into()],
            },
            Some("b"),
        );
        assert_eq!(Masked::shown(&cycle), "revision cycle: b → c → b");
        assert_eq!(
            Masked(&cycle).to_string(),
            "revision cycle: ‹rev› → ‹rev› → ‹rev›"
        );
        let orphan = finding(
            FindingKind::MissingParent {
                parent: "zz".into(),
            },
            Some("b"),
        );
        assert_eq!(
            Masked(&orphan).to_string(),
            "‹rev› names zz as its parent, but no such revision exists"
        );
    }

    #[test]
    fn a_missing_and_a_refused_downgrade_read_differently() {
        let missing = finding(
            FindingKind::MissingDown {
                irreversible: false,
            },
            Some("7"),
        );
        let refused = finding(FindingKind::MissingDown { irreversible: true }, Some("7"));
        assert_eq!(Masked::shown(&missing), "7 has no down migration");
        assert_eq!(
            Masked::shown(&refused),
            "7 is irreversible: the tool refuses to roll it back"
        );
    }
}
