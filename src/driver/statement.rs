//! `StatementRecord`: one SQL statement a migration sent and how the server answered it —
//! the base for "failed at statement 3 of 5", half-applied states and crash-resume.

use serde::{Deserialize, Serialize};

use crate::db::ServerError;

/// Who sent a statement: the migration itself, or the tool keeping its version table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementSource {
    /// A statement of the migration's own that may change something.
    Migration,
    /// A read-only statement the migration sent (SELECT, SHOW, …) to inspect the schema.
    Introspection,
    VersionTable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum StatementOutcome {
    /// The server accepted it.
    Applied,
    Failed {
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<ServerError>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRecord {
    /// The revision whose migration was running.
    pub revision: Option<String>,
    pub source: StatementSource,
    pub sql: String,
    #[serde(flatten)]
    pub outcome: StatementOutcome,
    pub duration_ms: u64,
}

impl StatementRecord {
    pub fn applied(&self) -> bool {
        self.outcome == StatementOutcome::Applied
    }
}

/// Where a statement is written: the migration file and its 1-based line (for a Python
/// migration, the line of the revision file that issued it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLine {
    pub file: String,
    pub line: usize,
}

/// The line in `text` where `stmts[n]` starts, finding each statement after the previous
/// one (a statement written twice is found at its own place).
pub fn line_in(text: &str, stmts: &[String], n: usize) -> Option<usize> {
    let mut from = 0;
    let mut at = None;
    for s in stmts.iter().take(n + 1) {
        let needle = s.trim();
        if needle.is_empty() {
            at = Some(from);
            continue;
        }
        let i = text[from..].find(needle)? + from;
        at = Some(i);
        from = i + needle.len();
    }
    at.map(|i| text[..i].matches('\n').count() + 1)
}

/// The statement a server refused, as data: its SQL as sent and, when the driver split the
/// file itself (SQL directories), its place among the file's statements. Renderers say it
/// with `Display` (`statement 2 of 3: INSERT …`) or `text()` (the SQL alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedStatement {
    /// report.json's `statement`.
    #[serde(rename = "statement")]
    pub sql: String,
    #[serde(
        rename = "statement_position",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub position: Option<StatementPosition>,
}

/// Statement `index` (1-based) of the `total` a migration file sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementPosition {
    pub index: usize,
    pub total: usize,
}

impl FailedStatement {
    /// A statement whose place among its file's is not known.
    pub fn sql(sql: impl Into<String>) -> Self {
        FailedStatement {
            sql: sql.into(),
            position: None,
        }
    }

    /// Statement `index` (1-based) of `total`.
    pub fn at(sql: impl Into<String>, index: usize, total: usize) -> Self {
        FailedStatement {
            sql: sql.into(),
            position: Some(StatementPosition { index, total }),
        }
    }

    /// The SQL to show: an empty file (sent as it is, as golang-migrate does) says so.
    pub fn text(&self) -> &str {
        if self.sql.is_empty() {
            "(empty file)"
        } else {
            self.sql.trim()
        }
    }

    /// The same statement without its position: two sightings of it read alike.
    pub fn without_position(self) -> Self {
        FailedStatement {
            position: None,
            ..self
        }
    }
}

impl std::fmt::Display for FailedStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(StatementPosition { index, total }) => {
                write!(f, "statement {index} of {total}: {}", self.text())
            }
            None => f.write_str(self.text()),
        }
    }
}

/// Where a failed migration stopped: its statement `index` (1-based) of those it sent,
/// and the ones that ran before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailurePoint {
    pub revision: Option<String>,
    pub index: usize,
    /// Statements the migration would send in all, when known (from a clean run).
    pub total: Option<usize>,
    pub statement: String,
    pub applied_before: Vec<String>,
}

impl FailurePoint {
    /// The first failed migration statement of a capture, with what its revision had
    /// already applied.
    pub fn of(statements: &[StatementRecord]) -> Option<FailurePoint> {
        let failed = statements
            .iter()
            .position(|s| s.source == StatementSource::Migration && !s.applied())?;
        let rev = statements[failed].revision.clone();
        let applied_before: Vec<String> = statements[..failed]
            .iter()
            .filter(|s| s.source == StatementSource::Migration && s.revision == rev && s.applied())
            .map(|s| s.sql.clone())
            .collect();
        Some(FailurePoint {
            revision: rev,
            index: applied_before.len() + 1,
            total: None,
            statement: statements[failed].sql.clone(),
            applied_before,
        })
    }

    /// Where it stopped: `statement 3 of 5`, or `statement 3` when the total is not known.
    pub fn position(&self) -> StatementAt {
        StatementAt {
            index: self.index,
            total: self.total,
        }
    }
}

/// Statement `index` (1-based) of a migration, of `total` when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementAt {
    pub index: usize,
    pub total: Option<usize>,
}

impl std::fmt::Display for StatementAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.total {
            Some(t) => write!(f, "statement {} of {t}", self.index),
            None => write!(f, "statement {}", self.index),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(rev: &str, sql: &str, ok: bool) -> StatementRecord {
        StatementRecord {
            revision: Some(rev.into()),
            source: StatementSource::Migration,
            sql: sql.into(),
            outcome: if ok {
                StatementOutcome::Applied
            } else {
                StatementOutcome::Failed { error: None }
            },
            duration_ms: 0,
        }
    }

    #[test]
    fn a_failed_statement_says_its_position_only_when_known() {
        let at = FailedStatement::at("INSERT INTO missing_table VALUES (1)", 2, 3);
        assert_eq!(
            at.to_string(),
            "statement 2 of 3: INSERT INTO missing_table VALUES (1)"
        );
        assert_eq!(at.text(), "INSERT INTO missing_table VALUES (1)");
        let bare = at.clone().without_position();
        assert_eq!(bare.to_string(), "INSERT INTO missing_table VALUES (1)");
        assert_eq!(
            FailedStatement::at("", 1, 1).to_string(),
            "statement 1 of 1: (empty file)"
        );
        assert_eq!(FailedStatement::sql("").text(), "(empty file)");
    }

    #[test]
    fn a_failed_statement_serializes_its_sql_and_position_as_fields() {
        let at = FailedStatement::at("DROP TABLE tags", 1, 2);
        let json = serde_json::to_value(&at).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"statement": "DROP TABLE tags", "statement_position": {"index": 1, "total": 2}})
        );
        assert_eq!(serde_json::from_value::<FailedStatement>(json).unwrap(), at);
        let bare = serde_json::to_value(FailedStatement::sql("DROP TABLE tags")).unwrap();
        assert_eq!(bare, serde_json::json!({"statement": "DROP TABLE tags"}));
    }

    #[test]
    fn failure_point_counts_only_the_failing_revision() {
        let s = vec![
            rec("a", "CREATE TABLE t (id int)", true),
            rec("b", "ALTER TABLE t ADD x int", true),
            rec("b", "ALTER TABLE t ADD y int", true),
            rec("b", "ALTER TABLE t ADD x int", false),
        ];
        let f = FailurePoint::of(&s).unwrap();
        assert_eq!(f.revision.as_deref(), Some("b"));
        assert_eq!(f.index, 3);
        assert_eq!(f.applied_before.len(), 2);
        assert_eq!(f.position().to_string(), "statement 3");
        let counted = FailurePoint {
            total: Some(5),
            ..f
        };
        assert_eq!(counted.position().to_string(), "statement 3 of 5");
        assert!(FailurePoint::of(&s[..3]).is_none());
    }
}
