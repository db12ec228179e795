//! What the baseline's preparation says, and what a failed step left behind (statements,
//! version table, schema) with whether running it again recovers: part of the `Check` family.

use std::fmt;

use super::words::{ids, Quoted, Revs, Words};

/// The version table's rows as the half-applied measure read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionRows {
    Unreadable,
    /// Revision ids, none when the table is empty; `dirty` as the tool marks a failed one.
    At {
        rows: Vec<String>,
        dirty: bool,
    },
}

impl VersionRows {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            VersionRows::Unreadable => f.write_str("unreadable"),
            VersionRows::At { rows, .. } if rows.is_empty() => f.write_str("empty"),
            VersionRows::At { rows, dirty } => {
                ids(f, revs, rows, ", ")?;
                f.write_str(if *dirty { " (dirty)" } else { "" })
            }
        }
    }
}

/// Where the version table is after the failed step compared with before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionTable {
    Still(VersionRows),
    Moved { from: VersionRows, to: VersionRows },
}

impl Words for VersionTable {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            VersionTable::Still(r) => {
                f.write_str("still at ")?;
                r.words(f, revs)
            }
            VersionTable::Moved { from, to } => {
                f.write_str("moved from ")?;
                from.words(f, revs)?;
                f.write_str(" to ")?;
                to.words(f, revs)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Left {
    PrepareTitle,
    PreparedOnce,
    /// The upgrade to the baseline revision.
    UpgradeToBaseline {
        revision: String,
    },
    DriftFixtureTitle,
    DriftFixtureRefused {
        error: Quoted,
        statement: Quoted,
    },
    SnapshotBaselineTitle,
    VersionTable(VersionTable),
    SchemaUnchanged,
    /// The schema changes the failed step made, each worded by `schema::Change` (quoted so
    /// the scratch database's qualifier never shows, as in any line the run read back).
    SchemaChanged {
        changes: Vec<Quoted>,
    },
    SchemaUnreadable {
        error: Quoted,
    },
    RetryRecovers,
    /// The re-run failed with the server's error.
    RetryFailsWith {
        error: Quoted,
    },
    /// The re-run failed without one: the tool's last line.
    RetryFails {
        message: Quoted,
    },
    /// A half-applied revision as one finding: what stayed, the version table (as the
    /// report recorded it) and what re-running answers.
    StaysApplied {
        revision: Option<String>,
        /// Statements that stayed applied; 0 when a real process's were not seen.
        statements: usize,
        failed: Option<usize>,
        version_table: Quoted,
        again: Quoted,
    },
}

impl Words for Left {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Left::PrepareTitle => f.write_str("prepare the baseline"),
            Left::PreparedOnce => f.write_str(
                "the baseline was prepared once for the run; this scenario's database is a copy of its tables and rows",
            ),
            Left::UpgradeToBaseline { revision } => write!(
                f,
                "prepare: upgrade base → baseline ({})",
                revs.id(revision)
            ),
            Left::DriftFixtureTitle => f.write_str("prepare: drift fixture ([baseline] setup_sql)"),
            Left::DriftFixtureRefused { error, statement } => write!(
                f,
                "drift fixture statement refused: {error} (statement: {statement})"
            ),
            Left::SnapshotBaselineTitle => f.write_str("snapshot baseline"),
            Left::VersionTable(v) => {
                f.write_str("version table ")?;
                v.words(f, revs)
            }
            Left::SchemaUnchanged => f.write_str("schema unchanged by the failed step"),
            Left::SchemaChanged { changes } => {
                f.write_str("changed: ")?;
                for (i, c) in changes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
            Left::SchemaUnreadable { error } => write!(f, "schema unreadable: {error}"),
            Left::RetryRecovers => f.write_str("re-running the same step recovers"),
            Left::RetryFailsWith { error } => {
                write!(f, "re-running the same step fails with {error}")
            }
            Left::RetryFails { message } => write!(f, "re-running the same step fails: {message}"),
            Left::StaysApplied {
                revision,
                statements,
                failed,
                version_table,
                again,
            } => {
                let rev = revision.as_deref().map_or("the migration", |r| revs.id(r));
                match (statements, failed) {
                    (0, _) => write!(f, "schema changes of {rev} stay applied")?,
                    (n, None) => write!(f, "{n} statement(s) of {rev} stay applied")?,
                    (n, Some(k)) => {
                        write!(f, "{n} statement(s) of {rev} stay applied after statement {k} failed")?
                    }
                }
                write!(f, "; version table {version_table}; re-running fails with {again}")
            }
        }
    }

    /// The version table's line is quoted as recorded and names revisions: grouping masks
    /// them in the text.
    fn worded(&self) -> bool {
        !matches!(self, Left::StaysApplied { .. })
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Left::DriftFixtureRefused { error, statement } => vec![error, statement],
            Left::SchemaUnreadable { error } | Left::RetryFailsWith { error } => vec![error],
            Left::RetryFails { message } => vec![message],
            Left::SchemaChanged { changes } => changes.iter_mut().collect(),
            Left::StaysApplied {
                version_table,
                again,
                ..
            } => vec![version_table, again],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_moved_version_table_masks_both_revisions() {
        let v = Left::VersionTable(VersionTable::Moved {
            from: VersionRows::At {
                rows: vec!["000003".into()],
                dirty: false,
            },
            to: VersionRows::At {
                rows: vec!["000002".into()],
                dirty: true,
            },
        });
        assert_eq!(
            Masked::shown(&v),
            "version table moved from 000003 to 000002 (dirty)"
        );
        assert_eq!(
            Masked(&v).to_string(),
            "version table moved from ‹rev› to ‹rev› (dirty)"
        );
    }

    #[test]
    fn a_retry_message_is_cleaned_by_map_text() {
        let s = Said::from(super::super::Check::Left(Left::RetryFails {
            message: Quoted::new("ERROR in mh_26112418182659_3"),
        }));
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "re-running the same step fails: ERROR in ‹database›"
        );
    }
}
