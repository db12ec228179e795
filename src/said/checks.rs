//! What the check and fixture steps say: schema and version assertions, the sql step,
//! reset, hot-fix and the query assertion. Seeding, probes, the app command and the model
//! check are in `said/exercise.rs`; the baseline's preparation and what a failed step left
//! behind in `said/left.rs`.

use std::fmt;

use super::common::Target;
use super::exercise::Exercise;
use super::left::Left;
use super::words::{ids, Quoted, Revs, Words};

/// What became of one statement the harness ran by hand (hot-fix, drift fixture).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    Applied,
    /// Refused by the server with its code, or `None` when the connection failed.
    Refused(Option<u16>),
    /// After a refused one: never ran.
    NotRun,
}

/// Where the hot-fix's DDL came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotfixSource {
    Derived,
    Configured,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    ReferenceTitle {
        target: Target,
        name: String,
    },
    CleanInstallTables {
        tables: usize,
        target: Target,
    },
    SchemaEqualsTitle {
        name: String,
    },
    NoSnapshotTaken {
        name: String,
    },
    /// A column-order warning, worded by `schema::warnings` (quoted: it names tables).
    SchemaWarning {
        warning: Quoted,
    },
    SchemaIdentical {
        name: String,
        tables: usize,
    },
    SchemaDiffers {
        name: String,
        differences: usize,
    },
    DowngradeLeavesSchema {
        revision: String,
        name: String,
    },
    /// Several revisions undone at once, from `from` (unknown: `None`) down to `to`.
    DowngradesLeaveSchema {
        from: Option<String>,
        to: Target,
        name: String,
    },
    SchemaMismatch {
        name: String,
    },
    VersionTitle {
        target: Target,
    },
    VersionUnreadable {
        error: Quoted,
    },
    /// The version table's rows (revision ids), empty when it holds none.
    VersionHolds {
        table: String,
        rows: Vec<String>,
    },
    DiffTitle {
        from: String,
        to: String,
    },
    SchemaChanges {
        changes: usize,
    },
    SqlTitle {
        expect: String,
        sql: Quoted,
    },
    ResetTitle,
    NowWorkingIn {
        database: String,
    },
    NotAtBaseline,
    HotfixTitle {
        from: String,
        to: String,
    },
    SameSchema {
        from: String,
        to: String,
    },
    HotfixDdl {
        source: HotfixSource,
    },
    Statement {
        fate: Fate,
        sql: Quoted,
    },
    HotfixRefused {
        error: Quoted,
        statement: Quoted,
    },
    QueryTitle {
        sql: Quoted,
        rows: usize,
    },
    QueryFailed {
        error: Quoted,
    },
    QueryReturned {
        rows: Quoted,
    },
    /// Seeding, data preservation, probes, the app command and the model check.
    Exercise(Exercise),
    /// The baseline's preparation and what a failed step left behind.
    Left(Left),
}

impl Words for Check {
    fn words(&self, f: &mut fmt::Formatter<'_>, revs: Revs) -> fmt::Result {
        match self {
            Check::ReferenceTitle { target, name } => {
                f.write_str("clean install base → ")?;
                target.words(f, revs)?;
                write!(f, " as `{name}`")
            }
            Check::CleanInstallTables { tables, target } => {
                write!(f, "{tables} tables in a clean install at ")?;
                target.words(f, revs)
            }
            Check::SchemaEqualsTitle { name } => write!(f, "schema equals `{name}`"),
            Check::NoSnapshotTaken { name } => {
                write!(f, "no snapshot named `{name}` was taken before this step")
            }
            Check::SchemaWarning { warning } => write!(f, "warning: {warning}"),
            Check::SchemaIdentical { name, tables } => {
                write!(f, "schema identical to `{name}` ({tables} tables compared)")
            }
            Check::SchemaDiffers { name, differences } => {
                write!(
                    f,
                    "schema differs from `{name}`: {differences} difference(s)"
                )
            }
            Check::DowngradeLeavesSchema { revision, name } => write!(
                f,
                "downgrade of {} does not restore the schema `{name}`",
                revs.id(revision)
            ),
            Check::DowngradesLeaveSchema { from, to, name } => {
                let from = from.as_deref().map_or("?", |r| revs.id(r));
                write!(f, "downgrade {from} → ")?;
                to.words(f, revs)?;
                write!(f, " does not restore the schema `{name}`")
            }
            Check::SchemaMismatch { name } => write!(f, "schema differs from `{name}`"),
            Check::VersionTitle { target } => {
                f.write_str("version table says ")?;
                target.words(f, revs)
            }
            Check::VersionUnreadable { error } => {
                write!(f, "cannot read the version table: {error}")
            }
            Check::VersionHolds { table, rows } if rows.is_empty() => {
                write!(f, "{table} holds (empty)")
            }
            Check::VersionHolds { table, rows } => {
                write!(f, "{table} holds ")?;
                ids(f, revs, rows, ", ")
            }
            Check::DiffTitle { from, to } => write!(f, "schema diff {from} → {to}"),
            Check::SchemaChanges { changes: 0 } => f.write_str("no schema change"),
            Check::SchemaChanges { changes } => write!(f, "{changes} schema change(s)"),
            Check::SqlTitle { expect, sql } => write!(f, "sql expecting {expect}: {sql}"),
            Check::ResetTitle => f.write_str("fresh database at the baseline"),
            Check::NowWorkingIn { database } => write!(f, "now working in {database}"),
            Check::NotAtBaseline => f.write_str("could not bring the new database to the baseline"),
            Check::HotfixTitle { from, to } => write!(f, "apply the {from} → {to} change by hand"),
            Check::SameSchema { from, to } => write!(
                f,
                "{from} and {to} have the same schema: nothing to apply by hand"
            ),
            Check::HotfixDdl { source } => match source {
                HotfixSource::Derived => f.write_str("hot-fix DDL (derived from the schema diff):"),
                HotfixSource::Configured => f.write_str("hot-fix DDL ([baseline] hotfix_sql):"),
            },
            Check::Statement { fate, sql } => match fate {
                Fate::Applied => write!(f, "applied: {sql}"),
                Fate::Refused(Some(code)) => write!(f, "refused ({code}): {sql}"),
                Fate::Refused(None) => write!(f, "refused (no server code): {sql}"),
                Fate::NotRun => write!(f, "not run: {sql}"),
            },
            Check::HotfixRefused { error, statement } => write!(
                f,
                "hot-fix statement refused: {error} (statement: {statement})"
            ),
            Check::QueryTitle { sql, rows } => write!(f, "query `{sql}` gives {rows} row(s)"),
            Check::QueryFailed { error } => write!(f, "the query failed: {error}"),
            Check::QueryReturned { rows } => write!(f, "returned {rows}"),
            Check::Exercise(e) => e.words(f, revs),
            Check::Left(l) => l.words(f, revs),
        }
    }

