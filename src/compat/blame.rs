//! `blame()`: which revision's change explains an incompatibility, read from the typed
//! schema diff of each revision (`schema::Change`), and whether it counts at all: the new
//! code failing on a column its own migration adds is the ordinary expand step (migrate
//! first), not a finding.

use super::{Cause, Release, Subject};
use crate::schema::Change;

/// One revision's changes on a clean database (its parent's schema → its own).
#[derive(Debug, Clone, PartialEq)]
pub struct RevisionChanges {
    pub revision: String,
    pub changes: Vec<Change>,
}

/// The verdict on one refused statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blame {
    /// An incompatibility, with what caused it.
    Finding(Cause),
    /// The new code needs what a migration of this release adds, and nothing it removes:
    /// migrating first is the expand/contract order, nothing is wrong.
    Expand,
}

fn touches_column(c: &Change, table: &str, column: &str) -> bool {
    match c {
        Change::AddColumn {
            table: t,
            column: col,
        }
        | Change::DropColumn {
            table: t,
            column: col,
        } => t == table && col.name == column,
        Change::ModifyColumn {
            table: t, after, ..
        } => t == table && after.name == column,
        _ => false,
    }
}

fn adds(c: &Change, table: &str, column: Option<&str>) -> bool {
    match (c, column) {
        (
            Change::AddColumn {
                table: t,
                column: col,
            },
            Some(name),
        ) => t == table && col.name == name,
        (Change::AddTable { table: t }, _) => t == table,
        _ => false,
    }
}

fn drops(c: &Change, table: &str, column: Option<&str>) -> bool {
    match (c, column) {
        (
            Change::DropColumn {
                table: t,
                column: col,
            },
            Some(name),
        ) => t == table && col.name == name,
        (Change::DropTable { table: t }, _) => t == table,
        _ => false,
    }
}

/// Takes something away from `table` that code may use: a dropped column or table (a
/// rename is a drop beside an add).
fn contracts(c: &Change, table: &str) -> bool {
    matches!(c, Change::DropColumn { table: t, .. } | Change::DropTable { table: t } if t == table)
}

/// Why `code` failed on `table`.`subject`: `revisions` are those between the two schemas
/// in order, `drift` the fixture's changes to the clean baseline.
pub fn blame(
    code: Release,
    table: &str,
    subject: &Subject,
    revisions: &[RevisionChanges],
    drift: &[Change],
) -> Blame {
    let column = subject.column();
    let by = |r: &RevisionChanges| Cause::Revision {
        revision: r.revision.clone(),
    };
    match code {
        // The previous code on the new schema: the first revision that took the column or
        // table away, or changed its definition.
        Release::Previous => revisions
            .iter()
            .find(|r| {
                r.changes.iter().any(|c| match column {
                    Some(col) => touches_column(c, table, col) || drops(c, table, None),
                    None => drops(c, table, None),
                })
            })
            .map(|r| Blame::Finding(by(r)))
            .unwrap_or_else(|| Blame::Finding(drifted(drift, table, column))),
        // The new code on the old schema: the revision that adds what it lacks. Added
        // alone, it is the expand step; added where the same revision takes something of
        // the table away (a rename), no deploy order is safe.
        Release::Next => match revisions
            .iter()
            .find(|r| r.changes.iter().any(|c| adds(c, table, column)))
        {
            Some(r) if r.changes.iter().any(|c| contracts(c, table)) => Blame::Finding(by(r)),
            Some(_) => Blame::Expand,
            None => Blame::Finding(drifted(drift, table, column)),
        },
    }
}

fn drifted(drift: &[Change], table: &str, column: Option<&str>) -> Cause {
    let hit = drift.iter().any(|c| {
        drops(c, table, column)
            || drops(c, table, None)
            || column.is_some_and(|col| touches_column(c, table, col))
    });
    if hit {
        Cause::Drift
    } else {
        Cause::Unexplained
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn col(name: &str, nullable: bool) -> Column {
        Column {
            name: name.into(),
            column_type: "varchar(64)".into(),
            nullable,
            ..Default::default()
        }
    }

    fn rev(id: &str, changes: Vec<Change>) -> RevisionChanges {
        RevisionChanges {
            revision: id.into(),
            changes,
        }
    }

    fn unknown(column: &str) -> Subject {
        Subject::UnknownColumn {
            table: None,
            column: column.into(),
        }
    }

    fn cause(r: &str) -> Blame {
        Blame::Finding(Cause::Revision { revision: r.into() })
    }

    #[test]
    fn a_dropped_column_is_blamed_on_the_revision_that_dropped_it() {
        let revs = vec![
            rev(
                "0002",
                vec![Change::AddTable {
                    table: "tags".into(),
                }],
            ),
            rev(
                "0003",
                vec![Change::DropColumn {
                    table: "user".into(),
                    column: col("legacy_name", true),
                }],
            ),
        ];
        let b = blame(
            Release::Previous,
            "user",
            &unknown("legacy_name"),
            &revs,
            &[],
        );
        assert_eq!(b, cause("0003"));
    }

    #[test]
    fn a_not_null_column_without_default_is_blamed_on_its_adder() {
        let revs = vec![rev(
            "0002",
            vec![Change::AddColumn {
                table: "user".into(),
                column: col("email", false),
            }],
        )];
        let s = Subject::NoDefault {
            column: "email".into(),
        };
        assert_eq!(
            blame(Release::Previous, "user", &s, &revs, &[]),
            cause("0002")
        );
    }

    #[test]
    fn new_code_on_a_column_its_migration_adds_is_the_expand_step() {
        let revs = vec![rev(
            "0002",
            vec![Change::AddColumn {
                table: "user".into(),
                column: col("nickname", true),
            }],
        )];
        assert_eq!(
            blame(Release::Next, "user", &unknown("nickname"), &revs, &[]),
            Blame::Expand
        );
        let t = Subject::UnknownTable {
            table: "tags".into(),
        };
        let revs = vec![rev(
            "0002",
            vec![Change::AddTable {
                table: "tags".into(),
            }],
        )];
        assert_eq!(blame(Release::Next, "tags", &t, &revs, &[]), Blame::Expand);
    }

    #[test]
    fn a_rename_fails_both_ways() {
        let revs = vec![rev(
            "0002",
            vec![
                Change::DropColumn {
                    table: "user".into(),
                    column: col("legacy_name", true),
                },
                Change::AddColumn {
                    table: "user".into(),
                    column: col("display_name", true),
                },
            ],
        )];
        assert_eq!(
            blame(
                Release::Previous,
                "user",
                &unknown("legacy_name"),
                &revs,
                &[]
            ),
            cause("0002")
        );
        assert_eq!(
            blame(Release::Next, "user", &unknown("display_name"), &revs, &[]),
            cause("0002")
        );
    }

    #[test]
    fn a_column_no_migration_adds_is_drift_or_unexplained() {
        let drift = vec![Change::DropColumn {
            table: "user".into(),
            column: col("api_token", true),
        }];
        assert_eq!(
            blame(Release::Next, "user", &unknown("api_token"), &[], &drift),
            Blame::Finding(Cause::Drift)
        );
        assert_eq!(
            blame(Release::Next, "user", &unknown("api_token"), &[], &[]),
            Blame::Finding(Cause::Unexplained)
        );
    }
}