    fn worded(&self) -> bool {
        match self {
            Check::Exercise(e) => e.worded(),
            Check::Left(l) => l.worded(),
            _ => true,
        }
    }

    fn quoted_mut(&mut self) -> Vec<&mut Quoted> {
        match self {
            Check::VersionUnreadable { error } | Check::QueryFailed { error } => vec![error],
            Check::SqlTitle { sql, .. }
            | Check::Statement { sql, .. }
            | Check::QueryTitle { sql, .. } => vec![sql],
            Check::SchemaWarning { warning } => vec![warning],
            Check::HotfixRefused { error, statement } => vec![error, statement],
            Check::QueryReturned { rows } => vec![rows],
            Check::Exercise(e) => e.quoted_mut(),
            Check::Left(l) => l.quoted_mut(),
            Check::ReferenceTitle { .. }
            | Check::CleanInstallTables { .. }
            | Check::SchemaEqualsTitle { .. }
            | Check::NoSnapshotTaken { .. }
            | Check::SchemaIdentical { .. }
            | Check::SchemaDiffers { .. }
            | Check::DowngradeLeavesSchema { .. }
            | Check::DowngradesLeaveSchema { .. }
            | Check::SchemaMismatch { .. }
            | Check::VersionTitle { .. }
            | Check::VersionHolds { .. }
            | Check::DiffTitle { .. }
            | Check::SchemaChanges { .. }
            | Check::ResetTitle
            | Check::NowWorkingIn { .. }
            | Check::NotAtBaseline
            | Check::HotfixTitle { .. }
            | Check::SameSchema { .. }
            | Check::HotfixDdl { .. } => Vec::new(),
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words(f, Revs::Shown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::said::{Masked, Said};

    #[test]
    fn a_downgrade_that_leaves_the_schema_names_its_revision_shown_and_masked() {
        let c = Check::DowngradeLeavesSchema {
            revision: "3e5106ee570c".into(),
            name: "baseline".into(),
        };
        assert_eq!(
            c.to_string(),
            "downgrade of 3e5106ee570c does not restore the schema `baseline`"
        );
        assert_eq!(
            Masked(&c).to_string(),
            "downgrade of ‹rev› does not restore the schema `baseline`"
        );
        let title = Check::VersionTitle {
            target: Target::Head(Some("ae1027a6acf".into())),
        };
        assert_eq!(
            Masked(&title).to_string(),
            "version table says head (‹rev›)"
        );
    }

    #[test]
    fn a_quoted_server_error_is_cleaned_by_map_text_and_the_wording_is_kept() {
        let s = Said::from(Check::QueryFailed {
            error: Quoted::new(
                "1146 Table 'mh_2611241818265973_17.tags' doesn't exist in mh_26112418182659_3",
            ),
        });
        let cleaned = s.map_text(|t| t.replace("mh_26112418182659_3", "‹database›"));
        assert_eq!(
            cleaned.to_string(),
            "the query failed: 1146 Table 'tags' doesn't exist in ‹database›"
        );
        assert!(cleaned.template().is_some());
    }
}
